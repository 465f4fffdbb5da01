//! One step of a run: its state (`waiting`, `available`, `done`, `skipped`, `approved`,
//! `rejected`), assignee, and the timings and decisions process-gap analytics are built on.

use crate::model::states::StepStatus;
use crate::model::user::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "process_step_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub run_id: i32,
    pub step_id: i32,
    pub position: i32,
    pub status: StepStatus,
    /// A named person; None when the step goes to a role (`assignee_role`).
    pub assignee_id: Option<i32>,
    pub assignee_role: Option<Role>,
    pub available_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_by: Option<i32>,
    pub decision: Option<String>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<i32>,
    pub decision_reason: Option<String>,
    pub skip_reason: Option<String>,
    pub reopened_count: i32,
    /// For data steps: the values written to the customer (JSON object, key to value).
    pub data: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
