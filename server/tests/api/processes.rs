//! Process templates and runs through their services, on SQLite and PostgreSQL: versions and
//! publishing, the step rules (data, approval with rework, stop, optional), who may act,
//! triggers, "My day", cancelling, JSON export and import, and two people acting at once.

use crate::helpers::TestApp;
use crate::on_both_databases;
use app::error::AppError;
use app::model::crm::{CustomFieldForm, CustomerForm};
use app::model::process::StepForm;
use app::model::user::Role;
use app::server::entities::{activity_event, customer, process_run, process_run_event, process_step_run};
use app::server::services::platform::access::Actor;
use app::server::services::processes::runs::{self, StepAction};
use app::server::services::{crm::{customers, fields}, platform::users, processes};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use std::collections::BTreeMap;

struct World {
    north: i32,
    admin: Actor,
    mia: Actor,
    nina: Actor,
    nora: Actor,
    sam: Actor,
}

async fn actor(app: &TestApp, id: i32) -> Actor {
    let user = users::find(&app.state.db, id).await.unwrap();
    let view = users::view(&app.state.db, &user).await.unwrap();
    Actor::load(&app.state.db, &view).await.unwrap()
}

/// The demo data's admin (after `seed::demo::seed`).
async fn demo_admin(app: &TestApp) -> Actor {
    let admin = users::find_by_email(&app.state.db, "admin@rapport.test").await.unwrap().unwrap();
    actor(app, admin.id).await
}

/// Team North (manager Mia, members Nina and Nora), team South (member Sam), admin Ada; and a
/// required custom field "contract" that data steps ask for.
async fn world(app: &TestApp) -> World {
    let north = app.create_team("North").await;
    let south = app.create_team("South").await;
    let ada = app.create_member_of("ada@example.org", Role::Admin, None, "UTC").await;
    let mia = app.create_member_of("mia@example.org", Role::Manager, Some(north), "UTC").await;
    app::server::services::platform::teams::add_manager(&app.state.db, mia, north, mia).await.unwrap();
    let nina = app.create_member_of("nina@example.org", Role::Member, Some(north), "Europe/Berlin").await;
    let nora = app.create_member_of("nora@example.org", Role::Member, Some(north), "UTC").await;
    let sam = app.create_member_of("sam@example.org", Role::Member, Some(south), "UTC").await;
    fields::create(
        &app.state.db,
        ada,
        &CustomFieldForm {
            key: "contract".into(),
            label: "Contract number".into(),
            field_type: "text".into(),
            pattern: "C-[0-9]{4}".into(),
            pattern_example: "C-1234".into(),
            owner_role: "manager".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    World {
        north,
        admin: actor(app, ada).await,
        mia: actor(app, mia).await,
        nina: actor(app, nina).await,
        nora: actor(app, nora).await,
        sam: actor(app, sam).await,
    }
}

fn step(title: &str, kind: &str) -> StepForm {
    StepForm {
        title: title.into(),
        kind: kind.into(),
        assignee_rule: "owner".into(),
        due_unit: "days".into(),
        due_from: "start".into(),
        ..Default::default()
    }
}

fn approval(title: &str) -> StepForm {
    StepForm {
        assignee_rule: "role".into(),
        assignee_role: "manager".into(),
        ..step(title, "approval")
    }
}

fn data_step(title: &str, keys: &[&str]) -> StepForm {
    StepForm {
        fields: keys.iter().map(|k| (k.to_string(), "on".to_string())).collect(),
        ..step(title, "data")
    }
}

/// A published template with the given steps; returns (template id, version id).
async fn published(app: &TestApp, w: &World, name: &str, steps: Vec<StepForm>) -> (i32, i32) {
    let db = &app.state.db;
    let (t, v) = processes::create_template(db, &w.admin, name, "Why it exists").await.unwrap();
    for s in &steps {
        processes::add_step(db, &w.admin, v.id, s).await.unwrap();
    }
    processes::publish(db, &w.admin, v.id).await.unwrap();
    (t.id, v.id)
}

async fn customer_of(app: &TestApp, owner: &Actor, name: &str) -> customer::Model {
    customers::create(
        &app.state.db,
        owner,
        &CustomerForm {
            kind: "organisation".into(),
            name: name.into(),
            stage: "prospect".into(),
            ..Default::default()
        },
        true,
    )
    .await
    .unwrap()
}

async fn steps_of(app: &TestApp, run_id: i32) -> Vec<process_step_run::Model> {
    process_step_run::Entity::find()
        .filter(process_step_run::Column::RunId.eq(run_id))
        .order_by_asc(process_step_run::Column::Position)
        .all(&app.state.db)
        .await
        .unwrap()
}

fn states(steps: &[process_step_run::Model]) -> Vec<&str> {
    steps.iter().map(|s| s.status.as_str()).collect()
}

async fn run_of(app: &TestApp, id: i32) -> process_run::Model {
    process_run::Entity::find_by_id(id).one(&app.state.db).await.unwrap().unwrap()
}

fn complete() -> StepAction {
    StepAction::Complete(BTreeMap::new())
}

async fn a_published_version_is_frozen_and_edits_go_to_a_new_draft(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let (template, v1) = published(app, &w, "Onboarding", vec![step("Call", "task")]).await;

    let frozen = processes::add_step(db, &w.admin, v1, &step("More", "task")).await.unwrap_err();
    assert!(matches!(&frozen, AppError::Conflict(m) if m.contains("new draft")), "{frozen:?}");

    let c = customer_of(app, &w.nina, "Acme").await;
    let old_run = runs::start(db, &w.nina, template, c.id).await.unwrap();

    let v2 = processes::new_draft(db, &w.admin, template).await.unwrap();
    assert_eq!(v2.number, 2);
    assert_eq!(processes::new_draft(db, &w.admin, template).await.unwrap().id, v2.id, "one draft at a time");
    let copied = processes::version_detail(db, &w.admin, v2.id).await.unwrap();
    assert_eq!(copied.steps.len(), 1, "the draft starts as a copy");
    processes::add_step(db, &w.admin, v2.id, &step("Visit", "task")).await.unwrap();
    processes::save_draft(db, &w.admin, v2.id, "Onboarding 2", "A better goal").await.unwrap();
    processes::publish(db, &w.admin, v2.id).await.unwrap();

    let c2 = customer_of(app, &w.nina, "Beta").await;
    let new_run = runs::start(db, &w.nina, template, c2.id).await.unwrap();
    assert_eq!(new_run.version_id, v2.id);
    assert_eq!(run_of(app, old_run.id).await.version_id, v1, "a run stays on its version");
    assert_eq!(steps_of(app, old_run.id).await.len(), 1);
    assert_eq!(steps_of(app, new_run.id).await.len(), 2);
    let detail = processes::detail(db, &w.admin, template).await.unwrap();
    assert_eq!(detail.name, "Onboarding 2");
    assert_eq!(detail.versions.iter().map(|v| v.status.as_str()).collect::<Vec<_>>(), vec!["published", "published"]);

    processes::archive_version(db, &w.admin, v1).await.unwrap();
    let c3 = customer_of(app, &w.nina, "Gamma").await;
    assert_eq!(runs::start(db, &w.nina, template, c3.id).await.unwrap().version_id, v2.id);
    let members_may_not = processes::add_step(db, &w.nina, v2.id, &step("x", "task")).await.unwrap_err();
    assert_eq!(members_may_not, AppError::Forbidden);
}

async fn a_draft_is_checked_before_it_is_published(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let (_, v) = processes::create_template(db, &w.admin, "Review", "Check the file").await.unwrap();
    let empty = processes::publish(db, &w.admin, v.id).await.unwrap_err();
    assert!(matches!(&empty, AppError::Conflict(m) if m.contains("at least one step")), "{empty:?}");
    processes::add_step(db, &w.admin, v.id, &approval("Sign off")).await.unwrap();
    let first = processes::publish(db, &w.admin, v.id).await.unwrap_err();
    assert!(matches!(&first, AppError::Conflict(m) if m.contains("no step before it")), "{first:?}");

    let bad = StepForm {
        title: " ".into(),
        kind: "party".into(),
        due_amount: "soon".into(),
        ..step("", "")
    };
    let err = processes::add_step(db, &w.admin, v.id, &bad).await.unwrap_err();
    for field in ["title", "kind", "due_amount"] {
        assert!(err.field_error(field).is_some(), "no message for {field}: {err:?}");
    }
    assert_eq!(err.value("due_amount").as_deref(), Some("soon"), "the input is kept");
    let owner_approval = StepForm { assignee_rule: "owner".into(), ..approval("x") };
    assert!(processes::add_step(db, &w.admin, v.id, &owner_approval).await.unwrap_err().field_error("assignee_rule").is_some());
    let no_fields = processes::add_step(db, &w.admin, v.id, &data_step("Data", &[])).await.unwrap_err();
    assert!(no_fields.field_error("fields").is_some());
    let unknown = processes::add_step(db, &w.admin, v.id, &data_step("Data", &["shoe_size"])).await.unwrap_err();
    assert!(unknown.field_error("fields").unwrap().contains("shoe_size"));
    let optional_stop = StepForm { optional: "on".into(), ..step("Gate", "stop") };
    assert!(processes::add_step(db, &w.admin, v.id, &optional_stop).await.unwrap_err().field_error("optional").is_some());

    // Reordering puts a task before the approval; then it publishes.
    let task = processes::add_step(db, &w.admin, v.id, &step("Collect papers", "task")).await.unwrap();
    processes::move_step(db, &w.admin, task.id, -1).await.unwrap();
    let detail = processes::version_detail(db, &w.admin, v.id).await.unwrap();
    assert_eq!(detail.steps.iter().map(|s| s.title.as_str()).collect::<Vec<_>>(), vec!["Collect papers", "Sign off"]);
    assert!(detail.problems.is_empty(), "{:?}", detail.problems);
    processes::publish(db, &w.admin, v.id).await.unwrap();
    let _ = w.north;
}

async fn a_run_goes_through_data_approval_rework_and_completes(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let (template, _) = published(
        app,
        &w,
        "Loan review",
        vec![
            step("Collect documents", "task"),
            data_step("Record the contract", &["email", "contract"]),
            approval("Manager sign-off"),
            step("Tell the customer", "task"),
        ],
    )
    .await;
    let c = customer_of(app, &w.nina, "Acme").await;
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s = steps_of(app, run.id).await;
    assert_eq!(states(&s), vec!["available", "available", "waiting", "available"]);
    assert!(s[0].available_at.is_some() && s[2].available_at.is_none());

    runs::act(db, &w.nina, run.id, s[0].id, complete()).await.unwrap();

    // A data step refuses missing or invalid values, names each field and keeps the input.
    let typed = BTreeMap::from([("email".to_string(), "info@acme.example".to_string()), ("contract".to_string(), "12".to_string())]);
    let err = runs::act(db, &w.nina, run.id, s[1].id, StepAction::Complete(typed)).await.unwrap_err();
    assert!(err.field_error("data_contract").is_some(), "{err:?}");
    assert_eq!(err.value("data_email").as_deref(), Some("info@acme.example"));
    assert_eq!(err.value("data_contract").as_deref(), Some("12"));
    let missing = runs::act(db, &w.nina, run.id, s[1].id, complete()).await.unwrap_err();
    assert!(missing.field_error("data_email").is_some() && missing.field_error("data_contract").is_some());
    assert_eq!(steps_of(app, run.id).await[1].status.as_str(), "available", "nothing was recorded");

    let good = BTreeMap::from([("email".to_string(), "info@acme.example".to_string()), ("contract".to_string(), "C-1234".to_string())]);
    runs::act(db, &w.nina, run.id, s[1].id, StepAction::Complete(good)).await.unwrap();
    let saved = customer::Entity::find_by_id(c.id).one(db).await.unwrap().unwrap();
    assert_eq!(saved.email.as_deref(), Some("info@acme.example"), "completing writes the customer");
    assert_eq!(fields::form_values(db, c.id).await.unwrap().get("contract").map(String::as_str), Some("C-1234"));

    // Only a manager of the customer's team decides the approval.
    let s = steps_of(app, run.id).await;
    assert_eq!(s[2].status.as_str(), "available");
    assert_eq!(runs::act(db, &w.nina, run.id, s[2].id, StepAction::Approve).await.unwrap_err(), AppError::Forbidden);
    let view = runs::view(db, &w.nina, run.id).await.unwrap();
    assert!(!view.steps[2].can_decide);
    assert!(view.steps[2].why_not.as_deref().unwrap().contains("manager"));

    let no_reason = runs::act(db, &w.mia, run.id, s[2].id, StepAction::Reject("  ".into())).await.unwrap_err();
    assert!(no_reason.field_error("reason").is_some());
    runs::act(db, &w.mia, run.id, s[2].id, StepAction::Reject("The contract number is wrong".into())).await.unwrap();
    let s = steps_of(app, run.id).await;
    assert_eq!(states(&s), vec!["done", "available", "rejected", "available"]);
    assert_eq!(s[1].reopened_count, 1);
    assert_eq!(s[2].decision_reason.as_deref(), Some("The contract number is wrong"));
    assert!(s[1].completed_at.is_none());

    let fixed = BTreeMap::from([("email".to_string(), "info@acme.example".to_string()), ("contract".to_string(), "C-4321".to_string())]);
    runs::act(db, &w.nina, run.id, s[1].id, StepAction::Complete(fixed)).await.unwrap();
    assert_eq!(steps_of(app, run.id).await[2].status.as_str(), "available", "the approval opens again after rework");
    runs::act(db, &w.mia, run.id, s[2].id, StepAction::Approve).await.unwrap();
    let after = runs::act(db, &w.nina, run.id, s[3].id, complete()).await.unwrap();
    assert_eq!(after.status.as_str(), "completed");
    assert!(after.active_key.is_none() && after.finished_at.is_some());

    let s = steps_of(app, run.id).await;
    assert_eq!(states(&s), vec!["done", "done", "approved", "done"]);
    assert_eq!(s[2].decided_by, Some(w.mia.id));
    assert_eq!(s[1].completed_by, Some(w.nina.id));
    let events: Vec<String> = process_run_event::Entity::find()
        .filter(process_run_event::Column::RunId.eq(run.id))
        .order_by_asc(process_run_event::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        events,
        vec!["started", "completed", "completed", "rejected", "reopened", "completed", "approved", "completed", "completed"]
    );
    let page = runs::view(db, &w.nora, run.id).await.unwrap();
    assert_eq!(page.steps[1].saved, vec![("Contract number".to_string(), "C-4321".to_string()), ("Email".to_string(), "info@acme.example".to_string())]);
    let shown = runs::of_customer(db, &w.nora, c.id).await.unwrap();
    assert_eq!((shown[0].status.as_str(), shown[0].done, shown[0].total), ("completed", 4, 4));
    let late = runs::act(db, &w.nina, run.id, s[3].id, complete()).await.unwrap_err();
    assert!(matches!(&late, AppError::Conflict(m) if m.contains("complete")), "{late:?}");
    assert_eq!(runs::view(db, &w.sam, run.id).await.unwrap_err(), AppError::NotFound, "other teams cannot see it");

    // Each action on the run recorded one activity event, by whoever did it.
    let stream: Vec<(String, i32, Option<i32>, Option<String>)> = activity_event::Entity::find()
        .filter(activity_event::Column::RunId.eq(run.id))
        .order_by_asc(activity_event::Column::Id)
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.user_id, e.step_run_id, e.subject_id))
        .collect();
    let (nina, mia) = (w.nina.id, w.mia.id);
    assert_eq!(
        stream,
        vec![
            ("run_started".into(), nina, None, None),
            ("step_completed".into(), nina, Some(s[0].id), None),
            ("step_completed".into(), nina, Some(s[1].id), None),
            ("approval_decided".into(), mia, Some(s[2].id), Some("rejected".into())),
            ("step_reopened".into(), mia, Some(s[1].id), None),
            ("step_completed".into(), nina, Some(s[1].id), None),
            ("approval_decided".into(), mia, Some(s[2].id), Some("approved".into())),
            ("step_completed".into(), nina, Some(s[3].id), None),
            ("run_completed".into(), nina, None, None),
        ]
    );
    // Saving a data step's values to the customer is an update of the customer.
    let updates = activity_event::Entity::find()
        .filter(activity_event::Column::CustomerId.eq(c.id))
        .filter(activity_event::Column::Kind.eq("customer_updated"))
        .count(db)
        .await
        .unwrap();
    assert_eq!(updates, 2);
}

async fn stop_steps_block_what_follows_and_only_optional_steps_are_skipped(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let optional = StepForm { optional: "on".into(), ..step("Send a welcome gift", "task") };
    let (template, _) = published(
        app,
        &w,
        "Recovery",
        vec![step("Call", "task"), optional, step("Check with legal", "stop"), step("Offer", "task")],
    )
    .await;
    let c = customer_of(app, &w.nina, "Acme").await;
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s = steps_of(app, run.id).await;
    assert_eq!(states(&s), vec!["available", "available", "available", "waiting"]);
    let blocked = runs::act(db, &w.nina, run.id, s[3].id, complete()).await.unwrap_err();
    assert!(matches!(&blocked, AppError::Conflict(m) if m.contains("waiting")), "{blocked:?}");

    let required = runs::act(db, &w.nina, run.id, s[0].id, StepAction::Skip("busy".into())).await.unwrap_err();
    assert!(matches!(&required, AppError::Conflict(m) if m.contains("optional")), "{required:?}");
    let reasonless = runs::act(db, &w.nina, run.id, s[1].id, StepAction::Skip(String::new())).await.unwrap_err();
    assert!(reasonless.field_error("reason").is_some());
    runs::act(db, &w.nina, run.id, s[1].id, StepAction::Skip("No budget this quarter".into())).await.unwrap();
    runs::act(db, &w.nina, run.id, s[2].id, complete()).await.unwrap();
    assert_eq!(steps_of(app, run.id).await[3].status.as_str(), "available", "the stop step released what follows");
    runs::act(db, &w.nina, run.id, s[3].id, complete()).await.unwrap();
    assert_eq!(run_of(app, run.id).await.status.as_str(), "active", "a required step is still open");
    runs::act(db, &w.nina, run.id, s[0].id, complete()).await.unwrap();
    assert_eq!(run_of(app, run.id).await.status.as_str(), "completed");
    assert_eq!(steps_of(app, run.id).await[1].skip_reason.as_deref(), Some("No budget this quarter"));

    // Someone else in the team cannot do the owner's steps; a second run waits for this one.
    let run2 = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s2 = steps_of(app, run2.id).await;
    assert_eq!(runs::act(db, &w.nora, run2.id, s2[0].id, complete()).await.unwrap_err(), AppError::Forbidden);
    let twice = runs::start(db, &w.nora, template, c.id).await.unwrap_err();
    assert!(matches!(&twice, AppError::Conflict(m) if m.contains("already running")), "{twice:?}");
    assert_eq!(runs::start(db, &w.sam, template, c.id).await.unwrap_err(), AppError::NotFound);
}

/// An optional step after the last required one can still be done: the run stays open until
/// every step is done or skipped, or until its owner finishes it without the optional ones.
async fn an_optional_step_after_the_last_required_one_keeps_the_run_open(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let gift = StepForm { optional: "on".into(), ..step("Send a welcome gift", "task") };
    let (template, _) = published(app, &w, "Welcome", vec![step("Call", "task"), gift]).await;
    let c = customer_of(app, &w.nina, "Acme").await;

    // Done by hand: the optional step is done after the last required one.
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s = steps_of(app, run.id).await;
    let early = runs::finish(db, &w.nina, run.id).await.unwrap_err();
    assert!(matches!(&early, AppError::Conflict(m) if m.contains("1 required step is still to do")), "{early:?}");
    runs::act(db, &w.nina, run.id, s[0].id, complete()).await.unwrap();
    assert_eq!(run_of(app, run.id).await.status.as_str(), "active", "the optional step is still open");
    assert_eq!(steps_of(app, run.id).await[1].status.as_str(), "available");
    let seen = runs::view(db, &w.nina, run.id).await.unwrap();
    assert_eq!((seen.optional_left, seen.can_finish), (1, true));
    let teammate = runs::view(db, &w.nora, run.id).await.unwrap();
    assert_eq!((teammate.optional_left, teammate.can_finish), (1, false), "only the owner or an admin finishes a run");
    assert_eq!(runs::finish(db, &w.nora, run.id).await.unwrap_err(), AppError::Forbidden);
    runs::act(db, &w.nina, run.id, s[1].id, complete()).await.unwrap();
    assert_eq!(run_of(app, run.id).await.status.as_str(), "completed");
    assert_eq!(steps_of(app, run.id).await[1].status.as_str(), "done");
    let done = runs::view(db, &w.nina, run.id).await.unwrap();
    assert_eq!((done.optional_left, done.can_finish), (0, false));

    // Finished by its owner without the optional step: it is marked left out.
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s = steps_of(app, run.id).await;
    runs::act(db, &w.nina, run.id, s[0].id, complete()).await.unwrap();
    runs::finish(db, &w.nina, run.id).await.unwrap();
    assert_eq!(run_of(app, run.id).await.status.as_str(), "completed");
    let left = steps_of(app, run.id).await.remove(1);
    assert_eq!(left.status.as_str(), "skipped");
    assert!(left.skip_reason.as_deref().is_some_and(|r| r.starts_with("Left out when")), "{left:?}");
    let view = runs::view(db, &w.nina, run.id).await.unwrap();
    assert!(view.events.iter().any(|e| e.text.contains("finished the run, leaving out 1 optional step")), "{:?}", view.events);
    let again = runs::finish(db, &w.nina, run.id).await.unwrap_err();
    assert!(matches!(&again, AppError::Conflict(m) if m.contains("complete")), "{again:?}");
}

async fn triggers_start_one_active_run_per_customer(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let (created, _) = published(app, &w, "Welcome", vec![step("Call", "task")]).await;
    processes::set_trigger(db, &w.admin, created, "customer_created", "").await.unwrap();
    let (at_risk, _) = published(app, &w, "Save them", vec![step("Visit", "task")]).await;
    let bad = processes::set_trigger(db, &w.admin, at_risk, "stage_changed", "nowhere").await.unwrap_err();
    assert!(bad.field_error("trigger_stage").is_some());
    processes::set_trigger(db, &w.admin, at_risk, "stage_changed", "at_risk").await.unwrap();
    let (_drafty, _) = processes::create_template(db, &w.admin, "Never published", "x").await.unwrap();

    let c = customer_of(app, &w.nina, "Acme").await;
    let on_c = runs::of_customer(db, &w.nina, c.id).await.unwrap();
    assert_eq!(on_c.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), vec!["Welcome"]);
    let run = run_of(app, on_c[0].id).await;
    assert_eq!((run.owner_id, run.started_by, run.started_how.as_str()), (w.nina.id, None, "customer_created"));

    let mut form = customers::form_of(db, &c).await.unwrap();
    form.stage = "at_risk".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    form.stage = "active".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    form.stage = "at_risk".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    let runs_now = runs::of_customer(db, &w.nina, c.id).await.unwrap();
    assert_eq!(runs_now.iter().filter(|r| r.name == "Save them").count(), 1, "never a second active run");

    let active = runs_now.iter().find(|r| r.name == "Save them").unwrap();
    assert_eq!(runs::cancel(db, &w.nora, active.id, "not ours").await.unwrap_err(), AppError::Forbidden);
    assert!(runs::cancel(db, &w.nina, active.id, "").await.unwrap_err().field_error("reason").is_some());
    runs::cancel(db, &w.nina, active.id, "They renewed after all").await.unwrap();
    let cancelled = run_of(app, active.id).await;
    assert_eq!((cancelled.status.as_str(), cancelled.cancel_reason.as_deref()), ("cancelled", Some("They renewed after all")));
    form.stage = "active".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    form.stage = "at_risk".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    let total = process_run::Entity::find()
        .filter(process_run::Column::CustomerId.eq(c.id))
        .filter(process_run::Column::TemplateId.eq(at_risk))
        .count(db)
        .await
        .unwrap();
    assert_eq!(total, 2, "after the cancel, the next change starts it again");
    let _ = (&w.mia, &w.sam);
}

async fn my_day_lists_my_open_steps_and_approvals_overdue_first(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let late = StepForm { due_amount: "1".into(), due_unit: "hours".into(), ..step("Call back", "task") };
    let (template, _) = published(app, &w, "Follow through", vec![late, step("Write up", "task"), approval("Sign off")]).await;
    let a = customer_of(app, &w.nina, "Acme").await;
    let b = customer_of(app, &w.nina, "Beta").await;
    let run_a = runs::start(db, &w.nina, template, a.id).await.unwrap();
    let run_b = runs::start(db, &w.nina, template, b.id).await.unwrap();
    // Make run B's first step overdue.
    let sb = steps_of(app, run_b.id).await;
    use sea_orm::{ActiveModelTrait, Set};
    process_step_run::ActiveModel {
        id: Set(sb[0].id),
        due_at: Set(Some(chrono::Utc::now() - chrono::TimeDelta::hours(3))),
        ..Default::default()
    }
    .update(db)
    .await
    .unwrap();

    let mine = runs::my_steps(db, &w.nina, 1).await.unwrap().rows;
    assert_eq!(mine.len(), 4);
    assert_eq!((mine[0].customer_name.as_str(), mine[0].title.as_str(), mine[0].overdue), ("Beta", "Call back", true));
    assert!(mine[1..].iter().all(|m| !m.overdue));
    assert!(runs::my_steps(db, &w.mia, 1).await.unwrap().rows.is_empty(), "the approval is not open yet");
    assert!(runs::my_steps(db, &w.nora, 1).await.unwrap().rows.is_empty(), "they are Nina's steps");

    let sa = steps_of(app, run_a.id).await;
    runs::act(db, &w.nina, run_a.id, sa[0].id, complete()).await.unwrap();
    runs::act(db, &w.nina, run_a.id, sa[1].id, complete()).await.unwrap();
    let mia_day = runs::my_steps(db, &w.mia, 1).await.unwrap().rows;
    assert_eq!(mia_day.len(), 1);
    assert_eq!((mia_day[0].kind.as_str(), mia_day[0].customer_id), ("approval", a.id));
    assert!(runs::my_steps(db, &w.sam, 1).await.unwrap().rows.is_empty());
    // An admin may decide it, but it is the North team's work: not on the admin's day.
    assert!(runs::my_steps(db, &w.admin, 1).await.unwrap().rows.is_empty(), "another team's approval is not the admin's day");

    let (list, total, capped) = runs::list_rows(db, &w.mia, template, &app::model::process::RunQuery { overdue: true, ..Default::default() }).await.unwrap();
    assert_eq!((total, capped, list[0].id), (1, false, run_b.id));
    let (_, none, _) = runs::list_rows(db, &w.sam, template, &Default::default()).await.unwrap();
    assert_eq!(none, 0, "other teams' runs are not listed");
    // A step for the admin role is on every admin's day, whatever the team; not on a manager's.
    let board = StepForm { assignee_role: "admin".into(), ..approval("Board sign-off") };
    let (board, _) = published(app, &w, "Board", vec![step("Prepare the papers", "task"), board]).await;
    let board_run = runs::start(db, &w.nina, board, b.id).await.unwrap();
    let prepare = steps_of(app, board_run.id).await[0].id;
    runs::act(db, &w.nina, board_run.id, prepare, complete()).await.unwrap();
    let admin_day = runs::my_steps(db, &w.admin, 1).await.unwrap().rows;
    assert_eq!(admin_day.iter().map(|m| (m.title.as_str(), m.customer_id)).collect::<Vec<_>>(), vec![("Board sign-off", b.id)]);
    assert!(runs::my_steps(db, &w.mia, 1).await.unwrap().rows.iter().all(|m| m.title != "Board sign-off"));
    let _ = w.north;
}

async fn my_day_pages_through_many_steps_in_one_order(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    // Mia's own steps (she owns the customers) and her role's steps (Nina's customers in
    // North, for a manager): 27 in all, more than a page.
    let (own, _) = published(app, &w, "Own", vec![step("Call", "task")]).await;
    let review = StepForm { assignee_rule: "role".into(), assignee_role: "manager".into(), ..step("Review", "task") };
    let (team, _) = published(app, &w, "Team", vec![review]).await;
    let mut open = Vec::new();
    for i in 0..15 {
        let c = customer_of(app, &w.mia, &format!("Own {i}")).await;
        let run = runs::start(db, &w.mia, own, c.id).await.unwrap();
        open.push(steps_of(app, run.id).await.remove(0));
    }
    for i in 0..12 {
        let c = customer_of(app, &w.nina, &format!("Team {i}")).await;
        let run = runs::start(db, &w.nina, team, c.id).await.unwrap();
        open.push(steps_of(app, run.id).await.remove(0));
    }
    // Due times that interleave the two kinds, a few overdue, a few with no due time.
    use sea_orm::{ActiveModelTrait, Set};
    let now = chrono::Utc::now();
    for (i, s) in open.iter_mut().enumerate() {
        let due = (i % 7 != 3).then(|| now + chrono::TimeDelta::hours((i as i64 * 5) % 23 - 4));
        process_step_run::ActiveModel { id: Set(s.id), due_at: Set(due), ..Default::default() }
            .update(db)
            .await
            .unwrap();
        s.due_at = due;
    }
    open.sort_by_key(|s| (s.due_at.is_none(), s.due_at, s.id));
    let expected: Vec<i32> = open.iter().map(|s| s.id).collect();

    let first = runs::my_steps(db, &w.mia, 1).await.unwrap();
    let second = runs::my_steps(db, &w.mia, 2).await.unwrap();
    assert_eq!((first.total, first.pages(), first.rows.len()), (27, 2, app::model::paging::MY_DAY_PER_PAGE as usize));
    assert_eq!((second.total, second.page, second.rows.len()), (27, 2, 7));
    let shown: Vec<i32> = first.rows.iter().chain(&second.rows).map(|m| m.step_run_id).collect();
    assert_eq!(shown, expected, "both pages together are every step once, overdue first, then by due time");
    assert!(first.rows[0].overdue && !second.rows.last().unwrap().overdue);
    assert!(second.rows.last().unwrap().due.is_none(), "steps with no due time come last");
    let past = runs::my_steps(db, &w.mia, 3).await.unwrap();
    assert_eq!((past.total, past.rows.len()), (27, 0), "a page past the end is empty, with the total");
    assert!(matches!(runs::my_steps(db, &w.mia, u64::MAX).await, Err(AppError::Validation { .. })));
    // Counting stops at its cap: "at least that many".
    use app::server::services::platform::count_up_to;
    let all = process_step_run::Entity::find().count(db).await.unwrap();
    assert_eq!(count_up_to(db, process_step_run::Entity::find(), 5).await.unwrap(), 5);
    assert_eq!(count_up_to(db, process_step_run::Entity::find(), all + 10).await.unwrap(), all);
    assert!(!first.capped);
    // Nina sees none of them: the team steps are for a manager, the others are Mia's.
    assert_eq!(runs::my_steps(db, &w.nina, 1).await.unwrap().total, 0);
}

async fn two_people_completing_the_same_step_at_once_one_wins(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let (template, _) = published(app, &w, "Approval race", vec![step("Prepare", "task"), approval("Decide")]).await;
    let c = customer_of(app, &w.nina, "Acme").await;
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    let s = steps_of(app, run.id).await;
    runs::act(db, &w.nina, run.id, s[0].id, complete()).await.unwrap();

    // Mia (manager of North) and Ada (admin) decide the same approval at the same moment.
    let (a, b) = tokio::join!(
        runs::act(db, &w.mia, run.id, s[1].id, StepAction::Approve),
        runs::act(db, &w.admin, run.id, s[1].id, StepAction::Reject("No".into())),
    );
    let outcomes = [a.is_ok(), b.is_ok()];
    assert_eq!(outcomes.iter().filter(|ok| **ok).count(), 1, "exactly one wins: {a:?} {b:?}");
    let loser = if a.is_ok() { b.unwrap_err() } else { a.unwrap_err() };
    assert!(matches!(&loser, AppError::Conflict(m) if m.contains("approved") || m.contains("rejected")), "told what happened: {loser:?}");
    let decisions = process_run_event::Entity::find()
        .filter(process_run_event::Column::StepRunId.eq(s[1].id))
        .filter(process_run_event::Column::Action.is_in(["approved", "rejected"]))
        .count(db)
        .await
        .unwrap();
    assert_eq!(decisions, 1, "nothing is recorded twice");
}

async fn templates_round_trip_through_json(app: &TestApp) {
    let w = world(app).await;
    let db = &app.state.db;
    let named = StepForm {
        assignee_rule: "user".into(),
        assignee_user_id: w.nora.id.to_string(),
        due_amount: "2".into(),
        working_days: "on".into(),
        due_from: "previous".into(),
        ..step("Nora checks", "task")
    };
    let (template, _) = published(app, &w, "Provisioned", vec![data_step("Contract", &["contract"]), named, approval("Sign")]).await;
    processes::set_trigger(db, &w.admin, template, "stage_changed", "onboarding").await.unwrap();
    let exported = processes::export(db, &w.admin, template).await.unwrap();
    assert_eq!(exported.steps[1].assignee, "user:nora@example.org");
    assert_eq!(exported.steps[2].assignee, "role:manager");
    let json = serde_json::to_string_pretty(&exported).unwrap();

    let copy = processes::import(db, &w.admin, &json, true).await.unwrap();
    assert_eq!(processes::export(db, &w.admin, copy.id).await.unwrap(), exported);
    assert_eq!(copy.trigger_kind, "stage_changed");

    let broken = json.replace("\"approval\"", "\"dance\"");
    let err = processes::import(db, &w.admin, &broken, false).await.unwrap_err();
    assert!(err.field_error("json").unwrap().contains("Step 3"), "{err:?}");
    assert_eq!(err.value("json").as_deref(), Some(broken.as_str()), "the text is kept");
    assert!(processes::import(db, &w.admin, "{not json", false).await.unwrap_err().field_error("json").is_some());
    assert_eq!(processes::import(db, &w.nina, &json, false).await.unwrap_err(), AppError::Forbidden);
}

/// The same flow through the server functions the pages post to, with the permission cases.
async fn the_server_functions_build_run_and_guard_a_process(app: &TestApp) {
    use crate::helpers::PASSWORD;
    use app::model::process::{RunView, VersionDetail};
    let w = world(app).await;
    let admin = app.signed_in("ada@example.org", PASSWORD).await;
    let nina = app.signed_in("nina@example.org", PASSWORD).await;
    let mia = app.signed_in("mia@example.org", PASSWORD).await;
    let sam = app.signed_in("sam@example.org", PASSWORD).await;

    let version: i32 = app
        .ok(&admin, "/api/admin/processes/create_process", &[("name", "Onboarding"), ("goal", "Get them live")])
        .await;
    let bad = app
        .err(&admin, "/api/admin/processes/add_step", &[("version_id", &version.to_string()), ("step[title]", ""), ("step[kind]", "data")])
        .await;
    assert_eq!(bad.0, 422);
    assert!(bad.1.field_error("title").is_some() && bad.1.field_error("fields").is_some());
    let v = version.to_string();
    for form in [
        vec![("version_id", v.as_str()), ("step[title]", "Record the contract"), ("step[kind]", "data"), ("step[fields][contract]", "on")],
        vec![("version_id", v.as_str()), ("step[title]", "Sign off"), ("step[kind]", "approval"), ("step[assignee_rule]", "role"), ("step[assignee_role]", "manager")],
    ] {
        let res = app.call(&admin, "/api/admin/processes/add_step", &form).await;
        assert!(res.status().is_success() || res.status().is_redirection(), "{}", res.status());
    }
    let detail: VersionDetail = app.ok(&admin, "/api/processes/get_version", &[("id", &v)]).await;
    assert_eq!(detail.steps.len(), 2);
    assert_eq!(app.call(&nina, "/api/admin/processes/publish", &[("version_id", &v)]).await.status(), 403);
    assert_eq!(app.call(&nina, "/api/processes/get_version", &[("id", &v)]).await.status(), 404, "members do not see drafts");
    let _: () = app.ok(&admin, "/api/admin/processes/publish", &[("version_id", &v)]).await;
    let template = detail.template_id.to_string();

    let acme = customer_of(app, &w.nina, "Acme").await.id.to_string();
    let south = customer_of(app, &w.sam, "Southco").await.id.to_string();
    assert_eq!(app.call(&nina, "/api/processes/start_run", &[("customer_id", &south), ("template_id", &template)]).await.status(), 404);
    let run: i32 = app.ok(&nina, "/api/processes/start_run", &[("customer_id", &acme), ("template_id", &template)]).await;
    let r = run.to_string();
    let view: RunView = app.ok(&nina, "/api/processes/get_run", &[("id", &r)]).await;
    assert_eq!(view.goal, "Get them live");
    assert!(view.steps[0].can_complete && !view.steps[1].can_decide);
    let step0 = view.steps[0].id.to_string();
    let step1 = view.steps[1].id.to_string();
    let wrong = app
        .err(&nina, "/api/processes/complete_step", &[("run_id", &r), ("step_id", &step0), ("data[contract]", "nope")])
        .await;
    assert_eq!(wrong.0, 422);
    assert!(wrong.1.field_error("data_contract").is_some());
    assert_eq!(wrong.1.value("data_contract").as_deref(), Some("nope"));
    let _: () = app.ok(&nina, "/api/processes/complete_step", &[("run_id", &r), ("step_id", &step0), ("data[contract]", "C-0001")]).await;
    assert_eq!(app.call(&sam, "/api/processes/get_run", &[("id", &r)]).await.status(), 404);
    assert_eq!(app.call(&nina, "/api/processes/decide_step", &[("run_id", &r), ("step_id", &step1), ("decision", "approve")]).await.status(), 403);
    let _: () = app.ok(&mia, "/api/processes/decide_step", &[("run_id", &r), ("step_id", &step1), ("decision", "approve")]).await;
    let done: RunView = app.ok(&nina, "/api/processes/get_run", &[("id", &r)]).await;
    assert_eq!(done.status.as_str(), "completed");

    // The JSON export: admins download it; members are refused; anonymous visitors sign in.
    let export = app.url(&format!("/processes/{template}/export.json"));
    let res = admin.get(&export).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains("process-onboarding.json"));
    let json: serde_json::Value = res.json().await.unwrap();
    assert_eq!(json["steps"][1]["assignee"], "role:manager");
    assert_eq!(nina.get(&export).send().await.unwrap().status(), 403);
    assert!(TestApp::new_client().get(&export).send().await.unwrap().status().is_redirection());
}

/// `seed-bench`'s runs are runs as the app makes them: one active run of a process per customer
/// at most, exactly one open step on an active run, every step done on a completed one; and the
/// run page, a process's run list and "My day" read them.
async fn the_benchmark_runs_are_read_like_real_ones(app: &TestApp) {
    use app::model::states::{RunStatus, StepStatus};
    use app::server::services::seed::{bench, demo};
    let db = &app.state.db;
    assert!(demo::seed(db).await.unwrap());
    let demo_runs = process_run::Entity::find().count(db).await.unwrap();
    bench::seed(db, 120, 200).await.unwrap();
    let last = bench::seed_runs(db, 300).await.unwrap();
    let all = process_run::Entity::find().order_by_asc(process_run::Column::Id).all(db).await.unwrap();
    assert_eq!(all.last().map(|r| r.id), Some(last));
    assert!(all.iter().enumerate().all(|(i, r)| r.id == i as i32 + 1), "run ids 1 to {last} all exist");
    let added = &all[demo_runs as usize..];
    assert_eq!(added.len(), 300);
    let active: Vec<_> = added.iter().filter(|r| r.status == RunStatus::Active).collect();
    assert_eq!(active.len(), 180);
    assert!(added.iter().any(|r| r.status == RunStatus::Cancelled));
    for template in 1..=3 {
        let of = added.iter().filter(|r| r.template_id == template).count();
        assert_eq!(of, 100, "every process has a third of the runs: {template} has {of}");
    }
    let steps = process_step_run::Entity::find().all(db).await.unwrap();
    for run in added {
        let of_run: Vec<_> = steps.iter().filter(|s| s.run_id == run.id).collect();
        assert!(!of_run.is_empty(), "run {} has steps", run.id);
        let open = of_run.iter().filter(|s| s.status == StepStatus::Available).count();
        match run.status {
            RunStatus::Active => assert_eq!(open, 1, "run {}", run.id),
            RunStatus::Completed => assert!(of_run.iter().all(|s| s.status == StepStatus::Done), "run {}", run.id),
            _ => assert_eq!(open, 0, "run {}", run.id),
        }
    }
    let admin = app.signed_in("admin@rapport.test", demo::DEMO_PASSWORD).await;
    let run = active[0];
    let c = customer::Entity::find_by_id(run.customer_id).one(db).await.unwrap().unwrap();
    let page = admin.get(app.url(&format!("/runs/{}", run.id))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&c.name));
    let list = admin.get(app.url(&format!("/processes/{}", run.template_id))).send().await.unwrap();
    assert_eq!(list.status(), 200);
    // Someone's day holds open bench steps: the owner of an active run with an owner-assigned
    // open step.
    let owned = steps
        .iter()
        .find(|s| s.status == StepStatus::Available && s.assignee_id.is_some() && active.iter().any(|r| r.id == s.run_id))
        .unwrap();
    let owner = actor(app, owned.assignee_id.unwrap()).await;
    let first = runs::my_steps(db, &owner, 1).await.unwrap();
    let mut found = false;
    for page in 1..=first.pages() {
        found |= runs::my_steps(db, &owner, page).await.unwrap().rows.iter().any(|s| s.step_run_id == owned.id);
    }
    assert!(found, "the owner's day has the open step, on one of its {} pages", first.pages());
    // The written ids moved PostgreSQL's sequence past them: a run started now gets a new id.
    let cancelled = added.iter().find(|r| r.status == RunStatus::Cancelled).unwrap();
    let again = runs::start(db, &demo_admin(app).await, cancelled.template_id, cancelled.customer_id).await.unwrap();
    assert_eq!(again.id, last + 1);
}

/// Past `LIST_COUNT_CAP` matches the customer list, a process's run list and its versions say
/// "or more" instead of counting every match, page on past the cap, and know the whole count
/// on the last page; a filter that matches fewer is counted exactly.
async fn long_lists_count_to_a_cap_and_page_on_to_the_end(app: &TestApp) {
    use app::model::crm::CustomerList;
    use app::model::paging::LIST_COUNT_CAP;
    use app::model::process::{RunList, TemplateDetail};
    use app::server::services::seed::{bench, demo};
    let db = &app.state.db;
    assert!(demo::seed(db).await.unwrap());
    bench::seed(db, LIST_COUNT_CAP as usize + 40, 0).await.unwrap();
    // A third of the runs on each of the demo's three processes: over the cap on each.
    bench::seed_runs(db, 3 * (LIST_COUNT_CAP as usize + 30)).await.unwrap();
    let admin = app.signed_in("admin@rapport.test", demo::DEMO_PASSWORD).await;

    let customers = async |page: u64, stage: &str| -> CustomerList {
        let page = page.to_string();
        app.ok(&admin, "/api/crm/list_customers", &[("query[page]", page.as_str()), ("query[stage]", stage)]).await
    };
    let all = customer::Entity::find().count(db).await.unwrap();
    let first = customers(1, "").await;
    assert_eq!((first.total, first.capped, first.rows.len()), (LIST_COUNT_CAP, true, 25));
    let at_cap = customers(LIST_COUNT_CAP / 25, "").await;
    assert!(at_cap.capped && at_cap.pages() > at_cap.page, "a page after the cap's: {}", at_cap.total);
    let last = all.div_ceil(25);
    let end = customers(last, "").await;
    assert_eq!((end.total, end.capped, end.pages()), (all, false, last), "the last page counts them all");
    assert_eq!(end.rows.len() as u64, all - (last - 1) * 25);
    let page = admin.get(app.url("/customers")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("of {LIST_COUNT_CAP} or more customers")), "{page}");
    // Fewer matches than the cap: counted exactly.
    let stage = customer::Entity::find().one(db).await.unwrap().unwrap().stage_id;
    let key = app::server::entities::lifecycle_stage::Entity::find_by_id(stage).one(db).await.unwrap().unwrap().key;
    let in_stage = customer::Entity::find().filter(customer::Column::StageId.eq(stage)).count(db).await.unwrap();
    assert!(in_stage < LIST_COUNT_CAP, "{in_stage}");
    let filtered = customers(1, &key).await;
    assert_eq!((filtered.total, filtered.capped), (in_stage, false));

    let template = process_run::Entity::find().one(db).await.unwrap().unwrap().template_id;
    let tid = template.to_string();
    let runs = async |page: u64| -> RunList {
        let page = page.to_string();
        app.ok(&admin, "/api/processes/list_runs", &[("template_id", tid.as_str()), ("query[page]", page.as_str())]).await
    };
    let of_template = process_run::Entity::find().filter(process_run::Column::TemplateId.eq(template)).count(db).await.unwrap();
    assert!(of_template > LIST_COUNT_CAP, "{of_template}");
    let first = runs(1).await;
    assert_eq!((first.total, first.capped), (LIST_COUNT_CAP, true));
    let last = of_template.div_ceil(first.per_page);
    let end = runs(last).await;
    assert_eq!((end.total, end.capped), (of_template, false), "the last page counts them all");
    assert_eq!(end.rows.len() as u64, of_template - (last - 1) * first.per_page);
    let detail: TemplateDetail = app.ok(&admin, "/api/processes/get_process", &[("id", tid.as_str())]).await;
    let mut counted = 0;
    for v in &detail.versions {
        let exact = process_run::Entity::find().filter(process_run::Column::VersionId.eq(v.id)).count(db).await.unwrap();
        assert_eq!((v.runs, v.runs_capped), (exact.min(LIST_COUNT_CAP), exact >= LIST_COUNT_CAP), "version {}", v.number);
        counted += u64::from(v.runs_capped);
    }
    assert!(counted > 0, "one version holds the seeded runs");
    let page = admin.get(app.url(&format!("/processes/{template}"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains(&format!("{LIST_COUNT_CAP} or more runs")), "{page}");
}

async fn the_demo_data_has_three_processes_with_runs_in_every_state(app: &TestApp) {
    let db = &app.state.db;
    assert!(app::server::services::seed::demo::seed(db).await.unwrap());
    let templates = processes::list(db, &demo_admin(app).await).await.unwrap();
    assert_eq!(templates.len(), 3);
    assert!(templates.iter().all(|t| t.published == Some(1)));
    let runs = process_run::Entity::find().all(db).await.unwrap();
    assert!(runs.len() >= 200, "a few hundred runs: {}", runs.len());
    for state in ["active", "completed", "cancelled"] {
        assert!(runs.iter().any(|r| r.status.as_str() == state), "no {state} run");
    }
    let steps = process_step_run::Entity::find().all(db).await.unwrap();
    assert!(steps.iter().all(|s| match (s.available_at, s.completed_at) {
        (Some(a), Some(c)) => a <= c,
        (None, Some(_)) => false,
        _ => true,
    }), "a step is completed before it opened");
    let now = chrono::Utc::now();
    assert!(steps.iter().any(|s| s.status.as_str() == "available" && s.due_at.is_some_and(|d| d < now)), "some open steps are overdue");
    assert!(steps.iter().any(|s| s.reopened_count > 0), "some steps were reworked");
    let slowest_approval = steps
        .iter()
        .filter(|s| s.decision.is_some())
        .filter_map(|s| Some(s.decided_at? - s.available_at?))
        .max()
        .unwrap();
    assert!(slowest_approval > chrono::TimeDelta::days(3), "some approvals take long");
    // A demo run is a real one: its owner can act on its open step.
    let active = runs.iter().find(|r| r.status.as_str() == "active").unwrap();
    let open = steps.iter().find(|s| s.run_id == active.id && s.status.as_str() == "available").unwrap();
    let view = runs::view(db, &actor(app, active.owner_id).await, active.id).await.unwrap();
    assert!(view.steps.iter().any(|s| s.id == open.id));
    // And months of history in the activity stream, every key action in it, none in the future.
    let stream = activity_event::Entity::find().all(db).await.unwrap();
    for kind in [
        "signed_in", "customer_created", "interaction_logged", "follow_up_scheduled", "follow_up_done", "run_started",
        "run_completed", "run_cancelled", "step_completed", "step_skipped", "step_reopened", "approval_decided",
    ] {
        assert!(stream.iter().any(|e| e.kind == kind), "no {kind} in the demo history");
    }
    assert!(stream.iter().all(|e| e.created_at <= now));
    assert!(stream.iter().any(|e| e.created_at < now - chrono::TimeDelta::days(120)), "the history goes back months");
    let run_events = stream.iter().filter(|e| e.run_id.is_some()).count();
    let recorded = process_run_event::Entity::find().count(db).await.unwrap() as usize;
    assert_eq!(run_events, recorded, "one activity event per run event");
    // The North team signs in on more days per person than the South team.
    let teams = app::server::entities::team::Entity::find().all(db).await.unwrap();
    let per_person = |name: &str| {
        let id = teams.iter().find(|t| t.name == name).map(|t| t.id);
        let sign_ins: Vec<i32> = stream.iter().filter(|e| e.kind == "signed_in" && e.team_id == id).map(|e| e.user_id).collect();
        let people: std::collections::HashSet<i32> = sign_ins.iter().copied().collect();
        sign_ins.len() as f64 / people.len().max(1) as f64
    };
    let (north, south) = (per_person("North Region"), per_person("South Region"));
    assert!(north > 80.0 && south > 30.0 && north > south * 1.4, "north {north}, south {south}");
}

on_both_databases!(
    the_demo_data_has_three_processes_with_runs_in_every_state,
    the_benchmark_runs_are_read_like_real_ones,
    long_lists_count_to_a_cap_and_page_on_to_the_end,
    the_server_functions_build_run_and_guard_a_process,
    a_published_version_is_frozen_and_edits_go_to_a_new_draft,
    a_draft_is_checked_before_it_is_published,
    a_run_goes_through_data_approval_rework_and_completes,
    stop_steps_block_what_follows_and_only_optional_steps_are_skipped,
    an_optional_step_after_the_last_required_one_keeps_the_run_open,
    triggers_start_one_active_run_per_customer,
    my_day_lists_my_open_steps_and_approvals_overdue_first,
    my_day_pages_through_many_steps_in_one_order,
    two_people_completing_the_same_step_at_once_one_wins,
    templates_round_trip_through_json,
    a_stored_state_or_role_that_is_not_known_is_an_error_not_a_default,
    every_key_customer_action_records_one_activity_event,
);

/// States and roles are enums: a stored spelling none of them has (an old or hand-edited row)
/// fails loudly instead of reading as some default state or role.
async fn a_stored_state_or_role_that_is_not_known_is_an_error_not_a_default(app: &TestApp) {
    use sea_orm::ConnectionTrait;
    let w = world(app).await;
    let db = &app.state.db;
    let (template, _) = published(app, &w, "Onboarding", vec![step("Call", "task")]).await;
    let c = customer_of(app, &w.nina, "Acme").await;
    let run = runs::start(db, &w.nina, template, c.id).await.unwrap();
    assert!(runs::view(db, &w.nina, run.id).await.is_ok());

    db.execute_unprepared(&format!("UPDATE process_run SET status = 'paused' WHERE id = {}", run.id)).await.unwrap();
    let err = runs::view(db, &w.nina, run.id).await.unwrap_err();
    assert_eq!(err, AppError::Internal);

    db.execute_unprepared(&format!("UPDATE app_user SET role = 'root' WHERE id = {}", w.nora.id)).await.unwrap();
    assert_eq!(users::find(db, w.nora.id).await.unwrap_err(), AppError::Internal, "an unknown role is not read as member");
}

/// Each key action on a customer records one activity event in its transaction, with the team
/// and customer it concerns; the trigger reactions still run from those events.
async fn every_key_customer_action_records_one_activity_event(app: &TestApp) {
    use app::server::services::crm::{follow_ups, timeline};
    let w = world(app).await;
    let db = &app.state.db;
    let (welcome, _) = published(app, &w, "Welcome", vec![step("Call", "task")]).await;
    processes::set_trigger(db, &w.admin, welcome, "customer_created", "").await.unwrap();

    let c = customer_of(app, &w.nina, "Acme").await;
    assert_eq!(runs::of_customer(db, &w.nina, c.id).await.unwrap().len(), 1, "the created event started the run");
    let mut form = customers::form_of(db, &c).await.unwrap();
    form.notes = "Prefers mornings".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap(); // nothing changed: no event
    form.stage = "active".into();
    customers::update(db, &w.nina, c.id, &form, true).await.unwrap();
    let interaction = timeline::log_interaction(
        db,
        &w.nina,
        &timeline::NewInteraction { customer_id: c.id, kind: "call", occurred_at: "2026-11-30T10:00", summary: "Intro call", outcome: "" },
    )
    .await
    .unwrap();
    let f = follow_ups::create(db, &w.nina, c.id, &follow_ups::NewFollowUp { assignee_id: "", due: "2026-12-30T09:00", note: "Send offer" })
        .await
        .unwrap();
    follow_ups::complete(db, &w.nina, f.id, None).await.unwrap();
    let welcome_run = runs::of_customer(db, &w.nina, c.id).await.unwrap()[0].id;
    runs::cancel(db, &w.nina, welcome_run, "Not needed").await.unwrap();
    // A refused change records nothing.
    form.name = String::new();
    assert!(customers::update(db, &w.nina, c.id, &form, true).await.is_err());

    let rows = activity_event::Entity::find()
        .filter(activity_event::Column::CustomerId.eq(c.id))
        .order_by_asc(activity_event::Column::Id)
        .all(db)
        .await
        .unwrap();
    let kinds: Vec<&str> = rows.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec![
            "customer_created",
            "run_started",
            "customer_updated",
            "customer_updated",
            "stage_changed",
            "interaction_logged",
            "follow_up_scheduled",
            "follow_up_done",
            "run_cancelled",
        ]
    );
    assert!(rows.iter().all(|r| r.user_id == w.nina.id && r.team_id == Some(w.north)), "{rows:?}");
    let logged = &rows[5];
    assert_eq!((logged.subject_type.as_deref(), logged.subject_id.clone()), (Some("interaction"), Some(interaction.id.to_string())));
    assert_eq!(rows[7].subject_id, Some(f.id.to_string()));
    // The run the trigger started names its run, and nobody as its starter: nina caused it.
    let welcome_run = &runs::of_customer(db, &w.nina, c.id).await.unwrap()[0];
    assert_eq!(rows[1].run_id, Some(welcome_run.id));
    let stored = process_run::Entity::find_by_id(welcome_run.id).one(db).await.unwrap().unwrap();
    assert_eq!(stored.started_by, None);
}

#[test]
fn working_days_skip_the_weekend() {
    use chrono::TimeZone;
    let friday = chrono::Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
    let tz = chrono_tz::Tz::UTC;
    assert_eq!(runs::add_offset(friday, 1, "days", true, tz), chrono::Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap());
    assert_eq!(runs::add_offset(friday, 1, "days", false, tz), chrono::Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0).unwrap());
    assert_eq!(runs::add_offset(friday, 16, "hours", true, tz), chrono::Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap());
    assert_eq!(runs::add_offset(friday, 6, "days", true, tz), chrono::Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap());
}
