//! What the REST API (`/api/v1`) answers, as types: the JSON a client reads, field for field,
//! and what its OpenAPI document describes. Timestamps are RFC 3339 in UTC; ids are numbers;
//! states and kinds are the same spellings as everywhere else.

use crate::model::states::{CustomerKind, FollowUpStatus, RunStatus, StepKind, StepStatus, VersionStatus};
use crate::model::user::Role;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A page of a list: its rows, where it is and how many there are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Page<T> {
    pub data: Vec<T>,
    pub page: u64,
    pub per_page: u64,
    pub total: u64,
    /// The next page's number, none on the last page.
    pub next_page: Option<u64>,
}

impl<T> Page<T> {
    pub fn new(data: Vec<T>, page: u64, per_page: u64, total: u64) -> Self {
        let next_page = (page * per_page < total).then_some(page + 1);
        Page { data, page, per_page, total, next_page }
    }
}

/// A whole list, not paged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct List<T> {
    pub data: Vec<T>,
}

/// A customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Customer {
    pub id: i32,
    pub kind: CustomerKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    /// The lifecycle stage's key.
    pub stage: Option<String>,
    pub owner_id: i32,
    pub team_id: Option<i32>,
    pub tags: Vec<String>,
    /// Custom field values by field key.
    pub custom: BTreeMap<String, String>,
    /// Data quality, 0 to 100.
    pub quality: i32,
    pub last_interaction_at: Option<String>,
    pub next_follow_up_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// An interaction logged on a customer (a call, a meeting, an email, a note).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Interaction {
    pub id: i32,
    pub customer_id: i32,
    pub author_id: Option<i32>,
    pub kind: String,
    pub occurred_at: String,
    pub summary: String,
    pub outcome: String,
    pub created_at: String,
}

/// A follow-up; after a change that scheduled the next one, `next` is that one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FollowUp {
    pub id: i32,
    pub customer_id: i32,
    pub assignee_id: i32,
    pub created_by: Option<i32>,
    pub due_at: String,
    pub overdue: bool,
    pub note: String,
    pub status: FollowUpStatus,
    pub completed_at: Option<String>,
    pub completed_by: Option<i32>,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ssr", schema(no_recursion))]
    pub next: Option<Box<FollowUp>>,
}

/// A process template in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateSummary {
    pub id: i32,
    pub name: String,
    /// What starts it, in words.
    pub trigger: String,
    pub published_version: Option<i32>,
    pub draft_version: Option<i32>,
    pub active_runs: u64,
    pub archived: bool,
}

/// One version of a template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateVersion {
    pub id: i32,
    pub number: i32,
    pub status: VersionStatus,
    /// Its runs, counted no further than 10000.
    pub runs: u64,
    /// Whether `runs` is where counting stopped: there are at least that many.
    pub runs_capped: bool,
}

/// A step of the version new runs start on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TemplateStep {
    pub id: i32,
    pub position: i32,
    pub title: String,
    pub kind: StepKind,
    pub guidance: String,
    pub tip: String,
    /// Who does it, in words.
    pub assignee: String,
    /// When it is due, in words.
    pub due: String,
    pub optional: bool,
    /// The fields a data step asks for, by key.
    pub fields: Vec<String>,
}

/// A process template with its versions and the steps of the version new runs start on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Template {
    pub id: i32,
    pub name: String,
    pub goal: String,
    /// `manual`, `customer_created` or `stage_changed`.
    pub trigger: String,
    pub trigger_stage: Option<String>,
    pub archived: bool,
    pub versions: Vec<TemplateVersion>,
    pub steps: Vec<TemplateStep>,
}

/// A step of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RunStep {
    pub id: i32,
    pub position: i32,
    pub title: String,
    pub kind: StepKind,
    pub optional: bool,
    pub status: StepStatus,
    pub assignee_id: Option<i32>,
    pub assignee_role: Option<Role>,
    pub available_at: Option<String>,
    pub due_at: Option<String>,
    pub completed_at: Option<String>,
    pub completed_by: Option<i32>,
    pub decision: Option<String>,
    pub decided_at: Option<String>,
    pub decided_by: Option<i32>,
    pub decision_reason: Option<String>,
    pub skip_reason: Option<String>,
    pub reopened_count: i32,
    /// What a data step saved, by field key.
    pub data: Option<BTreeMap<String, String>>,
    /// The fields a data step asks for, by key.
    pub fields: Vec<String>,
}

/// A run of a process on a customer; with its steps where one run is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Run {
    pub id: i32,
    pub template_id: i32,
    pub version_id: i32,
    pub customer_id: i32,
    pub owner_id: i32,
    pub status: RunStatus,
    pub started_how: String,
    pub started_by: Option<i32>,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub cancel_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<RunStep>>,
}
