//! The mailbox: every message in the outbox with its delivery state. Without SMTP it is a
//! development aid where invitations and reset links can be read (and used); with SMTP, links
//! are never shown, and delivered messages no longer hold them at all.

use crate::model::states::OutboxStatus;
use crate::api::admin::list_outbox;
use crate::components::loaded::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;

fn status_class(status: OutboxStatus) -> &'static str {
    match status {
        OutboxStatus::Sent => "status status-ok",
        OutboxStatus::Failed => "status status-bad",
        OutboxStatus::Held => "status status-warn",
        OutboxStatus::Pending => "status status-off",
    }
}

#[component]
pub fn MailboxPage() -> impl IntoView {
    let mailbox = Resource::new(|| (), |_| list_outbox());
    view! {
        <Title text="Mailbox"/>
        <header class="page-header">
            <h1>"Mailbox"</h1>
            <p class="lede">"Every email Rapport has queued, newest first, with its delivery state."</p>
        </header>
        <Loaded data=mailbox render=move |data| view! {
            <Show when=move || !data.delivering>
                <div class="alert alert-warn" role="status">
                    <p>"Mail is not being delivered: no SMTP server is configured (RAPPORT_SMTP_URL). Messages stay here as “not sent: no SMTP configured”."</p>
                    <p>"This page is a development aid: it shows live sign-in links (invitations, password resets), and anyone who can open it can use them. Configure SMTP before real people use this Rapport."</p>
                </div>
            </Show>
            {if data.messages.is_empty() {
                view! { <p class="panel empty">"No email has been queued yet."</p> }.into_any()
            } else {
                data.messages.into_iter().map(|m| view! {
                    <article class="panel mail" aria-label=format!("Email to {}", m.recipient)>
                        <header class="mail-head">
                            <h2>{m.subject.clone()}</h2>
                            <span class=status_class(m.status)>{m.status.as_str()}</span>
                        </header>
                        <p class="muted">"To " {m.recipient.clone()} " · " {m.created_at.clone()} " · " {m.category.clone()}
                            {(m.attempts > 0).then(|| format!(" · {} attempt(s)", m.attempts))}</p>
                        {m.last_error.clone().map(|e| view! { <p class="muted">"Last error: " {e}</p> })}
                        <details>
                            <summary>"Show message"</summary>
                            <pre class="mail-body">{m.body_text.clone()}</pre>
                        </details>
                    </article>
                }).collect_view().into_any()
            }}
        }.into_any()/>
    }
}
