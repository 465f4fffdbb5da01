//! The Rapport server: builds the shared state, the axum router (Leptos pages, server
//! functions, health checks, static files) with its security middleware, and serves it with
//! graceful shutdown. `main.rs` is only the command line around this.

pub mod assets;
pub mod export;
pub mod import;
pub mod jobs;
pub mod middleware;
pub mod rest;

use app::server::{config::Config, db, state::AppState};
use app::{App, shell};
use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use leptos::prelude::*;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::sync::{Arc, OnceLock};
use tokio::net::TcpListener;

/// Connects to the database (running migrations) and assembles the shared state.
pub async fn build_state(
    config: Config,
    leptos_options: LeptosOptions,
) -> Result<AppState, String> {
    let db = db::connect(&config.database_url)
        .await
        .map_err(|e| format!("could not open the database: {e}"))?;
    let mailer = app::server::mailer::Mailer::from_config(&config)?;
    Ok(AppState {
        db,
        config: Arc::new(config),
        leptos_options: Arc::new(leptos_options),
        mailer,
        setup_done: Arc::default(),
    })
}

/// Options for serving the site outside cargo-leptos (tests): no compiled wasm needed.
pub fn test_leptos_options() -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("rapport")
        .site_root("target/site")
        .build()
}

/// The page routes, generated once per process. Generating them renders the app with resource
/// loading switched off for the whole process (leptos_server's global `SuppressResourceLoad`):
/// a page whose data started loading on another thread meanwhile would wait for it forever.
/// So every router built in this process (the test suite builds one per test, while other
/// tests serve pages) shares the one list made before the first of them serves anything.
pub fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    let routes = page_routes();
    let leptos_options = LeptosOptions::clone(&state.leptos_options);
    let context_state = state.clone();
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref())
        .join(leptos_options.site_pkg_dir.as_ref());
    let build = assets::Build::of(&pkg_dir);
    let asset_root = app::AssetRoot(Arc::from(build.root()));
    // (leptos_axum provides the nonce itself.)
    let context = move || {
        provide_context(context_state.clone());
        provide_context(asset_root.clone());
    };
    let fallback_context = context.clone();
    let mut base = Router::new();
    // The benchmark's baselines, only present when RAPPORT_BENCH_FIXED_FILE names a file: the
    // same bytes as a server-rendered page, served as a fixed string by the same server; and
    // the smallest page Leptos can render (one paragraph, no router), through the same
    // leptos_axum pipeline as the real pages: the floor of server rendering on this stack.
    if let Ok(path) = std::env::var("RAPPORT_BENCH_FIXED_FILE") {
        let minimal = leptos_axum::render_app_async_with_context(context.clone(), || {
            view! {
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"/></head><body><p>"Rapport"</p></body></html>
            }
        });
        base = base.route("/__bench/minimal", get(move |req: axum::extract::Request| minimal(req)));
        let body: Arc<std::sync::OnceLock<axum::body::Bytes>> = Arc::default();
        base = base.route(
            "/__bench/fixed",
            get(move || {
                let body = body.clone();
                let path = path.clone();
                async move {
                    let bytes = body
                        .get_or_init(|| std::fs::read(&path).unwrap_or_default().into())
                        .clone();
                    (
                        [(http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        bytes,
                    )
                }
            }),
        );
    }
    let site = base
        .nest_service("/pkg", assets::pkg_router(pkg_dir.clone()))
        .merge(assets::versioned_router(pkg_dir, build))
        .route("/healthz", get(healthz))
        .route("/customers/export.csv", get(export::customers_csv))
        .route("/processes/{id}/export.json", get(export::process_json))
        .merge(rest::router())
        .route("/readyz", get(readyz))
        .leptos_routes_with_context(&state, routes, context, {
            // Shared: axum clones a route's handler, and so this closure, for every request.
            let options = Arc::new(leptos_options.clone());
            move || shell(LeptosOptions::clone(&options))
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(fallback_context, shell))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            state.config.max_body_bytes,
        ));
    // The CSV upload takes larger bodies than everything else.
    let upload = Router::new()
        .route(import::UPLOAD_PATH, axum::routing::post(import::upload))
        .layer(axum::extract::DefaultBodyLimit::disable())
        .layer(tower_http::limit::RequestBodyLimitLayer::new(import::body_limit(
            &state.config,
        )));
    // The middleware wraps the whole router once. (`Router::layer` would wrap every route
    // separately, and axum clones a route's whole stack, handler state included, per request.)
    let middleware = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::refuse_cross_site,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::limit_call_bodies,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::resolve_session,
        ))
        .layer(axum::middleware::from_fn(middleware::guard_server_fns))
        .layer(axum::middleware::from_fn(middleware::page_redirect_status))
        .layer(axum::middleware::from_fn(
            middleware::server_fn_error_status,
        ));
    Router::new().fallback_service(middleware.service(upload.merge(site).with_state(state)))
}

/// 200 while the process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// 200 while the database answers, 503 otherwise.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if db::ping(&state.db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Without TCP_NODELAY, bodies written after the headers stall on the client's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Serves `state` with the background jobs until `shutdown` resolves. Then the jobs claim
/// nothing new and the server takes no new connections; this returns once the in-flight
/// requests have been answered and each job has finished what it holds.
pub async fn serve_with_jobs(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let jobs = jobs::Jobs::start(&state);
    let stop_jobs = jobs.stopper();
    let served = serve(listener, router(state), async move {
        shutdown.await;
        stop_jobs();
    })
    .await;
    jobs.stopped().await;
    tracing::info!("stopped");
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
