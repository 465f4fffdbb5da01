//! Reusable view pieces: the app shell, form fields with their errors, guards, what a page
//! shows around the data it loads (loading, error alert, not found), pagers, list filters and
//! charts.

pub mod chart;
pub mod filter;
pub mod form;
pub mod guard;
pub mod layout;
pub mod loaded;
pub mod pager;
pub mod raw_text;
