//! "My day": the home page. It fills up as features arrive (follow-ups, steps, approvals).

use crate::api::crm::my_day;
use crate::model::states::StepKind;
use crate::model::user::{Role, UserView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use crate::components::pager::Pager;

#[component]
pub fn HomePage() -> impl IntoView {
    let user = expect_context::<UserView>();
    let first_name = user
        .name
        .split_whitespace()
        .next()
        .unwrap_or("there")
        .to_string();
    let is_admin = user.role.at_least(Role::Admin);
    let due = Resource::new(|| (), |_| my_day());
    let query = use_query_map();
    let page = Memo::new(move |_| query.with(|q| q.get("page").and_then(|p| p.parse::<u64>().ok()).unwrap_or(1)));
    let steps = Resource::new(move || page.get(), crate::api::processes::my_steps);
    view! {
        <Title text="My day"/>
        <header class="page-header">
            <h1>"Good to see you, " {first_name}</h1>
            <p class="lede">"Your day in Rapport: what is due, what is waiting for you, and what slipped."</p>
        </header>
        <section class="panel" aria-labelledby="today-title">
            <h2 id="today-title">"Follow-ups due today and overdue"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match due.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">"Nothing is due today. Follow-ups assigned to you appear here, overdue ones first."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="due-list">
                                {list.into_iter().map(|f| view! {
                                    <li class:overdue=f.overdue>
                                        <a class="row-title" href=format!("/customers/{}", f.customer_id)>{f.customer_name.clone()}</a>
                                        {f.overdue.then(|| view! { <span class="status status-bad">"Overdue"</span> })}
                                        <span class="muted block">{f.due.clone()}{(!f.note.is_empty()).then(|| format!(" · {}", f.note))}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <section class="panel" aria-labelledby="steps-title">
            <h2 id="steps-title">"Process steps and approvals waiting for you"</h2>
            <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match steps.await {
                        Err(e) => view! { <div class="alert alert-error" role="alert">{e.to_string()}</div> }.into_any(),
                        Ok(list) if list.total == 0 => view! {
                            <p class="empty">"No step is waiting for you. Steps you can do now, and approvals you decide, appear here."</p>
                        }.into_any(),
                        Ok(list) if list.rows.is_empty() => view! {
                            <p class="empty">{format!("There is no page {} of your steps: they fit on {}.", list.page, list.pages())}" "<a href="/">"Show the first page"</a></p>
                        }.into_any(),
                        Ok(list) => {
                            let pages = list.pages();
                            let first = (list.page - 1) * list.per_page + 1;
                            let last = first + list.rows.len() as u64 - 1;
                            let summary = format!("Steps {first}–{last} of {}", list.total);
                            view! {
                            <p class="muted">{match list.total {
                                1 => "1 step is waiting for you.".to_string(),
                                n => format!("{n} steps are waiting for you, overdue first, then by due date."),
                            }}</p>
                            <ul class="due-list">
                                {list.rows.into_iter().map(|s| {
                                    let run = format!("/runs/{}", s.run_id);
                                    let customer = format!("/customers/{}", s.customer_id);
                                    let what = if s.kind == StepKind::Approval { "Approve: " } else { "" };
                                    view! {
                                        <li class:overdue=s.overdue>
                                            <a class="row-title" href=run>{what}{s.title.clone()}</a>
                                            {s.overdue.then(|| view! { <span class="status status-bad">"Overdue"</span> })}
                                            <span class="muted block">
                                                <a href=customer>{s.customer_name.clone()}</a>
                                                {format!(" · {}", s.process)}
                                                {s.due.clone().map(|d| format!(" · due {d}"))}
                                            </span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <Pager page=list.page pages href=|p| format!("/?page={p}") summary label="Pages of your steps"/>
                        }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        {is_admin.then(|| view! {
            <section class="panel" aria-labelledby="admin-title">
                <h2 id="admin-title">"Set up your team"</h2>
                <ul class="checklist">
                    <li><a href="/admin/teams">"Create teams"</a>" and name their managers."</li>
                    <li><a href="/admin/users">"Invite users"</a>" by email: each gets a link to set a password."</li>
                    <li><a href="/admin/mailbox">"Check the mailbox"</a>": without SMTP, invitations wait there."</li>
                    <li><a href="/processes">"Build a process"</a>": its goal, its steps, who does each and by when."</li>
                </ul>
            </section>
        })}
    }
}
