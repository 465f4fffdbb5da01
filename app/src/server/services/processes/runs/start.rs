//! Starting runs: by hand, and by a template's trigger when a customer is created or reaches a
//! stage; each step's due time from its offset in the owner's time zone.

use crate::model::states::RunStatus;
use crate::error::{AppError, AppResult};
use crate::server::entities::{
    app_user, customer, lifecycle_stage, process_run, process_step,
    process_template,
};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::events::{self, Event};
use crate::server::services::processes;
use crate::server::services::platform::{begin_write, now, times};
use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait,
    QueryFilter, QueryOrder, Set, SqlErr, TransactionSession,
    TransactionTrait,
};
use super::{active_key, event};
use super::act::refresh;

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

pub(super) fn due_of(def: &process_step::Model, base: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    def.due_amount
        .map(|n| add_offset(base, n, &def.due_unit, def.working_days, tz))
}

pub(super) async fn owner_zone<C: ConnectionTrait>(db: &C, owner_id: i32) -> AppResult<Tz> {
    Ok(app_user::Entity::find_by_id(owner_id)
        .one(db)
        .await?
        .map_or(Tz::UTC, |u| times::zone(&u.timezone)))
}

/// Who starts a run, and how.
struct Starter<'a> {
    /// The user who started it, or whose change fired the trigger that did.
    user_id: i32,
    /// Started by hand (then `user_id` is the run's starter) or by a trigger.
    by_hand: bool,
    /// "manual", or the trigger's kind.
    how: &'a str,
    note: String,
}

/// Starts `template`'s newest published version on customer `c`, inside the caller's
/// transaction. `Conflict` when it cannot start (archived, nothing published, already running).
async fn start_in<C: ConnectionTrait>(
    db: &C,
    template: &process_template::Model,
    c: &customer::Model,
    owner_id: i32,
    starter: Starter<'_>,
) -> AppResult<process_run::Model> {
    let started_by = starter.by_hand.then_some(starter.user_id);
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
        status: Set(RunStatus::Active.into()),
        started_by: Set(started_by),
        started_how: Set(starter.how.into()),
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
        let named_active = match (def.assignee_rule.as_str(), def.assignee_user_id) {
            ("user", Some(id)) => app_user::Entity::find_by_id(id).one(db).await?.is_some_and(|u| u.active),
            _ => false,
        };
        let from_start = def.due_from == "start" || def.position == 0;
        let due = if from_start { due_of(&def, at, tz) } else { None };
        super::new_step_run(run.id, &def, owner_id, named_active, due).insert(db).await?;
    }
    event(db, run.id, None, started_by, "started", starter.note).await?;
    events::emit(db, starter.user_id, Event::RunStarted { customer: c, run_id: run.id }).await?;
    refresh(db, &run, c, starter.user_id).await?;
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
    let starter = Starter { user_id: actor.id, by_hand: true, how: "manual", note: format!("Started by {}", actor.name) };
    let run = start_in(&txn, &template, &c, actor.id, starter).await?;
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

/// Starts each of `templates` on `c`, inside the caller's transaction, for the change user
/// `user_id` made; a template already running on the customer, archived or never published is
/// passed over.
async fn start_triggered<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    c: &customer::Model,
    templates: Vec<process_template::Model>,
    how: &str,
    note: &str,
) -> AppResult<Vec<process_run::Model>> {
    let mut started = Vec::new();
    for template in templates {
        let starter = Starter { user_id, by_hand: false, how, note: note.to_string() };
        match start_in(db, &template, c, c.owner_id, starter).await {
            Ok(run) => started.push(run),
            Err(AppError::Conflict(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(started)
}

/// Runs the "when a customer is created" triggers for `c`, created by user `user_id`.
pub async fn on_customer_created<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    c: &customer::Model,
) -> AppResult<Vec<process_run::Model>> {
    let templates = triggered(db, "customer_created", None).await?;
    start_triggered(db, user_id, c, templates, "customer_created", "Started automatically: the customer was created").await
}

/// Runs the "when the stage changes to" triggers for `c`, if user `user_id` changed its stage.
pub async fn on_stage_changed<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
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
    start_triggered(db, user_id, c, templates, "stage_changed", &note).await
}
