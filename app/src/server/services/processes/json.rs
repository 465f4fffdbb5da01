//! The JSON form of a template, to review it and to provision it on another instance.

use crate::error::{AppError, AppResult};
use crate::model::process::{StepExport, StepForm, TRIGGERS, TemplateExport};
use crate::server::entities::{app_user, lifecycle_stage, process_template, process_version};
use crate::server::services::platform::access::Actor;
use crate::server::services::platform::begin_write;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionSession, TransactionTrait,
};
use std::collections::HashMap;
use super::MAX_STEPS;
use super::templates::{check_name_goal, create_template, current_version, find_template, steps_of};
use super::steps::{check_step, field_keys, step_model};
use super::publish::publish;
use super::triggers::set_trigger;

/// The newest version's JSON form.
pub async fn export<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    template_id: i32,
) -> AppResult<TemplateExport> {
    actor.require_admin()?;
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
                kind: s.kind.as_str().to_string(),
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
    actor.require_admin()?;
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
