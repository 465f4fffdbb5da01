//! Customers: validation with duplicate detection, create and edit with change history, the
//! filtered and sorted list, and the single customer view.

use crate::error::{AppError, AppResult};
use crate::model::crm::{
    CUSTOMER_KINDS, Choice, CustomerForm, CustomerList, CustomerQuery, CustomerRow,
};
use crate::model::user::Role;
use crate::server::entities::{
    app_user, custom_field, custom_value, customer, customer_tag, lifecycle_stage, team,
};
use crate::server::services::platform::access::{Actor, editable_customer};
use crate::server::services::platform::{audit, begin_write, now, times};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func, NullOrdering, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, SqlErr, TransactionSession,
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
    pub kind: String,
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
    let kind = form.kind.trim();
    if !CUSTOMER_KINDS.iter().any(|(k, _)| *k == kind) {
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
    match (stage, owner) {
        (Some(stage), Some(owner)) if fields.is_empty() => Ok(CheckedCustomer {
            kind: kind.to_string(),
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
        ("kind".into(), crate::model::crm::label_of(&CUSTOMER_KINDS, &c.kind)),
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
    crate::server::services::processes::runs::on_customer_created(&txn, &created).await?;
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
    let existing = editable_customer(db, actor, id).await?;
    let checked = check(db, actor, form).await?;
    // Keeping the current owner is always allowed, even for someone who could not assign them.
    let dups = find_duplicates(db, &checked.name, checked.email.as_deref(), Some(id)).await?;
    // A name that only changed in spelling does not warn again about the same other customer.
    let allow = allow_similar_name || name_key(&checked.name) == existing.name_key;
    if let Some(e) = duplicate_error(actor, &dups, allow) {
        return Err(e);
    }
    let txn = begin_write(db).await?;
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
    crate::server::services::processes::runs::on_stage_changed(&txn, &updated, old_stage).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Checks the values a process `data` step asks for (`keys`: core `name`, `email`, `phone` or
/// custom field keys) against `typed`: every one is required. Messages go under `data_<key>`.
/// Returns the checked core values and the checked custom values.
pub async fn check_step_data<C: ConnectionTrait>(
    db: &C,
    c: &customer::Model,
    keys: &[String],
    typed: &BTreeMap<String, String>,
) -> AppResult<(BTreeMap<String, String>, Vec<(custom_field::Model, String)>)> {
    let defined = crate::server::services::crm::fields::active(db).await?;
    let mut errors = BTreeMap::new();
    let mut core = BTreeMap::new();
    let mut custom = Vec::new();
    for key in keys {
        let raw = typed.get(key).map(|v| v.trim()).unwrap_or("");
        let name = format!("data_{key}");
        let problem = match key.as_str() {
            "name" | "email" | "phone" if raw.is_empty() => Some("This is required to complete the step.".to_string()),
            "name" if name_key(raw).is_empty() || raw.chars().count() > 200 => {
                Some("Enter the customer's name (at most 200 characters).".into())
            }
            "name" if crate::server::services::platform::has_control_chars(raw) => Some(crate::server::services::platform::CONTROL_CHARS_MESSAGE.into()),
            "email" => match crate::server::services::platform::users::check_email(&name, raw) {
                Some((_, message)) => Some(message),
                None => find_duplicates(db, &c.name, Some(raw), Some(c.id))
                    .await?
                    .same_email
                    // (The step may be run by someone who cannot see that other customer.)
                    .map(|_| HIDDEN_SAME_EMAIL.to_string()),
            },
            "phone" => check_phone(raw),
            "name" => None,
            _ => match defined.iter().find(|f| &f.key == key) {
                None => Some("This field no longer exists; ask an admin to fix the step.".into()),
                Some(field) => match crate::server::services::crm::fields::check_value(field, raw) {
                    Ok(v) if v.is_empty() => Some(format!("{} is required to complete the step.", field.label)),
                    Ok(v) => {
                        custom.push((field.clone(), v));
                        None
                    }
                    Err(message) => Some(message),
                },
            },
        };
        match problem {
            Some(message) => {
                errors.insert(name, message);
            }
            None if matches!(key.as_str(), "name" | "email" | "phone") => {
                core.insert(key.clone(), raw.to_string());
            }
            None => {}
        }
    }
    if errors.is_empty() {
        Ok((core, custom))
    } else {
        Err(AppError::invalid(errors))
    }
}

/// Writes checked step data to the customer (inside the caller's transaction), records the
/// change in the customer's history and refreshes its data-quality score.
pub async fn apply_step_data<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    c: &customer::Model,
    core: &BTreeMap<String, String>,
    custom: &[(custom_field::Model, String)],
) -> AppResult<customer::Model> {
    let tags = tags_of(db, &[c.id]).await?.remove(&c.id).unwrap_or_default();
    let before = snapshot(db, c, &tags).await?;
    let mut changed: customer::ActiveModel = c.clone().into();
    if let Some(name) = core.get("name") {
        changed.name_key = Set(name_key(name));
        changed.name = Set(name.clone());
    }
    if let Some(email) = core.get("email") {
        changed.email_key = Set(Some(crate::server::services::platform::users::normalise_email(email)));
        changed.email = Set(Some(email.clone()));
    }
    if let Some(phone) = core.get("phone") {
        changed.phone = Set(Some(phone.clone()));
    }
    changed.updated_at = Set(now());
    changed
        .update(db)
        .await
        .map_err(|e| match unique_email(e) {
            AppError::Validation { .. } => {
                AppError::field("data_email", "A customer with this email already exists.")
            }
            other => other,
        })?;
    crate::server::services::crm::fields::save_values(db, actor, c.id, custom).await?;
    let updated = refresh_quality(db, c.id).await?;
    let after = snapshot(db, &updated, &tags).await?;
    let (b, a) = diff(&before, &after);
    if !a.is_empty() {
        audit::record(db, Some(actor.id), "customer.update", "customer", c.id, Some(&b), Some(&a))
            .await?;
    }
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
        kind: c.kind.clone(),
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

/// Deletes a customer the actor may edit, with its contacts, interactions, follow-ups, tags
/// and custom values; the audit log keeps what it was.
pub async fn delete<C: sea_orm::TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<()> {
    let existing = editable_customer(db, actor, id).await?;
    let txn = begin_write(db).await?;
    let tags = tags_of(&txn, &[id]).await?.remove(&id).unwrap_or_default();
    let before = snapshot(&txn, &existing, &tags).await?;
    customer::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, Some(actor.id), "customer.delete", "customer", id, Some(&before), None::<&()>).await?;
    txn.commit().await?;
    Ok(())
}

/// One page of the customers the actor can see, filtered and sorted as the query says.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: &CustomerQuery,
) -> AppResult<CustomerList> {
    let page = crate::model::paging::check_page(query.page)?;
    let cond = list_condition(db, actor, query).await?;
    let total = customer::Entity::find().filter(cond.clone()).count(db).await?;
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
    let users: HashMap<i32, String> = app_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
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
