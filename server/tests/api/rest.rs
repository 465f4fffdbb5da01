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
    let (status, follow_up) = admin.post("/api/v1/follow-ups", json!({ "customer_id": created["id"], "due_at": "2030-01-02T09:00:00Z" })).await;
    assert_eq!(status, 201, "{follow_up}");
    let follow_up_id = follow_up["id"].to_string();
    let process = json!({ "name": "Welcome", "goal": "Every customer hears from us", "steps": [
        { "title": "Call", "kind": "task" }, { "title": "Write up", "kind": "task" } ] });
    let (status, template) = admin.post("/api/v1/process-templates?publish=1", process.clone()).await;
    assert_eq!(status, 201, "{template}");
    let (status, run) = admin.post("/api/v1/process-runs", json!({ "template_id": template["id"], "customer_id": created["id"] })).await;
    assert_eq!(status, 201, "{run}");
    let (template_id, run_id, step_id) = (template["id"].to_string(), run["id"].to_string(), run["steps"][0]["id"].to_string());

    let res = reqwest::Client::new().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status(), 200, "the document is public");
    let doc: Value = res.json().await.unwrap();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    assert_eq!(doc["servers"][0]["url"], app.state.config.base_url.as_str(), "this instance is the server");
    assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            documented.push((method.clone(), path.clone()));
        }
    }
    // The API as it is promised to clients: a route that goes missing from the router and the
    // document, or one added without being listed here, fails.
    let mut registered: Vec<(String, String)> = [
        ("get", "/api/v1/openapi.json"),
        ("get", "/api/v1/customers"),
        ("post", "/api/v1/customers"),
        ("get", "/api/v1/customers/{id}"),
        ("patch", "/api/v1/customers/{id}"),
        ("delete", "/api/v1/customers/{id}"),
        ("get", "/api/v1/customers/{id}/interactions"),
        ("post", "/api/v1/customers/{id}/interactions"),
        ("get", "/api/v1/follow-ups"),
        ("post", "/api/v1/follow-ups"),
        ("patch", "/api/v1/follow-ups/{id}"),
        ("get", "/api/v1/process-templates"),
        ("post", "/api/v1/process-templates"),
        ("get", "/api/v1/process-templates/{id}"),
        ("get", "/api/v1/process-runs"),
        ("post", "/api/v1/process-runs"),
        ("get", "/api/v1/process-runs/{id}"),
        ("post", "/api/v1/process-runs/{id}/steps/{step_id}"),
    ]
    .iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    documented.sort();
    registered.sort();
    assert_eq!(documented, registered, "every route documented, and only those");
    let mut listed = server::rest::routes();
    listed.sort();
    assert_eq!(listed, registered, "the suite's other walks see the same routes");
    // Every operation says what it answers, with a schema for its body where it has one, and
    // every schema it names is in the document.
    let text = doc.to_string();
    for (method, path) in &registered {
        let op = &doc["paths"][path][method];
        assert!(op["summary"].is_string(), "{method} {path} has a summary");
        assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has responses");
        if method == "post" || method == "patch" {
            assert!(op["requestBody"]["content"]["application/json"]["schema"].is_object(), "{method} {path} documents its body");
        }
    }
    for name in text.split("\"#/components/schemas/").skip(1).filter_map(|rest| rest.split('"').next()) {
        assert!(doc["components"]["schemas"][name].is_object(), "schema {name} is defined");
    }
    for name in ["Customer", "CustomerInput", "FollowUpChange", "Run", "RunStep", "StepStatus", "TemplateExport", "ErrorResponse"] {
        assert!(doc["components"]["schemas"][name].is_object(), "schema {name} is in the document");
    }
    let spellings: Vec<&str> = app::model::states::StepStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(doc["components"]["schemas"]["StepStatus"]["enum"], json!(spellings), "states in their stored spelling");

    // Each documented route answers (neither 404 nor 405), deletion last.
    registered.sort_by_key(|(m, _)| m == "delete");
    for (method, path) in registered {
        let body = match (method.as_str(), path.as_str()) {
            ("post" | "patch", "/api/v1/customers" | "/api/v1/customers/{id}") => Some(json!({ "name": "Dune Dental 2", "allow_similar_name": true })),
            ("post", "/api/v1/customers/{id}/interactions") => Some(json!({ "kind": "call", "summary": "Checked in" })),
            ("post", "/api/v1/follow-ups") => Some(json!({ "customer_id": created["id"], "due_at": "2030-01-03T09:00:00Z" })),
            ("patch", "/api/v1/follow-ups/{id}") => Some(json!({ "action": "reschedule", "due_at": "2030-01-04T09:00:00Z" })),
            ("post", "/api/v1/process-templates") => Some(process.clone()),
            ("post", "/api/v1/process-runs") => Some(json!({ "template_id": template["id"], "customer_id": created["id"] })),
            ("post", "/api/v1/process-runs/{id}/steps/{step_id}") => Some(json!({ "action": "complete" })),
            _ => None,
        };
        // A second run of the same process on the customer would conflict: start it on a new one.
        let body = match (method.as_str(), path.as_str(), body) {
            ("post", "/api/v1/process-runs", Some(_)) => {
                let (_, other) = admin.post("/api/v1/customers", json!({ "name": "Fern Florist" })).await;
                Some(json!({ "template_id": template["id"], "customer_id": other["id"] }))
            }
            (_, _, body) => body,
        };
        let path = path
            .replace("follow-ups/{id}", &format!("follow-ups/{follow_up_id}"))
            .replace("process-templates/{id}", &format!("process-templates/{template_id}"))
            .replace("process-runs/{id}", &format!("process-runs/{run_id}"))
            .replace("{step_id}", &step_id)
            .replace("{id}", &id);
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, answer) = admin.send(method.clone(), &path, body).await;
        assert!(status < 300, "{method} {path} answered {status}: {answer}");
    }
    let (status, err) = admin.get("/api/v1/nothing-here").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
}

async fn anonymous_callers_are_refused_on_every_api_route(app: &TestApp) {
    let client = reqwest::Client::new();
    for (method, path) in server::rest::routes().iter().filter(|(_, p)| !p.ends_with("openapi.json")) {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let res = client
            .request(method.clone(), app.url(&path.replace("{id}", "1").replace("{step_id}", "1")))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{method} {path} must refuse anonymous callers");
    }
}

async fn interactions_and_follow_ups_through_the_api(app: &TestApp) {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("nina@example.org", Role::Member, Some(north), "Europe/Berlin").await;
    let nora_id = app.create_member_of("nora@example.org", Role::Member, Some(north), "UTC").await;
    let sam_id = app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    let nina = Api { app, token: token_for(app, "nina@example.org").await };
    let nora = Api { app, token: token_for(app, "nora@example.org").await };
    let sam = Api { app, token: token_for(app, "sam@example.org").await };
    let (_, created) = nina.post("/api/v1/customers", json!({ "name": "Elm Electric" })).await;
    let customer = created["id"].as_i64().unwrap();
    let interactions = format!("/api/v1/customers/{customer}/interactions");

    // Interactions: logged with a time (default now), listed newest first, checked per field.
    let (status, first) = nina.post(&interactions, json!({ "kind": "call", "summary": "Intro call", "outcome": "Interested", "occurred_at": "2026-01-05T10:00:00Z" })).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["occurred_at"], "2026-01-05T10:00:00+00:00");
    let (status, second) = nora.post(&interactions, json!({ "kind": "note", "summary": "Sent the price list" })).await;
    assert_eq!(status, 201, "a teammate can log on a customer they see: {second}");
    let (status, err) = nina.post(&interactions, json!({ "kind": "fax", "summary": "", "occurred_at": "2999-01-01T00:00:00Z" })).await;
    assert_eq!(status, 422);
    for field in ["kind", "summary", "occurred_at"] {
        assert!(err["error"]["fields"][field].is_string(), "{field}: {err}");
    }
    let (_, list) = nina.get(&format!("{interactions}?per_page=1")).await;
    assert_eq!((list["total"].as_u64(), list["next_page"].as_u64()), (Some(2), Some(2)));
    assert_eq!(list["data"][0]["summary"], "Sent the price list", "newest first");
    let (_, list) = nina.get(&format!("{interactions}?per_page=1&page=2")).await;
    assert_eq!(list["data"][0]["id"], first["id"]);
    assert_eq!(sam.get(&interactions).await.0, 404, "another team's customer");
    assert_eq!(sam.post(&interactions, json!({ "kind": "call", "summary": "x" })).await.0, 404);
    let (_, one) = nina.get(&format!("/api/v1/customers/{customer}")).await;
    assert!(one["last_interaction_at"].as_str().is_some_and(|t| t > "2026-01-06"));

    // Follow-ups: a local time is read in the assignee's zone, an RFC 3339 one as given.
    let (status, local) = nina.post("/api/v1/follow-ups", json!({ "customer_id": customer, "due_at": "2030-06-01T09:00", "note": "Call back" })).await;
    assert_eq!(status, 201, "{local}");
    assert_eq!(local["due_at"], "2030-06-01T07:00:00+00:00", "09:00 in Berlin");
    assert_eq!(local["status"], "open");
    let (status, overdue) = nina.post("/api/v1/follow-ups", json!({ "customer_id": customer, "due_at": "2020-01-01T09:00:00Z", "assignee_id": nora_id })).await;
    assert_eq!(status, 201, "{overdue}");
    assert_eq!(overdue["overdue"], true);
    let (status, err) = nina.post("/api/v1/follow-ups", json!({ "customer_id": customer, "due_at": "soon", "assignee_id": sam_id })).await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["assignee_id"].is_string(), "sam cannot see the customer: {err}");
    let (status, err) = nina.post("/api/v1/follow-ups", json!({ "customer_id": customer, "due_at": "soon" })).await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["due_at"].is_string(), "{err}");
    assert_eq!(sam.post("/api/v1/follow-ups", json!({ "customer_id": customer, "due_at": "2030-01-01T09:00:00Z" })).await.0, 404);

    // Listing: mine by default, or filtered.
    let (_, mine) = nina.get("/api/v1/follow-ups").await;
    assert_eq!(mine["total"], 1);
    assert_eq!(mine["data"][0]["id"], local["id"]);
    let (_, noras) = nora.get("/api/v1/follow-ups?overdue=1").await;
    assert_eq!((noras["total"].as_u64(), &noras["data"][0]["id"]), (Some(1), &overdue["id"]));
    let (_, all) = nina.get(&format!("/api/v1/follow-ups?assignee=any&customer={customer}")).await;
    assert_eq!(all["total"], 2);
    assert_eq!(all["data"][0]["id"], overdue["id"], "soonest due first");
    let (_, others) = sam.get("/api/v1/follow-ups?assignee=any&status=any").await;
    assert_eq!(others["total"], 0, "nothing on customers sam cannot see");
    assert_eq!(nina.get("/api/v1/follow-ups?status=late").await.0, 422);

    // Changes: reschedule, done with the next one, cancel; a closed one is a 409.
    let path = format!("/api/v1/follow-ups/{}", local["id"]);
    let (status, moved) = nina.patch(&path, json!({ "action": "reschedule", "due_at": "2030-06-02T10:30:00Z" })).await;
    assert_eq!((status, moved["due_at"].as_str()), (200, Some("2030-06-02T10:30:00+00:00")), "{moved}");
    assert_eq!(sam.patch(&path, json!({ "action": "cancel" })).await.0, 404);
    let (status, err) = nora.patch(&path, json!({ "action": "done" })).await;
    assert_eq!((status, err["error"]["code"].as_str()), (403, Some("forbidden")), "neither assignee nor allowed to edit");
    let (status, done) = nina.patch(&path, json!({ "action": "done", "next": { "due_at": "2030-07-01T09:00:00Z", "note": "Quarterly check" } })).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!((done["status"].as_str(), done["next"]["status"].as_str()), (Some("done"), Some("open")));
    assert!(done["completed_at"].is_string());
    let (status, err) = nina.patch(&path, json!({ "action": "cancel" })).await;
    assert_eq!((status, err["error"]["code"].as_str()), (409, Some("conflict")));
    let (status, cancelled) = nora.patch(&format!("/api/v1/follow-ups/{}", overdue["id"]), json!({ "action": "cancel" })).await;
    assert_eq!((status, cancelled["status"].as_str()), (200, Some("cancelled")), "its assignee may cancel");
    assert_eq!(nina.patch(&path, json!({ "action": "snooze" })).await.0, 422);
    let next_path = format!("/api/v1/follow-ups/{}", done["next"]["id"]);
    let (status, err) = nina.patch(&next_path, json!({ "action": "done", "next": { "due_at": "whenever" } })).await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["next.due_at"].is_string(), "{err}");
    let (_, still) = nina.get(&format!("/api/v1/follow-ups?customer={customer}")).await;
    assert_eq!(still["data"][0]["id"], done["next"]["id"], "a refused change leaves it open");
    let (_, one) = nina.get(&format!("/api/v1/customers/{customer}")).await;
    assert_eq!(one["next_follow_up_at"], "2030-07-01T09:00:00+00:00", "the next one is the customer's next follow-up");
}

async fn processes_through_the_api_with_permission_cases(app: &TestApp) {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("ada@example.org", Role::Admin, None, "UTC").await;
    let mia_id = app.create_member_of("mia@example.org", Role::Manager, Some(north), "UTC").await;
    app::server::services::platform::teams::add_manager(&app.state.db, mia_id, north, mia_id).await.unwrap();
    app.create_member_of("nina@example.org", Role::Member, Some(north), "UTC").await;
    app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    let admin = Api { app, token: token_for(app, "ada@example.org").await };
    let mia = Api { app, token: token_for(app, "mia@example.org").await };
    let nina = Api { app, token: token_for(app, "nina@example.org").await };
    let sam = Api { app, token: token_for(app, "sam@example.org").await };
    let process = json!({ "name": "Review", "goal": "A second pair of eyes", "steps": [
        { "title": "Record the phone", "kind": "data", "fields": ["phone"] },
        { "title": "Sign off", "kind": "approval" } ] });

    let (status, _) = nina.post("/api/v1/process-templates", process.clone()).await;
    assert_eq!(status, 403, "only admins import");
    let (status, err) = admin.post("/api/v1/process-templates", json!({ "name": "x" })).await;
    assert_eq!((status, err["error"]["code"].as_str()), (422, Some("validation_failed")));
    let (status, bad) = admin.post("/api/v1/process-templates", json!({ "name": "x", "goal": "y", "steps": [{ "title": "z", "kind": "dance" }] })).await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["json"].as_str().unwrap().contains("Step 1"), "{bad}");
    let (status, template) = admin.post("/api/v1/process-templates?publish=1", process).await;
    assert_eq!(status, 201, "{template}");
    assert_eq!(template["steps"][1]["kind"], "approval");
    let (_, listed) = nina.get("/api/v1/process-templates").await;
    assert_eq!(listed["data"][0]["name"], "Review");

    let (_, acme) = nina.post("/api/v1/customers", json!({ "name": "Acme" })).await;
    let (_, south_co) = sam.post("/api/v1/customers", json!({ "name": "Southco" })).await;
    let (status, _) = nina.post("/api/v1/process-runs", json!({ "template_id": template["id"], "customer_id": south_co["id"] })).await;
    assert_eq!(status, 404, "not another team's customer");
    let (status, run) = nina.post("/api/v1/process-runs", json!({ "template_id": template["id"], "customer_id": acme["id"] })).await;
    assert_eq!(status, 201, "{run}");
    let (status, _) = nina.post("/api/v1/process-runs", json!({ "template_id": template["id"], "customer_id": acme["id"] })).await;
    assert_eq!(status, 409, "already running");
    let steps = format!("/api/v1/process-runs/{}/steps", run["id"]);
    let (data_step, approval) = (run["steps"][0]["id"].clone(), run["steps"][1]["id"].clone());
    assert_eq!(run["steps"][1]["status"], "waiting");

    let (status, err) = nina.post(&format!("{steps}/{data_step}"), json!({ "action": "complete", "data": { "phone": "soon" } })).await;
    assert_eq!(status, 422);
    assert!(err["error"]["fields"]["data.phone"].is_string(), "{err}");
    let (status, after) = nina.post(&format!("{steps}/{data_step}"), json!({ "action": "complete", "data": { "phone": "+49 30 1234567" } })).await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["steps"][0]["data"]["phone"], "+49 30 1234567");
    let (status, _) = nina.post(&format!("{steps}/{approval}"), json!({ "action": "approve" })).await;
    assert_eq!(status, 403, "a member does not decide");
    let (status, _) = sam.get(&format!("/api/v1/process-runs/{}", run["id"])).await;
    assert_eq!(status, 404);
    let (status, _) = mia.post(&format!("{steps}/{approval}"), json!({ "action": "reject" })).await;
    assert_eq!(status, 422, "a rejection needs a reason");
    let (status, rejected) = mia.post(&format!("{steps}/{approval}"), json!({ "action": "reject", "reason": "Wrong number" })).await;
    assert_eq!(status, 200);
    assert_eq!((rejected["steps"][0]["status"].as_str(), rejected["steps"][0]["reopened_count"].as_i64()), (Some("available"), Some(1)));
    let (status, _) = mia.post(&format!("{steps}/{approval}"), json!({ "action": "approve" })).await;
    assert_eq!(status, 409, "waiting for the rework");
    nina.post(&format!("{steps}/{data_step}"), json!({ "action": "complete", "data": { "phone": "+49 30 7654321" } })).await;
    let (status, done) = mia.post(&format!("{steps}/{approval}"), json!({ "action": "approve" })).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("completed")));

    let (_, mine) = nina.get(&format!("/api/v1/process-runs?template={}&status=completed", template["id"])).await;
    assert_eq!(mine["total"], 1);
    let (_, none) = sam.get("/api/v1/process-runs").await;
    assert_eq!(none["total"], 0, "other teams' runs are not listed");
}

on_both_databases!(
    processes_through_the_api_with_permission_cases,
    interactions_and_follow_ups_through_the_api,
    tokens_act_as_their_user_until_revoked,
    a_member_cannot_edit_a_teammates_customer_through_the_api,
    the_openapi_document_lists_exactly_the_routes_and_each_answers,
    anonymous_callers_are_refused_on_every_api_route,
);
