//! The background jobs and stopping: on shutdown the jobs claim nothing new, finish what they
//! hold, and the server returns only after that; the real binary exits cleanly on SIGTERM.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::server::entities::outbox_message;
use app::server::mailer::{Email, Mailer};
use app::server::services::platform::outbox;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::time::{Duration, Instant};

async fn queue(app: &TestApp, key: &str) {
    let email = Email::new("x@example.org", key, "hi".into(), "<p>hi</p>".into()).unwrap();
    let message = outbox::NewMessage { email, category: "test", dedupe_key: key.into(), secret: None };
    assert!(outbox::enqueue(&app.state.db, message).await.unwrap());
}

async fn message(app: &TestApp, key: &str) -> outbox_message::Model {
    outbox_message::Entity::find()
        .filter(outbox_message::Column::DedupeKey.eq(key))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn stopping_lets_a_job_finish_what_it_holds_and_claim_nothing_new(app: &TestApp) {
    let Mailer::Memory(mail) = &app.state.mailer else { panic!("tests use the memory mailer") };
    queue(app, "held").await;
    mail.hold_next.lock().unwrap().push(Duration::from_millis(1500));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(server::serve_with_jobs(listener, app.state.clone(), async move {
        let _ = stopped.await;
    }));
    // The outbox job claims the message at once and is now in the middle of its (slow) send.
    let claimed = Instant::now();
    while message(app, "held").await.lease_token.is_none() {
        assert!(claimed.elapsed() < Duration::from_secs(10), "the outbox job never claimed the message");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(reqwest::get(format!("http://{addr}/healthz")).await.unwrap().status(), 200);
    stop.send(()).unwrap();
    queue(app, "after the stop").await;
    tokio::time::timeout(Duration::from_secs(20), server).await.expect("stopped in time").unwrap().unwrap();
    assert!(claimed.elapsed() >= Duration::from_millis(1200), "it returned before the held send ended");
    // What it held was finished; nothing new was claimed; no new connection is taken.
    assert_eq!(mail.sent().len(), 1);
    assert_eq!(message(app, "held").await.status.as_str(), "sent");
    let later = message(app, "after the stop").await;
    assert_eq!((later.status.as_str(), later.attempts, later.lease_token), ("pending", 0, None));
    assert!(reqwest::get(format!("http://{addr}/healthz")).await.is_err(), "the listener is closed");
}

on_both_databases!(stopping_lets_a_job_finish_what_it_holds_and_claim_nothing_new);

/// The real binary, on a scratch SQLite file: it serves, and on SIGTERM it stops its jobs and
/// exits with success, saying so in its log.
#[tokio::test]
async fn the_server_exits_cleanly_on_sigterm() {
    let scratch = std::env::temp_dir().join(format!("rapport-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let log = std::fs::File::create(scratch.join("server.log")).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        // Not the crate directory: a shared target directory may hold this binary built from
        // another clone, since removed.
        .current_dir(&scratch)
        .env("LEPTOS_OUTPUT_NAME", "rapport")
        .env("LEPTOS_SITE_ROOT", scratch.join("site"))
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("DATABASE_URL", format!("sqlite://{}?mode=rwc", scratch.join("rapport.db").display()))
        .env("RAPPORT_SETUP_TOKEN", "sigterm-test-setup-token")
        .env("RUST_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if let Ok(res) = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await
            && res.status() == 200
        {
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the server exited early: {}", std::fs::read_to_string(scratch.join("server.log")).unwrap());
        assert!(started.elapsed() < Duration::from_secs(60), "the server did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let killed = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let waited = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(waited.elapsed() < Duration::from_secs(30), "still running 30 s after SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let output = std::fs::read_to_string(scratch.join("server.log")).unwrap();
    assert!(status.success(), "exit {status}: {output}");
    assert!(output.contains("background jobs stopped"), "{output}");
    let _ = std::fs::remove_dir_all(&scratch);
}
