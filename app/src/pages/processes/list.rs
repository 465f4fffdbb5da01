//! The process list (with the admin's "new process" and JSON import), and a process's page:
//! its goal, versions, trigger and the list of its runs, filtered through the URL.

use super::{Progress, RunState};
use crate::api::processes::{
    ArchiveProcessVersion, CreateProcess, ImportProcess, NewProcessDraft, SetProcessArchived,
    SetProcessTrigger, get_process, list_processes, list_runs,
};
use crate::components::form::{
    Field, FormError, SelectField, TextAreaField, action_error, field_error, kept_value,
};
use crate::error::AppError;
use crate::model::crm::{Choice, choices_of};
use crate::model::states::{RunStatus, VersionStatus};
use crate::model::process::{RunList, RunQuery, TRIGGERS, TemplateDetail};
use crate::model::user::{Role, UserView};
use crate::components::filter::FilterSelect;
use crate::components::pager::Pager;
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ProcessesPage() -> impl IntoView {
    let user = expect_context::<UserView>();
    let is_admin = user.role.at_least(Role::Admin);
    let data = Resource::new(|| (), |_| list_processes());
    view! {
        <Title text="Processes"/>
        <header class="page-header">
            <h1>"Processes"</h1>
            <p class="lede">"The agreed way of working, step by step: each process says why it exists, guides every step and shows where customers wait."</p>
        </header>
        <Loaded data render=move |value| {
            match value {
                list if list.is_empty() => view! {
                    <p class="panel empty">{if is_admin {
                        "No processes yet. Create the first one below: write down its goal, then its steps."
                    } else {
                        "No processes have been published yet."
                    }}</p>
                }.into_any(),
                list => view! {
                    <div class="table-wrap">
                        <table class="data responsive">
                            <caption class="sr-only">"Processes"</caption>
                            <thead><tr>
                                <th scope="col">"Process"</th>
                                <th scope="col">"Starts"</th>
                                <th scope="col">"Version"</th>
                                <th scope="col">"Active runs"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let href = format!("/processes/{}", t.id);
                                    let version = match (t.published, t.draft) {
                                        (Some(p), Some(d)) => format!("v{p} published · v{d} draft"),
                                        (Some(p), None) => format!("v{p} published"),
                                        (None, Some(d)) => format!("v{d} draft, not published"),
                                        (None, None) => "—".into(),
                                    };
                                    view! {
                                        <tr class:retired=t.archived>
                                            <td data-label="Process">
                                                <a class="row-title" href=href>{t.name}</a>
                                                {t.archived.then(|| view! { <span class="status status-off">"Archived"</span> })}
                                            </td>
                                            <td data-label="Starts">{t.trigger}</td>
                                            <td data-label="Version">{version}</td>
                                            <td data-label="Active runs">{t.active_runs}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any(),
            }
        }/>
        {is_admin.then(|| view! { <NewProcess/> })}
    }
}

#[component]
fn NewProcess() -> impl IntoView {
    let create = ServerAction::<CreateProcess>::new();
    let import = ServerAction::<ImportProcess>::new();
    let error = action_error(create);
    let import_error = action_error(import);
    view! {
        <section class="panel" aria-labelledby="new-process-title">
            <h2 id="new-process-title">"New process"</h2>
            <ActionForm action=create attr:class="stack-form">
                <FormError error=error/>
                <Field label="Name" name="name" required=true maxlength=200
                    value=kept_value(error, "name", String::new()) error=field_error(error, "name")/>
                <TextAreaField label="Goal" name="goal" required=true maxlength=2000 rows=2
                    hint="Why this process exists, in a sentence or two. Everyone who runs it reads this first."
                    value=kept_value(error, "goal", String::new()) error=field_error(error, "goal")/>
                <button type="submit" class="button button-primary">"Create and add steps"</button>
            </ActionForm>
            <details class="add-more" open=move || import_error.with(Option::is_some)>
                <summary>"Import a process from JSON"</summary>
                <ActionForm action=import attr:class="stack-form">
                    <FormError error=import_error/>
                    <TextAreaField label="Process JSON" name="json" required=true rows=8
                        hint="The file another Rapport exported from a process page."
                        value=kept_value(import_error, "json", String::new()) error=field_error(import_error, "json")/>
                    <label class="check"><input type="checkbox" name="publish" value="on"/>" Publish it at once"</label>
                    <button type="submit" class="button">"Import"</button>
                </ActionForm>
            </details>
        </section>
    }
}

fn run_query(get: impl Fn(&str) -> Option<String>) -> RunQuery {
    RunQuery {
        status: get("status").unwrap_or_default(),
        owner: get("owner").unwrap_or_default(),
        team: get("team").unwrap_or_default(),
        overdue: get("overdue").is_some_and(|v| v == "1" || v == "on" || v == "true"),
        page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
    }
}

fn run_query_string(q: &RunQuery, page: u64) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("status", &q.status), ("owner", &q.owner), ("team", &q.team)] {
        if !v.is_empty() {
            parts.push(format!("{k}={}", crate::model::crm::encode(v)));
        }
    }
    if q.overdue {
        parts.push("overdue=1".into());
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    parts.join("&")
}

#[component]
fn Versions(t: TemplateDetail, archive: ServerAction<ArchiveProcessVersion>) -> impl IntoView {
    let can_edit = t.can_edit;
    view! {
        <section class="panel" aria-labelledby="versions-title">
            <h2 id="versions-title">"Versions"</h2>
            <FormError error=action_error(archive)/>
            <ul class="plain-list versions">
                {t.versions.into_iter().filter(|v| can_edit || v.status != VersionStatus::Draft).map(|v| {
                    let href = format!("/processes/versions/{}", v.id);
                    let link = if v.status == VersionStatus::Draft && can_edit { "Edit draft" } else { "View" };
                    let runs = match (v.runs, v.runs_capped) {
                        (n, true) => format!("{n} or more runs"),
                        (1, false) => "1 run".to_string(),
                        (n, false) => format!("{n} runs"),
                    };
                    let archive_label = format!("Archive version {}", v.number);
                    view! {
                        <li class="version-row">
                            <strong>{format!("Version {}", v.number)}</strong>" "
                            <super::VersionState status=v.status/>
                            <span class="muted">" · " {v.published.clone().unwrap_or_default()} " · " {runs}</span>
                            <span class="row-actions">
                                <a class="button button-small" href=href>{link}</a>
                                {(can_edit && v.status == VersionStatus::Published).then(|| view! {
                                    <ActionForm action=archive attr:class="inline-form">
                                        <input type="hidden" name="version_id" value=v.id.to_string()/>
                                        <button type="submit" class="button button-small button-quiet" aria-label=archive_label>"Archive"</button>
                                    </ActionForm>
                                })}
                            </span>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn Trigger(t: TemplateDetail, set: ServerAction<SetProcessTrigger>) -> impl IntoView {
    let error = action_error(set);
    let id = t.id.to_string();
    let mut stages = vec![Choice { value: String::new(), label: "(only for a stage change)".into() }];
    stages.extend(t.stages.clone());
    view! {
        <section class="panel" aria-labelledby="trigger-title">
            <h2 id="trigger-title">"Starts"</h2>
            <p>{t.trigger_label.clone()}". A trigger never starts a second active run on the same customer."</p>
            <ActionForm action=set attr:class="stack-form">
                <input type="hidden" name="template_id" value=id/>
                <FormError error=error/>
                <div class="form-grid">
                    <SelectField label="Start" name="trigger_kind" choices=choices_of(&TRIGGERS)
                        value=kept_value(error, "trigger_kind", t.trigger_kind.clone()) error=field_error(error, "trigger_kind")/>
                    <SelectField label="Stage" name="trigger_stage" choices=stages
                        value=kept_value(error, "trigger_stage", t.trigger_stage.clone()) error=field_error(error, "trigger_stage")/>
                </div>
                <button type="submit" class="button">"Save trigger"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn RunTable(list: RunList, query: RunQuery, template_id: i32) -> impl IntoView {
    let pages = list.total.div_ceil(list.per_page).max(1);
    let page = query.page.max(1);
    let base = format!("/processes/{template_id}");
    let summary = match (list.total, list.capped) {
        (n, true) => format!("{n} or more runs"),
        (0, false) => "No runs match.".to_string(),
        (1, false) => "1 run".to_string(),
        (n, false) => format!("{n} runs"),
    };
    let mut owners = vec![Choice { value: "me".into(), label: "Me".into() }];
    owners.extend(list.owners.clone());
    let has_teams = list.teams.len() > 1;
    view! {
        <form method="get" action=base.clone() class="filters" role="search" aria-label="Filter runs">
            <div class="form-row">
                <FilterSelect label="State" name="status" any="Any state" choices=RunStatus::choices() selected=query.status.clone()/>
                <FilterSelect label="Owner" name="owner" any="Anyone" choices=owners selected=query.owner.clone()/>
                {has_teams.then(|| view! {
                    <FilterSelect label="Team" name="team" any="Any team" choices=list.teams.clone() selected=query.team.clone()/>
                })}
                <label class="check"><input type="checkbox" name="overdue" value="1" checked=query.overdue/>" Overdue"</label>
                <button type="submit" class="button">"Apply"</button>
            </div>
        </form>
        <p class="muted" role="status">{summary}</p>
        {(!list.rows.is_empty()).then(|| view! {
            <div class="table-wrap wide">
                <table class="data responsive">
                    <caption class="sr-only">"Runs"</caption>
                    <thead><tr>
                        <th scope="col">"Customer"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Owner"</th>
                        <th scope="col">"Started"</th>
                    </tr></thead>
                    <tbody>
                        {list.rows.into_iter().map(|r| {
                            let href = format!("/runs/{}", r.id);
                            view! {
                                <tr>
                                    <td data-label="Customer" class="name-cell">
                                        <a class="row-title" href=href>{r.customer_name}</a>
                                        {r.current.map(|c| view! { <span class="muted block">"Now: " {c}</span> })}
                                    </td>
                                    <td data-label="State" class="nowrap">
                                        <RunState status=r.status/>
                                        {r.overdue.then(|| view! { " "<span class="status status-bad">"Overdue"</span> })}
                                    </td>
                                    <td data-label="Progress"><Progress done=r.done total=r.total/></td>
                                    <td data-label="Owner" class="nowrap">{r.owner}</td>
                                    <td data-label="Started" class="nowrap">{r.started}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        <Pager page pages href=move |p| format!("{base}?{}", run_query_string(&query, p)) summary=format!("Page {page} of {pages}{}", if list.capped { " or more" } else { "" })/>
    }
}

#[component]
pub fn ProcessPage() -> impl IntoView {
    let params = use_params_map();
    let query_map = use_query_map();
    let id = Memo::new(move |_| params.with(|p| p.get("id").and_then(|v| v.parse::<i32>().ok())));
    let query = Memo::new(move |_| query_map.with(|p| run_query(|k| p.get(k))));
    let archive = ServerAction::<ArchiveProcessVersion>::new();
    let trigger = ServerAction::<SetProcessTrigger>::new();
    let set_archived = ServerAction::<SetProcessArchived>::new();
    let new_draft = ServerAction::<NewProcessDraft>::new();
    let data = Resource::new(
        move || (id.get(), archive.version().get(), trigger.version().get(), set_archived.version().get()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_process(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let runs = Resource::new(
        move || (id.get(), query.get()),
        |(id, query)| async move {
            match id {
                Some(id) => list_runs(id, query).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Loaded data loading="Loading process…" render=move |t| {
            let export = format!("/processes/{}/export.json", t.id);
            let id = t.id.to_string();
            let id2 = id.clone();
            view! {
                <Title text=t.name.clone()/>
                <header class="page-header with-actions">
                    <div>
                        <p class="breadcrumb"><a href="/processes">"Processes"</a></p>
                        <h1>{t.name.clone()}</h1>
                        {t.archived.then(|| view! { <span class="status status-off">"Archived"</span> })}
                    </div>
                    {t.can_edit.then(|| view! {
                        <div class="header-actions">
                            <a class="button" rel="external" download="" href=export>"Export JSON"</a>
                            <ActionForm action=set_archived attr:class="inline-form">
                                <input type="hidden" name="template_id" value=id2/>
                                <input type="hidden" name="archived" value=(!t.archived).to_string()/>
                                <button type="submit" class="button button-quiet">{if t.archived { "Restore" } else { "Archive process" }}</button>
                            </ActionForm>
                            <ActionForm action=new_draft attr:class="inline-form">
                                <input type="hidden" name="template_id" value=id/>
                                <button type="submit" class="button button-primary">"Edit steps"</button>
                            </ActionForm>
                        </div>
                    })}
                </header>
                <FormError error=action_error(new_draft)/>
                <div class="goal" role="note">
                    <span class="goal-label">"Why this process exists"</span>
                    <p>{t.goal.clone()}</p>
                </div>
                <div class="process-grid">
                    <div class="customer-side">
                        {view! { <Versions t=t.clone() archive=archive/> }.into_any()}
                        {t.can_edit.then(|| view! { <Trigger t=t.clone() set=trigger/> }.into_any())}
                    </div>
                    <div class="customer-main">
                        <section class="panel" aria-labelledby="runs-title">
                            <h2 id="runs-title">"Runs"</h2>
                            <Loaded data=runs loading="Loading runs…" render=move |list| view! {
                                <RunTable list query=query.get_untracked() template_id=t.id/>
                            }/>
                        </section>
                    </div>
                </div>
            }.into_any()
        }/>
    }
}
