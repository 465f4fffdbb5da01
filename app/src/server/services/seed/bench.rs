//! Bulk data for the CRM benchmark (`server seed-bench`, `make bench-crm`): on top of the demo
//! data, many customers over the demo staff with tags, months of interactions and open
//! follow-ups, written in large batches. Deterministic, so every run measures the same data.

use crate::model::states::CustomerKind;
use crate::model::states::FollowUpStatus;
use crate::error::AppResult;
use crate::server::entities::{
    app_user, customer, customer_tag, follow_up, interaction, lifecycle_stage,
};
use crate::server::services::{platform::{begin_write, now}, crm::{customers::name_key}};
use chrono::TimeDelta;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set, Statement,
};

const WORDS: [&str; 24] = [
    "Harbor", "Birch", "Summit", "Cedar", "Atlas", "Lumen", "Nordic", "Orchard", "Pioneer",
    "Quarry", "Riverside", "Silverline", "Tidewater", "Vista", "Amber", "Beacon", "Copper",
    "Delta", "Evergreen", "Falcon", "Granite", "Horizon", "Iris", "Juniper",
];
const TRADES: [&str; 12] = [
    "Bakery", "Logistics", "Dental", "Builders", "Florist", "Consulting", "Print", "Motors",
    "Pharmacy", "Studio", "Foods", "Care",
];
const TAGS: [&str; 8] = ["vip", "referral", "newsletter", "partner", "wholesale", "trial", "event", "churn-risk"];
const SUMMARIES: [(&str, &str); 4] = [
    ("call", "Checked in about the open quote"),
    ("email", "Sent the monthly statement"),
    ("meeting", "Review of the service so far"),
    ("note", "Prefers calls in the morning"),
];

/// Rows per insert statement (well under SQLite's bound-parameter limit).
const BATCH: usize = 500;

struct Rng(u64);
impl Rng {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Adds `customers` customers and about `interactions` interactions (spread unevenly over
/// them). Call after the demo seed: owners are the demo's non-admin staff.
pub async fn seed(db: &DatabaseConnection, customers: usize, interactions: usize) -> AppResult<()> {
    let staff: Vec<app_user::Model> = app_user::Entity::find()
        .filter(app_user::Column::Role.ne("admin"))
        .all(db)
        .await?;
    let stages = lifecycle_stage::Entity::find().all(db).await?;
    if staff.is_empty() || stages.is_empty() {
        return Err(crate::error::internal("seed-bench", "run seed-demo first"));
    }
    let first_id = next_id::<customer::Entity>(db, customer::Column::Id).await?;
    let mut rng = Rng(100_000);
    let start = now();
    let per_customer = interactions as f64 / customers.max(1) as f64;
    let mut made = 0usize;
    let mut logged = 0usize;
    while made < customers {
        let n = BATCH.min(customers - made);
        let txn = begin_write(db).await?;
        let mut rows = Vec::with_capacity(n);
        let mut tags = Vec::new();
        let mut logs = Vec::new();
        let mut due = Vec::new();
        for k in 0..n {
            let i = made + k;
            let id = first_id + i as i32;
            let owner = &staff[rng.next(staff.len())];
            let name = format!(
                "{} {} {} {}",
                WORDS[rng.next(WORDS.len())],
                WORDS[rng.next(WORDS.len())],
                TRADES[rng.next(TRADES.len())],
                i + 1
            );
            let key = name_key(&name);
            let email = (rng.next(10) < 8).then(|| format!("contact{i}@bench.example"));
            let created = start - TimeDelta::days(30 + rng.next(700) as i64);
            // Interactions: each customer gets a share around the average, the last one some
            // time in the past year.
            let count = if per_customer <= 0.0 {
                0
            } else {
                rng.next((per_customer * 2.0).round() as usize + 1)
            };
            let count = count.min(interactions.saturating_sub(logged));
            logged += count;
            let mut last = None;
            for _ in 0..count {
                let (kind, summary) = SUMMARIES[rng.next(SUMMARIES.len())];
                let at = start - TimeDelta::days(rng.next(365) as i64) - TimeDelta::minutes(rng.next(600) as i64);
                last = Some(last.map_or(at, |l: chrono::DateTime<chrono::Utc>| l.max(at)));
                logs.push(interaction::ActiveModel {
                    customer_id: Set(id),
                    author_id: Set(Some(owner.id)),
                    kind: Set(kind.into()),
                    occurred_at: Set(at),
                    summary: Set(summary.into()),
                    outcome: Set(String::new()),
                    created_at: Set(at),
                    ..Default::default()
                });
            }
            let next = (rng.next(4) == 0).then(|| start + TimeDelta::hours(rng.next(24 * 60) as i64 - 24 * 14));
            if let Some(at) = next {
                due.push(follow_up::ActiveModel {
                    customer_id: Set(id),
                    assignee_id: Set(owner.id),
                    created_by: Set(Some(owner.id)),
                    due_at: Set(at),
                    note: Set("Call back".into()),
                    status: Set(FollowUpStatus::Open.into()),
                    completed_at: Set(None),
                    completed_by: Set(None),
                    created_at: Set(created),
                    ..Default::default()
                });
            }
            for t in TAGS.iter().filter(|_| rng.next(6) == 0) {
                tags.push(customer_tag::ActiveModel {
                    customer_id: Set(id),
                    tag: Set((*t).into()),
                });
            }
            rows.push(customer::ActiveModel {
                id: Set(id),
                kind: Set(if i % 4 == 0 { CustomerKind::Person } else { CustomerKind::Organisation }),
                name_key: Set(key),
                name: Set(name),
                email_key: Set(email.clone()),
                email: Set(email),
                phone: Set((rng.next(10) < 6).then(|| format!("+44 20 {:07}", i % 10_000_000))),
                notes: Set(String::new()),
                owner_id: Set(owner.id),
                team_id: Set(owner.team_id),
                stage_id: Set(stages[rng.next(stages.len())].id),
                quality: Set([0, 50, 100, 100][rng.next(4)]),
                quality_expires_at: Set(None),
                last_interaction_at: Set(last),
                next_follow_up_at: Set(next),
                created_by: Set(Some(owner.id)),
                created_at: Set(created),
                updated_at: Set(created),
            });
        }
        customer::Entity::insert_many(rows).exec(&txn).await?;
        for chunk in tags.chunks(BATCH * 2) {
            customer_tag::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        for chunk in logs.chunks(BATCH * 2) {
            interaction::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        for chunk in due.chunks(BATCH) {
            follow_up::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        txn.commit().await?;
        made += n;
        if made % 10_000 == 0 || made == customers {
            eprintln!("  {made} customers, {logged} interactions");
        }
    }
    sequence_past_explicit_ids(db, "customer").await?;
    refresh_statistics(db).await
}

/// The id after the highest of entity `E`'s (1 when it has no rows): where explicit ids start.
async fn next_id<E: EntityTrait>(db: &DatabaseConnection, id: E::Column) -> AppResult<i32> {
    Ok(E::find()
        .select_only()
        .column(id)
        .order_by_desc(id)
        .into_tuple::<i32>()
        .one(db)
        .await?
        .unwrap_or(0)
        + 1)
}

/// Explicit ids do not advance PostgreSQL's sequence: moves `table`'s past them.
async fn sequence_past_explicit_ids(db: &DatabaseConnection, table: &str) -> AppResult<()> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_raw(Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"),
        ))
        .await?;
    }
    Ok(())
}

/// Fresh planner statistics and (on PostgreSQL) visibility map, as autovacuum gives a database
/// in use.
async fn refresh_statistics(db: &DatabaseConnection) -> AppResult<()> {
    let tidy = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "VACUUM ANALYZE",
        _ => "ANALYZE",
    };
    db.execute_raw(Statement::from_string(db.get_database_backend(), tidy))
        .await?;
    Ok(())
}

/// Adds `runs` process runs over the customers added by `seed` (after the demo's): each demo
/// process in turn on each customer, six in ten active (part-way through, some overdue), three
/// completed, one cancelled, with their step rows as the run page, the run lists and "My day"
/// read them. Written in batches with explicit ids, like the customers. Returns the highest run
/// id (run ids from 1 to it all exist).
pub async fn seed_runs(db: &DatabaseConnection, runs: usize) -> AppResult<i32> {
    use crate::model::states::{RunStatus, StepStatus, VersionStatus};
    use crate::server::entities::{process_run, process_step_run, process_version};
    let versions = process_version::Entity::find()
        .filter(process_version::Column::Status.eq(VersionStatus::Published))
        .order_by_asc(process_version::Column::TemplateId)
        .all(db)
        .await?;
    let mut steps = Vec::new();
    for v in &versions {
        steps.push(crate::server::services::processes::steps_of(db, v.id).await?);
    }
    // The customers without a run yet (the demo's have theirs), with their owners.
    let busy = process_run::Entity::find().select_only().column(process_run::Column::CustomerId).into_query();
    let targets: Vec<(i32, i32)> = customer::Entity::find()
        .select_only()
        .columns([customer::Column::Id, customer::Column::OwnerId])
        .filter(customer::Column::Id.not_in_subquery(busy))
        .order_by_asc(customer::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    if versions.is_empty() || targets.is_empty() {
        return Err(crate::error::internal("seed-bench", "runs need the demo's processes and bench customers"));
    }
    let first_id = next_id::<process_run::Entity>(db, process_run::Column::Id).await?;
    let mut rng = Rng(50_000);
    let start = now();
    let mut made = 0usize;
    while made < runs {
        let n = BATCH.min(runs - made);
        let txn = begin_write(db).await?;
        let mut rows = Vec::with_capacity(n);
        let mut step_rows = Vec::new();
        for k in 0..n {
            let i = made + k;
            // Each process in turn, then the next customer: no customer has the same process
            // active twice.
            let which = i % versions.len();
            let (customer_id, owner_id) = targets[(i / versions.len()) % targets.len()];
            let (version, defs) = (&versions[which], &steps[which]);
            // (Past one round of every process on every customer, runs are finished ones.)
            let repeat = i >= targets.len() * versions.len();
            let status = match i % 10 {
                0..=5 if !repeat => RunStatus::Active,
                0..=8 => RunStatus::Completed,
                _ => RunStatus::Cancelled,
            };
            let started = start - TimeDelta::hours(1 + rng.next(24 * 120) as i64);
            let finished = (status != RunStatus::Active).then(|| started + TimeDelta::hours(1 + rng.next(24 * 20) as i64));
            // How far the run got: every step when completed.
            let reached = if status == RunStatus::Completed { defs.len() } else { rng.next(defs.len()) };
            let id = first_id + i as i32;
            for (p, def) in defs.iter().enumerate() {
                let done_at = started + TimeDelta::hours(p as i64 * 20 + 2);
                let (step_status, available, completed) = match (p.cmp(&reached), status) {
                    (std::cmp::Ordering::Less, _) => (StepStatus::Done, Some(started), Some(done_at)),
                    (std::cmp::Ordering::Equal, RunStatus::Active) => (StepStatus::Available, Some(done_at), None),
                    (_, RunStatus::Active) => (StepStatus::Waiting, None, None),
                    _ => (StepStatus::Skipped, None, finished),
                };
                // Open steps are due from a week ago to two weeks ahead: some overdue.
                let due = (step_status == StepStatus::Available)
                    .then(|| start + TimeDelta::hours(rng.next(24 * 21) as i64 - 24 * 7));
                let mut row = crate::server::services::processes::runs::new_step_run(id, def, owner_id, true, due);
                row.status = Set(step_status);
                row.available_at = Set(available);
                row.completed_at = Set(completed);
                row.completed_by = Set(completed.filter(|_| step_status == StepStatus::Done).map(|_| owner_id));
                step_rows.push(row);
            }
            rows.push(process_run::ActiveModel {
                id: Set(id),
                template_id: Set(version.template_id),
                version_id: Set(version.id),
                customer_id: Set(customer_id),
                owner_id: Set(owner_id),
                status: Set(status.into()),
                started_by: Set(Some(owner_id)),
                started_how: Set("manual".into()),
                started_at: Set(started),
                finished_at: Set(finished),
                cancelled_by: Set(finished.filter(|_| status == RunStatus::Cancelled).map(|_| owner_id)),
                cancel_reason: Set((status == RunStatus::Cancelled).then(|| "No longer needed".into())),
                active_key: Set((status == RunStatus::Active)
                    .then(|| crate::server::services::processes::runs::active_key(version.template_id, customer_id))),
                lock_version: Set(0),
            });
        }
        process_run::Entity::insert_many(rows).exec(&txn).await?;
        for chunk in step_rows.chunks(BATCH) {
            process_step_run::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        txn.commit().await?;
        made += n;
        if made % 10_000 == 0 || made == runs {
            eprintln!("  {made} runs");
        }
    }
    sequence_past_explicit_ids(db, "process_run").await?;
    refresh_statistics(db).await?;
    Ok(first_id + runs as i32 - 1)
}
