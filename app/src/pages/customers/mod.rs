//! Customers: the list, the single customer view, and the create and edit forms.

pub mod detail;
pub mod form;
pub mod list;
pub mod import;
