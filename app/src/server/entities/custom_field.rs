//! An admin-defined field on customers, with its validation, owner role and freshness.

use crate::model::user::Role;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_field")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    #[sea_orm(unique)]
    pub key: String,
    pub label: String,
    pub field_type: String,
    pub options: String,
    pub required: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    pub pattern: Option<String>,
    /// A value that matches `pattern`, shown to users instead of the pattern.
    pub pattern_example: Option<String>,
    pub owner_role: Role,
    pub freshness_days: Option<i32>,
    pub position: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
