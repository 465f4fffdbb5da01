//! Server functions by feature. Each is a public HTTP endpoint under `/api/`: it checks the
//! caller first (`Caller::signed_in()?`, narrowed with `.admin()?`), validates, then calls a service.

pub mod account;
pub mod admin;
pub mod auth;
pub mod crm;
pub mod imports;
pub mod processes;
pub mod tokens;

/// The server functions anyone may call without a session. Everything else refuses anonymous
/// callers; `server/tests/api/security.rs` walks every registered endpoint to prove it.
pub const ANONYMOUS_ENDPOINTS: &[&str] = &[
    "/api/get_viewer",
    "/api/sign_in",
    "/api/setup_first_admin",
    "/api/list_timezones",
    "/api/forgot_password",
    "/api/check_link",
    "/api/set_password_from_link",
];

/// Where to go after signing in: a path on this site, else `/`. Browsers drop tabs and line
/// breaks from URLs and read a backslash as `/`, so `/\t/evil.example` would become `//evil.example`, another
/// site: any control character or backslash is refused, and so is a path that starts with a
/// second slash or holds a scheme. Bytes outside printable ASCII are percent-encoded, so the
/// result is always a valid `Location` header.
pub fn safe_next(next: Option<&str>) -> String {
    let Some(path) = next else {
        return "/".to_string();
    };
    let local = path.starts_with('/')
        && !path[1..].starts_with('/')
        && !path.chars().any(|c| c.is_control() || c == '\\')
        && !path.contains("://");
    if !local {
        return "/".to_string();
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(safe_next(Some("/customers?x=1")), "/customers?x=1");
        assert_eq!(safe_next(Some("/customers/12/edit")), "/customers/12/edit");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn the_usual_open_redirect_bypasses_fall_back_to_home() {
        for hostile in [
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/\u{0}/evil.example",
            "/\u{7f}/evil.example",
            "/\u{85}/evil.example",
            "https://evil.example",
            "http:/evil.example",
            "javascript:alert(1)",
            "/x?u=https://evil.example",
            "evil.example",
            " /evil",
            "",
            "/\t",
        ] {
            assert_eq!(safe_next(Some(hostile)), "/", "{hostile:?}");
        }
    }

    #[test]
    fn a_kept_path_is_always_a_valid_location_header() {
        let kept = safe_next(Some("/customers?q=Zoë Ølsen"));
        assert_eq!(kept, "/customers?q=Zo%C3%AB%20%C3%98lsen");
        assert!(http::HeaderValue::from_str(&kept).is_ok());
    }
}
