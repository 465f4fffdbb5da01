//! Who is calling: the session middleware puts a `CurrentUser` into the request's extensions;
//! these helpers make the access check in every server function one line.

use crate::error::{AppError, AppResult};
use crate::model::user::{Role, UserView};
use crate::server::state::AppState;
use leptos::prelude::use_context;

/// The signed-in user of this request and the stored id of their session.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    pub user: UserView,
    pub session_id: String,
}

/// The client's address, put into the request's extensions by the server.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

/// The shared state, from the Leptos context.
pub fn state() -> AppResult<AppState> {
    use_context::<AppState>()
        .ok_or_else(|| crate::error::internal("state", "AppState missing from context"))
}

fn parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The signed-in user, if any.
pub fn current_user() -> Option<CurrentUser> {
    parts().and_then(|p| p.extensions.get::<CurrentUser>().cloned())
}

/// The caller's address, for throttling.
pub fn client_addr() -> String {
    parts()
        .and_then(|p| p.extensions.get::<ClientAddr>().cloned())
        .map(|a| a.0)
        .unwrap_or_else(|| "unknown".into())
}

/// The signed-in user, or `Unauthorized`.
pub fn require_user() -> AppResult<CurrentUser> {
    current_user().ok_or(AppError::Unauthorized)
}

/// The signed-in user if their role is at least `role`; `Unauthorized` or `Forbidden` otherwise.
pub fn require_role(role: Role) -> AppResult<CurrentUser> {
    let user = require_user()?;
    if user.user.role.at_least(role) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Adds a `Set-Cookie` header to the response of this server function or page.
pub fn set_cookie(value: &str) {
    if let (Some(res), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        res.append_header(http::header::SET_COOKIE, v);
    }
}

/// Signs `user_id` in on this response: a new session, its cookie, and a redirect to `to`.
pub async fn start_session(state: &AppState, user_id: i32, to: &str) -> AppResult<()> {
    use crate::server::services::platform::sessions;
    let token = sessions::create(&state.db, user_id).await?;
    set_cookie(&sessions::cookie(&state.config, &token));
    leptos_axum::redirect(to);
    Ok(())
}
