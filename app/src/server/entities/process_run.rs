//! A run of one template version on one customer: `active`, `completed` or `cancelled`.

use crate::model::states::RunStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "process_run")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub template_id: i32,
    pub version_id: i32,
    pub customer_id: i32,
    pub owner_id: i32,
    pub status: RunStatus,
    pub started_by: Option<i32>,
    /// `manual`, `customer_created` or `stage_changed`.
    pub started_how: String,
    pub started_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
    pub cancelled_by: Option<i32>,
    pub cancel_reason: Option<String>,
    /// `template:customer` while active; unique, so no second active run can exist.
    pub active_key: Option<String>,
    /// Bumped by every action on the run: the row lock that serialises them.
    pub lock_version: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
