//! A process template: the identity of a checklist across its versions, and its auto-start
//! trigger (`manual`, `customer_created`, `stage_changed` to `trigger_stage_id`).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "process_template")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    /// The name of the newest version, for lists.
    pub name: String,
    pub trigger_kind: String,
    pub trigger_stage_id: Option<i32>,
    pub created_by: Option<i32>,
    pub created_at: DateTimeUtc,
    pub archived_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
