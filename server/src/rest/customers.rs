//! `/api/v1/customers` and `/api/v1/customers/{id}`.

use super::{ApiError, ApiResult, Caller, ERRORS, ErrorResponse, PageParams, body, page_json, paging, time};
use app::error::AppError;
use app::model::api;
use app::model::crm::{CustomerForm, CustomerQuery};
use app::server::entities::{custom_value, customer, lifecycle_stage};
use app::server::services::{platform::access, crm::{customers, fields}};
use app::server::state::AppState;
use super::{Path, Query};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// Customers as the API shows them: ids and keys, timestamps in RFC 3339 (UTC).
async fn customer_json(
    state: &AppState,
    rows: Vec<(customer::Model, Vec<String>)>,
) -> ApiResult<Vec<api::Customer>> {
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
    Ok(rows
        .into_iter()
        .map(|(c, tags)| api::Customer {
            custom: custom.remove(&c.id).unwrap_or_default(),
            stage: stages.get(&c.stage_id).cloned(),
            last_interaction_at: time(c.last_interaction_at),
            next_follow_up_at: time(c.next_follow_up_at),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
            id: c.id,
            kind: c.kind,
            name: c.name,
            email: c.email,
            phone: c.phone,
            notes: c.notes,
            owner_id: c.owner_id,
            team_id: c.team_id,
            tags,
            quality: c.quality,
        })
        .collect())
}

async fn one_customer(state: &AppState, c: customer::Model) -> ApiResult<api::Customer> {
    let tags = customers::form_of(&state.db, &c).await?.tags;
    let tags = customers::parse_tags(&tags);
    let mut list = customer_json(state, vec![(c, tags)]).await?;
    list.pop().ok_or(ApiError(AppError::NotFound))
}

/// List the customers you may see, filtered and sorted.
#[utoipa::path(
    get,
    path = "/api/v1/customers",
    operation_id = "list_customers",
    tag = "customers",
    params(
        ("q" = Option<String>, Query, description = "Matches name, email, phone or tag."),
        ("owner" = Option<String>, Query, description = "A user id, or `me`."),
        ("team" = Option<i32>, Query, description = "A team id."),
        ("stage" = Option<String>, Query, description = "A lifecycle stage key."),
        ("tag" = Option<String>, Query, description = "A tag."),
        ("overdue" = Option<String>, Query, description = "`1`: only customers with an overdue follow-up."),
        ("incomplete" = Option<String>, Query, description = "`1`: only customers whose data is incomplete or stale."),
        ("sort" = Option<String>, Query, description = "`name`, `follow_up`, `interaction` or `quality`; prefix `-` to reverse."),
        PageParams,
    ),
    responses((status = 200, description = "One page.", body = api::Page<api::Customer>), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn list(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Query(params): Query<HashMap<String, String>>,
) -> ApiResult<Json<api::Page<api::Customer>>> {
    let query = CustomerQuery::from_params(|k| params.get(k).cloned());
    let paged = paging(&params)?;
    let total = customers::count(&state.db, &actor, &query).await?;
    let rows = customers::for_export(&state.db, &actor, &query, paged.2, paged.1).await?;
    Ok(page_json(customer_json(&state, rows).await?, paged, total))
}

/// The body of `POST` and `PATCH`: every field optional for `PATCH`; `name` needed to create.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerInput {
    /// `organisation` (the default) or `person`.
    kind: Option<String>,
    name: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    /// A lifecycle stage key; the first stage by default.
    stage: Option<String>,
    /// The owner's user id; you by default.
    owner_id: Option<i32>,
    tags: Option<Vec<String>>,
    notes: Option<String>,
    /// Custom field values by field key.
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

/// Create a customer.
#[utoipa::path(
    post,
    path = "/api/v1/customers",
    operation_id = "create_customer",
    tag = "customers",
    request_body = CustomerInput,
    responses((status = 201, description = "The new customer.", body = api::Customer), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn create(
    State(state): State<AppState>,
    Caller(actor): Caller,
    bytes: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<api::Customer>)> {
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

/// One customer.
#[utoipa::path(
    get,
    path = "/api/v1/customers/{id}",
    operation_id = "get_customer",
    tag = "customers",
    params(("id" = i32, Path, description = "The customer's id.")),
    responses((status = 200, description = "The customer.", body = api::Customer), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn get(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
) -> ApiResult<Json<api::Customer>> {
    let c = access::visible_customer(&state.db, &actor, id).await?;
    Ok(Json(one_customer(&state, c).await?))
}

/// Change the given fields of a customer you may edit.
#[utoipa::path(
    patch,
    path = "/api/v1/customers/{id}",
    operation_id = "change_customer",
    tag = "customers",
    params(("id" = i32, Path, description = "The customer's id.")),
    request_body = CustomerInput,
    responses((status = 200, description = "The customer after the change.", body = api::Customer), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn patch(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
    bytes: axum::body::Bytes,
) -> ApiResult<Json<api::Customer>> {
    let c = access::editable_customer(&state.db, &actor, id).await?;
    let input: CustomerInput = body(&bytes)?;
    let (form, allow) = input.over(customers::form_of(&state.db, &c).await?);
    let updated = customers::update(&state.db, &actor, id, &form, allow).await?;
    Ok(Json(one_customer(&state, updated).await?))
}

/// Delete a customer you may edit, with its contacts, interactions and follow-ups.
#[utoipa::path(
    delete,
    path = "/api/v1/customers/{id}",
    operation_id = "delete_customer",
    tag = "customers",
    params(("id" = i32, Path, description = "The customer's id.")),
    responses((status = 204, description = "Deleted."), (status = "4XX", description = ERRORS, body = ErrorResponse))
)]
pub async fn delete(
    State(state): State<AppState>,
    Caller(actor): Caller,
    Path(id): Path<i32>,
) -> ApiResult<StatusCode> {
    customers::delete(&state.db, &actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

