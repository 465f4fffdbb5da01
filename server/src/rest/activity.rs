//! A customer's interactions (`/api/v1/customers/{id}/interactions`) and follow-ups
//! (`/api/v1/follow-ups`, `/api/v1/follow-ups/{id}`), through the same services as the
//! customer page and "My day".

use app::model::states::FollowUpStatus;
use super::{ApiError, ApiResult, Caller, ERRORS, ErrorResponse, PageParams, body, page_json, paging, time};
use app::error::AppError;
use app::model::api;
use app::server::entities::{follow_up, interaction};
use app::server::services::crm::follow_ups::{self, FollowUpFilter, NewFollowUp};
use app::server::services::{platform::now, crm::timeline};
use app::server::state::AppState;
use super::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use std::collections::HashMap;

/// The service's field names as the API calls them (`due` is `due_at`), under `prefix`.
fn api_fields(e: AppError, prefix: &str) -> AppError {
    match e {
        AppError::Validation { message, fields, values } => AppError::Validation {
            message,
            fields: fields
                .into_iter()
                .map(|(k, v)| (format!("{prefix}{}", if k == "due" { "due_at" } else { &k }), v))
                .collect(),
            values,
        },
        other => other,
    }
}

fn interaction_json(i: interaction::Model) -> api::Interaction {
    api::Interaction {
        id: i.id,
        customer_id: i.customer_id,
        author_id: i.author_id,
        kind: i.kind,
        occurred_at: i.occurred_at.to_rfc3339(),
        summary: i.summary,
        outcome: i.outcome,
        created_at: i.created_at.to_rfc3339(),
    }
}

fn follow_up_json(f: follow_up::Model) -> api::FollowUp {
    api::FollowUp {
        id: f.id,
        customer_id: f.customer_id,
        assignee_id: f.assignee_id,
        created_by: f.created_by,
        due_at: f.due_at.to_rfc3339(),
        overdue: f.status == FollowUpStatus::Open && f.due_at < now(),
        note: f.note,
        status: f.status,
        completed_at: time(f.completed_at),
        completed_by: f.completed_by,
        created_at: f.created_at.to_rfc3339(),
        next: None,
    }
}

/// A customer's interactions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}/interactions",
    tag = "activity",
    params(("id" = i32, Path, description = "The customer's id."), PageParams),
    responses((status = 200, description = "One page.", body = api::Page<api::Interaction>), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn list_interactions(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<api::Page<api::Interaction>>> {
    let paged = paging(&params)?;
    let (rows, total) = timeline::interactions(&state.db, &actor, id, paged.2, paged.1).await?;
    Ok(page_json(rows.into_iter().map(interaction_json).collect(), paged, total))
}

/// An interaction to log.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InteractionInput {
    /// `call`, `meeting`, `email` or `note`.
    kind: String,
    /// RFC 3339; default now.
    occurred_at: Option<String>,
    summary: String,
    #[serde(default)]
    outcome: String,
}

/// Log an interaction (call, meeting, email or note) on a customer you can see.
#[utoipa::path(
    post,
    path = "/api/v1/customers/{id}/interactions",
    tag = "activity",
    params(("id" = i32, Path, description = "The customer's id.")),
    request_body = InteractionInput,
    responses((status = 201, description = "The interaction.", body = api::Interaction), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn log_interaction(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<api::Interaction>)> {
    let input: InteractionInput = body(&bytes)?;
    let occurred_at = input.occurred_at.unwrap_or_else(|| now().to_rfc3339());
    let created = timeline::log_interaction(
        &state.db,
        &actor,
        &timeline::NewInteraction {
            customer_id: id,
            kind: &input.kind,
            occurred_at: &occurred_at,
            summary: &input.summary,
            outcome: &input.outcome,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(interaction_json(created))))
}

/// Follow-ups on customers you can see: by default your open ones, soonest due first.
#[utoipa::path(
    get,
    path = "/api/v1/follow-ups",
    tag = "activity",
    params(
        ("assignee" = Option<String>, Query, description = "A user id, `me` (the default) or `any`."),
        ("customer" = Option<i32>, Query, description = "A customer id."),
        ("status" = Option<String>, Query, description = "`open` (the default), `done`, `cancelled` or `any`."),
        ("overdue" = Option<String>, Query, description = "`1`: only open follow-ups already due."),
        PageParams,
    ),
    responses((status = 200, description = "One page.", body = api::Page<api::FollowUp>), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn list_follow_ups(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<api::Page<api::FollowUp>>> {
    let paged = paging(&params)?;
    let id = |key: &str, message: &str| -> ApiResult<Option<i32>> {
        match params.get(key).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| ApiError(AppError::field(key, message))),
        }
    };
    let filter = FollowUpFilter {
        assignee_id: match params.get("assignee").map(String::as_str) {
            None | Some("me") => Some(actor.id),
            Some("any") => None,
            Some(_) => id("assignee", "Use a user id, `me` or `any`.")?,
        },
        customer_id: id("customer", "Use a customer id.")?,
        status: match params.get("status").map(String::as_str) {
            None | Some("open") => Some(FollowUpStatus::Open.to_string()),
            Some("any") => None,
            Some(s @ ("done" | "cancelled")) => Some(s.to_string()),
            Some(_) => {
                return Err(ApiError(AppError::field("status", "Use open, done, cancelled or any.")));
            }
        },
        overdue: params.get("overdue").is_some_and(|v| v == "1" || v == "true"),
    };
    let (rows, total) = follow_ups::search(&state.db, &actor, &filter, paged.2, paged.1).await?;
    Ok(page_json(rows.into_iter().map(follow_up_json).collect(), paged, total))
}

/// A new follow-up: `due_at` in RFC 3339, or a local `YYYY-MM-DDTHH:MM` read in the
/// assignee's timezone; the assignee defaults to the caller.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// RFC 3339 (`2026-12-01T09:00:00Z`), or `YYYY-MM-DDTHH:MM` read in the assignee's timezone.
    due_at: String,
    assignee_id: Option<i32>,
    #[serde(default)]
    note: String,
}

impl FollowUpInput {
    fn as_new<'a>(&'a self, assignee: &'a str) -> NewFollowUp<'a> {
        NewFollowUp { assignee_id: assignee, due: &self.due_at, note: &self.note }
    }
    fn assignee(&self) -> String {
        self.assignee_id.map(|id| id.to_string()).unwrap_or_default()
    }
}

/// The body of `POST /api/v1/follow-ups`: a [`FollowUpInput`] on a customer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFollowUpInput {
    customer_id: i32,
    /// RFC 3339 (`2026-12-01T09:00:00Z`), or `YYYY-MM-DDTHH:MM` read in the assignee's timezone.
    due_at: String,
    /// You by default.
    assignee_id: Option<i32>,
    #[serde(default)]
    note: String,
}

/// Schedule a follow-up on a customer you can see.
#[utoipa::path(
    post,
    path = "/api/v1/follow-ups",
    tag = "activity",
    request_body = NewFollowUpInput,
    responses((status = 201, description = "The follow-up.", body = api::FollowUp), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn create_follow_up(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<api::FollowUp>)> {
    let NewFollowUpInput { customer_id, due_at, assignee_id, note } = body(&bytes)?;
    let input = FollowUpInput { due_at, assignee_id, note };
    let assignee = input.assignee();
    let created = follow_ups::create(&state.db, &actor, customer_id, &input.as_new(&assignee))
        .await
        .map_err(|e| api_fields(e, ""))?;
    Ok((StatusCode::CREATED, Json(follow_up_json(created))))
}

/// What `PATCH /api/v1/follow-ups/{id}` does.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum FollowUpChange {
    /// Done; with `next`, the next one is scheduled in the same step.
    Done { next: Option<FollowUpInput> },
    Reschedule { due_at: String },
    Cancel,
}

/// Mark a follow-up done (optionally scheduling the next one), reschedule or cancel it: its
/// assignee, or someone who may edit the customer. A follow-up already closed is a 409.
#[utoipa::path(
    patch,
    path = "/api/v1/follow-ups/{id}",
    tag = "activity",
    params(("id" = i32, Path, description = "The follow-up's id.")),
    request_body = FollowUpChange,
    responses((status = 200, description = "The follow-up after the change; `next` holds the one scheduled with it.", body = api::FollowUp), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn change_follow_up(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<api::FollowUp>> {
    let change: FollowUpChange = body(&bytes)?;
    let mut next = None;
    match &change {
        FollowUpChange::Done { next: input } => {
            let assignee = input.as_ref().map(FollowUpInput::assignee).unwrap_or_default();
            let new = input.as_ref().map(|i| i.as_new(&assignee));
            next = follow_ups::complete(&state.db, &actor, id, new)
                .await
                .map_err(|e| api_fields(e, "next."))?;
        }
        FollowUpChange::Reschedule { due_at } => {
            follow_ups::reschedule(&state.db, &actor, id, due_at)
                .await
                .map_err(|e| api_fields(e, ""))?;
        }
        FollowUpChange::Cancel => follow_ups::cancel(&state.db, &actor, id).await?,
    }
    let answer = follow_up_json(follow_ups::visible(&state.db, &actor, id).await?);
    Ok(Json(api::FollowUp { next: next.map(|n| Box::new(follow_up_json(n))), ..answer }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_from_their_action() {
        let done: FollowUpChange = serde_json::from_str(r#"{"action":"done","next":{"due_at":"2026-12-01T09:00:00Z","note":"x"}}"#).unwrap();
        assert!(matches!(done, FollowUpChange::Done { next: Some(ref n) } if n.due_at.starts_with("2026-12-01")));
        let done: FollowUpChange = serde_json::from_str(r#"{"action":"done"}"#).unwrap();
        assert!(matches!(done, FollowUpChange::Done { next: None }));
        assert!(serde_json::from_str::<FollowUpChange>(r#"{"action":"postpone"}"#).is_err());
        assert!(serde_json::from_str::<FollowUpChange>(r#"{"action":"reschedule"}"#).is_err(), "due_at required");
    }
}
