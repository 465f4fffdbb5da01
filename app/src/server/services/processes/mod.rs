//! Process templates as admins build them: versions edited as drafts and frozen on publishing,
//! ordered steps with their kind, assignee rule and due offset, auto-start triggers, and the JSON
//! form used to review and provision templates.

mod json;
mod publish;
pub mod runs;
mod steps;
mod templates;
mod triggers;

pub use json::{export, import};
pub use publish::{publish, new_draft, discard_draft, archive_version, set_archived};
pub use steps::{CheckedStep, field_choices, check_step, add_step, update_step, move_step, remove_step, field_keys, due_label, assignee_label};
pub use templates::{create_template, current_version, save_draft, steps_of, list, startable, version_shown, visible, detail, version_detail};
pub use triggers::set_trigger;

const MAX_STEPS: usize = 100;

fn label(table: &[(&'static str, &'static str)], key: &str) -> String {
    crate::model::crm::label_of(table, key)
}
