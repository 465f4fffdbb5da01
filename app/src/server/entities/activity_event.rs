//! Who did what, when, in which team and to what: the source of adoption analytics. Written
//! only by `services::events::emit`.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activity_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub user_id: i32,
    pub kind: String,
    pub subject_type: Option<String>,
    pub subject_id: Option<String>,
    /// The team it happened in: the customer's team, else the user's.
    pub team_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub run_id: Option<i32>,
    pub step_run_id: Option<i32>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
