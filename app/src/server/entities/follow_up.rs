//! A callback due at a time, assigned to a user: open, done or cancelled.

use crate::model::states::FollowUpStatus;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "follow_up")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub customer_id: i32,
    pub assignee_id: i32,
    pub created_by: Option<i32>,
    pub due_at: DateTimeUtc,
    pub note: String,
    pub status: FollowUpStatus,
    pub completed_at: Option<DateTimeUtc>,
    pub completed_by: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
