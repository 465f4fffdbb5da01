//! Follow-ups (callbacks): scheduled in the assignee's timezone, done, done-and-next,
//! rescheduled or cancelled; each change keeps the customer's "next follow-up" current.

use crate::server::services::events::{self, Event};
use crate::error::{AppError, AppResult};
use crate::model::crm::FollowUpView;
use crate::model::paging::{MY_DAY_COUNT_CAP, MY_DAY_PER_PAGE, Paged, check_page, count_cap, offset};
use crate::model::states::FollowUpStatus;
use crate::model::user::Role;
use sea_orm::sea_query::Expr;
use crate::server::entities::{app_user, customer, follow_up};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::platform::{audit, begin_write, count_up_to, now, times};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use std::collections::HashMap;

/// What a new follow-up needs, as typed.
pub struct NewFollowUp<'a> {
    /// A user id; empty means the actor.
    pub assignee_id: &'a str,
    /// `datetime-local` in the assignee's timezone.
    pub due: &'a str,
    pub note: &'a str,
}

fn check_note(note: &str) -> AppResult<String> {
    if note.chars().count() > 2000 {
        return Err(AppError::field("note", "Keep the note under 2,000 characters."));
    }
    Ok(note.trim().to_string())
}

/// The assignee (an active user who can see the customer) and the due time read in their
/// timezone.
async fn resolve<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    c: &customer::Model,
    new: &NewFollowUp<'_>,
) -> AppResult<(app_user::Model, DateTime<Utc>, String)> {
    let assignee_id = match new.assignee_id.trim() {
        "" => actor.id,
        v => v.parse().map_err(|_| {
            AppError::field("assignee_id", "Choose who should follow up from the list.")
        })?,
    };
    let assignee = app_user::Entity::find_by_id(assignee_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .filter(|u| {
            u.id == actor.id
                || actor.is_admin()
                || u.team_id.is_some_and(|t| actor.teams.contains(&t))
        })
        .ok_or_else(|| AppError::field("assignee_id", "Choose who should follow up from the list."))?;
    let visible_to_assignee = assignee.role == Role::Admin
        || c.owner_id == assignee.id
        || (c.team_id.is_some() && c.team_id == assignee.team_id)
        || crate::server::entities::team_manager::Entity::find()
            .filter(crate::server::entities::team_manager::Column::UserId.eq(assignee.id))
            .filter(
                crate::server::entities::team_manager::Column::TeamId
                    .eq(c.team_id.unwrap_or(-1)),
            )
            .one(db)
            .await?
            .is_some();
    if !visible_to_assignee {
        return Err(AppError::field(
            "assignee_id",
            format!("{} cannot see this customer; choose someone in its team.", assignee.name),
        ));
    }
    let due = times::parse_input("due", new.due, times::zone(&assignee.timezone))?;
    let note = check_note(new.note)?;
    Ok((assignee, due, note))
}

/// Sets the customer's next follow-up to the earliest open one.
pub async fn refresh_next<C: ConnectionTrait>(db: &C, customer_id: i32) -> AppResult<()> {
    let next = follow_up::Entity::find()
        .filter(follow_up::Column::CustomerId.eq(customer_id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Open))
        .order_by_asc(follow_up::Column::DueAt)
        .one(db)
        .await?
        .map(|f| f.due_at);
    customer::ActiveModel {
        id: Set(customer_id),
        next_follow_up_at: Set(next),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

async fn insert<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    c: &customer::Model,
    new: &NewFollowUp<'_>,
) -> AppResult<follow_up::Model> {
    let (assignee, due, note) = resolve(db, actor, c, new).await?;
    let created = follow_up::ActiveModel {
        customer_id: Set(c.id),
        assignee_id: Set(assignee.id),
        created_by: Set(Some(actor.id)),
        due_at: Set(due),
        note: Set(note),
        status: Set(FollowUpStatus::Open.into()),
        completed_at: Set(None),
        completed_by: Set(None),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        Some(actor.id),
        "follow_up.create",
        "customer",
        c.id,
        None::<&()>,
        Some(&serde_json::json!({
            "follow-up": format!("due {} for {}", due.format("%Y-%m-%d %H:%M UTC"), assignee.name)
        })),
    )
    .await?;
    events::emit(db, actor.id, Event::FollowUpScheduled { customer: c, follow_up_id: created.id }).await?;
    Ok(created)
}

/// Schedules a follow-up on a customer the actor can see.
pub async fn create<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    customer_id: i32,
    new: &NewFollowUp<'_>,
) -> AppResult<follow_up::Model> {
    let c = visible_customer(db, actor, customer_id).await?;
    let txn = begin_write(db).await?;
    let created = insert(&txn, actor, &c, new).await?;
    refresh_next(&txn, c.id).await?;
    txn.commit().await?;
    Ok(created)
}

/// The open follow-up, if the actor may act on it: its assignee, or someone who may edit the
/// customer. Someone who cannot see the customer gets `NotFound`.
async fn actionable<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<(follow_up::Model, customer::Model)> {
    let f = follow_up::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let c = visible_customer(db, actor, f.customer_id).await?;
    if f.assignee_id != actor.id && !actor.can_edit(&c) {
        return Err(AppError::Forbidden);
    }
    if f.status != FollowUpStatus::Open {
        return Err(AppError::Conflict(format!(
            "This follow-up is already {}.",
            if f.status == FollowUpStatus::Done { "done" } else { "cancelled" }
        )));
    }
    Ok((f, c))
}

async fn close<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    f: follow_up::Model,
    status: FollowUpStatus,
) -> AppResult<()> {
    // Only an open row is closed: of two people closing it at once, one wins.
    let result = follow_up::Entity::update_many()
        .col_expr(follow_up::Column::Status, Expr::value(status))
        .col_expr(follow_up::Column::CompletedAt, Some(now()).into())
        .col_expr(follow_up::Column::CompletedBy, Some(actor.id).into())
        .filter(follow_up::Column::Id.eq(f.id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Open))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::Conflict(
            "Someone else closed this follow-up a moment ago.".into(),
        ));
    }
    audit::record(
        db,
        Some(actor.id),
        if status == FollowUpStatus::Done {
            "follow_up.done"
        } else {
            "follow_up.cancel"
        },
        "customer",
        f.customer_id,
        None::<&()>,
        Some(&serde_json::json!({ "follow-up": format!("#{} {status}", f.id) })),
    )
    .await?;
    Ok(())
}

/// Marks a follow-up done; with `next`, schedules the next one in the same transaction and
/// returns it.
pub async fn complete<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    next: Option<NewFollowUp<'_>>,
) -> AppResult<Option<follow_up::Model>> {
    let txn = begin_write(db).await?;
    let (f, c) = actionable(&txn, actor, id).await?;
    let customer_id = f.customer_id;
    let follow_up_id = f.id;
    close(&txn, actor, f, FollowUpStatus::Done).await?;
    events::emit(&txn, actor.id, Event::FollowUpDone { customer: &c, follow_up_id }).await?;
    let next = match next {
        Some(next) => Some(insert(&txn, actor, &c, &next).await?),
        None => None,
    };
    refresh_next(&txn, customer_id).await?;
    txn.commit().await?;
    Ok(next)
}

pub async fn cancel<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let (f, _) = actionable(&txn, actor, id).await?;
    let customer_id = f.customer_id;
    close(&txn, actor, f, FollowUpStatus::Cancelled).await?;
    refresh_next(&txn, customer_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves an open follow-up to a new time (in its assignee's timezone).
pub async fn reschedule<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    due: &str,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let (f, _) = actionable(&txn, actor, id).await?;
    let assignee = app_user::Entity::find_by_id(f.assignee_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let due = times::parse_input("due", due, times::zone(&assignee.timezone))?;
    let before = f.due_at;
    let customer_id = f.customer_id;
    let mut changed: follow_up::ActiveModel = f.into();
    changed.due_at = Set(due);
    changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "follow_up.reschedule",
        "customer",
        customer_id,
        Some(&serde_json::json!({ "follow-up due": before.format("%Y-%m-%d %H:%M UTC").to_string() })),
        Some(&serde_json::json!({ "follow-up due": due.format("%Y-%m-%d %H:%M UTC").to_string() })),
    )
    .await?;
    refresh_next(&txn, customer_id).await?;
    txn.commit().await?;
    Ok(())
}

/// Which follow-ups a search returns; each criterion left `None` matches all.
#[derive(Debug, Default, Clone)]
pub struct FollowUpFilter {
    pub assignee_id: Option<i32>,
    pub customer_id: Option<i32>,
    /// `open`, `done` or `cancelled`.
    pub status: Option<String>,
    /// Only open ones already due.
    pub overdue: bool,
}

/// One page of the follow-ups on customers the actor can see that match `filter`, soonest due
/// first, and how many match in all.
pub async fn search<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    filter: &FollowUpFilter,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<follow_up::Model>, u64)> {
    let mut query = follow_up::Entity::find();
    if !actor.is_admin() {
        query = query.filter(follow_up::Column::CustomerId.in_subquery(actor.visible_ids()));
    }
    if let Some(id) = filter.assignee_id {
        query = query.filter(follow_up::Column::AssigneeId.eq(id));
    }
    if let Some(id) = filter.customer_id {
        query = query.filter(follow_up::Column::CustomerId.eq(id));
    }
    if let Some(status) = &filter.status {
        query = query.filter(follow_up::Column::Status.eq(status.as_str()));
    }
    if filter.overdue {
        query = query
            .filter(follow_up::Column::Status.eq(FollowUpStatus::Open))
            .filter(follow_up::Column::DueAt.lt(now()));
    }
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(follow_up::Column::DueAt)
        .order_by_asc(follow_up::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// One follow-up on a customer the actor can see.
pub async fn visible<C: ConnectionTrait>(db: &C, actor: &Actor, id: i32) -> AppResult<follow_up::Model> {
    let f = follow_up::Entity::find_by_id(id).one(db).await?.ok_or(AppError::NotFound)?;
    visible_customer(db, actor, f.customer_id).await?;
    Ok(f)
}

/// Follow-ups as the actor sees them (times in the actor's timezone).
pub async fn views<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    rows: Vec<follow_up::Model>,
) -> AppResult<Vec<FollowUpView>> {
    let users = crate::server::services::platform::users::names(db, rows.iter().map(|f| f.assignee_id).collect()).await?;
    let customer_ids: Vec<i32> = rows.iter().map(|f| f.customer_id).collect();
    let customers: HashMap<i32, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(customer_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let tz = times::zone(&actor.timezone);
    let at = now();
    Ok(rows
        .into_iter()
        .map(|f| {
            let c = customers.get(&f.customer_id);
            FollowUpView {
                id: f.id,
                customer_id: f.customer_id,
                customer_name: c.map(|c| c.name.clone()).unwrap_or_default(),
                assignee_id: f.assignee_id,
                assignee: users.get(&f.assignee_id).cloned().unwrap_or_default(),
                due: times::display(f.due_at, tz),
                due_input: times::input(f.due_at, tz),
                overdue: f.status == FollowUpStatus::Open && f.due_at < at,
                can_act: f.status == FollowUpStatus::Open
                    && (f.assignee_id == actor.id || c.is_some_and(|c| actor.can_edit(c))),
                completed: f.completed_at.map(|t| times::display(t, tz)),
                note: f.note,
                status: f.status,
            }
        })
        .collect())
}

/// "My day": one page of my open follow-ups due before the end of my day, oldest first; and
/// how many there are in all, counted up to `count_cap` (a little past this page).
pub async fn my_day<C: ConnectionTrait>(db: &C, actor: &Actor, page: u64) -> AppResult<Paged<FollowUpView>> {
    let page = check_page(page)?;
    let per_page = MY_DAY_PER_PAGE;
    let (_, end) = times::today_bounds(times::zone(&actor.timezone));
    let due = follow_up::Entity::find()
        .filter(follow_up::Column::AssigneeId.eq(actor.id))
        .filter(follow_up::Column::Status.eq(FollowUpStatus::Open))
        .filter(follow_up::Column::DueAt.lt(end));
    let cap = count_cap(MY_DAY_COUNT_CAP, page, per_page);
    let total = count_up_to(db, due.clone(), cap).await?;
    let rows = due
        .order_by_asc(follow_up::Column::DueAt)
        .order_by_asc(follow_up::Column::Id)
        .offset(offset(page, per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok(Paged::counted(views(db, actor, rows).await?, total, cap, page, per_page))
}
