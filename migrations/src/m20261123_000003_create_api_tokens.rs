//! Per-user API tokens for the REST API: only a SHA-256 of each token is stored, with a short
//! prefix to tell them apart, when it was last used, and when it was revoked.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiToken {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ApiToken::Table)
                    .col(pk_auto(ApiToken::Id))
                    .col(integer(ApiToken::UserId))
                    .col(string(ApiToken::Name))
                    .col(string_uniq(ApiToken::TokenHash))
                    .col(string(ApiToken::Prefix))
                    .col(timestamp_with_time_zone(ApiToken::CreatedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::LastUsedAt))
                    .col(timestamp_with_time_zone_null(ApiToken::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(ApiToken::Table)
                            .from_col(ApiToken::UserId)
                            .to_tbl(AppUser::Table)
                            .to_col(AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_api_token_user")
                    .table(ApiToken::Table)
                    .col(ApiToken::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ApiToken::Table).to_owned())
            .await
    }
}
