//! Who may see and change which customer. Members see their team's customers and change the
//! ones they own; managers change their own and managed teams' customers; admins everything.
//! Every customer read and write goes through these checks on the server.

use crate::error::{AppError, AppResult};
use crate::model::user::{Role, UserView};
use crate::server::entities::{customer, team_manager};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};

/// The acting user with the teams they see.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: i32,
    pub name: String,
    pub role: Role,
    pub timezone: String,
    /// Their own team and, for managers, the teams they manage.
    pub teams: Vec<i32>,
}

impl Actor {
    pub async fn load<C: ConnectionTrait>(db: &C, user: &UserView) -> AppResult<Actor> {
        let mut teams: Vec<i32> = user.team_id.into_iter().collect();
        if user.role == Role::Manager {
            let managed = team_manager::Entity::find()
                .filter(team_manager::Column::UserId.eq(user.id))
                .all(db)
                .await?;
            teams.extend(managed.into_iter().map(|m| m.team_id));
        }
        teams.sort_unstable();
        teams.dedup();
        Ok(Actor {
            id: user.id,
            name: user.name.clone(),
            role: user.role,
            timezone: user.timezone.clone(),
            teams,
        })
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// The condition on `customer` rows this actor may see.
    pub fn visible(&self) -> Condition {
        if self.is_admin() {
            return Condition::all();
        }
        Condition::any()
            .add(customer::Column::OwnerId.eq(self.id))
            .add(customer::Column::TeamId.is_in(self.teams.clone()))
    }

    /// The ids of the customers this actor may see, as a subquery for `in_subquery`.
    pub fn visible_ids(&self) -> sea_orm::sea_query::SelectStatement {
        use sea_orm::{QuerySelect, QueryTrait};
        customer::Entity::find()
            .select_only()
            .column(customer::Column::Id)
            .filter(self.visible())
            .into_query()
    }

    /// Nothing when the actor is an admin; otherwise `Forbidden`.
    pub fn require_admin(&self) -> AppResult<()> {
        if self.is_admin() { Ok(()) } else { Err(AppError::Forbidden) }
    }

    pub fn can_see(&self, c: &customer::Model) -> bool {
        self.is_admin()
            || c.owner_id == self.id
            || c.team_id.is_some_and(|t| self.teams.contains(&t))
    }

    pub fn can_edit(&self, c: &customer::Model) -> bool {
        self.is_admin()
            || c.owner_id == self.id
            || (self.role == Role::Manager && c.team_id.is_some_and(|t| self.teams.contains(&t)))
    }

    /// Whether this actor may make `owner_team` (the owner's team) the team of a customer they
    /// assign: admins any, managers their teams, members only themselves (checked by caller).
    pub fn can_assign_to_team(&self, owner_team: Option<i32>) -> bool {
        self.is_admin()
            || (self.role == Role::Manager && owner_team.is_some_and(|t| self.teams.contains(&t)))
    }
}

/// The customer if the actor may see it; `NotFound` otherwise, so ids of other teams'
/// customers are not revealed.
pub async fn visible_customer<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<customer::Model> {
    seen(actor, customer::Entity::find_by_id(id).one(db).await?)
}

fn seen(actor: &Actor, found: Option<customer::Model>) -> AppResult<customer::Model> {
    match found {
        Some(c) if actor.can_see(&c) => Ok(c),
        _ => Err(AppError::NotFound),
    }
}

fn changeable(actor: &Actor, found: customer::Model) -> AppResult<customer::Model> {
    if actor.can_edit(&found) {
        Ok(found)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The customer if the actor may change it; `NotFound` if they cannot see it, `Forbidden` if
/// they can see but not change it.
pub async fn editable_customer<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<customer::Model> {
    changeable(actor, visible_customer(db, actor, id).await?)
}

/// As `editable_customer`, read inside the write transaction `txn` that changes it, with the
/// row locked until `txn` ends (`FOR UPDATE` on PostgreSQL; on SQLite the write transaction
/// already holds the database): the check and what the audit log records as "before" are the
/// row this change replaces, not one another writer changed meanwhile.
pub async fn editable_customer_for_update<C: ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<customer::Model> {
    use sea_orm::QuerySelect;
    let found = customer::Entity::find_by_id(id).lock_exclusive().one(txn).await?;
    changeable(actor, seen(actor, found)?)
}
