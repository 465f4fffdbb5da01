//! Admin server functions, all under `/api/admin/`: users, invitations, the dev mailbox.

use crate::error::AppError;
use crate::model::admin::{Mailbox, UsersAdmin};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn parse_team(team_id: &str) -> Result<Option<i32>, AppError> {
    match team_id.trim() {
        "" => Ok(None),
        v => v
            .parse()
            .map(Some)
            .map_err(|_| AppError::field("team_id", "Choose a team from the list.")),
    }
}

#[cfg(feature = "ssr")]
fn parse_role(role: &str) -> Result<crate::model::user::Role, AppError> {
    crate::model::user::Role::parse(role)
        .ok_or_else(|| AppError::field("role", "Choose a role from the list."))
}

#[server(prefix = "/api", endpoint = "admin/list_users")]
pub async fn list_users() -> Result<UsersAdmin, AppError> {
    use crate::model::admin::TeamRef;
    use crate::server::{
        auth,
        services::platform::{teams, users},};
    let state = auth::Caller::signed_in()?.admin()?.state;
    let all_teams = teams::all(&state.db).await?;
    let name_of = |id: Option<i32>| {
        id.and_then(|id| {
            all_teams
                .iter()
                .find(|t| t.id == id)
                .map(|t| t.name.clone())
        })
    };
    let list = teams::all_users(&state.db).await?;
    Ok(UsersAdmin {
        users: list
            .iter()
            .map(|u| users::to_view(u, name_of(u.team_id)))
            .collect(),
        teams: all_teams
            .iter()
            .map(|t| TeamRef {
                id: t.id,
                name: t.name.clone(),
            })
            .collect(),
    })
}

#[server(prefix = "/api", endpoint = "admin/invite_user")]
pub async fn invite_user(
    name: String,
    email: String,
    role: String,
    team_id: String,
) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    let keep = |e: AppError| {
        e.with_values([
            ("name", name.clone()),
            ("email", email.clone()),
            ("role", role.clone()),
            ("team_id", team_id.clone()),
        ])
    };
    let role_parsed = parse_role(&role).map_err(keep)?;
    let team = parse_team(&team_id).map_err(keep)?;
    accounts::invite(
        &state.db,
        &state.config,
        (caller.id(), &caller.user().name),
        accounts::Invite {
            email: &email,
            name: &name,
            role: role_parsed,
            team_id: team,
        },
    )
    .await
    .map_err(keep)?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/update_user")]
pub async fn update_user(user_id: i32, role: String, team_id: String) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    accounts::update_role_and_team(
        &state.db,
        caller.id(),
        user_id,
        parse_role(&role)?,
        parse_team(&team_id)?,
    )
    .await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/set_user_active")]
pub async fn set_user_active(user_id: i32, active: bool) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    accounts::set_active(&state.db, caller.id(), user_id, active).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/resend_invitation")]
pub async fn resend_invitation(user_id: i32) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::accounts};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    accounts::resend_invitation(
        &state.db,
        &state.config,
        (caller.id(), &caller.user().name),
        user_id,
    )
    .await
}

#[server(prefix = "/api", endpoint = "admin/list_outbox")]
pub async fn list_outbox() -> Result<Mailbox, AppError> {
    use crate::model::admin::OutboxView;
    use crate::server::{auth, services::platform::outbox};
    let state = auth::Caller::signed_in()?.admin()?.state;
    let messages = outbox::recent(&state.db, 200).await?;
    let delivering = state.mailer.is_delivering();
    Ok(Mailbox {
        delivering,
        messages: messages
            .into_iter()
            .map(|m| OutboxView {
                id: m.id,
                recipient: m.recipient,
                subject: m.subject,
                category: m.category,
                status: m.status,
                attempts: m.attempts,
                last_error: m.last_error,
                created_at: m.created_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                // Live links show only while mail stays here (the development aid).
                body_text: if delivering { outbox::without_secret(&m.body_text, m.secret.as_deref()) } else { m.body_text },
            })
            .collect(),
    })
}

#[server(prefix = "/api", endpoint = "admin/list_teams")]
pub async fn list_teams() -> Result<crate::model::admin::TeamsAdmin, AppError> {
    use crate::server::{auth, services::platform::teams};
    let state = auth::Caller::signed_in()?.admin()?.state;
    teams::overview(&state.db).await
}

#[server(prefix = "/api", endpoint = "admin/create_team")]
pub async fn create_team(name: String) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::teams};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    teams::create(&state.db, caller.id(), &name)
        .await
        .map_err(|e| e.with_values([("name", name.clone())]))?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/rename_team")]
pub async fn rename_team(team_id: i32, name: String) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::teams};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    teams::rename(&state.db, caller.id(), team_id, &name).await?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/add_team_manager")]
pub async fn add_team_manager(team_id: i32, user_id: String) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::teams};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    let user_id = user_id
        .parse::<i32>()
        .map_err(|_| AppError::field("user_id", "Choose a person from the list."))?;
    teams::add_manager(&state.db, caller.id(), team_id, user_id).await
}

#[server(prefix = "/api", endpoint = "admin/remove_team_manager")]
pub async fn remove_team_manager(team_id: i32, user_id: i32) -> Result<(), AppError> {
    use crate::server::{auth, services::platform::teams};
    let caller = auth::Caller::signed_in()?.admin()?;
    let state = &caller.state;
    teams::remove_manager(&state.db, caller.id(), team_id, user_id).await
}

#[server(prefix = "/api", endpoint = "admin/list_audit")]
pub async fn list_audit(page: u64) -> Result<crate::model::admin::AuditPage, AppError> {
    use crate::server::{auth, services::platform::audit};
    let state = auth::Caller::signed_in()?.admin()?.state;
    audit::page(&state.db, page.min(100_000), 50).await
}

#[server(prefix = "/api", endpoint = "admin/list_stages")]
pub async fn list_stages() -> Result<Vec<crate::model::admin::StageView>, AppError> {
    use crate::server::{auth, services::crm::stages};
    let caller = auth::Caller::signed_in()?.admin()?;
    stages::overview(caller.db()).await
}

#[server(prefix = "/api", endpoint = "admin/create_stage")]
pub async fn create_stage(label: String) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::stages};
    let caller = auth::Caller::signed_in()?.admin()?;
    stages::create(caller.db(), caller.id(), &label)
        .await
        .map_err(|e| e.with_values([("label", label.clone())]))?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/rename_stage")]
pub async fn rename_stage(id: i32, label: String) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::stages};
    let caller = auth::Caller::signed_in()?.admin()?;
    stages::rename(caller.db(), caller.id(), id, &label)
        .await
        .map_err(|e| e.with_values([("stage_id", id.to_string()), ("label", label.clone())]))
}

/// `direction` is `up` (earlier in the lifecycle) or `down`.
#[server(prefix = "/api", endpoint = "admin/move_stage")]
pub async fn move_stage(id: i32, direction: String) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::stages};
    let caller = auth::Caller::signed_in()?.admin()?;
    stages::shift(caller.db(), caller.id(), id, direction == "up").await
}

#[server(prefix = "/api", endpoint = "admin/remove_stage")]
pub async fn remove_stage(id: i32) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::stages};
    let caller = auth::Caller::signed_in()?.admin()?;
    stages::remove(caller.db(), caller.id(), id)
        .await
        .map_err(|e| e.with_values([("stage_id", id.to_string())]))
}

#[server(prefix = "/api", endpoint = "admin/list_fields")]
pub async fn list_fields() -> Result<Vec<crate::model::crm::CustomFieldView>, AppError> {
    use crate::server::{auth, services::crm::fields};
    let caller = auth::Caller::signed_in()?.admin()?;
    fields::overview(caller.db()).await
}

/// Defines a custom field; `required` is a checkbox.
#[server(prefix = "/api", endpoint = "admin/create_field")]
pub async fn create_field(
    #[server(flatten)] form: crate::model::crm::CustomFieldForm,
) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::fields};
    let caller = auth::Caller::signed_in()?.admin()?;
    fields::create(caller.db(), caller.id(), &form)
        .await
        .map_err(|e| e.with_values(form.values()))?;
    leptos_axum::redirect("/admin/fields");
    Ok(())
}

/// Changes field `id`'s definition; its key and type stay as they are.
#[server(prefix = "/api", endpoint = "admin/update_field")]
pub async fn update_field(
    id: i32,
    #[server(flatten)] form: crate::model::crm::CustomFieldForm,
) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::fields};
    let caller = auth::Caller::signed_in()?.admin()?;
    fields::update(caller.db(), caller.id(), id, &form)
        .await
        .map_err(|e| e.with_values(form.values()))?;
    leptos_axum::redirect("/admin/fields");
    Ok(())
}

#[server(prefix = "/api", endpoint = "admin/set_field_active")]
pub async fn set_field_active(id: i32, active: bool) -> Result<(), AppError> {
    use crate::server::{auth, services::crm::fields};
    let caller = auth::Caller::signed_in()?.admin()?;
    fields::set_active(caller.db(), caller.id(), id, active).await
}
