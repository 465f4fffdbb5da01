//! The REST API with personal API tokens: token life cycle, permissions per customer, JSON
//! errors with the right statuses, and an OpenAPI document that matches the routes.

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;
use app::model::user::{ApiTokenView, Role};
use serde_json::{Value, json};

/// Creates a token through the profile page's server function.
async fn token_for(app: &TestApp, email: &str) -> String {
    let client = app.signed_in(email, PASSWORD).await;
    app.ok(&client, "/api/create_token", &[("name", "Tests")]).await
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    async fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = reqwest::Client::new()
            .request(method, self.app.url(path))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PATCH, path, Some(body)).await
    }
}

async fn tokens_act_as_their_user_until_revoked(app: &TestApp) {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("nina@example.org", Role::Member, Some(north), "UTC").await;
    app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    let nina = Api { app, token: token_for(app, "nina@example.org").await };
    let sam = Api { app, token: token_for(app, "sam@example.org").await };
    assert!(nina.token.starts_with("rpt_") && nina.token.len() > 40);

    // Listed by prefix only; the token itself is never shown again.
    let client = app.signed_in("nina@example.org", PASSWORD).await;
    let listed: Vec<ApiTokenView> = app.ok(&client, "/api/list_tokens", &[]).await;
    assert_eq!(listed.len(), 1);
    assert!(nina.token.starts_with(&listed[0].prefix) && listed[0].prefix.len() < 12);
    assert!(listed[0].revoked.is_none());

    // Create, with JSON errors for bad input.
    let (status, created) = nina.post("/api/v1/customers", json!({ "name": "Birch Bakery", "email": "hi@birch.example", "tags": ["vip"] })).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["stage"], "prospect");
    assert_eq!(created["tags"], json!(["vip"]));
    let id = created["id"].as_i64().unwrap();
    let (status, err) = nina.post("/api/v1/customers", json!({ "name": "", "phone": "call me" })).await;
    assert_eq!(status, 422);
    assert_eq!(err["error"]["code"], "validation_failed");
    assert!(err["error"]["fields"]["name"].is_string() && err["error"]["fields"]["phone"].is_string());
    let (status, err) = nina.post("/api/v1/customers", json!({ "name": "Other", "email": "HI@birch.example" })).await;
    assert_eq!((status, err["error"]["code"].as_str()), (409, Some("duplicate")));
    assert_eq!(err["error"]["duplicate_id"].as_i64(), Some(id));
    let (status, err) = nina.post("/api/v1/customers", json!({ "name": "X", "colour": "red" })).await;
    assert_eq!(status, 422);
    assert!(err["error"]["message"].as_str().unwrap().contains("colour"));

    // Read, list with filters, change, per the same permissions as the pages.
    let (status, one) = nina.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!((status, one["name"].as_str()), (200, Some("Birch Bakery")));
    let (status, err) = sam.get(&format!("/api/v1/customers/{id}")).await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")), "another team's customer");
    let (_, list) = sam.get("/api/v1/customers?q=birch").await;
    assert_eq!(list["total"], 0);
    let (_, list) = nina.get("/api/v1/customers?tag=vip&per_page=1").await;
    assert_eq!((list["total"].as_u64(), list["data"][0]["id"].as_i64()), (Some(1), Some(id)));
    assert_eq!(list["next_page"], Value::Null);
    let (status, _) = nina.get("/api/v1/customers?per_page=5000").await;
    assert_eq!(status, 422);
    let (status, changed) = nina.patch(&format!("/api/v1/customers/{id}"), json!({ "stage": "active", "notes": "Prefers email" })).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!((changed["stage"].as_str(), changed["name"].as_str()), (Some("active"), Some("Birch Bakery")));
    let (status, _) = sam.patch(&format!("/api/v1/customers/{id}"), json!({ "name": "Mine now" })).await;
    assert_eq!(status, 404);

    // Delete, then it is gone.
    let (status, _) = sam.send(reqwest::Method::DELETE, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = nina.send(reqwest::Method::DELETE, &format!("/api/v1/customers/{id}"), None).await;
    assert_eq!(status, 204);
    assert_eq!(nina.get(&format!("/api/v1/customers/{id}")).await.0, 404);

    // A revoked token, an unknown one, or none at all: 401 with a JSON error.
    let _: () = app.ok(&client, "/api/revoke_token", &[("id", &listed[0].id.to_string())]).await;
    let (status, err) = nina.get("/api/v1/customers").await;
    assert_eq!((status, err["error"]["code"].as_str()), (401, Some("unauthorized")));
    let forged = Api { app, token: "rpt_not-a-real-token".into() };
    assert_eq!(forged.get("/api/v1/customers").await.0, 401);
    let res = reqwest::Client::new().get(app.url("/api/v1/customers")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    let listed: Vec<ApiTokenView> = app.ok(&client, "/api/list_tokens", &[]).await;
    assert!(listed[0].revoked.is_some() && listed[0].last_used.is_some());
}

async fn a_member_cannot_edit_a_teammates_customer_through_the_api(app: &TestApp) {
    let north = app.create_team("North").await;
    app.create_member_of("nina@example.org", Role::Member, Some(north), "UTC").await;
    app.create_member_of("nora@example.org", Role::Member, Some(north), "UTC").await;
    let nina = Api { app, token: token_for(app, "nina@example.org").await };
    let nora = Api { app, token: token_for(app, "nora@example.org").await };
    let (_, created) = nina.post("/api/v1/customers", json!({ "name": "Cedar Cafe" })).await;
    let path = format!("/api/v1/customers/{}", created["id"]);
    assert_eq!(nora.get(&path).await.0, 200, "same team: visible");
    let (status, err) = nora.patch(&path, json!({ "name": "Cedar" })).await;
    assert_eq!((status, err["error"]["code"].as_str()), (403, Some("forbidden")));
    assert_eq!(nora.send(reqwest::Method::DELETE, &path, None).await.0, 403);
}

async fn the_openapi_document_lists_exactly_the_routes_and_each_answers(app: &TestApp) {
    app.create_member_of("ada@example.org", Role::Admin, None, "UTC").await;
    let admin = Api { app, token: token_for(app, "ada@example.org").await };
    let (_, created) = admin.post("/api/v1/customers", json!({ "name": "Dune Dental" })).await;
    let id = created["id"].to_string();

    let res = reqwest::Client::new().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the document is public");
    let doc: Value = res.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            documented.push((method.clone(), path.clone()));
        }
    }
    let mut registered: Vec<(String, String)> =
        server::rest::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    documented.sort();
    registered.sort();
    assert_eq!(documented, registered, "every route documented, and only those");

    // Each documented route answers (neither 404 nor 405), deletion last.
    registered.sort_by_key(|(m, _)| m == "delete");
    for (method, path) in registered {
        let path = path.replace("{id}", &id);
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let body = matches!(method, reqwest::Method::POST | reqwest::Method::PATCH).then(|| json!({ "name": "Dune Dental 2", "allow_similar_name": true }));
        let (status, answer) = admin.send(method.clone(), &path, body).await;
        assert!(status < 300, "{method} {path} answered {status}: {answer}");
    }
    let (status, err) = admin.get("/api/v1/nothing-here").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn anonymous_callers_are_refused_on_every_api_route(app: &TestApp) {
    let client = reqwest::Client::new();
    for (method, path) in server::rest::ROUTES.iter().filter(|(_, p)| !p.ends_with("openapi.json")) {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = client
            .request(method.clone(), app.url(&path.replace("{id}", "1")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path} must refuse anonymous callers");
    }
}

on_both_databases!(
    tokens_act_as_their_user_until_revoked,
    a_member_cannot_edit_a_teammates_customer_through_the_api,
    the_openapi_document_lists_exactly_the_routes_and_each_answers,
    anonymous_callers_are_refused_on_every_api_route,
);
