//! Indexes that hand "My day" a caller's open steps already in due order: by assignee
//! (replacing the (status, assignee) index, which it extends) and by role, each ending in the
//! due time, so a page of the most urgent steps is read from the front of an index instead of
//! sorting every open step.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessStepRun {
    Table,
    Status,
    AssigneeId,
    AssigneeRole,
    DueAt,
}

const OLD: &str = "idx_process_step_run_assignee";
const BY_ASSIGNEE: &str = "idx_process_step_run_assignee_due";
const BY_ROLE: &str = "idx_process_step_run_role_due";

fn create(name: &str, by: ProcessStepRun) -> IndexCreateStatement {
    Index::create()
        .name(name)
        .table(ProcessStepRun::Table)
        .col(ProcessStepRun::Status)
        .col(by)
        .col(ProcessStepRun::DueAt)
        .to_owned()
}

fn drop(name: &str) -> IndexDropStatement {
    Index::drop().name(name).table(ProcessStepRun::Table).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_index(create(BY_ASSIGNEE, ProcessStepRun::AssigneeId)).await?;
        manager.create_index(create(BY_ROLE, ProcessStepRun::AssigneeRole)).await?;
        manager.drop_index(drop(OLD)).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD)
                    .table(ProcessStepRun::Table)
                    .col(ProcessStepRun::Status)
                    .col(ProcessStepRun::AssigneeId)
                    .to_owned(),
            )
            .await?;
        manager.drop_index(drop(BY_ROLE)).await?;
        manager.drop_index(drop(BY_ASSIGNEE)).await
    }
}
