//! Hostile text: every page that shows a user-typed string (customer, contact, user and team
//! names, notes, tags, interactions, follow-ups, step titles and guidance, process names, field
//! and stage labels, import file names), query parameters and the no-JavaScript error payload
//! (`__err`) is rendered with strings that try to close or open elements; the HTML must hold
//! them only as text.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::error::AppError;
use app::model::crm::{CustomFieldForm, CustomerForm};
use app::model::process::StepForm;
use app::model::user::Role;
use app::server::services::platform::access::Actor;
use app::server::services::{crm::{customers, fields, follow_ups, imports, stages, timeline}, platform::users, processes, processes::runs};
use std::collections::BTreeMap;

/// Closing tags of the raw-text elements, elements that navigate or submit, attribute breakers
/// and entities. None holds a control character, so every one is a valid name.
pub const PAYLOADS: &[&str] = &[
    r#"</title><meta http-equiv="refresh" content="0;url=/x">"#,
    r#"</textarea><form action="/x"><button>Go</button></form>"#,
    "</script><script>alert(1)</script>",
    "</style><style>body{display:none}</style>",
    r#""><a href="/x" id="injected">x</a>"#,
    r#"'><img src=x onerror=alert(1)>"#,
    "&lt;/title&gt;&amp;&#60;b&#62;",
    "<!--hostile comment",
];

/// `html` without the contents of its scripts. Inside a script entities are not decoded, so
/// the hydration data rightly holds `&lt;` as typed (and escapes every `<` as `\u003c`);
/// the scripts are checked by counting their end tags instead.
fn outside_scripts(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</script>") {
            Some(end) => rest = &rest[start + end + "</script>".len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The base64url (with padding) form leptos puts in `__err`.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn query_value(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Fails unless `html` holds `payload` only as escaped text: the raw string nowhere (also not
/// inside a hydration script), one title, every textarea closed by its own end tag, no
/// injected refresh, form or link.
fn assert_only_text(path: &str, full: &str, payload: &str) {
    assert_eq!(full.matches("<script").count(), full.matches("</script>").count(), "{path}: every script is closed once");
    let html = &outside_scripts(full);
    if let Some(at) = html.find(payload) {
        let from = html[..at].char_indices().rev().nth(200).map_or(0, |(i, _)| i);
        panic!("{path}: the payload {payload:?} is in the HTML raw: …{}…", &html[from..(at + payload.len()).min(html.len())]);
    }
    assert_eq!(html.matches("<title>").count(), 1, "{path}: one <title>");
    assert_eq!(html.matches("</title>").count(), 1, "{path}: one </title>");
    assert_eq!(
        html.matches("<textarea").count(),
        html.matches("</textarea>").count(),
        "{path}: every textarea is closed once"
    );
    // (Quotes stand unescaped in text nodes, harmlessly: an element needs its `<`.)
    assert!(!html.contains("<meta http-equiv=\"refresh\" content=\"0"), "{path}: an injected refresh");
    assert!(!html.contains("<form action=\"/x\""), "{path}: an injected form");
    assert!(!html.contains("<a href=\"/x\" id=\"injected\""), "{path}: an injected link");
    assert!(!html.contains("<img src=x"), "{path}: an injected image");
}

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    let res = client.get(app.url(path)).send().await.unwrap();
    let status = res.status();
    let html = res.text().await.unwrap();
    assert_eq!(status, 200, "{path} answered {status}");
    html
}

async fn actor(app: &TestApp, id: i32) -> Actor {
    let user = users::find(&app.state.db, id).await.unwrap();
    let view = users::view(&app.state.db, &user).await.unwrap();
    Actor::load(&app.state.db, &view).await.unwrap()
}

/// Everything a user can name, named `p`; returns the pages that show those names.
async fn named_world(app: &TestApp, admin: &Actor, i: usize, p: &str) -> Vec<String> {
    let db = &app.state.db;
    let team = app.create_team(&format!("{i} {p}")).await;
    users::create(
        db,
        users::NewUser {
            name: p,
            email: &format!("member{i}@example.org"),
            password: Some(crate::helpers::PASSWORD),
            role: Role::Member,
            team_id: Some(team),
            timezone: "UTC",
        },
    )
    .await
    .unwrap();
    let form = CustomerForm {
        kind: "organisation".into(),
        // (A name needs a letter or digit.)
        name: format!("Acme {p}"),
        email: format!("customer{i}@example.org"),
        stage: "prospect".into(),
        tags: p.replace(',', " ")[..p.len().min(40)].to_string(),
        notes: format!("{p}\n{p}"),
        ..Default::default()
    };
    let c = customers::create(db, admin, &form, true).await.unwrap();
    timeline::add_contact(db, admin, c.id, &timeline::NewContact { name: p, title: p, email: "", phone: "" })
        .await
        .unwrap();
    timeline::log_interaction(
        db,
        admin,
        &timeline::NewInteraction { customer_id: c.id, kind: "call", occurred_at: "2026-11-30T10:00", summary: p, outcome: p },
    )
    .await
    .unwrap();
    follow_ups::create(db, admin, c.id, &follow_ups::NewFollowUp { assignee_id: "", due: "2026-11-30T09:00", note: p })
        .await
        .unwrap();
    let (t, v) = processes::create_template(db, admin, &format!("{p} {i}"), p).await.unwrap();
    let step = StepForm {
        title: p.into(),
        guidance: p.into(),
        tip: p.into(),
        kind: "task".into(),
        assignee_rule: "owner".into(),
        due_unit: "days".into(),
        due_from: "start".into(),
        ..Default::default()
    };
    processes::add_step(db, admin, v.id, &step).await.unwrap();
    processes::publish(db, admin, v.id).await.unwrap();
    let run = runs::start(db, admin, t.id, c.id).await.unwrap();
    let csv = format!("Company;E-mail\n{};upload{i}@example.org\n", p.replace(';', ","));
    let import = imports::upload(db, admin, &format!("{p}.csv"), csv.as_bytes(), 1000).await.unwrap();
    let q = query_value(p);
    vec![
        format!("/customers/{}", c.id),
        format!("/customers/{}/edit", c.id),
        format!("/customers?q={q}&stage={q}&tag={q}&owner={q}&sort={q}"),
        format!("/processes/{}", t.id),
        format!("/processes/{}?status={q}&owner={q}&team={q}", t.id),
        format!("/processes/versions/{}", v.id),
        format!("/runs/{}", run.id),
        format!("/customers/import/{}", import.id),
        format!("/customers/import/{}?show={q}", import.id),
    ]
}

async fn every_page_shows_hostile_strings_only_as_text(app: &TestApp) {
    let db = &app.state.db;
    let admin_id = app.create_user("ada@example.org", Role::Admin, crate::helpers::PASSWORD).await;
    let admin = actor(app, admin_id).await;
    let client = app.signed_in("ada@example.org", crate::helpers::PASSWORD).await;
    let mut per_payload = Vec::new();
    for (i, p) in PAYLOADS.iter().enumerate() {
        per_payload.push((p, named_world(app, &admin, i, p).await));
        fields::create(
            db,
            admin_id,
            &CustomFieldForm {
                key: format!("field_{i}"),
                label: p.to_string(),
                field_type: "text".into(),
                owner_role: "member".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // (Stage labels hold at most 40 characters.)
        stages::create(db, admin_id, &format!("{i} {}", &p[..p.len().min(36)])).await.unwrap();
    }
    // Pages that list everything: each must hold every payload only as text.
    let shared = [
        "/", "/customers", "/customers/new", "/customers/import", "/processes", "/profile",
        "/admin/users", "/admin/teams", "/admin/fields", "/admin/stages", "/admin/audit", "/admin/mailbox",
    ];
    for path in shared {
        let html = page(&client, app, path).await;
        for p in PAYLOADS {
            assert_only_text(path, &html, p);
        }
    }
    for (p, paths) in per_payload {
        for path in paths {
            let html = page(&client, app, &path).await;
            assert_only_text(&path, &html, p);
        }
    }
}

/// The no-JavaScript error redirect carries a serialized error in `__err`: a crafted link puts
/// anything there (message, field messages and the values that refill the form).
async fn a_crafted_error_payload_in_the_url_is_shown_only_as_text(app: &TestApp) {
    app.create_user("ada@example.org", Role::Admin, crate::helpers::PASSWORD).await;
    let client = app.signed_in("ada@example.org", crate::helpers::PASSWORD).await;
    let admin = actor(app, users::find_by_email(&app.state.db, "ada@example.org").await.unwrap().unwrap().id).await;
    let c = customers::create(
        &app.state.db,
        &admin,
        &CustomerForm { kind: "organisation".into(), name: "Plain".into(), stage: "prospect".into(), ..Default::default() },
        true,
    )
    .await
    .unwrap();
    for p in PAYLOADS {
        let fields_and_values: BTreeMap<String, String> =
            ["name", "notes", "email", "tags", "kind", "stage", "setup_token", "password"].iter().map(|k| (k.to_string(), p.to_string())).collect();
        let err = AppError::Validation { message: p.to_string(), fields: fields_and_values.clone(), values: fields_and_values };
        let encoded = base64url(serde_json::to_string(&err).unwrap().as_bytes());
        for (path, function) in [
            (format!("/customers/{}/edit", c.id), "/api/crm/update_customer"),
            ("/customers/new".to_string(), "/api/crm/create_customer"),
            ("/profile".to_string(), "/api/update_profile"),
        ] {
            let url = format!("{path}?__path={}&__err={}", query_value(function), query_value(&encoded));
            let html = page(&client, app, &url).await;
            assert_only_text(&url, &html, p);
        }
        // Anonymous pages take query parameters too.
        let anon = TestApp::new_client();
        for path in [
            format!("/signin?next={}", query_value(p)),
            format!("/reset-password?token={}", query_value(p)),
            format!("/accept-invite?token={}", query_value(p)),
            format!("/forgot-password?__path=%2Fapi%2Fforgot_password&__err={}", query_value(&encoded)),
        ] {
            let html = page(&anon, app, &path).await;
            assert_only_text(&path, &html, p);
        }
    }
    // An `__err` that is not ours at all is a plain error message, not a failure.
    let html = page(&client, app, "/customers/new?__path=%2Fapi%2Fcrm%2Fcreate_customer&__err=%3Cb%3E").await;
    assert!(!html.contains("<b>"));
}

on_both_databases!(
    every_page_shows_hostile_strings_only_as_text,
    a_crafted_error_payload_in_the_url_is_shown_only_as_text,
);
