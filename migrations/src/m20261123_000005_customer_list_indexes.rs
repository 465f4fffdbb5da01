//! The customer list sorted by name is ordered by (name_key, id). Indexes that end in `id` let
//! PostgreSQL find a page's ids, deep pages included, from the index alone instead of sorting
//! every matching row. (SQLite's indexes end in the row id already; the new ones cost it nothing.)

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    NameKey,
    TeamId,
    OwnerId,
    StageId,
}

/// (old index, new index, leading column or none).
fn indexes() -> [(&'static str, &'static str, Option<Customer>); 4] {
    [
        ("idx_customer_name", "idx_customer_name_id", None),
        ("idx_customer_team_name", "idx_customer_team_name_id", Some(Customer::TeamId)),
        ("idx_customer_owner", "idx_customer_owner_name_id", Some(Customer::OwnerId)),
        ("idx_customer_stage", "idx_customer_stage_name_id", Some(Customer::StageId)),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, lead) in indexes() {
            let mut index = Index::create().name(new).table(Customer::Table).to_owned();
            if let Some(lead) = lead {
                index.col(lead);
            }
            index.col(Customer::NameKey).col(Customer::Id);
            manager.create_index(index).await?;
            manager
                .drop_index(Index::drop().name(old).table(Customer::Table).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, new, lead) in indexes() {
            let mut index = Index::create().name(old).table(Customer::Table).to_owned();
            if let Some(lead) = lead {
                index.col(lead);
            }
            index.col(Customer::NameKey);
            manager.create_index(index).await?;
            manager
                .drop_index(Index::drop().name(new).table(Customer::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
