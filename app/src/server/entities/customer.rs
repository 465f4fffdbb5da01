//! A customer: a person or an organisation, owned by a user and visible to their team.

use crate::model::states::CustomerKind;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "customer")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub kind: CustomerKind,
    pub name: String,
    pub name_key: String,
    pub email: Option<String>,
    #[sea_orm(unique)]
    pub email_key: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    pub owner_id: i32,
    pub team_id: Option<i32>,
    pub stage_id: i32,
    pub quality: i32,
    pub quality_expires_at: Option<DateTimeUtc>,
    pub last_interaction_at: Option<DateTimeUtc>,
    pub next_follow_up_at: Option<DateTimeUtc>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
