//! Server-only code (`ssr` feature): configuration, shared state, database entities, the
//! services that hold the business rules, authentication guards, mail and the outbox.

pub mod auth;
pub mod config;
pub mod db;
pub mod entities;
pub mod mailer;
pub mod services;
pub mod state;
#[doc(hidden)]
pub mod testing;
