//! One stream of what happens. A change calls `emit` inside its own transaction: `emit`
//! records the activity event (who, what, when, the team, and the customer, run and step it
//! concerns — the history adoption analytics reads) and then runs each area's reaction to it.
//! The reactions are listed in `react`, top to bottom; a new one is a line there, not an edit
//! inside the change that caused it. Because everything happens in the caller's transaction,
//! a change and its history and reactions are saved together or not at all.

use crate::error::AppResult;
use crate::server::entities::customer;
use crate::server::services::platform::activity::{self, Activity};
use crate::server::services::processes::runs;
use sea_orm::ConnectionTrait;

/// Something that happened. Each names what it concerns, so that its activity row can say.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    CustomerCreated { customer: &'a customer::Model },
    CustomerUpdated { customer: &'a customer::Model },
    StageChanged { customer: &'a customer::Model, from_stage_id: i32 },
    InteractionLogged { customer: &'a customer::Model, interaction_id: i32 },
    FollowUpScheduled { customer: &'a customer::Model, follow_up_id: i32 },
    FollowUpDone { customer: &'a customer::Model, follow_up_id: i32 },
    RunStarted { customer: &'a customer::Model, run_id: i32 },
    RunCompleted { customer: &'a customer::Model, run_id: i32 },
    RunCancelled { customer: &'a customer::Model, run_id: i32 },
    StepCompleted { customer: &'a customer::Model, run_id: i32, step_run_id: i32 },
    StepSkipped { customer: &'a customer::Model, run_id: i32, step_run_id: i32 },
    /// A step opened again for rework after the approval after it was rejected.
    StepReopened { customer: &'a customer::Model, run_id: i32, step_run_id: i32 },
    ApprovalDecided { customer: &'a customer::Model, run_id: i32, step_run_id: i32, approved: bool },
}

impl Event<'_> {
    /// The stored kind of the activity row.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::CustomerCreated { .. } => "customer_created",
            Event::CustomerUpdated { .. } => "customer_updated",
            Event::StageChanged { .. } => "stage_changed",
            Event::InteractionLogged { .. } => "interaction_logged",
            Event::FollowUpScheduled { .. } => "follow_up_scheduled",
            Event::FollowUpDone { .. } => "follow_up_done",
            Event::RunStarted { .. } => "run_started",
            Event::RunCompleted { .. } => "run_completed",
            Event::RunCancelled { .. } => "run_cancelled",
            Event::StepCompleted { .. } => "step_completed",
            Event::StepSkipped { .. } => "step_skipped",
            Event::StepReopened { .. } => "step_reopened",
            Event::ApprovalDecided { .. } => "approval_decided",
        }
    }

    /// The customer it concerns.
    fn customer(&self) -> &customer::Model {
        match self {
            Event::CustomerCreated { customer }
            | Event::CustomerUpdated { customer }
            | Event::StageChanged { customer, .. }
            | Event::InteractionLogged { customer, .. }
            | Event::FollowUpScheduled { customer, .. }
            | Event::FollowUpDone { customer, .. }
            | Event::RunStarted { customer, .. }
            | Event::RunCompleted { customer, .. }
            | Event::RunCancelled { customer, .. }
            | Event::StepCompleted { customer, .. }
            | Event::StepSkipped { customer, .. }
            | Event::StepReopened { customer, .. }
            | Event::ApprovalDecided { customer, .. } => customer,
        }
    }

    /// The run and the step of it that it concerns.
    fn run_and_step(&self) -> (Option<i32>, Option<i32>) {
        match *self {
            Event::RunStarted { run_id, .. }
            | Event::RunCompleted { run_id, .. }
            | Event::RunCancelled { run_id, .. } => (Some(run_id), None),
            Event::StepCompleted { run_id, step_run_id, .. }
            | Event::StepSkipped { run_id, step_run_id, .. }
            | Event::StepReopened { run_id, step_run_id, .. }
            | Event::ApprovalDecided { run_id, step_run_id, .. } => (Some(run_id), Some(step_run_id)),
            Event::CustomerCreated { .. }
            | Event::CustomerUpdated { .. }
            | Event::StageChanged { .. }
            | Event::InteractionLogged { .. }
            | Event::FollowUpScheduled { .. }
            | Event::FollowUpDone { .. } => (None, None),
        }
    }

    /// The other thing it concerns, as (type, id), when that is not the customer, run or step.
    fn subject(&self) -> Option<(&'static str, String)> {
        match *self {
            Event::InteractionLogged { interaction_id, .. } => Some(("interaction", interaction_id.to_string())),
            Event::FollowUpScheduled { follow_up_id, .. } | Event::FollowUpDone { follow_up_id, .. } => {
                Some(("follow_up", follow_up_id.to_string()))
            }
            Event::StageChanged { from_stage_id, .. } => Some(("from_stage", from_stage_id.to_string())),
            Event::ApprovalDecided { approved, .. } => {
                Some(("decision", if approved { "approved" } else { "rejected" }.to_string()))
            }
            _ => None,
        }
    }

    /// The activity row of this event, done by user `user_id`. `emit` records it; history
    /// written in bulk (the demo data) records it with `activity::record_many`.
    pub fn activity(&self, user_id: i32) -> Activity {
        let customer = self.customer();
        let (run_id, step_run_id) = self.run_and_step();
        Activity {
            user_id,
            kind: self.kind(),
            team_id: customer.team_id,
            customer_id: Some(customer.id),
            run_id,
            step_run_id,
            subject: self.subject(),
        }
    }
}

/// Records `event`, done by user `user_id`, and runs the reactions to it, in `db` (the
/// transaction of the change).
pub async fn emit<C: ConnectionTrait>(db: &C, user_id: i32, event: Event<'_>) -> AppResult<()> {
    activity::record(db, event.activity(user_id)).await?;
    // Boxed: a reaction can emit events of its own (a triggered run's start).
    Box::pin(react(db, user_id, event)).await
}

/// Each area's reaction to an event; `user_id` is who caused it.
async fn react<C: ConnectionTrait>(db: &C, user_id: i32, event: Event<'_>) -> AppResult<()> {
    match event {
        // Processes: the "when a customer is created" and "when the stage changes to" triggers.
        Event::CustomerCreated { customer } => {
            runs::on_customer_created(db, user_id, customer).await?;
        }
        Event::StageChanged { customer, from_stage_id } => {
            runs::on_stage_changed(db, user_id, customer, from_stage_id).await?;
        }
        Event::CustomerUpdated { .. }
        | Event::InteractionLogged { .. }
        | Event::FollowUpScheduled { .. }
        | Event::FollowUpDone { .. }
        | Event::RunStarted { .. }
        | Event::RunCompleted { .. }
        | Event::RunCancelled { .. }
        | Event::StepCompleted { .. }
        | Event::StepSkipped { .. }
        | Event::StepReopened { .. }
        | Event::ApprovalDecided { .. } => {}
    }
    Ok(())
}
