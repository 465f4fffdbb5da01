//! The signed-in user's API tokens (profile page).

use crate::error::AppError;
use crate::model::user::ApiTokenView;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    use crate::server::{auth::Caller, services::platform::{times, tokens}};
    let caller = Caller::signed_in()?;
    tokens::list(caller.db(), caller.id(), times::zone(&caller.user().timezone)).await
}

/// Creates a token and returns it: the only time it is shown.
#[server(prefix = "/api", endpoint = "create_token")]
pub async fn create_token(name: String) -> Result<String, AppError> {
    use crate::server::{auth::Caller, services::platform::tokens};
    let caller = Caller::signed_in()?;
    tokens::create(caller.db(), caller.id(), &name)
        .await
        .map_err(|e| e.with_values([("name", name.clone())]))
}

#[server(prefix = "/api", endpoint = "revoke_token")]
pub async fn revoke_token(id: i32) -> Result<(), AppError> {
    use crate::server::{auth::Caller, services::platform::tokens};
    let caller = Caller::signed_in()?;
    tokens::revoke(caller.db(), caller.id(), id).await
}
