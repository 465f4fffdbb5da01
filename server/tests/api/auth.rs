//! First-run setup, sign-in with throttling, sessions and sign-out, over HTTP.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::error::AppError;
use app::model::user::{Role, Viewer};

async fn viewer(app: &TestApp, client: &reqwest::Client) -> Viewer {
    let res = app.call(client, "/api/get_viewer", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn first_run_setup_creates_one_admin_and_only_once(app: &TestApp) {
    let client = TestApp::new_client();
    assert!(viewer(app, &client).await.needs_setup);
    let token = app::server::services::platform::users::setup_token(&app.state.db, &app.state.config)
        .await
        .unwrap()
        .expect("a setup token while no admin exists");

    let bad = app
        .call(
            &client,
            "/api/setup_first_admin",
            &[
                ("setup_token", token.as_str()),
                ("name", "Ada Okafor"),
                ("email", "not-an-email"),
                ("timezone", "Mars/Base"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    let err: AppError = bad.json().await.unwrap();
    assert!(err.field_error("email").is_some());
    assert!(err.field_error("timezone").is_some());
    assert_eq!(
        err.value("name").as_deref(),
        Some("Ada Okafor"),
        "typed input comes back"
    );
    assert_eq!(err.value("password"), None, "passwords never come back");

    let ok = app
        .call(
            &client,
            "/api/setup_first_admin",
            &[
                ("setup_token", token.as_str()),
                ("name", "Ada Okafor"),
                ("email", "Ada@Example.org"),
                ("timezone", "Europe/Berlin"),
                ("password", "a long enough secret"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let me = viewer(app, &client)
        .await
        .user
        .expect("signed in after setup");
    assert_eq!(
        (me.email.as_str(), me.role),
        ("ada@example.org", Role::Admin)
    );

    let again = app
        .call(
            &TestApp::new_client(),
            "/api/setup_first_admin",
            &[
                ("setup_token", token.as_str()),
                ("name", "Eve"),
                ("email", "eve@example.org"),
                ("timezone", "UTC"),
                ("password", "another long secret"),
            ],
        )
        .await;
    assert_eq!(again.status(), 409);
}

async fn first_run_setup_cannot_be_claimed_without_the_setup_token(app: &TestApp) {
    let token = app::server::services::platform::users::setup_token(&app.state.db, &app.state.config)
        .await
        .unwrap()
        .expect("a setup token while no admin exists");
    let again = app::server::services::platform::users::setup_token(&app.state.db, &app.state.config)
        .await
        .unwrap();
    assert_eq!(again.as_deref(), Some(token.as_str()), "one token, whoever asks");
    for guess in ["", "guess", &token[..token.len() - 1]] {
        let client = TestApp::new_client();
        let res = app
            .call(
                &client,
                "/api/setup_first_admin",
                &[
                    ("setup_token", guess),
                    ("name", "Mallory"),
                    ("email", "mallory@example.org"),
                    ("timezone", "UTC"),
                    ("password", "a long enough secret"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{guess:?}");
        let err: AppError = res.json().await.unwrap();
        assert!(err.field_error("setup_token").is_some(), "{err:?}");
        assert_eq!(err.value("setup_token"), None, "the token is never echoed");
        assert!(viewer(app, &client).await.user.is_none());
    }
    assert!(viewer(app, &TestApp::new_client()).await.needs_setup, "still unclaimed");
    // The command line keeps working, and then no token is left to use.
    app.create_user("root@example.org", Role::Admin, "a long enough secret").await;
    assert_eq!(
        app::server::services::platform::users::setup_token(&app.state.db, &app.state.config).await.unwrap(),
        None
    );
}

async fn sign_in_refuses_a_wrong_password_then_accepts_the_right_one(app: &TestApp) {
    app.create_user("sam@example.org", Role::Member, "right password 1")
        .await;
    let client = TestApp::new_client();
    let wrong = app
        .call(
            &client,
            "/api/sign_in",
            &[("email", "sam@example.org"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    let err: AppError = wrong.json().await.unwrap();
    assert!(err.field_error("password").is_some());
    assert_eq!(err.value("email").as_deref(), Some("sam@example.org"));
    assert!(viewer(app, &client).await.user.is_none());

    let right = app
        .call(
            &client,
            "/api/sign_in",
            &[
                ("email", "SAM@example.org"),
                ("password", "right password 1"),
            ],
        )
        .await;
    assert_eq!(right.status(), 200);
    let cookie = right.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert_eq!(
        viewer(app, &client).await.user.unwrap().email,
        "sam@example.org"
    );
}

async fn repeated_failures_throttle_that_account_from_that_address_only(app: &TestApp) {
    app.create_user("kim@example.org", Role::Member, "amber-falcon-2931")
        .await;
    let client = TestApp::new_client();
    for _ in 0..10 {
        let res = app
            .call(
                &client,
                "/api/sign_in",
                &[("email", "kim@example.org"), ("password", "guess guess")],
            )
            .await;
        assert_eq!(res.status(), 422);
    }
    // Even the right password now waits, with a message saying when to retry.
    let res = app
        .call(
            &client,
            "/api/sign_in",
            &[
                ("email", "kim@example.org"),
                ("password", "amber-falcon-2931"),
            ],
        )
        .await;
    assert_eq!(res.status(), 429);
    let err: AppError = res.json().await.unwrap();
    assert!(err.to_string().contains("Try again in"), "{err}");
    // Another account from the same address is not affected.
    app.create_user("lee@example.org", Role::Member, "quiet-river-7720")
        .await;
    let other = app
        .call(
            &client,
            "/api/sign_in",
            &[
                ("email", "lee@example.org"),
                ("password", "quiet-river-7720"),
            ],
        )
        .await;
    assert_eq!(other.status(), 200);
    // The same account from another address is not locked out either.
    let (_, token) = app::server::services::platform::sessions::sign_in(
        &app.state.db,
        &app.state.config,
        "kim@example.org",
        "amber-falcon-2931",
        "203.0.113.9",
    )
    .await
    .expect("another address may still sign in");
    assert!(!token.is_empty());
}

async fn sign_out_ends_the_session_on_the_server(app: &TestApp) {
    app.create_user("ola@example.org", Role::Member, "north-cedar-5512")
        .await;
    let client = app.signed_in("ola@example.org", "north-cedar-5512").await;
    assert!(viewer(app, &client).await.user.is_some());
    let stolen_cookie = {
        use sea_orm::EntityTrait;
        app::server::entities::session::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(stolen_cookie, 1);
    let res = app.call(&client, "/api/sign_out", &[]).await;
    assert!(res.status().is_success());
    assert!(viewer(app, &client).await.user.is_none());
    use sea_orm::EntityTrait;
    assert!(
        app::server::entities::session::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn pages_behind_sign_in_redirect_anonymous_visitors(app: &TestApp) {
    app.create_user("pia@example.org", Role::Member, "violet-harbor-4410")
        .await;
    let res = TestApp::new_client()
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/signin");
    let signin = TestApp::new_client()
        .get(app.url("/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(signin.status(), 200);
    let body = signin.text().await.unwrap();
    assert!(body.contains("Sign in to Rapport"));
    assert!(
        body.contains(r#"<label for="field-email">Email</label>"#),
        "inputs are labelled"
    );
    let missing = TestApp::new_client()
        .get(app.url("/no/such/page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Page not found"));
}

on_both_databases!(
    first_run_setup_creates_one_admin_and_only_once,
    first_run_setup_cannot_be_claimed_without_the_setup_token,
    sign_in_refuses_a_wrong_password_then_accepts_the_right_one,
    repeated_failures_throttle_that_account_from_that_address_only,
    sign_out_ends_the_session_on_the_server,
    pages_behind_sign_in_redirect_anonymous_visitors,
);

/// Fails sign-in for kim as the client `forwarded` says, and returns the status.
async fn fail_as(app: &TestApp, forwarded: &str) -> u16 {
    TestApp::new_client()
        .post(app.url("/api/sign_in"))
        .header("accept", "application/json")
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", forwarded)
        .form(&[("email", "kim@example.org"), ("password", "guess guess")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Behind a trusted proxy each forwarded client is throttled on its own; without one, the
/// header is ignored and the TCP peer is the client, whatever a client claims.
#[tokio::test]
async fn throttling_counts_forwarded_clients_only_behind_a_trusted_proxy() {
    use app::server::testing::Backend;
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let trusting = |c: &mut app::server::config::Config| {
            c.sign_in_max_failures = 2;
            c.trusted_proxies = vec![app::server::config::IpNet::parse("127.0.0.0/8").unwrap()];
        };
        let Some(app) = TestApp::spawn_with(backend, trusting).await else { continue };
        app.create_user("kim@example.org", Role::Member, "amber-falcon-2931").await;
        assert_eq!(fail_as(&app, "203.0.113.1").await, 422);
        assert_eq!(fail_as(&app, "203.0.113.1").await, 422);
        assert_eq!(fail_as(&app, "203.0.113.1").await, 429, "that client waits");
        assert_eq!(fail_as(&app, "203.0.113.2").await, 422, "another client behind the proxy does not");
        assert_eq!(fail_as(&app, "203.0.113.1, 203.0.113.2").await, 422, "the proxy's own entry counts, not the client's claim");
        app.stop().await;

        let Some(app) = TestApp::spawn_with(backend, |c| c.sign_in_max_failures = 2).await else { continue };
        app.create_user("kim@example.org", Role::Member, "amber-falcon-2931").await;
        assert_eq!(fail_as(&app, "203.0.113.1").await, 422);
        assert_eq!(fail_as(&app, "203.0.113.2").await, 422);
        assert_eq!(fail_as(&app, "203.0.113.3").await, 429, "an untrusted header changes nothing");
        app.stop().await;
    }
}
