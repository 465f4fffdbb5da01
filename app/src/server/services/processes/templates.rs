//! Templates and their versions: creating, renaming, the draft, and the list and detail views.

use crate::model::states::{RunStatus, VersionStatus};
use crate::error::{AppError, AppResult};
use crate::model::crm::Choice;
use crate::model::process::{TemplateDetail, TemplateRow, VersionDetail, VersionRow};
use crate::server::entities::{
    app_user, lifecycle_stage, process_run, process_step, process_template,
    process_version,
};
use crate::server::services::platform::access::Actor;
use crate::model::paging::{LIST_COUNT_CAP, capped_count};
use crate::server::services::platform::{audit, begin_write, count_by, count_up_to, now, times};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use super::steps::{data_field_choices, step_defs};
use super::publish::problems;
use super::triggers::{trigger_label, trigger_text};

pub(super) fn check_name_goal(name: &str, goal: &str) -> AppResult<(String, String)> {
    let mut errors = BTreeMap::new();
    let name = name.trim();
    if name.is_empty() {
        errors.insert("name".into(), "Give the process a name.".into());
    } else if name.chars().count() > 200 {
        errors.insert("name".into(), "Keep the name under 200 characters.".into());
    } else if crate::server::services::platform::has_control_chars(name) {
        errors.insert("name".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    let goal = goal.trim();
    if goal.is_empty() {
        errors.insert(
            "goal".into(),
            "Write down why this process exists: everyone who runs it reads this first.".into(),
        );
    } else if goal.chars().count() > 2000 {
        errors.insert("goal".into(), "Keep the goal under 2,000 characters.".into());
    }
    if errors.is_empty() {
        Ok((name.to_string(), goal.to_string()))
    } else {
        Err(AppError::invalid(errors).with_values([("name", name), ("goal", goal)]))
    }
}

/// Creates a template with an empty draft, version 1.
pub async fn create_template<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    name: &str,
    goal: &str,
) -> AppResult<(process_template::Model, process_version::Model)> {
    actor.require_admin()?;
    let (name, goal) = check_name_goal(name, goal)?;
    let txn = begin_write(db).await?;
    let at = now();
    let template = process_template::ActiveModel {
        name: Set(name.clone()),
        trigger_kind: Set("manual".into()),
        trigger_stage_id: Set(None),
        created_by: Set(Some(actor.id)),
        created_at: Set(at),
        archived_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let version = process_version::ActiveModel {
        template_id: Set(template.id),
        number: Set(1),
        status: Set(VersionStatus::Draft.into()),
        name: Set(name.clone()),
        goal: Set(goal),
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
    audit::record(
        &txn,
        Some(actor.id),
        "process.create",
        "process_template",
        template.id,
        None::<&()>,
        Some(&serde_json::json!({ "name": name })),
    )
    .await?;
    txn.commit().await?;
    Ok((template, version))
}

pub(super) async fn find_version<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_version::Model> {
    process_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

pub(super) async fn find_template<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_template::Model> {
    process_template::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The draft version `id`, for a change; a published or archived version is frozen.
pub(super) async fn draft<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_version::Model> {
    let v = find_version(db, id).await?;
    if v.status != VersionStatus::Draft {
        return Err(AppError::Conflict(format!(
            "Version {} is {} and can no longer change; start a new draft to edit the process.",
            v.number, v.status
        )));
    }
    Ok(v)
}

pub(super) async fn touch<C: ConnectionTrait>(db: &C, v: process_version::Model) -> AppResult<()> {
    let mut changed: process_version::ActiveModel = v.into();
    changed.updated_at = Set(now());
    changed.update(db).await?;
    Ok(())
}

/// The newest version that is published (the one new runs start on).
pub async fn current_version<C: ConnectionTrait>(
    db: &C,
    template_id: i32,
) -> AppResult<Option<process_version::Model>> {
    Ok(process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(template_id))
        .filter(process_version::Column::Status.eq(VersionStatus::Published))
        .order_by_desc(process_version::Column::Number)
        .one(db)
        .await?)
}

/// Renames a draft or changes its goal. A template never published takes the draft's name.
pub async fn save_draft<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
    name: &str,
    goal: &str,
) -> AppResult<()> {
    actor.require_admin()?;
    let (name, goal) = check_name_goal(name, goal)?;
    let txn = begin_write(db).await?;
    let v = draft(&txn, version_id).await?;
    let before = serde_json::json!({ "name": v.name, "goal": v.goal });
    let template_id = v.template_id;
    let mut changed: process_version::ActiveModel = v.into();
    changed.name = Set(name.clone());
    changed.goal = Set(goal.clone());
    changed.updated_at = Set(now());
    changed.update(&txn).await?;
    if current_version(&txn, template_id).await?.is_none() {
        rename_template(&txn, template_id, &name).await?;
    }
    audit::record(
        &txn,
        Some(actor.id),
        "process.edit",
        "process_version",
        version_id,
        Some(&before),
        Some(&serde_json::json!({ "name": name, "goal": goal })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub(super) async fn rename_template<C: ConnectionTrait>(db: &C, id: i32, name: &str) -> AppResult<()> {
    process_template::ActiveModel {
        id: Set(id),
        name: Set(name.to_string()),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

pub async fn steps_of<C: ConnectionTrait>(db: &C, version_id: i32) -> AppResult<Vec<process_step::Model>> {
    Ok(process_step::Entity::find()
        .filter(process_step::Column::VersionId.eq(version_id))
        .order_by_asc(process_step::Column::Position)
        .order_by_asc(process_step::Column::Id)
        .all(db)
        .await?)
}

/// The processes `actor` may see: admins every template (archived last), everyone else the
/// published ones that are not archived.
pub async fn list<C: ConnectionTrait>(db: &C, actor: &Actor) -> AppResult<Vec<TemplateRow>> {
    let rows = rows(db, actor.is_admin(), true).await?;
    Ok(if actor.is_admin() {
        rows
    } else {
        rows.into_iter().filter(|r| r.published.is_some()).collect()
    })
}

/// The processes a run can be started from: published and not archived. Their active runs
/// are not counted (`active_runs` is 0): the choice of a process to start needs none.
pub async fn startable<C: ConnectionTrait>(db: &C) -> AppResult<Vec<TemplateRow>> {
    Ok(rows(db, false, false).await?.into_iter().filter(|r| r.published.is_some()).collect())
}

/// Every template (archived last, or left out), with its versions and, `with_counts`, its
/// active runs counted (a read of every active run's index entry).
async fn rows<C: ConnectionTrait>(db: &C, with_archived: bool, with_counts: bool) -> AppResult<Vec<TemplateRow>> {
    let mut query = process_template::Entity::find();
    if !with_archived {
        query = query.filter(process_template::Column::ArchivedAt.is_null());
    }
    let templates = query.order_by_asc(process_template::Column::Name).all(db).await?;
    let ids: Vec<i32> = templates.iter().map(|t| t.id).collect();
    let versions = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.is_in(ids.clone()))
        .all(db)
        .await?;
    let active = if with_counts {
        let active_runs = process_run::Entity::find()
            .filter(process_run::Column::TemplateId.is_in(ids))
            .filter(process_run::Column::Status.eq(RunStatus::Active));
        count_by(db, active_runs, process_run::Column::TemplateId).await?
    } else {
        HashMap::new()
    };
    let stages: HashMap<i32, String> = lifecycle_stage::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.label))
        .collect();
    let mut out = Vec::new();
    for t in templates {
        let mine = versions.iter().filter(|v| v.template_id == t.id);
        let stage = t.trigger_stage_id.and_then(|id| stages.get(&id)).map(String::as_str);
        out.push(TemplateRow {
            id: t.id,
            name: t.name.clone(),
            trigger: trigger_text(&t.trigger_kind, t.trigger_stage_id, stage),
            published: mine.clone().filter(|v| v.status == VersionStatus::Published).map(|v| v.number).max(),
            draft: mine.clone().find(|v| v.status == VersionStatus::Draft).map(|v| v.number),
            active_runs: active.get(&t.id).copied().unwrap_or(0),
            archived: t.archived_at.is_some(),
        });
    }
    out.sort_by_key(|r| r.archived);
    Ok(out)
}

/// The version of `detail` that `actor` reads as the process: the published one (new runs start
/// on it), else for admins the newest draft.
pub fn version_shown<'a>(detail: &'a TemplateDetail, actor: &Actor) -> Option<&'a VersionRow> {
    detail
        .versions
        .iter()
        .find(|v| v.status == VersionStatus::Published)
        .or_else(|| detail.versions.first().filter(|_| actor.is_admin()))
}

/// Template `template_id` and its versions (newest first), if `actor` may see it: admins
/// every template, everyone else those with a version past draft; else not found.
pub async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<(process_template::Model, Vec<process_version::Model>)> {
    let t = find_template(db, template_id).await?;
    let versions = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(t.id))
        .order_by_desc(process_version::Column::Number)
        .all(db)
        .await?;
    if !actor.is_admin() && !versions.iter().any(|v| v.status != VersionStatus::Draft) {
        return Err(AppError::NotFound);
    }
    Ok((t, versions))
}

/// A template with its versions (each with its runs, counted up to `LIST_COUNT_CAP`),
/// trigger and stage choices.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<TemplateDetail> {
    let (t, versions) = visible(db, actor, template_id).await?;
    let publishers: HashMap<i32, String> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(versions.iter().filter_map(|v| v.published_by)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let tz = times::zone(&actor.timezone);
    let mut rows = Vec::new();
    for v in &versions {
        let publisher = v.published_by.and_then(|id| publishers.get(&id));
        // One count per version, each reading no more than the cap's index entries, where one
        // count grouped by version read every run of the template.
        let of_version = process_run::Entity::find()
            .filter(process_run::Column::TemplateId.eq(t.id))
            .filter(process_run::Column::VersionId.eq(v.id));
        let (runs, runs_capped) = capped_count(count_up_to(db, of_version, LIST_COUNT_CAP).await?, LIST_COUNT_CAP);
        rows.push(VersionRow {
            id: v.id,
            number: v.number,
            status: v.status.clone(),
            name: v.name.clone(),
            published: v.published_at.map(|at| match &publisher {
                Some(name) => format!("Published by {name}, {}", times::display(at, tz)),
                None => format!("Published {}", times::display(at, tz)),
            }),
            runs,
            runs_capped,
        });
    }
    let stages = lifecycle_stage::Entity::find()
        .order_by_asc(lifecycle_stage::Column::Position)
        .all(db)
        .await?;
    let trigger_stage = t
        .trigger_stage_id
        .and_then(|id| stages.iter().find(|s| s.id == id))
        .map(|s| s.key.clone())
        .unwrap_or_default();
    let shown = versions
        .iter()
        .find(|v| v.status == VersionStatus::Published)
        .or(versions.first());
    Ok(TemplateDetail {
        id: t.id,
        name: t.name.clone(),
        goal: shown.map(|v| v.goal.clone()).unwrap_or_default(),
        trigger_kind: t.trigger_kind.clone(),
        trigger_stage,
        trigger_label: trigger_label(db, &t.trigger_kind, t.trigger_stage_id).await?,
        archived: t.archived_at.is_some(),
        versions: rows,
        stages: stages
            .into_iter()
            .map(|s| Choice {
                value: s.key,
                label: s.label,
            })
            .collect(),
        can_edit: actor.is_admin(),
    })
}

/// A version with its steps. Only admins see drafts.
pub async fn version_detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<VersionDetail> {
    let v = find_version(db, version_id).await?;
    if v.status == VersionStatus::Draft && !actor.is_admin() {
        return Err(AppError::NotFound);
    }
    let steps = steps_of(db, v.id).await?;
    let editable = v.status == VersionStatus::Draft && actor.is_admin();
    let field_choices = data_field_choices(db).await?;
    let problems = if v.status == VersionStatus::Draft { problems(db, &steps, &field_choices).await? } else { Vec::new() };
    let user_choices = if editable {
        app_user::Entity::find()
            .filter(app_user::Column::Active.eq(true))
            .order_by_asc(app_user::Column::Name)
            .all(db)
            .await?
            .into_iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.name,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(VersionDetail {
        id: v.id,
        template_id: v.template_id,
        number: v.number,
        status: v.status,
        name: v.name,
        goal: v.goal,
        steps: step_defs(db, &steps, &field_choices).await?,
        editable,
        problems,
        field_choices,
        user_choices,
    })
}
