//! Indexes for a process's page: its runs newest first, (template, started, id), read a page
//! from the front instead of sorting every run of the template; and its versions' run counts,
//! (template, version), counted from the index alone instead of reading each run's row.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessRun {
    Table,
    Id,
    TemplateId,
    VersionId,
    StartedAt,
}

fn indexes() -> Vec<(&'static str, Vec<ProcessRun>)> {
    vec![
        ("idx_process_run_template_started", vec![ProcessRun::TemplateId, ProcessRun::StartedAt, ProcessRun::Id]),
        ("idx_process_run_template_version", vec![ProcessRun::TemplateId, ProcessRun::VersionId]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in indexes() {
            let mut index = Index::create().name(name).table(ProcessRun::Table).to_owned();
            for column in columns {
                index.col(column);
            }
            manager.create_index(index).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in indexes() {
            manager.drop_index(Index::drop().name(name).table(ProcessRun::Table).to_owned()).await?;
        }
        Ok(())
    }
}
