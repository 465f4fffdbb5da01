//! Two account-security changes. `outbox_message.secret` holds the live part of a message (the
//! token in a password-reset or invitation link) so that it can be struck from the stored body
//! once the message is delivered. `password_reset_request` counts "forgot password" requests
//! per address and per client, as `sign_in_failure` counts failed sign-ins. Messages delivered
//! before this migration kept their links: their bodies are replaced by a note.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Secret,
}

#[derive(DeriveIden)]
enum PasswordResetRequest {
    Table,
    Id,
    Email,
    ClientAddr,
    RequestedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessage::Table)
                    .add_column(text_null(OutboxMessage::Secret))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE outbox_message \
                 SET body_text = '[The body of this delivered message held a sign-in link and was removed.]', \
                     body_html = '<p>[The body of this delivered message held a sign-in link and was removed.]</p>' \
                 WHERE status IN ('sent', 'failed') AND body_text LIKE '%token=%'",
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PasswordResetRequest::Table)
                    .col(pk_auto(PasswordResetRequest::Id))
                    .col(string(PasswordResetRequest::Email))
                    .col(string(PasswordResetRequest::ClientAddr))
                    .col(timestamp_with_time_zone(PasswordResetRequest::RequestedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_password_reset_request_email", PasswordResetRequest::Email),
            ("idx_password_reset_request_client", PasswordResetRequest::ClientAddr),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(PasswordResetRequest::Table)
                        .col(column)
                        .col(PasswordResetRequest::RequestedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PasswordResetRequest::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(OutboxMessage::Table)
                    .drop_column(OutboxMessage::Secret)
                    .to_owned(),
            )
            .await
    }
}
