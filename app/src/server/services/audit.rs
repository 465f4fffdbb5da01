//! The audit log: who changed which configuration or record, when, from what to what.

use crate::error::AppResult;
use crate::server::entities::audit_log;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use serde::Serialize;

/// Records one change. `before` and `after` are serialised to JSON text.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    actor_id: Option<i32>,
    action: &str,
    entity_type: &str,
    entity_id: impl ToString,
    before: Option<&(impl Serialize + ?Sized)>,
    after: Option<&(impl Serialize + ?Sized)>,
) -> AppResult<()> {
    audit_log::ActiveModel {
        actor_id: Set(actor_id),
        action: Set(action.to_string()),
        entity_type: Set(entity_type.to_string()),
        entity_id: Set(Some(entity_id.to_string())),
        before_value: Set(before.map(json)),
        after_value: Set(after.map(json)),
        created_at: Set(super::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}
