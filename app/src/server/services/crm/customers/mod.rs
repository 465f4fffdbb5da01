//! Customers: validation with duplicate detection, create and edit with change history, the
//! filtered and sorted list, and the single customer view.

mod list;
mod step_data;

pub use list::{stage_choices, people_choices, owner_choices, tags_in_use, for_export, count, list, team_choices};
pub use step_data::{check_step_data, apply_step_data};

use crate::server::services::events::{self, Event};
use crate::error::{AppError, AppResult};
use crate::model::crm::CustomerForm;
use crate::model::states::CustomerKind;
use crate::server::entities::{
    app_user, custom_field, custom_value, customer, customer_tag, lifecycle_stage, };
use crate::server::services::platform::access::{Actor, editable_customer_for_update};
use crate::server::services::platform::{audit, begin_write, now};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionSession,
};
use std::collections::{BTreeMap, HashMap};

pub const PER_PAGE: u64 = 25;
const MAX_TAGS: usize = 20;

/// Lower-case letters and digits only: "ACME Ltd." and "acme ltd" are near-identical.
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Tags as stored: trimmed, lower-case, without duplicates, in the order given.
pub fn parse_tags(tags: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for tag in tags.split(',') {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    out
}

/// A validated customer form.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedCustomer {
    pub kind: CustomerKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub stage_id: i32,
    pub owner_id: i32,
    pub team_id: Option<i32>,
    pub tags: Vec<String>,
    pub notes: String,
    /// The custom fields the actor may change, with their checked values.
    pub custom: Vec<(custom_field::Model, String)>,
}

pub fn check_phone(phone: &str) -> Option<String> {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    let allowed = phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if !allowed || !(5..=20).contains(&digits) || phone.len() > 32 {
        Some("Enter a phone number of 5 to 20 digits; spaces, + - ( ) are fine.".into())
    } else {
        None
    }
}

/// Checks every field of the form (all messages at once) and resolves the stage and owner.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    form: &CustomerForm,
) -> AppResult<CheckedCustomer> {
    let mut fields = BTreeMap::new();
    let kind = CustomerKind::parse(form.kind.trim());
    if kind.is_none() {
        fields.insert("kind".into(), "Choose organisation or person.".into());
    }
    let name = form.name.trim();
    if name_key(name).is_empty() {
        fields.insert("name".into(), "Enter the customer's name.".into());
    } else if name.chars().count() > 200 {
        fields.insert("name".into(), "Use at most 200 characters.".into());
    } else if crate::server::services::platform::has_control_chars(name) {
        fields.insert("name".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    let email = form.email.trim();
    if !email.is_empty()
        && let Some((_, message)) = crate::server::services::platform::users::check_email("email", email)
    {
        fields.insert("email".into(), message);
    }
    let phone = form.phone.trim();
    if !phone.is_empty()
        && let Some(message) = check_phone(phone)
    {
        fields.insert("phone".into(), message);
    }
    let tags = parse_tags(&form.tags);
    if tags.len() > MAX_TAGS {
        fields.insert("tags".into(), format!("Use at most {MAX_TAGS} tags."));
    } else if tags.iter().any(|t| t.chars().count() > 40) {
        fields.insert("tags".into(), "Keep each tag under 40 characters.".into());
    } else if tags.iter().any(|t| crate::server::services::platform::has_control_chars(t)) {
        fields.insert("tags".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    if form.notes.chars().count() > 5000 {
        fields.insert("notes".into(), "Keep notes under 5,000 characters.".into());
    }
    let stage = lifecycle_stage::Entity::find()
        .filter(lifecycle_stage::Column::Key.eq(form.stage.trim()))
        .one(db)
        .await?;
    if stage.is_none() {
        fields.insert("stage".into(), "Choose a lifecycle stage.".into());
    }
    let owner = match form.owner_id.trim() {
        "" => Some(actor.id),
        v => v.parse::<i32>().ok(),
    };
    let owner = match owner {
        Some(id) => app_user::Entity::find_by_id(id)
            .one(db)
            .await?
            .filter(|u| u.active),
        None => None,
    };
    let owner_ok = owner.as_ref().is_some_and(|o| {
        o.id == actor.id || actor.can_assign_to_team(o.team_id) || actor.is_admin()
    });
    if !owner_ok {
        fields.insert(
            "owner_id".into(),
            "Choose an owner from the list: yourself or someone in a team you manage.".into(),
        );
    }
    let defined = crate::server::services::crm::fields::active(db).await?;
    let custom = crate::server::services::crm::fields::check_values(actor, &defined, &form.custom, &mut fields);
    match (stage, owner, kind) {
        (Some(stage), Some(owner), Some(kind)) if fields.is_empty() => Ok(CheckedCustomer {
            kind,
            name: name.to_string(),
            email: (!email.is_empty()).then(|| email.to_string()),
            phone: (!phone.is_empty()).then(|| phone.to_string()),
            stage_id: stage.id,
            owner_id: owner.id,
            team_id: owner.team_id,
            tags,
            notes: form.notes.trim().to_string(),
            custom,
        }),
        _ => Err(AppError::invalid(fields)),
    }
}

/// Another customer with this email, or with a near-identical name.
pub struct Duplicates {
    pub same_email: Option<customer::Model>,
    pub similar_name: Option<customer::Model>,
}

pub async fn find_duplicates<C: ConnectionTrait>(
    db: &C,
    name: &str,
    email: Option<&str>,
    except: Option<i32>,
) -> AppResult<Duplicates> {
    let not_self = |q: sea_orm::Select<customer::Entity>| match except {
        Some(id) => q.filter(customer::Column::Id.ne(id)),
        None => q,
    };
    let same_email = match email {
        Some(e) => {
            not_self(customer::Entity::find())
                .filter(customer::Column::EmailKey.eq(crate::server::services::platform::users::normalise_email(e)))
                .one(db)
                .await?
        }
        None => None,
    };
    let similar_name = not_self(customer::Entity::find())
        .filter(customer::Column::NameKey.eq(name_key(name)))
        .one(db)
        .await?;
    Ok(Duplicates {
        same_email,
        similar_name,
    })
}

/// A duplicate email always stops the save; a near-identical name stops it until the user
/// says it is a different customer. The error names the other customer so the form can link it,
/// but only when the actor may see it: a customer of another team is neither named nor linked.
fn duplicate_error(actor: &Actor, dups: &Duplicates, allow_similar_name: bool) -> Option<AppError> {
    if let Some(other) = &dups.same_email {
        return Some(if actor.can_see(other) {
            AppError::field(
                "email",
                format!("A customer with this email already exists: {}.", other.name),
            )
            .with_duplicate(other.id, &other.name)
        } else {
            AppError::field("email", HIDDEN_SAME_EMAIL)
        });
    }
    match &dups.similar_name {
        Some(other) if !allow_similar_name => Some(if actor.can_see(other) {
            AppError::field(
                "name",
                format!(
                    "A customer named “{}” already exists. Open it, or tick “This is a different customer” to save anyway.",
                    other.name
                ),
            )
            .with_duplicate(other.id, &other.name)
        } else {
            AppError::field(
                "name",
                "A customer with this name already exists in another team. Tick “This is a different customer” to save anyway.",
            )
        }),
        _ => None,
    }
}

/// The message for an email that a customer the actor may not see already has.
pub const HIDDEN_SAME_EMAIL: &str = "A customer with this email already exists.";

async fn set_tags<C: ConnectionTrait>(db: &C, customer_id: i32, tags: &[String]) -> AppResult<()> {
    customer_tag::Entity::delete_many()
        .filter(customer_tag::Column::CustomerId.eq(customer_id))
        .exec(db)
        .await?;
    if !tags.is_empty() {
        customer_tag::Entity::insert_many(tags.iter().map(|t| customer_tag::ActiveModel {
            customer_id: Set(customer_id),
            tag: Set(t.clone()),
        }))
        .exec(db)
        .await?;
    }
    Ok(())
}

async fn tags_of<C: ConnectionTrait>(db: &C, ids: &[i32]) -> AppResult<HashMap<i32, Vec<String>>> {
    let mut out: HashMap<i32, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    for row in customer_tag::Entity::find()
        .filter(customer_tag::Column::CustomerId.is_in(ids.to_vec()))
        .order_by_asc(customer_tag::Column::Tag)
        .all(db)
        .await?
    {
        out.entry(row.customer_id).or_default().push(row.tag);
    }
    Ok(out)
}

fn unique_email(e: sea_orm::DbErr) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::field("email", "A customer with this email already exists.")
    } else {
        e.into()
    }
}

/// The audited snapshot of a customer: field name to display value.
async fn snapshot<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
    tags: &[String],
) -> AppResult<BTreeMap<String, String>> {
    let stage = lifecycle_stage::Entity::find_by_id(c.stage_id)
        .one(db)
        .await?
        .map(|s| s.label)
        .unwrap_or_default();
    let owner = app_user::Entity::find_by_id(c.owner_id)
        .one(db)
        .await?
        .map(|u| u.name)
        .unwrap_or_default();
    let mut snap = BTreeMap::from([
        ("kind".into(), c.kind.label().to_string()),
        ("name".into(), c.name.clone()),
        ("email".into(), c.email.clone().unwrap_or_default()),
        ("phone".into(), c.phone.clone().unwrap_or_default()),
        ("stage".into(), stage),
        ("owner".into(), owner),
        ("tags".into(), tags.join(", ")),
        ("notes".into(), c.notes.clone()),
    ]);
    snap.extend(crate::server::services::crm::fields::snapshot(db, c.id).await?);
    Ok(snap)
}

/// Only the entries that differ between two snapshots: (before, after).
fn diff(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut b = BTreeMap::new();
    let mut a = BTreeMap::new();
    for (key, new) in after {
        let old = before.get(key).cloned().unwrap_or_default();
        if &old != new {
            b.insert(key.clone(), old);
            a.insert(key.clone(), new.clone());
        }
    }
    (b, a)
}

/// Creates a customer owned by the chosen owner (default: the actor), in the owner's team.
pub async fn create<C: sea_orm::TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    form: &CustomerForm,
    allow_similar_name: bool,
) -> AppResult<customer::Model> {
    let checked = check(db, actor, form).await?;
    let dups = find_duplicates(db, &checked.name, checked.email.as_deref(), None).await?;
    if let Some(e) = duplicate_error(actor, &dups, allow_similar_name) {
        return Err(e);
    }
    let txn = begin_write(db).await?;
    let at = now();
    let created = customer::ActiveModel {
        kind: Set(checked.kind),
        name_key: Set(name_key(&checked.name)),
        name: Set(checked.name),
        email_key: Set(checked.email.as_deref().map(crate::server::services::platform::users::normalise_email)),
        email: Set(checked.email),
        phone: Set(checked.phone),
        notes: Set(checked.notes),
        owner_id: Set(checked.owner_id),
        team_id: Set(checked.team_id),
        stage_id: Set(checked.stage_id),
        quality: Set(0),
        quality_expires_at: Set(None),
        last_interaction_at: Set(None),
        next_follow_up_at: Set(None),
        created_by: Set(Some(actor.id)),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .map_err(unique_email)?;
    set_tags(&txn, created.id, &checked.tags).await?;
    crate::server::services::crm::fields::save_values(&txn, actor, created.id, &checked.custom).await?;
    let created = refresh_quality(&txn, created.id).await?;
    let after = snapshot(&txn, &created, &checked.tags).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "customer.create",
        "customer",
        created.id,
        None::<&()>,
        Some(&after),
    )
    .await?;
    events::emit(&txn, actor.id, Event::CustomerCreated { customer: &created }).await?;
    txn.commit().await?;
    Ok(created)
}

/// Changes a customer the actor may edit; records the changed fields, before and after.
pub async fn update<C: sea_orm::TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    form: &CustomerForm,
    allow_similar_name: bool,
) -> AppResult<customer::Model> {
    let txn = begin_write(db).await?;
    let existing = editable_customer_for_update(&txn, actor, id).await?;
    let checked = check(&txn, actor, form).await?;
    // Keeping the current owner is always allowed, even for someone who could not assign them.
    let dups = find_duplicates(&txn, &checked.name, checked.email.as_deref(), Some(id)).await?;
    // A name that only changed in spelling does not warn again about the same other customer.
    let allow = allow_similar_name || name_key(&checked.name) == existing.name_key;
    if let Some(e) = duplicate_error(actor, &dups, allow) {
        return Err(e);
    }
    let old_tags = tags_of(&txn, &[id]).await?.remove(&id).unwrap_or_default();
    let before = snapshot(&txn, &existing, &old_tags).await?;
    let old_stage = existing.stage_id;
    let mut changed: customer::ActiveModel = existing.into();
    changed.kind = Set(checked.kind);
    changed.name_key = Set(name_key(&checked.name));
    changed.name = Set(checked.name);
    changed.email_key = Set(checked.email.as_deref().map(crate::server::services::platform::users::normalise_email));
    changed.email = Set(checked.email);
    changed.phone = Set(checked.phone);
    changed.notes = Set(checked.notes);
    changed.owner_id = Set(checked.owner_id);
    changed.team_id = Set(checked.team_id);
    changed.stage_id = Set(checked.stage_id);
    changed.updated_at = Set(now());
    changed.update(&txn).await.map_err(unique_email)?;
    set_tags(&txn, id, &checked.tags).await?;
    crate::server::services::crm::fields::save_values(&txn, actor, id, &checked.custom).await?;
    let updated = refresh_quality(&txn, id).await?;
    let after = snapshot(&txn, &updated, &checked.tags).await?;
    let (b, a) = diff(&before, &after);
    if !a.is_empty() {
        audit::record(
            &txn,
            Some(actor.id),
            "customer.update",
            "customer",
            id,
            Some(&b),
            Some(&a),
        )
        .await?;
    }
    if !a.is_empty() {
        events::emit(&txn, actor.id, Event::CustomerUpdated { customer: &updated }).await?;
    }
    if updated.stage_id != old_stage {
        events::emit(&txn, actor.id, Event::StageChanged { customer: &updated, from_stage_id: old_stage }).await?;
    }
    txn.commit().await?;
    Ok(updated)
}

/// The stored form of a customer, for editing.
pub async fn form_of<C: ConnectionTrait>(db: &C, c: &customer::Model) -> AppResult<CustomerForm> {
    let stage = lifecycle_stage::Entity::find_by_id(c.stage_id)
        .one(db)
        .await?
        .map(|s| s.key)
        .unwrap_or_default();
    let tags = tags_of(db, &[c.id]).await?.remove(&c.id).unwrap_or_default();
    Ok(CustomerForm {
        kind: c.kind.as_str().to_string(),
        name: c.name.clone(),
        email: c.email.clone().unwrap_or_default(),
        phone: c.phone.clone().unwrap_or_default(),
        stage,
        owner_id: c.owner_id.to_string(),
        tags: tags.join(", "),
        notes: c.notes.clone(),
        custom: crate::server::services::crm::fields::form_values(db, c.id).await?,
    })
}

/// Recomputes the data-quality score: the share of required items that are filled and fresh.
/// The items are a way to reach the customer (email or phone) and every active required custom
/// field; a value past its field's freshness window counts as missing. Also stores when the
/// next value goes stale, so the score can be refreshed then.
pub async fn refresh_quality<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<customer::Model> {
    let found = customer::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let fields = custom_field::Entity::find()
        .filter(custom_field::Column::Active.eq(true))
        .filter(custom_field::Column::Required.eq(true))
        .all(db)
        .await?;
    let values: HashMap<i32, custom_value::Model> = custom_value::Entity::find()
        .filter(custom_value::Column::CustomerId.eq(id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.field_id, v))
        .collect();
    let at = now();
    let reachable = found.email.is_some() || found.phone.is_some();
    let mut total = 1;
    let mut good = i32::from(reachable);
    let mut expires: Option<DateTime<Utc>> = None;
    for field in &fields {
        total += 1;
        let Some(value) = values.get(&field.id).filter(|v| !v.value.trim().is_empty()) else {
            continue;
        };
        match field.freshness_days {
            Some(days) => {
                let stale_at = value.confirmed_at + chrono::TimeDelta::days(i64::from(days));
                if stale_at > at {
                    good += 1;
                    expires = Some(expires.map_or(stale_at, |e| e.min(stale_at)));
                }
            }
            None => good += 1,
        }
    }
    let quality = good * 100 / total;
    if quality == found.quality && expires == found.quality_expires_at {
        return Ok(found);
    }
    let mut changed: customer::ActiveModel = found.into();
    changed.quality = Set(quality);
    changed.quality_expires_at = Set(expires);
    Ok(changed.update(db).await?)
}

/// Recomputes the score of up to `batch` customers whose data went stale since it was last
/// computed (or whose field definitions changed). Returns how many it did.
pub async fn refresh_expired_quality<C: ConnectionTrait>(db: &C, batch: u64) -> AppResult<usize> {
    let due: Vec<i32> = customer::Entity::find()
        .select_only()
        .column(customer::Column::Id)
        .filter(customer::Column::QualityExpiresAt.lte(now()))
        .limit(batch)
        .into_tuple()
        .all(db)
        .await?;
    for id in &due {
        refresh_quality(db, *id).await?;
    }
    Ok(due.len())
}

/// Deletes a customer the actor may edit, with its contacts, interactions, follow-ups, tags
/// and custom values; the audit log keeps what it was.
pub async fn delete<C: sea_orm::TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let existing = editable_customer_for_update(&txn, actor, id).await?;
    let tags = tags_of(&txn, &[id]).await?.remove(&id).unwrap_or_default();
    let before = snapshot(&txn, &existing, &tags).await?;
    customer::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, Some(actor.id), "customer.delete", "customer", id, Some(&before), None::<&()>).await?;
    txn.commit().await?;
    Ok(())
}
