//! Account life cycle driven by admins and emailed links: invitations, password resets,
//! role and team changes, deactivation. Each change is audited; each email is queued in the
//! outbox in the same transaction as the change.

use crate::error::{AppError, AppResult};
use crate::model::user::Role;
use crate::server::config::Config;
use crate::server::entities::{app_user, one_time_token, team};
use crate::server::services::platform::{audit, begin_write, emails, new_token, now, outbox, passwords, sessions, token_hash, users};
use chrono::Duration as TimeDelta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionSession, TransactionTrait,
};
use serde::Serialize;

pub const INVITE: &str = "invite";
pub const RESET: &str = "reset";
pub const INVITE_VALID_DAYS: i64 = 7;
pub const RESET_VALID_MINUTES: i64 = 60;

/// Creates a single-use token for `user_id` and returns the raw token for the link.
async fn issue_token<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    purpose: &str,
    valid: TimeDelta,
) -> AppResult<String> {
    // A new link replaces any earlier unused link of the same purpose.
    one_time_token::Entity::delete_many()
        .filter(one_time_token::Column::UserId.eq(user_id))
        .filter(one_time_token::Column::Purpose.eq(purpose))
        .filter(one_time_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    let (token, id) = new_token();
    let at = now();
    one_time_token::ActiveModel {
        id: Set(id),
        purpose: Set(purpose.to_string()),
        user_id: Set(user_id),
        created_at: Set(at),
        expires_at: Set(at + valid),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The live token row behind `token`, or a message on the `field` saying why the link is dead.
async fn live_token<C: ConnectionTrait>(
    db: &C,
    token: &str,
    purpose: &str,
) -> AppResult<one_time_token::Model> {
    let dead = |m: &str| AppError::field("token", m);
    let row = one_time_token::Entity::find_by_id(token_hash(token.trim()))
        .one(db)
        .await?
        .filter(|t| t.purpose == purpose)
        .ok_or_else(|| dead("This link is not valid. Ask for a new one."))?;
    if row.used_at.is_some() {
        return Err(dead("This link has already been used. Ask for a new one."));
    }
    if row.expires_at < now() {
        return Err(dead("This link has expired. Ask for a new one."));
    }
    Ok(row)
}

async fn queue_invitation<C: ConnectionTrait>(
    db: &C,
    config: &Config,
    user: &app_user::Model,
    inviter: &str,
) -> AppResult<()> {
    let token = issue_token(db, user.id, INVITE, TimeDelta::days(INVITE_VALID_DAYS)).await?;
    let link = format!("{}/accept-invite?token={token}", config.base_url);
    let email = emails::invitation(&user.email, &user.name, inviter, &link, INVITE_VALID_DAYS)?;
    outbox::enqueue(
        db,
        outbox::NewMessage {
            email,
            category: "security",
            dedupe_key: format!("invite:{}:{}", user.id, &token_hash(&token)[..16]),
            secret: Some(token.clone()),
        },
    )
    .await?;
    Ok(())
}

/// Input for an invitation.
pub struct Invite<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub team_id: Option<i32>,
}

/// Creates the user without a password and emails a single-use link to set one.
pub async fn invite<C: TransactionTrait>(
    db: &C,
    config: &Config,
    actor: (i32, &str),
    input: Invite<'_>,
) -> AppResult<app_user::Model> {
    let txn = begin_write(db).await?;
    if let Some(team_id) = input.team_id {
        team::Entity::find_by_id(team_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::field("team_id", "Choose a team from the list."))?;
    }
    let user = users::create(
        &txn,
        users::NewUser {
            name: input.name,
            email: input.email,
            password: None,
            role: input.role,
            team_id: input.team_id,
            timezone: "UTC",
        },
    )
    .await?;
    queue_invitation(&txn, config, &user, actor.1).await?;
    audit::record(
        &txn,
        Some(actor.0),
        "user.invite",
        "user",
        user.id,
        None::<&()>,
        Some(&AuditUser::from(&user)),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Sends a fresh invitation link to a user who has not set a password yet.
pub async fn resend_invitation<C: TransactionTrait>(
    db: &C,
    config: &Config,
    actor: (i32, &str),
    user_id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let user = users::find(&txn, user_id).await?;
    if user.password_hash.is_some() {
        return Err(AppError::Conflict(format!(
            "{} has already set a password.",
            user.name
        )));
    }
    queue_invitation(&txn, config, &user, actor.1).await?;
    audit::record(
        &txn,
        Some(actor.0),
        "user.reinvite",
        "user",
        user.id,
        None::<&()>,
        None::<&()>,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Sets a password from an emailed link (invitation or reset), ends every other session of the
/// user, and returns the user.
pub async fn set_password_from_link<C: TransactionTrait>(
    db: &C,
    token: &str,
    purpose: &str,
    password: &str,
) -> AppResult<app_user::Model> {
    let txn = begin_write(db).await?;
    let row = live_token(&txn, token, purpose).await?;
    let user = users::find(&txn, row.user_id).await?;
    if !user.active {
        return Err(AppError::field(
            "token",
            "This account is deactivated. Ask an admin.",
        ));
    }
    passwords::check_new("password", password, &user.name, &user.email)?;
    let mut used: one_time_token::ActiveModel = row.into();
    used.used_at = Set(Some(now()));
    used.update(&txn).await?;
    let mut changed: app_user::ActiveModel = user.into();
    changed.password_hash = Set(Some(passwords::hash(password)?));
    changed.updated_at = Set(now());
    let user = changed.update(&txn).await?;
    sessions::end_all_for_user(&txn, user.id, None).await?;
    let action = if purpose == INVITE {
        "user.accept_invite"
    } else {
        "user.reset_password"
    };
    audit::record(
        &txn,
        Some(user.id),
        action,
        "user",
        user.id,
        None::<&()>,
        None::<&()>,
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// The name of the person a link belongs to, if the link is live (to greet them on the page).
pub async fn link_owner<C: ConnectionTrait>(
    db: &C,
    token: &str,
    purpose: &str,
) -> AppResult<String> {
    let row = live_token(db, token, purpose).await?;
    Ok(users::find(db, row.user_id).await?.name)
}

/// "Forgot password" requests for one address, and from one client, counted over this window;
/// a reset link sent within it is not sent again.
pub const RESET_WINDOW_MINUTES: i64 = 15;
/// Requests an address may make within the window (from anywhere).
pub const RESET_MAX_PER_EMAIL: u64 = 5;
/// Requests a client address may make within the window (for any addresses).
pub const RESET_MAX_PER_CLIENT: u64 = 20;

/// Emails a reset link when an active account has this email. Says nothing either way, so the
/// form cannot be used to find out who has an account: known and unknown addresses do the same
/// look-ups and writes up to the mail, and get the same answer. It cannot flood an inbox either:
/// while the account's last link is fresh (sent within the window and unused), no other is sent,
/// and requests are throttled per address and per client whether the address is known or not.
pub async fn request_password_reset<C: TransactionTrait>(
    db: &C,
    config: &Config,
    email: &str,
    client_addr: &str,
) -> AppResult<()> {
    use crate::server::entities::password_reset_request::{self, Column};
    use sea_orm::PaginatorTrait;
    if let Some(err) = users::check_email("email", email) {
        return Err(AppError::field(&err.0, err.1));
    }
    let email = users::normalise_email(email);
    let txn = begin_write(db).await?;
    let at = now();
    let since = at - TimeDelta::minutes(RESET_WINDOW_MINUTES);
    password_reset_request::Entity::delete_many()
        .filter(Column::RequestedAt.lt(at - TimeDelta::days(1)))
        .exec(&txn)
        .await?;
    let recent = || password_reset_request::Entity::find().filter(Column::RequestedAt.gt(since));
    let per_email = recent().filter(Column::Email.eq(email.as_str())).count(&txn).await?;
    let per_client = recent().filter(Column::ClientAddr.eq(client_addr)).count(&txn).await?;
    if per_email >= RESET_MAX_PER_EMAIL || per_client >= RESET_MAX_PER_CLIENT {
        return Err(AppError::TooManyRequests(format!(
            "Too many password reset requests. If an account has this email, a link is already on its way; try again in {RESET_WINDOW_MINUTES} minutes."
        )));
    }
    password_reset_request::ActiveModel {
        email: Set(email.clone()),
        client_addr: Set(client_addr.to_string()),
        requested_at: Set(at),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let user = users::find_by_email(&txn, &email).await?.filter(|u| u.active);
    let fresh_link = one_time_token::Entity::find()
        .filter(one_time_token::Column::UserId.eq(user.as_ref().map_or(-1, |u| u.id)))
        .filter(one_time_token::Column::Purpose.eq(RESET))
        .filter(one_time_token::Column::UsedAt.is_null())
        .filter(one_time_token::Column::CreatedAt.gt(since))
        .filter(one_time_token::Column::ExpiresAt.gt(at))
        .count(&txn)
        .await?
        > 0;
    let Some(user) = user.filter(|_| !fresh_link) else {
        txn.commit().await?;
        return Ok(());
    };
    let token = issue_token(
        &txn,
        user.id,
        RESET,
        TimeDelta::minutes(RESET_VALID_MINUTES),
    )
    .await?;
    let link = format!("{}/reset-password?token={token}", config.base_url);
    let email = emails::password_reset(&user.email, &user.name, &link)?;
    outbox::enqueue(
        &txn,
        outbox::NewMessage {
            email,
            category: "security",
            dedupe_key: format!("reset:{}:{}", user.id, &token_hash(&token)[..16]),
            secret: Some(token.clone()),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// What the audit log records of a user.
#[derive(Serialize)]
pub struct AuditUser {
    pub email: String,
    pub role: String,
    pub team_id: Option<i32>,
    pub active: bool,
}

impl From<&app_user::Model> for AuditUser {
    fn from(u: &app_user::Model) -> Self {
        AuditUser {
            email: u.email.clone(),
            role: u.role.as_str().to_string(),
            team_id: u.team_id,
            active: u.active,
        }
    }
}

/// Changes a user's role and team. An admin cannot demote themself (someone must stay admin).
pub async fn update_role_and_team<C: TransactionTrait>(
    db: &C,
    actor_id: i32,
    user_id: i32,
    role: Role,
    team_id: Option<i32>,
) -> AppResult<app_user::Model> {
    let txn = begin_write(db).await?;
    let user = users::find(&txn, user_id).await?;
    if user.id == actor_id && role != Role::Admin {
        return Err(AppError::field(
            "role",
            "You cannot remove your own admin role.",
        ));
    }
    if let Some(team_id) = team_id {
        team::Entity::find_by_id(team_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::field("team_id", "Choose a team from the list."))?;
    }
    let before = AuditUser::from(&user);
    let mut changed: app_user::ActiveModel = user.into();
    changed.role = Set(role);
    changed.team_id = Set(team_id);
    changed.updated_at = Set(now());
    let user = changed.update(&txn).await?;
    audit::record(
        &txn,
        Some(actor_id),
        "user.update",
        "user",
        user.id,
        Some(&before),
        Some(&AuditUser::from(&user)),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Deactivates (ending every session at once) or reactivates a user.
pub async fn set_active<C: TransactionTrait>(
    db: &C,
    actor_id: i32,
    user_id: i32,
    active: bool,
) -> AppResult<app_user::Model> {
    let txn = begin_write(db).await?;
    let user = users::find(&txn, user_id).await?;
    if user.id == actor_id && !active {
        return Err(AppError::Conflict("You cannot deactivate yourself.".into()));
    }
    let before = AuditUser::from(&user);
    let mut changed: app_user::ActiveModel = user.into();
    changed.active = Set(active);
    changed.updated_at = Set(now());
    let user = changed.update(&txn).await?;
    if !active {
        sessions::end_all_for_user(&txn, user.id, None).await?;
    }
    let action = if active {
        "user.reactivate"
    } else {
        "user.deactivate"
    };
    audit::record(
        &txn,
        Some(actor_id),
        action,
        "user",
        user.id,
        Some(&before),
        Some(&AuditUser::from(&user)),
    )
    .await?;
    txn.commit().await?;
    Ok(user)
}

/// Changes a signed-in user's own password after checking the current one; ends their other
/// sessions, keeping `keep_session`.
pub async fn change_password<C: TransactionTrait>(
    db: &C,
    user_id: i32,
    keep_session: &str,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let user = users::find(&txn, user_id).await?;
    let ok = user
        .password_hash
        .as_deref()
        .is_some_and(|h| passwords::verify(h, current));
    if !ok {
        return Err(AppError::field(
            "current_password",
            "That is not your current password.",
        ));
    }
    passwords::check_new("new_password", new, &user.name, &user.email)?;
    let mut changed: app_user::ActiveModel = user.into();
    changed.password_hash = Set(Some(passwords::hash(new)?));
    changed.updated_at = Set(now());
    changed.update(&txn).await?;
    sessions::end_all_for_user(&txn, user_id, Some(keep_session)).await?;
    audit::record(
        &txn,
        Some(user_id),
        "user.change_password",
        "user",
        user_id,
        None::<&()>,
        None::<&()>,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Updates a user's own name and timezone.
pub async fn update_profile<C: ConnectionTrait>(
    db: &C,
    user_id: i32,
    name: &str,
    timezone: &str,
) -> AppResult<app_user::Model> {
    users::collect([
        users::check_name("name", name),
        users::check_timezone("timezone", timezone),
    ])?;
    let user = users::find(db, user_id).await?;
    let mut changed: app_user::ActiveModel = user.into();
    changed.name = Set(name.trim().to_string());
    changed.timezone = Set(timezone.to_string());
    changed.updated_at = Set(now());
    Ok(changed.update(db).await?)
}
