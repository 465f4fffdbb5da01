//! Configuration read from the environment. Every variable is listed in the README and in
//! `.env.example`; defaults make a bare `cargo leptos watch` work on SQLite with mail kept in
//! the outbox.

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Config {
    /// `DATABASE_URL`: SQLite file or PostgreSQL server.
    pub database_url: String,
    /// `RAPPORT_BASE_URL`: the public address, used in emailed links and to decide `Secure` cookies.
    pub base_url: String,
    /// `RAPPORT_SMTP_URL`: e.g. `smtp://127.0.0.1:1025` or `smtps://user:pass@host`. Unset: no delivery.
    pub smtp_url: Option<String>,
    /// `RAPPORT_MAIL_DIR`: write each email as a file here instead of sending it (ignored with SMTP).
    pub mail_dir: Option<String>,
    /// `RAPPORT_MAIL_FROM`: the sender address.
    pub mail_from: String,
    /// `RAPPORT_SESSION_IDLE_MINUTES` (30): a session unused this long ends.
    pub session_idle: Duration,
    /// `RAPPORT_SESSION_MAX_HOURS` (12): a session ends this long after sign-in, used or not.
    pub session_max: Duration,
    /// `RAPPORT_MAX_BODY_BYTES` (2 MiB): larger request bodies get 413.
    pub max_body_bytes: usize,
    /// `RAPPORT_SIGNIN_MAX_FAILURES` (10) within `RAPPORT_SIGNIN_WINDOW_MINUTES` (15) for one
    /// account from one client address: further attempts from that pair wait.
    pub sign_in_max_failures: u64,
    pub sign_in_window: Duration,
    /// `RAPPORT_OUTBOX_INTERVAL_SECONDS` (5): how often the dispatcher looks for due mail.
    pub outbox_interval: Duration,
    /// `RAPPORT_IMPORT_MAX_MB` (20): the largest CSV file an import takes, in MiB.
    pub import_max_bytes: usize,
    /// `RAPPORT_IMPORT_MAX_ROWS` (100000): the most customers one import takes.
    pub import_max_rows: usize,
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        Config::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds the configuration from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let number = |key: &str, default: u64| -> Result<u64, String> {
            match get(key) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{key} must be a whole number, got {v:?}")),
            }
        };
        let site_addr = get("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let base_url = get("RAPPORT_BASE_URL")
            .unwrap_or_else(|| format!("http://{site_addr}"))
            .trim_end_matches('/')
            .to_string();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(format!(
                "RAPPORT_BASE_URL must start with http:// or https://, got {base_url:?}"
            ));
        }
        let session_idle_minutes = number("RAPPORT_SESSION_IDLE_MINUTES", 30)?;
        let session_max_hours = number("RAPPORT_SESSION_MAX_HOURS", 12)?;
        if session_idle_minutes == 0 || session_max_hours == 0 {
            return Err("session lifetimes must be at least 1".into());
        }
        Ok(Config {
            database_url: get("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://rapport.db?mode=rwc".into()),
            base_url,
            smtp_url: get("RAPPORT_SMTP_URL"),
            mail_dir: get("RAPPORT_MAIL_DIR"),
            mail_from: get("RAPPORT_MAIL_FROM")
                .unwrap_or_else(|| "Rapport <rapport@localhost>".into()),
            session_idle: Duration::from_secs(session_idle_minutes * 60),
            session_max: Duration::from_secs(session_max_hours * 3600),
            max_body_bytes: number("RAPPORT_MAX_BODY_BYTES", 2 * 1024 * 1024)? as usize,
            sign_in_max_failures: number("RAPPORT_SIGNIN_MAX_FAILURES", 10)?.max(1),
            sign_in_window: Duration::from_secs(
                number("RAPPORT_SIGNIN_WINDOW_MINUTES", 15)?.max(1) * 60,
            ),
            outbox_interval: Duration::from_secs(
                number("RAPPORT_OUTBOX_INTERVAL_SECONDS", 5)?.max(1),
            ),
            import_max_bytes: (number("RAPPORT_IMPORT_MAX_MB", 20)?.max(1) * 1024 * 1024) as usize,
            import_max_rows: number("RAPPORT_IMPORT_MAX_ROWS", 100_000)?.max(1) as usize,
        })
    }

    /// Whether the app is served over https (cookies get `Secure`, responses get HSTS).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// A configuration for tests: in-memory SQLite unless told otherwise.
    pub fn for_tests(database_url: &str) -> Config {
        let mut config = Config::from_lookup(|_| None).unwrap_or_else(|e| panic!("{e}"));
        config.database_url = database_url.to_string();
        config
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn defaults_work_with_an_empty_environment() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.database_url, "sqlite://rapport.db?mode=rwc");
        assert_eq!(config.base_url, "http://127.0.0.1:3000");
        assert_eq!(config.session_idle, Duration::from_secs(1800));
        assert_eq!(config.session_max, Duration::from_secs(12 * 3600));
        assert!(config.smtp_url.is_none());
        assert!(!config.is_https());
    }

    #[test]
    fn a_bad_number_is_reported_with_its_variable() {
        let env: HashMap<&str, &str> = [("RAPPORT_SESSION_IDLE_MINUTES", "soon")].into();
        let err = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
        assert!(err.contains("RAPPORT_SESSION_IDLE_MINUTES"), "{err}");
    }

    #[test]
    fn https_base_url_turns_on_secure_cookies() {
        let env: HashMap<&str, &str> = [("RAPPORT_BASE_URL", "https://crm.example.com/")].into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert!(config.is_https());
        assert_eq!(config.base_url, "https://crm.example.com");
    }
}
