//! The CRM core. It owns customers and their contacts' data (`customers`), custom fields
//! and their values (`fields`), the pipeline stages (`stages`), the timeline of interactions
//! (`timeline`), follow-ups (`follow_ups`), CSV export (`export`) and CSV imports
//! (`imports`).

pub mod customers;
pub mod export;
pub mod fields;
pub mod follow_ups;
pub mod imports;
pub mod stages;
pub mod timeline;
