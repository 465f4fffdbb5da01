//! The activity stream that adoption analytics reads: every key action records one
//! `activity_event`, so each row now also says which team it happened in and which customer,
//! process run and step it concerns. Indexes serve "what happened in this team since" and
//! "what happened to this customer".

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ActivityEvent {
    Table,
    Kind,
    TeamId,
    CustomerId,
    RunId,
    StepRunId,
    CreatedAt,
}

const COLUMNS: [ActivityEvent; 4] = [
    ActivityEvent::TeamId,
    ActivityEvent::CustomerId,
    ActivityEvent::RunId,
    ActivityEvent::StepRunId,
];

/// Each index: its name and the column that leads it (then the time).
const INDEXES: [(&str, ActivityEvent); 3] = [
    ("idx_activity_event_team_time", ActivityEvent::TeamId),
    ("idx_activity_event_customer", ActivityEvent::CustomerId),
    ("idx_activity_event_kind_time", ActivityEvent::Kind),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        for column in COLUMNS {
            manager
                .alter_table(
                    Table::alter()
                        .table(ActivityEvent::Table)
                        .add_column(integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        for (name, column) in INDEXES {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ActivityEvent::Table)
                        .col(column)
                        .col(ActivityEvent::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in INDEXES {
            manager
                .drop_index(Index::drop().name(name).table(ActivityEvent::Table).to_owned())
                .await?;
        }
        for column in COLUMNS {
            manager
                .alter_table(Table::alter().table(ActivityEvent::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
