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
    (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label=label>
                {prev.map(|h| view! { <a class="button" href=h rel="prev">"← Previous"</a> })}
                <span class="muted">{summary}</span>
                {next.map(|h| view! { <a class="button" href=h rel="next">"Next →"</a> })}
            </nav>
        }
    })
}
