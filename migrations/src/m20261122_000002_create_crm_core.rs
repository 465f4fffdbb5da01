//! The CRM core: lifecycle stages, customers with tags and contacts, interactions, follow-ups,
//! and admin-defined custom fields with their values (who set or confirmed them, and when).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Team {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AppUser {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum LifecycleStage {
    Table,
    Id,
    Key,
    Label,
    Position,
}

#[derive(DeriveIden)]
enum Customer {
    Table,
    Id,
    Kind,
    Name,
    NameKey,
    Email,
    EmailKey,
    Phone,
    Notes,
    OwnerId,
    TeamId,
    StageId,
    Quality,
    QualityExpiresAt,
    LastInteractionAt,
    NextFollowUpAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CustomerTag {
    Table,
    CustomerId,
    Tag,
}

#[derive(DeriveIden)]
enum Contact {
    Table,
    Id,
    CustomerId,
    Name,
    Title,
    Email,
    Phone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Interaction {
    Table,
    Id,
    CustomerId,
    AuthorId,
    Kind,
    OccurredAt,
    Summary,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FollowUp {
    Table,
    Id,
    CustomerId,
    AssigneeId,
    CreatedBy,
    DueAt,
    Note,
    Status,
    CompletedAt,
    CompletedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomField {
    Table,
    Id,
    Key,
    Label,
    FieldType,
    Options,
    Required,
    MinValue,
    MaxValue,
    Pattern,
    OwnerRole,
    FreshnessDays,
    Position,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum CustomValue {
    Table,
    CustomerId,
    FieldId,
    Value,
    UpdatedAt,
    UpdatedBy,
    ConfirmedAt,
    ConfirmedBy,
}

fn references(
    from: impl IntoIden,
    column: impl IntoIden,
    to: impl IntoIden,
    to_column: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_tbl(from)
        .from_col(column)
        .to_tbl(to)
        .to_col(to_column)
        .on_delete(on_delete)
        .to_owned()
}

async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> Result<(), DbErr> {
    let mut statement = Index::create().name(name).table(table).to_owned();
    for column in columns {
        statement.col(column);
    }
    manager.create_index(statement).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        use ForeignKeyAction::{Cascade, Restrict, SetNull};
        manager
            .create_table(
                Table::create()
                    .table(LifecycleStage::Table)
                    .col(pk_auto(LifecycleStage::Id))
                    .col(string_uniq(LifecycleStage::Key))
                    .col(string(LifecycleStage::Label))
                    .col(integer(LifecycleStage::Position))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Customer::Table)
                    .col(pk_auto(Customer::Id))
                    .col(string(Customer::Kind))
                    .col(string(Customer::Name))
                    // Lower-case letters and digits only: finds near-identical names.
                    .col(string(Customer::NameKey))
                    .col(string_null(Customer::Email))
                    // Lower-cased email; unique, so imports can match on it.
                    .col(string_null(Customer::EmailKey).unique_key())
                    .col(string_null(Customer::Phone))
                    .col(text(Customer::Notes))
                    .col(integer(Customer::OwnerId))
                    .col(integer_null(Customer::TeamId))
                    .col(integer(Customer::StageId))
                    // Share of required fields filled and fresh, 0..=100, kept current on write.
                    .col(integer(Customer::Quality))
                    // When a value goes stale and the score must be computed again.
                    .col(timestamp_with_time_zone_null(Customer::QualityExpiresAt))
                    .col(timestamp_with_time_zone_null(Customer::LastInteractionAt))
                    .col(timestamp_with_time_zone_null(Customer::NextFollowUpAt))
                    .col(integer_null(Customer::CreatedBy))
                    .col(timestamp_with_time_zone(Customer::CreatedAt))
                    .col(timestamp_with_time_zone(Customer::UpdatedAt))
                    .foreign_key(&mut references(
                        Customer::Table,
                        Customer::OwnerId,
                        AppUser::Table,
                        AppUser::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut references(
                        Customer::Table,
                        Customer::TeamId,
                        Team::Table,
                        Team::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut references(
                        Customer::Table,
                        Customer::StageId,
                        LifecycleStage::Table,
                        LifecycleStage::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut references(
                        Customer::Table,
                        Customer::CreatedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_customer_team_name", vec![Customer::TeamId, Customer::NameKey]),
            ("idx_customer_name", vec![Customer::NameKey]),
            ("idx_customer_owner", vec![Customer::OwnerId, Customer::NameKey]),
            ("idx_customer_follow_up", vec![Customer::NextFollowUpAt]),
            ("idx_customer_last_interaction", vec![Customer::LastInteractionAt]),
            ("idx_customer_quality", vec![Customer::Quality, Customer::NameKey]),
            ("idx_customer_stage", vec![Customer::StageId, Customer::NameKey]),
            ("idx_customer_phone", vec![Customer::Phone]),
            ("idx_customer_quality_expiry", vec![Customer::QualityExpiresAt]),
        ] {
            index(
                manager,
                name,
                Customer::Table,
                columns.into_iter().map(|c| c.into_iden()).collect(),
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomerTag::Table)
                    .col(integer(CustomerTag::CustomerId))
                    .col(string(CustomerTag::Tag))
                    .primary_key(
                        Index::create()
                            .col(CustomerTag::CustomerId)
                            .col(CustomerTag::Tag),
                    )
                    .foreign_key(&mut references(
                        CustomerTag::Table,
                        CustomerTag::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_customer_tag_tag",
            CustomerTag::Table,
            vec![CustomerTag::Tag.into_iden(), CustomerTag::CustomerId.into_iden()],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Contact::Table)
                    .col(pk_auto(Contact::Id))
                    .col(integer(Contact::CustomerId))
                    .col(string(Contact::Name))
                    .col(string(Contact::Title))
                    .col(string_null(Contact::Email))
                    .col(string_null(Contact::Phone))
                    .col(timestamp_with_time_zone(Contact::CreatedAt))
                    .foreign_key(&mut references(
                        Contact::Table,
                        Contact::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_contact_customer",
            Contact::Table,
            vec![Contact::CustomerId.into_iden()],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(Interaction::Table)
                    .col(pk_auto(Interaction::Id))
                    .col(integer(Interaction::CustomerId))
                    .col(integer_null(Interaction::AuthorId))
                    .col(string(Interaction::Kind))
                    .col(timestamp_with_time_zone(Interaction::OccurredAt))
                    .col(text(Interaction::Summary))
                    .col(text(Interaction::Outcome))
                    .col(timestamp_with_time_zone(Interaction::CreatedAt))
                    .foreign_key(&mut references(
                        Interaction::Table,
                        Interaction::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut references(
                        Interaction::Table,
                        Interaction::AuthorId,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_interaction_customer_time",
            Interaction::Table,
            vec![
                Interaction::CustomerId.into_iden(),
                Interaction::OccurredAt.into_iden(),
            ],
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowUp::Table)
                    .col(pk_auto(FollowUp::Id))
                    .col(integer(FollowUp::CustomerId))
                    .col(integer(FollowUp::AssigneeId))
                    .col(integer_null(FollowUp::CreatedBy))
                    .col(timestamp_with_time_zone(FollowUp::DueAt))
                    .col(text(FollowUp::Note))
                    // open, done, cancelled
                    .col(string(FollowUp::Status))
                    .col(timestamp_with_time_zone_null(FollowUp::CompletedAt))
                    .col(integer_null(FollowUp::CompletedBy))
                    .col(timestamp_with_time_zone(FollowUp::CreatedAt))
                    .foreign_key(&mut references(
                        FollowUp::Table,
                        FollowUp::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut references(
                        FollowUp::Table,
                        FollowUp::AssigneeId,
                        AppUser::Table,
                        AppUser::Id,
                        Restrict,
                    ))
                    .foreign_key(&mut references(
                        FollowUp::Table,
                        FollowUp::CreatedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut references(
                        FollowUp::Table,
                        FollowUp::CompletedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            (
                "idx_follow_up_assignee",
                vec![FollowUp::AssigneeId, FollowUp::Status, FollowUp::DueAt],
            ),
            (
                "idx_follow_up_customer",
                vec![FollowUp::CustomerId, FollowUp::Status, FollowUp::DueAt],
            ),
        ] {
            index(
                manager,
                name,
                FollowUp::Table,
                columns.into_iter().map(|c| c.into_iden()).collect(),
            )
            .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CustomField::Table)
                    .col(pk_auto(CustomField::Id))
                    .col(string_uniq(CustomField::Key))
                    .col(string(CustomField::Label))
                    // text, number, date, choice
                    .col(string(CustomField::FieldType))
                    // JSON array of the choices of a `choice` field.
                    .col(text(CustomField::Options))
                    .col(boolean(CustomField::Required))
                    .col(double_null(CustomField::MinValue))
                    .col(double_null(CustomField::MaxValue))
                    .col(string_null(CustomField::Pattern))
                    .col(string(CustomField::OwnerRole))
                    .col(integer_null(CustomField::FreshnessDays))
                    .col(integer(CustomField::Position))
                    .col(boolean(CustomField::Active))
                    .col(timestamp_with_time_zone(CustomField::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CustomValue::Table)
                    .col(integer(CustomValue::CustomerId))
                    .col(integer(CustomValue::FieldId))
                    .col(text(CustomValue::Value))
                    .col(timestamp_with_time_zone(CustomValue::UpdatedAt))
                    .col(integer_null(CustomValue::UpdatedBy))
                    .col(timestamp_with_time_zone(CustomValue::ConfirmedAt))
                    .col(integer_null(CustomValue::ConfirmedBy))
                    .primary_key(
                        Index::create()
                            .col(CustomValue::CustomerId)
                            .col(CustomValue::FieldId),
                    )
                    .foreign_key(&mut references(
                        CustomValue::Table,
                        CustomValue::CustomerId,
                        Customer::Table,
                        Customer::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut references(
                        CustomValue::Table,
                        CustomValue::FieldId,
                        CustomField::Table,
                        CustomField::Id,
                        Cascade,
                    ))
                    .foreign_key(&mut references(
                        CustomValue::Table,
                        CustomValue::UpdatedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .foreign_key(&mut references(
                        CustomValue::Table,
                        CustomValue::ConfirmedBy,
                        AppUser::Table,
                        AppUser::Id,
                        SetNull,
                    ))
                    .to_owned(),
            )
            .await?;
        // The default lifecycle; admins rename, reorder and extend it.
        for (position, (key, label)) in [
            ("prospect", "Prospect"),
            ("onboarding", "Onboarding"),
            ("active", "Active"),
            ("at_risk", "At risk"),
            ("closed", "Closed"),
        ]
        .into_iter()
        .enumerate()
        {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table(LifecycleStage::Table)
                        .columns([
                            LifecycleStage::Key,
                            LifecycleStage::Label,
                            LifecycleStage::Position,
                        ])
                        .values_panic([key.into(), label.into(), (position as i32).into()])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            CustomValue::Table.into_iden(),
            CustomField::Table.into_iden(),
            FollowUp::Table.into_iden(),
            Interaction::Table.into_iden(),
            Contact::Table.into_iden(),
            CustomerTag::Table.into_iden(),
            Customer::Table.into_iden(),
            LifecycleStage::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
