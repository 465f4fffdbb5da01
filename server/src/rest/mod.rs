//! The REST API under `/api/v1`: JSON in and out, authenticated by a personal API token
//! (`Authorization: Bearer …`) or a browser session, acting with that user's permissions
//! through the same services as the pages. Errors are JSON with a machine code and per-field
//! messages. `openapi.json` documents exactly the routes registered here.

mod activity;
mod customers;
mod openapi;
mod processes;

pub use openapi::openapi_document;

use app::error::AppError;
use app::server::auth::CurrentUser;
use app::server::services::platform::access::Actor;
use app::server::state::AppState;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};

/// Every route of the API, as (method, path) in OpenAPI form; `openapi.json` is built from the
/// same list, and a test checks both ways.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/customers"),
    ("post", "/api/v1/customers"),
    ("get", "/api/v1/customers/{id}"),
    ("patch", "/api/v1/customers/{id}"),
    ("delete", "/api/v1/customers/{id}"),
    ("get", "/api/v1/customers/{id}/interactions"),
    ("post", "/api/v1/customers/{id}/interactions"),
    ("get", "/api/v1/follow-ups"),
    ("post", "/api/v1/follow-ups"),
    ("patch", "/api/v1/follow-ups/{id}"),
    ("get", "/api/v1/process-templates"),
    ("post", "/api/v1/process-templates"),
    ("get", "/api/v1/process-templates/{id}"),
    ("get", "/api/v1/process-runs"),
    ("post", "/api/v1/process-runs"),
    ("get", "/api/v1/process-runs/{id}"),
    ("post", "/api/v1/process-runs/{id}/steps/{step_id}"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route("/api/v1/customers", get(customers::list).post(customers::create))
        .route(
            "/api/v1/customers/{id}",
            get(customers::get).patch(customers::patch).delete(customers::delete),
        )
        .route(
            "/api/v1/customers/{id}/interactions",
            get(activity::list_interactions).post(activity::log_interaction),
        )
        .route("/api/v1/follow-ups", get(activity::list_follow_ups).post(activity::create_follow_up))
        .route("/api/v1/follow-ups/{id}", patch(activity::change_follow_up))
        .route(
            "/api/v1/process-templates",
            get(processes::list_templates).post(processes::import_template),
        )
        .route("/api/v1/process-templates/{id}", get(processes::get_template))
        .route("/api/v1/process-runs", get(processes::list_runs).post(processes::start_run))
        .route("/api/v1/process-runs/{id}", get(processes::get_run))
        .route(
            "/api/v1/process-runs/{id}/steps/{step_id}",
            axum::routing::post(processes::act_on_step),
        )
        // Anything else under the API answers in the API's JSON, not with the HTML 404 page.
        .route("/api/v1/{*rest}", axum::routing::any(|| async { ApiError(AppError::NotFound) }))
}

/// An error as the API answers it: `{"error": {"code", "message", "fields"?}}` with its
/// status; a duplicate is a 409 naming the other customer.
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let mut body = json!({ "code": e.code(), "message": e.to_string() });
        let mut status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::Validation { fields, .. } = &e {
            body["fields"] = json!(fields);
            if let Some(id) = e.value("duplicate_id").and_then(|v| v.parse::<i32>().ok()) {
                status = StatusCode::CONFLICT;
                body["code"] = json!("duplicate");
                body["duplicate_id"] = json!(id);
            }
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            body["message"] = json!(AppError::Internal.to_string());
        }
        (status, Json(json!({ "error": body }))).into_response()
    }
}

type ApiResult<T> = Result<T, ApiError>;

/// axum's `Path`, refusing in the API's JSON: an id that is not a number is a 404 (no such
/// record), never axum's plain-text 400.
pub struct Path<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|_| ApiError(AppError::NotFound))
    }
}

/// axum's `Query`, refusing in the API's JSON with a 400.
pub struct Query<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned + Send> axum::extract::FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|_| ApiError(AppError::BadRequest))
    }
}

/// The caller of a route as an `Actor`: the user of the session or API token the middleware
/// resolved, with the teams they see. As an argument it refuses anonymous callers with the
/// API's JSON 401; as `Option<Caller>` it lets a page route send them to sign in instead.
pub struct Caller(pub Actor);

impl axum::extract::FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut http::request::Parts, state: &AppState) -> Result<Self, ApiError> {
        <Caller as axum::extract::OptionalFromRequestParts<AppState>>::from_request_parts(parts, state)
            .await?
            .ok_or(ApiError(AppError::Unauthorized))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &AppState,
    ) -> Result<Option<Self>, ApiError> {
        match parts.extensions.get::<CurrentUser>() {
            None => Ok(None),
            Some(current) => Ok(Some(Caller(Actor::load(&state.db, &current.user).await?))),
        }
    }
}

/// A JSON body, or a 422 that says what is wrong with it: not JSON at all, or which documented
/// field is missing or of the wrong type (without the parser's line and column).
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let refuse = |message: String| {
        ApiError(AppError::Validation {
            message,
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
        })
    };
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|_| refuse("The request body is not valid JSON.".into()))?;
    serde_json::from_value(value).map_err(|e| {
        let what = e.to_string();
        let what = what.split(" at line ").next().unwrap_or_default();
        refuse(format!("The request body does not fit this route: {what}."))
    })
}


/// `page` (1-based, default 1) and `per_page` (1 to 200, default 50) from the query string, as
/// (page, per_page, offset).
fn paging(params: &HashMap<String, String>) -> ApiResult<(u64, u64, u64)> {
    let number = |key: &str, default: u64, max: u64, message: &str| match params.get(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError(AppError::field(key, message))),
    };
    let page = number(
        "page",
        1,
        app::model::paging::MAX_PAGE,
        &format!("Use a page number from 1 to {}.", app::model::paging::MAX_PAGE),
    )?;
    let per_page = number("per_page", 50, 200, "Use a whole number from 1 to 200.")?;
    Ok((page, per_page, (page - 1) * per_page))
}

/// A page of results as the API answers it.
fn page_json<T>(data: Vec<T>, (page, per_page, _): (u64, u64, u64), total: u64) -> Json<app::model::api::Page<T>> {
    Json(app::model::api::Page::new(data, page, per_page, total))
}

/// An optional timestamp in RFC 3339 (UTC).
fn time(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339())
}
