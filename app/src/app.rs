//! The HTML shell, the `App` root and the route table.

use crate::api::auth::{SignOut, get_viewer};
use crate::components::guard::{AuthEpoch, RequireUser, ViewerResource};
use crate::components::layout::TopBar;
use crate::model::user::Role;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ChooseView, SsrMode, path};

/// Where this build's `/pkg` files are served, before `/pkg/...` (`/static/BUILD`, where
/// they are cached for good); provided by the server to each request. Without it, `/pkg/...`.
#[derive(Clone, Debug)]
pub struct AssetRoot(pub std::sync::Arc<str>);

/// The document around the app. On the server it also sets the Content-Security-Policy
/// with this response's nonce, which the hydration scripts carry.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    let root = use_context::<AssetRoot>().map(|r| r.0.to_string()).unwrap_or_default();
    let stylesheet = format!("{root}/{}/{}.css", options.site_pkg_dir, options.output_name);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <meta name="description" content="Rapport: your team's customers, follow-ups and guided processes in one place."/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="leptos" href=stylesheet/>
                <HydrationScripts options root/>
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
    let (routing, set_routing) = signal(false);
    let page_hydrated = PageHydrated(RwSignal::new(false));
    provide_context(page_hydrated);
    // The browser hydrates the shell first and the page once its area's code is there. Until
    // then the page's own `<Title>` is not in effect, and without a text of its own the title
    // would be emptied (the tab showing the bare address): in the browser the root keeps the
    // server's title until the page has hydrated. The server reads no signal here: it formats
    // the title after the app's reactive values are gone (reading one there panicked).
    #[cfg(not(feature = "hydrate"))]
    let (text, formatter) = (String::new, page_title);
    #[cfg(feature = "hydrate")]
    let (text, formatter) = {
        let hydrated = page_hydrated.0;
        let server_title = document().title();
        let held = server_title.clone();
        (
            move || if hydrated.try_get().unwrap_or(true) { String::new() } else { server_title.clone() },
            move |text: String| {
                if !hydrated.try_get_untracked().unwrap_or(true) && text == held { text } else { page_title(text) }
            },
        )
    };
    view! {
        // Every page's title passes through this formatter, and so through the raw-text guard.
        <Title text formatter/>
        // While the router moves to another page it keeps the old one on screen until the new
        // one's code and data are there, and the bar at the top says that it is loading.
        <Router set_is_routing=set_routing>
            <AppFrame routing/>
        </Router>
    }
}

/// A page's title as the tab shows it: "Customers · Rapport", or "Rapport" for none.
fn page_title(text: String) -> String {
    crate::components::raw_text::raw_text(if text.is_empty() { "Rapport".to_string() } else { format!("{text} · Rapport") })
}

/// Whether the first page's own view has hydrated (set by [`PageReady`]).
#[derive(Clone, Copy)]
struct PageHydrated(RwSignal<bool>);

/// Rendered after every page's view: its effect runs once that view has hydrated, which for a
/// page in a split area is after the area's chunk has arrived, later than the shell.
#[component]
fn PageReady() -> impl IntoView {
    if let Some(PageHydrated(hydrated)) = use_context::<PageHydrated>() {
        Effect::new(move |_| hydrated.set(true));
    }
}

/// Everything inside the router: the viewer (refetched after sign-in, setup and sign-out), the
/// top bar and the routes. Form actions are created in the pages, inside `<Routes>`: only there
/// does an action pick up the error of a form posted without JavaScript from the redirect URL.
#[component]
fn AppFrame(routing: ReadSignal<bool>) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    provide_context(sign_out);
    let epoch = AuthEpoch(RwSignal::new(0));
    provide_context(epoch);
    let viewer = Resource::new(
        move || (epoch.0.get(), sign_out.version().get()),
        |_| get_viewer(),
    );
    provide_context(ViewerResource(viewer));

    // End-to-end tests wait for this attribute before clicking: a click before hydration is
    // lost. It turns true once the page itself has hydrated, not only the shell around it.
    let hydrated = expect_context::<PageHydrated>().0;

    view! {
        <div class="app" data-hydrated=move || if hydrated.get() { "true" } else { "false" }>
            <div class="route-progress" role="progressbar" aria-label="Loading the page" hidden=move || !routing.get()></div>
            <TopBar/>
            <main id="main" class="content" tabindex="-1">
                <PageRoutes/>
            </main>
        </div>
    }
}

// The route table. Each page is declared once, in its area: its variant, its path and its view.
// The macro makes the `Page` enum (one inner enum per area, so each area's match has no
// catch-all arm: a page without a view does not compile), the `<Route>` of each page, the
// area of each page and the area functions. With the `split` feature (`cargo leptos build
// --split --lib-features split --bin-features split`, as `make run`/`test`/`bench` build) the
// browser loads a page's code on first use, one wasm chunk per area (`#[lazy]` functions), so
// the first load carries the shell, the router and the entry pages, not every page; the server
// names the chunks of the page it renders as preloads.
macro_rules! route_table {
    (
        $(#[$entry_doc:meta])*
        $entry:ident in $entry_fn:ident { $( $epage:ident $epath:tt => $eview:expr, )* }
        $(
            $(#[$doc:meta])*
            $area:ident in $area_fn:ident { $( $page:ident $path:tt => $view:expr, )* }
        )*
    ) => {
        /// The pages of each area; the argument of an area's split point, which is an
        /// `extern "C"` call in the wasm, so each is a plain byte.
        pub mod page {
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            #[repr(u8)]
            pub enum $entry { $( $epage, )* }
            $(
                #[derive(Clone, Copy, Debug, PartialEq, Eq)]
                #[repr(u8)]
                pub enum $area { $( $page, )* }
            )*
        }

        /// Every page of the route table, by area.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Page {
            $(#[$entry_doc])*
            $entry(page::$entry),
            $( $(#[$doc])* $area(page::$area), )*
        }

        /// The `<Route>` of every page, with the not-found page for any other path.
        #[component]
        fn PageRoutes() -> impl IntoView {
            view! {
                <Routes fallback=|| view! { <pages::errors::NotFound/><PageReady/> }>
                    $( <Route path=path!($epath) ssr=SsrMode::Async view=Page::$entry(page::$entry::$epage)/> )*
                    $( $( <Route path=path!($path) ssr=SsrMode::Async view=Page::$area(page::$area::$page)/> )* )*
                </Routes>
            }
        }

        impl ChooseView for Page {
            async fn choose(self) -> AnyView {
                // The server names the page's own chunks as preloads and every other area's
                // for the browser to fetch while idle (see `prefetch`).
                #[cfg(feature = "ssr")]
                crate::prefetch::link_chunks(match self {
                    Page::$entry(_) => None,
                    $( Page::$area(_) => Some(stringify!($area_fn)), )*
                });
                let view = match self {
                    Page::$entry(p) => $entry_fn(p),
                    $(
                        // Without the `split` feature the areas are plain functions in the one wasm.
                        Page::$area(p) => {
                            #[cfg(feature = "split")]
                            let view = $area_fn(p).await;
                            #[cfg(not(feature = "split"))]
                            let view = $area_fn(p);
                            view
                        }
                    )*
                };
                view! { {view}<PageReady/> }.into_any()
            }

            /// Loads the area's chunk. The router awaits this before it hydrates a
            /// server-rendered page, so that `choose` is ready at once and hydrates the page in
            /// place.
            async fn preload(&self) {
                #[cfg(all(feature = "hydrate", feature = "split"))]
                preload_area(*self).await;
            }
        }

        /// The entry pages are in the first-loaded wasm, so the page everyone starts on hydrates
        /// without fetching chunks (and its server render names none as preloads).
        fn $entry_fn(p: page::$entry) -> AnyView {
            match p {
                $( page::$entry::$epage => $eview.into_any(), )*
            }
        }

        $(
            #[cfg_attr(feature = "split", lazy)]
            fn $area_fn(p: page::$area) -> AnyView {
                match p {
                    $( page::$area::$page => $view.into_any(), )*
                }
            }
        )*
    };
}

route_table! {
    /// Sign-in and first-run setup.
    Entry in entry_page {
        SignIn "/signin" => view! { <pages::auth::SignInPage/> },
        Setup "/setup" => view! { <pages::auth::SetupPage/> },
    }
    /// Password reset, invitations and the profile.
    Account in account_area {
        ForgotPassword "/forgot-password" => view! { <pages::account::ForgotPasswordPage/> },
        ResetPassword "/reset-password" => view! { <pages::account::SetPasswordPage purpose="reset"/> },
        AcceptInvite "/accept-invite" => view! { <pages::account::SetPasswordPage purpose="invite"/> },
        Profile "/profile" => view! { <RequireUser><pages::account::ProfilePage/></RequireUser> },
    }
    /// "My day".
    Home in home_area {
        Home "/" => view! { <RequireUser><pages::home::HomePage/></RequireUser> },
    }
    /// Customers, their pages and imports.
    Customers in customers_area {
        List "/customers" => view! { <RequireUser><pages::customers::list::CustomersPage/></RequireUser> },
        New "/customers/new" => view! { <RequireUser><pages::customers::form::NewCustomerPage/></RequireUser> },
        Imports "/customers/import" => view! { <RequireUser><pages::customers::import::ImportsPage/></RequireUser> },
        Import "/customers/import/:id" => view! { <RequireUser><pages::customers::import::ImportPage/></RequireUser> },
        Customer "/customers/:id" => view! { <RequireUser><pages::customers::detail::CustomerPage/></RequireUser> },
        Edit "/customers/:id/edit" => view! { <RequireUser><pages::customers::form::EditCustomerPage/></RequireUser> },
    }
    /// Process templates, their versions and runs.
    Processes in processes_area {
        List "/processes" => view! { <RequireUser><pages::processes::list::ProcessesPage/></RequireUser> },
        Process "/processes/:id" => view! { <RequireUser><pages::processes::list::ProcessPage/></RequireUser> },
        Version "/processes/versions/:id" => view! { <RequireUser><pages::processes::editor::VersionPage/></RequireUser> },
        Run "/runs/:id" => view! { <RequireUser><pages::processes::run::RunPage/></RequireUser> },
    }
    /// The admin pages.
    Admin in admin_area {
        Users "/admin/users" => view! { <RequireUser role=Role::Admin><pages::admin::users::UsersPage/></RequireUser> },
        Teams "/admin/teams" => view! { <RequireUser role=Role::Admin><pages::admin::teams::TeamsPage/></RequireUser> },
        Fields "/admin/fields" => view! { <RequireUser role=Role::Admin><pages::admin::fields::FieldsPage/></RequireUser> },
        NewField "/admin/fields/new" => view! { <RequireUser role=Role::Admin><pages::admin::fields::NewFieldPage/></RequireUser> },
        EditField "/admin/fields/:id" => view! { <RequireUser role=Role::Admin><pages::admin::fields::EditFieldPage/></RequireUser> },
        Stages "/admin/stages" => view! { <RequireUser role=Role::Admin><pages::admin::stages::StagesPage/></RequireUser> },
        Audit "/admin/audit" => view! { <RequireUser role=Role::Admin><pages::admin::audit::AuditPage/></RequireUser> },
        Mailbox "/admin/mailbox" => view! { <RequireUser role=Role::Admin><pages::admin::mailbox::MailboxPage/></RequireUser> },
    }
}

/// Loads the chunk of a page's area (the entry pages have none).
#[cfg(all(feature = "hydrate", feature = "split"))]
async fn preload_area(page: Page) {
    match page {
        Page::Entry(_) => {}
        Page::Account(_) => __preload_account_area().await,
        Page::Home(_) => __preload_home_area().await,
        Page::Customers(_) => __preload_customers_area().await,
        Page::Processes(_) => __preload_processes_area().await,
        Page::Admin(_) => __preload_admin_area().await,
    }
}
