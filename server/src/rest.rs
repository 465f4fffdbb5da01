//! The REST API under `/api/v1`: JSON in and out, authenticated by a personal API token
//! (`Authorization: Bearer …`) or a browser session, acting with that user's permissions
//! through the same services as the pages. Errors are JSON with a machine code and per-field
//! messages. `openapi.json` documents exactly the routes registered here.

use app::error::AppError;
use app::model::crm::{CustomerForm, CustomerQuery};
use app::server::auth::CurrentUser;
use app::server::entities::{custom_value, customer, lifecycle_stage};
use app::server::services::{access::Actor, customers, fields};
use app::server::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{Value, json};
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
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/customers", get(list_customers).post(create_customer))
        .route(
            "/api/v1/customers/{id}",
            get(get_customer).patch(patch_customer).delete(delete_customer),
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

/// The caller as an `Actor`, or 401.
async fn actor(state: &AppState, user: Option<Extension<CurrentUser>>) -> ApiResult<Actor> {
    let Some(Extension(current)) = user else {
        return Err(ApiError(AppError::Unauthorized));
    };
    Ok(Actor::load(&state.db, &current.user).await?)
}

/// A customer as the API shows it: ids and keys, timestamps in RFC 3339 (UTC).
async fn customer_json(
    state: &AppState,
    rows: Vec<(customer::Model, Vec<String>)>,
) -> ApiResult<Vec<Value>> {
    let stages: HashMap<i32, String> = lifecycle_stage::Entity::find()
        .all(&state.db)
        .await
        .map_err(AppError::from)?
        .into_iter()
        .map(|s| (s.id, s.key))
        .collect();
    let active = fields::active(&state.db).await?;
    let keys: HashMap<i32, String> = active.iter().map(|f| (f.id, f.key.clone())).collect();
    let ids: Vec<i32> = rows.iter().map(|(c, _)| c.id).collect();
    let mut custom: HashMap<i32, BTreeMap<String, String>> = HashMap::new();
    if !ids.is_empty() {
        for v in custom_value::Entity::find()
            .filter(custom_value::Column::CustomerId.is_in(ids))
            .all(&state.db)
            .await
            .map_err(AppError::from)?
        {
            if let Some(key) = keys.get(&v.field_id) {
                custom.entry(v.customer_id).or_default().insert(key.clone(), v.value);
            }
        }
    }
    let time = |t: Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339());
    Ok(rows
        .into_iter()
        .map(|(c, tags)| {
            json!({
                "id": c.id,
                "kind": c.kind,
                "name": c.name,
                "email": c.email,
                "phone": c.phone,
                "notes": c.notes,
                "stage": stages.get(&c.stage_id),
                "owner_id": c.owner_id,
                "team_id": c.team_id,
                "tags": tags,
                "custom": custom.remove(&c.id).unwrap_or_default(),
                "quality": c.quality,
                "last_interaction_at": time(c.last_interaction_at),
                "next_follow_up_at": time(c.next_follow_up_at),
                "created_at": c.created_at.to_rfc3339(),
                "updated_at": c.updated_at.to_rfc3339(),
            })
        })
        .collect())
}

async fn one_customer(state: &AppState, c: customer::Model) -> ApiResult<Value> {
    let tags = customers::form_of(&state.db, &c).await?.tags;
    let tags = customers::parse_tags(&tags);
    let mut list = customer_json(state, vec![(c, tags)]).await?;
    list.pop().ok_or(ApiError(AppError::NotFound))
}

/// `GET /api/v1/customers`: the list's filters (`q`, `owner`, `team`, `stage`, `tag`,
/// `overdue`, `incomplete`), `sort`, `page` (1-based) and `per_page` (1 to 200, default 50).
async fn list_customers(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let actor = actor(&state, user).await?;
    let query = CustomerQuery::from_params(|k| params.get(k).cloned());
    let per_page: u64 = match params.get("per_page") {
        None => 50,
        Some(v) => v
            .parse()
            .ok()
            .filter(|n| (1..=200).contains(n))
            .ok_or_else(|| AppError::field("per_page", "Use a whole number from 1 to 200."))?,
    };
    let page = query.page.max(1);
    let total = customers::count(&state.db, &actor, &query).await?;
    let rows = customers::for_export(&state.db, &actor, &query, (page - 1) * per_page, per_page).await?;
    let data = customer_json(&state, rows).await?;
    let next_page = (page * per_page < total).then_some(page + 1);
    Ok(Json(json!({
        "data": data,
        "page": page,
        "per_page": per_page,
        "total": total,
        "next_page": next_page,
    })))
}

/// The body of `POST` and `PATCH`: every field optional for `PATCH`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    kind: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    stage: Option<String>,
    owner_id: Option<i32>,
    tags: Option<Vec<String>>,
    notes: Option<String>,
    custom: Option<BTreeMap<String, String>>,
    /// Save even though a customer with a near-identical name exists.
    #[serde(default)]
    allow_similar_name: bool,
}

impl CustomerInput {
    /// `base` with the given fields replaced.
    fn over(self, base: CustomerForm) -> (CustomerForm, bool) {
        let mut custom = base.custom;
        custom.extend(self.custom.unwrap_or_default());
        (
            CustomerForm {
                kind: self.kind.unwrap_or(base.kind),
                name: self.name.unwrap_or(base.name),
                email: self.email.unwrap_or(base.email),
                phone: self.phone.unwrap_or(base.phone),
                stage: self.stage.unwrap_or(base.stage),
                owner_id: self.owner_id.map(|id| id.to_string()).unwrap_or(base.owner_id),
                tags: self.tags.map(|t| t.join(",")).unwrap_or(base.tags),
                notes: self.notes.unwrap_or(base.notes),
                custom,
            },
            self.allow_similar_name,
        )
    }
}

/// A JSON body, or a 422 that says what is wrong with it.
fn body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError(AppError::Validation {
            message: format!("The request body is not valid JSON for this route: {e}"),
            fields: BTreeMap::new(),
            values: BTreeMap::new(),
        })
    })
}

async fn create_customer(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let actor = actor(&state, user).await?;
    let input: CustomerInput = body(&bytes)?;
    let first_stage = customers::stage_choices(&state.db).await?.into_iter().next().map(|c| c.value);
    let defaults = CustomerForm {
        kind: "organisation".into(),
        stage: first_stage.unwrap_or_default(),
        ..Default::default()
    };
    let (form, allow) = input.over(defaults);
    let created = customers::create(&state.db, &actor, &form, allow).await?;
    Ok((StatusCode::CREATED, Json(one_customer(&state, created).await?)))
}

async fn get_customer(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<i32>,
) -> ApiResult<Json<Value>> {
    let actor = actor(&state, user).await?;
    let c = app::server::services::access::visible_customer(&state.db, &actor, id).await?;
    Ok(Json(one_customer(&state, c).await?))
}

async fn patch_customer(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<i32>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    let actor = actor(&state, user).await?;
    let c = app::server::services::access::editable_customer(&state.db, &actor, id).await?;
    let input: CustomerInput = body(&bytes)?;
    let (form, allow) = input.over(customers::form_of(&state.db, &c).await?);
    let updated = customers::update(&state.db, &actor, id, &form, allow).await?;
    Ok(Json(one_customer(&state, updated).await?))
}

async fn delete_customer(
    State(state): State<AppState>,
    user: Option<Extension<CurrentUser>>,
    Path(id): Path<i32>,
) -> ApiResult<StatusCode> {
    let actor = actor(&state, user).await?;
    customers::delete(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The OpenAPI 3 document of exactly [`ROUTES`].
async fn openapi(State(state): State<AppState>) -> Json<Value> {
    Json(openapi_document(&state.config.base_url))
}

pub fn openapi_document(base_url: &str) -> Value {
    let error = json!({ "$ref": "#/components/responses/Error" });
    let id_param = json!([{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }]);
    let filters: Vec<Value> = [
        ("q", "Matches name, email, phone or tag."),
        ("owner", "A user id, or `me`."),
        ("team", "A team id."),
        ("stage", "A lifecycle stage key."),
        ("tag", "A tag."),
        ("overdue", "`1`: only customers with an overdue follow-up."),
        ("incomplete", "`1`: only customers whose data is incomplete or stale."),
        ("sort", "`name`, `follow_up`, `interaction` or `quality`; prefix `-` to reverse."),
        ("page", "1-based page number."),
        ("per_page", "1 to 200; default 50."),
    ]
    .into_iter()
    .map(|(name, description)| json!({ "name": name, "in": "query", "required": false, "description": description, "schema": { "type": "string" } }))
    .collect();
    let customer_ref = json!({ "$ref": "#/components/schemas/Customer" });
    let input_ref = json!({ "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CustomerInput" } } } });
    let one = json!({ "description": "The customer.", "content": { "application/json": { "schema": customer_ref } } });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Rapport API",
            "version": "1",
            "description": "Customers and their data. Authenticate with a personal API token from your profile page: `Authorization: Bearer <token>`. Every call acts with that user's permissions.",
        },
        "servers": [{ "url": base_url }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/openapi.json": {
                "get": { "summary": "This document.", "security": [], "responses": { "200": { "description": "The OpenAPI document." } } },
            },
            "/api/v1/customers": {
                "get": {
                    "summary": "List the customers you may see, filtered and sorted.",
                    "parameters": filters,
                    "responses": {
                        "200": { "description": "One page.", "content": { "application/json": { "schema": {
                            "type": "object",
                            "properties": {
                                "data": { "type": "array", "items": customer_ref },
                                "page": { "type": "integer" }, "per_page": { "type": "integer" },
                                "total": { "type": "integer" }, "next_page": { "type": "integer", "nullable": true },
                            },
                        } } } },
                        "401": error, "422": error,
                    },
                },
                "post": {
                    "summary": "Create a customer.",
                    "requestBody": input_ref,
                    "responses": { "201": one, "401": error, "409": error, "422": error },
                },
            },
            "/api/v1/customers/{id}": {
                "parameters": id_param,
                "get": { "summary": "One customer.", "responses": { "200": one, "401": error, "404": error } },
                "patch": {
                    "summary": "Change the given fields of a customer you may edit.",
                    "requestBody": input_ref,
                    "responses": { "200": one, "401": error, "403": error, "404": error, "409": error, "422": error },
                },
                "delete": {
                    "summary": "Delete a customer you may edit, with its contacts, interactions and follow-ups.",
                    "responses": { "204": { "description": "Deleted." }, "401": error, "403": error, "404": error },
                },
            },
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "responses": {
                "Error": { "description": "An error.", "content": { "application/json": { "schema": {
                    "type": "object",
                    "properties": { "error": { "type": "object", "properties": {
                        "code": { "type": "string", "description": "validation_failed, duplicate, not_found, unauthorized, forbidden, conflict, too_many_requests, internal" },
                        "message": { "type": "string" },
                        "fields": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Per-field messages (custom fields as cf_<key>)." },
                        "duplicate_id": { "type": "integer", "description": "The existing customer a 409 points at." },
                    } } },
                } } } },
            },
            "schemas": {
                "Customer": { "type": "object", "properties": {
                    "id": { "type": "integer" },
                    "kind": { "type": "string", "enum": ["organisation", "person"] },
                    "name": { "type": "string" },
                    "email": { "type": "string", "nullable": true },
                    "phone": { "type": "string", "nullable": true },
                    "notes": { "type": "string" },
                    "stage": { "type": "string", "description": "Lifecycle stage key." },
                    "owner_id": { "type": "integer" },
                    "team_id": { "type": "integer", "nullable": true },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "custom": { "type": "object", "additionalProperties": { "type": "string" }, "description": "Custom field values by key." },
                    "quality": { "type": "integer", "description": "Data quality, 0 to 100." },
                    "last_interaction_at": { "type": "string", "format": "date-time", "nullable": true },
                    "next_follow_up_at": { "type": "string", "format": "date-time", "nullable": true },
                    "created_at": { "type": "string", "format": "date-time" },
                    "updated_at": { "type": "string", "format": "date-time" },
                } },
                "CustomerInput": { "type": "object", "additionalProperties": false, "properties": {
                    "kind": { "type": "string", "enum": ["organisation", "person"] },
                    "name": { "type": "string" },
                    "email": { "type": "string" },
                    "phone": { "type": "string" },
                    "stage": { "type": "string" },
                    "owner_id": { "type": "integer" },
                    "tags": { "type": "array", "items": { "type": "string" } },
                    "notes": { "type": "string" },
                    "custom": { "type": "object", "additionalProperties": { "type": "string" } },
                    "allow_similar_name": { "type": "boolean" },
                } },
            },
        },
    })
}
