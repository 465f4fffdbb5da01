//! The REST API under `/api/v1`: JSON in and out, authenticated by a personal API token
//! (`Authorization: Bearer …`) or a browser session, acting with that user's permissions
//! through the same services as the pages. Errors are JSON with a machine code and per-field
//! messages. `openapi.json` documents exactly the routes registered here.

mod activity;
mod customers;
mod processes;

use app::error::AppError;
use app::server::auth::CurrentUser;
use app::server::services::platform::access::Actor;
use app::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;
use utoipa::OpenApi as _;
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The document's frame; its paths and schemas come from the handlers `api()` registers.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Rapport API",
        version = "1",
        description = "Customers, their interactions and follow-ups, and guided processes. Authenticate with a personal API token from your profile page: `Authorization: Bearer <token>`. Every call acts with that user's permissions."
    ),
    security(("bearer" = [])),
    modifiers(&BearerToken),
    components(schemas(ErrorResponse))
)]
struct ApiDoc;

/// The `bearer` security scheme every route but the document itself asks for.
struct BearerToken;

impl utoipa::Modify for BearerToken {
    fn modify(&self, doc: &mut OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// Every route of the API with its handler: each handler's `#[utoipa::path]` says what it
/// takes and answers, and the document is made of exactly these.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(openapi_json))
        .routes(routes!(customers::list, customers::create))
        .routes(routes!(customers::get, customers::patch, customers::delete))
        .routes(routes!(activity::list_interactions, activity::log_interaction))
        .routes(routes!(activity::list_follow_ups, activity::create_follow_up))
        .routes(routes!(activity::change_follow_up))
        .routes(routes!(processes::list_templates, processes::import_template))
        .routes(routes!(processes::get_template))
        .routes(routes!(processes::list_runs, processes::start_run))
        .routes(routes!(processes::get_run))
        .routes(routes!(processes::act_on_step))
}

pub fn router() -> Router<AppState> {
    let (router, _) = api().split_for_parts();
    // Anything else under the API answers in the API's JSON, not with the HTML 404 page.
    router.route("/api/v1/{*rest}", axum::routing::any(|| async { ApiError(AppError::NotFound) }))
}

/// The OpenAPI document of the API, generated once from its handlers and types.
pub fn document() -> &'static OpenApi {
    static DOCUMENT: OnceLock<OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| api().split_for_parts().1)
}

/// Every route of the API as (method, path) in OpenAPI form, from the document.
pub fn routes() -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for (path, item) in &document().paths.paths {
        let methods = serde_json::to_value(item).unwrap_or_default();
        for (method, _) in methods.as_object().into_iter().flatten() {
            if ["get", "put", "post", "delete", "patch", "head", "options", "trace"].contains(&method.as_str()) {
                routes.push((method.clone(), path.clone()));
            }
        }
    }
    routes
}

/// This document, with this instance as its server.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "api",
    security(()),
    responses((status = 200, description = "The OpenAPI document."))
)]
async fn openapi_json(State(state): State<AppState>) -> Json<OpenApi> {
    let mut doc = document().clone();
    doc.servers = Some(vec![utoipa::openapi::Server::new(state.config.base_url.clone())]);
    Json(doc)
}

/// An error as the API answers it, with its status.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorResponse {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for programs: `unauthorized`, `forbidden`, `not_found`, `conflict`,
    /// `validation_failed`, `duplicate`, `bad_request`, `internal` …
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// Per field, what is wrong with it (a validation error).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// The other customer, when a new or changed customer would duplicate it (409).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_id: Option<i32>,
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
        let mut body = ErrorBody { code: e.code().into(), message: e.to_string(), fields: None, duplicate_id: None };
        let mut status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let AppError::Validation { fields, .. } = &e {
            body.fields = Some(fields.clone());
            if let Some(id) = e.value("duplicate_id").and_then(|v| v.parse::<i32>().ok()) {
                status = StatusCode::CONFLICT;
                body.code = "duplicate".into();
                body.duplicate_id = Some(id);
            }
        }
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            body.message = AppError::Internal.to_string();
        }
        (status, Json(ErrorResponse { error: body })).into_response()
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


/// What every error response is, in the document.
const ERRORS: &str = "The error: 401 not signed in, 403 not allowed, 404 no such record (or not visible to you), 409 a conflict (a duplicate names `duplicate_id`), 422 invalid input with a message per field.";

/// The paging parameters of a list, as the document shows them; `paging` reads them.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct PageParams {
    /// 1-based page number.
    page: Option<u64>,
    /// Rows a page, 1 to 200; default 50.
    per_page: Option<u64>,
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
