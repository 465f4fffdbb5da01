//! Defining custom fields (admins): the overview, checking a definition, creating, editing,
//! retiring and bringing back fields.

use crate::error::{AppError, AppResult};
use crate::model::crm::{CustomFieldForm, CustomFieldView, FIELD_TYPES};
use crate::model::user::Role;
use crate::server::entities::{custom_field, custom_value, customer};
use crate::server::services::platform::{audit, begin_write, count_by, now};
use chrono::TimeDelta;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use std::collections::BTreeMap;
use super::compile;

/// Every field (active first, in order) with how many customers have a value and how many
/// of those are stale.
pub async fn overview<C: ConnectionTrait>(db: &C) -> AppResult<Vec<CustomFieldView>> {
    let fields = custom_field::Entity::find()
        .order_by_desc(custom_field::Column::Active)
        .order_by_asc(custom_field::Column::Position)
        .order_by_asc(custom_field::Column::Id)
        .all(db)
        .await?;
    let at = now();
    let filled = count_by(db, custom_value::Entity::find(), custom_value::Column::FieldId).await?;
    // Stale values of every field with a freshness window, in one query.
    let stale_condition = fields
        .iter()
        .filter_map(|f| Some((f.id, f.freshness_days?)))
        .fold(sea_orm::Condition::any(), |any, (id, days)| {
            any.add(
                sea_orm::Condition::all()
                    .add(custom_value::Column::FieldId.eq(id))
                    .add(custom_value::Column::ConfirmedAt.lte(at - TimeDelta::days(i64::from(days)))),
            )
        });
    let stale = if stale_condition.is_empty() {
        Default::default()
    } else {
        count_by(db, custom_value::Entity::find().filter(stale_condition), custom_value::Column::FieldId).await?
    };
    Ok(fields
        .into_iter()
        .map(|f| CustomFieldView {
            id: f.id,
            active: f.active,
            filled: filled.get(&f.id).copied().unwrap_or(0),
            stale: stale.get(&f.id).copied().unwrap_or(0),
            form: form_of(&f),
        })
        .collect())
}

fn number_text(n: Option<f64>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

fn form_of(f: &custom_field::Model) -> CustomFieldForm {
    CustomFieldForm {
        key: f.key.clone(),
        label: f.label.clone(),
        field_type: f.field_type.clone(),
        options: f.options.clone(),
        required: f.required,
        min_value: number_text(f.min_value),
        max_value: number_text(f.max_value),
        pattern: f.pattern.clone().unwrap_or_default(),
        pattern_example: f.pattern_example.clone().unwrap_or_default(),
        owner_role: f.owner_role.as_str().to_string(),
        freshness_days: f.freshness_days.map(|d| d.to_string()).unwrap_or_default(),
    }
}

struct CheckedField {
    label: String,
    field_type: String,
    options: String,
    min_value: Option<f64>,
    max_value: Option<f64>,
    pattern: Option<String>,
    pattern_example: Option<String>,
    owner_role: Role,
    freshness_days: Option<i32>,
}

fn optional_number(
    errors: &mut BTreeMap<String, String>,
    name: &str,
    text: &str,
) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<f64>() {
        Ok(n) if n.is_finite() => Some(n),
        _ => {
            errors.insert(name.into(), "Enter a number, or leave it empty.".into());
            None
        }
    }
}

/// Checks a definition; every message at once.
fn check_definition(form: &CustomFieldForm) -> AppResult<CheckedField> {
    let mut errors = BTreeMap::new();
    let label = form.label.trim();
    if label.is_empty() {
        errors.insert("label".into(), "Enter the label people will see.".into());
    } else if label.chars().count() > 80 {
        errors.insert("label".into(), "Use at most 80 characters.".into());
    }
    let field_type = form.field_type.trim();
    if !FIELD_TYPES.iter().any(|(t, _)| *t == field_type) {
        errors.insert("field_type".into(), "Choose a type from the list.".into());
    }
    let options: Vec<&str> = form.options.lines().map(str::trim).filter(|o| !o.is_empty()).collect();
    if field_type == "choice" && options.len() < 2 {
        errors.insert("options".into(), "List at least two options, one per line.".into());
    } else if options.iter().any(|o| o.chars().count() > 80) {
        errors.insert("options".into(), "Keep each option under 80 characters.".into());
    }
    let min_value = optional_number(&mut errors, "min_value", &form.min_value);
    let max_value = optional_number(&mut errors, "max_value", &form.max_value);
    if let (Some(a), Some(b)) = (min_value, max_value)
        && a > b
    {
        errors.insert("max_value".into(), "The maximum must not be below the minimum.".into());
    }
    let pattern = form.pattern.trim();
    let example = form.pattern_example.trim();
    let uses_pattern = !pattern.is_empty() && field_type == "text";
    if !pattern.is_empty() {
        if pattern.chars().count() > 200 {
            errors.insert("pattern".into(), "Keep the pattern under 200 characters.".into());
        } else {
            match compile(pattern) {
                Err(e) => {
                    let first = e.to_string().lines().last().unwrap_or("").trim().to_string();
                    errors.insert("pattern".into(), format!("This is not a valid pattern: {first}"));
                }
                Ok(re) if uses_pattern => {
                    if let Err(message) = check_example(&re, example) {
                        errors.insert("pattern_example".into(), message.into());
                    }
                }
                Ok(_) => {}
            }
        }
    }
    let owner_role = Role::parse(form.owner_role.trim());
    if owner_role.is_none() {
        errors.insert("owner_role".into(), "Choose the role that keeps this field current.".into());
    }
    let freshness_days = match form.freshness_days.trim() {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(d) if (1..=3650).contains(&d) => Some(d),
            _ => {
                errors.insert("freshness_days".into(), "Enter whole days from 1 to 3650, or leave it empty.".into());
                None
            }
        },
    };
    let Some(owner_role) = owner_role.filter(|_| errors.is_empty()) else {
        return Err(AppError::invalid(errors));
    };
    Ok(CheckedField {
        label: label.to_string(),
        field_type: field_type.to_string(),
        options: if field_type == "choice" { options.join("\n") } else { String::new() },
        min_value: min_value.filter(|_| field_type == "number"),
        max_value: max_value.filter(|_| field_type == "number"),
        pattern: Some(pattern.to_string()).filter(|_| uses_pattern),
        pattern_example: Some(example.to_string()).filter(|_| uses_pattern),
        owner_role,
        freshness_days,
    })
}

/// The example an admin gives with a pattern: people see it instead of the pattern, so it must
/// be there and fit.
fn check_example(pattern: &regex::Regex, example: &str) -> Result<(), &'static str> {
    if example.is_empty() {
        Err("Give an example of a value that fits the pattern, like AB-12345: people see it instead of the pattern.")
    } else if example.chars().count() > 80 {
        Err("Keep the example under 80 characters.")
    } else if !pattern.is_match(example) {
        Err("This example does not fit the pattern.")
    } else {
        Ok(())
    }
}

/// A key from the label, or the admin's own: lower-case letters, digits and underscores.
pub(super) fn check_key(typed: &str, label: &str) -> Result<String, String> {
    let source = if typed.trim().is_empty() { label } else { typed };
    let lower = source.trim().to_lowercase();
    let key = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    if !typed.trim().is_empty() && key != typed.trim() {
        return Err("Use lower-case letters, digits and underscores, e.g. renewal_date.".into());
    }
    if key.is_empty() || key.len() > 40 || key.starts_with(|c: char| c.is_ascii_digit()) {
        return Err("Use 1 to 40 lower-case letters, digits and underscores, starting with a letter.".into());
    }
    Ok(key)
}

/// Every customer's score is recomputed by the quality refresher after a definition changes.
async fn rescore_all<C: ConnectionTrait>(db: &C) -> AppResult<()> {
    customer::Entity::update_many()
        .col_expr(customer::Column::QualityExpiresAt, Expr::value(now()))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn create<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    form: &CustomFieldForm,
) -> AppResult<custom_field::Model> {
    let key = check_key(&form.key, &form.label);
    let checked = check_definition(form);
    let (key, checked) = match (key, checked) {
        (Ok(k), Ok(c)) => (k, c),
        (key, checked) => {
            let mut errors = match checked {
                Err(AppError::Validation { fields, .. }) => fields,
                Err(other) => return Err(other),
                Ok(_) => BTreeMap::new(),
            };
            if let Err(m) = key {
                errors.insert("key".into(), m);
            }
            return Err(AppError::invalid(errors));
        }
    };
    let txn = begin_write(db).await?;
    let taken = custom_field::Entity::find()
        .filter(custom_field::Column::Key.eq(&key))
        .one(&txn)
        .await?
        .is_some();
    if taken {
        return Err(AppError::field("key", "A field with this key already exists; choose another key."));
    }
    let position = custom_field::Entity::find().count(&txn).await? as i32 + 1;
    let created = custom_field::ActiveModel {
        key: Set(key),
        label: Set(checked.label),
        field_type: Set(checked.field_type),
        options: Set(checked.options),
        required: Set(form.required),
        min_value: Set(checked.min_value),
        max_value: Set(checked.max_value),
        pattern: Set(checked.pattern),
        pattern_example: Set(checked.pattern_example),
        owner_role: Set(checked.owner_role),
        freshness_days: Set(checked.freshness_days),
        position: Set(position),
        active: Set(true),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, Some(actor_id), "field.create", "custom_field", created.id, None::<&()>, Some(&form_of(&created))).await?;
    if created.required {
        rescore_all(&txn).await?;
    }
    txn.commit().await?;
    Ok(created)
}

/// Changes a definition; its key and type stay (stored values depend on them).
pub async fn update<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    id: i32,
    form: &CustomFieldForm,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let found = custom_field::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let form = CustomFieldForm {
        key: found.key.clone(),
        field_type: found.field_type.clone(),
        ..form.clone()
    };
    let checked = check_definition(&form)?;
    let before = form_of(&found);
    let mut changed: custom_field::ActiveModel = found.into();
    changed.label = Set(checked.label);
    changed.options = Set(checked.options);
    changed.required = Set(form.required);
    changed.min_value = Set(checked.min_value);
    changed.max_value = Set(checked.max_value);
    changed.pattern = Set(checked.pattern);
    changed.pattern_example = Set(checked.pattern_example);
    changed.owner_role = Set(checked.owner_role);
    changed.freshness_days = Set(checked.freshness_days);
    let updated = changed.update(&txn).await?;
    audit::record(&txn, Some(actor_id), "field.update", "custom_field", id, Some(&before), Some(&form_of(&updated))).await?;
    rescore_all(&txn).await?;
    txn.commit().await?;
    Ok(())
}

/// Retires a field (its values stay stored, out of sight and out of the score) or brings it
/// back.
pub async fn set_active<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    id: i32,
    active: bool,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let found = custom_field::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    if found.active != active {
        let label = found.label.clone();
        let mut changed: custom_field::ActiveModel = found.into();
        changed.active = Set(active);
        changed.update(&txn).await?;
        let action = if active { "field.restore" } else { "field.retire" };
        audit::record(&txn, Some(actor_id), action, "custom_field", id, None::<&()>, Some(&label)).await?;
        rescore_all(&txn).await?;
    }
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn keys_come_from_the_label_or_must_already_be_clean() {
        assert_eq!(check_key("", "Renewal date (contract)"), Ok("renewal_date_contract".into()));
        assert_eq!(check_key("renewal_date", "x"), Ok("renewal_date".into()));
        assert!(check_key("Renewal Date", "x").is_err());
        assert!(check_key("", "2026 target").is_err());
    }
}
