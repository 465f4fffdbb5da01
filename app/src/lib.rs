//! Rapport's isomorphic crate: one component tree rendered on the server (`ssr`) and hydrated
//! in the browser (`hydrate`), the shared types that cross the wire, the server functions, and
//! (server only) the entities, services, auth and mail that do the work.
#![recursion_limit = "512"]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod app;
pub mod components;
pub mod error;
pub mod model;
pub mod pages;
pub mod prefetch;
#[cfg(feature = "ssr")]
pub mod server;

pub use app::{App, AssetRoot, shell};
