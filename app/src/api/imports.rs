//! CSV import server functions, under `/api/imports/`. The upload itself is a multipart form
//! post handled by the server crate (`POST /customers/import/upload`); these load an import,
//! save its mapping (and start it) and revert it. Only its uploader or an admin can open one.

use crate::error::AppError;
use crate::model::imports::{ImportView, ImportsOverview};
use leptos::prelude::*;
#[cfg(feature = "ssr")]
use crate::server::auth::Caller;

#[server(prefix = "/api", endpoint = "imports/overview")]
pub async fn load_imports_overview(rejected: Option<i32>) -> Result<ImportsOverview, AppError> {
    use crate::server::services::crm::imports;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let max_megabytes = (caller.state.config.import_max_bytes / (1024 * 1024)) as u64;
    imports::overview(caller.db(), &actor, max_megabytes, caller.state.config.import_max_rows as u64, rejected).await
}

#[server(prefix = "/api", endpoint = "imports/load")]
pub async fn load_import(id: i32, show: String, page: u64) -> Result<ImportView, AppError> {
    use crate::server::services::crm::imports;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    imports::view(caller.db(), &actor, id, &show, page.max(1)).await
}

/// Saves the column mapping (`columns[i]` = target of column i) and the mode; with
/// `intent=start` also starts the import.
#[server(prefix = "/api", endpoint = "imports/save")]
pub async fn save_import(
    id: i32,
    mode: String,
    intent: Option<String>,
    columns: Option<std::collections::BTreeMap<String, String>>,
) -> Result<(), AppError> {
    use crate::server::services::crm::imports;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    let start = intent.as_deref() == Some("start");
    imports::save_mapping(caller.db(), &actor, id, &mode, &columns.unwrap_or_default(), start).await?;
    leptos_axum::redirect(&format!("/customers/import/{id}"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "imports/revert")]
pub async fn revert_import(id: i32) -> Result<(), AppError> {
    use crate::server::services::crm::imports;
    let (caller, actor) = Caller::signed_in()?.with_actor().await?;
    imports::revert(caller.db(), &actor, id).await?;
    leptos_axum::redirect(&format!("/customers/import/{id}"));
    Ok(())
}
