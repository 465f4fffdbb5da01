//! Processes over the API: templates (`/api/v1/process-templates`, import by POSTing the JSON
//! form a process page exports) and runs (`/api/v1/process-runs`, start one; act on a step with
//! `POST /api/v1/process-runs/{id}/steps/{step_id}`), through the same services as the pages.

use super::{ApiError, ApiResult, Caller, ERRORS, ErrorResponse, PageParams, body, page_json, paging, time};
use app::error::AppError;
use app::model::api;
use app::model::process::RunQuery;
use app::model::states::RunStatus;
use app::server::entities::{process_run, process_step, process_step_run};
use app::server::services::processes;
use app::server::services::processes::runs::{self, StepAction};
use app::server::state::AppState;
use super::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The processes you may see (admins: all, archived too).
#[utoipa::path(
    get,
    path = "/api/v1/process-templates",
    tag = "processes",
    responses((status = 200, description = "The processes.", body = api::List<api::TemplateSummary>), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn list_templates(
    State(state): State<AppState>,
    Caller(actor): Caller,
) -> ApiResult<Json<api::List<api::TemplateSummary>>> {
    let rows = processes::list(&state.db, &actor).await?;
    let data = rows
        .into_iter()
        .map(|t| api::TemplateSummary {
            id: t.id,
            name: t.name,
            trigger: t.trigger,
            published_version: t.published,
            draft_version: t.draft,
            active_runs: t.active_runs,
            archived: t.archived,
        })
        .collect();
    Ok(Json(api::List { data }))
}

/// Create a process from its JSON form (as `/processes/{id}/export.json` gives it);
/// `publish=1` publishes it at once. Admins only.
#[utoipa::path(
    post,
    path = "/api/v1/process-templates",
    tag = "processes",
    params(("publish" = Option<String>, Query, description = "`1`: publish the imported version.")),
    request_body = app::model::process::TemplateExport,
    responses((status = 201, description = "The new process.", body = api::Template), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn import_template(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(params): Query<HashMap<String, String>>,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<api::Template>)> {
    actor.require_admin()?;
    let text = String::from_utf8_lossy(&bytes);
    let publish = params.get("publish").is_some_and(|v| v == "1" || v == "true");
    // The service keeps the typed text for the page's form; the API does not echo it back.
    let created = processes::import(&state.db, &actor, &text, publish)
        .await
        .map_err(|e| match e {
            AppError::Validation { message, fields, .. } => AppError::Validation {
                message,
                fields,
                values: BTreeMap::new(),
            },
            other => other,
        })?;
    Ok((StatusCode::CREATED, Json(template_json(&state, &actor, created.id).await?)))
}

async fn template_json(
    state: &AppState,
    actor: &app::server::services::platform::access::Actor,
    id: i32,
) -> ApiResult<api::Template> {
    let detail = processes::detail(&state.db, actor, id).await?;
    let steps = match processes::version_shown(&detail, actor) {
        Some(v) => processes::version_detail(&state.db, actor, v.id).await?.steps,
        None => Vec::new(),
    };
    Ok(api::Template {
        id: detail.id,
        name: detail.name,
        goal: detail.goal,
        trigger: detail.trigger_kind,
        trigger_stage: (!detail.trigger_stage.is_empty()).then_some(detail.trigger_stage),
        archived: detail.archived,
        versions: detail
            .versions
            .into_iter()
            .map(|v| api::TemplateVersion { id: v.id, number: v.number, status: v.status, runs: v.runs, runs_capped: v.runs_capped })
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| api::TemplateStep {
                id: s.id,
                position: s.position,
                title: s.title,
                kind: s.kind,
                guidance: s.guidance,
                tip: s.tip,
                assignee: s.assignee_label,
                due: s.due_label,
                optional: s.optional,
                fields: s.fields,
            })
            .collect(),
    })
}

/// A process with its versions and the steps of the version new runs start on.
#[utoipa::path(
    get,
    path = "/api/v1/process-templates/{id}",
    tag = "processes",
    params(("id" = i32, Path, description = "The process's id.")),
    responses((status = 200, description = "The process.", body = api::Template), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn get_template(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
) -> ApiResult<Json<api::Template>> {
    Ok(Json(template_json(&state, &actor, id).await?))
}

fn step_json(s: process_step_run::Model, d: process_step::Model) -> api::RunStep {
    api::RunStep {
        fields: processes::field_keys(&d),
        id: s.id,
        position: s.position,
        title: d.title,
        kind: d.kind,
        optional: d.optional,
        status: s.status,
        assignee_id: s.assignee_id,
        assignee_role: s.assignee_role,
        available_at: time(s.available_at),
        due_at: time(s.due_at),
        completed_at: time(s.completed_at),
        completed_by: s.completed_by,
        decision: s.decision,
        decided_at: time(s.decided_at),
        decided_by: s.decided_by,
        decision_reason: s.decision_reason,
        skip_reason: s.skip_reason,
        reopened_count: s.reopened_count,
        data: s.data.and_then(|d| serde_json::from_str(&d).ok()),
    }
}

fn run_json(r: process_run::Model) -> api::Run {
    api::Run {
        id: r.id,
        template_id: r.template_id,
        version_id: r.version_id,
        customer_id: r.customer_id,
        owner_id: r.owner_id,
        status: r.status,
        started_how: r.started_how,
        started_by: r.started_by,
        started_at: r.started_at.to_rfc3339(),
        finished_at: time(r.finished_at),
        cancel_reason: r.cancel_reason,
        steps: None,
    }
}

async fn full_run(
    state: &AppState,
    actor: &app::server::services::platform::access::Actor,
    id: i32,
) -> ApiResult<api::Run> {
    let (run, steps) = runs::detail(&state.db, actor, id).await?;
    Ok(api::Run { steps: Some(steps.into_iter().map(|(s, d)| step_json(s, d)).collect()), ..run_json(run) })
}

/// Runs on customers you may see, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/process-runs",
    tag = "processes",
    params(
        ("template" = Option<i32>, Query, description = "A process id."),
        ("customer" = Option<i32>, Query, description = "A customer id."),
        ("status" = Option<RunStatus>, Query, description = "Only runs in this state."),
        ("owner" = Option<String>, Query, description = "A user id, or `me`."),
        ("team" = Option<i32>, Query, description = "A team id (of the customer)."),
        ("overdue" = Option<String>, Query, description = "`1`: only active runs with a step past due."),
        PageParams,
    ),
    responses((status = 200, description = "One page.", body = api::Page<api::Run>), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn list_runs(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<api::Page<api::Run>>> {
    let paging = paging(&params)?;
    let id_param = |key: &str| -> ApiResult<Option<i32>> {
        match params.get(key) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError(AppError::field(key, "Use a numeric id."))),
        }
    };
    let query = RunQuery {
        status: params.get("status").cloned().unwrap_or_default(),
        owner: params.get("owner").cloned().unwrap_or_default(),
        team: params.get("team").cloned().unwrap_or_default(),
        overdue: params.get("overdue").is_some_and(|v| v == "1" || v == "true"),
        page: paging.0,
    };
    let (rows, total) = runs::list(&state.db, &actor, id_param("template")?, id_param("customer")?, &query, paging.1, None).await?;
    Ok(page_json(rows.into_iter().map(run_json).collect(), paging, total))
}

/// A process to start on a customer.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewRun {
    template_id: i32,
    customer_id: i32,
}

/// Start a process on a customer you can see; you own the run.
#[utoipa::path(
    post,
    path = "/api/v1/process-runs",
    tag = "processes",
    request_body = NewRun,
    responses((status = 201, description = "The run with its steps.", body = api::Run), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn start_run(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<api::Run>)> {
    let new: NewRun = body(&bytes)?;
    let run = runs::start(&state.db, &actor, new.template_id, new.customer_id).await?;
    Ok((StatusCode::CREATED, Json(full_run(&state, &actor, run.id).await?)))
}

/// A run with its steps: state, assignee, timings, decisions.
#[utoipa::path(
    get,
    path = "/api/v1/process-runs/{id}",
    tag = "processes",
    params(("id" = i32, Path, description = "The run's id.")),
    responses((status = 200, description = "The run.", body = api::Run), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn get_run(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
) -> ApiResult<Json<api::Run>> {
    Ok(Json(full_run(&state, &actor, id).await?))
}

/// What to do with a step.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct StepChange {
    /// `complete`, `skip`, `approve` or `reject`.
    action: String,
    /// For a data step: field key to value; messages come back as `data.<key>`.
    #[serde(default)]
    data: BTreeMap<String, String>,
    /// Why a step is skipped or an approval rejected.
    #[serde(default)]
    reason: String,
}

/// Act on a step: complete (a data step with `data`), skip an optional step or reject an
/// approval (with `reason`), or approve. Only someone the step allows; 409 says what happened
/// if someone else acted first.
#[utoipa::path(
    post,
    path = "/api/v1/process-runs/{id}/steps/{step_id}",
    tag = "processes",
    params(
        ("id" = i32, Path, description = "The run's id."),
        ("step_id" = i32, Path, description = "The step's id in the run."),
    ),
    request_body = StepChange,
    responses((status = 200, description = "The run after the step changed.", body = api::Run), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn act_on_step(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path((id, step_id)): Path<(i32, i32)>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<api::Run>> {
    let change: StepChange = body(&bytes)?;
    let action = match change.action.as_str() {
        "complete" => StepAction::Complete(change.data),
        "skip" => StepAction::Skip(change.reason),
        "approve" => StepAction::Approve,
        "reject" => StepAction::Reject(change.reason),
        _ => return Err(ApiError(AppError::field("action", "Use complete, skip, approve or reject."))),
    };
    runs::act(&state.db, &actor, id, step_id, action).await.map_err(|e| match e {
        // The API names data fields as sent: `data.<key>`.
        AppError::Validation { message, fields, .. } => ApiError(AppError::Validation {
            message,
            fields: fields
                .into_iter()
                .map(|(k, v)| (k.strip_prefix("data_").map_or(k.clone(), |key| format!("data.{key}")), v))
                .collect(),
            values: BTreeMap::new(),
        }),
        other => ApiError(other),
    })?;
    Ok(Json(full_run(&state, &actor, id).await?))
}
