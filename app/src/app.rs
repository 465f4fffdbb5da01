//! The HTML shell, the `App` root and the route table.

use crate::api::auth::{SignOut, get_viewer};
use crate::components::guard::{AuthEpoch, RequireUser, ViewerResource};
use crate::components::layout::TopBar;
use crate::model::user::Role;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

/// The document around the app. On the server it also sets the Content-Security-Policy
/// with this response's nonce, which the hydration scripts carry.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    use leptos::nonce::use_nonce;
    let nonce = use_nonce().map(|n| n.to_string()).unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    );
    if let (Some(res), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/rapport.css"/>
        <Title formatter=|text: String| if text.is_empty() { "Rapport".to_string() } else { format!("{text} · Rapport") }/>
        <Router>
            <AppFrame/>
        </Router>
    }
}

/// Everything inside the router: the viewer (refetched after sign-in, setup and sign-out), the
/// top bar and the routes. Form actions are created in the pages, inside `<Routes>`: only there
/// does an action pick up the error of a form posted without JavaScript from the redirect URL.
#[component]
fn AppFrame() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    provide_context(sign_out);
    let epoch = AuthEpoch(RwSignal::new(0));
    provide_context(epoch);
    let viewer = Resource::new(
        move || (epoch.0.get(), sign_out.version().get()),
        |_| get_viewer(),
    );
    provide_context(ViewerResource(viewer));

    // End-to-end tests wait for this attribute before clicking: a click before hydration is lost.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <TopBar/>
            <main id="main" class="content" tabindex="-1">
                <Routes fallback=|| view! { <pages::errors::NotFound/> }>
                    <Route path=path!("/") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::home::HomePage/></RequireUser> }/>
                    <Route path=path!("/signin") ssr=SsrMode::Async view=pages::auth::SignInPage/>
                    <Route path=path!("/setup") ssr=SsrMode::Async view=pages::auth::SetupPage/>
                    <Route path=path!("/forgot-password") ssr=SsrMode::Async view=pages::account::ForgotPasswordPage/>
                    <Route path=path!("/reset-password") ssr=SsrMode::Async view=|| view! { <pages::account::SetPasswordPage purpose="reset"/> }/>
                    <Route path=path!("/accept-invite") ssr=SsrMode::Async view=|| view! { <pages::account::SetPasswordPage purpose="invite"/> }/>
                    <Route path=path!("/customers") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::list::CustomersPage/></RequireUser> }/>
                    <Route path=path!("/customers/new") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::form::NewCustomerPage/></RequireUser> }/>
                    <Route path=path!("/customers/import") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::import::ImportsPage/></RequireUser> }/>
                    <Route path=path!("/customers/import/:id") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::import::ImportPage/></RequireUser> }/>
                    <Route path=path!("/customers/:id") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::detail::CustomerPage/></RequireUser> }/>
                    <Route path=path!("/customers/:id/edit") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::customers::form::EditCustomerPage/></RequireUser> }/>
                    <Route path=path!("/processes") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::processes::list::ProcessesPage/></RequireUser> }/>
                    <Route path=path!("/processes/:id") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::processes::list::ProcessPage/></RequireUser> }/>
                    <Route path=path!("/processes/versions/:id") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::processes::editor::VersionPage/></RequireUser> }/>
                    <Route path=path!("/runs/:id") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::processes::run::RunPage/></RequireUser> }/>
                    <Route path=path!("/profile") ssr=SsrMode::Async view=|| view! { <RequireUser><pages::account::ProfilePage/></RequireUser> }/>
                    <Route path=path!("/admin/users") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::users::UsersPage/></RequireUser> }/>
                    <Route path=path!("/admin/teams") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::teams::TeamsPage/></RequireUser> }/>
                    <Route path=path!("/admin/fields") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::fields::FieldsPage/></RequireUser> }/>
                    <Route path=path!("/admin/fields/new") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::fields::NewFieldPage/></RequireUser> }/>
                    <Route path=path!("/admin/fields/:id") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::fields::EditFieldPage/></RequireUser> }/>
                    <Route path=path!("/admin/stages") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::stages::StagesPage/></RequireUser> }/>
                    <Route path=path!("/admin/audit") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::audit::AuditPage/></RequireUser> }/>
                    <Route path=path!("/admin/mailbox") ssr=SsrMode::Async view=|| view! { <RequireUser role=Role::Admin><pages::admin::mailbox::MailboxPage/></RequireUser> }/>
                </Routes>
            </main>
        </div>
    }
}
