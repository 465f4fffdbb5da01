//! One email: written in the same transaction as the change that causes it, then sent by the dispatcher. The permanent delivery log.

use crate::model::states::OutboxStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_message")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub body_text: String,
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    pub category: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// Until when the dispatcher that claimed it holds it (`platform::leases`).
    pub locked_until: Option<DateTimeUtc>,
    /// The token of that claim; the dispatcher's final write is conditional on it.
    #[sea_orm(column_type = "Text", nullable)]
    pub lease_token: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The live part of the message (a link's token), struck from the bodies once delivered.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret: Option<String>,
    /// The extra headers, as JSON (`platform::emails::Header`s).
    #[sea_orm(column_type = "Text")]
    pub headers: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::leased!(Id, LeaseToken, LockedUntil);
