//! HTTP tests against the real router on a random port, on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auth;
mod customers;
mod imports;
mod jobs;
pub mod helpers;
mod hostile;
mod malformed;
mod mail;
mod pool;
mod processes;
mod rendering;
mod rest;
mod security;
mod teams;
