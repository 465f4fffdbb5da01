//! `custom_field.pattern_example`: a value that matches the field's pattern ("AB-12345"), which
//! the customer form shows as the field's hint and in the message when a value does not match,
//! instead of the regular expression. Fields defined before have none until an admin adds one.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomField {
    Table,
    PatternExample,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomField::Table)
                    .add_column(string_null(CustomField::PatternExample))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomField::Table)
                    .drop_column(CustomField::PatternExample)
                    .to_owned(),
            )
            .await
    }
}
