//! Users, teams, sessions, one-time tokens, sign-in throttling, the mail outbox, the audit
//! log, activity events and instance settings: the tables every feature builds on.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Role,
    TeamId,
    Timezone,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeamManager {
    Table,
    TeamId,
    UserId,
}

#[derive(DeriveIden)]
enum Session {
    Table,
    Id,
    UserId,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum OneTimeToken {
    Table,
    Id,
    Purpose,
    UserId,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum SignInFailure {
    Table,
    Id,
    Email,
    ClientAddr,
    AttemptedAt,
}

#[derive(DeriveIden)]
enum OutboxMessage {
    Table,
    Id,
    Recipient,
    Subject,
    BodyText,
    BodyHtml,
    Category,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    DedupeKey,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    ActorId,
    Action,
    EntityType,
    EntityId,
    BeforeValue,
    AfterValue,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ActivityEvent {
    Table,
    Id,
    UserId,
    Kind,
    SubjectType,
    SubjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Setting {
    Table,
    Key,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Team::Table)
                    .col(pk_auto(Team::Id))
                    .col(string_uniq(Team::Name))
                    .col(timestamp_with_time_zone(Team::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AppUser::Table)
                    .col(pk_auto(AppUser::Id))
                    .col(string_uniq(AppUser::Email))
                    .col(string(AppUser::Name))
                    .col(string_null(AppUser::PasswordHash))
                    .col(string(AppUser::Role))
                    .col(integer_null(AppUser::TeamId))
                    .col(string(AppUser::Timezone))
                    .col(boolean(AppUser::Active))
                    .col(timestamp_with_time_zone(AppUser::CreatedAt))
                    .col(timestamp_with_time_zone(AppUser::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AppUser::Table, AppUser::TeamId)
                            .to(Team::Table, Team::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TeamManager::Table)
                    .col(integer(TeamManager::TeamId))
                    .col(integer(TeamManager::UserId))
                    .primary_key(
                        Index::create()
                            .col(TeamManager::TeamId)
                            .col(TeamManager::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamManager::Table, TeamManager::TeamId)
                            .to(Team::Table, Team::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(TeamManager::Table, TeamManager::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Session::Table)
                    // SHA-256 of the cookie token, hex: the token itself is never stored.
                    .col(string(Session::Id).primary_key())
                    .col(integer(Session::UserId))
                    .col(timestamp_with_time_zone(Session::CreatedAt))
                    .col(timestamp_with_time_zone(Session::LastSeenAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Session::Table, Session::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_session_user")
                    .table(Session::Table)
                    .col(Session::UserId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OneTimeToken::Table)
                    .col(string(OneTimeToken::Id).primary_key())
                    .col(string(OneTimeToken::Purpose))
                    .col(integer(OneTimeToken::UserId))
                    .col(timestamp_with_time_zone(OneTimeToken::CreatedAt))
                    .col(timestamp_with_time_zone(OneTimeToken::ExpiresAt))
                    .col(timestamp_with_time_zone_null(OneTimeToken::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(OneTimeToken::Table, OneTimeToken::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SignInFailure::Table)
                    .col(pk_auto(SignInFailure::Id))
                    .col(string(SignInFailure::Email))
                    .col(string(SignInFailure::ClientAddr))
                    .col(timestamp_with_time_zone(SignInFailure::AttemptedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sign_in_failure_pair")
                    .table(SignInFailure::Table)
                    .col(SignInFailure::Email)
                    .col(SignInFailure::ClientAddr)
                    .col(SignInFailure::AttemptedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(OutboxMessage::Table)
                    .col(pk_auto(OutboxMessage::Id))
                    .col(string(OutboxMessage::Recipient))
                    .col(string(OutboxMessage::Subject))
                    .col(text(OutboxMessage::BodyText))
                    .col(text(OutboxMessage::BodyHtml))
                    .col(string(OutboxMessage::Category))
                    .col(string(OutboxMessage::Status))
                    .col(integer(OutboxMessage::Attempts))
                    .col(timestamp_with_time_zone(OutboxMessage::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(OutboxMessage::LockedUntil))
                    .col(text_null(OutboxMessage::LastError))
                    .col(string_uniq(OutboxMessage::DedupeKey))
                    .col(timestamp_with_time_zone(OutboxMessage::CreatedAt))
                    .col(timestamp_with_time_zone_null(OutboxMessage::SentAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_due")
                    .table(OutboxMessage::Table)
                    .col(OutboxMessage::Status)
                    .col(OutboxMessage::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(pk_auto(AuditLog::Id))
                    .col(integer_null(AuditLog::ActorId))
                    .col(string(AuditLog::Action))
                    .col(string(AuditLog::EntityType))
                    .col(string_null(AuditLog::EntityId))
                    .col(text_null(AuditLog::BeforeValue))
                    .col(text_null(AuditLog::AfterValue))
                    .col(timestamp_with_time_zone(AuditLog::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(AuditLog::Table, AuditLog::ActorId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ActivityEvent::Table)
                    .col(pk_auto(ActivityEvent::Id))
                    .col(integer(ActivityEvent::UserId))
                    .col(string(ActivityEvent::Kind))
                    .col(string_null(ActivityEvent::SubjectType))
                    .col(string_null(ActivityEvent::SubjectId))
                    .col(timestamp_with_time_zone(ActivityEvent::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ActivityEvent::Table, ActivityEvent::UserId)
                            .to(AppUser::Table, AppUser::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Setting::Table)
                    .col(string(Setting::Key).primary_key())
                    .col(text(Setting::Value))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Setting::Table.into_iden(),
            ActivityEvent::Table.into_iden(),
            AuditLog::Table.into_iden(),
            OutboxMessage::Table.into_iden(),
            SignInFailure::Table.into_iden(),
            OneTimeToken::Table.into_iden(),
            Session::Table.into_iden(),
            TeamManager::Table.into_iden(),
            AppUser::Table.into_iden(),
            Team::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
