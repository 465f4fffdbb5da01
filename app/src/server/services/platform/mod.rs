//! The platform every area stands on. It owns the people and the plumbing: users, teams and
//! their roles (`users`, `teams`, `access`), accounts and sign-in (`accounts`, `sessions`,
//! `passwords`, `tokens`), the activity stream (`activity`), the audit log (`audit`), outgoing mail (`outbox`) and time zones
//! (`times`), plus the small helpers below. It imports no area.

pub mod access;
pub mod activity;
pub mod accounts;
pub mod audit;
pub mod emails;
pub mod leases;
pub mod outbox;
pub mod passwords;
pub mod sessions;
pub mod teams;
pub mod times;
pub mod tokens;
pub mod users;

/// How many rows `query` has for each value of the integer column `by`, counted in SQL (one
/// query, whatever the number of groups). Groups without rows are absent.
pub async fn count_by<E, C>(
    db: &C,
    query: sea_orm::Select<E>,
    by: E::Column,
) -> crate::error::AppResult<std::collections::HashMap<i32, u64>>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::sea_query::{Expr, Func};
    use sea_orm::{ColumnTrait, QuerySelect};
    let rows: Vec<(i32, i64)> = query
        .select_only()
        .column(by)
        .column_as(Expr::from(Func::count(Expr::col(by.as_column_ref()))), "n")
        .group_by(by)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, n)| (id, n.max(0) as u64)).collect())
}

/// How many rows `query` has, counting no further than `cap`: `cap` means "at least `cap`".
/// The cost of a count that a page shows stays flat however many rows there are.
pub async fn count_up_to<E, C>(db: &C, query: sea_orm::Select<E>, cap: u64) -> crate::error::AppResult<u64>
where
    E: sea_orm::EntityTrait,
    C: sea_orm::ConnectionTrait,
{
    use sea_orm::sea_query::{Alias, Expr, Query};
    use sea_orm::{QuerySelect, QueryTrait};
    let capped = query.select_only().expr(Expr::val(1)).limit(cap).into_query();
    let count = Query::select()
        .expr(Expr::cust("COUNT(*)"))
        .from_subquery(capped, Alias::new("capped"))
        .to_owned();
    let n: i64 = match db.query_one(&count).await? {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    Ok(n.max(0) as u64)
}

/// The message for a one-line name that holds a control character (CR, LF, NUL, tab, …):
/// names reach email headers, CSV cells and log lines, where such characters break out.
pub const CONTROL_CHARS_MESSAGE: &str =
    "Use letters, digits and punctuation only: no line breaks, tabs or other control characters.";

/// Whether `text` holds any control character.
pub fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Current time, truncated to microseconds so that SQLite and PostgreSQL store and return the
/// same value.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let now = chrono::Utc::now();
    now.duration_trunc(TimeDelta::microseconds(1))
        .unwrap_or(now)
}

/// A random 32-byte token, URL-safe base64, and the SHA-256 hex under which it is stored.
pub fn new_token() -> (String, String) {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Begins a read-then-write transaction. On SQLite it is `BEGIN IMMEDIATE`, so it takes the
/// write lock at once instead of failing with "database is locked" when it later writes.
pub async fn begin_write<C: sea_orm::TransactionTrait>(
    db: &C,
) -> Result<C::Transaction, sea_orm::DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}
