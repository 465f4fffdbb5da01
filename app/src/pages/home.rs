//! "My day": the home page. It fills up as features arrive (follow-ups, steps, approvals).

use crate::model::user::{Role, UserView};
use leptos::prelude::*;
use leptos_meta::Title;

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
    view! {
        <Title text="My day"/>
        <header class="page-header">
            <h1>"Good to see you, " {first_name}</h1>
            <p class="lede">"Your day in Rapport: what is due, what is waiting for you, and what slipped."</p>
        </header>
        <section class="panel" aria-labelledby="today-title">
            <h2 id="today-title">"Today"</h2>
            <p class="empty">"Nothing is due today. Follow-ups, checklist steps and approvals assigned to you will appear here."</p>
        </section>
        {is_admin.then(|| view! {
            <section class="panel" aria-labelledby="admin-title">
                <h2 id="admin-title">"Set up your team"</h2>
                <ul class="checklist">
                    <li><a href="/admin/teams">"Create teams"</a>" and name their managers."</li>
                    <li><a href="/admin/users">"Invite users"</a>" by email: each gets a link to set a password."</li>
                    <li><a href="/admin/mailbox">"Check the mailbox"</a>": without SMTP, invitations wait there."</li>
                </ul>
            </section>
        })}
    }
}
