//! Spawning the real server on port 0 over a test database, and a cookie-keeping client.

use app::server::config::Config;
use app::server::state::AppState;
use app::server::testing::{Backend, TestDb};
use std::sync::Arc;

/// The password of users made by `create_member_of`.
pub const PASSWORD: &str = "harbor-lilac-5501";

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    test_db: Option<TestDb>,
}

/// Runs `async fn $name(app: &TestApp)` on SQLite and on PostgreSQL, as two tests named
/// `$name::on_sqlite` and `$name::on_postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $(
        pub mod $name {
            #[tokio::test]
            async fn on_sqlite() {
                let app = $crate::helpers::TestApp::spawn(app::server::testing::Backend::Sqlite).await.unwrap();
                super::$name(&app).await;
                app.stop().await;
            }
            #[tokio::test]
            async fn on_postgres() {
                let Some(app) = $crate::helpers::TestApp::spawn(app::server::testing::Backend::Postgres).await else {
                    return;
                };
                super::$name(&app).await;
                app.stop().await;
            }
        }
        )+
    };
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    pub async fn spawn_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let test_db = TestDb::new(backend).await?;
        let mut config = Config::for_tests(&test_db.url);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.base_url = format!("http://{addr}");
        tweak(&mut config);
        let state = AppState {
            db: test_db.db.clone(),
            config: Arc::new(config),
            leptos_options: Arc::new(server::test_leptos_options()),
            mailer: app::server::mailer::Mailer::Memory(Default::default()),
            setup_done: Arc::default(),
        };
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let router = server::router(state.clone());
        tokio::spawn(server::serve(listener, router, async move {
            let _ = rx.await;
        }));
        Some(TestApp {
            base: format!("http://{addr}"),
            state,
            client: Self::new_client(),
            shutdown: Some(tx),
            test_db: Some(test_db),
        })
    }

    /// A client with its own cookie jar that does not follow redirects. A request that gets no
    /// answer within two minutes fails its test instead of holding the whole suite.
    pub fn new_client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .timeout(std::time::Duration::from_secs(120))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Posts a form to a server function as the hydrated app does (JSON errors, real statuses).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        client
            .post(self.url(endpoint))
            .header("accept", "application/json")
            .header("sec-fetch-site", "same-origin")
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(db) = self.test_db.take() {
            db.cleanup().await;
        }
    }

    /// Creates a user directly through the service (password set) and returns its id.
    pub async fn create_user(
        &self,
        email: &str,
        role: app::model::user::Role,
        password: &str,
    ) -> i32 {
        app::server::services::platform::users::create(
            &self.state.db,
            app::server::services::platform::users::NewUser {
                name: "Test Person",
                email,
                password: Some(password),
                role,
                team_id: None,
                timezone: "UTC",
            },
        )
        .await
        .unwrap()
        .id
    }

    /// Creates a user in `team` with `timezone` and the shared test password `PASSWORD`.
    pub async fn create_member_of(
        &self,
        email: &str,
        role: app::model::user::Role,
        team: Option<i32>,
        timezone: &str,
    ) -> i32 {
        app::server::services::platform::users::create(
            &self.state.db,
            app::server::services::platform::users::NewUser {
                name: email.split('@').next().unwrap_or("someone"),
                email,
                password: Some(PASSWORD),
                role,
                team_id: team,
                timezone,
            },
        )
        .await
        .unwrap()
        .id
    }

    /// Creates a team directly through the service and returns its id.
    pub async fn create_team(&self, name: &str) -> i32 {
        use sea_orm::{ActiveModelTrait, Set};
        app::server::entities::team::ActiveModel {
            name: Set(name.to_string()),
            created_at: Set(chrono::Utc::now()),
            ..Default::default()
        }
        .insert(&self.state.db)
        .await
        .unwrap()
        .id
    }

    /// Calls a server function and decodes its JSON answer, failing the test on an error status.
    pub async fn ok<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> T {
        let res = self.call(client, endpoint, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status.is_success(), "{endpoint} answered {status}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
    }

    /// Calls a server function that must fail, and returns its status and error.
    pub async fn err(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, app::error::AppError) {
        let res = self.call(client, endpoint, form).await;
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert!(status >= 400, "{endpoint} unexpectedly answered {status}: {body}");
        (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}")))
    }

    /// A fresh client signed in as `email`.
    pub async fn signed_in(&self, email: &str, password: &str) -> reqwest::Client {
        let client = Self::new_client();
        let res = self
            .call(
                &client,
                "/api/sign_in",
                &[("email", email), ("password", password)],
            )
            .await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "sign-in failed: {}",
            res.status()
        );
        client
    }
}
