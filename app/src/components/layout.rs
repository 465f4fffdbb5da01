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
                            let is_admin = user.role.at_least(Role::Admin);
                            view! {
                                <nav class="mainnav" aria-label="Main">
                                    <A href="/" exact=true>"My day"</A>
                                    {is_admin.then(|| view! {
                                        <A href="/admin/users">"Users"</A>
                                        <A href="/admin/mailbox">"Mailbox"</A>
                                    })}
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

/// Up to two initials for the avatar.
pub fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
