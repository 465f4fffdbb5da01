//! Demo processes for `seed-demo`: three published templates (new customer onboarding, a loan
//! application review with a manager's approval, recovery of an at-risk customer) and a few
//! hundred runs over the past months in every state, with realistic timings: some steps slow,
//! some approvals long, a few rejected and reworked, some open steps overdue. The timings are
//! what the process-gap analytics read, so they follow the same rules a real run does.

use crate::model::states::{RunStatus, StepKind, StepStatus};
use crate::error::AppResult;
use crate::model::process::StepForm;
use crate::server::entities::{
    app_user, customer, lifecycle_stage, process_run, process_run_event, process_step_run,
    team_manager,
};
use crate::server::services::events::Event;
use crate::server::services::platform::activity;
use crate::server::services::platform::access::Actor;
use crate::server::services::seed::demo::Lcg;
use crate::server::services::processes::runs::add_offset;
use crate::server::services::{platform::{now, users}, processes};
use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::collections::HashMap;

/// (title, kind, assignee rule, role, due amount, unit, from, working days, optional, fields,
/// guidance, tip)
type StepSpec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
    &'static [&'static str],
    &'static str,
    &'static str,
);

const ONBOARDING: [StepSpec; 5] = [
    ("Welcome call", "task", "owner", "", "1", "days", "start", true, false, &[],
     "Call the main contact within a working day: thank them, confirm who does what on their side, and agree the kick-off date.",
     "Ask who signs invoices; it saves a week later."),
    ("Record the account details", "data", "owner", "", "3", "days", "previous", true, false, &["account_number", "revenue_band"],
     "Fill in the account number from the contract and the revenue band from the sales notes.", ""),
    ("Send the welcome pack", "task", "owner", "", "2", "days", "previous", true, true, &[],
     "Post or email the welcome pack with the contact sheet.", "A handwritten card gets replies."),
    ("Compliance check", "stop", "role", "manager", "2", "days", "previous", true, false, &[],
     "Check identity documents and sanctions screening before any service starts.", ""),
    ("Kick-off meeting", "task", "owner", "", "10", "days", "start", true, false, &[],
     "Walk through the first month together and log the meeting on the timeline.",
     "Bring the first invoice date: it is their most common question."),
];

const LOAN_REVIEW: [StepSpec; 4] = [
    ("Collect the documents", "task", "owner", "", "3", "days", "start", true, false, &[],
     "Payslips or accounts for the last two years, bank statements for three months, ID.",
     "Send the checklist by email before the call; people come prepared."),
    ("Record the contact details", "data", "owner", "", "1", "days", "previous", true, false, &["email", "phone"],
     "The decision goes out by email; check the address with the customer.", ""),
    ("Manager approval", "approval", "role", "manager", "2", "days", "previous", true, false, &[],
     "Check affordability and the documents. Reject with a reason to send it back for rework.", ""),
    ("Tell the customer the decision", "task", "owner", "", "1", "days", "previous", true, false, &[],
     "Call first, then confirm by email.", "Explain the next step in one sentence."),
];

const RECOVERY: [StepSpec; 5] = [
    ("Call within 24 hours", "task", "owner", "", "24", "hours", "start", false, false, &[],
     "Listen first. Ask what went wrong and what would fix it.", "Do not offer a discount on the first call."),
    ("Log the root cause", "task", "owner", "", "2", "days", "previous", true, false, &[],
     "Write the cause as an interaction note so the team can see patterns.", ""),
    ("Agree the recovery plan", "approval", "role", "manager", "2", "days", "previous", true, false, &[],
     "The manager approves the plan and any credit before it is offered.", ""),
    ("Visit them", "task", "owner", "", "7", "days", "previous", true, true, &[],
     "For larger accounts, a visit repairs more than a call.", ""),
    ("Confirm they are back on track", "task", "owner", "", "30", "days", "start", false, false, &[],
     "Check in after a month and move the stage back to active.", ""),
];

fn form(s: &StepSpec) -> StepForm {
    StepForm {
        title: s.0.into(),
        kind: s.1.into(),
        assignee_rule: s.2.into(),
        assignee_role: s.3.into(),
        due_amount: s.4.into(),
        due_unit: s.5.into(),
        due_from: s.6.into(),
        working_days: if s.7 { "on".into() } else { String::new() },
        optional: if s.8 { "on".into() } else { String::new() },
        fields: s.9.iter().map(|k| (k.to_string(), "on".to_string())).collect(),
        guidance: s.10.into(),
        tip: s.11.into(),
        ..Default::default()
    }
}

impl Lcg {
    /// A duration between `from` and `to` hours, to the minute.
    fn hours(&mut self, from: i64, to: i64) -> TimeDelta {
        TimeDelta::minutes(from * 60 + self.next(((to - from) * 60).max(1) as usize) as i64)
    }
}

/// Seeds the templates and runs inside the caller's transaction.
pub async fn seed<C: ConnectionTrait + TransactionTrait>(db: &C, admin: &app_user::Model) -> AppResult<()> {
    let view = users::view(db, admin).await?;
    let actor = Actor::load(db, &view).await?;
    let mut templates = Vec::new();
    for (name, goal, steps, trigger, stage) in [
        ("New customer onboarding", "Every new customer is live and knows who to call within two weeks, so the first invoice is never a surprise.", &ONBOARDING[..], "customer_created", ""),
        ("Loan application review", "Every application gets a documented, four-eyes decision within a week, and the customer hears it from us first.", &LOAN_REVIEW[..], "manual", ""),
        ("At-risk customer recovery", "A customer who is about to leave hears from us within a day, and a manager signs off on what we offer.", &RECOVERY[..], "stage_changed", "at_risk"),
    ] {
        let (t, v) = processes::create_template(db, &actor, name, goal).await?;
        for s in steps {
            processes::add_step(db, &actor, v.id, &form(s)).await?;
        }
        processes::publish(db, &actor, v.id).await?;
        processes::set_trigger(db, &actor, t.id, trigger, stage).await?;
        templates.push((t.id, v.id));
    }
    seed_runs(db, admin.id, &templates).await
}

async fn seed_runs<C: ConnectionTrait>(db: &C, admin_id: i32, templates: &[(i32, i32)]) -> AppResult<()> {
    let customers = customer::Entity::find().all(db).await?;
    let at_risk = lifecycle_stage::Entity::find()
        .filter(lifecycle_stage::Column::Key.eq("at_risk"))
        .one(db)
        .await?
        .map(|s| s.id);
    let managers: HashMap<i32, i32> = team_manager::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.team_id, m.user_id))
        .collect();
    let mut rng = Lcg(4242);
    let start = now();
    for (i, c) in customers.iter().enumerate() {
        let approver = c.team_id.and_then(|t| managers.get(&t).copied()).unwrap_or(admin_id);
        // Onboarding for most customers, a loan review for some, recovery for the at-risk ones
        // (and a few who recovered earlier).
        let mut plan: Vec<usize> = Vec::new();
        if rng.next(10) < 8 {
            plan.push(0);
        }
        if i % 4 == 0 {
            plan.push(1);
        }
        if Some(c.stage_id) == at_risk || rng.next(12) == 0 {
            plan.push(2);
        }
        for which in plan {
            let (template_id, version_id) = templates[which];
            // Onboarding starts when the customer is created; the others any time since.
            let started = if which == 0 {
                c.created_at + rng.hours(0, 6)
            } else {
                start - TimeDelta::days(2 + rng.next(160) as i64) - rng.hours(0, 10)
            };
            // Most runs are finished; recent ones are more likely still open.
            let age_days = (start - started).num_days();
            let outcome = match (rng.next(100), age_days) {
                (n, d) if d < 20 && n < 70 => RunStatus::Active,
                (n, _) if n < 8 => RunStatus::Cancelled,
                (n, _) if n < 14 => RunStatus::Active,
                _ => RunStatus::Completed,
            };
            let is_at_risk_now = Some(c.stage_id) == at_risk && which == 2;
            let outcome = if is_at_risk_now { RunStatus::Active } else { outcome };
            seed_run(db, &mut rng, c, template_id, version_id, approver, started, outcome).await?;
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn seed_run<C: ConnectionTrait>(
    db: &C,
    rng: &mut Lcg,
    c: &customer::Model,
    template_id: i32,
    version_id: i32,
    approver: i32,
    started: DateTime<Utc>,
    outcome: RunStatus,
) -> AppResult<()> {
    let defs = processes::steps_of(db, version_id).await?;
    let names: HashMap<i32, String> = app_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let name = |id: i32| names.get(&id).cloned().unwrap_or_default();
    let tz: Tz = "Europe/Berlin".parse().unwrap_or(Tz::UTC);
    let at = now();
    let run = process_run::ActiveModel {
        template_id: Set(template_id),
        version_id: Set(version_id),
        customer_id: Set(c.id),
        owner_id: Set(c.owner_id),
        status: Set(RunStatus::Active),
        started_by: Set(Some(c.owner_id)),
        started_how: Set("manual".into()),
        started_at: Set(started),
        finished_at: Set(None),
        cancelled_by: Set(None),
        cancel_reason: Set(None),
        active_key: Set(None),
        lock_version: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let mut events = vec![(started, None, Some(c.owner_id), "started", format!("Started by {}", name(c.owner_id)))];
    // Where an active run stops: a step in the middle.
    let stop_at = if outcome == RunStatus::Completed { defs.len() } else { 1 + rng.next(defs.len().saturating_sub(1).max(1)) };
    let mut clock = started;
    let mut previous_done = started;
    let mut reworked: Vec<i32> = Vec::new();
    let mut rows = Vec::new();
    let mut flags: Vec<(&str, bool, bool)> = Vec::new();
    for (i, def) in defs.iter().enumerate() {
        let who = if def.kind == StepKind::Approval { approver } else { c.owner_id };
        let base = if def.due_from == "previous" && i > 0 { previous_done } else { started };
        let due = def.due_amount.map(|n| add_offset(base, n, &def.due_unit, def.working_days, tz));
        let mut row = processes::runs::new_step_run(run.id, def, c.owner_id, true, due);
        if i < stop_at {
            // Approvals and data steps are the slow ones; compliance sometimes waits for days.
            let delay = match def.kind.as_str() {
                "approval" => rng.hours(4, 24 * 6),
                "data" => rng.hours(2, 24 * 4),
                "stop" => rng.hours(6, 24 * 5),
                _ => rng.hours(1, 30),
            };
            row.available_at = Set(Some(clock));
            let mut done = clock + delay;
            if done > at {
                done = at - TimeDelta::hours(1);
            }
            if def.optional && rng.next(4) == 0 {
                row.status = Set(StepStatus::Skipped);
                row.skip_reason = Set(Some("Not needed for this customer".into()));
                row.completed_at = Set(Some(done));
                row.completed_by = Set(Some(who));
                events.push((done, Some(i), Some(who), "skipped", format!("{} skipped “{}”: not needed for this customer", name(who), def.title)));
            } else if def.kind == StepKind::Approval {
                if rng.next(5) == 0 {
                    // Rejected once: the step before is reworked, then approved.
                    events.push((done, Some(i), Some(approver), "rejected", format!("{} rejected “{}”: the figures do not add up", name(approver), def.title)));
                    events.push((done, Some(i.saturating_sub(1)), None, "reopened", "The step before reopened for rework".to_string()));
                    done += rng.hours(12, 24 * 3);
                    events.push((done, Some(i.saturating_sub(1)), Some(c.owner_id), "completed", format!("{} completed the reworked step", name(c.owner_id))));
                    done += rng.hours(2, 24 * 2);
                    reworked.push(def.position - 1);
                }
                row.status = Set(StepStatus::Approved);
                row.decision = Set(Some("approved".into()));
                row.decided_at = Set(Some(done));
                row.decided_by = Set(Some(approver));
                row.completed_at = Set(Some(done));
                row.completed_by = Set(Some(approver));
                events.push((done, Some(i), Some(approver), "approved", format!("{} approved “{}”", name(approver), def.title)));
            } else {
                row.status = Set(StepStatus::Done);
                row.completed_at = Set(Some(done));
                row.completed_by = Set(Some(who));
                events.push((done, Some(i), Some(who), "completed", format!("{} completed “{}”", name(who), def.title)));
            }
            clock = done;
            previous_done = done;
        } else if def.due_from == "previous" {
            let due = def.due_amount.map(|n| add_offset(clock, n, &def.due_unit, def.working_days, tz));
            row.due_at = Set(if i == stop_at { due } else { None });
        }
        flags.push((def.kind.as_str(), def.optional, i < stop_at));
        rows.push(row);
    }
    // An active run's open steps follow the same rule as a real run's.
    if outcome == RunStatus::Active {
        let open = crate::model::process::open_steps(&flags);
        for (row, is_open) in rows.iter_mut().zip(open) {
            if is_open {
                row.status = Set(StepStatus::Available);
                row.available_at = Set(Some(clock));
            }
        }
    }
    for row in rows {
        row.insert(db).await?;
    }
    let mut finished = None;
    match outcome {
        RunStatus::Completed => {
            finished = Some(clock);
            events.push((clock, None, None, "completed", "Every required step is done: the run is complete.".to_string()));
        }
        RunStatus::Cancelled => {
            let when = clock + rng.hours(1, 48);
            let when = if when > at { at } else { when };
            finished = Some(when);
            events.push((when, None, Some(c.owner_id), "cancelled", format!("{} cancelled the run: the customer withdrew", name(c.owner_id))));
        }
        _ => {}
    }
    let step_rows = process_step_run::Entity::find()
        .filter(process_step_run::Column::RunId.eq(run.id))
        .all(db)
        .await?;
    let rows_by_position: HashMap<i32, i32> = step_rows.iter().map(|s| (s.position, s.id)).collect();
    let mut history = Vec::new();
    let mut last_actor = c.owner_id;
    for (when, step, actor, action, _) in &events {
        let run_id = run.id;
        let step_run_id = step.and_then(|p| rows_by_position.get(&(p as i32)).copied()).unwrap_or_default();
        let customer = c;
        let event = match (*action, step.is_some()) {
            ("started", _) => Event::RunStarted { customer, run_id },
            ("completed", false) => Event::RunCompleted { customer, run_id },
            ("completed", true) => Event::StepCompleted { customer, run_id, step_run_id },
            ("skipped", _) => Event::StepSkipped { customer, run_id, step_run_id },
            ("reopened", _) => Event::StepReopened { customer, run_id, step_run_id },
            ("cancelled", _) => Event::RunCancelled { customer, run_id },
            (decision, _) => Event::ApprovalDecided { customer, run_id, step_run_id, approved: decision == "approved" },
        };
        // The reopening and the completion follow the last person's action.
        last_actor = actor.unwrap_or(last_actor);
        history.push((event.activity(last_actor), *when));
    }
    activity::record_many(db, history).await?;
    for (when, step, actor, action, note) in events {
        process_run_event::ActiveModel {
            run_id: Set(run.id),
            step_run_id: Set(step.and_then(|p| rows_by_position.get(&(p as i32)).copied())),
            actor_id: Set(actor),
            action: Set(action.into()),
            note: Set(note),
            at: Set(when),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    // Reworked steps count their reopening.
    for position in reworked {
        if let Some(id) = rows_by_position.get(&position) {
            process_step_run::ActiveModel {
                id: Set(*id),
                reopened_count: Set(1),
                ..Default::default()
            }
            .update(db)
            .await?;
        }
    }
    process_run::ActiveModel {
        id: Set(run.id),
        status: Set(outcome),
        finished_at: Set(finished),
        cancelled_by: Set((outcome == RunStatus::Cancelled).then_some(c.owner_id)),
        cancel_reason: Set((outcome == RunStatus::Cancelled).then(|| "The customer withdrew".to_string())),
        active_key: Set((outcome == RunStatus::Active).then(|| format!("{template_id}:{}", c.id))),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}
