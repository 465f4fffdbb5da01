//! Guided processes: templates with numbered versions (draft, published, archived) and their
//! ordered steps; runs of a version on a customer, their step instances with the timings the
//! process-gap analytics read, and the event history of each run.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ProcessTemplate {
    Table,
    Id,
    Name,
    TriggerKind,
    TriggerStageId,
    CreatedBy,
    CreatedAt,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum ProcessVersion {
    Table,
    Id,
    TemplateId,
    Number,
    Status,
    Name,
    Goal,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    PublishedAt,
    PublishedBy,
    ArchivedAt,
}

#[derive(DeriveIden)]
enum ProcessStep {
    Table,
    Id,
    VersionId,
    Position,
    Title,
    Guidance,
    Tip,
    Kind,
    AssigneeRule,
    AssigneeRole,
    AssigneeUserId,
    DueAmount,
    DueUnit,
    DueFrom,
    WorkingDays,
    Optional,
    Fields,
}

#[derive(DeriveIden)]
enum ProcessRun {
    Table,
    Id,
    TemplateId,
    VersionId,
    CustomerId,
    OwnerId,
    Status,
    StartedBy,
    StartedHow,
    StartedAt,
    FinishedAt,
    CancelledBy,
    CancelReason,
    ActiveKey,
    LockVersion,
}

#[derive(DeriveIden)]
enum ProcessStepRun {
    Table,
    Id,
    RunId,
    StepId,
    Position,
    Status,
    AssigneeId,
    AssigneeRole,
    AvailableAt,
    DueAt,
    CompletedAt,
    CompletedBy,
    Decision,
    DecidedAt,
    DecidedBy,
    DecisionReason,
    SkipReason,
    ReopenedCount,
    Data,
}

#[derive(DeriveIden)]
enum ProcessRunEvent {
    Table,
    Id,
    RunId,
    StepRunId,
    ActorId,
    Action,
    Note,
    At,
}

fn fk(
    from: impl IntoIden,
    col: impl IntoIden,
    to: impl IntoIden,
    to_col: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(col)
        .to_tbl(to)
        .to_col(to_col)
        .on_delete(on_delete)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    cols: Vec<DynIden>,
    unique: bool,
) -> Result<(), DbErr> {
    let mut create = Index::create();
    create.name(name).table(table);
    for col in cols {
        create.col(col);
    }
    if unique {
        create.unique();
    }
    manager.create_index(create.to_owned()).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(ProcessTemplate::Table)
                    .col(pk_auto(ProcessTemplate::Id))
                    .col(string(ProcessTemplate::Name))
                    .col(string(ProcessTemplate::TriggerKind))
                    .col(integer_null(ProcessTemplate::TriggerStageId))
                    .col(integer_null(ProcessTemplate::CreatedBy))
                    .col(timestamp_with_time_zone(ProcessTemplate::CreatedAt))
                    .col(timestamp_with_time_zone_null(ProcessTemplate::ArchivedAt))
                    .foreign_key(&mut fk(
                        ProcessTemplate::Table,
                        ProcessTemplate::CreatedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProcessVersion::Table)
                    .col(pk_auto(ProcessVersion::Id))
                    .col(integer(ProcessVersion::TemplateId))
                    .col(integer(ProcessVersion::Number))
                    .col(string(ProcessVersion::Status))
                    .col(string(ProcessVersion::Name))
                    .col(text(ProcessVersion::Goal))
                    .col(integer_null(ProcessVersion::CreatedBy))
                    .col(timestamp_with_time_zone(ProcessVersion::CreatedAt))
                    .col(timestamp_with_time_zone(ProcessVersion::UpdatedAt))
                    .col(timestamp_with_time_zone_null(ProcessVersion::PublishedAt))
                    .col(integer_null(ProcessVersion::PublishedBy))
                    .col(timestamp_with_time_zone_null(ProcessVersion::ArchivedAt))
                    .foreign_key(&mut fk(
                        ProcessVersion::Table,
                        ProcessVersion::TemplateId,
                        ProcessTemplate::Table,
                        ProcessTemplate::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_process_version_number",
            ProcessVersion::Table,
            vec![ProcessVersion::TemplateId.into_iden(), ProcessVersion::Number.into_iden()],
            true,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProcessStep::Table)
                    .col(pk_auto(ProcessStep::Id))
                    .col(integer(ProcessStep::VersionId))
                    .col(integer(ProcessStep::Position))
                    .col(string(ProcessStep::Title))
                    .col(text(ProcessStep::Guidance))
                    .col(text(ProcessStep::Tip))
                    .col(string(ProcessStep::Kind))
                    .col(string(ProcessStep::AssigneeRule))
                    .col(string_null(ProcessStep::AssigneeRole))
                    .col(integer_null(ProcessStep::AssigneeUserId))
                    .col(integer_null(ProcessStep::DueAmount))
                    .col(string(ProcessStep::DueUnit))
                    .col(string(ProcessStep::DueFrom))
                    .col(boolean(ProcessStep::WorkingDays).default(false))
                    .col(boolean(ProcessStep::Optional).default(false))
                    .col(text(ProcessStep::Fields))
                    .foreign_key(&mut fk(
                        ProcessStep::Table,
                        ProcessStep::VersionId,
                        ProcessVersion::Table,
                        ProcessVersion::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProcessStep::Table,
                        ProcessStep::AssigneeUserId,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_process_step_version",
            ProcessStep::Table,
            vec![ProcessStep::VersionId.into_iden(), ProcessStep::Position.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProcessRun::Table)
                    .col(pk_auto(ProcessRun::Id))
                    .col(integer(ProcessRun::TemplateId))
                    .col(integer(ProcessRun::VersionId))
                    .col(integer(ProcessRun::CustomerId))
                    .col(integer(ProcessRun::OwnerId))
                    .col(string(ProcessRun::Status))
                    .col(integer_null(ProcessRun::StartedBy))
                    .col(string(ProcessRun::StartedHow))
                    .col(timestamp_with_time_zone(ProcessRun::StartedAt))
                    .col(timestamp_with_time_zone_null(ProcessRun::FinishedAt))
                    .col(integer_null(ProcessRun::CancelledBy))
                    .col(text_null(ProcessRun::CancelReason))
                    // "template:customer" while the run is active, NULL after: a unique index
                    // on it is the last line of defence against two active runs.
                    .col(string_null(ProcessRun::ActiveKey))
                    .col(integer(ProcessRun::LockVersion).default(0))
                    .foreign_key(&mut fk(
                        ProcessRun::Table,
                        ProcessRun::TemplateId,
                        ProcessTemplate::Table,
                        ProcessTemplate::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProcessRun::Table,
                        ProcessRun::VersionId,
                        ProcessVersion::Table,
                        ProcessVersion::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProcessRun::Table,
                        ProcessRun::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProcessRun::Table,
                        ProcessRun::OwnerId,
                        AppUser::Table,
                        AppUser::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_process_run_active_key",
            ProcessRun::Table,
            vec![ProcessRun::ActiveKey.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_process_run_customer",
            ProcessRun::Table,
            vec![ProcessRun::CustomerId.into_iden()],
            false,
        )
        .await?;
        index(
            manager,
            "idx_process_run_template",
            ProcessRun::Table,
            vec![ProcessRun::TemplateId.into_iden(), ProcessRun::Status.into_iden()],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProcessStepRun::Table)
                    .col(pk_auto(ProcessStepRun::Id))
                    .col(integer(ProcessStepRun::RunId))
                    .col(integer(ProcessStepRun::StepId))
                    .col(integer(ProcessStepRun::Position))
                    .col(string(ProcessStepRun::Status))
                    .col(integer_null(ProcessStepRun::AssigneeId))
                    .col(string_null(ProcessStepRun::AssigneeRole))
                    .col(timestamp_with_time_zone_null(ProcessStepRun::AvailableAt))
                    .col(timestamp_with_time_zone_null(ProcessStepRun::DueAt))
                    .col(timestamp_with_time_zone_null(ProcessStepRun::CompletedAt))
                    .col(integer_null(ProcessStepRun::CompletedBy))
                    .col(string_null(ProcessStepRun::Decision))
                    .col(timestamp_with_time_zone_null(ProcessStepRun::DecidedAt))
                    .col(integer_null(ProcessStepRun::DecidedBy))
                    .col(text_null(ProcessStepRun::DecisionReason))
                    .col(text_null(ProcessStepRun::SkipReason))
                    .col(integer(ProcessStepRun::ReopenedCount).default(0))
                    .col(text_null(ProcessStepRun::Data))
                    .foreign_key(&mut fk(
                        ProcessStepRun::Table,
                        ProcessStepRun::RunId,
                        ProcessRun::Table,
                        ProcessRun::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut fk(
                        ProcessStepRun::Table,
                        ProcessStepRun::StepId,
                        ProcessStep::Table,
                        ProcessStep::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_process_step_run_position",
            ProcessStepRun::Table,
            vec![ProcessStepRun::RunId.into_iden(), ProcessStepRun::Position.into_iden()],
            true,
        )
        .await?;
        index(
            manager,
            "idx_process_step_run_assignee",
            ProcessStepRun::Table,
            vec![
                ProcessStepRun::Status.into_iden(),
                ProcessStepRun::AssigneeId.into_iden(),
            ],
            false,
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ProcessRunEvent::Table)
                    .col(pk_auto(ProcessRunEvent::Id))
                    .col(integer(ProcessRunEvent::RunId))
                    .col(integer_null(ProcessRunEvent::StepRunId))
                    .col(integer_null(ProcessRunEvent::ActorId))
                    .col(string(ProcessRunEvent::Action))
                    .col(text(ProcessRunEvent::Note))
                    .col(timestamp_with_time_zone(ProcessRunEvent::At))
                    .foreign_key(&mut fk(
                        ProcessRunEvent::Table,
                        ProcessRunEvent::RunId,
                        ProcessRun::Table,
                        ProcessRun::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_process_run_event_run",
            ProcessRunEvent::Table,
            vec![ProcessRunEvent::RunId.into_iden(), ProcessRunEvent::Id.into_iden()],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProcessRunEvent::Table.into_iden(),
            ProcessStepRun::Table.into_iden(),
            ProcessRun::Table.into_iden(),
            ProcessStep::Table.into_iden(),
            ProcessVersion::Table.into_iden(),
            ProcessTemplate::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
