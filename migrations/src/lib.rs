//! The database schema history. Each migration is frozen once released; this crate never
//! depends on `app`, so old migrations keep compiling whatever the entities become.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_create_foundation;
mod m20261122_000002_create_crm_core;
mod m20261123_000003_create_api_tokens;
mod m20261123_000004_create_customer_imports;
mod m20261123_000005_customer_list_indexes;
mod m20261123_000006_create_processes;
mod m20261201_000007_secure_mail_and_resets;
mod m20261202_000008_activity_stream;
mod m20261202_000009_email_headers;
mod m20261202_000010_leases;
mod m20261202_000011_my_day_indexes;
mod m20261202_000012_run_list_indexes;
mod m20261203_000013_pattern_examples;
mod m20261203_000014_my_day_order_indexes;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_foundation::Migration),
            Box::new(m20261122_000002_create_crm_core::Migration),
            Box::new(m20261123_000003_create_api_tokens::Migration),
            Box::new(m20261123_000004_create_customer_imports::Migration),
            Box::new(m20261123_000005_customer_list_indexes::Migration),
            Box::new(m20261123_000006_create_processes::Migration),
            Box::new(m20261201_000007_secure_mail_and_resets::Migration),
            Box::new(m20261202_000008_activity_stream::Migration),
            Box::new(m20261202_000009_email_headers::Migration),
            Box::new(m20261202_000010_leases::Migration),
            Box::new(m20261202_000011_my_day_indexes::Migration),
            Box::new(m20261202_000012_run_list_indexes::Migration),
            Box::new(m20261203_000013_pattern_examples::Migration),
            Box::new(m20261203_000014_my_day_order_indexes::Migration),
        ]
    }
}
