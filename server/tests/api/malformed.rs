//! Malformed input: every server function and every REST route is sent empty bodies, wrong
//! types, huge numbers, huge strings and control characters. None may answer 5xx or drop the
//! connection (a panic in a handler does), and no error may describe the server's internals.

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;
use app::model::user::Role;

/// Words that would mean an error message describes our internals rather than the request.
const INTERNAL_WORDS: &[&str] = &["deserializ", "serde", "sqlx", "sql", "panicked", "unwrap", "length limit", "at line"];
/// The parser's own words, which server functions (called by our own pages) never pass on. The
/// REST API may name the field of its documented body that is wrong.
const PARSER_WORDS: &[&str] = &["missing field", "invalid digit", "invalid type", "expected"];

fn assert_tells_no_internals(what: &str, body: &str) {
    assert_free_of(what, body, INTERNAL_WORDS);
    assert_free_of(what, body, PARSER_WORDS);
}

fn assert_free_of(what: &str, body: &str, words: &[&str]) {
    let lower = body.to_lowercase();
    for word in words {
        assert!(!lower.contains(word), "{what}: the error reveals internals ({word}): {body}");
    }
}

/// Form bodies no real form sends: every plausible argument name with a wrong value.
fn hostile_forms() -> Vec<Vec<(String, String)>> {
    let names = [
        "id", "page", "customer_id", "template_id", "version_id", "run_id", "step_id", "user_id", "team_id",
        "field_id", "stage_id", "follow_up_id", "interaction_id", "token_id", "position", "rejected", "show",
        "query[page]", "query[q]", "name", "email", "role", "kind", "due", "status",
    ];
    let values = [
        "not-a-number".to_string(),
        "400000000000000000".to_string(),
        "99999999999999999999999999".to_string(),
        "-1".to_string(),
        "1e309".to_string(),
        "\r\n\0\u{1b}[31m".to_string(),
        "x".repeat(100_000),
    ];
    values.iter().map(|v| names.iter().map(|n| (n.to_string(), v.clone())).collect()).collect()
}

async fn send(
    client: &reqwest::Client,
    what: &str,
    request: reqwest::RequestBuilder,
) -> (u16, String) {
    let _ = client;
    let res = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: no answer (a panic drops the connection): {e}"));
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    assert!(status < 500, "{what} answered {status}: {body}");
    (status, body)
}

async fn every_server_function_refuses_malformed_input_without_a_5xx(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, PASSWORD).await;
    let client = app.signed_in("ada@example.org", PASSWORD).await;
    let mut paths: Vec<String> = server_fn::axum::server_fn_paths().map(|(p, _)| p.to_string()).collect();
    paths.sort();
    paths.dedup();
    let skip = ["/api/sign_out"];
    let mut bad_requests = 0;
    for path in paths.iter().filter(|p| !skip.contains(&p.as_str())) {
        let post = || {
            client
                .post(app.url(path))
                .header("accept", "application/json")
                .header("sec-fetch-site", "same-origin")
        };
        let (status, body) = send(&client, &format!("{path} with an empty body"), post()).await;
        if status == 400 {
            bad_requests += 1;
            let err: app::error::AppError = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
            assert_eq!(err, app::error::AppError::BadRequest, "{path}");
        }
        if status >= 400 {
            assert_tells_no_internals(path, &body);
        }
        for form in hostile_forms() {
            let what = format!("{path} with {}…", &form[0].1.chars().take(20).collect::<String>());
            let (status, body) = send(&client, &what, post().form(&form)).await;
            if status >= 400 {
                assert_tells_no_internals(&what, &body);
            }
        }
        let what = format!("{path} with a JSON body it does not take");
        send(&client, &what, post().header("content-type", "application/json").body("{\"id\": [1]}")).await;
        let what = format!("{path} with bytes that are not UTF-8");
        send(&client, &what, post().header("content-type", "application/x-www-form-urlencoded").body(vec![0xff, 0xfe, b'=', 0x80])).await;
    }
    assert!(bad_requests > 10, "most functions need arguments and refuse an empty body with 400");
}

async fn every_rest_route_answers_malformed_input_in_its_json_error_shape(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, PASSWORD).await;
    let client = app.signed_in("ada@example.org", PASSWORD).await;
    let ids = ["abc", "99999999999999999999", "-1", "0", "1.5", "%00"];
    let bodies = ["", "null", "[]", "{\"name\": 12, \"due_at\": [], \"customer_id\": \"x\"}", "{\"page\": 1e400}", "not json", "{\"a\":\"\\u0000\"}"];
    let queries = ["", "?page=abc", "?page=400000000000000000", "?per_page=0&page=-1", "?customer_id=x&status=%0D%0A"];
    for (method, route) in server::rest::routes() {
        for id in ids {
            let path = route.replace("{id}", id).replace("{step_id}", id);
            for query in queries {
                let url = app.url(&format!("{path}{query}"));
                let requests: Vec<(String, reqwest::RequestBuilder)> = match method.as_str() {
                    "get" => vec![(format!("GET {path}{query}"), client.get(&url))],
                    "delete" => vec![(format!("DELETE {path}{query}"), client.delete(&url))],
                    m => bodies
                        .iter()
                        .map(|b| {
                            let req = if m == "patch" { client.patch(&url) } else { client.post(&url) };
                            (
                                format!("{} {path}{query} with {b:?}", m.to_uppercase()),
                                req.header("sec-fetch-site", "same-origin").header("content-type", "application/json").body(b.to_string()),
                            )
                        })
                        .collect(),
                };
                for (what, req) in requests {
                    let (status, body) = send(&client, &what, req).await;
                    if status >= 400 {
                        let json: serde_json::Value = serde_json::from_str(&body)
                            .unwrap_or_else(|e| panic!("{what}: not the JSON error shape ({e}): {body}"));
                        assert!(json["error"]["code"].is_string(), "{what}: {body}");
                        assert_free_of(&what, json["error"]["message"].as_str().unwrap_or_default(), INTERNAL_WORDS);
                    }
                }
            }
        }
    }
}

async fn paging_far_past_the_end_is_refused_with_a_message(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, PASSWORD).await;
    let client = app.signed_in("ada@example.org", PASSWORD).await;
    let huge = "400000000000000000";
    let (status, err) = app.err(&client, "/api/crm/list_customers", &[("query[page]", huge)]).await;
    assert_eq!(status, 422);
    assert!(err.field_error("page").is_some(), "{err:?}");
    let (status, err) = app.err(&client, "/api/imports/load", &[("id", "1"), ("show", "all"), ("page", huge)]).await;
    assert_eq!(status, 422, "{err:?}");
    let (status, _) = app.err(&client, "/api/processes/list_runs", &[("template_id", "1"), ("query[page]", huge)]).await;
    assert!(status == 422 || status == 404, "{status}");
    for my_day in ["/api/processes/my_steps", "/api/crm/my_day"] {
        let (status, err) = app.err(&client, my_day, &[("page", huge)]).await;
        assert_eq!(status, 422, "{my_day}");
        assert!(err.field_error("page").is_some(), "{my_day}: {err:?}");
    }
    // The pages answer with their own message, not a hang or a 500.
    for path in [
        format!("/customers?page={huge}"),
        format!("/customers?page={}", u64::MAX),
        format!("/admin/audit?page={huge}"),
        format!("/?steps={huge}"),
        format!("/?follow_ups={huge}"),
        format!("/?steps={}&follow_ups=2", u64::MAX),
    ] {
        let res = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let html = res.text().await.unwrap();
        if !path.starts_with("/admin") {
            assert!(html.contains("There is no page"), "{path}: the page says why");
        }
    }
    let res = client.get(app.url(&format!("/api/v1/customers?page={huge}"))).send().await.unwrap();
    assert_eq!(res.status(), 422);
}

async fn a_chunked_body_over_the_limit_gets_413_like_a_sized_one(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, PASSWORD).await;
    let client = app.signed_in("ada@example.org", PASSWORD).await;
    let limit = app.state.config.max_body_bytes;
    let big = format!("email={}&password=x", "x".repeat(limit + 10));
    for path in ["/api/sign_in", "/api/crm/create_customer", "/api/v1/customers"] {
        let sized = client
            .post(app.url(path))
            .header("accept", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(big.clone());
        let (status, _) = send(&client, &format!("{path} sized"), sized).await;
        assert_eq!(status, 413, "{path} sized");
        let chunks: Vec<Result<String, std::io::Error>> = big
            .as_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok(String::from_utf8_lossy(c).into_owned()))
            .collect();
        let chunked = client
            .post(app.url(path))
            .header("accept", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(reqwest::Body::wrap_stream(futures_stream(chunks)));
        let (status, body) = send(&client, &format!("{path} chunked"), chunked).await;
        assert_eq!(status, 413, "{path} chunked: {body}");
    }
    // Just over 1 MiB but under the limit, failing validation: a real answer, not an empty 500.
    let name = "x".repeat(1024 * 1024 + 100);
    let (status, err) = app
        .err(&client, "/api/crm/create_customer", &[("kind", "organisation"), ("name", &name), ("email", ""), ("phone", ""), ("stage", "prospect"), ("owner_id", ""), ("tags", ""), ("notes", "")])
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("name").is_some());
}

/// A stream of the given chunks, for a body without a declared length.
fn futures_stream(
    chunks: Vec<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::iter(chunks)
}

on_both_databases!(
    every_server_function_refuses_malformed_input_without_a_5xx,
    every_rest_route_answers_malformed_input_in_its_json_error_shape,
    paging_far_past_the_end_is_refused_with_a_message,
    a_chunked_body_over_the_limit_gets_413_like_a_sized_one,
);
