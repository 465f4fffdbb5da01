//! Connecting to SQLite or PostgreSQL with the settings each needs, and running migrations.

use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbErr};
use std::time::Duration;

/// Connects and migrates. SQLite gets WAL, a busy timeout and foreign keys; an in-memory
/// SQLite database is kept to one connection so every query sees the same data.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .sqlx_logging(false)
        .acquire_timeout(Duration::from_secs(10));
    if url.starts_with("sqlite:") {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        if in_memory {
            options.max_connections(1).min_connections(1);
        } else {
            options.max_connections(8);
        }
        options.map_sqlx_sqlite_opts(move |opts| {
            let opts = opts
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal);
            if in_memory {
                opts
            } else {
                opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            }
        });
    } else {
        options.max_connections(16);
    }
    let db = Database::connect(options).await?;
    Migrator::up(&db, None).await?;
    Ok(db)
}

/// Whether the database answers a trivial query (for `/readyz`).
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}
