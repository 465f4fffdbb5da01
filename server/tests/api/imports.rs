//! CSV import over HTTP: the multipart upload, the mapping and its preview with per-row errors,
//! the background run (driven here by calling the worker), the results, the revert, who may
//! open an import, and malformed or oversized files.

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;
use app::model::imports::{ImportView, ImportsOverview};
use app::model::user::Role;
use app::server::services::crm::imports;

/// A multipart body holding `bytes` as the `file` field.
fn multipart(file_name: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----rapport-test-boundary-7d1f";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Uploads a file; returns the status and where it sent the browser.
async fn upload(app: &TestApp, client: &reqwest::Client, file_name: &str, bytes: &[u8]) -> (u16, String) {
    let (content_type, body) = multipart(file_name, bytes);
    let res = client
        .post(app.url("/customers/import/upload"))
        .header("content-type", content_type)
        .header("sec-fetch-site", "same-origin")
        .body(body)
        .send()
        .await
        .unwrap();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    (res.status().as_u16(), location)
}

async fn view(app: &TestApp, client: &reqwest::Client, id: &str, show: &str) -> ImportView {
    app.ok(client, "/api/imports/load", &[("id", id), ("show", show), ("page", "1")])
        .await
}

/// Why the upload that sent the browser to `location` was refused.
async fn refusal(app: &TestApp, client: &reqwest::Client, location: &str) -> String {
    let id = location
        .strip_prefix("/customers/import?rejected=")
        .unwrap_or_else(|| panic!("not a refusal: {location}"));
    let o: ImportsOverview = app.ok(client, "/api/imports/overview", &[("rejected", id)]).await;
    o.rejected.unwrap_or_else(|| panic!("no refusal message for {location}"))
}

const FILE: &str = "\u{feff}Company;E-mail;Phone;Stage;Tags\n\
Beta GmbH;beta@example.org;+49 30 1234567;Active;vip, berlin\n\
;nobody@example.org;;;\n\
Acme Ltd;ACME@example.org;+44 20 7946 0000;;\n\
Gamma;gamma@;;;\n\
Epsilon;eps@example.org;;Sleeping;\n\
Zeta;zeta@example.org;;;;extra\n\
Eta;eta@example.org;;prospect;\n";

async fn an_import_row_matching_a_customer_the_user_may_not_see_does_not_name_it(app: &TestApp) {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("nina@example.org", Role::Member, Some(north), "UTC").await;
    app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    let nina = app.signed_in("nina@example.org", PASSWORD).await;
    let sam = app.signed_in("sam@example.org", PASSWORD).await;
    let hidden: i32 = app
        .ok(
            &sam,
            "/api/crm/create_customer",
            &[
                ("kind", "organisation"),
                ("name", "Quiet Harbour Holdings"),
                ("email", "board@quiet-harbour.example"),
                ("phone", ""),
                ("stage", "prospect"),
                ("owner_id", ""),
                ("tags", ""),
                ("notes", ""),
            ],
        )
        .await;
    let file = "Company;E-mail\nAnything;BOARD@quiet-harbour.example\n";
    let (_, location) = upload(app, &nina, "mine.csv", file.as_bytes()).await;
    let id = location.strip_prefix("/customers/import/").unwrap().to_string();
    let v = view(app, &nina, &id, "").await;
    let row = &v.preview[0];
    assert_eq!(row.action, "skip");
    let message = row.messages.join(" ");
    assert_eq!(message, app::server::services::crm::customers::HIDDEN_SAME_EMAIL);
    let json = serde_json::to_string(&v).unwrap();
    assert!(!json.contains("Quiet Harbour"), "{json}");
    assert!(!json.contains(&format!("/customers/{hidden}")), "{json}");
}

async fn an_import_is_mapped_previewed_run_and_reverted(app: &TestApp) {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("nina@example.org", Role::Member, Some(north), "UTC").await;
    app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    let nina = app.signed_in("nina@example.org", PASSWORD).await;
    let sam = app.signed_in("sam@example.org", PASSWORD).await;
    let acme: i32 = app
        .ok(
            &nina,
            "/api/crm/create_customer",
            &[
                ("kind", "organisation"),
                ("name", "Acme Ltd"),
                ("email", "acme@example.org"),
                ("phone", ""),
                ("stage", "prospect"),
                ("owner_id", ""),
                ("tags", ""),
                ("notes", ""),
            ],
        )
        .await;

    // Anonymous uploads go to sign-in; cross-site ones are refused.
    let (status, location) = upload(app, &TestApp::new_client(), "x.csv", FILE.as_bytes()).await;
    assert_eq!((status, location.as_str()), (303, "/signin?next=/customers/import"));
    let (content_type, body) = multipart("x.csv", FILE.as_bytes());
    let cross = nina
        .post(app.url("/customers/import/upload"))
        .header("content-type", content_type)
        .header("sec-fetch-site", "cross-site")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status().as_u16(), 403);

    let (status, location) = upload(app, &nina, "clients.csv", FILE.as_bytes()).await;
    assert_eq!(status, 303);
    let id = location.strip_prefix("/customers/import/").unwrap().to_string();
    let v = view(app, &nina, &id, "").await;
    assert_eq!(v.status.as_str(), "uploaded");
    assert_eq!(v.file_name, "clients.csv");
    assert_eq!(v.row_count, 7);
    assert_eq!(v.headers, vec!["Company", "E-mail", "Phone", "Stage", "Tags"]);
    assert_eq!(v.mapping, vec!["name", "email", "phone", "stage", "tags"]);
    let actions: Vec<(i32, &str)> = v.preview.iter().map(|r| (r.line, r.action.as_str())).collect();
    assert_eq!(
        actions,
        vec![(2, "create"), (3, "fail"), (4, "skip"), (5, "fail"), (6, "fail"), (7, "fail"), (8, "create")]
    );
    assert_eq!(v.preview_failures, 4);
    let message = |line: i32| v.preview.iter().find(|r| r.line == line).unwrap().messages.join(" ");
    assert!(message(3).contains("Name (column “Company”)"), "{}", message(3));
    assert!(message(4).contains("already exists: Acme Ltd"), "{}", message(4));
    assert!(message(5).contains("Email (column “E-mail”)"), "{}", message(5));
    assert!(message(6).contains("No lifecycle stage is called “Sleeping”"), "{}", message(6));
    assert!(message(7).contains("6 cells but the header has 5"), "{}", message(7));

    // Someone else cannot open it; nothing was saved yet.
    let (status, _) = app.err(&sam, "/api/imports/load", &[("id", &id), ("show", ""), ("page", "1")]).await;
    assert_eq!(status, 404);
    let count = |name: &'static str| async move {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        app::server::entities::customer::Entity::find()
            .filter(app::server::entities::customer::Column::Name.eq(name))
            .count(&app.state.db)
            .await
            .unwrap()
    };
    assert_eq!(count("Beta GmbH").await, 0);

    // A field mapped twice is refused next to the column, with the choices kept.
    let (status, e) = app
        .err(
            &nina,
            "/api/imports/save",
            &[("id", &id), ("mode", "create"), ("intent", "preview"), ("columns[0]", "name"), ("columns[1]", "name")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(e.field_error("col_1").unwrap().contains("already taken"));
    assert_eq!(e.value("col_1").as_deref(), Some("name"));

    // Create and update: Acme's row now updates it.
    let mapping = [
        ("id", id.as_str()),
        ("mode", "upsert"),
        ("columns[0]", "name"),
        ("columns[1]", "email"),
        ("columns[2]", "phone"),
        ("columns[3]", "stage"),
        ("columns[4]", "tags"),
    ];
    let _: () = app.ok(&nina, "/api/imports/save", &[&mapping[..], &[("intent", "preview")]].concat()).await;
    let v = view(app, &nina, &id, "").await;
    assert_eq!(v.mode, "upsert");
    assert_eq!(v.preview[2].action, "update");
    let _: () = app.ok(&nina, "/api/imports/save", &[&mapping[..], &[("intent", "start")]].concat()).await;
    let v = view(app, &nina, &id, "").await;
    assert_eq!(v.status.as_str(), "queued");
    assert!(v.is_busy());
    let (status, _) = app.err(&nina, "/api/imports/save", &[&mapping[..], &[("intent", "start")]].concat()).await;
    assert_eq!(status, 409);

    // A worker holding it (its lease is live) keeps it; one that took it and died (its lease
    // ran out) is taken over.
    let import_id = id.parse::<i32>().unwrap();
    let held_by_another = |until: chrono::DateTime<chrono::Utc>| async move {
        use sea_orm::{ActiveModelTrait, EntityTrait, Set};
        let job = app::server::entities::customer_import::Entity::find_by_id(import_id)
            .one(&app.state.db)
            .await
            .unwrap()
            .unwrap();
        let mut job: app::server::entities::customer_import::ActiveModel = job.into();
        job.status = Set(app::model::states::ImportStatus::Running);
        job.lease_token = Set(Some("another-worker".into()));
        job.lease_until = Set(Some(until));
        job.update(&app.state.db).await.unwrap();
    };
    held_by_another(chrono::Utc::now() + chrono::Duration::minutes(1)).await;
    assert!(!imports::work(&app.state.db).await.unwrap(), "a live lease is not taken over");
    assert_eq!(view(app, &nina, &id, "").await.processed, 0);
    held_by_another(chrono::Utc::now() - chrono::Duration::minutes(5)).await;
    assert!(imports::work(&app.state.db).await.unwrap());
    assert!(!imports::work(&app.state.db).await.unwrap());
    let v = view(app, &nina, &id, "problems").await;
    assert_eq!(v.status.as_str(), "done");
    assert_eq!((v.processed, v.created, v.updated, v.skipped, v.failed), (7, 2, 1, 0, 4));
    assert_eq!(v.results_total, 4);
    assert_eq!(v.results.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5, 6, 7]);
    assert!(v.results.iter().all(|r| r.outcome == "failed" && !r.message.is_empty()));
    let updated = view(app, &nina, &id, "updated").await;
    assert_eq!(updated.results[0].customer_id, Some(acme));
    assert!(updated.results[0].message.contains("Phone"), "{}", updated.results[0].message);
    let created = view(app, &nina, &id, "created").await;
    let beta = created.results.iter().find(|r| r.customer_name == "Beta GmbH").unwrap().customer_id.unwrap();
    let d: app::model::crm::CustomerDetail = app.ok(&nina, "/api/crm/get_customer", &[("id", &beta.to_string())]).await;
    assert_eq!(d.stage, "Active");
    assert_eq!(d.tags, vec!["berlin".to_string(), "vip".to_string()]);
    let a: app::model::crm::CustomerDetail = app.ok(&nina, "/api/crm/get_customer", &[("id", &acme.to_string())]).await;
    assert_eq!(a.phone.as_deref(), Some("+44 20 7946 0000"));

    // Beta is edited after the import: the revert keeps it, deletes Eta and restores Acme.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let _: i32 = app
        .ok(
            &nina,
            "/api/crm/update_customer",
            &[
                ("id", &beta.to_string()),
                ("kind", "organisation"),
                ("name", "Beta GmbH"),
                ("email", "beta@example.org"),
                ("phone", "+49 30 7654321"),
                ("stage", "active"),
                ("owner_id", ""),
                ("tags", "vip"),
                ("notes", ""),
            ],
        )
        .await;
    let _: () = app.ok(&nina, "/api/imports/revert", &[("id", &id)]).await;
    assert!(imports::work(&app.state.db).await.unwrap());
    let v = view(app, &nina, &id, "reverted").await;
    assert_eq!(v.status.as_str(), "reverted");
    assert_eq!((v.reverted, v.kept), (2, 1));
    assert_eq!(count("Eta").await, 0);
    assert_eq!(count("Beta GmbH").await, 1);
    let a: app::model::crm::CustomerDetail = app.ok(&nina, "/api/crm/get_customer", &[("id", &acme.to_string())]).await;
    assert_eq!(a.phone, None);
    let note = |name: &str| v.results.iter().find(|r| r.customer_name == name).and_then(|r| r.revert_note.clone()).unwrap();
    assert!(note("Beta GmbH").contains("edited after the import"));
    assert_eq!(note("Eta"), "Deleted.");
    let (status, _) = app.err(&nina, "/api/imports/revert", &[("id", &id)]).await;
    assert_eq!(status, 409);

    // The import shows in the uploader's list, not in someone else's.
    let o: ImportsOverview = app.ok(&nina, "/api/imports/overview", &[]).await;
    assert_eq!(o.imports.len(), 1);
    assert_eq!(o.imports[0].status.as_str(), "reverted");
    let o: ImportsOverview = app.ok(&sam, "/api/imports/overview", &[]).await;
    assert!(o.imports.is_empty());
}

async fn malformed_and_oversized_files_get_a_clear_message(app: &TestApp) {
    app.create_member_of("nina@example.org", Role::Member, None, "UTC").await;
    let nina = app.signed_in("nina@example.org", PASSWORD).await;

    let (status, location) = upload(app, &nina, "latin1.csv", b"Name,City\nCaf\xe9 Noir,Paris\n").await;
    assert_eq!(status, 303);
    let m = refusal(app, &nina, &location).await;
    assert!(m.contains("not UTF-8") && m.contains("line 2") && m.contains("CSV UTF-8"), "{m}");

    let (_, location) = upload(app, &nina, "photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").await;
    assert!(refusal(app, &nina, &location).await.contains("binary data"));

    let (_, location) = upload(app, &nina, "empty.csv", b"").await;
    assert!(refusal(app, &nina, &location).await.contains("empty"));

    let (_, location) = upload(app, &nina, "header.csv", b"Name,Email\n").await;
    assert!(refusal(app, &nina, &location).await.contains("no customers"));

    // The limit here is 1 MB: 3 MB of garbage is read and answered with its size...
    let garbage: Vec<u8> = (0..3 * 1024 * 1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let (status, location) = upload(app, &nina, "garbage.bin", &garbage).await;
    assert_eq!(status, 303);
    let m = refusal(app, &nina, &location).await;
    assert!(m.contains("3.0 MB") && m.contains("up to 1.0 MB"), "{m}");
    // ...and what is far over it is refused before it is read.
    let (status, _) = upload(app, &nina, "huge.bin", &vec![b'x'; 6 * 1024 * 1024]).await;
    assert_eq!(status, 413);

    // The refusals show in the list, and no customer was made.
    let o: ImportsOverview = app.ok(&nina, "/api/imports/overview", &[]).await;
    assert_eq!(o.imports.len(), 5);
    assert!(o.imports.iter().all(|i| i.status.as_str() == "rejected"));
    assert_eq!(o.max_megabytes, 1);
}

async fn run_malformed(backend: app::server::testing::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |c| c.import_max_bytes = 1024 * 1024).await else {
        return;
    };
    malformed_and_oversized_files_get_a_clear_message(&app).await;
    app.stop().await;
}

#[tokio::test]
async fn malformed_files_sqlite() {
    run_malformed(app::server::testing::Backend::Sqlite).await;
}

#[tokio::test]
async fn malformed_files_postgres() {
    run_malformed(app::server::testing::Backend::Postgres).await;
}

on_both_databases!(
    an_import_is_mapped_previewed_run_and_reverted,
    an_import_row_matching_a_customer_the_user_may_not_see_does_not_name_it,
);
