//! Customers through their server functions: validation with input kept, duplicate detection,
//! per-customer permissions, the list's filters and sorting, interactions, follow-ups and the
//! change history.

use crate::helpers::{PASSWORD, TestApp};
use crate::on_both_databases;
use app::model::crm::{CustomerDetail, CustomerList, FollowUpView};
use app::model::paging::Paged;
use app::model::user::Role;

struct World {
    north: i32,
    south: i32,
    admin: reqwest::Client,
    manager: reqwest::Client,
    nina: reqwest::Client,
    nora: reqwest::Client,
    sam: reqwest::Client,
    nina_id: i32,
    nora_id: i32,
}

/// Two teams: North (manager Mia, members Nina and Nora), South (member Sam); and an admin.
async fn world(app: &TestApp) -> World {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    app.create_member_of("ada@example.org", Role::Admin, None, "UTC").await;
    let mia = app
        .create_member_of("mia@example.org", Role::Manager, Some(north), "UTC")
        .await;
    app::server::services::platform::teams::add_manager(&app.state.db, mia, north, mia)
        .await
        .unwrap();
    let nina_id = app
        .create_member_of("nina@example.org", Role::Member, Some(north), "Europe/Berlin")
        .await;
    let nora_id = app
        .create_member_of("nora@example.org", Role::Member, Some(north), "UTC")
        .await;
    app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    World {
        north,
        south,
        admin: app.signed_in("ada@example.org", PASSWORD).await,
        manager: app.signed_in("mia@example.org", PASSWORD).await,
        nina: app.signed_in("nina@example.org", PASSWORD).await,
        nora: app.signed_in("nora@example.org", PASSWORD).await,
        sam: app.signed_in("sam@example.org", PASSWORD).await,
        nina_id,
        nora_id,
    }
}

fn customer_form<'a>(name: &'a str, email: &'a str, tags: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("kind", "organisation"),
        ("name", name),
        ("email", email),
        ("phone", ""),
        ("stage", "prospect"),
        ("owner_id", ""),
        ("tags", tags),
        ("notes", ""),
    ]
}

async fn create(app: &TestApp, client: &reqwest::Client, name: &str, email: &str, tags: &str) -> i32 {
    app.ok(client, "/api/crm/create_customer", &customer_form(name, email, tags))
        .await
}

async fn create_with(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> i32 {
    app.ok(client, "/api/crm/create_customer", form).await
}

async fn list(app: &TestApp, client: &reqwest::Client, query: &[(&str, &str)]) -> CustomerList {
    let form: Vec<(String, &str)> = query.iter().map(|(k, v)| (format!("query[{k}]"), *v)).collect();
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.ok(client, "/api/crm/list_customers", &form).await
}

async fn detail(app: &TestApp, client: &reqwest::Client, id: i32) -> CustomerDetail {
    app.ok(client, "/api/crm/get_customer", &[("id", &id.to_string())])
        .await
}

fn names(list: &CustomerList) -> Vec<String> {
    list.rows.iter().map(|r| r.name.clone()).collect()
}

async fn bad_input_comes_back_with_every_message_and_the_input_kept(app: &TestApp) {
    let w = world(app).await;
    let mut form = customer_form("", "not-an-email", "vip");
    form[0] = ("kind", "planet");
    form[3] = ("phone", "call me maybe");
    form[4] = ("stage", "nowhere");
    let (status, err) = app.err(&w.nina, "/api/crm/create_customer", &form).await;
    assert_eq!(status, 422);
    for field in ["kind", "name", "email", "phone", "stage"] {
        assert!(err.field_error(field).is_some(), "no message for {field}: {err:?}");
    }
    assert_eq!(err.value("email").as_deref(), Some("not-an-email"));
    assert_eq!(err.value("tags").as_deref(), Some("vip"));
    assert_eq!(list(app, &w.admin, &[]).await.total, 0, "nothing was saved");
}

async fn duplicates_are_flagged_with_a_link_to_the_other_customer(app: &TestApp) {
    let w = world(app).await;
    let acme = create(app, &w.nina, "Acme Ltd", "hello@acme.example", "").await;

    // Same email, any case: always refused, naming the other customer.
    let (status, err) = app
        .err(&w.nora, "/api/crm/create_customer", &customer_form("Other", "HELLO@acme.example", ""))
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("email").unwrap().contains("Acme Ltd"));
    assert_eq!(err.value("duplicate_id"), Some(acme.to_string()));

    // A near-identical name: refused until the user says it is a different customer.
    let (status, err) = app
        .err(&w.nora, "/api/crm/create_customer", &customer_form("ACME ltd.", "", ""))
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("name").unwrap().contains("already exists"));
    assert_eq!(err.value("duplicate_id"), Some(acme.to_string()));
    assert_eq!(err.value("name").as_deref(), Some("ACME ltd."));
    let mut form = customer_form("ACME ltd.", "", "");
    form.push(("different", "1"));
    let second: i32 = app.ok(&w.nora, "/api/crm/create_customer", &form).await;
    assert_ne!(second, acme);
}

async fn a_duplicate_the_user_may_not_see_is_neither_named_nor_linked(app: &TestApp) {
    let w = world(app).await;
    let hidden = create(app, &w.sam, "Quiet Harbour Holdings", "board@quiet-harbour.example", "").await;
    let hidden_id = hidden.to_string();

    // The form: same email, then a near-identical name.
    let (status, err) = app
        .err(&w.nina, "/api/crm/create_customer", &customer_form("Anything", "BOARD@quiet-harbour.example", ""))
        .await;
    assert_eq!(status, 422);
    assert_eq!(err.field_error("email").as_deref(), Some("A customer with this email already exists."));
    assert_eq!(err.value("duplicate_id"), None);
    assert_eq!(err.value("duplicate_name"), None);
    let (status, err) = app
        .err(&w.nina, "/api/crm/create_customer", &customer_form("quiet harbour holdings", "", ""))
        .await;
    assert_eq!(status, 422);
    let message = err.field_error("name").unwrap();
    assert!(!message.contains("Quiet Harbour Holdings"), "{message}");
    assert_eq!(err.value("duplicate_id"), None);

    // The REST API.
    let res = w
        .nina
        .post(app.url("/api/v1/customers"))
        .header("content-type", "application/json")
        .body(r#"{"name": "Anything", "email": "board@quiet-harbour.example", "stage": "prospect"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("A customer with this email already exists."), "{body}");
    assert!(!body.contains("Quiet Harbour") && !body.contains(&hidden_id), "{body}");

    // Someone who may see it still gets the name and the link.
    let (_, err) = app
        .err(&w.admin, "/api/crm/create_customer", &customer_form("Anything", "board@quiet-harbour.example", ""))
        .await;
    assert!(err.field_error("email").unwrap().contains("Quiet Harbour Holdings"));
    assert_eq!(err.value("duplicate_id"), Some(hidden_id));
}

async fn members_see_their_team_and_edit_only_their_own(app: &TestApp) {
    let w = world(app).await;
    let ninas = create(app, &w.nina, "Birch Bakery", "", "").await;
    let sams = create(app, &w.sam, "Cedar Cafe", "", "").await;

    // Visible inside the team, invisible (404, not in lists, not by search) outside it.
    assert_eq!(detail(app, &w.nora, ninas).await.name, "Birch Bakery");
    let (status, _) = app.err(&w.sam, "/api/crm/get_customer", &[("id", &ninas.to_string())]).await;
    assert_eq!(status, 404);
    assert_eq!(names(&list(app, &w.sam, &[]).await), vec!["Cedar Cafe"]);
    assert!(list(app, &w.sam, &[("q", "birch")]).await.rows.is_empty());
    assert!(list(app, &w.sam, &[("team", &w.north.to_string())]).await.rows.is_empty());
    assert_eq!(names(&list(app, &w.nina, &[]).await), vec!["Birch Bakery"]);
    assert_eq!(names(&list(app, &w.admin, &[]).await), vec!["Birch Bakery", "Cedar Cafe"]);

    // Nora (same team) may read but not change Nina's customer; the manager and admin may.
    let mut form = customer_form("Birch Bakery & Sons", "", "");
    let id = ninas.to_string();
    form.push(("id", &id));
    let (status, _) = app.err(&w.nora, "/api/crm/update_customer", &form).await;
    assert_eq!(status, 403);
    let (status, _) = app.err(&w.sam, "/api/crm/update_customer", &form).await;
    assert_eq!(status, 404);
    // The owner stays Nina when the manager edits: give her id explicitly.
    let nina_id = w.nina_id.to_string();
    form[5] = ("owner_id", &nina_id);
    let _: i32 = app.ok(&w.manager, "/api/crm/update_customer", &form).await;
    assert_eq!(detail(app, &w.nina, ninas).await.name, "Birch Bakery & Sons");
    let (status, _) = app.err(&w.manager, "/api/crm/get_customer", &[("id", &sams.to_string())]).await;
    assert_eq!(status, 404, "a manager of North cannot see South's customers");
    assert!(!detail(app, &w.nora, ninas).await.can_edit);
    assert!(detail(app, &w.manager, ninas).await.can_edit);
    assert!(detail(app, &w.admin, sams).await.can_edit);

    // A member cannot hand a customer to someone else; a manager can, within the team.
    let mut form = customer_form("Dune Dental", "", "");
    let nora_id = w.nora_id.to_string();
    form[5] = ("owner_id", &nora_id);
    let (status, err) = app.err(&w.nina, "/api/crm/create_customer", &form).await;
    assert_eq!(status, 422);
    assert!(err.field_error("owner_id").is_some());
    let dune: i32 = app.ok(&w.manager, "/api/crm/create_customer", &form).await;
    let d = detail(app, &w.nora, dune).await;
    assert_eq!(d.owner, "nora");
    assert_eq!(d.team.as_deref(), Some("North"));
    let _ = w.south;
}

async fn the_list_searches_filters_sorts_and_pages(app: &TestApp) {
    let w = world(app).await;
    for i in 0..30 {
        let name = format!("Shop {i:02}");
        let tags = if i % 3 == 0 { "vip, Retail" } else { "retail" };
        create(app, &w.nina, &name, &format!("shop{i}@example.org"), tags).await;
    }
    let apple = create(app, &w.nina, "Apple Orchard", "", "farm").await;

    let page1 = list(app, &w.nina, &[]).await;
    assert_eq!(page1.total, 31);
    assert_eq!(page1.rows.len(), 25);
    assert_eq!(page1.rows[0].name, "Apple Orchard");
    let page2 = list(app, &w.nina, &[("page", "2")]).await;
    assert_eq!(names(&page2), vec!["Shop 24", "Shop 25", "Shop 26", "Shop 27", "Shop 28", "Shop 29"]);
    let desc = list(app, &w.nina, &[("sort", "-name")]).await;
    assert_eq!(desc.rows[0].name, "Shop 29");

    assert_eq!(list(app, &w.nina, &[("q", "orch")]).await.total, 1);
    assert_eq!(list(app, &w.nina, &[("q", "shop7@")]).await.total, 1);
    assert_eq!(list(app, &w.nina, &[("q", "VIP")]).await.total, 10, "search matches a tag");
    assert_eq!(list(app, &w.nina, &[("tag", "retail")]).await.total, 30);
    assert_eq!(list(app, &w.nina, &[("stage", "active")]).await.total, 0);
    assert_eq!(list(app, &w.nina, &[("stage", "prospect")]).await.total, 31);
    assert_eq!(list(app, &w.nina, &[("owner", "me")]).await.total, 31);
    assert_eq!(list(app, &w.nora, &[("owner", "me")]).await.total, 0);
    assert_eq!(list(app, &w.nora, &[("q", "100%_")]).await.total, 0, "wildcards are literal");

    // Data quality: a customer without email or phone is incomplete.
    let incomplete = list(app, &w.nina, &[("incomplete", "true")]).await;
    assert_eq!(names(&incomplete), vec!["Apple Orchard"]);
    assert_eq!(incomplete.rows[0].quality, 0);
    let by_quality = list(app, &w.nina, &[("sort", "quality")]).await;
    assert_eq!(by_quality.rows[0].id, apple);

    // Follow-ups: overdue filter and sorting by next follow-up, with customers without one last.
    let shop5 = list(app, &w.nina, &[("q", "Shop 05")]).await.rows[0].id;
    app.ok::<()>(
        &w.nina,
        "/api/crm/add_follow_up",
        &[("customer_id", &apple.to_string()), ("assignee_id", ""), ("due", "2020-01-01T09:00"), ("note", "")],
    )
    .await;
    app.ok::<()>(
        &w.nina,
        "/api/crm/add_follow_up",
        &[("customer_id", &shop5.to_string()), ("assignee_id", ""), ("due", "2099-01-01T09:00"), ("note", "")],
    )
    .await;
    let overdue = list(app, &w.nina, &[("overdue", "true")]).await;
    assert_eq!(names(&overdue), vec!["Apple Orchard"]);
    assert!(overdue.rows[0].follow_up_overdue);
    let by_follow_up = list(app, &w.nina, &[("sort", "follow_up")]).await;
    assert_eq!(names(&by_follow_up)[..2], ["Apple Orchard".to_string(), "Shop 05".to_string()]);
    let by_follow_up_desc = list(app, &w.nina, &[("sort", "-follow_up")]).await;
    assert_eq!(by_follow_up_desc.rows[0].name, "Shop 05");
}

async fn interactions_and_follow_ups_keep_the_customer_current(app: &TestApp) {
    let w = world(app).await;
    let id = create(app, &w.nina, "Elm Estates", "elm@example.org", "").await;
    let cid = id.to_string();

    // Nina is in Berlin: 10:00 her time in November is 09:00 UTC.
    app.ok::<()>(
        &w.nina,
        "/api/crm/log_interaction",
        &[("customer_id", &cid), ("kind", "call"), ("occurred_at", "2026-11-02T10:00"), ("summary", "Discussed renewal"), ("outcome", "Sends quote")],
    )
    .await;
    let (status, err) = app
        .err(
            &w.nina,
            "/api/crm/log_interaction",
            &[("customer_id", &cid), ("kind", "fax"), ("occurred_at", "2999-01-01T10:00"), ("summary", " "), ("outcome", "")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("kind").is_some() && err.field_error("summary").is_some());
    assert!(err.field_error("occurred_at").unwrap().contains("future"));
    assert_eq!(err.value("occurred_at").as_deref(), Some("2999-01-01T10:00"));
    // Sam (other team) cannot log on it.
    let (status, _) = app
        .err(&w.sam, "/api/crm/log_interaction", &[("customer_id", &cid), ("kind", "call"), ("occurred_at", "2026-11-02T10:00"), ("summary", "x"), ("outcome", "")])
        .await;
    assert_eq!(status, 404);

    let d = detail(app, &w.nina, id).await;
    assert_eq!(d.interactions.len(), 1);
    assert_eq!(d.interactions[0].occurred_at, "Mon 2 Nov 2026, 10:00");
    assert_eq!(d.interactions[0].author.as_deref(), Some("nina"));
    let row = &list(app, &w.nora, &[]).await.rows[0];
    // The list's short form leaves out the year when it is the current one.
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-02T09:00:00Z").unwrap().to_utc();
    let times = |tz| app::server::services::platform::times::short(at, app::server::services::platform::times::zone(tz), chrono::Utc::now());
    assert!(times("UTC").starts_with("Mon 2 Nov") && times("UTC").ends_with(", 09:00"));
    assert_eq!(row.last_interaction, Some(times("UTC")), "shown in Nora's UTC");

    // A follow-up assigned to Nora, due in her timezone; overdue on her day.
    app.ok::<()>(
        &w.nina,
        "/api/crm/add_follow_up",
        &[("customer_id", &cid), ("assignee_id", &w.nora_id.to_string()), ("due", "2026-01-05T09:30"), ("note", "Call about the quote")],
    )
    .await;
    let (status, err) = app
        .err(&w.nina, "/api/crm/add_follow_up", &[("customer_id", &cid), ("assignee_id", ""), ("due", "soon"), ("note", "keep me")])
        .await;
    assert_eq!(status, 422);
    assert!(err.field_error("due").is_some());
    assert_eq!(err.value("note").as_deref(), Some("keep me"));

    let mine: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", "1")]).await;
    assert_eq!(mine.total, 1);
    let mine = mine.rows;
    assert_eq!(mine.len(), 1);
    assert!(mine[0].overdue && mine[0].can_act);
    assert_eq!(mine[0].customer_id, id);
    assert_eq!(mine[0].due, "Mon 5 Jan 2026, 09:30");
    let ninas: Paged<FollowUpView> = app.ok(&w.nina, "/api/crm/my_day", &[("page", "1")]).await;
    assert!(ninas.rows.is_empty() && ninas.total == 0);


    // Done and schedule the next one, in one step; the old one cannot be closed twice.
    let fid = mine[0].id.to_string();
    app.ok::<()>(
        &w.nora,
        "/api/crm/complete_follow_up",
        &[("id", &fid), ("next_due", "2099-02-01T08:00"), ("next_note", "Check delivery"), ("next_assignee_id", "")],
    )
    .await;
    let (status, _) = app.err(&w.nora, "/api/crm/complete_follow_up", &[("id", &fid)]).await;
    assert_eq!(status, 409);
    let d = detail(app, &w.nina, id).await;
    assert_eq!(d.open_follow_ups.len(), 1);
    assert_eq!(d.open_follow_ups[0].note, "Check delivery");
    assert_eq!(d.open_follow_ups[0].assignee, "nora");
    assert_eq!(d.past_follow_ups.len(), 1);
    assert_eq!(d.past_follow_ups[0].status.as_str(), "done");

    // Reschedule then cancel; the customer's next follow-up follows.
    let next = d.open_follow_ups[0].id.to_string();
    let (status, err) = app.err(&w.nora, "/api/crm/reschedule_follow_up", &[("id", &next), ("due", "31/02")]).await;
    assert_eq!(status, 422);
    assert_eq!(err.value("follow_up_id"), Some(next.clone()));
    app.ok::<()>(&w.nora, "/api/crm/reschedule_follow_up", &[("id", &next), ("due", "2099-03-01T08:00")]).await;
    assert_eq!(list(app, &w.nora, &[]).await.rows[0].next_follow_up.as_deref(), Some("Sun 1 Mar 2099, 08:00"));
    let (status, _) = app.err(&w.sam, "/api/crm/cancel_follow_up", &[("id", &next)]).await;
    assert_eq!(status, 404);
    app.ok::<()>(&w.nora, "/api/crm/cancel_follow_up", &[("id", &next)]).await;
    assert_eq!(list(app, &w.nora, &[]).await.rows[0].next_follow_up, None);
    // More than a page of them: My day shows 20 a page, oldest first, and how many in all.
    for day in 1..=22 {
        let due = format!("2026-02-{day:02}T09:30");
        app.ok::<()>(&w.nina, "/api/crm/add_follow_up", &[("customer_id", &cid), ("assignee_id", &w.nora_id.to_string()), ("due", &due), ("note", "")])
            .await;
    }
    let first: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", "1")]).await;
    let second: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", "2")]).await;
    assert_eq!((first.total, first.rows.len(), second.rows.len()), (22, 20, 2));
    let dues: Vec<&str> = first.rows.iter().chain(&second.rows).map(|f| f.due.as_str()).collect();
    assert_eq!((dues[0], dues[1], dues[21]), ("Sun 1 Feb 2026, 09:30", "Mon 2 Feb 2026, 09:30", "Sun 22 Feb 2026, 09:30"));
    let mut ids: Vec<i32> = first.rows.iter().chain(&second.rows).map(|f| f.id).collect();
    ids.dedup();
    assert_eq!(ids.len(), 22, "no follow-up on both pages");

    // Past the count's cap the list says "or more" and still pages on to the last one.
    use app::model::paging::{MY_DAY_COUNT_CAP, MY_DAY_PER_PAGE};
    use app::server::entities::follow_up;
    use sea_orm::{EntityTrait, Set};
    let due = chrono::Utc::now() - chrono::Duration::days(400);
    let more = MY_DAY_COUNT_CAP + 8 - 22;
    follow_up::Entity::insert_many((0..more).map(|i| follow_up::ActiveModel {
        customer_id: Set(cid.parse().unwrap()),
        assignee_id: Set(w.nora_id),
        due_at: Set(due + chrono::Duration::minutes(i as i64)),
        note: Set(format!("bulk {i}")),
        status: Set(app::model::states::FollowUpStatus::Open),
        created_at: Set(due),
        ..Default::default()
    }))
    .exec(&app.state.db)
    .await
    .unwrap();
    let all = MY_DAY_COUNT_CAP + 8;
    let first: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", "1")]).await;
    assert_eq!((first.total, first.capped), (MY_DAY_COUNT_CAP, true), "counted to the cap");
    let at_cap = (MY_DAY_COUNT_CAP / MY_DAY_PER_PAGE).to_string();
    let at_cap: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", &at_cap)]).await;
    assert!(at_cap.capped && at_cap.pages() > at_cap.page, "a next page after the cap's: {:?}", (at_cap.total, at_cap.page));
    let last = all.div_ceil(MY_DAY_PER_PAGE);
    let last_page: Paged<FollowUpView> = app.ok(&w.nora, "/api/crm/my_day", &[("page", &last.to_string())]).await;
    assert_eq!((last_page.total, last_page.capped, last_page.pages()), (all, false, last), "the last page knows the whole count");
    assert_eq!(last_page.rows.len() as u64, all - (last - 1) * MY_DAY_PER_PAGE);
    assert_eq!(last_page.rows.last().map(|f| f.note.as_str()), Some(""), "the newest due (the 22 typed ones) come last");
}

async fn edits_are_recorded_field_by_field_in_the_change_history(app: &TestApp) {
    let w = world(app).await;
    let id = create(app, &w.nina, "Fern Florist", "", "flowers").await;
    let sid = id.to_string();
    let mut form = customer_form("Fern Florist", "fern@example.org", "flowers, vip");
    form[4] = ("stage", "active");
    form.push(("id", &sid));
    let _: i32 = app.ok(&w.nina, "/api/crm/update_customer", &form).await;
    app.ok::<()>(
        &w.nina,
        "/api/crm/add_contact",
        &[("customer_id", &sid), ("name", "Fiona"), ("title", "Owner"), ("email", ""), ("phone", "+44 20 7946 0000")],
    )
    .await;
    let (status, err) = app
        .err(&w.nora, "/api/crm/add_contact", &[("customer_id", &sid), ("name", "X"), ("title", ""), ("email", ""), ("phone", "")])
        .await;
    assert_eq!(status, 403, "{err:?}");

    let d = detail(app, &w.nina, id).await;
    assert_eq!(d.stage, "Active");
    assert_eq!(d.tags, vec!["flowers", "vip"]);
    assert_eq!(d.quality, 100);
    assert_eq!(d.contacts.len(), 1);
    let update = d.history.iter().find(|h| h.action == "changed").unwrap();
    assert_eq!(update.actor.as_deref(), Some("nina"));
    assert!(update.changes.contains(&("stage".into(), "Prospect".into(), "Active".into())));
    assert!(update.changes.contains(&("email".into(), "".into(), "fern@example.org".into())));
    assert!(update.changes.contains(&("tags".into(), "flowers".into(), "flowers, vip".into())));
    assert!(!update.changes.iter().any(|(f, ..)| f == "name"), "unchanged fields are left out");
    assert_eq!(d.history.last().unwrap().action, "created the customer");
}

/// Two people rename the same customer at the same moment: the change history chains the two
/// (the later edit's "before" is the earlier edit's "after"), because each edit reads and checks
/// the customer inside its own write, with the row held until it commits.
async fn simultaneous_edits_are_recorded_one_after_the_other(app: &TestApp) {
    let w = world(app).await;
    let id = create(app, &w.nina, "Fern Florist", "", "").await;
    let (sid, nina) = (id.to_string(), w.nina_id.to_string());
    // Both keep Nina as the owner (an empty owner would make the editor the owner).
    let renamed = |name: &'static str| {
        let mut form = customer_form(name, "", "");
        form[5] = ("owner_id", &nina);
        form.push(("id", &sid));
        form
    };
    let (by_nina, by_mia) = (renamed("Fern Flowers"), renamed("Fern & Co"));
    let (a, b) = tokio::join!(
        app.call(&w.nina, "/api/crm/update_customer", &by_nina),
        app.call(&w.manager, "/api/crm/update_customer", &by_mia),
    );
    for res in [a, b] {
        let status = res.status();
        assert!(status.is_success(), "{status}: {}", res.text().await.unwrap());
    }
    let d = detail(app, &w.nina, id).await;
    let renames: Vec<(String, String)> = d
        .history
        .iter()
        .filter(|h| h.action == "changed")
        .flat_map(|h| h.changes.iter().filter(|(f, ..)| f == "name").map(|(_, from, to)| (from.clone(), to.clone())))
        .collect();
    assert_eq!(renames.len(), 2, "{renames:?}");
    // Newest first: the later edit started from what the earlier one saved.
    let (later, earlier) = (&renames[0], &renames[1]);
    assert_eq!(earlier.0, "Fern Florist", "{renames:?}");
    assert_eq!(later.0, earlier.1, "{renames:?}");
    assert_eq!(d.name, later.1);
}

async fn export_is_the_filtered_list_of_what_the_user_may_see_with_formulas_neutralised(app: &TestApp) {
    let w = world(app).await;
    create(app, &w.nina, "=HYPERLINK(\"http://evil.example\")", "", "vip").await;
    create(app, &w.nina, "Birch, Bark & Co", "birch@example.org", "").await;
    create(app, &w.sam, "Cedar Cafe", "", "vip").await;
    let csv = |client: reqwest::Client, query: &'static str| {
        let url = app.url(&format!("/customers/export.csv{query}"));
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
            assert!(res.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
            res.text().await.unwrap()
        }
    };

    let nina = csv(w.nina.clone(), "").await;
    let lines: Vec<&str> = nina.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("Name,Kind,Email,Phone,Lifecycle stage,Owner,Team,Tags"));
    assert_eq!(lines.len(), 3, "Nina sees her team's two customers, not South's: {nina}");
    assert!(lines[1].starts_with("\"Birch, Bark & Co\",Organisation,birch@example.org"));
    assert!(lines[2].starts_with("\"'=HYPERLINK"), "formula neutralised: {}", lines[2]);
    assert!(!nina.contains("Cedar"));

    // The list's filters apply: only the tagged ones, across every team for the admin.
    let admin = csv(w.admin.clone(), "?tag=vip").await;
    let names: Vec<&str> = admin.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, vec!["Cedar Cafe", "\"'=HYPERLINK(\"\"http://evil.example\"\")\""]);

    // Anonymous visitors are sent to sign in.
    let res = TestApp::new_client().get(app.url("/customers/export.csv")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/signin");
}

async fn admins_add_rename_reorder_and_remove_unused_lifecycle_stages(app: &TestApp) {
    use app::model::admin::StageView;
    let w = world(app).await;
    let stages = |client: reqwest::Client| async move {
        let list: Vec<StageView> = app.ok(&client, "/api/admin/list_stages", &[]).await;
        list
    };
    let labels = |list: &[StageView]| list.iter().map(|s| s.label.clone()).collect::<Vec<_>>();
    let initial = stages(w.admin.clone()).await;
    assert_eq!(labels(&initial), vec!["Prospect", "Onboarding", "Active", "At risk", "Closed"]);

    // Members and managers cannot touch them.
    let (status, _) = app.err(&w.manager, "/api/admin/create_stage", &[("label", "Won")]).await;
    assert_eq!(status, 403);

    let _: () = app.ok(&w.admin, "/api/admin/create_stage", &[("label", "Won back")]).await;
    let (status, err) = app.err(&w.admin, "/api/admin/create_stage", &[("label", " won  BACK ")]).await;
    assert_eq!(status, 422);
    assert_eq!(err.field_error("label").as_deref(), Some("A stage with this name already exists."));
    assert_eq!(err.value("label").as_deref(), Some(" won  BACK "));
    let list = stages(w.admin.clone()).await;
    let won = list.last().unwrap().clone();
    assert_eq!((won.key.as_str(), won.customers), ("won_back", 0));

    let id = won.id.to_string();
    let _: () = app.ok(&w.admin, "/api/admin/move_stage", &[("id", &id), ("direction", "up")]).await;
    let _: () = app.ok(&w.admin, "/api/admin/rename_stage", &[("id", &id), ("label", "Regained")]).await;
    let list = stages(w.admin.clone()).await;
    assert_eq!(labels(&list), vec!["Prospect", "Onboarding", "Active", "At risk", "Regained", "Closed"]);
    // At the top already: moving up changes nothing.
    let first = list[0].id.to_string();
    let _: () = app.ok(&w.admin, "/api/admin/move_stage", &[("id", &first), ("direction", "up")]).await;
    assert_eq!(labels(&stages(w.admin.clone()).await)[0], "Prospect");

    // A stage with customers in it stays; an unused one goes.
    create(app, &w.nina, "Birch Bakery", "", "").await;
    let (status, err) = app.err(&w.admin, "/api/admin/remove_stage", &[("id", &first)]).await;
    assert_eq!(status, 422);
    assert!(err.field_error("stage").unwrap().starts_with("1 customer(s) are in “Prospect”"));
    let _: () = app.ok(&w.admin, "/api/admin/remove_stage", &[("id", &id)]).await;
    let list = stages(w.admin.clone()).await;
    assert_eq!(labels(&list), vec!["Prospect", "Onboarding", "Active", "At risk", "Closed"]);
    assert_eq!(list[0].customers, 1);
}

async fn custom_fields_are_validated_owned_by_a_role_and_go_stale(app: &TestApp) {
    use app::server::entities::custom_value;
    use sea_orm::{ActiveModelTrait, EntityTrait, Set};
    let w = world(app).await;
    let define = |fields: Vec<(&'static str, &'static str)>| {
        let admin = w.admin.clone();
        async move { app.call(&admin, "/api/admin/create_field", &fields).await }
    };
    let base = |key: &'static str, label: &'static str, kind: &'static str| {
        vec![("key", key), ("label", label), ("field_type", kind), ("owner_role", "member")]
    };

    // Definitions are checked: every message at once, the typed values kept.
    let mut bad = base("Revenue Band", "Revenue band", "choice");
    bad.extend([("options", "Only one"), ("pattern", "[unclosed"), ("freshness_days", "0")]);
    let res = define(bad).await;
    assert_eq!(res.status(), 422);
    let err: app::error::AppError = res.json().await.unwrap();
    assert!(err.field_error("key").is_some());
    assert!(err.field_error("options").unwrap().contains("at least two"));
    assert!(err.field_error("pattern").unwrap().starts_with("This is not a valid pattern"));
    assert!(err.field_error("freshness_days").is_some());
    assert_eq!(err.value("options").as_deref(), Some("Only one"));

    // A pattern comes with an example that fits it, which people see instead of the pattern.
    let mut account = base("", "Account number", "text");
    account.extend([("pattern", "[A-Z]{2}-[0-9]{5}"), ("required", "1")]);
    let res = define(account.clone()).await;
    assert_eq!(res.status(), 422);
    let err: app::error::AppError = res.json().await.unwrap();
    assert!(err.field_error("pattern_example").unwrap().starts_with("Give an example"));
    assert_eq!(err.value("pattern").as_deref(), Some("[A-Z]{2}-[0-9]{5}"));
    let mut misfit = account.clone();
    misfit.push(("pattern_example", "AB-123"));
    let err: app::error::AppError = define(misfit).await.json().await.unwrap();
    assert_eq!(err.field_error("pattern_example").as_deref(), Some("This example does not fit the pattern."));
    account.push(("pattern_example", "AB-12345"));
    assert!(define(account).await.status().is_success());
    let mut band = base("revenue_band", "Revenue band", "choice");
    band.extend([("options", "Small\nMedium\nLarge"), ("required", "1"), ("freshness_days", "30")]);
    band[3] = ("owner_role", "manager");
    assert!(define(band).await.status().is_success());
    let mut staff = base("staff", "Employees", "number");
    staff.extend([("min_value", "1"), ("max_value", "100000")]);
    assert!(define(staff).await.status().is_success());
    let res = define(base("staff", "Staff again", "number")).await;
    assert_eq!(res.status(), 422, "keys are unique");

    // A member's form: her fields are checked; the manager's field is not hers to set.
    let mut form = customer_form("Elm Estates", "elm@example.org", "");
    form.extend([("custom[account_number]", "12345"), ("custom[staff]", "0"), ("custom[revenue_band]", "Large")]);
    let (status, err) = app.err(&w.nina, "/api/crm/create_customer", &form).await;
    assert_eq!(status, 422);
    assert_eq!(err.field_error("cf_account_number").as_deref(), Some("Enter it in the form AB-12345."));
    assert_eq!(err.field_error("cf_staff").as_deref(), Some("Enter a number from 1 to 100000."));
    assert!(err.field_error("cf_revenue_band").is_none());
    assert_eq!(err.value("cf_account_number").as_deref(), Some("12345"));
    form.retain(|(k, _)| !k.starts_with("custom["));
    let (_, err) = app.err(&w.nina, "/api/crm/create_customer", &form).await;
    assert_eq!(err.field_error("cf_account_number").as_deref(), Some("Account number is required."));
    form.extend([("custom[account_number]", "EL-00042"), ("custom[staff]", "1,200"), ("custom[revenue_band]", "Large")]);
    let id = create_with(app, &w.nina, &form).await;
    let d = detail(app, &w.nina, id).await;
    let state = |d: &CustomerDetail, label: &str| {
        let v = d.custom.iter().find(|v| v.label == label).unwrap();
        (v.value.clone(), v.state.clone(), v.can_confirm)
    };
    assert_eq!(state(&d, "Account number"), ("EL-00042".into(), "ok".into(), true));
    assert_eq!(state(&d, "Employees"), ("1200".into(), "ok".into(), true));
    assert_eq!(state(&d, "Revenue band"), ("".into(), "missing".into(), false));
    assert_eq!(d.quality, 66, "reachable and account number, of three required items");

    // The manager sets the band; the score is full.
    let mut edit = form.clone();
    let id_text = id.to_string();
    let nina = w.nina_id.to_string();
    edit.push(("id", &id_text));
    edit[5] = ("owner_id", &nina);
    edit.retain(|(k, _)| *k != "custom[revenue_band]");
    edit.push(("custom[revenue_band]", "medium"));
    let _: i32 = app.ok(&w.manager, "/api/crm/update_customer", &edit).await;
    let d = detail(app, &w.manager, id).await;
    assert_eq!(state(&d, "Revenue band"), ("Medium".into(), "ok".into(), true));
    assert_eq!(d.quality, 100);

    // Forty days later the band is stale: the score drops until its owner re-confirms it.
    let band_id = d.custom.iter().find(|v| v.label == "Revenue band").unwrap().field_id;
    let stored = custom_value::Entity::find_by_id((id, band_id)).one(&app.state.db).await.unwrap().unwrap();
    let mut old: custom_value::ActiveModel = stored.into();
    old.confirmed_at = Set(chrono::Utc::now() - chrono::TimeDelta::days(40));
    old.update(&app.state.db).await.unwrap();
    app::server::services::crm::customers::refresh_quality(&app.state.db, id).await.unwrap();
    let d = detail(app, &w.nina, id).await;
    assert_eq!(state(&d, "Revenue band"), ("Medium".into(), "stale".into(), false));
    assert_eq!(d.quality, 66);
    // The fields page counts it as filled and stale (counted in SQL, per field).
    let fields: Vec<app::model::crm::CustomFieldView> = app.ok(&w.admin, "/api/admin/list_fields", &[]).await;
    let counts = |key: &str| fields.iter().find(|f| f.form.key == key).map(|f| (f.filled, f.stale)).unwrap();
    assert_eq!(counts("revenue_band"), (1, 1));
    assert!(fields.iter().filter(|f| f.form.key != "revenue_band").all(|f| f.stale == 0), "{fields:?}");
    assert_eq!(names(&list(app, &w.nina, &[("incomplete", "true")]).await), vec!["Elm Estates"]);
    let band_text = band_id.to_string();
    let confirm = [("customer_id", id_text.as_str()), ("field_id", band_text.as_str())];
    let (status, _) = app.err(&w.nina, "/api/crm/confirm_value", &confirm).await;
    assert_eq!(status, 403, "the band is kept current by managers");
    let _: () = app.ok(&w.manager, "/api/crm/confirm_value", &confirm).await;
    let d = detail(app, &w.nina, id).await;
    assert_eq!(state(&d, "Revenue band").1, "ok");
    assert!(d.custom.iter().any(|v| v.confirmed.as_deref().is_some_and(|c| c.starts_with("Confirmed by mia"))));
    assert_eq!(d.quality, 100);
    assert!(d.history.iter().any(|h| h.action.contains("confirm")), "{:?}", d.history);
    assert!(list(app, &w.nina, &[("incomplete", "true")]).await.rows.is_empty());

    // Retiring the band takes it out of the form and the score (after the refresher runs).
    let _: () = app.ok(&w.admin, "/api/admin/set_field_active", &[("id", &band_text), ("active", "false")]).await;
    app::server::services::crm::customers::refresh_expired_quality(&app.state.db, 500).await.unwrap();
    let d = detail(app, &w.nina, id).await;
    assert!(d.custom.iter().all(|v| v.label != "Revenue band"));
    assert_eq!(d.quality, 100);
    let fields: Vec<app::model::crm::CustomFieldView> = app.ok(&w.admin, "/api/admin/list_fields", &[]).await;
    let band = fields.iter().find(|f| f.form.key == "revenue_band").unwrap();
    assert!(!band.active);
    assert_eq!(band.filled, 1);
}

on_both_databases!(
    bad_input_comes_back_with_every_message_and_the_input_kept,
    duplicates_are_flagged_with_a_link_to_the_other_customer,
    a_duplicate_the_user_may_not_see_is_neither_named_nor_linked,
    members_see_their_team_and_edit_only_their_own,
    the_list_searches_filters_sorts_and_pages,
    interactions_and_follow_ups_keep_the_customer_current,
    edits_are_recorded_field_by_field_in_the_change_history,
    simultaneous_edits_are_recorded_one_after_the_other,
    export_is_the_filtered_list_of_what_the_user_may_see_with_formulas_neutralised,
    admins_add_rename_reorder_and_remove_unused_lifecycle_stages,
    custom_fields_are_validated_owned_by_a_role_and_go_stale,
);
