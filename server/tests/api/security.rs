//! The security baseline: headers, cross-site refusal, body limit, health, and access checks
//! on every registered server function.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::model::user::Role;

async fn health_answers_and_readiness_follows_the_database(app: &TestApp) {
    let app_base = app.base.clone();
    let db = app.state.db.clone();
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{app_base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client
            .get(format!("{app_base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    db.close_by_ref().await.unwrap();
    assert_eq!(
        client
            .get(format!("{app_base}/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    assert_eq!(
        client
            .get(format!("{app_base}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

async fn html_pages_carry_a_nonce_csp_and_the_other_security_headers(app: &TestApp) {
    let url = app.url("/signin");
    let res = reqwest::get(url).await.unwrap();
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap().to_string();
    for part in [
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self' 'nonce-",
    ] {
        assert!(csp.contains(part), "CSP lacks {part}: {csp}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "same-origin");
    assert!(
        h.get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap()
        .to_string();
    let body = res.text().await.unwrap();
    assert!(
        body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
}

/// The page names its stylesheet, script and wasm under this build's address, where they are
/// cached for good (the build is the hash of the `/pkg` directory the server serves).
#[tokio::test]
async fn pages_name_the_assets_under_this_builds_address() {
    let app = crate::helpers::TestApp::spawn(app::server::testing::Backend::Sqlite).await.unwrap();
    let options = &app.state.leptos_options;
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let root = server::assets::Build::of(&dir).root();
    assert!(root.starts_with("/static/") && root.len() == "/static/".len() + 16, "{root}");
    let body = reqwest::get(app.url("/signin")).await.unwrap().text().await.unwrap();
    for link in [
        format!(r#"rel="stylesheet" id="leptos" href="{root}/pkg/rapport.css""#),
        format!(r#"rel="modulepreload" href="{root}/pkg/rapport.js""#),
        format!(r#"({root:?}, "pkg", "rapport", "#),
    ] {
        assert!(body.contains(&link), "the page lacks {link}: {body}");
    }
    assert!(!body.contains(r#"href="/pkg/"#), "a plain /pkg address is left: {body}");
    app.stop().await;
}

#[tokio::test]
async fn https_deployments_send_hsts() {
    let app = crate::helpers::TestApp::spawn_with(app::server::testing::Backend::Sqlite, |c| {
        c.base_url = "https://crm.example.com".into();
    })
    .await
    .unwrap();
    let res = reqwest::get(app.url("/healthz")).await.unwrap();
    assert!(
        res.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    app.stop().await;
}

async fn posts_from_another_site_are_refused_with_403(app: &TestApp) {
    let url = app.url("/api/sign_in");
    let res = reqwest::Client::new()
        .post(url)
        .header("sec-fetch-site", "cross-site")
        .header("origin", "https://evil.example")
        .form(&[("email", "a@b.c"), ("password", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn request_bodies_over_the_limit_get_413() {
    let app = crate::helpers::TestApp::spawn_with(app::server::testing::Backend::Sqlite, |c| {
        c.max_body_bytes = 1024;
    })
    .await
    .unwrap();
    let big = "x".repeat(4096);
    let res = app
        .call(
            &reqwest::Client::new(),
            "/api/sign_in",
            &[("email", &big), ("password", "x")],
        )
        .await;
    assert_eq!(res.status(), 413);
    app.stop().await;
}

/// Every registered server function, as (path, method).
fn registered_endpoints() -> Vec<String> {
    let mut paths: Vec<String> = server_fn::axum::server_fn_paths()
        .map(|(p, _)| p.to_string())
        .collect();
    paths.sort();
    paths.dedup();
    assert!(
        paths.len() >= 4,
        "server functions are registered: {paths:?}"
    );
    paths
}

async fn anonymous_callers_are_refused_by_every_non_public_server_function(app: &TestApp) {
    let paths = registered_endpoints();
    let base = app.base.clone();
    let client = reqwest::Client::new();
    for path in paths {
        if app::api::ANONYMOUS_ENDPOINTS.contains(&path.as_str()) {
            continue;
        }
        let res = client
            .post(format!("{base}{path}"))
            .header("accept", "application/json")
            .form(&[("x", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{path} must refuse anonymous callers");
        let err: app::error::AppError = res.json().await.unwrap();
        assert_eq!(err, app::error::AppError::Unauthorized);
    }
}

async fn members_are_refused_by_every_admin_server_function(app: &TestApp) {
    let paths = registered_endpoints();
    app.create_user("member@example.org", Role::Member, "granite-meadow-8817")
        .await;
    let member = app
        .signed_in("member@example.org", "granite-meadow-8817")
        .await;
    let admin_paths: Vec<_> = paths
        .iter()
        .filter(|p| p.starts_with("/api/admin/"))
        .collect();
    for path in admin_paths {
        let res = app.call(&member, path, &[("x", "1")]).await;
        assert_eq!(res.status(), 403, "{path} must refuse members");
    }
    // And a member's session does work on member endpoints.
    let res = app.call(&member, "/api/get_viewer", &[]).await;
    assert_eq!(res.status(), 200);
}

async fn a_plain_form_post_without_a_session_is_sent_to_sign_in(app: &TestApp) {
    let url = app.url("/api/sign_out");
    let res = crate::helpers::TestApp::new_client()
        .post(url)
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert_eq!(res.headers()["location"], "/signin");
}

async fn a_signed_out_visitor_of_a_page_is_redirected_to_sign_in_and_back(app: &TestApp) {
    app.create_user("ada@example.org", app::model::user::Role::Admin, crate::helpers::PASSWORD).await;
    let res = crate::helpers::TestApp::new_client()
        .get(app.url("/customers?stage=active"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/signin?next=/customers%3Fstage%3Dactive");
}

async fn after_sign_in_next_only_ever_leads_to_a_path_on_this_site(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, crate::helpers::PASSWORD).await;
    let hostile = [
        "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example", "/\\evil.example",
        "\\\\evil.example", "https://evil.example", "http:evil.example", "/%09/evil.example", " //evil.example",
        "javascript:alert(1)", "/\u{7f}", "/\u{2028}//evil.example",
    ];
    for next in hostile {
        let res = TestApp::new_client()
            .post(app.url("/api/sign_in"))
            .header("accept", "text/html")
            .header("sec-fetch-site", "same-origin")
            .form(&[("email", "ada@example.org"), ("password", crate::helpers::PASSWORD), ("next", next)])
            .send()
            .await
            .unwrap_or_else(|e| panic!("{next:?}: no answer: {e}"));
        assert!(res.status().is_redirection(), "{next:?}: {}", res.status());
        let location = res.headers()["location"].to_str().unwrap().to_string();
        assert!(
            location == "/" || (location.starts_with('/') && !location.starts_with("//") && !location.contains('\\')),
            "{next:?} sent the browser to {location:?}"
        );
        // The sign-in page itself renders with such a `next` in its URL.
        let page = reqwest::get(app.url(&format!("/signin?next={}", crate::hostile::query_value(next)))).await.unwrap();
        assert_eq!(page.status(), 200, "{next:?}");
    }
    let res = TestApp::new_client()
        .post(app.url("/api/sign_in"))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "ada@example.org"), ("password", crate::helpers::PASSWORD), ("next", "/customers?stage=active")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/customers?stage=active");
}

async fn a_post_whose_origin_differs_in_scheme_or_port_is_refused(app: &TestApp) {
    let base = app.base.clone();
    let port_less = base.rsplit_once(':').map(|(h, _)| h.to_string()).unwrap_or_default();
    for origin in [base.replace("http://", "https://"), format!("{port_less}:1"), "null".to_string()] {
        let res = reqwest::Client::new()
            .post(app.url("/api/sign_in"))
            .header("origin", origin.as_str())
            .form(&[("email", "a@b.c"), ("password", "x")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403, "{origin}");
    }
    let res = reqwest::Client::new()
        .post(app.url("/api/sign_in"))
        .header("origin", base.as_str())
        .header("accept", "application/json")
        .form(&[("email", "a@b.c"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "our own origin passes");
}

async fn names_with_control_characters_are_refused_next_to_the_field(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, crate::helpers::PASSWORD).await;
    let admin = app.signed_in("ada@example.org", crate::helpers::PASSWORD).await;
    // NUL is refused before any function runs (PostgreSQL cannot store it), next to its field.
    let (status, err) = app
        .err(
            &admin,
            "/api/crm/create_customer",
            &[("kind", "organisation"), ("name", "Nul\u{0}Byte"), ("email", ""), ("phone", ""), ("stage", "prospect"), ("owner_id", ""), ("tags", ""), ("notes", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("name").is_some(), "{err:?}");
    for name in ["Acme\r\nBcc: victim@example.org", "Tab\there", "Bell\u{7}", "Next\u{85}Line"] {
        let (status, err) = app
            .err(
                &admin,
                "/api/crm/create_customer",
                &[("kind", "organisation"), ("name", name), ("email", ""), ("phone", ""), ("stage", "prospect"), ("owner_id", ""), ("tags", ""), ("notes", "")],
            )
            .await;
        assert_eq!(status, 422, "{name:?}");
        assert!(err.field_error("name").unwrap().contains("control characters"), "{err:?}");
        assert_eq!(err.value("name").as_deref(), Some(name), "what was typed comes back");
        let (status, err) = app.err(&admin, "/api/admin/create_team", &[("name", name)]).await;
        assert_eq!(status, 422, "team {name:?}");
        assert!(err.field_error("name").is_some());
        let (status, err) = app
            .err(&admin, "/api/admin/invite_user", &[("name", name), ("email", "new@example.org"), ("role", "member"), ("team_id", "")])
            .await;
        assert_eq!(status, 422, "user {name:?}");
        assert!(err.field_error("name").is_some());
        let (status, err) = app.err(&admin, "/api/update_profile", &[("name", name), ("timezone", "UTC")]).await;
        assert_eq!(status, 422, "profile {name:?}");
        assert!(err.field_error("name").is_some());
    }
    // Notes may hold line breaks: they are multi-line text, never a header.
    let _: i32 = app
        .ok(
            &admin,
            "/api/crm/create_customer",
            &[("kind", "organisation"), ("name", "Acme"), ("email", ""), ("phone", ""), ("stage", "prospect"), ("owner_id", ""), ("tags", ""), ("notes", "line one\r\nline two")],
        )
        .await;
}

on_both_databases!(
    after_sign_in_next_only_ever_leads_to_a_path_on_this_site,
    a_post_whose_origin_differs_in_scheme_or_port_is_refused,
    names_with_control_characters_are_refused_next_to_the_field,
    a_signed_out_visitor_of_a_page_is_redirected_to_sign_in_and_back,
    health_answers_and_readiness_follows_the_database,
    html_pages_carry_a_nonce_csp_and_the_other_security_headers,
    posts_from_another_site_are_refused_with_403,
    anonymous_callers_are_refused_by_every_non_public_server_function,
    members_are_refused_by_every_admin_server_function,
    a_plain_form_post_without_a_session_is_sent_to_sign_in,
);
