//! Personal API tokens: created on the profile page and shown once, stored as a SHA-256 hash,
//! revocable, acting with their user's permissions (and only while the user is active).

use crate::error::{AppError, AppResult};
use crate::model::user::ApiTokenView;
use crate::server::entities::{api_token, app_user};
use crate::server::services::platform::{audit, new_token, now, token_hash};
use chrono::TimeDelta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};

/// Every token starts with this, so a leaked one is recognisable (and greppable).
pub const PREFIX: &str = "rpt_";
/// A user's live tokens at most.
const MAX_TOKENS: u64 = 20;

/// Creates a token named `name` for `user_id`; returns it in plain text, the only time it
/// is ever available.
pub async fn create<C: ConnectionTrait>(db: &C, user_id: i32, name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "Name the token after where it is used, e.g. “Zapier”."));
    }
    if name.chars().count() > 80 {
        return Err(AppError::field("name", "Use at most 80 characters."));
    }
    let live = api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .filter(api_token::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    if live >= MAX_TOKENS {
        return Err(AppError::field("name", format!("You have {MAX_TOKENS} tokens; revoke one you no longer use first.")));
    }
    let (random, _) = new_token();
    let token = format!("{PREFIX}{random}");
    let created = api_token::ActiveModel {
        user_id: Set(user_id),
        name: Set(name.to_string()),
        token_hash: Set(token_hash(&token)),
        prefix: Set(token.chars().take(PREFIX.len() + 6).collect()),
        created_at: Set(now()),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    audit::record(db, Some(user_id), "token.create", "api_token", created.id, None::<&()>, Some(&created.name)).await?;
    Ok(token)
}

/// The user's tokens, newest first (revoked ones too, so the list explains what happened).
pub async fn list<C: ConnectionTrait>(db: &C, user_id: i32, tz: chrono_tz::Tz) -> AppResult<Vec<ApiTokenView>> {
    let when = |t: chrono::DateTime<chrono::Utc>| crate::server::services::platform::times::display(t, tz);
    Ok(api_token::Entity::find()
        .filter(api_token::Column::UserId.eq(user_id))
        .order_by_desc(api_token::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|t| ApiTokenView {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created: when(t.created_at),
            last_used: t.last_used_at.map(when),
            revoked: t.revoked_at.map(when),
        })
        .collect())
}

/// Revokes one of the user's own tokens; at once, for every later request.
pub async fn revoke<C: ConnectionTrait>(db: &C, user_id: i32, id: i32) -> AppResult<()> {
    let found = api_token::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|t| t.user_id == user_id)
        .ok_or(AppError::NotFound)?;
    if found.revoked_at.is_some() {
        return Ok(());
    }
    let name = found.name.clone();
    let mut changed: api_token::ActiveModel = found.into();
    changed.revoked_at = Set(Some(now()));
    changed.update(db).await?;
    audit::record(db, Some(user_id), "token.revoke", "api_token", id, Some(&name), None::<&()>).await?;
    Ok(())
}

/// The active user a bearer token acts for, or `None` for an unknown, revoked or malformed
/// token or a deactivated user. Notes the use at most once a minute.
pub async fn authenticate<C: ConnectionTrait>(db: &C, token: &str) -> AppResult<Option<(api_token::Model, app_user::Model)>> {
    if !token.starts_with(PREFIX) || token.len() > 100 {
        return Ok(None);
    }
    let Some(found) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(token_hash(token)))
        .one(db)
        .await?
        .filter(|t| t.revoked_at.is_none())
    else {
        return Ok(None);
    };
    let Some(user) = app_user::Entity::find_by_id(found.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(None);
    };
    let at = now();
    if found.last_used_at.is_none_or(|t| at - t > TimeDelta::minutes(1)) {
        let mut used: api_token::ActiveModel = found.clone().into();
        used.last_used_at = Set(Some(at));
        used.update(db).await?;
    }
    Ok(Some((found, user)))
}
