//! Interactions with a customer, and the single customer view that brings the profile,
//! contacts, timeline, follow-ups and change history together.

use crate::server::services::events::{self, Event};
use crate::model::states::FollowUpStatus;
use crate::error::{AppError, AppResult};
use crate::model::crm::{
    ChangeView, ContactView, CustomerDetail, INTERACTION_KINDS, InteractionView,
};
use crate::server::entities::{
    app_user, audit_log, contact, customer, customer_tag, follow_up, interaction,
    lifecycle_stage, team,
};
use crate::server::services::platform::access::{Actor, visible_customer};
use crate::server::services::{platform::{begin_write, now, times}, crm::{customers, follow_ups}};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

/// What the interaction form sends, as typed.
pub struct NewInteraction<'a> {
    pub customer_id: i32,
    pub kind: &'a str,
    /// `datetime-local` in the actor's timezone.
    pub occurred_at: &'a str,
    pub summary: &'a str,
    pub outcome: &'a str,
}

/// Logs an interaction on a customer the actor can see, and keeps the customer's "last
/// interaction" current.
pub async fn log_interaction<C: ConnectionTrait + TransactionTrait>(
    db: &C,
    actor: &Actor,
    new: &NewInteraction<'_>,
) -> AppResult<interaction::Model> {
    let c = visible_customer(db, actor, new.customer_id).await?;
    let mut fields = BTreeMap::new();
    if !INTERACTION_KINDS.iter().any(|(k, _)| *k == new.kind) {
        fields.insert("kind".to_string(), "Choose call, meeting, email or note.".to_string());
    }
    let summary = new.summary.trim();
    if summary.is_empty() {
        fields.insert("summary".into(), "Write what happened, in a sentence or two.".into());
    } else if summary.chars().count() > 5000 {
        fields.insert("summary".into(), "Keep the summary under 5,000 characters.".into());
    }
    if new.outcome.chars().count() > 500 {
        fields.insert("outcome".into(), "Keep the outcome under 500 characters.".into());
    }
    let occurred = times::parse_input("occurred_at", new.occurred_at, times::zone(&actor.timezone));
    let occurred = match occurred {
        Ok(t) if t > now() + chrono::TimeDelta::minutes(5) => {
            fields.insert("occurred_at".into(), "An interaction cannot be in the future.".into());
            None
        }
        Ok(t) => Some(t),
        Err(e) => {
            fields.insert(
                "occurred_at".into(),
                e.field_error("occurred_at").unwrap_or_default(),
            );
            None
        }
    };
    let Some(occurred) = occurred.filter(|_| fields.is_empty()) else {
        return Err(AppError::invalid(fields));
    };
    let txn = begin_write(db).await?;
    let created = interaction::ActiveModel {
        customer_id: Set(c.id),
        author_id: Set(Some(actor.id)),
        kind: Set(new.kind.to_string()),
        occurred_at: Set(occurred),
        summary: Set(summary.to_string()),
        outcome: Set(new.outcome.trim().to_string()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if c.last_interaction_at.is_none_or(|last| last < occurred) {
        customer::ActiveModel {
            id: Set(c.id),
            last_interaction_at: Set(Some(occurred)),
            ..Default::default()
        }
        .update(&txn)
        .await?;
    }
    events::emit(&txn, actor.id, Event::InteractionLogged { customer: &c, interaction_id: created.id }).await?;
    txn.commit().await?;
    Ok(created)
}

/// One page of a customer's interactions, newest first, and how many there are in all.
pub async fn interactions<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    customer_id: i32,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<interaction::Model>, u64)> {
    visible_customer(db, actor, customer_id).await?;
    let query = interaction::Entity::find().filter(interaction::Column::CustomerId.eq(customer_id));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(interaction::Column::OccurredAt)
        .order_by_desc(interaction::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((rows, total))
}

/// The change history of a customer from the audit log, newest first.
async fn history<C: ConnectionTrait>(
    db: &C,
    id: i32,
    tz: chrono_tz::Tz,
    names: &HashMap<i32, String>,
) -> AppResult<Vec<ChangeView>> {
    let rows = audit_log::Entity::find()
        .filter(audit_log::Column::EntityType.eq("customer"))
        .filter(audit_log::Column::EntityId.eq(id.to_string()))
        .order_by_desc(audit_log::Column::Id)
        .limit(100)
        .all(db)
        .await?;
    let parse = |v: &Option<String>| -> BTreeMap<String, serde_json::Value> {
        v.as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    };
    let text = |v: Option<&serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let before = parse(&r.before_value);
            let after = parse(&r.after_value);
            let mut keys: Vec<&String> = after.keys().chain(before.keys()).collect();
            keys.sort();
            keys.dedup();
            ChangeView {
                at: times::display(r.created_at, tz),
                actor: r.actor_id.and_then(|a| names.get(&a).cloned()),
                action: match r.action.as_str() {
                    "customer.create" => "created the customer".into(),
                    "customer.update" => "changed".into(),
                    "follow_up.create" => "scheduled a follow-up".into(),
                    "follow_up.done" => "completed a follow-up".into(),
                    "follow_up.cancel" => "cancelled a follow-up".into(),
                    "follow_up.reschedule" => "rescheduled a follow-up".into(),
                    "contact.create" => "added a contact".into(),
                    other => other.to_string(),
                },
                changes: keys
                    .into_iter()
                    .map(|k| (k.clone(), text(before.get(k)), text(after.get(k))))
                    .collect(),
            }
        })
        .collect())
}

/// Everything the customer page shows, for an actor who can see the customer.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<CustomerDetail> {
    let c = visible_customer(db, actor, id).await?;
    let tz = times::zone(&actor.timezone);
    let names: HashMap<i32, String> = app_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let contacts = contact::Entity::find()
        .filter(contact::Column::CustomerId.eq(id))
        .order_by_asc(contact::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|k| ContactView {
            id: k.id,
            name: k.name,
            title: k.title,
            email: k.email,
            phone: k.phone,
        })
        .collect();
    let interactions = interaction::Entity::find()
        .filter(interaction::Column::CustomerId.eq(id))
        .order_by_desc(interaction::Column::OccurredAt)
        .order_by_desc(interaction::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(|i| InteractionView {
            id: i.id,
            kind: i.kind,
            occurred_at: times::display(i.occurred_at, tz),
            author: i.author_id.and_then(|a| names.get(&a).cloned()),
            summary: i.summary,
            outcome: i.outcome,
        })
        .collect();
    let all_follow_ups = follow_up::Entity::find()
        .filter(follow_up::Column::CustomerId.eq(id))
        .order_by_asc(follow_up::Column::DueAt)
        .all(db)
        .await?;
    let (open, mut past): (Vec<_>, Vec<_>) = all_follow_ups
        .into_iter()
        .partition(|f| f.status == FollowUpStatus::Open);
    past.reverse();
    past.truncate(50);
    let tags = customer_tag::Entity::find()
        .filter(customer_tag::Column::CustomerId.eq(id))
        .order_by_asc(customer_tag::Column::Tag)
        .all(db)
        .await?
        .into_iter()
        .map(|t| t.tag)
        .collect();
    let stage = lifecycle_stage::Entity::find_by_id(c.stage_id)
        .one(db)
        .await?
        .map(|s| s.label)
        .unwrap_or_default();
    let team = match c.team_id {
        Some(t) => team::Entity::find_by_id(t).one(db).await?.map(|t| t.name),
        None => None,
    };
    Ok(CustomerDetail {
        id: c.id,
        kind: c.kind.clone(),
        name: c.name.clone(),
        email: c.email.clone(),
        phone: c.phone.clone(),
        notes: c.notes.clone(),
        owner: names.get(&c.owner_id).cloned().unwrap_or_default(),
        team,
        stage,
        tags,
        quality: c.quality,
        can_edit: actor.can_edit(&c),
        custom: crate::server::services::crm::fields::views(db, actor, &c).await?,
        contacts,
        interactions,
        open_follow_ups: follow_ups::views(db, actor, open).await?,
        past_follow_ups: follow_ups::views(db, actor, past).await?,
        history: history(db, id, tz, &names).await?,
        assignees: customers::people_choices(db, actor).await?,
        me: actor.id,
        now_input: times::input(now(), tz),
        timezone: actor.timezone.clone(),
    })
}

/// What the contact form sends, as typed.
pub struct NewContact<'a> {
    pub name: &'a str,
    pub title: &'a str,
    pub email: &'a str,
    pub phone: &'a str,
}

/// Adds a person to a customer the actor may edit.
pub async fn add_contact<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    customer_id: i32,
    new: &NewContact<'_>,
) -> AppResult<contact::Model> {
    let c = crate::server::services::platform::access::editable_customer(db, actor, customer_id).await?;
    let mut fields = BTreeMap::new();
    let name = new.name.trim();
    if name.is_empty() {
        fields.insert("name".to_string(), "Enter the contact's name.".to_string());
    } else if name.chars().count() > 200 {
        fields.insert("name".into(), "Use at most 200 characters.".into());
    } else if crate::server::services::platform::has_control_chars(name) {
        fields.insert("name".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    if new.title.trim().chars().count() > 120 {
        fields.insert("title".into(), "Use at most 120 characters.".into());
    } else if crate::server::services::platform::has_control_chars(new.title.trim()) {
        fields.insert("title".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    let email = new.email.trim();
    if !email.is_empty()
        && let Some((_, m)) = crate::server::services::platform::users::check_email("email", email)
    {
        fields.insert("email".into(), m);
    }
    let phone = new.phone.trim();
    if !phone.is_empty()
        && let Some(m) = customers::check_phone(phone)
    {
        fields.insert("phone".into(), m);
    }
    if !fields.is_empty() {
        return Err(AppError::invalid(fields));
    }
    let created = contact::ActiveModel {
        customer_id: Set(c.id),
        name: Set(name.to_string()),
        title: Set(new.title.trim().to_string()),
        email: Set((!email.is_empty()).then(|| email.to_string())),
        phone: Set((!phone.is_empty()).then(|| phone.to_string())),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    crate::server::services::platform::audit::record(
        db,
        Some(actor.id),
        "contact.create",
        "customer",
        c.id,
        None::<&()>,
        Some(&serde_json::json!({ "contact": created.name })),
    )
    .await?;
    Ok(created)
}
