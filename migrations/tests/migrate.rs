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
