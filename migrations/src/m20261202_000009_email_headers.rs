//! `outbox_message.headers`: the extra headers of a message (nudges' `List-Unsubscribe`), as a
//! JSON list of name and value. Messages queued before have none.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Headers,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessage::Table)
                    .add_column(text(OutboxMessage::Headers).default("[]"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessage::Table)
                    .drop_column(OutboxMessage::Headers)
                    .to_owned(),
            )
            .await
    }
}
