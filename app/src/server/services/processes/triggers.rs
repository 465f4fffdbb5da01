//! Which change starts a template's runs by itself (customer created, stage reached).

use crate::error::{AppError, AppResult};
use crate::model::process::TRIGGERS;
use crate::server::entities::{lifecycle_stage, process_template};
use crate::server::services::platform::access::Actor;
use crate::server::services::platform::{audit, begin_write};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionSession, TransactionTrait,
};
use super::label;
use super::templates::find_template;

/// Sets the auto-start trigger: `manual`, `customer_created`, or `stage_changed` to `stage`.
pub async fn set_trigger<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    kind: &str,
    stage: &str,
) -> AppResult<()> {
    actor.require_admin()?;
    let kind = kind.trim();
    if !TRIGGERS.iter().any(|(k, _)| *k == kind) {
        return Err(AppError::field("trigger_kind", "Choose when the process starts.")
            .with_values([("trigger_kind", kind), ("trigger_stage", stage)]));
    }
    let stage_id = if kind == "stage_changed" {
        let found = lifecycle_stage::Entity::find()
            .filter(lifecycle_stage::Column::Key.eq(stage.trim()))
            .one(db)
            .await?;
        match found {
            Some(s) => Some(s.id),
            None => {
                return Err(AppError::field("trigger_stage", "Choose the stage that starts the process.")
                    .with_values([("trigger_kind", kind), ("trigger_stage", stage)]));
            }
        }
    } else {
        None
    };
    let txn = begin_write(db).await?;
    let t = find_template(&txn, template_id).await?;
    let before = trigger_label(&txn, &t.trigger_kind, t.trigger_stage_id).await?;
    let mut changed: process_template::ActiveModel = t.into();
    changed.trigger_kind = Set(kind.to_string());
    changed.trigger_stage_id = Set(stage_id);
    changed.update(&txn).await?;
    let after = trigger_label(&txn, kind, stage_id).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.trigger",
        "process_template",
        template_id,
        Some(&serde_json::json!({ "trigger": before })),
        Some(&serde_json::json!({ "trigger": after })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn trigger_label<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    stage_id: Option<i32>,
) -> AppResult<String> {
    let stage = match (kind, stage_id) {
        ("stage_changed", Some(id)) => lifecycle_stage::Entity::find_by_id(id).one(db).await?.map(|s| s.label),
        _ => None,
    };
    Ok(trigger_text(kind, stage_id, stage.as_deref()))
}

/// What a trigger does, in words; `stage` is the label of its stage (`None` if it was removed).
pub(super) fn trigger_text(kind: &str, stage_id: Option<i32>, stage: Option<&str>) -> String {
    match (kind, stage_id) {
        ("stage_changed", Some(_)) => {
            format!("When a customer's stage changes to {}", stage.unwrap_or("a removed stage"))
        }
        (kind, _) => label(&TRIGGERS, kind),
    }
}
