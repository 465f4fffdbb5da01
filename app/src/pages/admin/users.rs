//! Users: invite by email, change role and team, deactivate and reactivate, resend invitations.

use crate::api::admin::{InviteUser, ResendInvitation, SetUserActive, UpdateUser, list_users};
use crate::components::form::{Field, FormError, action_error, field_error, kept_value};
use crate::model::admin::TeamRef;
use crate::model::user::{Role, UserView};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
fn RoleSelect(id: String, #[prop(into)] selected: Signal<String>) -> impl IntoView {
    view! {
        <select id=id name="role">
            {Role::ALL.into_iter().map(|r| {
                let value = r.as_str();
                view! { <option value=value selected=move || selected.get() == value>{r.label()}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
fn TeamSelect(
    id: String,
    teams: Vec<TeamRef>,
    #[prop(into)] selected: Signal<String>,
) -> impl IntoView {
    view! {
        <select id=id name="team_id">
            <option value="" selected=move || selected.get().is_empty()>"No team"</option>
            {teams.into_iter().map(|t| {
                let value = t.id.to_string();
                let v2 = value.clone();
                view! { <option value=value selected=move || selected.get() == v2>{t.name}</option> }
            }).collect_view()}
        </select>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let me = expect_context::<UserView>();
    let invite = ServerAction::<InviteUser>::new();
    let update = ServerAction::<UpdateUser>::new();
    let set_active = ServerAction::<SetUserActive>::new();
    let resend = ServerAction::<ResendInvitation>::new();
    let data = Resource::new(
        move || {
            (
                invite.version().get(),
                update.version().get(),
                set_active.version().get(),
            )
        },
        |_| list_users(),
    );
    let ierr = action_error(invite);
    let row_error = Signal::derive(move || {
        action_error(update)
            .get()
            .or_else(|| action_error(set_active).get())
            .or_else(|| action_error(resend).get())
    });
    let invited = Signal::derive(move || invite.value().with(|v| matches!(v, Some(Ok(_)))));
    let resent = Signal::derive(move || resend.value().with(|v| matches!(v, Some(Ok(_)))));
    view! {
        <Title text="Users"/>
        <header class="page-header">
            <h1>"Users"</h1>
            <p class="lede">"Invite people by email, set their role and team, and deactivate those who leave."</p>
        </header>
        <Loaded data render=move |admin| {
            let me_id = me.id;
            let teams = admin.teams.clone();
            let invite_teams = admin.teams.clone();
            view! {
                <section class="panel" aria-labelledby="invite-title">
                    <h2 id="invite-title">"Invite a user"</h2>
                    <ActionForm action=invite>
                        <FormError error=ierr/>
                        <Show when=move || invited.get()>
                            <div class="alert alert-ok" role="status">"Invitation queued. The link works once and expires in 7 days."</div>
                        </Show>
                        <div class="form-row">
                            <Field label="Name" name="name" required=true maxlength=120
                                value=kept_value(ierr, "name", String::new()) error=field_error(ierr, "name")/>
                            <Field label="Email" name="email" kind="email" required=true
                                value=kept_value(ierr, "email", String::new()) error=field_error(ierr, "email")/>
                            <div class="field">
                                <label for="invite-role">"Role"</label>
                                <RoleSelect id="invite-role".into() selected=kept_value(ierr, "role", "member".into())/>
                            </div>
                            <div class="field">
                                <label for="invite-team">"Team"</label>
                                <TeamSelect id="invite-team".into() teams=invite_teams selected=kept_value(ierr, "team_id", String::new())/>
                            </div>
                        </div>
                        <button type="submit" class="button button-primary">"Send invitation"</button>
                    </ActionForm>
                </section>
                <FormError error=row_error/>
                <Show when=move || resent.get()>
                    <div class="alert alert-ok" role="status">"A new invitation link is on its way."</div>
                </Show>
                <div class="table-wrap wide">
                    <table class="data">
                        <caption class="sr-only">"All users"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"Role and team"</th><th scope="col">"Status"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>
                            {admin.users.into_iter().map(|u| {
                                let uid = u.id.to_string();
                                let row_teams = teams.clone();
                                let role_label = format!("Role of {}", u.name);
                                let team_label = format!("Team of {}", u.name);
                                let team_value = u.team_id.map(|t| t.to_string()).unwrap_or_default();
                                let toggle_label = if u.active { format!("Deactivate {}", u.name) } else { format!("Reactivate {}", u.name) };
                                let toggle_value = if u.active { "false" } else { "true" };
                                let toggle_class = if u.active { "button button-danger" } else { "button" };
                                let (uid1, uid2, uid3) = (uid.clone(), uid.clone(), uid.clone());
                                let can_toggle = u.id != me_id;
                                let can_resend = !u.has_password && u.active;
                                let status = if !u.active { ("status status-off", "Deactivated") }
                                    else if !u.has_password { ("status status-warn", "Invited") }
                                    else { ("status status-ok", "Active") };
                                view! {
                                    <tr>
                                        <td><strong>{u.name.clone()}</strong><br/><span class="muted">{u.email.clone()}</span></td>
                                        <td>
                                            <ActionForm action=update attr:class="row-form">
                                                <input type="hidden" name="user_id" value=uid1/>
                                                <label class="sr-only" for=format!("role-{uid}")>{role_label}</label>
                                                <RoleSelect id=format!("role-{uid}") selected=u.role.as_str().to_string()/>
                                                <label class="sr-only" for=format!("team-{uid}")>{team_label}</label>
                                                <TeamSelect id=format!("team-{uid}") teams=row_teams selected=team_value/>
                                                <button type="submit" class="button">"Save"</button>
                                            </ActionForm>
                                        </td>
                                        <td><span class=status.0>{status.1}</span></td>
                                        <td class="actions">
                                            {can_toggle.then_some(view! {
                                                <ActionForm action=set_active attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=uid2/>
                                                    <input type="hidden" name="active" value=toggle_value/>
                                                    <button type="submit" class=toggle_class>{toggle_label}</button>
                                                </ActionForm>
                                            })}
                                            {can_resend.then_some(view! {
                                                <ActionForm action=resend attr:class="inline-form">
                                                    <input type="hidden" name="user_id" value=uid3/>
                                                    <button type="submit" class="button">"Resend invitation"</button>
                                                </ActionForm>
                                            })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }/>
    }
}
