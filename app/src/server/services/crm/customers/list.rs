//! The customer list: filters, sorting, paging, counts and the choices its filters offer.

use crate::error::AppResult;
use crate::model::crm::{Choice, CustomerList, CustomerQuery, CustomerRow};
use crate::model::paging::capped_count;
use crate::model::user::Role;
use crate::server::entities::{app_user, customer, customer_tag, lifecycle_stage, team};
use crate::server::services::platform::access::Actor;
use crate::server::services::platform::{count_up_to, now, times, users};
use sea_orm::sea_query::{Expr, Func, NullOrdering, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, };
use std::collections::HashMap;
use super::{PER_PAGE, name_key, tags_of};

/// The stages in their order, as choices keyed by stage key.
pub async fn stage_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Choice>> {
    Ok(lifecycle_stage::Entity::find()
        .order_by_asc(lifecycle_stage::Column::Position)
        .all(db)
        .await?
        .into_iter()
        .map(|s| Choice {
            value: s.key,
            label: s.label,
        })
        .collect())
}

/// Users the actor can see as owners or assignees: everyone for admins, their teams' users
/// (and themselves) for others. Active users only, by name.
pub async fn people_choices<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<Choice>> {
    let mut q = app_user::Entity::find().filter(app_user::Column::Active.eq(true));
    if !actor.is_admin() {
        q = q.filter(
            Condition::any()
                .add(app_user::Column::Id.eq(actor.id))
                .add(app_user::Column::TeamId.is_in(actor.teams.clone())),
        );
    }
    Ok(q.order_by_asc(app_user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| Choice {
            value: u.id.to_string(),
            label: u.name,
        })
        .collect())
}

/// The owners the actor may assign a customer to: themselves, plus their teams' users for
/// managers and everyone for admins.
pub async fn owner_choices<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<Choice>> {
    if actor.role == Role::Member {
        return Ok(vec![Choice {
            value: actor.id.to_string(),
            label: actor.name.clone(),
        }]);
    }
    people_choices(db, actor).await
}

/// Tags on customers the actor can see, most used first (for autocomplete).
pub async fn tags_in_use<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<String>> {
    let visible = Query::select()
        .column(customer::Column::Id)
        .from(customer::Entity)
        .cond_where(actor.visible())
        .to_owned();
    let rows: Vec<(String, i64)> = customer_tag::Entity::find()
        .select_only()
        .column(customer_tag::Column::Tag)
        .column_as(Expr::from(Func::count(Expr::col(customer_tag::Column::CustomerId))), "n")
        .filter(customer_tag::Column::CustomerId.in_subquery(visible))
        .group_by(customer_tag::Column::Tag)
        .order_by_desc(Func::count(Expr::col(customer_tag::Column::CustomerId)))
        .limit(200)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(t, _)| t).collect())
}

fn like_pattern(text: &str) -> String {
    let escaped: String = text
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{escaped}%")
}

/// The list's filter as a condition (beyond visibility).
async fn list_condition<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: &CustomerQuery,
) -> AppResult<Condition> {
    let mut cond = Condition::all().add(actor.visible());
    let q = query.q.trim();
    if !q.is_empty() {
        let key = name_key(q);
        let mut any = Condition::any()
            .add(customer::Column::EmailKey.like(like_pattern(&q.to_lowercase())))
            .add(
                customer::Column::Id.in_subquery(
                    Query::select()
                        .column(customer_tag::Column::CustomerId)
                        .from(customer_tag::Entity)
                        .and_where(customer_tag::Column::Tag.eq(q.to_lowercase()))
                        .to_owned(),
                ),
            );
        if !key.is_empty() {
            any = any.add(customer::Column::NameKey.like(like_pattern(&key)));
        }
        let digits: String = q.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 && digits.len() * 2 >= q.len() {
            any = any.add(customer::Column::Phone.like(like_pattern(q)));
        }
        cond = cond.add(any);
    }
    match query.owner.trim() {
        "" => {}
        "me" => cond = cond.add(customer::Column::OwnerId.eq(actor.id)),
        v => cond = cond.add(customer::Column::OwnerId.eq(v.parse::<i32>().unwrap_or(-1))),
    }
    if !query.team.trim().is_empty() {
        cond = cond.add(customer::Column::TeamId.eq(query.team.trim().parse::<i32>().unwrap_or(-1)));
    }
    if !query.stage.trim().is_empty() {
        let stage = lifecycle_stage::Entity::find()
            .filter(lifecycle_stage::Column::Key.eq(query.stage.trim()))
            .one(db)
            .await?;
        cond = cond.add(customer::Column::StageId.eq(stage.map_or(-1, |s| s.id)));
    }
    if !query.tag.trim().is_empty() {
        cond = cond.add(
            customer::Column::Id.in_subquery(
                Query::select()
                    .column(customer_tag::Column::CustomerId)
                    .from(customer_tag::Entity)
                    .and_where(customer_tag::Column::Tag.eq(query.tag.trim().to_lowercase()))
                    .to_owned(),
            ),
        );
    }
    if query.overdue {
        cond = cond.add(customer::Column::NextFollowUpAt.lt(now()));
    }
    if query.incomplete {
        cond = cond.add(customer::Column::Quality.lt(100));
    }
    Ok(cond)
}

/// The customers matching `cond`, in the order the query's `sort` asks for (empty values
/// last, ties broken by id so pages never overlap).
fn sorted(cond: Condition, query: &CustomerQuery) -> sea_orm::Select<customer::Entity> {
    let sort = query.sort.trim();
    let descending = sort.starts_with('-');
    let column = match sort.trim_start_matches('-') {
        "follow_up" => customer::Column::NextFollowUpAt,
        "interaction" => customer::Column::LastInteractionAt,
        "quality" => customer::Column::Quality,
        _ => customer::Column::NameKey,
    };
    let order = if descending { Order::Desc } else { Order::Asc };
    customer::Entity::find()
        .filter(cond)
        .order_by_with_nulls(column, order.clone(), NullOrdering::Last)
        .order_by(customer::Column::Id, order)
}

/// Every customer the list with `query` shows (all pages), `batch` rows at a time, with their
/// tags: for the CSV export.
pub async fn for_export<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: &CustomerQuery,
    offset: u64,
    batch: u64,
) -> AppResult<Vec<(customer::Model, Vec<String>)>> {
    let cond = list_condition(db, actor, query).await?;
    let rows = sorted(cond, query).offset(offset).limit(batch).all(db).await?;
    let ids: Vec<i32> = rows.iter().map(|c| c.id).collect();
    let mut tags = tags_of(db, &ids).await?;
    Ok(rows
        .into_iter()
        .map(|c| {
            let t = tags.remove(&c.id).unwrap_or_default();
            (c, t)
        })
        .collect())
}

/// How many customers the list with `query` shows.
pub async fn count<C: ConnectionTrait>(db: &C, actor: &Actor, query: &CustomerQuery) -> AppResult<u64> {
    let cond = list_condition(db, actor, query).await?;
    Ok(customer::Entity::find().filter(cond).count(db).await?)
}

/// One page of the customers the actor can see, filtered and sorted as the query says.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: &CustomerQuery,
) -> AppResult<CustomerList> {
    let page = crate::model::paging::check_page(query.page)?;
    let cond = list_condition(db, actor, query).await?;
    // Counted no further than a little past this page: the page says "10000 or more".
    let cap = crate::model::paging::count_cap(crate::model::paging::LIST_COUNT_CAP, page, PER_PAGE);
    let (total, capped) = capped_count(count_up_to(db, customer::Entity::find().filter(cond.clone()), cap).await?, cap);
    // The page's ids first (from an index alone where one fits, deep pages included), then
    // only those rows.
    let ids: Vec<i32> = sorted(cond, query)
        .select_only()
        .column(customer::Column::Id)
        .offset(crate::model::paging::offset(page, PER_PAGE))
        .limit(PER_PAGE)
        .into_tuple()
        .all(db)
        .await?;
    let mut found: HashMap<i32, customer::Model> = customer::Entity::find()
        .filter(customer::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let rows: Vec<customer::Model> = ids.iter().filter_map(|id| found.remove(id)).collect();
    let mut tags = tags_of(db, &ids).await?;
    let users = users::names(db, rows.iter().map(|c| c.owner_id).collect()).await?;
    let teams = team::Entity::find().order_by_asc(team::Column::Name).all(db).await?;
    let stages = lifecycle_stage::Entity::find()
        .order_by_asc(lifecycle_stage::Column::Position)
        .all(db)
        .await?;
    let tz = times::zone(&actor.timezone);
    let at = now();
    let rows = rows
        .into_iter()
        .map(|c| CustomerRow {
            id: c.id,
            owner: users.get(&c.owner_id).cloned().unwrap_or_default(),
            team: c
                .team_id
                .and_then(|t| teams.iter().find(|x| x.id == t).map(|x| x.name.clone())),
            stage: stages
                .iter()
                .find(|s| s.id == c.stage_id)
                .map(|s| s.label.clone())
                .unwrap_or_default(),
            tags: tags.remove(&c.id).unwrap_or_default(),
            quality: c.quality,
            last_interaction: c.last_interaction_at.map(|t| times::short(t, tz, at)),
            next_follow_up: c.next_follow_up_at.map(|t| times::short(t, tz, at)),
            follow_up_overdue: c.next_follow_up_at.is_some_and(|t| t < at),
            name: c.name,
            kind: c.kind,
            email: c.email,
            phone: c.phone,
        })
        .collect();
    Ok(CustomerList {
        rows,
        total,
        capped,
        page,
        per_page: PER_PAGE,
        stages: stages
            .into_iter()
            .map(|s| Choice {
                value: s.key,
                label: s.label,
            })
            .collect(),
        owners: people_choices(db, actor).await?,
        teams: team_choices(actor, teams),
    })
}

/// The teams the actor sees (all for admins), as filter choices.
pub fn team_choices(actor: &Actor, teams: Vec<team::Model>) -> Vec<Choice> {
    teams
        .into_iter()
        .filter(|t| actor.is_admin() || actor.teams.contains(&t.id))
        .map(|t| Choice {
            value: t.id.to_string(),
            label: t.name,
        })
        .collect()
}
