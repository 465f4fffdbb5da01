//! CSV imports of customers: the uploaded file (decoded to UTF-8), its column mapping and mode,
//! the progress of the background run, and one result row per file row (what happened, to which
//! customer, why, and the customer's values before an update so the import can be reverted).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomerImport {
    Table,
    Id,
    UserId,
    FileName,
    Content,
    RowCount,
    Headers,
    Mapping,
    Mode,
    Status,
    Processed,
    CreatedCount,
    UpdatedCount,
    SkippedCount,
    FailedCount,
    RevertedCount,
    KeptCount,
    Error,
    CreatedAt,
    StartedAt,
    FinishedAt,
    RevertedAt,
    HeartbeatAt,
}

#[derive(DeriveIden)]
enum CustomerImportRow {
    Table,
    Id,
    ImportId,
    Line,
    Outcome,
    CustomerId,
    CustomerName,
    Message,
    Before,
    RevertNote,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomerImport::Table)
                    .col(pk_auto(CustomerImport::Id))
                    .col(integer(CustomerImport::UserId))
                    .col(string(CustomerImport::FileName))
                    .col(text(CustomerImport::Content))
                    .col(integer(CustomerImport::RowCount))
                    .col(text(CustomerImport::Headers))
                    .col(text(CustomerImport::Mapping))
                    .col(string(CustomerImport::Mode))
                    .col(string(CustomerImport::Status))
                    .col(integer(CustomerImport::Processed).default(0))
                    .col(integer(CustomerImport::CreatedCount).default(0))
                    .col(integer(CustomerImport::UpdatedCount).default(0))
                    .col(integer(CustomerImport::SkippedCount).default(0))
                    .col(integer(CustomerImport::FailedCount).default(0))
                    .col(integer(CustomerImport::RevertedCount).default(0))
                    .col(integer(CustomerImport::KeptCount).default(0))
                    .col(text_null(CustomerImport::Error))
                    .col(timestamp_with_time_zone(CustomerImport::CreatedAt))
                    .col(timestamp_with_time_zone_null(CustomerImport::StartedAt))
                    .col(timestamp_with_time_zone_null(CustomerImport::FinishedAt))
                    .col(timestamp_with_time_zone_null(CustomerImport::RevertedAt))
                    .col(timestamp_with_time_zone_null(CustomerImport::HeartbeatAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(CustomerImport::Table)
                            .from_col(CustomerImport::UserId)
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
                    .name("idx_customer_import_user")
                    .table(CustomerImport::Table)
                    .col(CustomerImport::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_import_status")
                    .table(CustomerImport::Table)
                    .col(CustomerImport::Status)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomerImportRow::Table)
                    .col(pk_auto(CustomerImportRow::Id))
                    .col(integer(CustomerImportRow::ImportId))
                    .col(integer(CustomerImportRow::Line))
                    .col(string(CustomerImportRow::Outcome))
                    .col(integer_null(CustomerImportRow::CustomerId))
                    .col(string(CustomerImportRow::CustomerName))
                    .col(text(CustomerImportRow::Message))
                    .col(text_null(CustomerImportRow::Before))
                    .col(text_null(CustomerImportRow::RevertNote))
                    .foreign_key(
                        ForeignKey::create()
                            .from_tbl(CustomerImportRow::Table)
                            .from_col(CustomerImportRow::ImportId)
                            .to_tbl(CustomerImport::Table)
                            .to_col(CustomerImport::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_customer_import_row_line")
                    .table(CustomerImportRow::Table)
                    .col(CustomerImportRow::ImportId)
                    .col(CustomerImportRow::Line)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerImportRow::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CustomerImport::Table).to_owned())
            .await
    }
}
