//! Configuration read from the environment. Every variable is listed in the README and in
//! `.env.example`; defaults make a bare `cargo leptos watch` work on SQLite with mail kept in
//! the outbox.

use std::net::IpAddr;
use std::time::Duration;

/// An address or a network (`10.0.0.0/8`, `::1`) that `RAPPORT_TRUSTED_PROXIES` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    pub fn parse(text: &str) -> Option<IpNet> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, Some(p.parse::<u8>().ok()?)),
            None => (text.trim().parse::<IpAddr>().ok()?, None),
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        (prefix <= max).then_some(IpNet { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u32) {
            match ip {
                IpAddr::V4(v4) => (u32::from(v4) as u128, 32),
                IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                    Some(v4) => (u32::from(v4) as u128, 32),
                    None => (u128::from(v6), 128),
                },
            }
        };
        let ((net, net_len), (other, other_len)) = (bits(self.addr), bits(ip));
        if net_len != other_len {
            return false;
        }
        let shift = net_len - u32::from(self.prefix);
        shift >= net_len || (net >> shift) == (other >> shift)
    }
}

#[derive(Clone)]
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
    /// `RAPPORT_QUALITY_INTERVAL_SECONDS` (30): how often stale data-quality scores are redone.
    pub quality_interval: Duration,
    /// `RAPPORT_IMPORT_INTERVAL_SECONDS` (1): how often the import worker looks for queued imports.
    pub import_interval: Duration,
    /// `RAPPORT_IMPORT_MAX_MB` (20): the largest CSV file an import takes, in MiB.
    pub import_max_bytes: usize,
    /// `RAPPORT_IMPORT_MAX_ROWS` (100000): the most customers one import takes.
    pub import_max_rows: usize,
    /// `RAPPORT_TRUSTED_PROXIES` (empty): comma-separated addresses or networks of the load
    /// balancers in front of Rapport. Only a request from one of them may name its client in
    /// `X-Forwarded-For`; otherwise the TCP peer is the client (for sign-in throttling).
    pub trusted_proxies: Vec<IpNet>,
    /// `RAPPORT_SETUP_TOKEN` (unset): the one-time token first-run setup asks for. Unset, the
    /// server makes one and prints it to its log while no admin exists.
    pub setup_token: Option<String>,
}

/// Hides the password of a URL (`scheme://user:password@host` → `scheme://user:***@host`).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_string(),
    }
}

/// Secrets never print: URL passwords are hidden and the setup token is only said to be set.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("base_url", &self.base_url)
            .field("smtp_url", &self.smtp_url.as_deref().map(redact_url))
            .field("mail_dir", &self.mail_dir)
            .field("mail_from", &self.mail_from)
            .field("session_idle", &self.session_idle)
            .field("session_max", &self.session_max)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("sign_in_max_failures", &self.sign_in_max_failures)
            .field("sign_in_window", &self.sign_in_window)
            .field("outbox_interval", &self.outbox_interval)
            .field("quality_interval", &self.quality_interval)
            .field("import_interval", &self.import_interval)
            .field("import_max_bytes", &self.import_max_bytes)
            .field("import_max_rows", &self.import_max_rows)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("setup_token", &self.setup_token.as_ref().map(|_| "***"))
            .finish()
    }
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
        let mut trusted_proxies = Vec::new();
        for part in get("RAPPORT_TRUSTED_PROXIES").unwrap_or_default().split(',') {
            if part.trim().is_empty() {
                continue;
            }
            trusted_proxies.push(IpNet::parse(part).ok_or_else(|| {
                format!("RAPPORT_TRUSTED_PROXIES must list addresses or networks like 10.0.0.0/8, got {part:?}")
            })?);
        }
        Ok(Config {
            trusted_proxies,
            setup_token: get("RAPPORT_SETUP_TOKEN").map(|t| t.trim().to_string()),
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
            quality_interval: Duration::from_secs(number("RAPPORT_QUALITY_INTERVAL_SECONDS", 30)?.max(1)),
            import_interval: Duration::from_secs(number("RAPPORT_IMPORT_INTERVAL_SECONDS", 1)?.max(1)),
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
    fn debug_output_never_shows_a_password_or_the_setup_token() {
        let env: HashMap<&str, &str> = [
            ("RAPPORT_SMTP_URL", "smtps://mailer:hunter2-smtp@mail.example.com:465"),
            ("DATABASE_URL", "postgres://rapport:hunter3-db@db.example.com/rapport"),
            ("RAPPORT_SETUP_TOKEN", "hunter4-setup"),
        ]
        .into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let printed = format!("{config:?}");
        for secret in ["hunter2", "hunter3", "hunter4"] {
            assert!(!printed.contains(secret), "{secret} printed: {printed}");
        }
        assert!(printed.contains("smtps://mailer:***@mail.example.com:465"), "{printed}");
        assert_eq!(redact_url("smtp://127.0.0.1:1025"), "smtp://127.0.0.1:1025");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let env: HashMap<&str, &str> = [("RAPPORT_TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7,::1")].into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        let trusted = |ip: &str| config.trusted_proxies.iter().any(|n| n.contains(ip.parse().unwrap()));
        assert!(trusted("10.20.30.40"));
        assert!(trusted("::ffff:10.1.2.3"));
        assert!(trusted("192.168.1.7"));
        assert!(!trusted("192.168.1.8"));
        assert!(trusted("::1"));
        assert!(!trusted("11.0.0.1"));
        let bad: HashMap<&str, &str> = [("RAPPORT_TRUSTED_PROXIES", "10.0.0.0/40")].into();
        assert!(Config::from_lookup(|k| bad.get(k).map(|v| v.to_string())).is_err());
        assert!(Config::from_lookup(|_| None).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn https_base_url_turns_on_secure_cookies() {
        let env: HashMap<&str, &str> = [("RAPPORT_BASE_URL", "https://crm.example.com/")].into();
        let config = Config::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap();
        assert!(config.is_https());
        assert_eq!(config.base_url, "https://crm.example.com");
    }
}
