//! Server functions by feature. Each is a public HTTP endpoint under `/api/`: it checks the
//! caller first (`require_user` / `require_role`), validates, then calls a service.

pub mod account;
pub mod admin;
pub mod auth;
pub mod crm;
pub mod imports;
pub mod processes;
pub mod tokens;

/// The signed-in caller as an `Actor` (with the teams they see), and the app state.
#[cfg(feature = "ssr")]
async fn actor() -> Result<(crate::server::state::AppState, crate::server::services::access::Actor), crate::error::AppError> {
    use crate::server::{auth, services::access::Actor};
    let me = auth::require_user()?;
    let state = auth::state()?;
    let actor = Actor::load(&state.db, &me.user).await?;
    Ok((state, actor))
}

/// The server functions anyone may call without a session. Everything else refuses anonymous
/// callers; `server/tests/api/security.rs` walks every registered endpoint to prove it.
pub const ANONYMOUS_ENDPOINTS: &[&str] = &[
    "/api/get_viewer",
    "/api/sign_in",
    "/api/setup_first_admin",
    "/api/list_timezones",
    "/api/forgot_password",
    "/api/check_link",
    "/api/set_password_from_link",
];

/// Where to go after signing in: only a local path, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.contains("://") =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(super::safe_next(Some("/customers?x=1")), "/customers?x=1");
        assert_eq!(super::safe_next(Some("//evil.example")), "/");
        assert_eq!(super::safe_next(Some("https://evil.example")), "/");
        assert_eq!(super::safe_next(Some("/\\evil")), "/");
        assert_eq!(super::safe_next(None), "/");
    }
}
