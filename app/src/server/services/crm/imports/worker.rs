//! The background worker: it claims a queued import or revert, runs it row by row, each row in
//! its own transaction with its result and the import's progress, and resumes after a crash.

use crate::model::states::ImportStatus;
use crate::error::{AppError, AppResult};
use crate::model::crm::{Choice, CustomerForm};
use crate::server::entities::{
    app_user, contact, customer, customer_import, customer_import_row, follow_up, interaction,
};
use crate::server::services::platform::access::Actor;
use crate::server::services::platform::leases::{self, Lease};
use crate::server::services::{platform::{begin_write, now, users}, crm::customers};
use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use super::mapping::{Lookups, Plan, changed_fields, messages, plan, targets};
use super::parse::parse;

/// How long a worker holds an import without progress; it renews with every row. A worker
/// whose lease ran out has died: another takes its import over where it stopped.
const LEASE_SECONDS: i64 = 60;

/// The result of one row, as stored.
struct Outcome {
    outcome: &'static str,
    customer: Option<(i32, String)>,
    message: String,
    before: Option<String>,
}

impl Outcome {
    fn failed(message: String) -> Outcome {
        Outcome {
            outcome: "failed",
            customer: None,
            message,
            before: None,
        }
    }
}

/// Carries out one row inside `txn`.
async fn run_row<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    lookups: &Lookups,
    targets: &[Choice],
    cells: &[String],
) -> AppResult<Outcome> {
    let done = |outcome, c: &customer::Model, message: String, before| Outcome {
        outcome,
        customer: Some((c.id, c.name.clone())),
        message,
        before,
    };
    let result = match plan(txn, actor, lookups, targets, cells).await? {
        Plan::Fail(m) => return Ok(Outcome::failed(m)),
        Plan::Skip(c, m) => {
            return Ok(Outcome {
                outcome: "skipped",
                customer: c.map(|c| (c.id, c.name)),
                message: m,
                before: None,
            });
        }
        // Near-identical names do not stop an import: a file of customers often has them.
        Plan::Create(form) => customers::create(txn, actor, &form, true)
            .await
            .map(|c| done("created", &c, String::new(), None)),
        Plan::Update {
            existing,
            before,
            form,
        } => {
            let changed = changed_fields(&before, &form, lookups, targets);
            let snapshot = serde_json::to_string(&before).map_err(|e| crate::error::internal("import json", e))?;
            customers::update(txn, actor, existing.id, &form, true)
                .await
                .map(|c| done("updated", &c, format!("Changed {changed}."), Some(snapshot)))
        }
    };
    match result {
        Ok(outcome) => Ok(outcome),
        Err(e @ (AppError::Validation { .. } | AppError::Forbidden | AppError::Conflict(_))) => {
            Ok(Outcome::failed(messages(&e, lookups, targets).join(" ")))
        }
        Err(e) => Err(e),
    }
}

/// Runs one waiting import (or revert) to its end, or takes over one whose worker died (its
/// lease ran out). Returns whether there was one.
pub async fn work<C: TransactionTrait + ConnectionTrait>(db: &C) -> AppResult<bool> {
    work_while(db, &|| true).await
}

/// `work`, stopping between rows once `keep_going` says no: the import is released as it
/// stands, and the next run (here or on another instance) resumes it where it stopped.
pub async fn work_while<C: TransactionTrait + ConnectionTrait>(db: &C, keep_going: &(dyn Fn() -> bool + Sync)) -> AppResult<bool> {
    let at = now();
    let candidate = customer_import::Entity::find()
        .filter(customer_import::Column::Status.is_in([
            ImportStatus::Queued,
            ImportStatus::RevertQueued,
            ImportStatus::Running,
            ImportStatus::Reverting,
        ]))
        .filter(leases::free::<customer_import::Entity>(at))
        .order_by_asc(customer_import::Column::Id)
        .one(db)
        .await?;
    let Some(job) = candidate else {
        return Ok(false);
    };
    let same_state = sea_orm::Condition::all().add(customer_import::Column::Status.eq(job.status));
    let Some(mut lease) = leases::claim::<customer_import::Entity, _>(db, job.id, same_state, lease_time()).await? else {
        // Another worker took it first.
        return Ok(true);
    };
    // Read again now that it is ours: its progress as the last holder left it.
    let Some(job) = customer_import::Entity::find_by_id(job.id).one(db).await? else {
        return Ok(true);
    };
    let reverting = job.status.is_revert();
    let running = if reverting { ImportStatus::Reverting } else { ImportStatus::Running };
    let start = customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value(running))
        .col_expr(customer_import::Column::HeartbeatAt, Expr::value(at))
        .col_expr(customer_import::Column::StartedAt, Expr::value(job.started_at.unwrap_or(at)));
    if !leases::renew(db, &mut lease, start, lease_time()).await? {
        return Ok(true);
    }
    let result = if reverting {
        run_revert(db, &job, &mut lease, keep_going).await
    } else {
        run_import(db, &job, &mut lease, keep_going).await
    };
    if let Err(e) = result {
        tracing::error!(import = job.id, error = %e, "import stopped");
        let message = match e {
            AppError::Internal => "The import stopped on an error on our side. Start a new import with the rows that are missing.".to_string(),
            other => other.to_string(),
        };
        let failed = customer_import::Entity::update_many()
            .col_expr(customer_import::Column::Status, Expr::value(ImportStatus::Failed))
            .col_expr(customer_import::Column::Error, Expr::value(message))
            .col_expr(customer_import::Column::FinishedAt, Expr::value(now()));
        leases::finish(db, &lease, failed).await?;
    }
    Ok(true)
}

fn lease_time() -> Duration {
    Duration::seconds(LEASE_SECONDS)
}

/// Records one row's progress (each of `counters` up by one) in `txn` and renews the lease.
/// False when the lease was lost to another worker: the caller drops `txn` and stops.
async fn progress<C: ConnectionTrait>(txn: &C, lease: &mut Lease, counters: &[customer_import::Column]) -> AppResult<bool> {
    let update = counters.iter().fold(
        customer_import::Entity::update_many().col_expr(customer_import::Column::HeartbeatAt, Expr::value(now())),
        |update, &counter| update.col_expr(counter, Expr::col(counter).add(1)),
    );
    leases::renew(txn, lease, update, lease_time()).await
}

/// The importing user, as an actor; an error if they can no longer act.
async fn importer<C: ConnectionTrait>(db: &C, job: &customer_import::Model) -> AppResult<Actor> {
    let user = app_user::Entity::find_by_id(job.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::Conflict("The user who uploaded this import was deactivated.".into()))?;
    Actor::load(db, &users::view(db, &user).await?).await
}

async fn run_import<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    job: &customer_import::Model,
    lease: &mut Lease,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> AppResult<()> {
    let actor = importer(db, job).await?;
    let table = parse(&job.content, usize::MAX).map_err(AppError::Conflict)?;
    let targets = targets(db).await?;
    let lookups = Lookups::load(db, job).await?;
    for (line, cells) in table.rows.iter().skip(usize::try_from(job.processed).unwrap_or(0)) {
        if !keep_going() {
            return release(db, lease).await;
        }
        let txn = begin_write(db).await?;
        let outcome = run_row(&txn, &actor, &lookups, &targets, cells).await?;
        let (id, name) = outcome.customer.clone().unzip();
        customer_import_row::ActiveModel {
            import_id: Set(job.id),
            line: Set(*line),
            outcome: Set(outcome.outcome.into()),
            customer_id: Set(id),
            customer_name: Set(name.unwrap_or_default()),
            message: Set(outcome.message),
            before: Set(outcome.before),
            revert_note: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let counter = match outcome.outcome {
            "created" => customer_import::Column::CreatedCount,
            "updated" => customer_import::Column::UpdatedCount,
            "skipped" => customer_import::Column::SkippedCount,
            _ => customer_import::Column::FailedCount,
        };
        if !progress(&txn, lease, &[counter, customer_import::Column::Processed]).await? {
            return Ok(());
        }
        txn.commit().await?;
    }
    finish(db, lease, ImportStatus::Done, customer_import::Column::FinishedAt).await
}

/// Lets go of a run part-way (the server is stopping): it stays running, free for the next
/// worker to resume.
async fn release<C: ConnectionTrait>(db: &C, lease: &Lease) -> AppResult<()> {
    leases::finish(db, lease, customer_import::Entity::update_many()).await?;
    Ok(())
}

/// Ends the run in `status` at `at` and releases it, unless the lease was lost.
async fn finish<C: ConnectionTrait>(
    db: &C,
    lease: &Lease,
    status: ImportStatus,
    at: customer_import::Column,
) -> AppResult<()> {
    let update = customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value(status))
        .col_expr(at, Expr::value(now()));
    leases::finish(db, lease, update).await?;
    Ok(())
}

/// Undoes the rows the import created or updated, newest first, each in its own transaction.
async fn run_revert<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    job: &customer_import::Model,
    lease: &mut Lease,
    keep_going: &(dyn Fn() -> bool + Sync),
) -> AppResult<()> {
    let actor = importer(db, job).await?;
    let finished = job.finished_at.unwrap_or_else(now);
    let pending = customer_import_row::Entity::find()
        .filter(customer_import_row::Column::ImportId.eq(job.id))
        .filter(customer_import_row::Column::Outcome.is_in(["created", "updated"]))
        .filter(customer_import_row::Column::RevertNote.is_null())
        .order_by_desc(customer_import_row::Column::Line)
        .all(db)
        .await?;
    // Customers this revert already changed: a later (earlier-line) row of the same customer
    // is undone on top of that change.
    let mut touched = std::collections::HashSet::new();
    for row in pending {
        if !keep_going() {
            return release(db, lease).await;
        }
        let txn = begin_write(db).await?;
        let (undone, note) = revert_row(&txn, &actor, &row, finished, &touched).await?;
        if let Some(id) = row.customer_id {
            touched.insert(id);
        }
        customer_import_row::Entity::update_many()
            .col_expr(customer_import_row::Column::RevertNote, Expr::value(note))
            .filter(customer_import_row::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        let counter = if undone {
            customer_import::Column::RevertedCount
        } else {
            customer_import::Column::KeptCount
        };
        if !progress(&txn, lease, &[counter]).await? {
            return Ok(());
        }
        txn.commit().await?;
    }
    finish(db, lease, ImportStatus::Reverted, customer_import::Column::RevertedAt).await
}

/// Undoes one row unless the customer changed after the import: (undone, what happened).
async fn revert_row<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    row: &customer_import_row::Model,
    finished: chrono::DateTime<chrono::Utc>,
    touched: &std::collections::HashSet<i32>,
) -> AppResult<(bool, String)> {
    let Some(id) = row.customer_id else {
        return Ok((false, "Nothing to undo.".into()));
    };
    let Some(current) = customer::Entity::find_by_id(id).one(txn).await? else {
        return Ok((false, "Already deleted since the import.".into()));
    };
    if current.updated_at > finished && !touched.contains(&id) {
        return Ok((false, "Kept: edited after the import.".into()));
    }
    if row.outcome == "created" {
        let used = interaction::Entity::find().filter(interaction::Column::CustomerId.eq(id)).count(txn).await?
            + follow_up::Entity::find().filter(follow_up::Column::CustomerId.eq(id)).count(txn).await?
            + contact::Entity::find().filter(contact::Column::CustomerId.eq(id)).count(txn).await?;
        if used > 0 {
            return Ok((false, "Kept: it has interactions, follow-ups or contacts added after the import.".into()));
        }
        return Ok(match customers::delete(txn, actor, id).await {
            Ok(()) => (true, "Deleted.".into()),
            Err(AppError::Forbidden | AppError::NotFound) => (false, "Kept: you may no longer delete it.".into()),
            Err(e) => return Err(e),
        });
    }
    let Some(before) = row.before.as_deref().and_then(|b| serde_json::from_str::<CustomerForm>(b).ok()) else {
        return Ok((false, "Kept: its earlier values were not recorded.".into()));
    };
    Ok(match customers::update(txn, actor, id, &before, true).await {
        Ok(_) => (true, "Restored the values it had before the import.".into()),
        Err(AppError::Forbidden | AppError::NotFound) => (false, "Kept: you may no longer edit it.".into()),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict(_))) => {
            (false, format!("Kept: its earlier values are no longer valid: {}", validation_summary(&e)))
        }
        Err(e) => return Err(e),
    })
}

fn validation_summary(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}
