//! Request middleware: security headers on every response, refusal of state-changing requests
//! from other sites, and resolution of the session cookie into a `CurrentUser`.

use app::server::auth::{ClientAddr, CurrentUser};
use app::server::services::{sessions, users};
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

/// Whether a request may change state: safe methods always; others only from this site.
/// Browsers send `Sec-Fetch-Site` (and `Origin` on posts); a request with neither comes from a
/// non-browser client, which cannot carry a victim's cookies by accident.
pub fn is_same_site_request(method: &Method, headers: &http::HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return true;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let origin_host = origin
                .split_once("://")
                .map(|(_, rest)| rest)
                .unwrap_or(origin);
            !host.is_empty() && origin_host == host
        }
    }
}

/// Refuses state-changing requests from other sites with 403.
pub async fn refuse_cross_site(req: Request, next: Next) -> Response {
    if is_same_site_request(req.method(), req.headers()) {
        next.run(req).await
    } else {
        (StatusCode::FORBIDDEN, "Cross-site requests are refused.").into_response()
    }
}

/// Puts the client address and, when the session cookie is live, the `CurrentUser` into the
/// request's extensions. A dead cookie is cleared.
pub async fn resolve_session(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
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
        return match app::server::services::tokens::authenticate(&state.db, &token).await {
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
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&err).unwrap_or_default();
    let mut res = (status, body).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(path) = HeaderValue::from_str(req.uri().path()) {
        res.headers_mut().insert(SERVER_FN_ERROR_HEADER, path);
    }
    res
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
    let Ok(bytes) = axum::body::to_bytes(body, 1024 * 1024).await else {
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

    #[test]
    fn posts_from_another_site_are_refused_and_same_site_ones_pass() {
        assert!(!is_same_site_request(
            &Method::POST,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(!is_same_site_request(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-site")])
        ));
        assert!(is_same_site_request(
            &Method::POST,
            &headers(&[("sec-fetch-site", "same-origin")])
        ));
        assert!(!is_same_site_request(
            &Method::POST,
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "crm.example.com")
            ])
        ));
        assert!(is_same_site_request(
            &Method::POST,
            &headers(&[
                ("origin", "https://crm.example.com"),
                ("host", "crm.example.com")
            ])
        ));
        assert!(is_same_site_request(
            &Method::GET,
            &headers(&[("sec-fetch-site", "cross-site")])
        ));
        assert!(is_same_site_request(&Method::POST, &headers(&[])));
    }
}
