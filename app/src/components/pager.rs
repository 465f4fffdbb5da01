//! The pager under a long list: "← Previous", where the reader is, "Next →".

use leptos::prelude::*;

/// Links to the pages before and after `page` of `pages` (none when there is one page).
/// `href` gives a page's address; `summary` is what sits between the links (for example
/// "Page 2 of 7").
#[component]
pub fn Pager(
    page: u64,
    pages: u64,
    href: impl Fn(u64) -> String,
    #[prop(into)] summary: String,
    #[prop(default = "Pages")] label: &'static str,
) -> impl IntoView {
    let prev = (page > 1).then(|| href(page - 1));
    let next = (page < pages).then(|| href(page + 1));
    (pages > 1).then(|| view! { <PageLinks prev next summary label/> })
}

/// The links of a pager: to the page before (`prev`) and after (`next`), where there is one,
/// with `summary` between them. Lists without a page count (the audit log reads newest first
/// until there is no more) name their links themselves.
#[component]
pub fn PageLinks(
    prev: Option<String>,
    next: Option<String>,
    #[prop(into, optional)] summary: String,
    #[prop(default = "Pages")] label: &'static str,
    #[prop(default = "← Previous")] prev_text: &'static str,
    #[prop(default = "Next →")] next_text: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label=label>
            {prev.map(|h| view! { <a class="button" href=h rel="prev">{prev_text}</a> })}
            {(!summary.is_empty()).then(|| view! { <span class="muted">{summary}</span> })}
            {next.map(|h| view! { <a class="button" href=h rel="next">{next_text}</a> })}
        </nav>
    }
}
