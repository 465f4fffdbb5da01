//! Demo data for `seed-demo` and `make run`: teams and one user of each role with known
//! passwords, added only to an empty database.

use crate::error::AppResult;
use crate::model::user::Role;
use crate::server::entities::{team, team_manager};
use crate::server::services::{now, users};
use sea_orm::{ActiveModelTrait, DatabaseConnection, Set};

pub const DEMO_PASSWORD: &str = "demo-password-2026";

/// (email, name, role) of the demo sign-ins.
pub const DEMO_USERS: [(&str, &str, Role); 3] = [
    ("admin@rapport.test", "Ada Okafor", Role::Admin),
    ("manager@rapport.test", "Max Lindqvist", Role::Manager),
    ("member@rapport.test", "Mia Santos", Role::Member),
];

/// Seeds the demo data when no user exists. Returns whether anything was added.
pub async fn seed(db: &DatabaseConnection) -> AppResult<bool> {
    let txn = super::begin_write(db).await?;
    if !users::needs_setup(&txn).await? {
        return Ok(false);
    }
    let mut team_ids = Vec::new();
    for name in ["North Region", "South Region"] {
        let t = team::ActiveModel {
            name: Set(name.to_string()),
            created_at: Set(now()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        team_ids.push(t.id);
    }
    for (email, name, role) in DEMO_USERS {
        let team_id = if role == Role::Admin {
            None
        } else {
            team_ids.first().copied()
        };
        let user = users::create(
            &txn,
            users::NewUser {
                name,
                email,
                password: Some(DEMO_PASSWORD),
                role,
                team_id,
                timezone: "Europe/Berlin",
            },
        )
        .await?;
        if role == Role::Manager
            && let Some(team_id) = team_id
        {
            team_manager::ActiveModel {
                team_id: Set(team_id),
                user_id: Set(user.id),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}
