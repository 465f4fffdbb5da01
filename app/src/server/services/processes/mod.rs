//! Process templates as admins build them: versions edited as drafts and frozen on publishing,
//! ordered steps with their kind, assignee rule and due offset, auto-start triggers, and the JSON
//! form used to review and provision templates.

pub mod runs;

use crate::error::{AppError, AppResult};
use crate::model::crm::Choice;
use crate::model::process::{
    CORE_DATA_FIELDS, DUE_FROM, DUE_UNITS, STEP_KINDS, StepDef, StepExport,
    StepForm, TRIGGERS, TemplateDetail, TemplateExport, TemplateRow, VersionDetail, VersionRow,
};
use crate::model::user::Role;
use crate::server::entities::{
    app_user, custom_field, lifecycle_stage, process_run, process_step, process_template,
    process_version,
};
use crate::server::services::platform::access::Actor;
use crate::server::services::{platform::{audit, begin_write, now, times}, crm::fields};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

pub const DRAFT: &str = "draft";
pub const PUBLISHED: &str = "published";
pub const ARCHIVED: &str = "archived";

const MAX_STEPS: usize = 100;

fn admin_only(actor: &Actor) -> AppResult<()> {
    if actor.is_admin() {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn label(table: &[(&'static str, &'static str)], key: &str) -> String {
    crate::model::crm::label_of(table, key)
}

/// A step's checked definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedStep {
    pub title: String,
    pub guidance: String,
    pub tip: String,
    pub kind: String,
    pub assignee_rule: String,
    pub assignee_role: Option<String>,
    pub assignee_user_id: Option<i32>,
    pub due_amount: Option<i32>,
    pub due_unit: String,
    pub due_from: String,
    pub working_days: bool,
    pub optional: bool,
    pub fields: Vec<String>,
}

/// The field keys a data step may ask for: the core ones and the active custom fields.
async fn data_field_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Choice>> {
    Ok(field_choices(&fields::active(db).await?))
}

/// The core fields and the given custom fields, as (key, label) choices.
pub fn field_choices(custom: &[custom_field::Model]) -> Vec<Choice> {
    let mut out = crate::model::crm::choices_of(&CORE_DATA_FIELDS);
    out.extend(custom.iter().map(|f| Choice {
        value: f.key.clone(),
        label: f.label.clone(),
    }));
    out
}

/// Checks the step form; every message at once, under the input's name.
pub async fn check_step<C: ConnectionTrait>(db: &C, form: &StepForm) -> AppResult<CheckedStep> {
    let mut errors = BTreeMap::new();
    let title = form.title.trim();
    if title.is_empty() {
        errors.insert("title".into(), "Give the step a short title.".into());
    } else if title.chars().count() > 200 {
        errors.insert("title".into(), "Keep the title under 200 characters.".into());
    } else if crate::server::services::platform::has_control_chars(title) {
        errors.insert("title".into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into());
    }
    if form.guidance.chars().count() > 5000 {
        errors.insert("guidance".into(), "Keep the guidance under 5,000 characters.".into());
    }
    if form.tip.chars().count() > 2000 {
        errors.insert("tip".into(), "Keep the tip under 2,000 characters.".into());
    }
    let kind = form.kind.trim();
    if !STEP_KINDS.iter().any(|(k, _)| *k == kind) {
        errors.insert("kind".into(), "Choose what kind of step this is.".into());
    }
    // An approval is decided by the customer's team manager unless the form says otherwise.
    let rule = match (form.assignee_rule.trim(), kind) {
        ("", "approval") => "role",
        ("", _) => "owner",
        (r, _) => r,
    };
    let role_typed = match (form.assignee_role.trim(), kind) {
        ("", "approval") => "manager",
        (r, _) => r,
    };
    let mut role = None;
    let mut user_id = None;
    match rule {
        "owner" if kind == "approval" => {
            errors.insert(
                "assignee_rule".into(),
                "An approval is decided by a role or a named person, not by the run's owner.".into(),
            );
        }
        "owner" => {}
        "role" => match Role::parse(role_typed) {
            Some(r) => role = Some(r.as_str().to_string()),
            None => {
                errors.insert("assignee_role".into(), "Choose the role that does this step.".into());
            }
        },
        "user" => {
            let found = match form.assignee_user_id.trim().parse::<i32>() {
                Ok(id) => app_user::Entity::find_by_id(id)
                    .one(db)
                    .await?
                    .filter(|u| u.active),
                Err(_) => None,
            };
            match found {
                Some(u) => user_id = Some(u.id),
                None => {
                    errors.insert(
                        "assignee_user_id".into(),
                        "Choose the person who does this step from the list.".into(),
                    );
                }
            }
        }
        _ => {
            errors.insert("assignee_rule".into(), "Choose who does this step.".into());
        }
    }
    let due_amount = match form.due_amount.trim() {
        "" => None,
        v => match v.parse::<i32>() {
            Ok(n) if (1..=1000).contains(&n) => Some(n),
            _ => {
                errors.insert(
                    "due_amount".into(),
                    "Enter a whole number from 1 to 1000, or leave it empty for no due time.".into(),
                );
                None
            }
        },
    };
    let due_unit = match form.due_unit.trim() {
        "" => "days",
        u => u,
    };
    if !DUE_UNITS.iter().any(|(k, _)| *k == due_unit) {
        errors.insert("due_unit".into(), "Choose hours or days.".into());
    }
    let due_from = match form.due_from.trim() {
        "" => "start",
        f => f,
    };
    if !DUE_FROM.iter().any(|(k, _)| *k == due_from) {
        errors.insert("due_from".into(), "Choose what the due time counts from.".into());
    }
    let optional = StepForm::ticked(&form.optional);
    if optional && kind == "stop" {
        errors.insert("optional".into(), "A stop step cannot be optional: everything after it waits for it.".into());
    }
    let choices = data_field_choices(db).await?;
    let mut keys: Vec<String> = Vec::new();
    for (key, value) in &form.fields {
        if !StepForm::ticked(value) {
            continue;
        }
        if choices.iter().any(|c| &c.value == key) {
            keys.push(key.clone());
        } else {
            errors.insert("fields".into(), format!("There is no field “{key}”."));
        }
    }
    // Keep the order the customer form shows them in.
    keys.sort_by_key(|k| choices.iter().position(|c| &c.value == k));
    if kind == "data" && keys.is_empty() && !errors.contains_key("fields") {
        errors.insert("fields".into(), "Tick the customer fields this step fills in.".into());
    }
    if kind != "data" {
        keys.clear();
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors).with_values(form.values()));
    }
    Ok(CheckedStep {
        title: title.to_string(),
        guidance: form.guidance.trim().to_string(),
        tip: form.tip.trim().to_string(),
        kind: kind.to_string(),
        assignee_rule: rule.to_string(),
        assignee_role: role,
        assignee_user_id: user_id,
        due_amount,
        due_unit: due_unit.to_string(),
        due_from: due_from.to_string(),
        working_days: StepForm::ticked(&form.working_days),
        optional,
        fields: keys,
    })
}

fn check_name_goal(name: &str, goal: &str) -> AppResult<(String, String)> {
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
    admin_only(actor)?;
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
        status: Set(DRAFT.into()),
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

async fn find_version<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_version::Model> {
    process_version::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

async fn find_template<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_template::Model> {
    process_template::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The draft version `id`, for a change; a published or archived version is frozen.
async fn draft<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<process_version::Model> {
    let v = find_version(db, id).await?;
    if v.status != DRAFT {
        return Err(AppError::Conflict(format!(
            "Version {} is {} and can no longer change; start a new draft to edit the process.",
            v.number, v.status
        )));
    }
    Ok(v)
}

async fn touch<C: ConnectionTrait>(db: &C, v: process_version::Model) -> AppResult<()> {
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
        .filter(process_version::Column::Status.eq(PUBLISHED))
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
    admin_only(actor)?;
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

async fn rename_template<C: ConnectionTrait>(db: &C, id: i32, name: &str) -> AppResult<()> {
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

fn step_model(version_id: i32, position: i32, s: CheckedStep) -> process_step::ActiveModel {
    process_step::ActiveModel {
        version_id: Set(version_id),
        position: Set(position),
        title: Set(s.title),
        guidance: Set(s.guidance),
        tip: Set(s.tip),
        kind: Set(s.kind),
        assignee_rule: Set(s.assignee_rule),
        assignee_role: Set(s.assignee_role),
        assignee_user_id: Set(s.assignee_user_id),
        due_amount: Set(s.due_amount),
        due_unit: Set(s.due_unit),
        due_from: Set(s.due_from),
        working_days: Set(s.working_days),
        optional: Set(s.optional),
        fields: Set(s.fields.join("\n")),
        ..Default::default()
    }
}

/// Adds a step at the end of a draft.
pub async fn add_step<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
    form: &StepForm,
) -> AppResult<process_step::Model> {
    admin_only(actor)?;
    let checked = check_step(db, form).await?;
    let txn = begin_write(db).await?;
    let v = draft(&txn, version_id).await?;
    let steps = steps_of(&txn, version_id).await?;
    if steps.len() >= MAX_STEPS {
        return Err(AppError::Conflict(format!("A process can have at most {MAX_STEPS} steps.")));
    }
    let position = steps.last().map_or(0, |s| s.position + 1);
    let title = checked.title.clone();
    let step = step_model(version_id, position, checked).insert(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.step_add",
        "process_version",
        version_id,
        None::<&()>,
        Some(&serde_json::json!({ "step": title })),
    )
    .await?;
    touch(&txn, v).await?;
    txn.commit().await?;
    Ok(step)
}

async fn draft_step<C: ConnectionTrait>(
    db: &C,
    step_id: i32,
) -> AppResult<(process_step::Model, process_version::Model)> {
    let step = process_step::Entity::find_by_id(step_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let v = draft(db, step.version_id).await?;
    Ok((step, v))
}

/// Changes a step of a draft.
pub async fn update_step<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    step_id: i32,
    form: &StepForm,
) -> AppResult<()> {
    admin_only(actor)?;
    let checked = check_step(db, form).await?;
    let txn = begin_write(db).await?;
    let (step, v) = draft_step(&txn, step_id).await?;
    let before = serde_json::json!({ "step": step.title });
    let mut changed = step_model(step.version_id, step.position, checked.clone());
    changed.id = Set(step.id);
    changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.step_edit",
        "process_version",
        v.id,
        Some(&before),
        Some(&serde_json::json!({ "step": checked.title })),
    )
    .await?;
    touch(&txn, v).await?;
    txn.commit().await?;
    Ok(())
}

/// Moves a step of a draft one place up (`-1`) or down (`1`).
pub async fn move_step<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    step_id: i32,
    by: i32,
) -> AppResult<()> {
    admin_only(actor)?;
    let txn = begin_write(db).await?;
    let (step, v) = draft_step(&txn, step_id).await?;
    let mut steps = steps_of(&txn, step.version_id).await?;
    let Some(at) = steps.iter().position(|s| s.id == step_id) else {
        return Err(AppError::NotFound);
    };
    let to = at as i64 + i64::from(by.signum());
    if to < 0 || to >= steps.len() as i64 {
        return Ok(());
    }
    steps.swap(at, to as usize);
    renumber(&txn, &steps).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.step_move",
        "process_version",
        v.id,
        Some(&serde_json::json!({ "position": at + 1, "step": step.title })),
        Some(&serde_json::json!({ "position": to + 1, "step": step.title })),
    )
    .await?;
    touch(&txn, v).await?;
    txn.commit().await?;
    Ok(())
}

async fn renumber<C: ConnectionTrait>(db: &C, steps: &[process_step::Model]) -> AppResult<()> {
    for (i, s) in steps.iter().enumerate() {
        if s.position != i as i32 {
            process_step::ActiveModel {
                id: Set(s.id),
                position: Set(i as i32),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
    }
    Ok(())
}

/// Removes a step from a draft.
pub async fn remove_step<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    step_id: i32,
) -> AppResult<()> {
    admin_only(actor)?;
    let txn = begin_write(db).await?;
    let (step, v) = draft_step(&txn, step_id).await?;
    process_step::Entity::delete_by_id(step.id).exec(&txn).await?;
    let rest = steps_of(&txn, step.version_id).await?;
    renumber(&txn, &rest).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.step_remove",
        "process_version",
        v.id,
        Some(&serde_json::json!({ "step": step.title })),
        None::<&()>,
    )
    .await?;
    touch(&txn, v).await?;
    txn.commit().await?;
    Ok(())
}

/// What keeps a version from being published.
async fn problems<C: ConnectionTrait>(
    db: &C,
    steps: &[process_step::Model],
    choices: &[Choice],
) -> AppResult<Vec<String>> {
    let mut out = Vec::new();
    if steps.is_empty() {
        out.push("Add at least one step.".to_string());
    }
    if let Some(first) = steps.first()
        && first.kind == "approval"
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

pub fn field_keys(step: &process_step::Model) -> Vec<String> {
    step.fields
        .lines()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect()
}

/// Publishes a draft: it is frozen, and new runs start on it.
pub async fn publish<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<()> {
    admin_only(actor)?;
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
    changed.status = Set(PUBLISHED.into());
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
    admin_only(actor)?;
    let txn = begin_write(db).await?;
    find_template(&txn, template_id).await?;
    let versions = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(template_id))
        .order_by_desc(process_version::Column::Number)
        .all(&txn)
        .await?;
    if let Some(existing) = versions.iter().find(|v| v.status == DRAFT) {
        return Ok(existing.clone());
    }
    let Some(newest) = versions.first() else {
        return Err(AppError::NotFound);
    };
    let at = now();
    let created = process_version::ActiveModel {
        template_id: Set(template_id),
        number: Set(newest.number + 1),
        status: Set(DRAFT.into()),
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
    admin_only(actor)?;
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
    admin_only(actor)?;
    let txn = begin_write(db).await?;
    let v = find_version(&txn, version_id).await?;
    if v.status != PUBLISHED {
        return Err(AppError::Conflict(format!(
            "Only a published version can be archived; version {} is {}.",
            v.number, v.status
        )));
    }
    let (template_id, number) = (v.template_id, v.number);
    let mut changed: process_version::ActiveModel = v.into();
    changed.status = Set(ARCHIVED.into());
    changed.archived_at = Set(Some(now()));
    changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor.id),
        "process.archive_version",
        "process_template",
        template_id,
        Some(&serde_json::json!({ "version": number, "status": PUBLISHED })),
        Some(&serde_json::json!({ "version": number, "status": ARCHIVED })),
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
    admin_only(actor)?;
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

/// Sets the auto-start trigger: `manual`, `customer_created`, or `stage_changed` to `stage`.
pub async fn set_trigger<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
    kind: &str,
    stage: &str,
) -> AppResult<()> {
    admin_only(actor)?;
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

async fn trigger_label<C: ConnectionTrait>(
    db: &C,
    kind: &str,
    stage_id: Option<i32>,
) -> AppResult<String> {
    Ok(match (kind, stage_id) {
        ("stage_changed", Some(id)) => {
            let stage = lifecycle_stage::Entity::find_by_id(id)
                .one(db)
                .await?
                .map(|s| s.label)
                .unwrap_or_else(|| "a removed stage".into());
            format!("When a customer's stage changes to {stage}")
        }
        (kind, _) => label(&TRIGGERS, kind),
    })
}

/// Every template (archived last), for the admin's list and the "start a process" choice.
pub async fn list<C: ConnectionTrait>(db: &C, with_archived: bool) -> AppResult<Vec<TemplateRow>> {
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
    let mut active: HashMap<i32, u64> = HashMap::new();
    for run in process_run::Entity::find()
        .filter(process_run::Column::TemplateId.is_in(ids))
        .filter(process_run::Column::Status.eq("active"))
        .all(db)
        .await?
    {
        *active.entry(run.template_id).or_default() += 1;
    }
    let mut out = Vec::new();
    for t in templates {
        let mine = versions.iter().filter(|v| v.template_id == t.id);
        out.push(TemplateRow {
            id: t.id,
            name: t.name.clone(),
            trigger: trigger_label(db, &t.trigger_kind, t.trigger_stage_id).await?,
            published: mine.clone().filter(|v| v.status == PUBLISHED).map(|v| v.number).max(),
            draft: mine.clone().find(|v| v.status == DRAFT).map(|v| v.number),
            active_runs: active.get(&t.id).copied().unwrap_or(0),
            archived: t.archived_at.is_some(),
        });
    }
    out.sort_by_key(|r| r.archived);
    Ok(out)
}

/// A template with its versions, trigger and stage choices.
pub async fn detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<TemplateDetail> {
    let t = find_template(db, template_id).await?;
    let versions = process_version::Entity::find()
        .filter(process_version::Column::TemplateId.eq(t.id))
        .order_by_desc(process_version::Column::Number)
        .all(db)
        .await?;
    if !actor.is_admin() && !versions.iter().any(|v| v.status != DRAFT) {
        return Err(AppError::NotFound);
    }
    let mut runs: HashMap<i32, u64> = HashMap::new();
    for run in process_run::Entity::find()
        .filter(process_run::Column::TemplateId.eq(t.id))
        .all(db)
        .await?
    {
        *runs.entry(run.version_id).or_default() += 1;
    }
    let tz = times::zone(&actor.timezone);
    let mut rows = Vec::new();
    for v in &versions {
        let publisher = match v.published_by {
            Some(id) => app_user::Entity::find_by_id(id).one(db).await?.map(|u| u.name),
            None => None,
        };
        rows.push(VersionRow {
            id: v.id,
            number: v.number,
            status: v.status.clone(),
            name: v.name.clone(),
            published: v.published_at.map(|at| match &publisher {
                Some(name) => format!("Published by {name}, {}", times::display(at, tz)),
                None => format!("Published {}", times::display(at, tz)),
            }),
            runs: runs.get(&v.id).copied().unwrap_or(0),
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
        .find(|v| v.status == PUBLISHED)
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

fn role_label(role: &str) -> String {
    match role {
        "admin" => "An admin".into(),
        "manager" => "A manager of the customer's team".into(),
        _ => "Anyone in the customer's team".into(),
    }
}

/// "Due 2 working days after the step before is done".
pub fn due_label(s: &process_step::Model) -> String {
    match s.due_amount {
        None => "No due time".into(),
        Some(n) => {
            let unit = match (s.due_unit.as_str(), n) {
                ("hours", 1) => "hour",
                ("hours", _) => "hours",
                (_, 1) => "day",
                _ => "days",
            };
            let working = if s.working_days { "working " } else { "" };
            format!("Due {n} {working}{unit} {}", label(&DUE_FROM, &s.due_from))
        }
    }
}

/// Who does a step, in words.
pub fn assignee_label(s: &process_step::Model, users: &HashMap<i32, String>) -> String {
    match (s.assignee_rule.as_str(), &s.assignee_role, s.assignee_user_id) {
        ("role", Some(role), _) => role_label(role),
        ("user", _, Some(id)) => users.get(&id).cloned().unwrap_or_else(|| "A removed user".into()),
        _ => "The run's owner".into(),
    }
}

/// The steps of a version as the editor and the preview show them.
async fn step_defs<C: ConnectionTrait>(
    db: &C,
    steps: &[process_step::Model],
    choices: &[Choice],
) -> AppResult<Vec<StepDef>> {
    let users = crate::server::services::platform::users::names(db, steps.iter().filter_map(|s| s.assignee_user_id).collect()).await?;
    Ok(steps
        .iter()
        .map(|s| {
            let keys = field_keys(s);
            StepDef {
                id: s.id,
                position: s.position,
                title: s.title.clone(),
                guidance: s.guidance.clone(),
                tip: s.tip.clone(),
                kind: s.kind.clone(),
                assignee_rule: s.assignee_rule.clone(),
                assignee_role: s.assignee_role.clone(),
                assignee_user_id: s.assignee_user_id,
                assignee_label: assignee_label(s, &users),
                due_amount: s.due_amount,
                due_unit: s.due_unit.clone(),
                due_from: s.due_from.clone(),
                working_days: s.working_days,
                due_label: due_label(s),
                optional: s.optional,
                field_labels: keys
                    .iter()
                    .map(|k| {
                        choices
                            .iter()
                            .find(|c| &c.value == k)
                            .map(|c| c.label.clone())
                            .unwrap_or_else(|| k.clone())
                    })
                    .collect(),
                form: StepForm {
                    title: s.title.clone(),
                    guidance: s.guidance.clone(),
                    tip: s.tip.clone(),
                    kind: s.kind.clone(),
                    assignee_rule: s.assignee_rule.clone(),
                    assignee_role: s.assignee_role.clone().unwrap_or_default(),
                    assignee_user_id: s.assignee_user_id.map(|i| i.to_string()).unwrap_or_default(),
                    due_amount: s.due_amount.map(|n| n.to_string()).unwrap_or_default(),
                    due_unit: s.due_unit.clone(),
                    due_from: s.due_from.clone(),
                    working_days: if s.working_days { "on".into() } else { String::new() },
                    optional: if s.optional { "on".into() } else { String::new() },
                    fields: keys.iter().map(|k| (k.clone(), "on".to_string())).collect(),
                },
                fields: keys,
            }
        })
        .collect())
}

/// A version with its steps. Only admins see drafts.
pub async fn version_detail<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    version_id: i32,
) -> AppResult<VersionDetail> {
    let v = find_version(db, version_id).await?;
    if v.status == DRAFT && !actor.is_admin() {
        return Err(AppError::NotFound);
    }
    let steps = steps_of(db, v.id).await?;
    let editable = v.status == DRAFT && actor.is_admin();
    let field_choices = data_field_choices(db).await?;
    let problems = if v.status == DRAFT { problems(db, &steps, &field_choices).await? } else { Vec::new() };
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

/// The newest version's JSON form.
pub async fn export<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<TemplateExport> {
    admin_only(actor)?;
    let t = find_template(db, template_id).await?;
    let v = match current_version(db, t.id).await? {
        Some(v) => v,
        None => process_version::Entity::find()
            .filter(process_version::Column::TemplateId.eq(t.id))
            .order_by_desc(process_version::Column::Number)
            .one(db)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let steps = steps_of(db, v.id).await?;
    let users: HashMap<i32, String> = app_user::Entity::find()
        .filter(app_user::Column::Id.is_in(steps.iter().filter_map(|s| s.assignee_user_id)))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let trigger_stage = match t.trigger_stage_id {
        Some(id) => lifecycle_stage::Entity::find_by_id(id).one(db).await?.map(|s| s.key),
        None => None,
    };
    Ok(TemplateExport {
        name: v.name,
        goal: v.goal,
        trigger: t.trigger_kind,
        trigger_stage,
        steps: steps
            .into_iter()
            .map(|s| StepExport {
                assignee: match (s.assignee_rule.as_str(), &s.assignee_role, s.assignee_user_id) {
                    ("role", Some(role), _) => format!("role:{role}"),
                    ("user", _, Some(id)) => format!("user:{}", users.get(&id).cloned().unwrap_or_default()),
                    _ => "owner".into(),
                },
                fields: field_keys(&s),
                title: s.title,
                guidance: s.guidance,
                tip: s.tip,
                kind: s.kind,
                due_amount: s.due_amount,
                due_unit: s.due_unit,
                due_from: s.due_from,
                working_days: s.working_days,
                optional: s.optional,
            })
            .collect(),
    })
}

/// Creates a template from its JSON form, as a draft (or published at once with `publish`).
/// Every problem is reported with the step it is in; nothing is saved unless all is well.
pub async fn import<C: TransactionTrait + ConnectionTrait>(
    db: &C,
    actor: &Actor,
    json: &str,
    publish_it: bool,
) -> AppResult<process_template::Model> {
    admin_only(actor)?;
    let parsed: TemplateExport = serde_json::from_str(json).map_err(|e| {
        AppError::field("json", format!("This is not a process template in JSON: {e}."))
            .with_values([("json", json)])
    })?;
    let keep = |e: AppError| e.with_values([("json", json)]);
    let (name, goal) = check_name_goal(&parsed.name, &parsed.goal).map_err(|e| match e {
        AppError::Validation { fields, .. } => keep(AppError::field(
            "json",
            fields.into_values().collect::<Vec<_>>().join(" "),
        )),
        other => other,
    })?;
    if parsed.steps.len() > MAX_STEPS {
        return Err(keep(AppError::field("json", format!("A process can have at most {MAX_STEPS} steps."))));
    }
    let mut checked = Vec::new();
    let mut messages = Vec::new();
    for (i, s) in parsed.steps.iter().enumerate() {
        let (rule, role, user) = match s.assignee.split_once(':') {
            Some(("role", role)) => ("role", role.to_string(), String::new()),
            Some(("user", email)) => {
                let id = crate::server::services::platform::users::find_by_email(db, email)
                    .await?
                    .map(|u| u.id.to_string())
                    .unwrap_or_default();
                ("user", String::new(), id)
            }
            // An approval without an assignee goes to the customer's team manager.
            _ if s.assignee == "owner" && s.kind == "approval" => ("role", "manager".to_string(), String::new()),
            _ if s.assignee == "owner" => ("owner", String::new(), String::new()),
            _ => ("?", String::new(), String::new()),
        };
        let form = StepForm {
            title: s.title.clone(),
            guidance: s.guidance.clone(),
            tip: s.tip.clone(),
            kind: s.kind.clone(),
            assignee_rule: rule.into(),
            assignee_role: role,
            assignee_user_id: user,
            due_amount: s.due_amount.map(|n| n.to_string()).unwrap_or_default(),
            due_unit: s.due_unit.clone(),
            due_from: s.due_from.clone(),
            working_days: if s.working_days { "on".into() } else { String::new() },
            optional: if s.optional { "on".into() } else { String::new() },
            fields: s.fields.iter().map(|k| (k.clone(), "on".to_string())).collect(),
        };
        match check_step(db, &form).await {
            Ok(c) => checked.push(c),
            Err(AppError::Validation { fields, .. }) => {
                let title = if s.title.trim().is_empty() { "untitled" } else { s.title.trim() };
                messages.push(format!(
                    "Step {} ({title}): {}",
                    i + 1,
                    fields.into_values().collect::<Vec<_>>().join(" ")
                ));
            }
            Err(other) => return Err(other),
        }
    }
    if !TRIGGERS.iter().any(|(k, _)| *k == parsed.trigger) {
        messages.push(format!(
            "Unknown trigger “{}”: use manual, customer_created or stage_changed.",
            parsed.trigger
        ));
    } else if parsed.trigger == "stage_changed" {
        let stage = parsed.trigger_stage.as_deref().unwrap_or("");
        let known = lifecycle_stage::Entity::find()
            .filter(lifecycle_stage::Column::Key.eq(stage))
            .one(db)
            .await?
            .is_some();
        if !known {
            messages.push(format!("The trigger's stage “{stage}” does not exist here."));
        }
    }
    if !messages.is_empty() {
        return Err(keep(AppError::field("json", messages.join("\n"))));
    }
    let (template, version) = create_template(db, actor, &name, &goal).await?;
    let txn = begin_write(db).await?;
    for (i, c) in checked.into_iter().enumerate() {
        step_model(version.id, i as i32, c).insert(&txn).await?;
    }
    txn.commit().await?;
    if parsed.trigger != "manual" {
        set_trigger(db, actor, template.id, &parsed.trigger, parsed.trigger_stage.as_deref().unwrap_or(""))
            .await?;
    }
    if publish_it {
        publish(db, actor, version.id).await?;
    }
    find_template(db, template.id).await
}
