//! The customer values a process `data` step asks for: checking them and saving them.

use crate::error::{AppError, AppResult};
use crate::server::entities::{custom_field, customer};
use crate::server::services::platform::access::Actor;
use crate::server::services::events::{self, Event};
use crate::server::services::platform::{audit, now};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use std::collections::BTreeMap;
use super::{
    HIDDEN_SAME_EMAIL, check_phone, diff, find_duplicates, name_key, refresh_quality, snapshot, tags_of, unique_email,
};

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
        events::emit(db, actor.id, Event::CustomerUpdated { customer: &updated }).await?;
    }
    Ok(updated)
}
