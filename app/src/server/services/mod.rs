//! Business rules, one folder per area. Each service function takes a connection or
//! transaction and returns `AppResult`; server functions and HTTP handlers only find the caller
//! and call these.
//!
//! - `platform`: people, access, sign-in, audit, mail and time; imports no area.
//! - `crm`: customers and what hangs off them (fields, stages, timeline, follow-ups, import
//!   and export).
//! - `processes`: guided process templates and their runs.
//! - `seed`: demo and benchmark data.
//! - `events`: the one stream of what happens, and each area's reaction to it.

pub mod crm;
pub mod events;
pub mod platform;
pub mod processes;
pub mod seed;
