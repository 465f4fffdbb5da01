//! Acting on a run: completing, skipping, approving and rejecting steps, who may do which, the
//! availability rules after each action, and cancelling a run.

use crate::model::states::{RunStatus, StepKind, StepStatus};
use crate::error::{AppError, AppResult};
use crate::model::user::Role;
use crate::server::entities::{app_user, customer, process_run, process_step, process_step_run};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::events::{self, Event};
use crate::server::services::processes::field_keys;
use crate::server::services::{platform::{begin_write, now, times}, crm::customers};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use super::{StepAction, defs_of, event, step_runs};
use super::start::{due_of, owner_zone};
use super::views::when;

/// Brings the run's steps in line with the rules and completes the run when every step is
/// finished (done, approved or skipped). Steps are open up to and including the first
/// unfinished stop step; an approval opens only once every required step before it is
/// finished. An optional step left open after the last required one keeps the run open: it can
/// still be done or skipped, or its owner finishes the run (`finish`). `user_id` is whose action
/// this follows (the completion is theirs).
pub(super) async fn refresh<C: ConnectionTrait>(
    db: &C,
    run: &process_run::Model,
    c: &customer::Model,
    user_id: i32,
) -> AppResult<()> {
    let defs = defs_of(db, run.version_id).await?;
    let steps = step_runs(db, run.id).await?;
    let tz = owner_zone(db, run.owner_id).await?;
    let at = now();
    let flags: Vec<(&str, bool, bool)> = steps
        .iter()
        .map(|sr| {
            let def = defs.get(&sr.step_id);
            (
                def.map_or("task", |d| d.kind.as_str()),
                def.is_some_and(|d| d.optional),
                sr.status.finished(),
            )
        })
        .collect();
    let open = crate::model::process::open_steps(&flags);
    let mut previous_completed: Option<DateTime<Utc>> = None;
    let mut all_finished = true;
    for (i, sr) in steps.iter().enumerate() {
        let Some(def) = defs.get(&sr.step_id) else { continue };
        let done = sr.status.finished();
        let mut change = process_step_run::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(sr.id),
            ..Default::default()
        };
        if !done && open[i] && (sr.status == StepStatus::Waiting || sr.status == StepStatus::Rejected) {
            change.status = Set(StepStatus::Available.into());
            change.available_at = Set(Some(at));
        } else if !done && !open[i] && sr.status == StepStatus::Available {
            change.status = Set(StepStatus::Waiting.into());
            change.available_at = Set(None);
        }
        if def.due_from == "previous" && sr.position > 0 && def.due_amount.is_some() && !done {
            let due = previous_completed.and_then(|p| due_of(def, p, tz));
            if due != sr.due_at {
                change.due_at = Set(due);
            }
        }
        if change.is_changed() {
            change.update(db).await?;
        }
        previous_completed = if done { sr.completed_at } else { None };
        all_finished &= done;
    }
    if all_finished && run.status == RunStatus::Active {
        complete(db, run, c, user_id, "Every step is done: the run is complete.".into()).await?;
    }
    Ok(())
}

/// Marks the run complete, in its history and as an event.
async fn complete<C: ConnectionTrait>(
    db: &C,
    run: &process_run::Model,
    c: &customer::Model,
    user_id: i32,
    text: String,
) -> AppResult<()> {
    process_run::ActiveModel {
        id: Set(run.id),
        status: Set(RunStatus::Completed.into()),
        finished_at: Set(Some(now())),
        active_key: Set(None),
        ..Default::default()
    }
    .update(db)
    .await?;
    event(db, run.id, None, None, "completed", text).await?;
    events::emit(db, user_id, Event::RunCompleted { customer: c, run_id: run.id }).await
}

/// Whether the run's owner (or an admin) may finish it now: it is active, every required step
/// is finished and some optional step is not.
pub fn may_finish(actor: &Actor, run: &process_run::Model, left: &Left) -> Result<(), AppError> {
    if run.owner_id != actor.id && !actor.is_admin() {
        return Err(AppError::Forbidden);
    }
    if run.status != RunStatus::Active {
        return Err(ended(run));
    }
    if left.required > 0 {
        return Err(AppError::Conflict(format!(
            "{} required step{} still to do: a run is finished early by cancelling it.",
            left.required,
            if left.required == 1 { " is" } else { "s are" }
        )));
    }
    Ok(())
}

/// The unfinished steps of a run, required and optional.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Left {
    pub required: usize,
    pub optional: usize,
}

impl Left {
    pub fn of(steps: &[process_step_run::Model], defs: &HashMap<i32, process_step::Model>) -> Self {
        let mut left = Left::default();
        for sr in steps.iter().filter(|s| !s.status.finished()) {
            if defs.get(&sr.step_id).is_some_and(|d| d.optional) {
                left.optional += 1;
            } else {
                left.required += 1;
            }
        }
        left
    }
}

/// Finishes a run whose required steps are all done: the optional steps still open are marked
/// skipped ("left out when the run was finished") and the run is complete. Its owner or an
/// admin may.
pub async fn finish<C: TransactionTrait + ConnectionTrait>(db: &C, actor: &Actor, run_id: i32) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let run = process_run::Entity::find_by_id(run_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = visible_customer(&txn, actor, run.customer_id).await?;
    let run = lock(&txn, run.id).await?;
    let defs = defs_of(&txn, run.version_id).await?;
    let steps = step_runs(&txn, run.id).await?;
    let left = Left::of(&steps, &defs);
    may_finish(actor, &run, &left)?;
    let reason = format!("Left out when {} finished the run.", actor.name);
    for sr in steps.iter().filter(|s| !s.status.finished()) {
        process_step_run::ActiveModel {
            id: Set(sr.id),
            status: Set(StepStatus::Skipped.into()),
            skip_reason: Set(Some(reason.clone())),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    let text = match left.optional {
        0 => format!("{} finished the run.", actor.name),
        1 => format!("{} finished the run, leaving out 1 optional step.", actor.name),
        n => format!("{} finished the run, leaving out {n} optional steps.", actor.name),
    };
    complete(&txn, &run, &c, actor.id, text).await?;
    txn.commit().await?;
    Ok(())
}

/// Locks the run for this transaction and returns it as it is now.
async fn lock<C: ConnectionTrait>(db: &C, run_id: i32) -> AppResult<process_run::Model> {
    process_run::Entity::update_many()
        .col_expr(process_run::Column::LockVersion, Expr::col(process_run::Column::LockVersion).add(1))
        .filter(process_run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    process_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

fn ended(run: &process_run::Model) -> AppError {
    AppError::Conflict(format!(
        "This run is {}; nothing more can be done on it.",
        if run.status == RunStatus::Completed { "complete" } else { "cancelled" }
    ))
}

async fn name_of<C: ConnectionTrait>(db: &C, id: Option<i32>) -> AppResult<String> {
    Ok(match id {
        Some(id) => app_user::Entity::find_by_id(id)
            .one(db)
            .await?
            .map_or_else(|| "someone".into(), |u| u.name),
        None => "someone".into(),
    })
}

/// What happened to a step someone tried to act on but which is no longer open.
async fn what_happened<C: ConnectionTrait>(
    db: &C,
    sr: &process_step_run::Model,
    tz: Tz,
) -> AppResult<AppError> {
    let message = match sr.status {
        StepStatus::Done => format!("{} completed this step ({}).", name_of(db, sr.completed_by).await?, when(sr.completed_at, tz)),
        StepStatus::Skipped => format!("This step was skipped ({}).", when(sr.completed_at, tz)),
        StepStatus::Approved => format!("{} approved this step ({}).", name_of(db, sr.decided_by).await?, when(sr.decided_at, tz)),
        StepStatus::Rejected => format!(
            "{} rejected this step ({}); it opens again once the rework is done.",
            name_of(db, sr.decided_by).await?,
            when(sr.decided_at, tz)
        ),
        _ => "This step is waiting for the steps before it.".to_string(),
    };
    Ok(AppError::Conflict(message))
}

/// Whether `actor` may act on a step: its named assignee, or someone with its role (or a
/// higher one) in the customer's team; admins count as in every team. `Err` says who may.
pub fn may_act(
    actor: &Actor,
    sr: &process_step_run::Model,
    c: &customer::Model,
    names: &HashMap<i32, String>,
) -> Result<(), String> {
    match (sr.assignee_id, sr.assignee_role) {
        (Some(id), _) if id == actor.id => Ok(()),
        (Some(id), _) => Err(format!(
            "Only {} can do this step.",
            names.get(&id).map_or("its assignee", String::as_str)
        )),
        (None, Some(role)) => {
            let in_team = actor.is_admin() || c.team_id.is_some_and(|t| actor.teams.contains(&t));
            if actor.role.at_least(role) && in_team {
                Ok(())
            } else {
                Err(match role {
                    Role::Admin => "Only an admin can do this step.".into(),
                    Role::Manager => "Only a manager of the customer's team can do this step.".into(),
                    Role::Member => "Only someone in the customer's team can do this step.".into(),
                })
            }
        }
        (None, None) => Err("Nobody is assigned to this step.".into()),
    }
}

/// Acts on a step of a run. Returns the run as it is afterwards.
pub async fn act<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    run_id: i32,
    step_run_id: i32,
    action: StepAction,
) -> AppResult<process_run::Model> {
    let txn = begin_write(db).await?;
    let run = process_run::Entity::find_by_id(run_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = visible_customer(&txn, actor, run.customer_id).await?;
    let run = lock(&txn, run.id).await?;
    let sr = process_step_run::Entity::find_by_id(step_run_id)
        .one(&txn)
        .await?
        .filter(|s| s.run_id == run.id)
        .ok_or(AppError::NotFound)?;
    let tz = times::zone(&actor.timezone);
    // What happened to the step itself tells the loser of a race the most; only a step still
    // open or waiting is answered with the run's end.
    if run.status != RunStatus::Active && (sr.status == StepStatus::Available || sr.status == StepStatus::Waiting) {
        return Err(ended(&run));
    }
    if sr.status != StepStatus::Available {
        return Err(what_happened(&txn, &sr, tz).await?);
    }
    if let Err(why) = may_act(actor, &sr, &c, &HashMap::new()) {
        tracing::info!(user = actor.id, step = sr.id, "refused step action: {why}");
        return Err(AppError::Forbidden);
    }
    let def = process_step::Entity::find_by_id(sr.step_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let at = now();
    let mut change = process_step_run::ActiveModel {
        ..Default::default()
    };
    let (action_name, note) = match action {
        StepAction::Complete(typed) => {
            if def.kind == StepKind::Approval {
                return Err(AppError::Conflict("An approval is approved or rejected, not completed.".into()));
            }
            let mut note = format!("{} completed “{}”", actor.name, def.title);
            if def.kind == StepKind::Data {
                let keys = field_keys(&def);
                let kept: Vec<(String, String)> = keys
                    .iter()
                    .map(|k| (format!("data_{k}"), typed.get(k).cloned().unwrap_or_default()))
                    .collect();
                let (core, custom) = customers::check_step_data(&txn, &c, &keys, &typed)
                    .await
                    .map_err(|e| e.with_values(kept.clone()))?;
                customers::apply_step_data(&txn, actor, &c, &core, &custom)
                    .await
                    .map_err(|e| e.with_values(kept))?;
                let data: BTreeMap<String, String> = core
                    .into_iter()
                    .chain(custom.into_iter().map(|(f, v)| (f.key, v)))
                    .collect();
                note.push_str(" and saved its data to the customer");
                change.data = Set(Some(serde_json::to_string(&data).unwrap_or_default()));
            }
            change.status = Set(StepStatus::Done.into());
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("completed", note)
        }
        StepAction::Skip(reason) => {
            if !def.optional {
                return Err(AppError::Conflict("Only optional steps can be skipped.".into()));
            }
            let reason = required_reason(&reason, "Say why the step is skipped.")?;
            change.status = Set(StepStatus::Skipped.into());
            change.skip_reason = Set(Some(reason.clone()));
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("skipped", format!("{} skipped “{}”: {reason}", actor.name, def.title))
        }
        StepAction::Approve => {
            if def.kind != StepKind::Approval {
                return Err(AppError::Conflict("Only approval steps are approved.".into()));
            }
            change.status = Set(StepStatus::Approved.into());
            change.decision = Set(Some("approved".into()));
            change.decided_at = Set(Some(at));
            change.decided_by = Set(Some(actor.id));
            change.decision_reason = Set(None);
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("approved", format!("{} approved “{}”", actor.name, def.title))
        }
        StepAction::Reject(reason) => {
            if def.kind != StepKind::Approval {
                return Err(AppError::Conflict("Only approval steps are rejected.".into()));
            }
            let reason = required_reason(&reason, "Say why, so the rework can fix it.")?;
            change.status = Set(StepStatus::Rejected.into());
            change.decision = Set(Some("rejected".into()));
            change.decided_at = Set(Some(at));
            change.decided_by = Set(Some(actor.id));
            change.decision_reason = Set(Some(reason.clone()));
            ("rejected", format!("{} rejected “{}”: {reason}", actor.name, def.title))
        }
    };
    // Only an open step changes: the last line of defence against acting twice.
    let result = process_step_run::Entity::update_many()
        .set(change)
        .filter(process_step_run::Column::Id.eq(sr.id))
        .filter(process_step_run::Column::Status.eq(StepStatus::Available))
        .exec(&txn)
        .await?;
    if result.rows_affected == 0 {
        let now_state = process_step_run::Entity::find_by_id(sr.id)
            .one(&txn)
            .await?
            .ok_or(AppError::NotFound)?;
        return Err(what_happened(&txn, &now_state, tz).await?);
    }
    event(&txn, run.id, Some(sr.id), Some(actor.id), action_name, note).await?;
    let (run_id, step_run_id) = (run.id, sr.id);
    let happened = match action_name {
        "completed" => Event::StepCompleted { customer: &c, run_id, step_run_id },
        "skipped" => Event::StepSkipped { customer: &c, run_id, step_run_id },
        decision => Event::ApprovalDecided { customer: &c, run_id, step_run_id, approved: decision == "approved" },
    };
    events::emit(&txn, actor.id, happened).await?;
    if action_name == "rejected" {
        reopen_before(&txn, &run, &sr, &c, actor.id, at).await?;
    }
    refresh(&txn, &run, &c, actor.id).await?;
    let after = process_run::Entity::find_by_id(run.id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    txn.commit().await?;
    Ok(after)
}

fn required_reason(reason: &str, message: &str) -> AppResult<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::field("reason", message));
    }
    if reason.chars().count() > 2000 {
        return Err(AppError::field("reason", "Keep it under 2,000 characters.").with_values([("reason", reason)]));
    }
    Ok(reason.to_string())
}

/// Reopens the nearest step before a rejected approval that was done (not skipped): rework.
/// `user_id` rejected it.
async fn reopen_before<C: ConnectionTrait>(
    db: &C,
    run: &process_run::Model,
    rejected: &process_step_run::Model,
    c: &customer::Model,
    user_id: i32,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let steps = step_runs(db, run.id).await?;
    let Some(previous) = steps
        .iter()
        .rev()
        .filter(|s| s.position < rejected.position)
        .find(|s| s.status == StepStatus::Done || s.status == StepStatus::Approved)
    else {
        return Ok(());
    };
    process_step_run::ActiveModel {
        id: Set(previous.id),
        status: Set(StepStatus::Available.into()),
        available_at: Set(Some(at)),
        completed_at: Set(None),
        completed_by: Set(None),
        decision: Set(None),
        decided_at: Set(None),
        decided_by: Set(None),
        reopened_count: Set(previous.reopened_count + 1),
        ..Default::default()
    }
    .update(db)
    .await?;
    let title = process_step::Entity::find_by_id(previous.step_id)
        .one(db)
        .await?
        .map(|s| s.title)
        .unwrap_or_default();
    event(db, run.id, Some(previous.id), None, "reopened", format!("“{title}” reopened for rework")).await?;
    events::emit(db, user_id, Event::StepReopened { customer: c, run_id: run.id, step_run_id: previous.id }).await
}

/// Cancels an active run; only its owner (or an admin) may, with a reason.
pub async fn cancel<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    run_id: i32,
    reason: &str,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let run = process_run::Entity::find_by_id(run_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = visible_customer(&txn, actor, run.customer_id).await?;
    if run.owner_id != actor.id && !actor.is_admin() {
        return Err(AppError::Forbidden);
    }
    let reason = required_reason(reason, "Say why the run is cancelled.")?;
    let run = lock(&txn, run.id).await?;
    if run.status != RunStatus::Active {
        return Err(ended(&run));
    }
    process_run::ActiveModel {
        id: Set(run.id),
        status: Set(RunStatus::Cancelled.into()),
        finished_at: Set(Some(now())),
        cancelled_by: Set(Some(actor.id)),
        cancel_reason: Set(Some(reason.clone())),
        active_key: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    event(&txn, run.id, None, Some(actor.id), "cancelled", format!("{} cancelled the run: {reason}", actor.name)).await?;
    events::emit(&txn, actor.id, Event::RunCancelled { customer: &c, run_id: run.id }).await?;
    txn.commit().await?;
    Ok(())
}
