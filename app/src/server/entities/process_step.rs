//! One step of a process version: what to do, who does it, when it is due, and for `data`
//! steps the customer fields it fills (keys, one per line).

use crate::model::states::StepKind;
use crate::model::user::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "process_step")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub version_id: i32,
    pub position: i32,
    pub title: String,
    pub guidance: String,
    pub tip: String,
    /// `task`, `data`, `approval` or `stop`.
    pub kind: StepKind,
    /// `owner` (the run's owner), `role` (that role in the customer's team) or `user`.
    pub assignee_rule: String,
    pub assignee_role: Option<Role>,
    pub assignee_user_id: Option<i32>,
    /// None: no due time.
    pub due_amount: Option<i32>,
    /// `hours` or `days`.
    pub due_unit: String,
    /// `start` (of the run) or `previous` (completion of the step before).
    pub due_from: String,
    pub working_days: bool,
    pub optional: bool,
    pub fields: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
