//! Teams and their managers.

use crate::error::{AppError, AppResult};
use crate::model::user::Role;
use crate::server::entities::{app_user, team, team_manager};
use crate::server::services::platform::{audit, begin_write, now, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
    SqlErr, TransactionSession, TransactionTrait,
};

fn check_team_name(name: &str) -> AppResult<String> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::field("name", "Enter a team name."));
    }
    if name.chars().count() > 80 {
        return Err(AppError::field("name", "Use at most 80 characters."));
    }
    if crate::server::services::platform::has_control_chars(name) {
        return Err(AppError::field("name", crate::server::services::platform::CONTROL_CHARS_MESSAGE));
    }
    Ok(name.to_string())
}

fn taken(e: sea_orm::DbErr) -> AppError {
    if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) {
        AppError::field("name", "A team with this name already exists.")
    } else {
        e.into()
    }
}

pub async fn create<C: ConnectionTrait>(
    db: &C,
    actor_id: i32,
    name: &str,
) -> AppResult<team::Model> {
    let name = check_team_name(name)?;
    let created = team::ActiveModel {
        name: Set(name),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(taken)?;
    audit::record(
        db,
        Some(actor_id),
        "team.create",
        "team",
        created.id,
        None::<&()>,
        Some(&created.name),
    )
    .await?;
    Ok(created)
}

pub async fn rename<C: ConnectionTrait>(
    db: &C,
    actor_id: i32,
    team_id: i32,
    name: &str,
) -> AppResult<team::Model> {
    let name = check_team_name(name)?;
    let found = team::Entity::find_by_id(team_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = found.name.clone();
    let mut changed: team::ActiveModel = found.into();
    changed.name = Set(name);
    let updated = changed.update(db).await.map_err(taken)?;
    audit::record(
        db,
        Some(actor_id),
        "team.rename",
        "team",
        team_id,
        Some(&before),
        Some(&updated.name),
    )
    .await?;
    Ok(updated)
}

/// Replaces the managers of a team. Each must be an active manager or admin.
pub async fn set_managers<C: TransactionTrait>(
    db: &C,
    actor_id: i32,
    team_id: i32,
    manager_ids: &[i32],
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    replace_managers(&txn, actor_id, team_id, manager_ids.to_vec()).await?;
    txn.commit().await?;
    Ok(())
}

/// Names one more manager of a team.
pub async fn add_manager<C: TransactionTrait>(
    db: &C,
    actor_id: i32,
    team_id: i32,
    user_id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let mut ids = managers_of(&txn, team_id).await?;
    if ids.contains(&user_id) {
        return Err(AppError::field(
            "user_id",
            "Already a manager of this team.",
        ));
    }
    ids.push(user_id);
    replace_managers(&txn, actor_id, team_id, ids).await?;
    txn.commit().await?;
    Ok(())
}

/// Removes one manager from a team.
pub async fn remove_manager<C: TransactionTrait>(
    db: &C,
    actor_id: i32,
    team_id: i32,
    user_id: i32,
) -> AppResult<()> {
    let txn = begin_write(db).await?;
    let ids = managers_of(&txn, team_id)
        .await?
        .into_iter()
        .filter(|id| *id != user_id)
        .collect();
    replace_managers(&txn, actor_id, team_id, ids).await?;
    txn.commit().await?;
    Ok(())
}

/// Inside a transaction: checks the new managers, replaces the links, audits the change.
async fn replace_managers<C: ConnectionTrait>(
    db: &C,
    actor_id: i32,
    team_id: i32,
    mut ids: Vec<i32>,
) -> AppResult<()> {
    team::Entity::find_by_id(team_id)
        .one(db)
        .await?
        .ok_or(AppError::NotFound)?;
    let before = managers_of(db, team_id).await?;
    for id in &ids {
        let user = users::find(db, *id)
            .await
            .map_err(|_| AppError::field("user_id", "Choose a person from the list."))?;
        let role = user.role;
        if !user.active || !role.at_least(Role::Manager) {
            return Err(AppError::field(
                "user_id",
                format!("{} is not an active manager or admin.", user.name),
            ));
        }
    }
    team_manager::Entity::delete_many()
        .filter(team_manager::Column::TeamId.eq(team_id))
        .exec(db)
        .await?;
    ids.sort_unstable();
    ids.dedup();
    for id in &ids {
        team_manager::ActiveModel {
            team_id: Set(team_id),
            user_id: Set(*id),
        }
        .insert(db)
        .await?;
    }
    audit::record(
        db,
        Some(actor_id),
        "team.set_managers",
        "team",
        team_id,
        Some(&before),
        Some(&ids),
    )
    .await?;
    Ok(())
}

pub async fn managers_of<C: ConnectionTrait>(db: &C, team_id: i32) -> AppResult<Vec<i32>> {
    Ok(team_manager::Entity::find()
        .filter(team_manager::Column::TeamId.eq(team_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

pub async fn all<C: ConnectionTrait>(db: &C) -> AppResult<Vec<team::Model>> {
    Ok(team::Entity::find()
        .order_by_asc(team::Column::Name)
        .all(db)
        .await?)
}

pub async fn all_users<C: ConnectionTrait>(db: &C) -> AppResult<Vec<app_user::Model>> {
    Ok(app_user::Entity::find()
        .order_by_asc(app_user::Column::Name)
        .all(db)
        .await?)
}

/// Every team with its managers and member count, and the users who may manage a team.
pub async fn overview<C: ConnectionTrait>(db: &C) -> AppResult<crate::model::admin::TeamsAdmin> {
    use crate::model::admin::{TeamRef, TeamView, TeamsAdmin};
    let teams = all(db).await?;
    let users = all_users(db).await?;
    let links = team_manager::Entity::find().all(db).await?;
    let name_of = |id: i32| {
        users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    Ok(TeamsAdmin {
        teams: teams
            .iter()
            .map(|t| TeamView {
                id: t.id,
                name: t.name.clone(),
                managers: links
                    .iter()
                    .filter(|l| l.team_id == t.id)
                    .map(|l| TeamRef {
                        id: l.user_id,
                        name: name_of(l.user_id),
                    })
                    .collect(),
                member_count: users
                    .iter()
                    .filter(|u| u.team_id == Some(t.id) && u.active)
                    .count(),
            })
            .collect(),
        candidates: users
            .iter()
            .filter(|u| u.active && u.role.at_least(Role::Manager))
            .map(|u| TeamRef {
                id: u.id,
                name: u.name.clone(),
            })
            .collect(),
    })
}
