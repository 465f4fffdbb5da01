//! One way for a worker to hold a row while it works on it (an outbox message being sent, an
//! import being run), on SQLite and PostgreSQL alike and across any number of instances.
//!
//! `claim` is a conditional update that only one instance can win: it writes a fresh token and
//! an expiry into the row if the row is free (never leased, or its lease expired because its
//! worker died). Everything the worker writes afterwards — renewing, finishing — is an update
//! "where the lease is still mine" (`finish`, `renew`): once a lease has expired (whether or
//! not another instance has claimed the row yet), the worker's writes change nothing, and it
//! is told so.

use crate::error::AppResult;
use crate::server::services::platform::{new_token, now};
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, UpdateMany};

/// A table whose rows workers lease: its id, lease token and lease expiry columns.
pub trait Leased: EntityTrait {
    fn id_column() -> Self::Column;
    fn token_column() -> Self::Column;
    fn until_column() -> Self::Column;
}

/// Implements `Leased` for the entity of the module it is invoked in, from its id, token and
/// expiry columns.
#[macro_export]
macro_rules! leased {
    ($id:ident, $token:ident, $until:ident) => {
        impl $crate::server::services::platform::leases::Leased for Entity {
            fn id_column() -> Column {
                Column::$id
            }
            fn token_column() -> Column {
                Column::$token
            }
            fn until_column() -> Column {
                Column::$until
            }
        }
    };
}

/// A row held by this worker until `until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub id: i32,
    pub token: String,
    pub until: DateTime<Utc>,
}

impl Lease {
    /// How long is left of it.
    pub fn left(&self) -> std::time::Duration {
        (self.until - now()).to_std().unwrap_or_default()
    }
}

/// Rows nobody holds at `at`: never leased, released, or with an expired lease.
pub fn free<E: Leased>(at: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(E::until_column().is_null())
        .add(E::until_column().lt(at))
}

/// The row of `lease`, while the lease is still this worker's: its token, and not expired
/// (past its expiry another worker may already have read the row to take it over).
pub fn mine<E: Leased>(lease: &Lease) -> Condition {
    Condition::all()
        .add(E::id_column().eq(lease.id))
        .add(E::token_column().eq(lease.token.as_str()))
        .add(E::until_column().gte(now()))
}

/// Claims row `id` for `ttl` if it is free and meets `only_if`. `None` when another worker
/// holds it or it no longer qualifies.
pub async fn claim<E: Leased, C: ConnectionTrait>(
    db: &C,
    id: i32,
    only_if: Condition,
    ttl: TimeDelta,
) -> AppResult<Option<Lease>> {
    let at = now();
    let (token, _) = new_token();
    let until = at + ttl;
    let result = E::update_many()
        .col_expr(E::token_column(), Expr::value(token.clone()))
        .col_expr(E::until_column(), Expr::value(until))
        .filter(E::id_column().eq(id))
        .filter(only_if)
        .filter(free::<E>(at))
        .exec(db)
        .await?;
    Ok((result.rows_affected == 1).then_some(Lease { id, token, until }))
}

/// Runs `update` with `lease` extended by `ttl` from now, if the lease is still this
/// worker's. False when it was lost (it expired, and another worker may have claimed the
/// row): then nothing is written.
pub async fn renew<E: Leased, C: ConnectionTrait>(
    db: &C,
    lease: &mut Lease,
    update: UpdateMany<E>,
    ttl: TimeDelta,
) -> AppResult<bool> {
    let until = now() + ttl;
    let result = update
        .col_expr(E::until_column(), Expr::value(until))
        .filter(mine::<E>(lease))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        lease.until = until;
    }
    Ok(result.rows_affected == 1)
}

/// Runs `update` and releases the row, if the lease is still this worker's. False when it was
/// lost: then nothing is written.
pub async fn finish<E: Leased, C: ConnectionTrait>(db: &C, lease: &Lease, update: UpdateMany<E>) -> AppResult<bool> {
    let result = update
        .col_expr(E::token_column(), Expr::value(Option::<String>::None))
        .col_expr(E::until_column(), Expr::value(Option::<DateTime<Utc>>::None))
        .filter(mine::<E>(lease))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
