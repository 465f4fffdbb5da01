//! Custom fields on customers: the admin's definitions (type, validation, owner role,
//! freshness), the checking and saving of values from the customer form, and the stale-value
//! confirmation that keeps data current.

mod definitions;

pub use definitions::{overview, create, update, set_active};

use crate::error::{AppError, AppResult};
use crate::model::crm::{CustomInput, CustomValueView, custom_name};
use crate::model::user::Role;
use crate::server::entities::{app_user, custom_field, custom_value, customer};
use crate::server::services::platform::access::{Actor, editable_customer};
use crate::server::services::{platform::{audit, begin_write, now, times}, crm::customers};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

const MAX_TEXT: usize = 500;

/// The active fields in their order.
pub async fn active<C: ConnectionTrait>(db: &C) -> AppResult<Vec<custom_field::Model>> {
    Ok(custom_field::Entity::find()
        .filter(custom_field::Column::Active.eq(true))
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Id)
        .all(db)
        .await?)
}

fn options_of(field: &custom_field::Model) -> Vec<String> {
    field
        .options
        .lines()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(String::from)
        .collect()
}

fn owner_role(field: &custom_field::Model) -> Role {
    field.owner_role
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "Admins",
        Role::Manager => "Managers",
        Role::Member => "Members",
    }
}

/// Whether `actor` may change or confirm `field`'s values (on customers they may edit).
pub fn may_edit(actor: &Actor, field: &custom_field::Model) -> bool {
    actor.role.at_least(owner_role(field))
}

/// A field's value is stale once its freshness window has passed since it was confirmed.
pub fn stale_at(field: &custom_field::Model, value: &custom_value::Model) -> Option<DateTime<Utc>> {
    field
        .freshness_days
        .map(|days| value.confirmed_at + TimeDelta::days(i64::from(days)))
}

fn describe(field: &custom_field::Model) -> String {
    let mut parts = Vec::new();
    match field.field_type.as_str() {
        "number" => match (field.min_value, field.max_value) {
            (Some(a), Some(b)) => parts.push(format!("A number from {a} to {b}.")),
            (Some(a), None) => parts.push(format!("A number of at least {a}.")),
            (None, Some(b)) => parts.push(format!("A number of at most {b}.")),
            (None, None) => parts.push("A number.".into()),
        },
        "date" => parts.push("A date.".into()),
        "text" => {
            if let Some(example) = field.pattern_example.as_deref().filter(|e| !e.is_empty() && field.pattern.is_some()) {
                parts.push(format!("In the form {example}."));
            }
        }
        _ => {}
    }
    if let Some(days) = field.freshness_days {
        parts.push(format!("Re-confirm every {days} days."));
    }
    parts.push(format!("Kept current by {}.", role_label(owner_role(field)).to_lowercase()));
    parts.join(" ")
}

/// The custom inputs of the customer form for `actor`.
pub fn inputs(actor: &Actor, fields: &[custom_field::Model]) -> Vec<CustomInput> {
    fields.iter().map(|f| input_of(f, may_edit(actor, f))).collect()
}

/// One field's input.
pub fn input_of(f: &custom_field::Model, editable: bool) -> CustomInput {
    CustomInput {
        key: f.key.clone(),
        label: f.label.clone(),
        field_type: f.field_type.clone(),
        options: options_of(f),
        required: f.required,
        min_value: f.min_value,
        max_value: f.max_value,
        editable,
        hint: describe(f),
    }
}

/// A value checked against its field: the stored form (trimmed; numbers and dates
/// normalised), or the message to show next to the input. Empty is allowed here; whether it
/// may stay empty is the caller's rule.
pub fn check_value(field: &custom_field::Model, raw: &str) -> Result<String, String> {
    let value = raw.trim();
    if value.is_empty() {
        return Ok(String::new());
    }
    match field.field_type.as_str() {
        "number" => {
            let n: f64 = value
                .replace(',', "")
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| "Enter a number, e.g. 1200 or 12.5.".to_string())?;
            if field.min_value.is_some_and(|min| n < min) || field.max_value.is_some_and(|max| n > max) {
                return Err(describe_range(field));
            }
            Ok(n.to_string())
        }
        "date" => NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| "Enter a date as YYYY-MM-DD.".to_string()),
        "choice" => {
            let options = options_of(field);
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(value))
                .cloned()
                .ok_or_else(|| format!("Choose one of: {}.", options.join(", ")))
        }
        _ => {
            if value.chars().count() > MAX_TEXT {
                return Err(format!("Use at most {MAX_TEXT} characters."));
            }
            if let Some(pattern) = field.pattern.as_deref().filter(|p| !p.is_empty()) {
                let matches = compile(pattern).is_ok_and(|re| re.is_match(value));
                if !matches {
                    return Err(match field.pattern_example.as_deref().filter(|e| !e.is_empty()) {
                        Some(example) => format!("Enter it in the form {example}."),
                        None => "This is not in the form this field expects; ask an admin for an example.".to_string(),
                    });
                }
            }
            Ok(value.to_string())
        }
    }
}

fn describe_range(field: &custom_field::Model) -> String {
    match (field.min_value, field.max_value) {
        (Some(a), Some(b)) => format!("Enter a number from {a} to {b}."),
        (Some(a), None) => format!("Enter a number of at least {a}."),
        (None, Some(b)) => format!("Enter a number of at most {b}."),
        (None, None) => "Enter a number.".into(),
    }
}

/// The whole value must match; patterns are small and bounded.
fn compile(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(64 * 1024)
        .build()
}

/// The values of a customer by field id.
pub async fn values_of<C: ConnectionTrait>(
    db: &C,
    customer_id: i32,
) -> AppResult<HashMap<i32, custom_value::Model>> {
    Ok(custom_value::Entity::find()
        .filter(custom_value::Column::CustomerId.eq(customer_id))
        .all(db)
        .await?
        .into_iter()
        .map(|v| (v.field_id, v))
        .collect())
}

/// Checks the form's custom values: messages go into `errors` under `cf_<key>`. Returns the
/// fields the actor may change with their checked values (fields they may not change keep
/// what is stored, whatever the form says).
pub fn check_values(
    actor: &Actor,
    fields: &[custom_field::Model],
    typed: &BTreeMap<String, String>,
    errors: &mut BTreeMap<String, String>,
) -> Vec<(custom_field::Model, String)> {
    let mut out = Vec::new();
    for field in fields.iter().filter(|f| may_edit(actor, f)) {
        let raw = typed.get(&field.key).map(String::as_str).unwrap_or("");
        match check_value(field, raw) {
            Ok(v) if v.is_empty() && field.required => {
                errors.insert(custom_name(&field.key), format!("{} is required.", field.label));
            }
            Ok(v) => out.push((field.clone(), v)),
            Err(message) => {
                errors.insert(custom_name(&field.key), message);
            }
        }
    }
    out
}

/// Stores checked values: a changed value is set and confirmed now by the actor; an
/// unchanged one keeps its confirmation; an emptied one is removed.
pub async fn save_values<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    customer_id: i32,
    checked: &[(custom_field::Model, String)],
) -> AppResult<()> {
    let stored = values_of(db, customer_id).await?;
    let at = now();
    for (field, value) in checked {
        match stored.get(&field.id) {
            Some(old) if &old.value == value => {}
            Some(_) if value.is_empty() => {
                custom_value::Entity::delete_by_id((customer_id, field.id))
                    .exec(db)
                    .await?;
            }
            None if value.is_empty() => {}
            Some(old) => {
                let mut changed: custom_value::ActiveModel = old.clone().into();
                changed.value = Set(value.clone());
                changed.updated_at = Set(at);
                changed.updated_by = Set(Some(actor.id));
                changed.confirmed_at = Set(at);
                changed.confirmed_by = Set(Some(actor.id));
                changed.update(db).await?;
            }
            None => {
                custom_value::ActiveModel {
                    customer_id: Set(customer_id),
                    field_id: Set(field.id),
                    value: Set(value.clone()),
                    updated_at: Set(at),
                    updated_by: Set(Some(actor.id)),
                    confirmed_at: Set(at),
                    confirmed_by: Set(Some(actor.id)),
                }
                .insert(db)
                .await?;
            }
        }
    }
    Ok(())
}

/// The stored values as the form shows them (key to value).
pub async fn form_values<C: ConnectionTrait>(
    db: &C,
    customer_id: i32,
) -> AppResult<BTreeMap<String, String>> {
    let fields = active(db).await?;
    let values = values_of(db, customer_id).await?;
    Ok(fields
        .iter()
        .filter_map(|f| values.get(&f.id).map(|v| (f.key.clone(), v.value.clone())))
        .collect())
}

/// The audited view of the values: label to value.
pub async fn snapshot<C: ConnectionTrait>(
    db: &C,
    customer_id: i32,
) -> AppResult<Vec<(String, String)>> {
    let fields = active(db).await?;
    let values = values_of(db, customer_id).await?;
    Ok(fields
        .iter()
        .map(|f| (f.label.clone(), values.get(&f.id).map(|v| v.value.clone()).unwrap_or_default()))
        .collect())
}

/// The customer page's view of every active field, with its state.
pub async fn views<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    c: &customer::Model,
) -> AppResult<Vec<CustomValueView>> {
    let fields = active(db).await?;
    let values = values_of(db, c.id).await?;
    let tz = times::zone(&actor.timezone);
    let at = now();
    let can_edit = actor.can_edit(c);
    let mut out = Vec::new();
    for f in &fields {
        let value = values.get(&f.id);
        let state = match value {
            None => "missing",
            Some(v) if stale_at(f, v).is_some_and(|s| s <= at) => "stale",
            Some(_) => "ok",
        };
        let confirmed = match value {
            Some(v) => {
                let who = match v.confirmed_by {
                    Some(id) => app_user::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
                    None => None,
                };
                let when = v.confirmed_at.with_timezone(&tz).format("%a %-d %b %Y");
                Some(match who {
                    Some(name) => format!("Confirmed by {name}, {when}"),
                    None => format!("Confirmed {when}"),
                })
            }
            None => None,
        };
        out.push(CustomValueView {
            field_id: f.id,
            label: f.label.clone(),
            value: value.map(|v| v.value.clone()).unwrap_or_default(),
            required: f.required,
            state: state.into(),
            confirmed,
            owner: role_label(owner_role(f)).into(),
            can_confirm: can_edit && may_edit(actor, f),
        });
    }
    Ok(out)
}

/// Re-confirms a value as still true: records who and when, and refreshes the score.
pub async fn confirm<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    customer_id: i32,
    field_id: i32,
) -> AppResult<()> {
    editable_customer(db, actor, customer_id).await?;
    let txn = begin_write(db).await?;
    let field = custom_field::Entity::find_by_id(field_id)
        .one(&txn)
        .await?
        .filter(|f| f.active)
        .ok_or(AppError::NotFound)?;
    if !may_edit(actor, &field) {
        return Err(AppError::Forbidden);
    }
    let value = custom_value::Entity::find_by_id((customer_id, field_id))
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::field("field_id", "There is no value to confirm; enter one instead."))?;
    let mut changed: custom_value::ActiveModel = value.clone().into();
    let at = now();
    changed.confirmed_at = Set(at);
    changed.confirmed_by = Set(Some(actor.id));
    changed.update(&txn).await?;
    customers::refresh_quality(&txn, customer_id).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "customer.confirm",
        "customer",
        customer_id,
        None::<&()>,
        Some(&BTreeMap::from([(field.label.clone(), format!("{} (confirmed)", value.value))])),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---- Admin: definitions ----

#[cfg(test)]
mod tests {
    use super::*;

    fn field(field_type: &str) -> custom_field::Model {
        custom_field::Model {
            id: 1,
            key: "f".into(),
            label: "F".into(),
            field_type: field_type.into(),
            options: "Small\nMedium\nLarge".into(),
            required: false,
            min_value: Some(0.0),
            max_value: Some(100.0),
            pattern: Some(r"[A-Z]{2}-\d{5}".into()),
            pattern_example: Some("AB-12345".into()),
            owner_role: Role::Member,
            freshness_days: Some(30),
            position: 1,
            active: true,
            created_at: now(),
        }
    }

    #[test]
    fn values_are_checked_and_normalised_by_type() {
        assert_eq!(check_value(&field("number"), " 12.50 "), Ok("12.5".into()));
        assert!(check_value(&field("number"), "101").unwrap_err().contains("from 0 to 100"));
        assert!(check_value(&field("number"), "lots").is_err());
        assert_eq!(check_value(&field("date"), "2026-02-03"), Ok("2026-02-03".into()));
        assert!(check_value(&field("date"), "2026-02-30").is_err());
        assert_eq!(check_value(&field("choice"), "medium"), Ok("Medium".into()));
        assert!(check_value(&field("choice"), "Huge").unwrap_err().contains("Small, Medium, Large"));
        assert_eq!(check_value(&field("text"), "AB-12345"), Ok("AB-12345".into()));
        assert!(check_value(&field("text"), "AB-12345x").is_err(), "the whole value must match");
        assert_eq!(check_value(&field("text"), "  "), Ok(String::new()));
    }

    #[test]
    fn a_value_that_does_not_fit_the_pattern_is_told_the_example_never_the_pattern() {
        let message = check_value(&field("text"), "12345").unwrap_err();
        assert_eq!(message, "Enter it in the form AB-12345.");
        assert_eq!(describe(&field("text")), "In the form AB-12345. Re-confirm every 30 days. Kept current by members.");
        let without = custom_field::Model { pattern_example: None, ..field("text") };
        let message = check_value(&without, "12345").unwrap_err();
        assert!(!message.contains('['), "no regular expression in {message:?}");
        assert!(!describe(&without).contains("form"));
    }

}
