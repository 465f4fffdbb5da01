//! One lease scheme for the workers (`platform::leases`): a lease token on the outbox messages
//! (their expiry is `locked_until`) and a token and an expiry on the imports. Whatever a worker
//! writes when it finishes is conditional on its token, so a worker whose lease ran out and
//! was taken over writes nothing.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    LeaseToken,
}

#[derive(DeriveIden)]
enum CustomerImport {
    Table,
    LeaseToken,
    LeaseUntil,
}

/// The columns added, one statement each (SQLite adds one column per statement).
fn columns() -> Vec<(DynIden, DynIden, ColumnDef)> {
    vec![
        (OutboxMessage::Table.into_iden(), OutboxMessage::LeaseToken.into_iden(), text_null(OutboxMessage::LeaseToken)),
        (CustomerImport::Table.into_iden(), CustomerImport::LeaseToken.into_iden(), text_null(CustomerImport::LeaseToken)),
        (
            CustomerImport::Table.into_iden(),
            CustomerImport::LeaseUntil.into_iden(),
            timestamp_with_time_zone_null(CustomerImport::LeaseUntil),
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _, column) in columns() {
            manager
                .alter_table(Table::alter().table(table).add_column(column).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, name, _) in columns().into_iter().rev() {
            manager
                .alter_table(Table::alter().table(table).drop_column(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
