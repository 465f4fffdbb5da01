//! Process server functions. Running processes lives under `/api/processes/` (any signed-in
//! user; the services check access per customer and per step); building them under
//! `/api/admin/processes/` (admins only, refused by the middleware before anything is read).

#[cfg(feature = "ssr")]
use crate::model::states::RunStatus;
use crate::error::AppError;
use crate::model::paging::Paged;
use crate::model::process::{
    CustomerRuns, MyStep, RunList, RunQuery, RunView, StepForm, TemplateDetail, TemplateRow,
    VersionDetail,
};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use crate::server::auth::Caller;
use std::collections::BTreeMap;

/// The processes the viewer can see: admins all (archived last), others the published ones.
#[server(prefix = "/api", endpoint = "processes/list_processes")]
pub async fn list_processes() -> Result<Vec<TemplateRow>, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    processes::list(caller.db(), &actor).await
}

#[server(prefix = "/api", endpoint = "processes/get_process")]
pub async fn get_process(id: i32) -> Result<TemplateDetail, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    processes::detail(caller.db(), &actor, id).await
}

#[server(prefix = "/api", endpoint = "processes/get_version")]
pub async fn get_version(id: i32) -> Result<VersionDetail, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    processes::version_detail(caller.db(), &actor, id).await
}

#[server(prefix = "/api", endpoint = "processes/list_runs")]
pub async fn list_runs(template_id: i32, #[server(default)] query: RunQuery) -> Result<RunList, AppError> {
    use crate::server::services::{crm::customers, platform::teams, processes::runs};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    // Only for a process the caller may see.
    crate::server::services::processes::visible(caller.db(), &actor, template_id).await?;
    let (rows, total, capped) = runs::list_rows(caller.db(), &actor, template_id, &query).await?;
    let teams = customers::team_choices(&actor, teams::all(caller.db()).await?);
    Ok(RunList {
        rows,
        total,
        capped,
        per_page: runs::PER_PAGE,
        owners: customers::people_choices(caller.db(), &actor).await?,
        teams,
    })
}

#[server(prefix = "/api", endpoint = "processes/get_run")]
pub async fn get_run(id: i32) -> Result<RunView, AppError> {
    use crate::server::services::processes::runs;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    runs::view(caller.db(), &actor, id).await
}

/// The runs on a customer and the processes that can be started on it.
#[server(prefix = "/api", endpoint = "processes/load_customer_runs")]
pub async fn load_customer_runs(customer_id: i32) -> Result<CustomerRuns, AppError> {
    use crate::server::services::processes::{self, runs};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let list = runs::of_customer(caller.db(), &actor, customer_id).await?;
    let running: Vec<i32> = list
        .iter()
        .filter(|r| r.status == RunStatus::Active)
        .map(|r| r.template_id)
        .collect();
    let startable = processes::startable(caller.db())
        .await?
        .into_iter()
        .filter(|t| !running.contains(&t.id))
        .map(|t| crate::model::crm::Choice {
            value: t.id.to_string(),
            label: t.name,
        })
        .collect();
    Ok(CustomerRuns {
        runs: list,
        startable,
    })
}

/// One page of "My day"'s steps (`page` 0 or 1 is the first).
#[server(prefix = "/api", endpoint = "processes/my_steps")]
pub async fn my_steps(page: u64) -> Result<Paged<MyStep>, AppError> {
    use crate::server::services::processes::runs;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    runs::my_steps(caller.db(), &actor, page).await
}

/// Starts a process on a customer, then opens the run.
#[server(prefix = "/api", endpoint = "processes/start_run")]
pub async fn start_run(customer_id: i32, template_id: String) -> Result<i32, AppError> {
    use crate::server::services::processes::runs;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let Ok(template_id) = template_id.trim().parse::<i32>() else {
        return Err(AppError::field("template_id", "Choose a process to start."));
    };
    let run = runs::start(caller.db(), &actor, template_id, customer_id).await?;
    leptos_axum::redirect(&format!("/runs/{}", run.id));
    Ok(run.id)
}

/// Completes a step; a data step sends its values as `data[key]`.
#[server(prefix = "/api", endpoint = "processes/complete_step")]
pub async fn complete_step(
    run_id: i32,
    step_id: i32,
    data: Option<BTreeMap<String, String>>,
) -> Result<(), AppError> {
    use crate::server::services::processes::runs::{self, StepAction};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    runs::act(caller.db(), &actor, run_id, step_id, StepAction::Complete(data.unwrap_or_default()))
        .await
        .map_err(|e| e.with_values([("step_id", step_id.to_string())]))?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "processes/skip_step")]
pub async fn skip_step(run_id: i32, step_id: i32, reason: String) -> Result<(), AppError> {
    use crate::server::services::processes::runs::{self, StepAction};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    runs::act(caller.db(), &actor, run_id, step_id, StepAction::Skip(reason.clone()))
        .await
        .map_err(|e| e.with_values([("step_id", step_id.to_string()), ("reason", reason)]))?;
    Ok(())
}

/// Approves (`decision=approve`) or rejects (`decision=reject`, with a reason) an approval step.
#[server(prefix = "/api", endpoint = "processes/decide_step")]
pub async fn decide_step(
    run_id: i32,
    step_id: i32,
    decision: String,
    reason: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::processes::runs::{self, StepAction};
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let reason = reason.unwrap_or_default();
    let action = match decision.as_str() {
        "approve" => StepAction::Approve,
        "reject" => StepAction::Reject(reason.clone()),
        _ => return Err(AppError::field("decision", "Approve or reject.")),
    };
    runs::act(caller.db(), &actor, run_id, step_id, action)
        .await
        .map_err(|e| e.with_values([("step_id", step_id.to_string()), ("reason", reason)]))?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "processes/cancel_run")]
pub async fn cancel_run(run_id: i32, reason: String) -> Result<(), AppError> {
    use crate::server::services::processes::runs;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    // The run page names the box `cancel_reason`: the step forms on it have their own `reason`.
    runs::cancel(caller.db(), &actor, run_id, &reason).await.map_err(|e| match e {
        AppError::Validation { message, fields, .. } => AppError::Validation {
            message,
            fields: fields.into_iter().map(|(_, v)| ("cancel_reason".to_string(), v)).collect(),
            values: Default::default(),
        }
        .with_values([("cancel_reason", reason.clone())]),
        other => other,
    })
}

/// Finishes a run whose required steps are all done, leaving out the optional steps still open.
#[server(prefix = "/api", endpoint = "processes/finish_run")]
pub async fn finish_run(run_id: i32) -> Result<(), AppError> {
    use crate::server::services::processes::runs;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    runs::finish(caller.db(), &actor, run_id).await
}

/// Creates a process with an empty draft, then opens the draft.
#[server(prefix = "/api", endpoint = "admin/processes/create_process")]
pub async fn create_process(name: String, goal: String) -> Result<i32, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    let (_, version) = processes::create_template(caller.db(), &actor, &name, &goal).await?;
    leptos_axum::redirect(&format!("/processes/versions/{}", version.id));
    Ok(version.id)
}

#[server(prefix = "/api", endpoint = "admin/processes/save_draft")]
pub async fn save_process_draft(version_id: i32, name: String, goal: String) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::save_draft(caller.db(), &actor, version_id, &name, &goal).await
}

#[server(prefix = "/api", endpoint = "admin/processes/add_step")]
pub async fn add_process_step(version_id: i32, step: StepForm) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::add_step(caller.db(), &actor, version_id, &step).await?;
    leptos_axum::redirect(&format!("/processes/versions/{version_id}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/processes/update_step")]
pub async fn update_process_step(version_id: i32, step_id: i32, step: StepForm) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::update_step(caller.db(), &actor, step_id, &step).await?;
    leptos_axum::redirect(&format!("/processes/versions/{version_id}"));
    Ok(())
}

/// Moves a step one place: `by` is -1 (up) or 1 (down).
#[server(prefix = "/api", endpoint = "admin/processes/move_step")]
pub async fn move_process_step(step_id: i32, by: i32) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::move_step(caller.db(), &actor, step_id, by).await
}

#[server(prefix = "/api", endpoint = "admin/processes/remove_step")]
pub async fn remove_process_step(step_id: i32) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::remove_step(caller.db(), &actor, step_id).await
}

#[server(prefix = "/api", endpoint = "admin/processes/publish")]
pub async fn publish_process(version_id: i32) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::publish(caller.db(), &actor, version_id).await
}

/// Opens the template's draft, making one from its newest version if there is none.
#[server(prefix = "/api", endpoint = "admin/processes/new_draft")]
pub async fn new_process_draft(template_id: i32) -> Result<i32, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    let v = processes::new_draft(caller.db(), &actor, template_id).await?;
    leptos_axum::redirect(&format!("/processes/versions/{}", v.id));
    Ok(v.id)
}

#[server(prefix = "/api", endpoint = "admin/processes/discard_draft")]
pub async fn discard_process_draft(version_id: i32) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    let template_id = processes::discard_draft(caller.db(), &actor, version_id).await?;
    leptos_axum::redirect(&format!("/processes/{template_id}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/processes/archive_version")]
pub async fn archive_process_version(version_id: i32) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::archive_version(caller.db(), &actor, version_id).await
}

/// Archives (`archived=true`) or restores the whole process.
#[server(prefix = "/api", endpoint = "admin/processes/set_archived")]
pub async fn set_process_archived(template_id: i32, archived: bool) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::set_archived(caller.db(), &actor, template_id, archived).await
}

#[server(prefix = "/api", endpoint = "admin/processes/set_trigger")]
pub async fn set_process_trigger(
    template_id: i32,
    trigger_kind: String,
    trigger_stage: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    processes::set_trigger(caller.db(), &actor, template_id, &trigger_kind, &trigger_stage.unwrap_or_default()).await
}

/// Creates a process from its JSON form; ticking `publish` publishes it at once.
#[server(prefix = "/api", endpoint = "admin/processes/import")]
pub async fn import_process(json: String, publish: Option<String>) -> Result<i32, AppError> {
    use crate::server::services::processes;
    let (caller, actor) = Caller::signed_in()?.admin()?.with_actor().await?;
    let t = processes::import(caller.db(), &actor, &json, publish.is_some()).await?;
    leptos_axum::redirect(&format!("/processes/{}", t.id));
    Ok(t.id)
}
