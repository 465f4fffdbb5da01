//! The HTML shell, the `App` root and the route table.

use crate::api::auth::{SignOut, get_viewer};
use crate::components::guard::{AuthEpoch, RequireUser, ViewerResource};
use crate::components::layout::TopBar;
use crate::model::user::Role;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ChooseView, SsrMode, path};

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
        // Every page's title passes through this formatter, and so through the raw-text guard.
        <Title formatter=|text: String| {
            crate::components::raw_text::raw_text(if text.is_empty() { "Rapport".to_string() } else { format!("{text} · Rapport") })
        }/>
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
                    <Route path=path!("/") ssr=SsrMode::Async view=Page::Home/>
                    <Route path=path!("/signin") ssr=SsrMode::Async view=Page::SignIn/>
                    <Route path=path!("/setup") ssr=SsrMode::Async view=Page::Setup/>
                    <Route path=path!("/forgot-password") ssr=SsrMode::Async view=Page::ForgotPassword/>
                    <Route path=path!("/reset-password") ssr=SsrMode::Async view=Page::ResetPassword/>
                    <Route path=path!("/accept-invite") ssr=SsrMode::Async view=Page::AcceptInvite/>
                    <Route path=path!("/customers") ssr=SsrMode::Async view=Page::Customers/>
                    <Route path=path!("/customers/new") ssr=SsrMode::Async view=Page::NewCustomer/>
                    <Route path=path!("/customers/import") ssr=SsrMode::Async view=Page::Imports/>
                    <Route path=path!("/customers/import/:id") ssr=SsrMode::Async view=Page::Import/>
                    <Route path=path!("/customers/:id") ssr=SsrMode::Async view=Page::Customer/>
                    <Route path=path!("/customers/:id/edit") ssr=SsrMode::Async view=Page::EditCustomer/>
                    <Route path=path!("/processes") ssr=SsrMode::Async view=Page::Processes/>
                    <Route path=path!("/processes/:id") ssr=SsrMode::Async view=Page::Process/>
                    <Route path=path!("/processes/versions/:id") ssr=SsrMode::Async view=Page::Version/>
                    <Route path=path!("/runs/:id") ssr=SsrMode::Async view=Page::Run/>
                    <Route path=path!("/profile") ssr=SsrMode::Async view=Page::Profile/>
                    <Route path=path!("/admin/users") ssr=SsrMode::Async view=Page::Users/>
                    <Route path=path!("/admin/teams") ssr=SsrMode::Async view=Page::Teams/>
                    <Route path=path!("/admin/fields") ssr=SsrMode::Async view=Page::Fields/>
                    <Route path=path!("/admin/fields/new") ssr=SsrMode::Async view=Page::NewField/>
                    <Route path=path!("/admin/fields/:id") ssr=SsrMode::Async view=Page::EditField/>
                    <Route path=path!("/admin/stages") ssr=SsrMode::Async view=Page::Stages/>
                    <Route path=path!("/admin/audit") ssr=SsrMode::Async view=Page::Audit/>
                    <Route path=path!("/admin/mailbox") ssr=SsrMode::Async view=Page::Mailbox/>
                </Routes>
            </main>
        </div>
    }
}

/// Every page of the route table. With the `split` feature (`cargo leptos build --split
/// --lib-features split --bin-features split`, as `make run`/`test`/`bench` build) the browser
/// loads a page's code on first use, one wasm chunk per area (account, home, customers,
/// processes, admin), so the first load carries the shell, the router and the sign-in and
/// setup pages, not every page; the server names the chunks of the page it renders as preloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
// A plain byte: it is the argument of the split points, which are `extern "C"` calls in the wasm.
#[repr(u8)]
pub enum Page {
    SignIn,
    Setup,
    ForgotPassword,
    ResetPassword,
    AcceptInvite,
    Profile,
    Home,
    Customers,
    NewCustomer,
    Imports,
    Import,
    Customer,
    EditCustomer,
    Processes,
    Process,
    Version,
    Run,
    Users,
    Teams,
    Fields,
    NewField,
    EditField,
    Stages,
    Audit,
    Mailbox,
}

/// The areas, one wasm chunk each, but for the entry pages.
#[derive(Clone, Copy)]
enum Area {
    /// Sign-in and first-run setup: in the first-loaded wasm, so the page everyone starts on
    /// hydrates without fetching chunks (and its server render names none as preloads).
    Entry,
    Account,
    Home,
    Customers,
    Processes,
    Admin,
}

impl Page {
    fn area(self) -> Area {
        use Page::*;
        match self {
            SignIn | Setup => Area::Entry,
            ForgotPassword | ResetPassword | AcceptInvite | Profile => Area::Account,
            Home => Area::Home,
            Customers | NewCustomer | Imports | Import | Customer | EditCustomer => Area::Customers,
            Processes | Process | Version | Run => Area::Processes,
            Users | Teams | Fields | NewField | EditField | Stages | Audit | Mailbox => Area::Admin,
        }
    }
}

impl ChooseView for Page {
    async fn choose(self) -> AnyView {
        // Without the `split` feature the areas are plain functions in the one wasm.
        macro_rules! call {
            ($area:ident) => {{
                #[cfg(feature = "split")]
                let view = $area(self).await;
                #[cfg(not(feature = "split"))]
                let view = $area(self);
                view
            }};
        }
        match self.area() {
            Area::Entry => entry_page(self),
            Area::Account => call!(account_area),
            Area::Home => call!(home_area),
            Area::Customers => call!(customers_area),
            Area::Processes => call!(processes_area),
            Area::Admin => call!(admin_area),
        }
    }

    /// Loads the area's chunk. The router awaits this before it hydrates a server-rendered
    /// page, so that `choose` is ready at once and hydrates the page in place.
    async fn preload(&self) {
        #[cfg(all(feature = "hydrate", feature = "split"))]
        match self.area() {
            Area::Entry => {}
            Area::Account => __preload_account_area().await,
            Area::Home => __preload_home_area().await,
            Area::Customers => __preload_customers_area().await,
            Area::Processes => __preload_processes_area().await,
            Area::Admin => __preload_admin_area().await,
        }
    }
}

fn entry_page(page: Page) -> AnyView {
    match page {
        Page::Setup => view! { <pages::auth::SetupPage/> }.into_any(),
        _ => view! { <pages::auth::SignInPage/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", lazy)]
fn account_area(page: Page) -> AnyView {
    use pages::account;
    match page {
        Page::ForgotPassword => view! { <account::ForgotPasswordPage/> }.into_any(),
        Page::ResetPassword => view! { <account::SetPasswordPage purpose="reset"/> }.into_any(),
        Page::AcceptInvite => view! { <account::SetPasswordPage purpose="invite"/> }.into_any(),
        Page::Profile => view! { <RequireUser><account::ProfilePage/></RequireUser> }.into_any(),
        _ => view! { <pages::errors::NotFound/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", lazy)]
fn home_area(_page: Page) -> AnyView {
    view! { <RequireUser><pages::home::HomePage/></RequireUser> }.into_any()
}

#[cfg_attr(feature = "split", lazy)]
fn customers_area(page: Page) -> AnyView {
    use pages::customers::{detail, form, import, list};
    match page {
        Page::Customers => view! { <RequireUser><list::CustomersPage/></RequireUser> }.into_any(),
        Page::NewCustomer => view! { <RequireUser><form::NewCustomerPage/></RequireUser> }.into_any(),
        Page::Imports => view! { <RequireUser><import::ImportsPage/></RequireUser> }.into_any(),
        Page::Import => view! { <RequireUser><import::ImportPage/></RequireUser> }.into_any(),
        Page::Customer => view! { <RequireUser><detail::CustomerPage/></RequireUser> }.into_any(),
        Page::EditCustomer => view! { <RequireUser><form::EditCustomerPage/></RequireUser> }.into_any(),
        _ => view! { <pages::errors::NotFound/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", lazy)]
fn processes_area(page: Page) -> AnyView {
    use pages::processes::{editor, list, run};
    match page {
        Page::Processes => view! { <RequireUser><list::ProcessesPage/></RequireUser> }.into_any(),
        Page::Process => view! { <RequireUser><list::ProcessPage/></RequireUser> }.into_any(),
        Page::Version => view! { <RequireUser><editor::VersionPage/></RequireUser> }.into_any(),
        Page::Run => view! { <RequireUser><run::RunPage/></RequireUser> }.into_any(),
        _ => view! { <pages::errors::NotFound/> }.into_any(),
    }
}

#[cfg_attr(feature = "split", lazy)]
fn admin_area(page: Page) -> AnyView {
    use pages::admin::{audit, fields, mailbox, stages, teams, users};
    match page {
        Page::Users => view! { <RequireUser role=Role::Admin><users::UsersPage/></RequireUser> }.into_any(),
        Page::Teams => view! { <RequireUser role=Role::Admin><teams::TeamsPage/></RequireUser> }.into_any(),
        Page::Fields => view! { <RequireUser role=Role::Admin><fields::FieldsPage/></RequireUser> }.into_any(),
        Page::NewField => view! { <RequireUser role=Role::Admin><fields::NewFieldPage/></RequireUser> }.into_any(),
        Page::EditField => view! { <RequireUser role=Role::Admin><fields::EditFieldPage/></RequireUser> }.into_any(),
        Page::Stages => view! { <RequireUser role=Role::Admin><stages::StagesPage/></RequireUser> }.into_any(),
        Page::Audit => view! { <RequireUser role=Role::Admin><audit::AuditPage/></RequireUser> }.into_any(),
        Page::Mailbox => view! { <RequireUser role=Role::Admin><mailbox::MailboxPage/></RequireUser> }.into_any(),
        _ => view! { <pages::errors::NotFound/> }.into_any(),
    }
}
