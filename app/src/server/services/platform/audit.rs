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
        created_at: Set(crate::server::services::platform::now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}

fn json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

/// One page of the audit log, newest first, with actor names.
pub async fn page<C: ConnectionTrait>(
    db: &C,
    page: u64,
    per_page: u64,
) -> AppResult<crate::model::admin::AuditPage> {
    use crate::model::admin::{AuditPage, AuditView};
    use crate::server::entities::app_user;
    use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
    let rows = audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .offset(page * per_page)
        .limit(per_page + 1)
        .all(db)
        .await?;
    let has_more = rows.len() as u64 > per_page;
    let users = app_user::Entity::find().all(db).await?;
    let entries = rows
        .into_iter()
        .take(per_page as usize)
        .map(|r| AuditView {
            id: r.id,
            at: r.created_at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: r.actor_id.and_then(|id| {
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map(|u| format!("{} ({})", u.name, u.email))
            }),
            action: r.action,
            entity: format!("{} {}", r.entity_type, r.entity_id.unwrap_or_default()),
            before: r.before_value,
            after: r.after_value,
        })
        .collect();
    Ok(AuditPage {
        entries,
        page,
        has_more,
    })
}
