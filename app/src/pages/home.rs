//! "My day": the home page. It fills up as features arrive (follow-ups, steps, approvals).

use crate::api::crm::my_day;
use crate::model::states::StepKind;
use crate::model::user::{Role, UserView};
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use crate::model::paging::Paged;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;
use crate::components::pager::Pager;

/// The page of one of My day's lists that the URL asks for (`key`: `follow_ups` or `steps`).
fn page_of(query: Memo<ParamsMap>, key: &'static str) -> Memo<u64> {
    Memo::new(move |_| query.with(|q| q.get(key).and_then(|p| p.parse::<u64>().ok()).unwrap_or(1)))
}

/// One page of a My day list: what to say when it is empty or the page is past its end, how
/// many there are, the rows (`row` draws one) and the pager (`href` gives a page's address).
fn paged<T: 'static>(
    list: Paged<T>,
    (one, many): (&'static str, &'static str),
    empty: &'static str,
    href: impl Fn(u64) -> String + Send + Sync + 'static,
    row: impl Fn(T) -> AnyView,
) -> AnyView {
    let pages = list.pages();
    if list.total == 0 {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    if list.rows.is_empty() {
        let first = href(1);
        return view! {
            <p class="empty">{format!("There is no page {} of these: they fit on {pages}.", list.page)}" "<a href=first>"Show the first page"</a></p>
        }
        .into_any();
    }
    let first = (list.page - 1) * list.per_page + 1;
    let last = first + list.rows.len() as u64 - 1;
    let count = match (list.total, list.capped) {
        (n, true) => format!("{n} or more {many}."),
        (1, false) => format!("1 {one}."),
        (n, false) => format!("{n} {many}."),
    };
    view! {
        <p class="muted">{count}</p>
        <ul class="due-list">{list.rows.into_iter().map(row).collect_view()}</ul>
        <Pager page=list.page pages href summary=format!("{first}–{last} of {}{}", list.total, if list.capped { "+" } else { "" }) label="Pages of this list"/>
    }
    .into_any()
}

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
    let query = use_query_map();
    let (due_page, steps_page) = (page_of(query, "follow_ups"), page_of(query, "steps"));
    let due = Resource::new(move || due_page.get(), my_day);
    let steps = Resource::new(move || steps_page.get(), crate::api::processes::my_steps);
    // A page of one list keeps the page the other is on.
    let due_href = move |p: u64| format!("/?follow_ups={p}&steps={}", steps_page.get_untracked());
    let steps_href = move |p: u64| format!("/?follow_ups={}&steps={p}", due_page.get_untracked());
    view! {
        <Title text="My day"/>
        <header class="page-header">
            <h1>"Good to see you, " {first_name}</h1>
            <p class="lede">"Your day in Rapport: what is due, what is waiting for you, and what slipped."</p>
        </header>
        <section class="panel" aria-labelledby="today-title">
            <h2 id="today-title">"Follow-ups due today and overdue"</h2>
            <Loaded data=due render=move |list| paged(
                list,
                ("follow-up is due", "follow-ups are due, oldest first"),
                "Nothing is due today. Follow-ups assigned to you appear here, overdue ones first.",
                due_href,
                |f| view! {
                    <li class:overdue=f.overdue>
                        <a class="row-title" href=format!("/customers/{}", f.customer_id)>{f.customer_name.clone()}</a>
                        {f.overdue.then(|| view! { <span class="status status-bad">"Overdue"</span> })}
                        <span class="muted block">{f.due.clone()}{(!f.note.is_empty()).then(|| format!(" · {}", f.note))}</span>
                    </li>
                }.into_any(),
            )/>
        </section>
        <section class="panel" aria-labelledby="steps-title">
            <h2 id="steps-title">"Process steps and approvals waiting for you"</h2>
            <Loaded data=steps render=move |list| paged(
                list,
                ("step is waiting for you", "steps are waiting for you, overdue first, then by due date"),
                "No step is waiting for you. Steps you can do now, and approvals you decide, appear here.",
                steps_href,
                |s| {
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
                    }.into_any()
                },
            )/>
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
