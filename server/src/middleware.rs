//! Request middleware: security headers on every response, refusal of state-changing requests
//! from other sites, and resolution of the session cookie into a `CurrentUser`.

use app::server::auth::{ClientAddr, CurrentUser};
use app::server::services::platform::{sessions, users};
use app::server::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderValue, Method, StatusCode, header};
use std::net::SocketAddr;

/// Adds the headers every response carries. HTML pages set their own CSP (with the nonce of
/// their hydration script) in `app::shell`; everything else gets a CSP that allows nothing.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
            ),
        );
    }
    if state.config.is_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    res
}

/// The origin (`scheme://host[:port]`) of a base URL, without any path.
fn origin_of(base_url: &str) -> &str {
    match base_url.split_once("://") {
        Some((scheme, rest)) => {
            let end = rest.find('/').map_or(base_url.len(), |i| scheme.len() + 3 + i);
            &base_url[..end]
        }
        None => base_url,
    }
}

/// Whether a request may change state: safe methods always; others only from this site.
/// Browsers send `Sec-Fetch-Site` (and `Origin` on posts); a request with neither comes from a
/// non-browser client, which cannot carry a victim's cookies by accident. An `Origin` must match
/// in scheme, host and port: the configured base URL's origin, or this request's `Host` under the
/// base URL's scheme (so a server reached by another name, like `localhost`, still works).
pub fn is_same_site_request(method: &Method, headers: &http::HeaderMap, base_url: &str) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let ours = origin_of(base_url);
            if origin.eq_ignore_ascii_case(ours) {
                return true;
            }
            let scheme = ours.split_once("://").map_or("http", |(s, _)| s);
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            !host.is_empty() && origin.eq_ignore_ascii_case(&format!("{scheme}://{host}"))
        }
    }
}

/// Refuses state-changing requests from other sites with 403.
pub async fn refuse_cross_site(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if is_same_site_request(req.method(), req.headers(), &state.config.base_url) {
        next.run(req).await
    } else {
        (StatusCode::FORBIDDEN, "Cross-site requests are refused.").into_response()
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the nearest
/// address in `X-Forwarded-For` (read from the right, where our own proxies append) that is not
/// itself a trusted proxy. A client cannot forge its way past this: whatever it puts in the
/// header sits left of what the trusted proxies add.
pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &http::HeaderMap,
    trusted: &[app::server::config::IpNet],
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let is_trusted = |ip: std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(peer) {
        return peer.to_string();
    }
    let hops: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        let parsed = hop
            .parse::<std::net::IpAddr>()
            .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()));
        match parsed {
            Ok(ip) => {
                client = ip;
                if !is_trusted(ip) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client.to_string()
}

/// Puts the client address and, when the session cookie is live, the `CurrentUser` into the
/// request's extensions. A dead cookie is cleared.
pub async fn resolve_session(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    let addr = client_ip(peer, req.headers(), &state.config.trusted_proxies);
    req.extensions_mut().insert(ClientAddr(addr));
    // The REST API also takes a personal API token; a bad one is refused outright.
    let bearer = req
        .uri()
        .path()
        .starts_with("/api/v1/")
        .then(|| req.headers().get(header::AUTHORIZATION))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    if let Some(token) = bearer {
        let unavailable = || (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable.").into_response();
        return match app::server::services::platform::tokens::authenticate(&state.db, &token).await {
            Ok(Some((found, user))) => match users::view(&state.db, &user).await {
                Ok(view) => {
                    req.extensions_mut().insert(CurrentUser {
                        user: view,
                        session_id: format!("api-token:{}", found.id),
                    });
                    next.run(req).await
                }
                Err(_) => unavailable(),
            },
            Ok(None) => {
                let mut res = crate::rest::ApiError(app::error::AppError::Unauthorized).into_response();
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer error=\"invalid_token\""),
                );
                res
            }
            Err(_) => unavailable(),
        };
    }
    let token = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(sessions::token_from_cookie_header)
        .map(str::to_string);
    let mut clear = false;
    if let Some(token) = token {
        match sessions::resolve(&state.db, &state.config, &token).await {
            Ok(Some((session, user))) => match users::view(&state.db, &user).await {
                Ok(view) => {
                    req.extensions_mut().insert(CurrentUser {
                        user: view,
                        session_id: session.id,
                    });
                }
                Err(_) => {
                    return (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable.")
                        .into_response();
                }
            },
            Ok(None) => clear = true,
            Err(_) => {
                return (StatusCode::SERVICE_UNAVAILABLE, "Database unavailable.").into_response();
            }
        }
    }
    let mut res = next.run(req).await;
    if clear && let Ok(v) = HeaderValue::from_str(&sessions::clear_cookie(&state.config)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// The header server functions put on their error responses (server_fn's own name for it).
const SERVER_FN_ERROR_HEADER: &str = "serverfnerror";

/// The server function endpoints only admins may call: by convention under `/api/admin/`.
pub fn is_admin_endpoint(path: &str) -> bool {
    path.starts_with("/api/admin/")
}

/// A server-function error response carrying `err`, or, for a plain form post (no
/// JavaScript), a redirect: 4xx statuses would show the browser a raw error body.
fn server_fn_refusal(req: &Request, err: app::error::AppError, form_redirect: &str) -> Response {
    let wants_html = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html {
        return axum::response::Redirect::to(form_redirect).into_response();
    }
    server_fn_error(req.uri().path(), &err)
}

/// A server function's error response for `err`, as server_fn itself shapes one (JSON body, the
/// error header naming the function) but with the error's real status.
fn server_fn_error(path: &str, err: &app::error::AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(err).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(path) = HeaderValue::from_str(path) {
        res.headers_mut().insert(SERVER_FN_ERROR_HEADER, path);
    }
    res
}

/// Reads the body of every server-function and REST call before the handler does, up to
/// `RAPPORT_MAX_BODY_BYTES`: a body over it gets 413 in the caller's error shape whether its size
/// was declared (`Content-Length`) or not (chunked), instead of failing halfway through the
/// handler's own read as a 500.
pub async fn limit_call_bodies(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let too_large = |path: &str| call_error(path, app::error::AppError::PayloadTooLarge);
    let limit = state.config.max_body_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(path);
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return too_large(parts.uri.path());
    };
    let is_json = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if let Some(err) = nul_characters(&bytes, is_json) {
        return call_error(parts.uri.path(), err);
    }
    next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
}

/// `err` in the shape of the call at `path`: the REST API's JSON error, or a server function's.
fn call_error(path: &str, err: app::error::AppError) -> Response {
    if path.starts_with("/api/v1/") {
        crate::rest::ApiError(err).into_response()
    } else {
        server_fn_error(path, &err)
    }
}

/// The message for text holding NUL: PostgreSQL cannot store it in text, and no one types it.
const NUL_MESSAGE: &str = "Remove the NUL character (\\0): text cannot hold it.";

/// A validation error naming the form fields whose values hold a NUL character (raw, `%00` in
/// a form, `\u0000` in JSON), if any do: refused here, for every function at once, so that no
/// such text reaches the database.
fn nul_characters(body: &[u8], is_json: bool) -> Option<app::error::AppError> {
    fn holds_nul(value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::String(s) => s.contains('\0'),
            serde_json::Value::Array(items) => items.iter().any(holds_nul),
            serde_json::Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || holds_nul(v)),
            _ => false,
        }
    }
    let mut found = body.contains(&0);
    let mut fields = std::collections::BTreeMap::new();
    // (Only a body holding the escape is parsed: the handler parses every JSON body anyway.)
    if is_json {
        found |= body.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"))
            && serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|v| holds_nul(&v));
    } else if body.windows(3).any(|w| w == b"%00") {
        for (k, v) in serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).unwrap_or_default() {
            if k.contains('\0') || v.contains('\0') {
                found = true;
                fields.insert(k.replace('\0', ""), NUL_MESSAGE.to_string());
            }
        }
    }
    found.then(|| app::error::AppError::Validation {
        message: NUL_MESSAGE.to_string(),
        fields,
        values: Default::default(),
    })
}

/// Refuses anonymous callers on every server function except the named anonymous ones, and
/// non-admins on admin functions, before their arguments are even read. Each function checks
/// again itself; this layer makes a forgotten check harmless.
pub async fn guard_server_fns(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !path.starts_with("/api/") || path.starts_with("/api/v1/") {
        return next.run(req).await;
    }
    if app::api::ANONYMOUS_ENDPOINTS.contains(&path) {
        return next.run(req).await;
    }
    match req.extensions().get::<CurrentUser>() {
        None => server_fn_refusal(&req, app::error::AppError::Unauthorized, "/signin"),
        Some(current)
            if is_admin_endpoint(path)
                && !current.user.role.at_least(app::model::user::Role::Admin) =>
        {
            server_fn_refusal(&req, app::error::AppError::Forbidden, "/")
        }
        Some(_) => next.run(req).await,
    }
}

/// Gives server-function errors their real HTTP status (422, 401, 403, 404, 409, 429) instead
/// of server_fn's blanket 500, for the hydrated app's fetches and API clients alike.
pub async fn server_fn_error_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // Our own error body, which can echo back a large typed value: read it whole.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    if let Ok(err) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// A page that redirected while rendering (a signed-out visitor on a protected page) comes
/// back with a `Location` header but status 200: make it a real 302, so that a browser without
/// JavaScript follows it too.
pub async fn page_redirect_status(req: Request, next: Next) -> Response {
    let is_get = req.method() == Method::GET;
    let mut res = next.run(req).await;
    if is_get && res.status() == StatusCode::OK && res.headers().contains_key(header::LOCATION) {
        *res.status_mut() = StatusCode::FOUND;
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderMap;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    const BASE: &str = "https://crm.example.com";

    #[test]
    fn text_holding_nul_is_refused_next_to_its_field() {
        let err = nul_characters(b"name=Acme%00Ltd&notes=fine", false).unwrap();
        assert!(err.field_error("name").is_some() && err.field_error("notes").is_none(), "{err:?}");
        assert!(nul_characters(br#"{"notes": "a\u0000b"}"#, true).is_some());
        assert!(nul_characters(b"raw\0byte", false).is_some());
        assert!(nul_characters(br#"{"notes": "50%00 off"}"#, true).is_none(), "a percent sign in JSON is text");
        assert!(nul_characters(b"notes=50%2500+off", false).is_none(), "a typed %00 arrives encoded");
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted = vec![app::server::config::IpNet::parse("10.0.0.0/8").unwrap()];
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9, 10.0.0.2")]);
        let peer = |ip: &str| Some(ip.parse().unwrap());
        assert_eq!(client_ip(peer("10.0.0.1"), &xff, &trusted), "203.0.113.9", "the first untrusted hop from the right");
        assert_eq!(client_ip(peer("198.51.100.1"), &xff, &trusted), "198.51.100.1", "an untrusted peer's header is ignored");
        assert_eq!(client_ip(peer("10.0.0.1"), &xff, &[]), "10.0.0.1", "no trusted proxies: the peer");
        assert_eq!(client_ip(peer("10.0.0.1"), &headers(&[]), &trusted), "10.0.0.1");
        assert_eq!(client_ip(peer("10.0.0.1"), &headers(&[("x-forwarded-for", "garbage, 10.0.0.3")]), &trusted), "10.0.0.3");
        assert_eq!(client_ip(None, &xff, &trusted), "unknown");
    }

    #[test]
    fn posts_from_another_site_are_refused_and_same_site_ones_pass() {
        let same = |m: &Method, h: &[(&'static str, &'static str)]| is_same_site_request(m, &headers(h), BASE);
        assert!(!same(&Method::POST, &[("sec-fetch-site", "cross-site")]));
        assert!(!same(&Method::POST, &[("sec-fetch-site", "same-site")]));
        assert!(same(&Method::POST, &[("sec-fetch-site", "same-origin")]));
        assert!(!same(&Method::POST, &[("origin", "https://evil.example"), ("host", "crm.example.com")]));
        assert!(same(&Method::POST, &[("origin", "https://crm.example.com"), ("host", "crm.example.com")]));
        assert!(same(&Method::GET, &[("sec-fetch-site", "cross-site")]));
        assert!(same(&Method::POST, &[]));
    }

    #[test]
    fn an_origin_must_match_in_scheme_host_and_port() {
        let same = |origin: &'static str, host: &'static str| {
            is_same_site_request(&Method::POST, &headers(&[("origin", origin), ("host", host)]), BASE)
        };
        assert!(!same("http://crm.example.com", "crm.example.com"), "another scheme");
        assert!(!same("https://crm.example.com:8443", "crm.example.com"), "another port");
        assert!(!same("https://crm.example.com.evil.example", "crm.example.com"));
        assert!(!same("null", "crm.example.com"));
        assert!(same("https://crm.example.com", "10.0.0.5:3000"), "the configured origin behind a proxy");
        assert!(same("https://localhost:3000", "localhost:3000"), "the same server reached by another name");
        assert_eq!(origin_of("https://crm.example.com/rapport"), "https://crm.example.com");
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }
}
