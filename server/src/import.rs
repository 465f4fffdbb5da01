//! `POST /customers/import/upload`: the CSV file from the import page's multipart form (it
//! works without JavaScript). The file is read up to the configured limit and the rest of an
//! oversized upload is drained, so even 50 MB of garbage gets a readable message next to the
//! file field instead of a broken connection. Then the browser goes to the new import's mapping
//! page, or back to the upload form with the reason.

use crate::rest::Caller;
use app::server::config::Config;
use app::server::services::crm::imports;
use app::server::state::AppState;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use http::StatusCode;

pub const UPLOAD_PATH: &str = "/customers/import/upload";

/// The largest request the upload route reads: four times the file limit (so an oversized
/// file is drained and answered with a message), plus room for the form's other parts.
pub fn body_limit(config: &Config) -> usize {
    config.import_max_bytes.saturating_mul(4).saturating_add(1024 * 1024)
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
}

pub async fn upload(
    State(state): State<AppState>,
    caller: Option<Caller>,
    mut multipart: Multipart,
) -> Response {
    let Some(Caller(actor)) = caller else {
        return Redirect::to("/signin?next=/customers/import").into_response();
    };
    let limit = state.config.import_max_bytes;
    let mut file_name = String::new();
    let mut bytes: Vec<u8> = Vec::new();
    let mut size = 0usize;
    let mut problem: Option<String> = None;
    'fields: loop {
        match multipart.next_field().await {
            Ok(Some(mut field)) => {
                if field.name() != Some("file") || !file_name.is_empty() {
                    continue;
                }
                file_name = field.file_name().unwrap_or("upload.csv").to_string();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size = size.saturating_add(chunk.len());
                            if size <= limit {
                                bytes.extend_from_slice(&chunk);
                            }
                        }
                        Ok(None) => break,
                        Err(e) => {
                            problem = Some(read_problem(&e.to_string(), &state.config));
                            break 'fields;
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(e) => {
                problem = Some(read_problem(&e.to_string(), &state.config));
                break;
            }
        }
    }
    if problem.is_none() && size > limit {
        problem = Some(format!(
            "The file is {}; an import takes files up to {}. Split it into smaller files.",
            megabytes(size),
            megabytes(limit)
        ));
    }
    if problem.is_none() && file_name.is_empty() {
        problem = Some("Choose a CSV file to upload.".into());
    }
    let result = match problem {
        Some(reason) => imports::reject(&state.db, &actor, &file_name, reason).await,
        None => imports::upload(&state.db, &actor, &file_name, &bytes, state.config.import_max_rows).await,
    };
    match result {
        Ok(import) if import.status == app::model::states::ImportStatus::Uploaded => {
            Redirect::to(&format!("/customers/import/{}", import.id)).into_response()
        }
        Ok(import) => Redirect::to(&format!("/customers/import?rejected={}", import.id)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "import upload failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "The upload failed on our side; please try again.")
                .into_response()
        }
    }
}

/// A message for an upload that could not be read to its end.
fn read_problem(cause: &str, config: &Config) -> String {
    if cause.contains("limit") {
        format!(
            "The file is larger than {}; an import takes files up to {}. Split it into smaller files.",
            megabytes(body_limit(config)),
            megabytes(config.import_max_bytes)
        )
    } else {
        "The upload was interrupted or is not a file upload form; please choose the file and try again.".into()
    }
}
