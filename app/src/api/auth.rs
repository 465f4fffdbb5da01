//! Sign-in, sign-out, first-run setup and who is signed in.

use crate::error::AppError;
use crate::model::user::Viewer;
use leptos::prelude::*;

/// Who is looking, and whether the instance still needs its first admin. Anonymous callers get
/// an empty viewer, never an error.
#[server(prefix = "/api", endpoint = "get_viewer")]
pub async fn get_viewer() -> Result<Viewer, AppError> {
    use crate::server::{auth, services::platform::users};
    let state = auth::state()?;
    match auth::current_user() {
        Some(current) => Ok(Viewer {
            user: Some(current.user),
            needs_setup: false,
        }),
        None => {
            use std::sync::atomic::Ordering;
            let needs_setup = !state.setup_done.load(Ordering::Relaxed)
                && users::needs_setup(&state.db).await?;
            if !needs_setup {
                state.setup_done.store(true, Ordering::Relaxed);
            }
            Ok(Viewer {
                user: None,
                needs_setup,
            })
        }
    }
}

#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::sessions};
    let state = auth::state()?;
    let addr = auth::client_addr();
    let (_, token) = sessions::sign_in(&state.db, &state.config, &email, &password, &addr)
        .await
        .map_err(|e| e.with_values([("email", email.clone())]))?;
    auth::set_cookie(&sessions::cookie(&state.config, &token));
    leptos_axum::redirect(&super::safe_next(next.as_deref()));
    Ok(())
}

#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{auth, services::platform::sessions};
    let caller = auth::Caller::signed_in()?;
    sessions::end(caller.db(), &caller.me.session_id).await?;
    auth::set_cookie(&sessions::clear_cookie(&caller.state.config));
    leptos_axum::redirect("/signin");
    Ok(())
}

/// Creates the first admin while no user exists, and signs them in.
#[server(prefix = "/api", endpoint = "setup_first_admin")]
pub async fn setup_first_admin(
    setup_token: String,
    name: String,
    email: String,
    timezone: String,
    password: String,
) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::users};
    let state = auth::state()?;
    let keep = |e: AppError| {
        e.with_values([
            ("name", name.clone()),
            ("email", email.clone()),
            ("timezone", timezone.clone()),
        ])
    };
    let user = users::create_first_admin(&state.db, &state.config, &setup_token, &name, &email, &password, &timezone)
        .await
        .map_err(keep)?;
    auth::start_session(&state, user.id, "/").await
}

/// The IANA timezone names users can choose from (public, static data).
#[server(prefix = "/api", endpoint = "list_timezones")]
pub async fn list_timezones() -> Result<Vec<String>, AppError> {
    Ok(chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| tz.name().to_string())
        .collect())
}
