//! Process templates, their versions and steps, and runs of them on customers, as the browser
//! sees them.

use crate::model::crm::{Choice, CustomInput};
use crate::model::states::{RunStatus, StepKind, StepStatus, VersionStatus};

use crate::model::user::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const ASSIGNEE_RULES: [(&str, &str); 3] = [
    ("owner", "The run's owner"),
    ("role", "A role in the customer's team"),
    ("user", "A named person"),
];

pub const DUE_UNITS: [(&str, &str); 2] = [("hours", "hours"), ("days", "days")];

pub const DUE_FROM: [(&str, &str); 2] = [
    ("start", "after the run starts"),
    ("previous", "after the step before is done"),
];

pub const TRIGGERS: [(&str, &str); 3] = [
    ("manual", "Started by hand only"),
    ("customer_created", "When a customer is created"),
    ("stage_changed", "When a customer's stage changes to…"),
];

/// Core customer fields a data step can ask for (custom fields are offered by key as well).
pub const CORE_DATA_FIELDS: [(&str, &str); 3] =
    [("name", "Name"), ("email", "Email"), ("phone", "Phone")];

/// The step editor's form. Strings as typed, so that a rejected form comes back intact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub guidance: String,
    #[serde(default)]
    pub tip: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub assignee_rule: String,
    /// For the `role` rule: `member`, `manager` or `admin`.
    #[serde(default)]
    pub assignee_role: String,
    /// For the `user` rule: a user id.
    #[serde(default)]
    pub assignee_user_id: String,
    /// Empty: no due time.
    #[serde(default)]
    pub due_amount: String,
    #[serde(default)]
    pub due_unit: String,
    #[serde(default)]
    pub due_from: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub working_days: String,
    #[serde(default)]
    pub optional: String,
    /// For data steps: the ticked field keys (`fields[key]=on`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl StepForm {
    pub fn ticked(value: &str) -> bool {
        matches!(value, "on" | "true" | "1" | "yes")
    }

    /// The form's fields as (name, value) pairs, to carry back in a validation error.
    pub fn values(&self) -> Vec<(String, String)> {
        [
            ("title", &self.title),
            ("guidance", &self.guidance),
            ("tip", &self.tip),
            ("kind", &self.kind),
            ("assignee_rule", &self.assignee_rule),
            ("assignee_role", &self.assignee_role),
            ("assignee_user_id", &self.assignee_user_id),
            ("due_amount", &self.due_amount),
            ("due_unit", &self.due_unit),
            ("due_from", &self.due_from),
            ("working_days", &self.working_days),
            ("optional", &self.optional),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .chain(
            self.fields
                .iter()
                .filter(|(_, v)| Self::ticked(v))
                .map(|(k, _)| (format!("field_{k}"), "on".to_string())),
        )
        .collect()
    }
}

/// A step of a version as the editor, the preview and the JSON export show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDef {
    pub id: i32,
    pub position: i32,
    pub title: String,
    pub guidance: String,
    pub tip: String,
    pub kind: StepKind,
    pub assignee_rule: String,
    pub assignee_role: Option<Role>,
    pub assignee_user_id: Option<i32>,
    /// "The run's owner", "A manager of the customer's team", "Nina Novak".
    pub assignee_label: String,
    pub due_amount: Option<i32>,
    pub due_unit: String,
    pub due_from: String,
    pub working_days: bool,
    /// "Due 2 working days after the step before is done", or "No due time".
    pub due_label: String,
    pub optional: bool,
    pub fields: Vec<String>,
    pub field_labels: Vec<String>,
    /// The step's current values as the editor's form.
    pub form: StepForm,
}

/// One row of the template list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateRow {
    pub id: i32,
    pub name: String,
    pub trigger: String,
    /// The newest published version's number.
    pub published: Option<i32>,
    pub draft: Option<i32>,
    pub active_runs: u64,
    pub archived: bool,
}

/// One version in a template's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRow {
    pub id: i32,
    pub number: i32,
    pub status: VersionStatus,
    pub name: String,
    /// "Published by Ada, Mon 23 Nov 2026, 10:00".
    pub published: Option<String>,
    /// Its runs, counted up to `paging::LIST_COUNT_CAP`.
    pub runs: u64,
    /// Whether counting stopped at `runs`: there are at least that many.
    pub runs_capped: bool,
}

/// A template with its versions and trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateDetail {
    pub id: i32,
    pub name: String,
    pub goal: String,
    pub trigger_kind: String,
    /// The stage key of a `stage_changed` trigger.
    pub trigger_stage: String,
    pub trigger_label: String,
    pub archived: bool,
    pub versions: Vec<VersionRow>,
    pub stages: Vec<Choice>,
    pub can_edit: bool,
}

/// A version with its steps, for the editor and the preview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionDetail {
    pub id: i32,
    pub template_id: i32,
    pub number: i32,
    pub status: VersionStatus,
    pub name: String,
    pub goal: String,
    pub steps: Vec<StepDef>,
    pub editable: bool,
    /// What keeps a draft from being published (empty when it can be).
    pub problems: Vec<String>,
    pub field_choices: Vec<Choice>,
    pub user_choices: Vec<Choice>,
}

/// A value a data step asks for, with what the customer holds now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInput {
    pub input: CustomInput,
    pub value: String,
}

/// One step of a run as its viewer sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRunView {
    pub id: i32,
    pub position: i32,
    pub title: String,
    pub guidance: String,
    pub tip: String,
    pub kind: StepKind,
    pub optional: bool,
    pub status: StepStatus,
    pub assignee: String,
    pub due: Option<String>,
    pub overdue: bool,
    pub available_since: Option<String>,
    /// "Done by Nina, Mon 23 Nov, 10:00" and the like.
    pub outcome: Option<String>,
    pub decision_reason: Option<String>,
    pub skip_reason: Option<String>,
    pub reopened_count: i32,
    /// What a done data step saved to the customer: (field label, value).
    #[serde(default)]
    pub saved: Vec<(String, String)>,
    /// The actions the viewer may take now.
    pub can_complete: bool,
    pub can_skip: bool,
    pub can_decide: bool,
    /// Why the viewer cannot act on a step that is open.
    pub why_not: Option<String>,
    pub inputs: Vec<DataInput>,
}

/// An entry of a run's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunEventView {
    pub at: String,
    pub actor: Option<String>,
    pub text: String,
}

/// A run with its steps and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i32,
    pub template_id: i32,
    pub name: String,
    pub version: i32,
    pub goal: String,
    pub customer_id: i32,
    pub customer_name: String,
    pub owner: String,
    pub status: RunStatus,
    pub started: String,
    pub started_how: String,
    pub finished: Option<String>,
    pub cancel_reason: Option<String>,
    pub can_cancel: bool,
    /// Optional steps still open once every required step is finished (the run stays open
    /// for them); 0 otherwise.
    pub optional_left: usize,
    /// Whether the viewer may finish the run now, leaving those out.
    pub can_finish: bool,
    pub done: usize,
    pub total: usize,
    pub steps: Vec<StepRunView>,
    pub events: Vec<RunEventView>,
}

/// One run in a list (the customer page, a template's runs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunRow {
    pub id: i32,
    pub template_id: i32,
    pub name: String,
    pub version: i32,
    pub customer_id: i32,
    pub customer_name: String,
    pub owner: String,
    pub status: RunStatus,
    pub started: String,
    pub done: usize,
    pub total: usize,
    pub overdue: bool,
    /// The first open step's title.
    pub current: Option<String>,
}

/// A step waiting for the viewer, for "My day".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyStep {
    pub run_id: i32,
    pub step_run_id: i32,
    pub title: String,
    pub kind: StepKind,
    pub process: String,
    pub customer_id: i32,
    pub customer_name: String,
    pub due: Option<String>,
    pub overdue: bool,
}

/// The filters of a template's run list (what its URL holds).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunQuery {
    #[serde(default)]
    pub status: String,
    /// A user id, or `me`.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub team: String,
    #[serde(default)]
    pub overdue: bool,
    #[serde(default)]
    pub page: u64,
}

/// The JSON form of a template, for review and provisioning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateExport {
    pub name: String,
    pub goal: String,
    /// `manual` (the default), `customer_created` or `stage_changed`.
    #[serde(default = "manual")]
    pub trigger: String,
    /// The stage key for a `stage_changed` trigger.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger_stage: Option<String>,
    pub steps: Vec<StepExport>,
}

fn manual() -> String {
    "manual".into()
}

/// A step in a template's JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StepExport {
    pub title: String,
    #[serde(default)]
    pub guidance: String,
    #[serde(default)]
    pub tip: String,
    /// `task`, `data`, `approval` or `stop`.
    pub kind: String,
    /// `owner`, `role:<role>` or `user:<email>`.
    #[serde(default = "owner")]
    pub assignee: String,
    /// Due this many `due_unit`s after `due_from`; none: no due time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_amount: Option<i32>,
    /// `hours` or `days` (the default).
    #[serde(default = "days")]
    pub due_unit: String,
    /// `start` (of the run, the default) or `previous` (step done).
    #[serde(default = "start")]
    pub due_from: String,
    #[serde(default)]
    pub working_days: bool,
    #[serde(default)]
    pub optional: bool,
    /// The custom field keys a `data` step asks for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<String>,
}

fn owner() -> String {
    "owner".into()
}

fn days() -> String {
    "days".into()
}

fn start() -> String {
    "start".into()
}

/// Which unfinished steps are open, given each step's (kind, optional, finished) in order:
/// steps are open up to and including the first unfinished stop step, and an approval opens
/// only once every required step before it is finished. The one rule the runs and the draft
/// preview share.
pub fn open_steps(steps: &[(&str, bool, bool)]) -> Vec<bool> {
    let mut blocked = false;
    let mut required_before_finished = true;
    steps
        .iter()
        .map(|&(kind, optional, finished)| {
            let open = !finished && !blocked && (kind != "approval" || required_before_finished);
            if !finished {
                blocked |= kind == "stop";
                required_before_finished &= optional;
            }
            open
        })
        .collect()
}

/// One page of a template's runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunList {
    pub rows: Vec<RunRow>,
    pub total: u64,
    /// Whether counting stopped at `total`: at least that many match.
    pub capped: bool,
    pub per_page: u64,
    pub owners: Vec<Choice>,
    pub teams: Vec<Choice>,
}

/// The processes section of the customer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRuns {
    pub runs: Vec<RunRow>,
    /// Processes that can be started on it (published, not archived, not already running).
    pub startable: Vec<Choice>,
}

#[cfg(test)]
mod tests {
    use super::open_steps;

    #[test]
    fn stop_steps_block_and_approvals_wait_for_required_steps() {
        let steps = [("task", false, false), ("task", true, false), ("approval", false, false), ("stop", false, false), ("task", false, false)];
        assert_eq!(open_steps(&steps), vec![true, true, false, true, false]);
        let done = [("task", false, true), ("task", true, false), ("approval", false, false), ("stop", false, true), ("task", false, false)];
        assert_eq!(open_steps(&done), vec![false, true, true, false, true], "optional steps do not hold an approval");
    }
}
