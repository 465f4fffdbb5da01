//! Test support shared by the service tests and the HTTP tests: a migrated SQLite database in
//! memory or in a file (as a production SQLite installation runs: a pool of connections, WAL),
//! or a fresh PostgreSQL database on the server named by `TEST_DATABASE_URL`, created
//! for one test and dropped after it.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::sync::atomic::{AtomicU32, Ordering};

static COUNTER: AtomicU32 = AtomicU32::new(0);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    /// A SQLite file in the temporary directory, removed by `cleanup`.
    SqliteFile,
    Postgres,
}

/// A database for one test; call `cleanup` at its end to drop a PostgreSQL database.
pub struct TestDb {
    pub url: String,
    pub db: DatabaseConnection,
    postgres: Option<(String, String)>,
    file: Option<std::path::PathBuf>,
}

impl TestDb {
    /// A fresh database on `backend`, or `None` (with a loud note) when PostgreSQL is asked for
    /// and `TEST_DATABASE_URL` is unset.
    pub async fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite | Backend::SqliteFile => {
                let file = (backend == Backend::SqliteFile).then(|| {
                    let dir = std::env::temp_dir().join(format!(
                        "rapport-t-{}-{}",
                        std::process::id(),
                        COUNTER.fetch_add(1, Ordering::SeqCst)
                    ));
                    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                    dir
                });
                let url = match &file {
                    Some(dir) => format!("sqlite://{}/rapport.db?mode=rwc", dir.display()),
                    None => "sqlite::memory:".to_string(),
                };
                let db = super::db::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("{url}: {e}"));
                Some(TestDb {
                    url,
                    db,
                    postgres: None,
                    file,
                })
            }
            Backend::Postgres => {
                let Ok(base) = std::env::var("TEST_DATABASE_URL") else {
                    eprintln!("SKIPPING the PostgreSQL variant: TEST_DATABASE_URL is not set");
                    return None;
                };
                let base = base.trim_end_matches('/').to_string();
                let name = format!(
                    "rapport_t_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    chrono::Utc::now().timestamp_subsec_nanos()
                );
                let admin = Database::connect(format!("{base}/postgres"))
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {base}: {e}"));
                admin
                    .execute_raw(Statement::from_string(
                        admin.get_database_backend(),
                        format!("CREATE DATABASE {name}"),
                    ))
                    .await
                    .unwrap_or_else(|e| panic!("create database: {e}"));
                let _ = admin.close().await;
                let url = format!("{base}/{name}");
                let db = super::db::connect(&url)
                    .await
                    .unwrap_or_else(|e| panic!("postgres: {e}"));
                Some(TestDb {
                    url,
                    db,
                    postgres: Some((base, name)),
                    file: None,
                })
            }
        }
    }

    /// Closes the connections and drops the PostgreSQL database or removes the SQLite file.
    pub async fn cleanup(self) {
        let _ = self.db.close().await;
        if let Some(dir) = &self.file {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((base, name)) = self.postgres
            && let Ok(admin) = Database::connect(format!("{base}/postgres")).await
        {
            let _ = admin
                .execute_raw(Statement::from_string(
                    admin.get_database_backend(),
                    format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ))
                .await;
            let _ = admin.close().await;
        }
    }
}
