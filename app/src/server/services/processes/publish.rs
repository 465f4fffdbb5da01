//! A version's life: what stops a draft from publishing, publishing, a new draft from a
//! published version, discarding a draft and archiving.

use crate::model::states::{StepKind, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::model::crm::Choice;
use crate::server::entities::{app_user, process_step, process_template, process_version};
use crate::server::services::platform::access::Actor;
use crate::server::services::platform::{audit, begin_write, now};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use super::steps::{data_field_choices, field_keys};
use super::templates::{draft, find_template, find_version, rename_template, steps_of};

/// What keeps a version from being published.
pub(super) async fn problems<C: ConnectionTrait>(
    db: &C,
    steps: &[process_step::Model],
    choices: &[Choice],
) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    if steps.is_empty() {
        out.push("Add at least one step.".to_string());
    }
    if let Some(first) = steps.first()
        && first.kind == StepKind::Approval
    {
        out.push(format!(
            "Step 1 “{}” is an approval, but there is no step before it to approve.",
            first.title
        ));
    }
    for (i, s) in steps.iter().enumerate() {
        if let Some(id) = s.assignee_user_id {
            let active = app_user::Entity::find_by_id(id).one(db).await?.is_some_and(|u| u.active);
            if !active {
                out.push(format!("Step {} “{}” is assigned to someone who is no longer active.", i + 1, s.title));
            }
        } else if s.assignee_rule == "user" {
            out.push(format!("Step {} “{}” has no person to do it.", i + 1, s.title));
        }
        for key in field_keys(s) {
            if !choices.iter().any(|c| c.value == key) {
                out.push(format!("Step {} “{}” asks for the field “{key}”, which no longer exists.", i + 1, s.title));
            }
        }
    }
    Ok(out)
}

/// Publishes a draft: it is frozen, and new runs start on it.
pub async fn publish<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<()> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let v = draft(&txn, version_id).await?;
    let steps = steps_of(&txn, version_id).await?;
    let problems = problems(&txn, &steps, &data_field_choices(&txn).await?).await?;
    if !problems.is_empty() {
        return Err(AppError::Conflict(format!(
            "Version {} cannot be published yet: {}",
            v.number,
            problems.join(" ")
        )));
    }
    let template_id = v.template_id;
    let (name, number) = (v.name.clone(), v.number);
    let at = now();
    let mut changed: process_version::ActiveModel = v.into();
    changed.status = Set(VersionStatus::Published.into());
    changed.published_at = Set(Some(at));
    changed.published_by = Set(Some(actor.id));
    changed.updated_at = Set(at);
    changed.update(&txn).await?;
    rename_template(&txn, template_id, &name).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.publish",
        "process_template",
        template_id,
        None::<&()>,
        Some(&serde_json::json!({ "version": number, "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The template's draft, made from its newest version when there is none: editing a published
/// process never changes what running processes follow.
pub async fn new_draft<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<process_version::Model> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    find_template(&txn, template_id).await?;
    let versions = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(template_id))
        .order_by_desc(process_version::Column::Number)
        .all(&txn)
        .await?;
    if let Some(existing) = versions.iter().find(|v| v.status == VersionStatus::Draft) {
        return Ok(existing.clone());
    }
    let Some(newest) = versions.first() else {
        return Err(AppError::NotFound);
    };
    let at = now();
    let created = process_version::ActiveModel {
        template_id: Set(template_id),
        number: Set(newest.number + 1),
        status: Set(VersionStatus::Draft.into()),
        name: Set(newest.name.clone()),
        goal: Set(newest.goal.clone()),
        created_by: Set(Some(actor.id)),
        created_at: Set(at),
        updated_at: Set(at),
        published_at: Set(None),
        published_by: Set(None),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for s in steps_of(&txn, newest.id).await? {
        let mut copy: process_step::ActiveModel = s.into();
        copy.id = sea_orm::ActiveValue::NotSet;
        copy.version_id = Set(created.id);
        copy.insert(&txn).await?;
    }
    audit::record(
        &txn,
        Some(actor.id),
        "process.new_draft",
        "process_template",
        template_id,
        None::<&()>,
        Some(&serde_json::json!({ "version": created.number })),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// Throws a draft away (it never had runs).
pub async fn discard_draft<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<i32> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let v = draft(&txn, version_id).await?;
    let others = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(v.template_id))
        .filter(process_version::Column::Id.ne(v.id))
        .count(&txn)
        .await?;
    if others == 0 {
        return Err(AppError::Conflict(
            "This is the process's only version; archive the process instead.".into(),
        ));
    }
    let template_id = v.template_id;
    process_version::Entity::delete_by_id(v.id).exec(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.discard_draft",
        "process_template",
        template_id,
        Some(&serde_json::json!({ "version": v.number })),
        None::<&()>,
    )
    .await?;
    txn.commit().await?;
    Ok(template_id)
}

/// Archives a published version: no new run starts on it; runs on it go on.
pub async fn archive_version<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<()> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let v = find_version(&txn, version_id).await?;
    if v.status != VersionStatus::Published {
        return Err(AppError::Conflict(format!(
            "Only a published version can be archived; version {} is {}.",
            v.number, v.status
        )));
    }
    let (template_id, number) = (v.template_id, v.number);
    let mut changed: process_version::ActiveModel = v.into();
    changed.status = Set(VersionStatus::Archived.into());
    changed.archived_at = Set(Some(now()));
    changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.archive_version",
        "process_template",
        template_id,
        Some(&serde_json::json!({ "version": number, "status": VersionStatus::Published })),
        Some(&serde_json::json!({ "version": number, "status": VersionStatus::Archived })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Archives or restores a whole template: an archived one starts no runs and leaves the lists.
pub async fn set_archived<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    archived: bool,
) -> AppResult<()> {
    actor.require_admin()?;
    let txn = begin_write(db).await?;
    let t = find_template(&txn, template_id).await?;
    let was = t.archived_at.is_some();
    let mut changed: process_template::ActiveModel = t.into();
    changed.archived_at = Set(archived.then(now));
    changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        if archived { "process.archive" } else { "process.restore" },
        "process_template",
        template_id,
        Some(&serde_json::json!({ "archived": was })),
        Some(&serde_json::json!({ "archived": archived })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
