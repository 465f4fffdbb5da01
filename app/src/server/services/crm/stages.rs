//! Lifecycle stages: an ordered list admins add to, rename, reorder and prune. A stage that
//! customers are in cannot be removed (they would lose their place in the lifecycle).

use crate::error::{AppError, AppResult};
use crate::model::admin::StageView;
use crate::server::entities::{customer, lifecycle_stage};
use crate::server::services::{platform::{audit, begin_write, count_by}, crm::customers::name_key};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};

async fn ordered<C: ConnectionTrait>(db: &C) -> AppResult<Vec<lifecycle_stage::Model>> {
    Ok(lifecycle_stage::Entity::find()
        .order_by_asc(lifecycle_stage::Column::Position)
        .order_by_asc(lifecycle_stage::Column::Id)
        .all(db)
        .await?)
}

/// Every stage in order, with how many customers are in it.
pub async fn overview<C: ConnectionTrait>(db: &C) -> AppResult<Vec<StageView>> {
    let counts = count_by(db, customer::Entity::find(), customer::Column::StageId).await?;
    Ok(ordered(db)
        .await?
        .into_iter()
        .map(|s| StageView {
            customers: counts.get(&s.id).copied().unwrap_or(0),
            id: s.id,
            key: s.key,
            label: s.label,
        })
        .collect())
}

/// The label trimmed, or a message for the `label` field; unique ignoring case and spacing.
async fn check_label<C: ConnectionTrait>(db: &C, label: &str, except: Option<i32>) -> AppResult<String> {
    let label = label.trim();
    if name_key(label).is_empty() {
        return Err(AppError::field("label", "Enter a name for the stage."));
    }
    if label.chars().count() > 40 {
        return Err(AppError::field("label", "Use at most 40 characters."));
    }
    if crate::server::services::platform::has_control_chars(label) {
        return Err(AppError::field("label", crate::server::services::platform::CONTROL_CHARS_MESSAGE));
    }
    let clash = ordered(db)
        .await?
        .into_iter()
        .any(|s| Some(s.id) != except && name_key(&s.label) == name_key(label));
    if clash {
        return Err(AppError::field("label", "A stage with this name already exists."));
    }
    Ok(label.to_string())
}

/// A key for filters and imports: the label in lower case with underscores, made unique.
async fn free_key<C: ConnectionTrait>(db: &C, label: &str) -> AppResult<String> {
    let lower = label.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let base = match words.join("_") {
        k if k.is_empty() => "stage".to_string(),
        k => k,
    };
    let taken: Vec<String> = ordered(db).await?.into_iter().map(|s| s.key).collect();
    let mut key = base.clone();
    let mut n = 2;
    while taken.contains(&key) {
        key = format!("{base}_{n}");
        n += 1;
    }
    Ok(key)
}

/// Adds a stage at the end of the list.
pub async fn create<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    label: &str,
) -> AppResult<lifecycle_stage::Model> {
    let txn = begin_write(db).await?;
    let label = check_label(&txn, label, None).await?;
    let position = ordered(&txn).await?.last().map_or(1, |s| s.position + 1);
    let created = lifecycle_stage::ActiveModel {
        key: Set(free_key(&txn, &label).await?),
        label: Set(label),
        position: Set(position),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(&txn, Some(actor_id), "stage.create", "lifecycle_stage", created.id, None::<&()>, Some(&created.label)).await?;
    txn.commit().await?;
    Ok(created)
}

/// Renames a stage; its key (used in links and imports) stays.
pub async fn rename<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    id: i32,
    label: &str,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let found = lifecycle_stage::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound)?;
    let label = check_label(&txn, label, Some(id)).await?;
    let before = found.label.clone();
    let mut changed: lifecycle_stage::ActiveModel = found.into();
    changed.label = Set(label.clone());
    changed.update(&txn).await?;
    audit::record(&txn, Some(actor_id), "stage.rename", "lifecycle_stage", id, Some(&before), Some(&label)).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a stage one place earlier (`up`) or later in the lifecycle. At either end: no change.
pub async fn shift<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    id: i32,
    up: bool,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let stages = ordered(&txn).await?;
    let at = stages.iter().position(|s| s.id == id).ok_or(AppError::NotFound)?;
    let other = if up { at.checked_sub(1) } else { Some(at + 1).filter(|&i| i < stages.len()) };
    let Some(other) = other else {
        return Ok(());
    };
    // Renumber the whole list in its new order, so equal or sparse positions cannot confuse it.
    let mut order: Vec<&lifecycle_stage::Model> = stages.iter().collect();
    order.swap(at, other);
    for (i, s) in order.iter().enumerate() {
        let position = i as i32 + 1;
        if s.position != position {
            let mut changed: lifecycle_stage::ActiveModel = (*s).clone().into();
            changed.position = Set(position);
            changed.update(&txn).await?;
        }
    }
    let direction = if up { "earlier" } else { "later" };
    audit::record(&txn, Some(actor_id), "stage.move", "lifecycle_stage", id, None::<&()>, Some(&format!("{} moved {direction}", stages[at].label))).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a stage no customer is in; the last stage stays.
pub async fn remove<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor_id: i32,
    id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let stages = ordered(&txn).await?;
    let found = stages.iter().find(|s| s.id == id).cloned().ok_or(AppError::NotFound)?;
    let used = customer::Entity::find()
        .filter(customer::Column::StageId.eq(id))
        .count(&txn)
        .await?;
    if used > 0 {
        return Err(AppError::field(
            "stage",
            format!(
                "{used} customer(s) are in “{}”: move them to another stage first.",
                found.label
            ),
        ));
    }
    if stages.len() == 1 {
        return Err(AppError::field("stage", "Keep at least one stage."));
    }
    lifecycle_stage::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(&txn, Some(actor_id), "stage.remove", "lifecycle_stage", id, Some(&found.label), None::<&()>).await?;
    txn.commit().await?;
    Ok(())
}
