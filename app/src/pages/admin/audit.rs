//! The audit log: who changed what, when, from what to what; newest first, 50 a page.

use crate::api::admin::list_audit;
use crate::components::loaded::Loaded;
use crate::components::pager::PageLinks;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let page = move || {
        query
            .with(|q| q.get("page").and_then(|p| p.parse::<u64>().ok()))
            .unwrap_or(0)
    };
    let data = Resource::new(page, list_audit);
    view! {
        <Title text="Audit log"/>
        <header class="page-header">
            <h1>"Audit log"</h1>
            <p class="lede">"Every change to users, teams and configuration: who, what, when, from what to what."</p>
        </header>
        <Loaded data render=move |p| {
            let prev = (p.page > 0).then(|| format!("/admin/audit?page={}", p.page - 1));
            let next = p.has_more.then(|| format!("/admin/audit?page={}", p.page + 1));
            view! {
                <div class="table-wrap wide">
                    <table class="data">
                        <caption class="sr-only">"Audit log entries, newest first"</caption>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th><th scope="col">"From"</th><th scope="col">"To"</th></tr></thead>
                        <tbody>
                            {p.entries.into_iter().map(|e| view! {
                                <tr>
                                    <td class="nowrap">{e.at}</td>
                                    <td>{e.actor.unwrap_or_else(|| "system".into())}</td>
                                    <td><code>{e.action}</code><br/><span class="muted">{e.entity}</span></td>
                                    <td><code class="json">{e.before.unwrap_or_default()}</code></td>
                                    <td><code class="json">{e.after.unwrap_or_default()}</code></td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                <PageLinks prev next label="Audit log pages" prev_text="Newer" next_text="Older"/>
            }.into_any()
        }/>
    }
}
