//! Runs of published process versions on customers: starting them (by hand or by trigger),
//! acting on their steps (complete, skip, approve, reject) by whoever the step allows, the
//! availability rules (stop steps block what follows; an approval waits for the required steps
//! before it; a rejection reopens the step before it), completion and cancelling, and the
//! views of runs for the run page, the customer page, a template's run list and "My day".
//!
//! Every action on a run first bumps the run's `lock_version`: that row lock serialises actions
//! on one run on PostgreSQL (SQLite's `BEGIN IMMEDIATE` already does), so of two people acting
//! on the same step at once exactly one wins and the other is told what happened.

use crate::error::{AppError, AppResult};
use crate::model::crm::CustomInput;
use crate::model::process::{
    DataInput, MyStep, RunEventView, RunQuery, RunRow, RunView, StepRunView,
};
use crate::model::user::Role;
use crate::server::entities::{
    app_user, custom_field, customer, lifecycle_stage, process_run, process_run_event, process_step,
    process_step_run, process_template, process_version,
};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::processes::{self, field_keys};
use crate::server::services::{platform::{begin_write, now, times, users}, crm::{customers, fields}};
use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set, SqlErr, TransactionSession,
    TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

pub const ACTIVE: &str = "active";
pub const COMPLETED: &str = "completed";
pub const CANCELLED: &str = "cancelled";

pub const WAITING: &str = "waiting";
pub const AVAILABLE: &str = "available";
pub const DONE: &str = "done";
pub const SKIPPED: &str = "skipped";
pub const APPROVED: &str = "approved";
pub const REJECTED: &str = "rejected";

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

fn finished(status: &str) -> bool {
    matches!(status, DONE | SKIPPED | APPROVED)
}

fn active_key(template_id: i32, customer_id: i32) -> String {
    format!("{template_id}:{customer_id}")
}

/// `base` moved on by a step's due offset, in `tz` for the working-day rule: days count only
/// Monday to Friday, and hours that end on a weekend move to the Monday after.
pub fn add_offset(
    base: DateTime<Utc>,
    amount: i32,
    unit: &str,
    working_days: bool,
    tz: Tz,
) -> DateTime<Utc> {
    let weekend = |at: DateTime<Utc>| matches!(at.with_timezone(&tz).weekday(), Weekday::Sat | Weekday::Sun);
    if unit == "hours" {
        let mut at = base + TimeDelta::hours(i64::from(amount));
        while working_days && weekend(at) {
            at += TimeDelta::days(1);
        }
        return at;
    }
    if !working_days {
        return base + TimeDelta::days(i64::from(amount));
    }
    let mut at = base;
    let mut left = amount;
    while left > 0 {
        at += TimeDelta::days(1);
        if !weekend(at) {
            left -= 1;
        }
    }
    at
}

fn due_of(def: &process_step::Model, base: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    def.due_amount
        .map(|n| add_offset(base, n, &def.due_unit, def.working_days, tz))
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

async fn owner_zone<C: ConnectionTrait>(db: &C, owner_id: i32) -> AppResult<Tz> {
    Ok(app_user::Entity::find_by_id(owner_id)
        .one(db)
        .await?
        .map_or(Tz::UTC, |u| times::zone(&u.timezone)))
}

/// Starts `template`'s newest published version on customer `c`, inside the caller's
/// transaction. `Conflict` when it cannot start (archived, nothing published, already running).
async fn start_in<C: ConnectionTrait>(
    db: &C,
    template: &process_template::Model,
    c: &customer::Model,
    owner_id: i32,
    started_by: Option<i32>,
    how: &str,
    note: String,
) -> AppResult<process_run::Model> {
    if template.archived_at.is_some() {
        return Err(AppError::Conflict(format!("“{}” is archived and starts no new runs.", template.name)));
    }
    let Some(version) = processes::current_version(db, template.id).await? else {
        return Err(AppError::Conflict(format!("“{}” has no published version yet.", template.name)));
    };
    let key = active_key(template.id, c.id);
    let running = process_run::Entity::find()
        .filter(process_run::Column::ActiveKey.eq(key.as_str()))
        .one(db)
        .await?;
    if running.is_some() {
        return Err(AppError::Conflict(format!("“{}” is already running on {}.", template.name, c.name)));
    }
    let at = now();
    let run = process_run::ActiveModel {
        template_id: Set(template.id),
        version_id: Set(version.id),
        customer_id: Set(c.id),
        owner_id: Set(owner_id),
        status: Set(ACTIVE.into()),
        started_by: Set(started_by),
        started_how: Set(how.into()),
        started_at: Set(at),
        finished_at: Set(None),
        cancelled_by: Set(None),
        cancel_reason: Set(None),
        active_key: Set(Some(key)),
        lock_version: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            AppError::Conflict(format!("“{}” is already running on {}.", template.name, c.name))
        }
        _ => e.into(),
    })?;
    let tz = owner_zone(db, owner_id).await?;
    for def in processes::steps_of(db, version.id).await? {
        let (assignee_id, assignee_role) = match (def.assignee_rule.as_str(), def.assignee_user_id) {
            ("role", _) => (None, def.assignee_role.clone()),
            ("user", Some(id)) => {
                let active = app_user::Entity::find_by_id(id).one(db).await?.is_some_and(|u| u.active);
                (Some(if active { id } else { owner_id }), None)
            }
            _ => (Some(owner_id), None),
        };
        let from_start = def.due_from == "start" || def.position == 0;
        process_step_run::ActiveModel {
            run_id: Set(run.id),
            step_id: Set(def.id),
            position: Set(def.position),
            status: Set(WAITING.into()),
            assignee_id: Set(assignee_id),
            assignee_role: Set(assignee_role),
            available_at: Set(None),
            due_at: Set(if from_start { due_of(&def, at, tz) } else { None }),
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
        .insert(db)
        .await?;
    }
    event(db, run.id, None, started_by, "started", note).await?;
    refresh(db, &run).await?;
    Ok(run)
}

/// Starts a process on a customer the actor can see; the actor owns the run.
pub async fn start<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    customer_id: i32,
) -> AppResult<process_run::Model> {
    let c = visible_customer(db, actor, customer_id).await?;
    let txn = begin_write(db).await?;
    let template = process_template::Entity::find_by_id(template_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let run = start_in(&txn, &template, &c, actor.id, Some(actor.id), "manual", format!("Started by {}", actor.name)).await?;
    txn.commit().await?;
    Ok(run)
}

/// The unarchived templates with this trigger (and stage).
async fn triggered<C: ConnectionTrait>(
    db: &C,
    how: &str,
    stage_id: Option<i32>,
) -> AppResult<Vec<process_template::Model>> {
    let mut query = process_template::Entity::find()
        .filter(process_template::Column::TriggerKind.eq(how))
        .filter(process_template::Column::ArchivedAt.is_null());
    if let Some(stage_id) = stage_id {
        query = query.filter(process_template::Column::TriggerStageId.eq(stage_id));
    }
    Ok(query.order_by_asc(process_template::Column::Id).all(db).await?)
}

/// Starts each of `templates` on `c`, inside the caller's transaction; a template already
/// running on the customer, archived or never published is passed over.
async fn start_triggered<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
    templates: Vec<process_template::Model>,
    how: &str,
    note: &str,
) -> AppResult<Vec<process_run::Model>> {
    let mut started = Vec::new();
    for template in templates {
        match start_in(db, &template, c, c.owner_id, None, how, note.to_string()).await {
            Ok(run) => started.push(run),
            Err(AppError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(started)
}

/// Runs the "when a customer is created" triggers for `c`.
pub async fn on_customer_created<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
) -> AppResult<Vec<process_run::Model>> {
    let templates = triggered(db, "customer_created", None).await?;
    start_triggered(db, c, templates, "customer_created", "Started automatically: the customer was created").await
}

/// Runs the "when the stage changes to" triggers for `c`, if its stage changed.
pub async fn on_stage_changed<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
    old_stage_id: i32,
) -> AppResult<Vec<process_run::Model>> {
    if c.stage_id == old_stage_id {
        return Ok(Vec::new());
    }
    let templates = triggered(db, "stage_changed", Some(c.stage_id)).await?;
    if templates.is_empty() {
        return Ok(Vec::new());
    }
    let stage = lifecycle_stage::Entity::find_by_id(c.stage_id)
        .one(db)
        .await?
        .map(|s| s.label)
        .unwrap_or_default();
    let note = format!("Started automatically: the stage changed to {stage}");
    start_triggered(db, c, templates, "stage_changed", &note).await
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

/// Brings the run's steps in line with the rules and completes the run when every required
/// step is finished. Steps are open up to and including the first unfinished stop step; an
/// approval opens only once every required step before it is finished.
async fn refresh<C: ConnectionTrait>(db: &C, run: &process_run::Model) -> AppResult<()> {
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
                finished(&sr.status),
            )
        })
        .collect();
    let open = crate::model::process::open_steps(&flags);
    let mut previous_completed: Option<DateTime<Utc>> = None;
    let mut all_required_finished = true;
    for (i, sr) in steps.iter().enumerate() {
        let Some(def) = defs.get(&sr.step_id) else { continue };
        let done = finished(&sr.status);
        let mut change = process_step_run::ActiveModel {
            id: sea_orm::ActiveValue::Unchanged(sr.id),
            ..Default::default()
        };
        if !done && open[i] && (sr.status == WAITING || sr.status == REJECTED) {
            change.status = Set(AVAILABLE.into());
            change.available_at = Set(Some(at));
        } else if !done && !open[i] && sr.status == AVAILABLE {
            change.status = Set(WAITING.into());
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
        if !done && !def.optional {
            all_required_finished = false;
        }
    }
    if all_required_finished && run.status == ACTIVE {
        for sr in steps.iter().filter(|s| !finished(&s.status)) {
            process_step_run::ActiveModel {
                id: Set(sr.id),
                status: Set(SKIPPED.into()),
                skip_reason: Set(Some("Not done before the run completed.".into())),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
        process_run::ActiveModel {
            id: Set(run.id),
            status: Set(COMPLETED.into()),
            finished_at: Set(Some(at)),
            active_key: Set(None),
            ..Default::default()
        }
        .update(db)
        .await?;
        event(db, run.id, None, None, "completed", "Every required step is done: the run is complete.".into()).await?;
    }
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
        if run.status == COMPLETED { "complete" } else { "cancelled" }
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
    let message = match sr.status.as_str() {
        DONE => format!("{} completed this step ({}).", name_of(db, sr.completed_by).await?, when(sr.completed_at, tz)),
        SKIPPED => format!("This step was skipped ({}).", when(sr.completed_at, tz)),
        APPROVED => format!("{} approved this step ({}).", name_of(db, sr.decided_by).await?, when(sr.decided_at, tz)),
        REJECTED => format!(
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
    match (sr.assignee_id, sr.assignee_role.as_deref()) {
        (Some(id), _) if id == actor.id => Ok(()),
        (Some(id), _) => Err(format!(
            "Only {} can do this step.",
            names.get(&id).map_or("its assignee", String::as_str)
        )),
        (None, Some(role)) => {
            let role = Role::parse(role).unwrap_or(Role::Member);
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
    if run.status != ACTIVE && (sr.status == AVAILABLE || sr.status == WAITING) {
        return Err(ended(&run));
    }
    if sr.status != AVAILABLE {
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
            if def.kind == "approval" {
                return Err(AppError::Conflict("An approval is approved or rejected, not completed.".into()));
            }
            let mut note = format!("{} completed “{}”", actor.name, def.title);
            if def.kind == "data" {
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
            change.status = Set(DONE.into());
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("completed", note)
        }
        StepAction::Skip(reason) => {
            if !def.optional {
                return Err(AppError::Conflict("Only optional steps can be skipped.".into()));
            }
            let reason = required_reason(&reason, "Say why the step is skipped.")?;
            change.status = Set(SKIPPED.into());
            change.skip_reason = Set(Some(reason.clone()));
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("skipped", format!("{} skipped “{}”: {reason}", actor.name, def.title))
        }
        StepAction::Approve => {
            if def.kind != "approval" {
                return Err(AppError::Conflict("Only approval steps are approved.".into()));
            }
            change.status = Set(APPROVED.into());
            change.decision = Set(Some("approved".into()));
            change.decided_at = Set(Some(at));
            change.decided_by = Set(Some(actor.id));
            change.decision_reason = Set(None);
            change.completed_at = Set(Some(at));
            change.completed_by = Set(Some(actor.id));
            ("approved", format!("{} approved “{}”", actor.name, def.title))
        }
        StepAction::Reject(reason) => {
            if def.kind != "approval" {
                return Err(AppError::Conflict("Only approval steps are rejected.".into()));
            }
            let reason = required_reason(&reason, "Say why, so the rework can fix it.")?;
            change.status = Set(REJECTED.into());
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
        .filter(process_step_run::Column::Status.eq(AVAILABLE))
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
    if action_name == "rejected" {
        reopen_before(&txn, &run, &sr, at).await?;
    }
    refresh(&txn, &run).await?;
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
async fn reopen_before<C: ConnectionTrait>(
    db: &C,
    run: &process_run::Model,
    rejected: &process_step_run::Model,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let steps = step_runs(db, run.id).await?;
    let Some(previous) = steps
        .iter()
        .rev()
        .filter(|s| s.position < rejected.position)
        .find(|s| s.status == DONE || s.status == APPROVED)
    else {
        return Ok(());
    };
    process_step_run::ActiveModel {
        id: Set(previous.id),
        status: Set(AVAILABLE.into()),
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
    event(db, run.id, Some(previous.id), None, "reopened", format!("“{title}” reopened for rework")).await
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
    visible_customer(&txn, actor, run.customer_id).await?;
    if run.owner_id != actor.id && !actor.is_admin() {
        return Err(AppError::Forbidden);
    }
    let reason = required_reason(reason, "Say why the run is cancelled.")?;
    let run = lock(&txn, run.id).await?;
    if run.status != ACTIVE {
        return Err(ended(&run));
    }
    process_run::ActiveModel {
        id: Set(run.id),
        status: Set(CANCELLED.into()),
        finished_at: Set(Some(now())),
        cancelled_by: Set(Some(actor.id)),
        cancel_reason: Set(Some(reason.clone())),
        active_key: Set(None),
        ..Default::default()
    }
    .update(&txn)
    .await?;
    event(&txn, run.id, None, Some(actor.id), "cancelled", format!("{} cancelled the run: {reason}", actor.name)).await?;
    txn.commit().await?;
    Ok(())
}

fn who(people: &HashMap<i32, String>, id: Option<i32>) -> String {
    id.and_then(|i| people.get(&i).cloned())
        .unwrap_or_else(|| "someone".into())
}

fn when(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map(|t| times::display(t, tz)).unwrap_or_default()
}

fn assignee_text(sr: &process_step_run::Model, names: &HashMap<i32, String>) -> String {
    match (sr.assignee_id, sr.assignee_role.as_deref()) {
        (Some(id), _) => names.get(&id).cloned().unwrap_or_else(|| "a removed user".into()),
        (None, Some("admin")) => "An admin".into(),
        (None, Some("manager")) => "A manager of the customer's team".into(),
        (None, Some(_)) => "Anyone in the customer's team".into(),
        (None, None) => "Nobody".into(),
    }
}

/// The inputs a data step shows, filled with what the customer holds now.
async fn data_inputs<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
    def: &process_step::Model,
    custom: &[custom_field::Model],
) -> AppResult<Vec<DataInput>> {
    let values = fields::values_of(db, c.id).await?;
    let core = |key: &str, label: &str, field_type: &str, value: Option<&String>| DataInput {
        input: CustomInput {
            key: key.into(),
            label: label.into(),
            field_type: field_type.into(),
            options: Vec::new(),
            required: true,
            min_value: None,
            max_value: None,
            editable: true,
            hint: String::new(),
        },
        value: value.cloned().unwrap_or_default(),
    };
    let mut out = Vec::new();
    for key in field_keys(def) {
        match key.as_str() {
            "name" => out.push(core("name", "Name", "text", Some(&c.name))),
            "email" => out.push(core("email", "Email", "email", c.email.as_ref())),
            "phone" => out.push(core("phone", "Phone", "tel", c.phone.as_ref())),
            _ => {
                if let Some(f) = custom.iter().find(|f| f.key == key) {
                    let mut input = fields::input_of(f, true);
                    input.required = true;
                    out.push(DataInput {
                        input,
                        value: values.get(&f.id).map(|v| v.value.clone()).unwrap_or_default(),
                    });
                }
            }
        }
    }
    Ok(out)
}

/// A run with its steps and history, as the actor sees it.
pub async fn view<C: ConnectionTrait>(db: &C, actor: &Actor, run_id: i32) -> AppResult<RunView> {
    let run = process_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = visible_customer(db, actor, run.customer_id).await?;
    let version = process_version::Entity::find_by_id(run.version_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let defs = defs_of(db, run.version_id).await?;
    let steps = step_runs(db, run.id).await?;
    let events = process_run_event::Entity::find()
        .filter(process_run_event::Column::RunId.eq(run.id))
        .order_by_desc(process_run_event::Column::Id)
        .all(db)
        .await?;
    let ids: Vec<i32> = steps
        .iter()
        .flat_map(|s| [s.assignee_id, s.completed_by, s.decided_by])
        .chain(events.iter().map(|e| e.actor_id))
        .chain([Some(run.owner_id)])
        .flatten()
        .collect();
    let people = users::names(db, ids).await?;
    let tz = times::zone(&actor.timezone);
    let at = now();
    let active = run.status == ACTIVE;
    let custom = fields::active(db).await?;
    let labels: HashMap<String, String> = processes::field_choices(&custom)
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect();
    let mut views = Vec::new();
    for sr in &steps {
        let Some(def) = defs.get(&sr.step_id) else { continue };
        let open = active && sr.status == AVAILABLE;
        let allowed = may_act(actor, sr, &c, &people);
        let can = open && allowed.is_ok();
        let why_not = match (&allowed, sr.status.as_str()) {
            _ if !active => None,
            (Err(why), AVAILABLE | WAITING | REJECTED) => Some(why.clone()),
            (Ok(()), WAITING) => Some("It opens once the steps before it are done.".into()),
            (Ok(()), REJECTED) => Some("It opens again once the reworked step is done.".into()),
            _ => None,
        };
        let outcome = match sr.status.as_str() {
            DONE => Some(format!("Done by {}, {}", who(&people, sr.completed_by), when(sr.completed_at, tz))),
            SKIPPED => Some(match sr.completed_by {
                Some(_) => format!("Skipped by {}, {}", who(&people, sr.completed_by), when(sr.completed_at, tz)),
                None => "Not done".into(),
            }),
            APPROVED => Some(format!("Approved by {}, {}", who(&people, sr.decided_by), when(sr.decided_at, tz))),
            REJECTED => Some(format!("Rejected by {}, {}", who(&people, sr.decided_by), when(sr.decided_at, tz))),
            _ => None,
        };
        views.push(StepRunView {
            id: sr.id,
            position: sr.position,
            title: def.title.clone(),
            guidance: def.guidance.clone(),
            tip: def.tip.clone(),
            kind: def.kind.clone(),
            optional: def.optional,
            status: sr.status.clone(),
            assignee: assignee_text(sr, &people),
            due: sr.due_at.map(|d| times::display(d, tz)),
            overdue: active && !finished(&sr.status) && sr.due_at.is_some_and(|d| d < at),
            available_since: sr.available_at.filter(|_| !finished(&sr.status)).map(|t| times::display(t, tz)),
            outcome,
            decision_reason: sr.decision_reason.clone(),
            skip_reason: sr.skip_reason.clone(),
            reopened_count: sr.reopened_count,
            saved: match (&sr.data, finished(&sr.status)) {
                (Some(data), true) => serde_json::from_str::<BTreeMap<String, String>>(data)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (labels.get(&k).cloned().unwrap_or(k), v))
                    .collect(),
                _ => Vec::new(),
            },
            can_complete: can && def.kind != "approval",
            can_skip: can && def.optional,
            can_decide: can && def.kind == "approval",
            why_not,
            inputs: if def.kind == "data" && open { data_inputs(db, &c, def, &custom).await? } else { Vec::new() },
        });
    }
    let finished_count = steps.iter().filter(|s| finished(&s.status)).count();
    Ok(RunView {
        id: run.id,
        template_id: run.template_id,
        name: version.name,
        version: version.number,
        goal: version.goal,
        customer_id: c.id,
        customer_name: c.name.clone(),
        owner: who(&people, Some(run.owner_id)),
        status: run.status.clone(),
        started: times::display(run.started_at, tz),
        started_how: run.started_how.clone(),
        finished: run.finished_at.map(|t| times::display(t, tz)),
        cancel_reason: run.cancel_reason.clone(),
        can_cancel: active && (run.owner_id == actor.id || actor.is_admin()),
        done: finished_count,
        total: steps.len(),
        steps: views,
        events: events
            .into_iter()
            .map(|e| RunEventView {
                at: times::display(e.at, tz),
                actor: e.actor_id.and_then(|i| people.get(&i).cloned()),
                text: e.note,
            })
            .collect(),
    })
}

/// Rows for a set of runs, with progress, the current step and whether one is overdue.
async fn rows<C: ConnectionTrait>(db: &C, actor: &Actor, runs: Vec<process_run::Model>) -> AppResult<Vec<RunRow>> {
    let run_ids: Vec<i32> = runs.iter().map(|r| r.id).collect();
    let mut by_run: HashMap<i32, Vec<process_step_run::Model>> = HashMap::new();
    for sr in process_step_run::Entity::find()
        .filter(process_step_run::Column::RunId.is_in(run_ids))
        .order_by_asc(process_step_run::Column::Position)
        .all(db)
        .await?
    {
        by_run.entry(sr.run_id).or_default().push(sr);
    }
    let versions: HashMap<i32, process_version::Model> = process_version::Entity::find()
        .filter(process_version::Column::Id.is_in(runs.iter().map(|r| r.version_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v))
        .collect();
    let step_ids: Vec<i32> = by_run.values().flatten().map(|s| s.step_id).collect();
    let titles: HashMap<i32, String> = process_step::Entity::find()
        .filter(process_step::Column::Id.is_in(step_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.title))
        .collect();
    let customers: HashMap<i32, String> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(runs.iter().map(|r| r.customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let people = users::names(db, runs.iter().map(|r| r.owner_id).collect()).await?;
    let tz = times::zone(&actor.timezone);
    let at = now();
    Ok(runs
        .into_iter()
        .map(|r| {
            let steps = by_run.remove(&r.id).unwrap_or_default();
            let version = versions.get(&r.version_id);
            let active = r.status == ACTIVE;
            RunRow {
                id: r.id,
                template_id: r.template_id,
                name: version.map(|v| v.name.clone()).unwrap_or_default(),
                version: version.map_or(0, |v| v.number),
                customer_id: r.customer_id,
                customer_name: customers.get(&r.customer_id).cloned().unwrap_or_default(),
                owner: people.get(&r.owner_id).cloned().unwrap_or_default(),
                status: r.status.clone(),
                started: times::short(r.started_at, tz, at),
                done: steps.iter().filter(|s| finished(&s.status)).count(),
                total: steps.len(),
                overdue: active
                    && steps.iter().any(|s| !finished(&s.status) && s.due_at.is_some_and(|d| d < at)),
                current: steps
                    .iter()
                    .find(|s| active && s.status == AVAILABLE)
                    .and_then(|s| titles.get(&s.step_id).cloned()),
            }
        })
        .collect())
}

/// The runs on a customer, newest first.
pub async fn of_customer<C: ConnectionTrait>(db: &C, actor: &Actor, customer_id: i32) -> AppResult<Vec<RunRow>> {
    visible_customer(db, actor, customer_id).await?;
    let runs = process_run::Entity::find()
        .filter(process_run::Column::CustomerId.eq(customer_id))
        .order_by_desc(process_run::Column::StartedAt)
        .order_by_desc(process_run::Column::Id)
        .all(db)
        .await?;
    rows(db, actor, runs).await
}

/// One page of runs on customers the actor can see, filtered (by template and customer when
/// given), newest first; and the total.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: Option<i32>,
    customer_id: Option<i32>,
    query: &RunQuery,
    per_page: u64,
) -> AppResult<(Vec<process_run::Model>, u64)> {
    let page = crate::model::paging::check_page(query.page)?;
    let mut find = process_run::Entity::find();
    if let Some(id) = template_id {
        find = find.filter(process_run::Column::TemplateId.eq(id));
    }
    if let Some(id) = customer_id {
        find = find.filter(process_run::Column::CustomerId.eq(id));
    }
    if !actor.is_admin() {
        find = find.filter(process_run::Column::CustomerId.in_subquery(actor.visible_ids()));
    }
    if !query.status.is_empty() {
        find = find.filter(process_run::Column::Status.eq(query.status.as_str()));
    }
    match query.owner.as_str() {
        "" => {}
        "me" => find = find.filter(process_run::Column::OwnerId.eq(actor.id)),
        v => find = find.filter(process_run::Column::OwnerId.eq(v.parse::<i32>().unwrap_or(-1))),
    }
    if let Ok(team) = query.team.parse::<i32>() {
        let in_team = customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(customer::Column::TeamId.eq(team))
            .into_query();
        find = find.filter(process_run::Column::CustomerId.in_subquery(in_team));
    }
    if query.overdue {
        let late = process_step_run::Entity::find()
            .select_only()
            .column(process_step_run::Column::RunId)
            .filter(process_step_run::Column::Status.is_in([AVAILABLE, WAITING, REJECTED]))
            .filter(process_step_run::Column::DueAt.lt(now()))
            .into_query();
        find = find
            .filter(process_run::Column::Status.eq(ACTIVE))
            .filter(process_run::Column::Id.in_subquery(late));
    }
    let total = find.clone().count(db).await?;
    let runs = find
        .order_by_desc(process_run::Column::StartedAt)
        .order_by_desc(process_run::Column::Id)
        .offset(crate::model::paging::offset(page, per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((runs, total))
}

/// One page of a template's runs as the run list shows them.
pub async fn list_rows<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    query: &RunQuery,
) -> AppResult<(Vec<RunRow>, u64)> {
    let (runs, total) = list(db, actor, Some(template_id), None, query, PER_PAGE).await?;
    Ok((rows(db, actor, runs).await?, total))
}

/// A run the actor can see, with its step instances and their definitions in order.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    run_id: i32,
) -> AppResult<(process_run::Model, Vec<(process_step_run::Model, process_step::Model)>)> {
    let run = process_run::Entity::find_by_id(run_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    visible_customer(db, actor, run.customer_id).await?;
    let mut defs = defs_of(db, run.version_id).await?;
    let steps = step_runs(db, run.id)
        .await?
        .into_iter()
        .filter_map(|s| defs.remove(&s.step_id).map(|d| (s, d)))
        .collect();
    Ok((run, steps))
}

/// "My day": the open steps I may act on (mine, and those of my role in my teams, approvals
/// included), overdue first, then by due time.
pub async fn my_steps<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<MyStep>> {
    let active_runs = process_run::Entity::find()
        .select_only()
        .column(process_run::Column::Id)
        .filter(process_run::Column::Status.eq(ACTIVE))
        .into_query();
    let open = process_step_run::Entity::find()
        .filter(process_step_run::Column::Status.eq(AVAILABLE))
        .filter(process_step_run::Column::RunId.in_subquery(active_runs))
        .filter(
            Condition::any()
                .add(process_step_run::Column::AssigneeId.eq(actor.id))
                .add(process_step_run::Column::AssigneeRole.is_not_null()),
        )
        .all(db)
        .await?;
    let runs: HashMap<i32, process_run::Model> = process_run::Entity::find()
        .filter(process_run::Column::Id.is_in(open.iter().map(|s| s.run_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let customers: HashMap<i32, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(runs.values().map(|r| r.customer_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut mine = Vec::new();
    for sr in open {
        let Some(run) = runs.get(&sr.run_id) else { continue };
        let Some(c) = customers.get(&run.customer_id) else { continue };
        if actor.can_see(c) && may_act(actor, &sr, c, &HashMap::new()).is_ok() {
            mine.push((sr, run, c));
        }
    }
    let step_ids: Vec<i32> = mine.iter().map(|(s, _, _)| s.step_id).collect();
    let defs: HashMap<i32, process_step::Model> = process_step::Entity::find()
        .filter(process_step::Column::Id.is_in(step_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s))
        .collect();
    let versions: HashMap<i32, String> = process_version::Entity::find()
        .filter(process_version::Column::Id.is_in(mine.iter().map(|(_, r, _)| r.version_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect();
    let tz = times::zone(&actor.timezone);
    let at = now();
    mine.sort_by_key(|(s, _, _)| (s.due_at.is_none_or(|d| d >= at), s.due_at.is_none(), s.due_at, s.id));
    Ok(mine
        .into_iter()
        .filter_map(|(sr, run, c)| {
            let def = defs.get(&sr.step_id)?;
            Some(MyStep {
                run_id: run.id,
                step_run_id: sr.id,
                title: def.title.clone(),
                kind: def.kind.clone(),
                process: versions.get(&run.version_id).cloned().unwrap_or_default(),
                customer_id: c.id,
                customer_name: c.name.clone(),
                due: sr.due_at.map(|d| times::short(d, tz, at)),
                overdue: sr.due_at.is_some_and(|d| d < at),
            })
        })
        .collect())
}
