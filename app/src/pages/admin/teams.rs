//! Teams: create, rename, and name or remove their managers.

use crate::api::admin::{AddTeamManager, CreateTeam, RemoveTeamManager, RenameTeam, list_teams};
use crate::components::form::{Field, FormError, action_error, field_error, kept_value};
use crate::components::loaded::{ErrorAlert, Loaded};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TeamsPage() -> impl IntoView {
    let create = ServerAction::<CreateTeam>::new();
    let rename = ServerAction::<RenameTeam>::new();
    let add = ServerAction::<AddTeamManager>::new();
    let remove = ServerAction::<RemoveTeamManager>::new();
    let data = Resource::new(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |_| list_teams(),
    );
    let cerr = action_error(create);
    let row_error = Signal::derive(move || {
        action_error(rename)
            .get()
            .or_else(|| action_error(add).get())
            .or_else(|| action_error(remove).get())
    });
    let row_message = Signal::derive(move || {
        row_error.get().map(|e| match &e {
            crate::error::AppError::Validation { fields, .. } => {
                fields.values().cloned().collect::<Vec<_>>().join(" ")
            }
            other => other.to_string(),
        })
    });
    view! {
        <Title text="Teams"/>
        <header class="page-header">
            <h1>"Teams"</h1>
            <p class="lede">"Teams group users; their managers approve steps and see their team's adoption."</p>
        </header>
        <section class="panel" aria-labelledby="new-team-title">
            <h2 id="new-team-title">"New team"</h2>
            <ActionForm action=create attr:class="row-form align-end">
                <FormError error=cerr/>
                <Field label="Team name" name="name" required=true maxlength=80
                    value=kept_value(cerr, "name", String::new()) error=field_error(cerr, "name")/>
                <button type="submit" class="button button-primary">"Create team"</button>
            </ActionForm>
        </section>
        {move || row_message.get().map(|message| view! { <ErrorAlert message/> })}
        <Loaded data render=move |value| {
            match value {
                admin if admin.teams.is_empty() => view! { <p class="panel empty">"No teams yet. Create the first one above."</p> }.into_any(),
                admin => admin.teams.into_iter().map(|t| {
                    let tid = t.id.to_string();
                    let (tid1, tid2, tid_chips) = (tid.clone(), tid.clone(), tid.clone());
                    let candidates: Vec<_> = admin.candidates.iter().filter(|c| !t.managers.iter().any(|m| m.id == c.id)).cloned().collect();
                    let has_candidates = !candidates.is_empty();
                    let rename_id = format!("team-name-{tid}");
                    let article_label = format!("Team {}", t.name);
                    let rename_label = format!("Name of team {}", t.name);
                    let team_name = t.name.clone();
                    let managers = t.managers.clone();
                    let no_managers = managers.is_empty();
                    let add_id = format!("team-add-{tid}");
                    view! {
                        <article class="panel" aria-label=article_label>
                            <ActionForm action=rename attr:class="row-form">
                                <input type="hidden" name="team_id" value=tid1/>
                                <label class="sr-only" for=rename_id.clone()>{rename_label}</label>
                                <input id=rename_id class="team-name" name="name" value=team_name required=true maxlength=80/>
                                <button type="submit" class="button">"Rename"</button>
                                <span class="muted">{format!("{} active member(s)", t.member_count)}</span>
                            </ActionForm>
                            <h3 class="subhead">"Managers"</h3>
                            {if no_managers {
                                view! { <p class="muted">"No manager yet."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="chips">
                                        {managers.into_iter().map(|m| {
                                            let label = format!("Remove {} as manager", m.name);
                                            let team_value = tid_chips.clone();
                                            view! {
                                                <li class="chip">
                                                    {m.name}
                                                    <ActionForm action=remove attr:class="inline-form">
                                                        <input type="hidden" name="team_id" value=team_value/>
                                                        <input type="hidden" name="user_id" value=m.id.to_string()/>
                                                        <button type="submit" class="chip-remove" aria-label=label>"×"</button>
                                                    </ActionForm>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            {has_candidates.then_some(view! {
                                <ActionForm action=add attr:class="row-form">
                                    <input type="hidden" name="team_id" value=tid2/>
                                    <label for=add_id.clone()>"Add manager"</label>
                                    <select id=add_id name="user_id">
                                        {candidates.into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                                    </select>
                                    <button type="submit" class="button">"Add"</button>
                                </ActionForm>
                            })}
                        </article>
                    }
                }).collect_view().into_any(),
            }
        }/>
    }
}
