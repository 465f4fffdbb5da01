//! Server-side sessions and sign-in, with throttling of failed attempts per (account, client
//! address) pair: someone else's failures from another address never lock a user out.

use crate::error::{AppError, AppResult};
use crate::server::config::Config;
use crate::server::entities::{app_user, session, sign_in_failure};
use crate::server::services::platform::activity::{self, Activity};
use crate::server::services::platform::{new_token, now, passwords, token_hash, users};
use chrono::{DateTime, Duration as TimeDelta, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

pub const COOKIE_NAME: &str = "rapport_session";

/// Creates a session for `user_id` and returns the token for the cookie.
pub async fn create<C: ConnectionTrait>(db: &C, user_id: i32) -> AppResult<String> {
    let (token, id) = new_token();
    let at = now();
    session::ActiveModel {
        id: Set(id),
        user_id: Set(user_id),
        created_at: Set(at),
        last_seen_at: Set(at),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Finds the live session and active user behind a cookie token. Expired sessions (idle or past
/// their absolute lifetime) and sessions of deactivated users are deleted and yield `None`.
/// `last_seen_at` is refreshed at most once a minute, to spare writes.
pub async fn resolve<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    token: &str,
) -> AppResult<Option<(session::Model, app_user::Model)>> {
    let id = token_hash(token);
    let Some(found) = session::Entity::find_by_id(id.clone()).one(db).await? else {
        return Ok(None);
    };
    let at = now();
    let idle = TimeDelta::from_std(config.session_idle).unwrap_or(TimeDelta::minutes(30));
    let max = TimeDelta::from_std(config.session_max).unwrap_or(TimeDelta::hours(12));
    let user = app_user::Entity::find_by_id(found.user_id).one(db).await?;
    let live = at - found.last_seen_at <= idle && at - found.created_at <= max;
    match user {
        Some(user) if live && user.active => {
            let mut current = found.clone();
            if at - found.last_seen_at > TimeDelta::seconds(60) {
                let mut active: session::ActiveModel = found.into();
                active.last_seen_at = Set(at);
                current = active.update(db).await?;
            }
            Ok(Some((current, user)))
        }
        _ => {
            session::Entity::delete_by_id(id).exec(db).await?;
            Ok(None)
        }
    }
}

/// Ends one session (sign-out).
pub async fn end<C: ConnectionTrait>(db: &C, session_id: &str) -> AppResult<()> {
    session::Entity::delete_by_id(session_id.to_string())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of a user, except optionally one (the one changing the password).
pub async fn end_all_for_user<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    except: Option<&str>,
) -> AppResult<u64> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = except {
        query = query.filter(session::Column::Id.ne(keep.to_string()));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// When the pair (email, client address) may try again, if it is throttled now.
pub async fn throttled_until<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    email: &str,
    client_addr: &str,
) -> AppResult<Option<DateTime<Utc>>> {
    let window = TimeDelta::from_std(config.sign_in_window).unwrap_or(TimeDelta::minutes(15));
    let since = now() - window;
    let recent = sign_in_failure::Entity::find()
        .filter(sign_in_failure::Column::Email.eq(email))
        .filter(sign_in_failure::Column::ClientAddr.eq(client_addr))
        .filter(sign_in_failure::Column::AttemptedAt.gt(since))
        .order_by_desc(sign_in_failure::Column::AttemptedAt);
    let count = recent.clone().count(db).await?;
    if count < config.sign_in_max_failures {
        return Ok(None);
    }
    // The pair may try again once enough of the failures have left the window.
    let oldest_that_counts = recent
        .offset(config.sign_in_max_failures - 1)
        .one(db)
        .await?
        .map(|f| f.attempted_at + window);
    Ok(oldest_that_counts)
}

/// Checks the credentials and creates a session. Returns the user and the cookie token.
pub async fn sign_in<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    email: &str,
    password: &str,
    client_addr: &str,
) -> AppResult<(app_user::Model, String)> {
    let email = users::normalise_email(email);
    if email.is_empty() || password.is_empty() {
        let mut fields = std::collections::BTreeMap::new();
        if email.is_empty() {
            fields.insert("email".to_string(), "Enter your email address.".to_string());
        }
        if password.is_empty() {
            fields.insert("password".to_string(), "Enter your password.".to_string());
        }
        return Err(AppError::invalid(fields));
    }
    if let Some(until) = throttled_until(db, config, &email, client_addr).await? {
        let minutes = ((until - now()).num_seconds().max(0) + 59) / 60;
        return Err(AppError::TooManyRequests(format!(
            "Too many failed sign-ins for this account from your address. Try again in {} minute{} (after {} UTC).",
            minutes.max(1),
            if minutes == 1 { "" } else { "s" },
            until.format("%H:%M")
        )));
    }
    let user = users::find_by_email(db, &email).await?;
    let ok = match &user {
        Some(u) if u.active => match &u.password_hash {
            Some(hash) => passwords::verify(hash, password),
            None => {
                passwords::verify_dummy(password);
                false
            }
        },
        _ => {
            passwords::verify_dummy(password);
            false
        }
    };
    match user {
        Some(user) if ok => {
            sign_in_failure::Entity::delete_many()
                .filter(sign_in_failure::Column::Email.eq(email.clone()))
                .filter(sign_in_failure::Column::ClientAddr.eq(client_addr))
                .exec(db)
                .await?;
            let token = create(db, user.id).await?;
            activity::record(
                db,
                Activity { user_id: user.id, kind: "signed_in", team_id: user.team_id, ..Default::default() },
            )
            .await?;
            Ok((user, token))
        }
        _ => {
            sign_in_failure::ActiveModel {
                email: Set(email),
                client_addr: Set(client_addr.to_string()),
                attempted_at: Set(now()),
                ..Default::default()
            }
            .insert(db)
            .await?;
            Err(AppError::field(
                "password",
                "The email or password is not right.",
            ))
        }
    }
}

/// The `Set-Cookie` value that stores `token`.
pub fn cookie(config: &Config, token: &str) -> String {
    let secure = if config.is_https() { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        config.session_max.as_secs()
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(config: &Config) -> String {
    let secure = if config.is_https() { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}")
}

/// The session token in a `Cookie` header, if any.
pub fn token_from_cookie_header(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_token_is_read_from_among_other_cookies() {
        assert_eq!(
            token_from_cookie_header("a=1; rapport_session=abc; b=2"),
            Some("abc")
        );
        assert_eq!(token_from_cookie_header("a=1"), None);
        assert_eq!(token_from_cookie_header("rapport_session="), None);
    }

    #[test]
    fn cookies_are_http_only_lax_and_secure_only_over_https() {
        let mut config = Config::for_tests("sqlite::memory:");
        let c = cookie(&config, "tok");
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && !c.contains("Secure"));
        config.base_url = "https://crm.example.com".into();
        assert!(cookie(&config, "tok").contains("; Secure"));
    }
}
