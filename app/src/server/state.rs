//! The state every request handler and server function shares.

use super::config::Config;
use super::mailer::Mailer;
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    /// Behind an `Arc`: the state is cloned for every request, and `LeptosOptions` is large.
    pub leptos_options: Arc<LeptosOptions>,
    pub mailer: Mailer,
    /// Set once a user exists: first-run setup is then never needed again, so anonymous page
    /// renders stop asking the database.
    pub setup_done: Arc<std::sync::atomic::AtomicBool>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        LeptosOptions::clone(&state.leptos_options)
    }
}
