//! What people see of runs: the run page, a customer's runs, a template's run list and "My day".

use crate::model::states::{RunStatus, StepKind, StepStatus};
use crate::error::{AppError, AppResult};
use crate::model::user::Role;
use crate::model::paging::{LIST_COUNT_CAP, MY_DAY_COUNT_CAP, MY_DAY_PER_PAGE, Paged, capped_count, check_page, count_cap, offset};
use crate::model::crm::CustomInput;
use crate::model::process::{
    DataInput, MyStep, RunEventView, RunQuery, RunRow, RunView, StepRunView,
};
use crate::server::entities::{
    custom_field, custom_value, customer, process_run, process_run_event, process_step,
    process_step_run, process_version,
};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::processes::{self, field_keys};
use crate::server::services::{platform::{count_up_to, now, times, users}, crm::fields};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, JoinType, PaginatorTrait, RelationDef,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};
use std::collections::{BTreeMap, HashMap};

use super::{PER_PAGE, defs_of, step_runs};
use super::act::{Left, may_act, may_finish};

fn who(people: &HashMap<i32, String>, id: Option<i32>) -> String {
    id.and_then(|i| people.get(&i).cloned())
        .unwrap_or_else(|| "someone".into())
}

pub(super) fn when(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map(|t| times::display(t, tz)).unwrap_or_default()
}

fn assignee_text(sr: &process_step_run::Model, names: &HashMap<i32, String>) -> String {
    match (sr.assignee_id, sr.assignee_role) {
        (Some(id), _) => names.get(&id).cloned().unwrap_or_else(|| "a removed user".into()),
        (None, Some(role)) => role.as_assignee().into(),
        (None, None) => "Nobody".into(),
    }
}

/// The inputs a data step shows, filled with what the customer holds now (`values`: the
/// customer's custom values by field id).
fn data_inputs(
    c: &customer::Model,
    def: &process_step::Model,
    custom: &[custom_field::Model],
    values: &HashMap<i32, custom_value::Model>,
) -> Vec<DataInput> {
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
    out
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
    let active = run.status == RunStatus::Active;
    let custom = fields::active(db).await?;
    let labels: HashMap<String, String> = processes::field_choices(&custom)
        .into_iter()
        .map(|c| (c.value, c.label))
        .collect();
    // The customer's values, read once, when an open data step shows them.
    let open_data = |sr: &process_step_run::Model| {
        active
            && sr.status == StepStatus::Available
            && defs.get(&sr.step_id).is_some_and(|d| d.kind == StepKind::Data)
    };
    let values = if steps.iter().any(open_data) { fields::values_of(db, c.id).await? } else { HashMap::new() };
    let mut views = Vec::new();
    for sr in &steps {
        let Some(def) = defs.get(&sr.step_id) else { continue };
        let open = active && sr.status == StepStatus::Available;
        let allowed = may_act(actor, sr, &c, &people);
        let can = open && allowed.is_ok();
        let why_not = match (&allowed, sr.status) {
            _ if !active => None,
            (Err(why), StepStatus::Available | StepStatus::Waiting | StepStatus::Rejected) => Some(why.clone()),
            (Ok(()), StepStatus::Waiting) => Some("It opens once the steps before it are done.".into()),
            (Ok(()), StepStatus::Rejected) => Some("It opens again once the reworked step is done.".into()),
            _ => None,
        };
        let outcome = match sr.status {
            StepStatus::Done => Some(format!("Done by {}, {}", who(&people, sr.completed_by), when(sr.completed_at, tz))),
            StepStatus::Skipped => Some(match sr.completed_by {
                Some(_) => format!("Skipped by {}, {}", who(&people, sr.completed_by), when(sr.completed_at, tz)),
                None => "Not done".into(),
            }),
            StepStatus::Approved => Some(format!("Approved by {}, {}", who(&people, sr.decided_by), when(sr.decided_at, tz))),
            StepStatus::Rejected => Some(format!("Rejected by {}, {}", who(&people, sr.decided_by), when(sr.decided_at, tz))),
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
            overdue: active && !sr.status.finished() && sr.due_at.is_some_and(|d| d < at),
            available_since: sr.available_at.filter(|_| !sr.status.finished()).map(|t| times::display(t, tz)),
            outcome,
            decision_reason: sr.decision_reason.clone(),
            skip_reason: sr.skip_reason.clone(),
            reopened_count: sr.reopened_count,
            saved: match (&sr.data, sr.status.finished()) {
                (Some(data), true) => serde_json::from_str::<BTreeMap<String, String>>(data)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (labels.get(&k).cloned().unwrap_or(k), v))
                    .collect(),
                _ => Vec::new(),
            },
            can_complete: can && def.kind != StepKind::Approval,
            can_skip: can && def.optional,
            can_decide: can && def.kind == StepKind::Approval,
            why_not,
            inputs: if open_data(sr) { data_inputs(&c, def, &custom, &values) } else { Vec::new() },
        });
    }
    let finished_count = steps.iter().filter(|s| s.status.finished()).count();
    let left = Left::of(&steps, &defs);
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
        optional_left: if active && left.required == 0 { left.optional } else { 0 },
        can_finish: left.optional > 0 && may_finish(actor, &run, &left).is_ok(),
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
        .select_only()
        .columns([customer::Column::Id, customer::Column::Name])
        .filter(customer::Column::Id.is_in(runs.iter().map(|r| r.customer_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let people = users::names(db, runs.iter().map(|r| r.owner_id).collect()).await?;
    let tz = times::zone(&actor.timezone);
    let at = now();
    Ok(runs
        .into_iter()
        .map(|r| {
            let steps = by_run.remove(&r.id).unwrap_or_default();
            let version = versions.get(&r.version_id);
            let active = r.status == RunStatus::Active;
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
                done: steps.iter().filter(|s| s.status.finished()).count(),
                total: steps.len(),
                overdue: active
                    && steps.iter().any(|s| !s.status.finished() && s.due_at.is_some_and(|d| d < at)),
                current: steps
                    .iter()
                    .find(|s| active && s.status == StepStatus::Available)
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
/// given), newest first; and the total, counted no further than `count_to` where given.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: Option<i32>,
    customer_id: Option<i32>,
    query: &RunQuery,
    per_page: u64,
    count_to: Option<u64>,
) -> AppResult<(Vec<process_run::Model>, u64)> {
    let page = check_page(query.page)?;
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
            .filter(process_step_run::Column::Status.is_in([StepStatus::Available, StepStatus::Waiting, StepStatus::Rejected]))
            .filter(process_step_run::Column::DueAt.lt(now()))
            .into_query();
        find = find
            .filter(process_run::Column::Status.eq(RunStatus::Active))
            .filter(process_run::Column::Id.in_subquery(late));
    }
    let total = match count_to {
        Some(cap) => count_up_to(db, find.clone(), cap).await?,
        None => find.clone().count(db).await?,
    };
    let runs = find
        .order_by_desc(process_run::Column::StartedAt)
        .order_by_desc(process_run::Column::Id)
        .offset(offset(page, per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((runs, total))
}

/// One page of a template's runs as the run list shows them, and how many there are, counted
/// up to a little past this page (`LIST_COUNT_CAP` on the first pages): (rows, total, whether
/// counting stopped at the total).
pub async fn list_rows<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    query: &RunQuery,
) -> AppResult<(Vec<RunRow>, u64, bool)> {
    let cap = count_cap(LIST_COUNT_CAP, check_page(query.page)?, PER_PAGE);
    let (runs, total) = list(db, actor, Some(template_id), None, query, PER_PAGE, Some(cap)).await?;
    let (total, capped) = capped_count(total, cap);
    Ok((rows(db, actor, runs).await?, total, capped))
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

/// "My day": one page of the open steps I may act on (mine, and those of my role in my teams,
/// approvals included), overdue first, then by due time; and how many there are in all,
/// counted up to `count_cap` (a little past this page).
pub async fn my_steps<C: ConnectionTrait>(db: &C, actor: &Actor, page: u64) -> AppResult<Paged<MyStep>> {
    let page = check_page(page)?;
    let per_page = MY_DAY_PER_PAGE;
    // Only the caller's own open steps are read, in disjoint parts: those assigned to them on
    // a visible customer, and for each role they reach those assigned to it on a customer in
    // their teams (the admin role's anywhere: admins may act on any step, but the team steps of
    // teams they are not in are those teams' work, not their day's). Each part reads the front
    // of an index that ends in the due time and the id, (status, assignee, due, id) or
    // (status, role, due, id), and joins each step's run and customer by key. (As `run_id IN
    // (runs of visible customers)` SQLite listed every visible customer first; one OR of the
    // parts made it walk every active run; one sort over all of a part's steps grew with them;
    // without the id in the index PostgreSQL walked the primary key for the undated ones.)
    let run_of_step: RelationDef = process_step_run::Entity::belongs_to(process_run::Entity)
        .from(process_step_run::Column::RunId)
        .to(process_run::Column::Id)
        .into();
    let customer_of_run: RelationDef = process_run::Entity::belongs_to(customer::Entity)
        .from(process_run::Column::CustomerId)
        .to(customer::Column::Id)
        .into();
    let open = || {
        process_step_run::Entity::find()
            .join(JoinType::InnerJoin, run_of_step.clone())
            .join(JoinType::InnerJoin, customer_of_run.clone())
            .filter(process_step_run::Column::Status.eq(StepStatus::Available))
            .filter(process_run::Column::Status.eq(RunStatus::Active))
    };
    let mut parts = vec![open().filter(process_step_run::Column::AssigneeId.eq(actor.id)).filter(actor.visible())];
    for role in Role::ALL.into_iter().filter(|r| actor.role.at_least(*r)) {
        let by_role = open()
            .filter(process_step_run::Column::AssigneeId.is_null())
            .filter(process_step_run::Column::AssigneeRole.eq(role));
        parts.push(match role {
            Role::Admin => by_role,
            _ => by_role.filter(customer::Column::TeamId.is_in(actor.teams.iter().copied())),
        });
    }
    let cap = count_cap(MY_DAY_COUNT_CAP, page, per_page);
    let mut total = 0;
    for part in &parts {
        total += count_up_to(db, part.clone(), cap).await?;
    }
    let skip = offset(page, per_page);
    let mut open = Vec::new();
    if skip < std::cmp::min(total, cap) {
        // The first `skip + per_page` of each part, those with a due time and those without,
        // hold the page's rows.
        for part in parts {
            let dated = part
                .clone()
                .filter(process_step_run::Column::DueAt.is_not_null())
                .order_by_asc(process_step_run::Column::DueAt)
                .order_by_asc(process_step_run::Column::Id);
            // Ordered by the (all NULL) due time too, so the index's order serves it.
            let undated = part
                .filter(process_step_run::Column::DueAt.is_null())
                .order_by_asc(process_step_run::Column::DueAt)
                .order_by_asc(process_step_run::Column::Id);
            for rows in [dated, undated] {
                open.extend(rows.limit(skip + per_page).all(db).await?);
            }
        }
    }
    open.sort_by_key(|s| (s.due_at.is_none(), s.due_at, s.id));
    let open: Vec<process_step_run::Model> = open.into_iter().skip(skip as usize).take(per_page as usize).collect();
    let runs: HashMap<i32, process_run::Model> = process_run::Entity::find()
        .filter(process_run::Column::Id.is_in(open.iter().map(|s| s.run_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    let customers: HashMap<i32, String> = customer::Entity::find()
        .select_only()
        .columns([customer::Column::Id, customer::Column::Name])
        .filter(customer::Column::Id.is_in(runs.values().map(|r| r.customer_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let titles: HashMap<i32, (String, StepKind)> = process_step::Entity::find()
        .filter(process_step::Column::Id.is_in(open.iter().map(|s| s.step_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, (s.title, s.kind)))
        .collect();
    let versions: HashMap<i32, String> = process_version::Entity::find()
        .select_only()
        .columns([process_version::Column::Id, process_version::Column::Name])
        .filter(process_version::Column::Id.is_in(runs.values().map(|r| r.version_id)))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let tz = times::zone(&actor.timezone);
    let at = now();
    let rows = open
        .into_iter()
        .filter_map(|sr| {
            let run = runs.get(&sr.run_id)?;
            let (title, kind) = titles.get(&sr.step_id)?;
            Some(MyStep {
                run_id: run.id,
                step_run_id: sr.id,
                title: title.clone(),
                kind: kind.clone(),
                process: versions.get(&run.version_id).cloned().unwrap_or_default(),
                customer_id: run.customer_id,
                customer_name: customers.get(&run.customer_id).cloned().unwrap_or_default(),
                due: sr.due_at.map(|d| times::short(d, tz, at)),
                overdue: sr.due_at.is_some_and(|d| d < at),
            })
        })
        .collect();
    Ok(Paged::counted(rows, total, cap, page, per_page))
}
