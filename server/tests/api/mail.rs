//! The outbox and the account flows that send mail: invitations, password resets,
//! deactivation, on SQLite and PostgreSQL.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::model::user::{Role, Viewer};
use app::server::entities::{one_time_token, outbox_message, session};
use app::server::mailer::{Email, Mailer, SendError};
use app::server::services::platform::outbox;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, Set};

fn mailbox(app: &TestApp) -> app::server::mailer::MemoryMailbox {
    match &app.state.mailer {
        Mailer::Memory(m) => m.clone(),
        _ => panic!("tests use the memory mailer"),
    }
}

fn link_in(text: &str) -> String {
    let start = text.find("http").expect("a link in the email");
    text[start..].split_whitespace().next().unwrap().to_string()
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_string()
}

async fn queue(app: &TestApp, key: &str) -> bool {
    outbox::enqueue(
        &app.state.db,
        outbox::NewMessage {
            email: Email::new("x@example.org", "Hello", "hi".into(), "<p>hi</p>".into()).unwrap(),
            category: "test",
            dedupe_key: key.into(),
            secret: None,
        },
    )
    .await
    .unwrap()
}

async fn outbox_retries_temporary_failures_and_gives_up_on_permanent_ones(app: &TestApp) {
    let mail = mailbox(app);
    assert!(queue(app, "one").await);
    assert!(
        !queue(app, "one").await,
        "the same dedupe key is queued once"
    );
    mail.fail_next
        .lock()
        .unwrap()
        .push(SendError::Temporary("421 try later".into()));
    let report = outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
        .await
        .unwrap();
    assert_eq!(report.retried, 1);
    let row = outbox_message::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("pending", 1));
    assert!(
        row.next_attempt_at > app::server::services::platform::now(),
        "the retry waits for its backoff"
    );
    assert_eq!(row.last_error.as_deref(), Some("421 try later"));
    // Not due yet: nothing is sent.
    assert_eq!(
        outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
            .await
            .unwrap()
            .sent,
        0
    );
    let mut due: outbox_message::ActiveModel = row.into();
    due.next_attempt_at = Set(app::server::services::platform::now());
    due.update(&app.state.db).await.unwrap();
    assert_eq!(
        outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
            .await
            .unwrap()
            .sent,
        1
    );
    assert_eq!(mail.sent().len(), 1);

    assert!(queue(app, "two").await);
    mail.fail_next
        .lock()
        .unwrap()
        .push(SendError::Permanent("550 no such user".into()));
    assert_eq!(
        outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
            .await
            .unwrap()
            .failed,
        1
    );
    assert_eq!(
        outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
            .await
            .unwrap(),
        Default::default()
    );
    assert_eq!(mail.sent().len(), 1, "a permanent failure is not retried");
}

async fn without_smtp_mail_is_held_in_the_outbox(app: &TestApp) {
    queue(app, "held").await;
    let report = outbox::dispatch_due(&app.state.db, &Mailer::Disabled, 10)
        .await
        .unwrap();
    assert_eq!(report.held, 1);
    let row = outbox_message::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status.as_str(), "held");
    assert_eq!(
        row.last_error.as_deref(),
        Some("not sent: no SMTP configured")
    );
}

async fn an_invited_user_sets_a_password_from_the_emailed_link_once(app: &TestApp) {
    app.create_user("boss@example.org", Role::Admin, "saffron-kettle-3391")
        .await;
    let admin = app
        .signed_in("boss@example.org", "saffron-kettle-3391")
        .await;
    let res = app
        .call(
            &admin,
            "/api/admin/invite_user",
            &[
                ("name", "Noor Haddad"),
                ("email", "noor@example.org"),
                ("role", "member"),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let dup = app
        .call(
            &admin,
            "/api/admin/invite_user",
            &[
                ("name", "Noor Again"),
                ("email", "NOOR@example.org"),
                ("role", "member"),
                ("team_id", ""),
            ],
        )
        .await;
    assert_eq!(dup.status(), 422, "the email is taken");

    outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
        .await
        .unwrap();
    let sent = mailbox(app).sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].to(), "noor@example.org");
    let link = link_in(sent[0].text());
    assert!(
        link.starts_with(&format!("{}/accept-invite?token=", app.base)),
        "{link}"
    );
    let token = token_of(&link);

    let guest = TestApp::new_client();
    let weak = app
        .call(
            &guest,
            "/api/set_password_from_link",
            &[
                ("token", &token),
                ("purpose", "invite"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let ok = app
        .call(
            &guest,
            "/api/set_password_from_link",
            &[
                ("token", &token),
                ("purpose", "invite"),
                ("password", "lantern-quartz-6620"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let viewer: Viewer = app
        .call(&guest, "/api/get_viewer", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(viewer.user.unwrap().email, "noor@example.org");
    let again = app
        .call(
            &TestApp::new_client(),
            "/api/set_password_from_link",
            &[
                ("token", &token),
                ("purpose", "invite"),
                ("password", "lantern-quartz-6621"),
            ],
        )
        .await;
    assert_eq!(again.status(), 422, "a link works once");
    let audit = app::server::entities::audit_log::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(audit.iter().any(|a| {
        a.action == "user.invite"
            && a.after_value
                .as_deref()
                .unwrap_or("")
                .contains("noor@example.org")
    }));
}

async fn a_reset_link_expires_after_an_hour_and_ends_other_sessions(app: &TestApp) {
    app.create_user("rui@example.org", Role::Member, "copper-willow-8841")
        .await;
    let old_session = app.signed_in("rui@example.org", "copper-willow-8841").await;
    let guest = TestApp::new_client();
    let unknown = app
        .call(
            &guest,
            "/api/forgot_password",
            &[("email", "nobody@example.org")],
        )
        .await;
    assert_eq!(
        unknown.status(),
        200,
        "the form does not reveal who has an account"
    );
    let res = app
        .call(
            &guest,
            "/api/forgot_password",
            &[("email", "rui@example.org")],
        )
        .await;
    assert_eq!(res.status(), 200);
    outbox::dispatch_due(&app.state.db, &app.state.mailer, 10)
        .await
        .unwrap();
    let sent = mailbox(app).sent();
    assert_eq!(sent.len(), 1, "only the real account gets mail");
    let token = token_of(&link_in(sent[0].text()));

    let row = one_time_token::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let lifetime = row.expires_at - row.created_at;
    assert_eq!(lifetime.num_minutes(), 60);
    let mut expired: one_time_token::ActiveModel = row.clone().into();
    expired.expires_at = Set(app::server::services::platform::now() - chrono::Duration::seconds(1));
    expired.update(&app.state.db).await.unwrap();
    let late = app
        .call(
            &guest,
            "/api/set_password_from_link",
            &[
                ("token", &token),
                ("purpose", "reset"),
                ("password", "ember-violet-5532"),
            ],
        )
        .await;
    assert_eq!(late.status(), 422);
    let mut live: one_time_token::ActiveModel = row.into();
    live.expires_at = Set(app::server::services::platform::now() + chrono::Duration::minutes(5));
    live.update(&app.state.db).await.unwrap();
    let ok = app
        .call(
            &guest,
            "/api/set_password_from_link",
            &[
                ("token", &token),
                ("purpose", "reset"),
                ("password", "ember-violet-5532"),
            ],
        )
        .await;
    assert_eq!(ok.status(), 200);
    let old: Viewer = app
        .call(&old_session, "/api/get_viewer", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(old.user.is_none(), "the reset ended the old session");
}

async fn deactivating_a_user_ends_their_sessions_at_once(app: &TestApp) {
    app.create_user("chief@example.org", Role::Admin, "walnut-beacon-2204")
        .await;
    let victim = app
        .create_user("tam@example.org", Role::Member, "meadow-signal-7719")
        .await;
    let admin = app
        .signed_in("chief@example.org", "walnut-beacon-2204")
        .await;
    let tam = app.signed_in("tam@example.org", "meadow-signal-7719").await;
    let res = app
        .call(
            &admin,
            "/api/admin/set_user_active",
            &[("user_id", &victim.to_string()), ("active", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let gone: Viewer = app
        .call(&tam, "/api/get_viewer", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(gone.user.is_none());
    let sessions = session::Entity::find().all(&app.state.db).await.unwrap();
    assert!(sessions.iter().all(|s| s.user_id != victim));
    let refused = app
        .call(
            &TestApp::new_client(),
            "/api/sign_in",
            &[
                ("email", "tam@example.org"),
                ("password", "meadow-signal-7719"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422, "a deactivated user cannot sign in");
    let back = app
        .call(
            &admin,
            "/api/admin/set_user_active",
            &[("user_id", &victim.to_string()), ("active", "true")],
        )
        .await;
    assert_eq!(back.status(), 200);
    app.signed_in("tam@example.org", "meadow-signal-7719").await;
}

async fn forgot_password(app: &TestApp, client: &reqwest::Client, email: &str) -> u16 {
    app.call(client, "/api/forgot_password", &[("email", email)]).await.status().as_u16()
}

async fn a_delivered_reset_mail_leaves_no_usable_token_in_the_database_or_on_any_page(app: &TestApp) {
    app.create_user("boss@example.org", Role::Admin, "saffron-kettle-3391").await;
    app.create_user("rui@example.org", Role::Member, "copper-willow-8841").await;
    let admin = app.signed_in("boss@example.org", "saffron-kettle-3391").await;
    assert_eq!(forgot_password(app, &TestApp::new_client(), "rui@example.org").await, 200);
    let queued = outbox_message::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    let token = token_of(&link_in(&queued.body_text));

    // With SMTP configured, an admin never sees the live link, even before it is sent.
    let pending: app::model::admin::Mailbox = app.ok(&admin, "/api/admin/list_outbox", &[]).await;
    assert!(pending.delivering);
    assert!(!pending.messages[0].body_text.contains(&token), "{}", pending.messages[0].body_text);
    assert!(pending.messages[0].body_text.contains(outbox::STRUCK));

    outbox::dispatch_due(&app.state.db, &app.state.mailer, 10).await.unwrap();
    assert!(mailbox(app).sent()[0].text().contains(&token), "the recipient got the link");
    let row = outbox_message::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "sent");
    for stored in [&row.body_text, &row.body_html] {
        assert!(!stored.contains(&token), "the delivery log keeps no token: {stored}");
        assert!(stored.contains(outbox::STRUCK));
    }
    assert_eq!(row.secret, None);
    // (The mailbox page shows exactly what `list_outbox` answers.)
    let after: app::model::admin::Mailbox = app.ok(&admin, "/api/admin/list_outbox", &[]).await;
    assert!(!after.messages[0].body_text.contains(&token));
    // The recipient's link still works (the token itself is stored only as a hash).
    let ok = app
        .call(
            &TestApp::new_client(),
            "/api/set_password_from_link",
            &[("token", &token), ("purpose", "reset"), ("password", "ember-violet-5532")],
        )
        .await;
    assert_eq!(ok.status(), 200);
}

async fn without_smtp_a_held_message_keeps_its_link_for_the_development_mailbox(app: &TestApp) {
    app.create_user("rui@example.org", Role::Member, "copper-willow-8841").await;
    assert_eq!(forgot_password(app, &TestApp::new_client(), "rui@example.org").await, 200);
    outbox::dispatch_due(&app.state.db, &Mailer::Disabled, 10).await.unwrap();
    let row = outbox_message::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "held");
    let token = token_of(&link_in(&row.body_text));
    assert_eq!(row.secret.as_deref(), Some(token.as_str()));
}

async fn five_reset_requests_in_a_row_send_one_mail_and_more_are_throttled_alike_for_unknown_addresses(app: &TestApp) {
    use app::server::services::platform::accounts::{RESET_MAX_PER_CLIENT, RESET_MAX_PER_EMAIL};
    app.create_user("rui@example.org", Role::Member, "copper-willow-8841").await;
    let client = TestApp::new_client();
    for _ in 0..RESET_MAX_PER_EMAIL {
        assert_eq!(forgot_password(app, &client, "rui@example.org").await, 200);
        assert_eq!(forgot_password(app, &client, "nobody@example.org").await, 200);
    }
    outbox::dispatch_due(&app.state.db, &app.state.mailer, 50).await.unwrap();
    assert_eq!(mailbox(app).sent().len(), 1, "one mail for five requests");
    let live = one_time_token::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(live.len(), 1, "one live reset token per account");
    let known = app.call(&client, "/api/forgot_password", &[("email", "rui@example.org")]).await;
    let unknown = app.call(&client, "/api/forgot_password", &[("email", "nobody@example.org")]).await;
    assert_eq!((known.status().as_u16(), unknown.status().as_u16()), (429, 429));
    assert_eq!(
        known.text().await.unwrap(),
        unknown.text().await.unwrap(),
        "the same answer whether the address has an account or not"
    );
    // Per client: many addresses from one client are throttled too.
    let used = 2 * RESET_MAX_PER_EMAIL;
    for i in used..RESET_MAX_PER_CLIENT {
        assert_eq!(forgot_password(app, &client, &format!("probe{i}@example.org")).await, 200);
    }
    assert_eq!(forgot_password(app, &client, "one-more@example.org").await, 429);
}

/// Two dispatchers (two instances) and a slow SMTP server: the first one's send outlasts its
/// lease, so it is cut off before the lease ends; the second claims the message once it is due
/// again and delivers it. One delivery, and the message is marked sent once.
async fn a_send_held_past_its_lease_is_delivered_once(app: &TestApp) {
    let mail = mailbox(app);
    assert!(queue(app, "slow").await);
    mail.hold_next.lock().unwrap().push(std::time::Duration::from_secs(3));
    let lease = chrono::TimeDelta::seconds(2);
    let first = {
        let (db, mailer) = (app.state.db.clone(), app.state.mailer.clone());
        tokio::spawn(async move { outbox::dispatch(&db, &mailer, 10, lease).await.unwrap() })
    };
    // While the first holds it, a second dispatcher finds nothing to send.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(outbox::dispatch(&app.state.db, &app.state.mailer, 10, lease).await.unwrap(), Default::default());
    let first = first.await.unwrap();
    assert_eq!((first.sent, first.retried), (0, 1), "cut off before its lease ended: {first:?}");
    let row = outbox_message::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!((row.status.as_str(), row.attempts, row.lease_token.as_deref()), ("pending", 1, None));
    assert!(row.last_error.as_deref().unwrap().contains("lease"), "{:?}", row.last_error);
    // Once it is due again, the other instance sends it.
    let mut due: outbox_message::ActiveModel = row.into();
    due.next_attempt_at = Set(app::server::services::platform::now());
    due.update(&app.state.db).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // the first's send would be over by now
    assert_eq!(outbox::dispatch(&app.state.db, &app.state.mailer, 10, lease).await.unwrap().sent, 1);
    assert_eq!(mail.sent().len(), 1, "delivered once");
    let row = outbox_message::Entity::find().one(&app.state.db).await.unwrap().unwrap();
    assert_eq!(row.status.as_str(), "sent");
}

/// A worker whose lease ran out and was claimed by another writes nothing when it finishes.
async fn a_lease_lost_to_another_worker_writes_nothing(app: &TestApp) {
    use app::server::services::platform::leases;
    use sea_orm::{Condition, QueryFilter, sea_query::Expr};
    assert!(queue(app, "leased").await);
    let db = &app.state.db;
    let id = outbox_message::Entity::find().one(db).await.unwrap().unwrap().id;
    let minute = chrono::TimeDelta::minutes(1);
    let first = leases::claim::<outbox_message::Entity, _>(db, id, Condition::all(), minute).await.unwrap().unwrap();
    assert!(leases::claim::<outbox_message::Entity, _>(db, id, Condition::all(), minute).await.unwrap().is_none(), "held");
    let mark = |error: &str| outbox_message::Entity::update_many().col_expr(outbox_message::Column::LastError, Expr::value(error.to_string()));
    // The first worker stalls past its lease; a second takes the row over.
    outbox_message::Entity::update_many()
        .col_expr(outbox_message::Column::LockedUntil, Expr::value(app::server::services::platform::now() - minute))
        .filter(outbox_message::Column::Id.eq(id))
        .exec(db)
        .await
        .unwrap();
    assert!(!leases::finish(db, &first, mark("late")).await.unwrap(), "an expired lease writes nothing, taken over or not");
    let second = leases::claim::<outbox_message::Entity, _>(db, id, Condition::all(), minute).await.unwrap().unwrap();
    assert_ne!(first.token, second.token);
    assert!(!leases::finish(db, &first, mark("first")).await.unwrap(), "the first worker is told it lost the lease");
    assert!(leases::finish(db, &second, mark("second")).await.unwrap());
    let row = outbox_message::Entity::find_by_id(id).one(db).await.unwrap().unwrap();
    assert_eq!((row.last_error.as_deref(), row.lease_token, row.locked_until), (Some("second"), None, None));
}

on_both_databases!(
    a_send_held_past_its_lease_is_delivered_once,
    a_lease_lost_to_another_worker_writes_nothing,
    a_delivered_reset_mail_leaves_no_usable_token_in_the_database_or_on_any_page,
    without_smtp_a_held_message_keeps_its_link_for_the_development_mailbox,
    five_reset_requests_in_a_row_send_one_mail_and_more_are_throttled_alike_for_unknown_addresses,
    outbox_retries_temporary_failures_and_gives_up_on_permanent_ones,
    without_smtp_mail_is_held_in_the_outbox,
    an_invited_user_sets_a_password_from_the_emailed_link_once,
    a_reset_link_expires_after_an_hour_and_ends_other_sessions,
    deactivating_a_user_ends_their_sessions_at_once,
);

/// Delivers through a real SMTP server (maildev, started by `.ci/test.sh`) and reads the
/// message back from its web API.
#[tokio::test]
async fn mail_is_delivered_over_real_smtp() {
    let (Ok(smtp), Ok(api)) = (
        std::env::var("RAPPORT_TEST_SMTP_URL"),
        std::env::var("RAPPORT_TEST_SMTP_API"),
    ) else {
        eprintln!(
            "SKIPPING the real SMTP test: RAPPORT_TEST_SMTP_URL / RAPPORT_TEST_SMTP_API are not set"
        );
        return;
    };
    let app = TestApp::spawn(app::server::testing::Backend::Sqlite)
        .await
        .unwrap();
    let mut config = (*app.state.config).clone();
    config.smtp_url = Some(smtp);
    let mailer = Mailer::from_config(&config).unwrap();
    let subject = format!("SMTP check {}", app::server::services::platform::new_token().0);
    outbox::enqueue(
        &app.state.db,
        outbox::NewMessage {
            email: Email::new(
                "someone@example.org",
                &subject,
                "Plain <b>text</b>".into(),
                "<p>Plain &lt;b&gt;text&lt;/b&gt;</p>".into(),
            )
            .and_then(|e| e.with_header("X-Rapport-Check", "one line"))
            .unwrap(),
            category: "test",
            dedupe_key: subject.clone(),
            secret: None,
        },
    )
    .await
    .unwrap();
    let report = outbox::dispatch_due(&app.state.db, &mailer, 10)
        .await
        .unwrap();
    assert_eq!(report.sent, 1, "{report:?}");
    let emails: serde_json::Value = reqwest::get(format!("{api}/email"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = emails
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["subject"] == subject.as_str())
        .expect("the sink received it");
    assert_eq!(found["to"][0]["address"], "someone@example.org");
    assert_eq!(found["headers"]["x-rapport-check"], "one line", "extra headers are sent");
    assert!(
        found["text"]
            .as_str()
            .unwrap()
            .contains("Plain <b>text</b>")
    );
    app.stop().await;
}
