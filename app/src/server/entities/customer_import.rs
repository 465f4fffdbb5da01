//! One CSV import of customers: the file (decoded to UTF-8), how its columns map to customer
//! fields, and the state of its background run. `status` goes uploaded → queued → running →
//! done (or failed), and after a revert revert_queued → reverting → reverted.

use crate::model::states::ImportStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_import")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub file_name: String,
    #[sea_orm(column_type = "Text")]
    pub content: String,
    pub row_count: i32,
    /// JSON array of the header cells.
    #[sea_orm(column_type = "Text")]
    pub headers: String,
    /// JSON array, one target per column ("" = ignored).
    #[sea_orm(column_type = "Text")]
    pub mapping: String,
    /// `create` (create only) or `upsert` (create and update, matched on email).
    pub mode: String,
    pub status: ImportStatus,
    pub processed: i32,
    pub created_count: i32,
    pub updated_count: i32,
    pub skipped_count: i32,
    pub failed_count: i32,
    pub reverted_count: i32,
    pub kept_count: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub reverted_at: Option<DateTimeUtc>,
    /// When the worker running it last made progress.
    pub heartbeat_at: Option<DateTimeUtc>,
    /// The worker running it holds it until then (`platform::leases`), renewing with each row;
    /// a run whose lease ran out (its worker died) is taken over.
    #[sea_orm(column_type = "Text", nullable)]
    pub lease_token: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

crate::leased!(Id, LeaseToken, LeaseUntil);
