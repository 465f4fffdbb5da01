//! The customer list: search, filters, sorting and pages, all held in the URL so that a
//! filtered list can be bookmarked and shared. The filter form is a plain GET form.

use crate::api::crm::list_customers;
use crate::model::crm::{Choice, CustomerList, CustomerQuery};
use crate::components::filter::FilterSelect;
use crate::components::pager::Pager;
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The header of a sortable column: a link that sorts by it (again: the other way round).
#[component]
fn SortHeader(label: &'static str, key: &'static str, query: CustomerQuery) -> impl IntoView {
    let current = query.sort.trim_start_matches('-').to_string();
    let descending = query.sort.starts_with('-');
    let active = current == key || (key == "name" && current.is_empty());
    let next = CustomerQuery {
        sort: if active && !descending {
            format!("-{key}")
        } else {
            key.to_string()
        },
        ..query
    };
    let href = format!("/customers?{}", next.to_query_string(1));
    let aria_sort = match (active, descending) {
        (false, _) => "none",
        (true, false) => "ascending",
        (true, true) => "descending",
    };
    let arrow = match (active, descending) {
        (false, _) => "",
        (true, false) => " ▲",
        (true, true) => " ▼",
    };
    view! {
        <th scope="col" aria-sort=aria_sort>
            <a class="sort-link" href=href>{label}{arrow}</a>
        </th>
    }
}

fn quality_class(q: i32) -> &'static str {
    match q {
        100 => "quality quality-good",
        50..=99 => "quality quality-fair",
        _ => "quality quality-poor",
    }
}

#[component]
fn CustomerTable(list: CustomerList, query: CustomerQuery) -> impl IntoView {
    let first = (list.page - 1) * list.per_page + 1;
    let last = (first + list.rows.len() as u64).saturating_sub(1);
    let pages = list.pages();
    let summary = if list.total == 0 {
        "No customers match.".to_string()
    } else {
        let or_more = if list.capped { " or more" } else { "" };
        format!("Showing {first}–{last} of {}{or_more} customers", list.total)
    };
    let empty = list.rows.is_empty();
    let q = query.clone();
    view! {
        <p class="muted" role="status">{summary}</p>
        {(!empty).then(move || view! {
            <div class="table-wrap wide">
                <table class="data responsive">
                    <caption class="sr-only">"Customers"</caption>
                    <thead>
                        <tr>
                            <SortHeader label="Name" key="name" query=q.clone()/>
                            <th scope="col">"Stage"</th>
                            <th scope="col">"Owner"</th>
                            <th scope="col">"Tags"</th>
                            <SortHeader label="Next follow-up" key="follow_up" query=q.clone()/>
                            <SortHeader label="Last interaction" key="interaction" query=q.clone()/>
                            <SortHeader label="Data" key="quality" query=q.clone()/>
                        </tr>
                    </thead>
                    <tbody>
                        {list.rows.into_iter().map(|r| {
                            let href = format!("/customers/{}", r.id);
                            let contact = r.email.clone().or(r.phone.clone()).unwrap_or_default();
                            let quality_label = format!("{}%", r.quality);
                            let quality_title = format!("Data quality {}%: share of required fields filled and fresh", r.quality);
                            view! {
                                <tr>
                                    <td data-label="Name" class="name-cell">
                                        <a class="row-title" href=href>{r.name}</a>
                                        <span class="muted block">{contact}</span>
                                    </td>
                                    <td data-label="Stage"><span class="stage">{r.stage}</span></td>
                                    <td data-label="Owner" class="nowrap">{r.owner}{r.team.map(|t| view! { <span class="muted block">{t}</span> })}</td>
                                    <td data-label="Tags">
                                        {r.tags.into_iter().map(|t| view! { <span class="tag">{t}</span> }).collect_view()}
                                    </td>
                                    <td data-label="Next follow-up" class="nowrap">
                                        {match (r.next_follow_up, r.follow_up_overdue) {
                                            (Some(t), true) => view! { <span class="status status-bad">"Overdue"</span>" "<span>{t}</span> }.into_any(),
                                            (Some(t), false) => view! { <span>{t}</span> }.into_any(),
                                            (None, _) => view! { <span class="muted">"—"</span> }.into_any(),
                                        }}
                                    </td>
                                    <td data-label="Last interaction" class="nowrap">{r.last_interaction.unwrap_or_else(|| "—".into())}</td>
                                    <td data-label="Data"><span class=quality_class(r.quality) title=quality_title>{quality_label}</span></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
        <Pager page=list.page pages href=move |p| format!("/customers?{}", query.to_query_string(p))
            summary=format!("Page {} of {pages}{}", list.page, if list.capped { " or more" } else { "" })/>
    }
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(|p| CustomerQuery::from_params(|k| p.get(k))));
    let data = Resource::new(move || query.get(), list_customers);
    view! {
        <Title text="Customers"/>
        <header class="page-header with-actions">
            <h1>"Customers"</h1>
            <div class="header-actions">
                // A download, not a route: `rel="external"` keeps the router's hands off it.
                <a class="button" rel="external" download=""
                    href=move || format!("/customers/export.csv?{}", query.with(|q| q.to_query_string(1)))>
                    "Export CSV"
                </a>
                <a class="button" href="/customers/import">"Import CSV"</a>
                <a class="button button-primary" href="/customers/new">"New customer"</a>
            </div>
        </header>
        <Loaded data loading="Loading customers…" render=move |list| {
            let q = query.get_untracked();
            let filters_active = q != CustomerQuery { sort: q.sort.clone(), page: q.page, ..Default::default() };
            view! {
                <form method="get" action="/customers" class="panel filters" role="search" aria-label="Filter customers">
                    <div class="form-row">
                        <div class="field grow">
                            <label for="filter-q">"Search"</label>
                            <input id="filter-q" type="search" name="q" value=q.q.clone() placeholder="Name, email, phone or tag"/>
                        </div>
                        <FilterSelect label="Stage" name="stage" any="Any stage" choices=list.stages.clone() selected=q.stage.clone()/>
                        <FilterSelect label="Owner" name="owner" any="Anyone"
                            choices={
                                let mut c = vec![Choice { value: "me".into(), label: "Me".into() }];
                                c.extend(list.owners.clone());
                                c
                            }
                            selected=q.owner.clone()/>
                        {(list.teams.len() > 1).then(|| view! {
                            <FilterSelect label="Team" name="team" any="Any team" choices=list.teams.clone() selected=q.team.clone()/>
                        })}
                        <div class="field">
                            <label for="filter-tag">"Tag"</label>
                            <input id="filter-tag" name="tag" value=q.tag.clone() size="12"/>
                        </div>
                    </div>
                    <div class="form-row checks">
                        <label class="check"><input type="checkbox" name="overdue" value="1" checked=q.overdue/>" Follow-up overdue"</label>
                        <label class="check"><input type="checkbox" name="incomplete" value="1" checked=q.incomplete/>" Data incomplete or stale"</label>
                        {(!q.sort.is_empty()).then(|| view! { <input type="hidden" name="sort" value=q.sort.clone()/> })}
                        <button type="submit" class="button button-primary">"Apply"</button>
                        {filters_active.then(|| view! { <a class="button button-quiet" href="/customers">"Clear filters"</a> })}
                    </div>
                </form>
                <CustomerTable list=list query=q/>
            }.into_any()
        }/>
    }
}
