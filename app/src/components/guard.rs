//! Route guards: pages that need a signed-in user (or a role) render through these. The server
//! functions behind every page check again; the guard only decides what to show.

use crate::error::AppError;
use crate::model::user::{Role, UserView, Viewer};
use super::loaded::{ErrorAlert, Loading};
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;

/// The viewer resource, provided once by `App` and refetched after sign-in and sign-out.
#[derive(Clone, Copy)]
pub struct ViewerResource(pub Resource<Result<Viewer, AppError>>);

/// Bumped after a sign-in or set-up succeeds, so the viewer resource refetches.
#[derive(Clone, Copy)]
pub struct AuthEpoch(pub RwSignal<u32>);

/// Refetches the viewer once `action` succeeds (sign-in, set-up, password set from a link).
pub fn refresh_viewer_after<S>(action: ServerAction<S>)
where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    let epoch = expect_context::<AuthEpoch>();
    Effect::new(move |_| {
        if action.value().with(|v| matches!(v, Some(Ok(_)))) {
            epoch.0.update(|n| *n += 1);
        }
    });
}

/// Renders `children` for a signed-in user whose role is at least `role`, with the user in
/// context; sends anonymous visitors to sign in (or to first-run setup) and shows members an
/// explanation on pages above their role.
#[component]
pub fn RequireUser(#[prop(optional)] role: Option<Role>, children: ChildrenFn) -> impl IntoView {
    let viewer = expect_context::<ViewerResource>().0;
    let location = use_location();
    let children = StoredValue::new(children);
    // The viewer is read synchronously (so the transition waits for it) and the page is made
    // inside `Unsuspend`, only when it is really rendered: server-side rendering runs this
    // closure in several passes, and a page made in each would fetch its data each time.
    view! {
        <Transition fallback=|| view! { <Loading/> }>
            {move || {
                let outcome = viewer.get();
                Unsuspend::new(move || match outcome {
                    None => view! { <Loading/> }.into_any(),
                    Some(Ok(Viewer { user: Some(user), .. })) => {
                        if role.is_some_and(|r| !user.role.at_least(r)) {
                            view! { <Forbidden/> }.into_any()
                        } else {
                            provide_context::<UserView>(user);
                            children.with_value(|c| c()).into_any()
                        }
                    }
                    Some(Ok(Viewer { needs_setup: true, .. })) => view! { <Redirect path="/setup"/> }.into_any(),
                    Some(Ok(_)) => {
                        let search = location.search.get_untracked();
                        let search = search.trim_start_matches('?');
                        let pathname = location.pathname.get_untracked();
                        let here = if search.is_empty() { pathname } else { format!("{pathname}?{search}") };
                        let path = if here == "/" { "/signin".to_string() } else { format!("/signin?next={}", encode(&here)) };
                        view! { <Redirect path=path/> }.into_any()
                    }
                    Some(Err(error)) => view! { <ErrorAlert message=error.to_string()/> }.into_any(),
                })
            }}
        </Transition>
    }
}

/// Shown to a signed-in user who opens a page their role does not include.
#[component]
pub fn Forbidden() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::FORBIDDEN);
    }
    view! {
        <section class="panel narrow" aria-labelledby="forbidden-title">
            <h1 id="forbidden-title">"Not available to your role"</h1>
            <p>"This page is for administrators. If you need something changed here, ask an admin of your Rapport."</p>
            <p><a href="/">"Back to My day"</a></p>
        </section>
    }
}

/// Percent-encodes a path for use in a query parameter.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
