//! Route components, one module per area.

pub mod auth;
pub mod errors;
pub mod home;
