//! sea-orm entities: the database rows. Server-only; converted to `crate::model` types before
//! anything reaches the browser.

pub mod activity_event;
pub mod api_token;
pub mod app_user;
pub mod audit_log;
pub mod contact;
pub mod custom_field;
pub mod custom_value;
pub mod customer;
pub mod customer_import;
pub mod customer_import_row;
pub mod customer_tag;
pub mod follow_up;
pub mod interaction;
pub mod lifecycle_stage;
pub mod one_time_token;
pub mod outbox_message;
pub mod password_reset_request;
pub mod process_run;
pub mod process_run_event;
pub mod process_step;
pub mod process_step_run;
pub mod process_template;
pub mod process_version;
pub mod session;
pub mod setting;
pub mod sign_in_failure;
pub mod team;
pub mod team_manager;
