//! Users and teams: first-run setup, look-ups, validation of names, emails and timezones.

use crate::error::{AppError, AppResult};
use crate::model::user::{Role, UserView};
use crate::server::entities::{app_user, team};
use crate::server::services::platform::{audit, now, passwords};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Set,
    SqlErr, TransactionSession, TransactionTrait,
};
use std::collections::BTreeMap;

/// Emails are compared case-insensitively: stored trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn check_email(field: &str, email: &str) -> Option<(String, String)> {
    use validator::ValidateEmail;
    let email = normalise_email(email);
    if email.is_empty() {
        Some((field.into(), "Enter an email address.".into()))
    } else if email.len() > 254 || !email.validate_email() {
        Some((
            field.into(),
            "Enter a valid email address, like name@example.com.".into(),
        ))
    } else {
        None
    }
}

pub fn check_name(field: &str, name: &str) -> Option<(String, String)> {
    let name = name.trim();
    if name.is_empty() {
        Some((field.into(), "Enter a name.".into()))
    } else if name.chars().count() > 120 {
        Some((field.into(), "Use at most 120 characters.".into()))
    } else if crate::server::services::platform::has_control_chars(name) {
        Some((field.into(), crate::server::services::platform::CONTROL_CHARS_MESSAGE.into()))
    } else {
        None
    }
}

pub fn check_timezone(field: &str, tz: &str) -> Option<(String, String)> {
    match tz.parse::<chrono_tz::Tz>() {
        Ok(_) => None,
        Err(_) => Some((field.into(), "Choose a timezone from the list.".into())),
    }
}

/// Collects the messages of several checks into one validation error, or `Ok`.
pub fn collect(checks: impl IntoIterator<Item = Option<(String, String)>>) -> AppResult<()> {
    let fields: BTreeMap<String, String> = checks.into_iter().flatten().collect();
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::invalid(fields))
    }
}

/// Whether the instance has no user yet and needs its first admin.
pub async fn needs_setup<C: ConnectionTrait>(db: &C) -> AppResult<bool> {
    Ok(app_user::Entity::find().count(db).await? == 0)
}

pub async fn find_by_email<C: ConnectionTrait>(
    db: &C,
    email: &str,
) -> AppResult<Option<app_user::Model>> {
    Ok(app_user::Entity::find()
        .filter(app_user::Column::Email.eq(normalise_email(email)))
        .one(db)
        .await?)
}

/// The names of the users `ids`, by id.
pub async fn names<C: ConnectionTrait>(
    db: &C,
    ids: Vec<i32>,
) -> AppResult<std::collections::HashMap<i32, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(app_user::Entity::find()
        .select_only()
        .columns([app_user::Column::Id, app_user::Column::Name])
        .filter(app_user::Column::Id.is_in(ids))
        .into_tuple::<(i32, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

pub async fn find<C: ConnectionTrait>(db: &C, id: i32) -> AppResult<app_user::Model> {
    app_user::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)
}

/// The browser's view of a user, with the team name filled in.
pub async fn view<C: ConnectionTrait>(db: &C, user: &app_user::Model) -> AppResult<UserView> {
    let team_name = match user.team_id {
        Some(id) => team::Entity::find_by_id(id).one(db).await?.map(|t| t.name),
        None => None,
    };
    Ok(to_view(user, team_name))
}

pub fn to_view(user: &app_user::Model, team_name: Option<String>) -> UserView {
    UserView {
        id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        role: user.role,
        team_id: user.team_id,
        team_name,
        timezone: user.timezone.clone(),
        active: user.active,
        has_password: user.password_hash.is_some(),
    }
}

/// Input for creating a user with a password (first-run setup, `create-admin`, demo data).
pub struct NewUser<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub password: Option<&'a str>,
    pub role: Role,
    pub team_id: Option<i32>,
    pub timezone: &'a str,
}

/// Validates and inserts a user. A taken email becomes a field error on `email`.
pub async fn create<C: ConnectionTrait>(db: &C, input: NewUser<'_>) -> AppResult<app_user::Model> {
    collect([
        check_name("name", input.name),
        check_email("email", input.email),
        check_timezone("timezone", input.timezone),
    ])?;
    let password_hash = match input.password {
        Some(p) => {
            passwords::check_new("password", p, input.name, input.email)?;
            Some(passwords::hash(p)?)
        }
        None => None,
    };
    let at = now();
    let result = app_user::ActiveModel {
        email: Set(normalise_email(input.email)),
        name: Set(input.name.trim().to_string()),
        password_hash: Set(password_hash),
        role: Set(input.role),
        team_id: Set(input.team_id),
        timezone: Set(input.timezone.to_string()),
        active: Set(true),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    }
    .insert(db)
    .await;
    match result {
        Ok(user) => Ok(user),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Err(
            AppError::field("email", "A user with this email already exists."),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Where the setup token lives while setup is pending, shared by every instance.
const SETUP_TOKEN_KEY: &str = "setup_token";

/// The one-time token first-run setup asks for, while no user exists (else `None`):
/// `RAPPORT_SETUP_TOKEN` when configured, else one made on the first call and kept in the
/// settings table, so every instance prints and accepts the same one. Whoever reaches a fresh
/// Rapport first can only claim it with this token from the server's log.
pub async fn setup_token<C: ConnectionTrait>(
    db: &C,
    config: &crate::server::config::Config,
) -> AppResult<Option<String>> {
    use crate::server::entities::setting;
    if !needs_setup(db).await? {
        return Ok(None);
    }
    if let Some(token) = config.setup_token.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Some(token.clone()));
    }
    if let Some(row) = setting::Entity::find_by_id(SETUP_TOKEN_KEY).one(db).await? {
        return Ok(Some(row.value));
    }
    let (token, _) = crate::server::services::platform::new_token();
    let made = setting::ActiveModel {
        key: Set(SETUP_TOKEN_KEY.to_string()),
        value: Set(token.clone()),
    }
    .insert(db)
    .await;
    match made {
        Ok(_) => Ok(Some(token)),
        // Another instance made one at the same moment: use theirs.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(
            setting::Entity::find_by_id(SETUP_TOKEN_KEY)
                .one(db)
                .await?
                .map(|row| row.value),
        ),
        Err(e) => Err(e.into()),
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// First-run setup: creates the first admin, only while no user exists and only for someone
/// who has the setup token. Two simultaneous set-ups cannot both win: the count and the insert
/// run in one transaction, and on SQLite the transaction takes the write lock at once.
pub async fn create_first_admin<C: TransactionTrait>(
    db: &C,
    config: &crate::server::config::Config,
    setup_token_given: &str,
    name: &str,
    email: &str,
    password: &str,
    timezone: &str,
) -> AppResult<app_user::Model> {
    use crate::server::entities::setting;
    let txn = crate::server::services::platform::begin_write(db).await?;
    let Some(expected) = setup_token(&txn, config).await? else {
        return Err(AppError::Conflict(
            "Rapport is already set up: sign in instead.".into(),
        ));
    };
    if !same_secret(setup_token_given.trim(), &expected) {
        return Err(AppError::field(
            "setup_token",
            "Enter the setup token that the server printed to its log when it started.",
        ));
    }
    let user = create(
        &txn,
        NewUser {
            name,
            email,
            password: Some(password),
            role: Role::Admin,
            team_id: None,
            timezone,
        },
    )
    .await?;
    audit::record(
        &txn,
        Some(user.id),
        "user.setup_admin",
        "user",
        user.id,
        None::<&()>,
        Some(&user.email),
    )
    .await?;
    setting::Entity::delete_by_id(SETUP_TOKEN_KEY).exec(&txn).await?;
    txn.commit().await?;
    Ok(user)
}
