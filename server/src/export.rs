//! `GET /customers/export.csv?<list filters>`: the customer list as filtered on screen, as a
//! CSV download. Anonymous visitors are sent to sign in.

use app::model::crm::CustomerQuery;
use crate::rest::Caller;
use app::server::services::crm::export;
use app::server::state::AppState;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::{StatusCode, header};
use std::collections::HashMap;

/// A file the browser saves as `file`, never cached.
fn download(content_type: &str, file: &str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

pub async fn customers_csv(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let Some(Caller(actor)) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let query = CustomerQuery::from_params(|k| params.get(k).cloned());
    let result = export::customers_csv(&state.db, &actor, &query).await;
    match result {
        Ok(csv) => download(
            "text/csv; charset=utf-8",
            &format!("customers-{}.csv", chrono::Utc::now().format("%Y-%m-%d")),
            csv,
        ),
        Err(e) => {
            tracing::error!(error = %e, "customer export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; please try again.").into_response()
        }
    }
}

/// `GET /processes/{id}/export.json`: a process's newest version as JSON, for review and for
/// provisioning another Rapport (admins only).
pub async fn process_json(
    State(state): State<AppState>,
    caller: Option<Caller>,
    axum::extract::Path(id): axum::extract::Path<i32>,
) -> Response {
    let Some(Caller(actor)) = caller else {
        return Redirect::to("/signin").into_response();
    };
    let result = app::server::services::processes::export(&state.db, &actor, id).await;
    match result {
        Ok(template) => {
            let slug: String = template
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect();
            match serde_json::to_string_pretty(&template) {
                Ok(json) => download("application/json", &format!("process-{}.json", slug.trim_matches('-')), json),
                Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            }
        }
        Err(app::error::AppError::Forbidden) => (StatusCode::FORBIDDEN, "Only admins export processes.").into_response(),
        Err(app::error::AppError::NotFound) => (StatusCode::NOT_FOUND, "No such process.").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "process export failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The export failed; please try again.").into_response()
        }
    }
}
