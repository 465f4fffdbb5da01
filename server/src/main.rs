//! The `server` binary: `serve` (default), `migrate`, `create-admin`, `seed-demo`, `seed-bench`.

use app::server::config::Config;
use app::server::services::{seed::demo, platform::users};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::process::ExitCode;

/// mimalloc instead of the system allocator: server-side rendering allocates and frees many
/// small objects per request (reactive owners, view strings), and glibc's malloc spent about a
/// third of the server's CPU time on them under load (`perf` on `make bench`'s sign-in load).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "server", about = "Rapport, the CRM people actually use")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database and serve the web app (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an admin. The password is read from standard input, never from the command line.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Add demo teams and users (one per role) when the database has no user yet.
    SeedDemo,
    /// Print the REST API's OpenAPI document (what `/api/v1/openapi.json` serves), to generate
    /// a client without a running instance.
    Openapi,
    /// Benchmark data: the demo data, then this many more customers and interactions (for
    /// `make bench-crm`; use an empty database).
    SeedBench {
        #[arg(long, default_value_t = 100_000)]
        customers: usize,
        #[arg(long, default_value_t = 1_000_000)]
        interactions: usize,
        /// Process runs over the added customers, with their steps.
        #[arg(long, default_value_t = 50_000)]
        runs: usize,
    },
    /// Write the brotli and gzip variants of the files in DIR (`serve` runs this in a child
    /// process, so that the compressor's buffers never stay in the server's memory).
    #[command(hide = true)]
    Precompress { dir: std::path::PathBuf },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_env()?;
    let leptos_options = leptos::prelude::get_configuration(None)
        .map_err(|e| e.to_string())?
        .leptos_options;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => {
            let addr = leptos_options.site_addr;
            if leptos_options.env == leptos::config::Env::PROD {
                let pkg = std::path::Path::new(leptos_options.site_root.as_ref())
                    .join(leptos_options.site_pkg_dir.as_ref());
                // In the background: until it is done, /pkg is served uncompressed.
                tokio::task::spawn_blocking(move || {
                    let child = std::env::current_exe().and_then(|exe| {
                        std::process::Command::new(exe).arg("precompress").arg(&pkg).status()
                    });
                    match child {
                        Ok(status) if status.success() => {}
                        Ok(status) => tracing::warn!(%status, "could not precompress {}", pkg.display()),
                        Err(e) => tracing::warn!(error = %e, "could not start the precompression of {}", pkg.display()),
                    }
                });
            }
            let state = server::build_state(config, leptos_options).await?;
            match users::setup_token(&state.db, &state.config).await {
                Ok(Some(token)) => print_setup_token(&state.config.base_url, &token),
                Ok(None) => {}
                Err(e) => return Err(format!("could not prepare first-run setup: {}", describe(e))),
            }
            if !state.mailer.is_delivering() {
                tracing::warn!(
                    "RAPPORT_SMTP_URL is not set: mail stays in the outbox (admins read it on the Mailbox page)"
                );
            }
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
            tracing::info!("Rapport is listening on http://{addr}");
            server::serve_with_jobs(listener, state, server::shutdown_signal())
                .await
                .map_err(|e| e.to_string())
        }
        Command::Precompress { dir } => {
            let n = server::assets::precompress(&dir)
                .map_err(|e| format!("could not precompress {}: {e}", dir.display()))?;
            tracing::info!("precompressed {n} file(s) in {}", dir.display());
            Ok(())
        }
        Command::Openapi => {
            let doc = serde_json::to_string_pretty(server::rest::document()).map_err(|e| e.to_string())?;
            println!("{doc}");
            Ok(())
        }
        Command::Migrate => {
            server::build_state(config, leptos_options).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin {
            email,
            name,
            timezone,
        } => {
            let state = server::build_state(config, leptos_options).await?;
            eprint!("Password for {email}: ");
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .map_err(|e| e.to_string())?;
            let password = password.trim_end_matches(['\r', '\n']);
            let user = users::create(
                &state.db,
                users::NewUser {
                    name: &name,
                    email: &email,
                    password: Some(password),
                    role: app::model::user::Role::Admin,
                    team_id: None,
                    timezone: &timezone,
                },
            )
            .await
            .map_err(describe)?;
            println!("admin {} created (id {})", user.email, user.id);
            Ok(())
        }
        Command::SeedDemo => {
            let state = server::build_state(config, leptos_options).await?;
            if demo::seed(&state.db).await.map_err(describe)? {
                println!(
                    "demo data added; sign in with any of these (password {}):",
                    demo::DEMO_PASSWORD
                );
                for (email, _, role) in demo::DEMO_USERS {
                    println!("  {role:<8} {email}");
                }
            } else {
                println!("the database already has users: demo data not added");
            }
            Ok(())
        }
        Command::SeedBench {
            customers,
            interactions,
            runs,
        } => {
            let state = server::build_state(config, leptos_options).await?;
            if !demo::seed(&state.db).await.map_err(describe)? {
                return Err("seed-bench needs an empty database".into());
            }
            app::server::services::seed::bench::seed(&state.db, customers, interactions)
                .await
                .map_err(describe)?;
            let last_run = app::server::services::seed::bench::seed_runs(&state.db, runs)
                .await
                .map_err(describe)?;
            println!("benchmark data added: {customers} customers, about {interactions} interactions, {runs} process runs");
            println!("last run id: {last_run}");
            Ok(())
        }
    }
}

/// While no admin exists, the one-time token the setup page asks for: printed on the server's
/// own output (not through the log filter), so whoever runs the server, and only they, has it.
fn print_setup_token(base_url: &str, token: &str) {
    eprintln!();
    eprintln!("  Rapport has no administrator yet. Open {base_url}/setup and enter this setup token:");
    eprintln!();
    eprintln!("      {token}");
    eprintln!();
    eprintln!("  (Or create one with `server create-admin --email … --name …`.)");
    eprintln!();
}

fn describe(e: app::error::AppError) -> String {
    match e {
        app::error::AppError::Validation { fields, .. } => fields
            .into_iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}
