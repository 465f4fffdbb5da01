//! The signed-in user's own account (profile, password), and the anonymous emailed-link flows
//! (forgot password, reset, accept an invitation).

use crate::error::AppError;
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "update_profile")]
pub async fn update_profile(name: String, timezone: String) -> Result<(), AppError> {
    use crate::server::{auth::Caller, services::platform::accounts};
    let caller = Caller::signed_in()?;
    accounts::update_profile(caller.db(), caller.id(), &name, &timezone)
        .await
        .map_err(|e| e.with_values([("name", name.clone()), ("timezone", timezone.clone())]))?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    use crate::server::{auth::Caller, services::platform::accounts};
    let caller = Caller::signed_in()?;
    accounts::change_password(
        caller.db(),
        caller.id(),
        &caller.me.session_id,
        &current_password,
        &new_password,
    )
    .await
}

#[server(prefix = "/api", endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let state = auth::state()?;
    accounts::request_password_reset(&state.db, &state.config, &email, &auth::client_addr())
        .await
        .map_err(|e| e.with_values([("email", email.clone())]))
}

/// Greets the owner of a live link by name, or explains why the link is dead.
#[server(prefix = "/api", endpoint = "check_link")]
pub async fn check_link(token: String, purpose: String) -> Result<String, AppError> {
    use crate::server::{auth, services::platform::accounts};
    let state = auth::state()?;
    let purpose = if purpose == accounts::INVITE {
        accounts::INVITE
    } else {
        accounts::RESET
    };
    accounts::link_owner(&state.db, &token, purpose).await
}

/// Sets the password from an invitation or reset link and signs the user in.
#[server(prefix = "/api", endpoint = "set_password_from_link")]
pub async fn set_password_from_link(
    token: String,
    purpose: String,
    password: String,
) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let state = auth::state()?;
    let purpose = if purpose == accounts::INVITE {
        accounts::INVITE
    } else {
        accounts::RESET
    };
    let user = accounts::set_password_from_link(&state.db, &token, purpose, &password).await?;
    auth::start_session(&state, user.id, "/").await
}
