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

/// The caller of a server function: the shared state and the signed-in user. Every server
/// function that needs a session starts with `Caller::signed_in()?`, narrowed with
/// `.admin()?` (or `.at_least(role)?`); checks that depend on the record (a customer's team, a
/// step's assignee) are the services' and take `caller.actor().await?`.
#[derive(Clone)]
pub struct Caller {
    pub state: AppState,
    pub me: CurrentUser,
}

impl Caller {
    /// The signed-in caller; `Unauthorized` without a session.
    pub fn signed_in() -> AppResult<Caller> {
        let me = current_user().ok_or(AppError::Unauthorized)?;
        Ok(Caller { state: state()?, me })
    }

    /// The caller if their role is at least `role`; `Forbidden` otherwise.
    pub fn at_least(self, role: Role) -> AppResult<Caller> {
        if self.me.user.role.at_least(role) {
            Ok(self)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The caller if they are an admin; `Forbidden` otherwise.
    pub fn admin(self) -> AppResult<Caller> {
        self.at_least(Role::Admin)
    }

    pub fn db(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db
    }

    pub fn user(&self) -> &UserView {
        &self.me.user
    }

    /// The caller's user id.
    pub fn id(&self) -> i32 {
        self.me.user.id
    }

    /// The caller and, loaded once, the teams they see: what the services' per-record checks
    /// take.
    pub async fn with_actor(
        self,
    ) -> AppResult<(Caller, crate::server::services::platform::access::Actor)> {
        let actor = self.actor().await?;
        Ok((self, actor))
    }

    /// The caller with the teams they see, for the services' per-record checks.
    pub async fn actor(&self) -> AppResult<crate::server::services::platform::access::Actor> {
        crate::server::services::platform::access::Actor::load(&self.state.db, &self.me.user).await
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
