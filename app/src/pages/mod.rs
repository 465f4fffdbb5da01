//! Route components, one module per area.

pub mod account;
pub mod admin;
pub mod auth;
pub mod customers;
pub mod errors;
pub mod home;
pub mod processes;
pub mod tokens;
