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
            | Event::FollowUpDone { customer, .. } => customer,
        }
    }

    /// The other thing it concerns, as (type, id), when that is not the customer itself.
    fn subject(&self) -> Option<(&'static str, i32)> {
        match self {
            Event::InteractionLogged { interaction_id, .. } => Some(("interaction", *interaction_id)),
            Event::FollowUpScheduled { follow_up_id, .. } | Event::FollowUpDone { follow_up_id, .. } => {
                Some(("follow_up", *follow_up_id))
            }
            Event::StageChanged { from_stage_id, .. } => Some(("from_stage", *from_stage_id)),
            _ => None,
        }
    }
}

/// Records `event`, done by user `user_id`, and runs the reactions to it, in `db` (the
/// transaction of the change).
pub async fn emit<C: ConnectionTrait>(db: &C, user_id: i32, event: Event<'_>) -> AppResult<()> {
    let customer = event.customer();
    let activity = Activity {
        user_id,
        kind: event.kind(),
        team_id: customer.team_id,
        customer_id: Some(customer.id),
        run_id: None,
        step_run_id: None,
        subject: event.subject(),
    };
    activity::record(db, activity).await?;
    react(db, event).await
}

/// Each area's reaction to an event.
async fn react<C: ConnectionTrait>(db: &C, event: Event<'_>) -> AppResult<()> {
    match event {
        // Processes: the "when a customer is created" and "when the stage changes to" triggers.
        Event::CustomerCreated { customer } => {
            runs::on_customer_created(db, customer).await?;
        }
        Event::StageChanged { customer, from_stage_id } => {
            runs::on_stage_changed(db, customer, from_stage_id).await?;
        }
        Event::CustomerUpdated { .. }
        | Event::InteractionLogged { .. }
        | Event::FollowUpScheduled { .. }
        | Event::FollowUpDone { .. } => {}
    }
    Ok(())
}
