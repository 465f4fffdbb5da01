//! A version's ordered steps: checking a step's definition, adding, editing, moving and removing
//! steps of a draft, and the labels a step shows.

use crate::error::{AppError, AppResult};
use crate::model::crm::Choice;
use crate::model::process::{CORE_DATA_FIELDS, DUE_FROM, DUE_UNITS, StepDef, StepForm};
use crate::model::states::StepKind;
use crate::model::user::Role;
use crate::server::entities::{app_user, custom_field, process_step, process_version};
use crate::server::services::platform::access::Actor;
use crate::server::services::{platform::{audit, begin_write}, crm::fields};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, EntityTrait, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};
use super::{MAX_STEPS, label};
use super::templates::{draft, steps_of, touch};

/// A step's checked definition.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedStep {
    pub title: String,
    pub guidance: String,
    pub tip: String,
    pub kind: StepKind,
    pub assignee_rule: String,
    pub assignee_role: Option<Role>,
    pub assignee_user_id: Option<i32>,
    pub due_amount: Option<i32>,
    pub due_unit: String,
    pub due_from: String,
    pub working_days: bool,
    pub optional: bool,
    pub fields: Vec<String>,
}

/// The field keys a data step may ask for: the core ones and the active custom fields.
pub(super) async fn data_field_choices<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Choice>> {
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
    let parsed_kind = StepKind::parse(form.kind.trim());
    if parsed_kind.is_none() {
        errors.insert("kind".into(), "Choose what kind of step this is.".into());
    }
    let kind = parsed_kind.unwrap_or(StepKind::Task);
    // An approval is decided by the customer's team manager unless the form says otherwise.
    let rule = match (form.assignee_rule.trim(), kind) {
        ("", StepKind::Approval) => "role",
        ("", _) => "owner",
        (r, _) => r,
    };
    let role_typed = match (form.assignee_role.trim(), kind) {
        ("", StepKind::Approval) => "manager",
        (r, _) => r,
    };
    let mut role = None;
    let mut user_id = None;
    match rule {
        "owner" if kind == StepKind::Approval => {
            errors.insert(
                "assignee_rule".into(),
                "An approval is decided by a role or a named person, not by the run's owner.".into(),
            );
        }
        "owner" => {}
        "role" => match Role::parse(role_typed) {
            Some(r) => role = Some(r),
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
    if optional && kind == StepKind::Stop {
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
    if kind == StepKind::Data && keys.is_empty() && !errors.contains_key("fields") {
        errors.insert("fields".into(), "Tick the customer fields this step fills in.".into());
    }
    if kind != StepKind::Data {
        keys.clear();
    }
    if !errors.is_empty() {
        return Err(AppError::invalid(errors).with_values(form.values()));
    }
    Ok(CheckedStep {
        title: title.to_string(),
        guidance: form.guidance.trim().to_string(),
        tip: form.tip.trim().to_string(),
        kind,
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

pub(super) fn step_model(version_id: i32, position: i32, s: CheckedStep) -> process_step::ActiveModel {
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
    actor.require_admin()?;
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
    actor.require_admin()?;
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
    actor.require_admin()?;
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
    actor.require_admin()?;
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

pub fn field_keys(step: &process_step::Model) -> Vec<String> {
    step.fields
        .lines()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(String::from)
        .collect()
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
        ("role", Some(role), _) => role.as_assignee().into(),
        ("user", _, Some(id)) => users.get(&id).cloned().unwrap_or_else(|| "A removed user".into()),
        _ => "The run's owner".into(),
    }
}

/// The steps of a version as the editor and the preview show them.
pub(super) async fn step_defs<C: ConnectionTrait>(
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
                kind: s.kind,
                assignee_rule: s.assignee_rule.clone(),
                assignee_role: s.assignee_role,
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
                    kind: s.kind.as_str().to_string(),
                    assignee_rule: s.assignee_rule.clone(),
                    assignee_role: s.assignee_role.map(|r| r.as_str().to_string()).unwrap_or_default(),
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
