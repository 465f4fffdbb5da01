//! Runs of published process versions on customers: starting them (by hand or by trigger),
//! acting on their steps (complete, skip, approve, reject) by whoever the step allows, the
//! availability rules (stop steps block what follows; an approval waits for the required steps
//! before it; a rejection reopens the step before it), completion and cancelling, and the
//! views of runs for the run page, the customer page, a template's run list and "My day".
//!
//! Every action on a run first bumps the run's `lock_version`: that row lock serialises actions
//! on one run on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does), so of two people acting
//! on the same step at once exactly one wins and the other is told what happened.

mod act;
mod start;
mod views;

pub use act::{Left, may_act, may_finish, act, cancel, finish};
pub use start::{add_offset, start, on_customer_created, on_stage_changed};
pub use views::{view, of_customer, list, list_rows, detail, my_steps};

use crate::error::AppResult;
use crate::server::entities::{process_run_event, process_step, process_step_run};
use crate::server::services::processes;
use crate::server::services::platform::now;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, Set,
};
use std::collections::{BTreeMap, HashMap};

pub const PER_PAGE: u64 = 25;

/// What someone does to a step.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// With the values of a data step (field key to value).
    Complete(BTreeMap<String, String>),
    Skip(String),
    Approve,
    Reject(String),
}

/// Who a step of a run owned by `owner_id` goes to, by the step's rule: its role; the named
/// user while that user is active (`named_active`), else the owner; or the owner.
pub fn step_assignee(
    def: &process_step::Model,
    owner_id: i32,
    named_active: bool,
) -> (Option<i32>, Option<crate::model::user::Role>) {
    match (def.assignee_rule.as_str(), def.assignee_user_id) {
        ("role", _) => (None, def.assignee_role),
        ("user", Some(id)) if named_active => (Some(id), None),
        _ => (Some(owner_id), None),
    }
}

/// A new, waiting step row of run `run_id` (owned by `owner_id`) for step `def`, assigned by
/// `step_assignee`, nothing done or decided yet; `due_at` as given.
pub fn new_step_run(
    run_id: i32,
    def: &process_step::Model,
    owner_id: i32,
    named_active: bool,
    due_at: Option<chrono::DateTime<chrono::Utc>>,
) -> process_step_run::ActiveModel {
    let (assignee_id, assignee_role) = step_assignee(def, owner_id, named_active);
    process_step_run::ActiveModel {
        run_id: Set(run_id),
        step_id: Set(def.id),
        position: Set(def.position),
        status: Set(crate::model::states::StepStatus::Waiting),
        assignee_id: Set(assignee_id),
        assignee_role: Set(assignee_role),
        available_at: Set(None),
        due_at: Set(due_at),
        completed_at: Set(None),
        completed_by: Set(None),
        decision: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        decision_reason: Set(None),
        skip_reason: Set(None),
        reopened_count: Set(0),
        data: Set(None),
        ..Default::default()
    }
}

/// The key that lets one run of a template be active on a customer at a time.
pub fn active_key(template_id: i32, customer_id: i32) -> String {
    format!("{template_id}:{customer_id}")
}

async fn event<C: ConnectionTrait>(
    db: &C,
    run_id: i32,
    step_run_id: Option<i32>,
    actor_id: Option<i32>,
    action: &str,
    note: String,
) -> AppResult<()> {
    process_run_event::ActiveModel {
        run_id: Set(run_id),
        step_run_id: Set(step_run_id),
        actor_id: Set(actor_id),
        action: Set(action.to_string()),
        note: Set(note),
        at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

async fn step_runs<C: ConnectionTrait>(db: &C, run_id: i32) -> AppResult<Vec<process_step_run::Model>> {
    Ok(process_step_run::Entity::find()
        .filter(process_step_run::Column::RunId.eq(run_id))
        .order_by_asc(process_step_run::Column::Position)
        .all(db)
        .await?)
}

async fn defs_of<C: ConnectionTrait>(db: &C, version_id: i32) -> AppResult<HashMap<i32, process_step::Model>> {
    Ok(processes::steps_of(db, version_id)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect())
}
