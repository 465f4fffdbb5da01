//! Who did what on a run, and when: started, completed, skipped, approved, rejected, reopened,
//! cancelled, finished.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "process_run_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub run_id: i32,
    pub step_run_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub action: String,
    pub note: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
