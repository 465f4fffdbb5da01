//! What an import did with one row of its file: `created`, `updated`, `skipped` or `failed`,
//! the customer concerned, why, and (for updates) the customer's form before, for the revert.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customer_import_row")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub import_id: i32,
    /// The row's line number in the file (the header is line 1).
    pub line: i32,
    pub outcome: String,
    pub customer_id: Option<i32>,
    pub customer_name: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    /// JSON of the customer's form before an update.
    #[sea_orm(column_type = "Text", nullable)]
    pub before: Option<String>,
    /// What the revert did with this row.
    #[sea_orm(column_type = "Text", nullable)]
    pub revert_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
