//! A custom field value of one customer, with who last set and confirmed it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "custom_value")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_id: i32,
    #[sea_orm(primary_key, auto_increment = false)]
    pub field_id: i32,
    pub value: String,
    pub updated_at: DateTimeUtc,
    pub updated_by: Option<i32>,
    pub confirmed_at: DateTimeUtc,
    pub confirmed_by: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
