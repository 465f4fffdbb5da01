//! The app shell: top bar with the product name, navigation by role, the user's name and
//! sign-out; a skip link for keyboard users.

use crate::api::auth::SignOut;
use crate::components::guard::ViewerResource;
use crate::model::user::{Role, Viewer};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    let sign_out = expect_context::<ServerAction<SignOut>>();
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="topbar">
            <a class="brand" href="/" aria-label="Rapport home">
                <span class="brand-mark" aria-hidden="true">"R"</span>
                <span class="brand-name">"Rapport"</span>
            </a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match viewer.await {
                        Ok(Viewer { user: Some(user), .. }) => {
                            view! {
                                <nav class="mainnav" aria-label="Main">
                                    {nav_links(user.role).into_iter().map(|(href, label)| view! {
                                        <A href=href exact={href == "/"}>{label}</A>
                                    }).collect_view()}
                                </nav>
                                <div class="usermenu">
                                    <A href="/profile" attr:class="user-name">
                                        <span class="avatar" aria-hidden="true">{initials(&user.name)}</span>
                                        <span class="user-label">{user.name.clone()}</span>
                                        <span class="role-badge">{user.role.label()}</span>
                                    </A>
                                    <ActionForm action=sign_out attr:class="inline-form">
                                        <button type="submit" class="button button-quiet">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }
                            .into_any()
                        }
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

/// The main navigation for a role.
pub fn nav_links(role: Role) -> Vec<(&'static str, &'static str)> {
    let mut links = vec![("/", "My day"), ("/customers", "Customers"), ("/processes", "Processes")];
    if role.at_least(Role::Admin) {
        links.extend([
            ("/admin/users", "Users"),
            ("/admin/teams", "Teams"),
            ("/admin/stages", "Stages"),
            ("/admin/fields", "Fields"),
            ("/admin/mailbox", "Mailbox"),
            ("/admin/audit", "Audit log"),
        ]);
    }
    links
}

/// Up to two initials for the avatar.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
