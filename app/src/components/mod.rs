//! Reusable view pieces: the app shell, form fields with their errors, guards.

pub mod form;
pub mod guard;
pub mod layout;
pub mod pager;
pub mod raw_text;
