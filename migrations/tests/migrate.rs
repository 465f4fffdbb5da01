//! The migrations apply and roll back cleanly on SQLite and, when `TEST_DATABASE_URL` names a
//! PostgreSQL server, on a fresh PostgreSQL database.

use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};

async fn fresh_postgres(base: &str, name: &str) -> DatabaseConnection {
    let admin = Database::connect(format!("{base}/postgres"))
        .await
        .expect("connect to PostgreSQL");
    let backend = admin.get_database_backend();
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("DROP DATABASE IF EXISTS {name}"),
        ))
        .await
        .expect("drop old test database");
    admin
        .execute_raw(Statement::from_string(
            backend,
            format!("CREATE DATABASE {name}"),
        ))
        .await
        .expect("create test database");
    Database::connect(format!("{base}/{name}"))
        .await
        .expect("connect to test database")
}

async fn up_down_up(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("migrate up");
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .is_empty()
    );
    Migrator::down(db, None).await.expect("migrate down");
    assert!(
        !Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .is_empty()
    );
    Migrator::up(db, None).await.expect("migrate up again");
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM app_user",
        ))
        .await
        .expect("query app_user")
        .expect("one row");
    let n: i64 = row.try_get("", "n").expect("count");
    assert_eq!(n, 0);
}

#[tokio::test]
async fn migrations_apply_and_roll_back_on_sqlite() {
    let db = Database::connect("sqlite::memory:").await.expect("sqlite");
    up_down_up(&db).await;
}

#[tokio::test]
async fn migrations_apply_and_roll_back_on_postgres() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL unset: skipping the PostgreSQL migration test");
        return;
    };
    let db = fresh_postgres(base.trim_end_matches('/'), "rapport_test_migrations").await;
    up_down_up(&db).await;
}

/// Messages delivered before the outbox learned to strike tokens lose their bodies; pending
/// ones and ones without a link keep theirs.
async fn delivered_links_from_before_are_removed(db: &DatabaseConnection) {
    Migrator::up(db, Some(6)).await.expect("migrate to before the change");
    let backend = db.get_database_backend();
    for (key, status, body) in [
        ("a", "sent", "Set your password: https://crm.example/accept-invite?token=LIVE1"),
        ("b", "pending", "Choose a new password: https://crm.example/reset-password?token=LIVE2"),
        ("c", "sent", "Hello, no link here"),
    ] {
        db.execute_raw(Statement::from_string(
            backend,
            format!(
                "INSERT INTO outbox_message (recipient, subject, body_text, body_html, category, status, attempts, \
                 next_attempt_at, dedupe_key, created_at) VALUES ('x@example.org', 's', '{body}', '<p>{body}</p>', \
                 'security', '{status}', 1, '2026-11-30 10:00:00+00:00', '{key}', '2026-11-30 10:00:00+00:00')"
            ),
        ))
        .await
        .expect("insert an old message");
    }
    Migrator::up(db, None).await.expect("migrate up");
    let rows = db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT dedupe_key, body_text, body_html FROM outbox_message ORDER BY dedupe_key",
        ))
        .await
        .expect("read the outbox");
    let bodies: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "dedupe_key").expect("key"),
                r.try_get("", "body_text").expect("text"),
                r.try_get("", "body_html").expect("html"),
            )
        })
        .collect();
    assert!(!bodies[0].1.contains("LIVE1") && !bodies[0].2.contains("LIVE1"), "{bodies:?}");
    assert!(bodies[1].1.contains("LIVE2"), "a pending message is still to be delivered");
    assert_eq!(bodies[2].1, "Hello, no link here");
}

#[tokio::test]
async fn delivered_links_from_before_are_removed_on_sqlite() {
    let db = Database::connect("sqlite::memory:").await.expect("sqlite");
    delivered_links_from_before_are_removed(&db).await;
}

#[tokio::test]
async fn delivered_links_from_before_are_removed_on_postgres() {
    let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
        eprintln!("TEST_DATABASE_URL unset: skipping the PostgreSQL migration test");
        return;
    };
    let db = fresh_postgres(base.trim_end_matches('/'), "rapport_test_migration_links").await;
    delivered_links_from_before_are_removed(&db).await;
}
