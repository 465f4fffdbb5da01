//! The activity stream's rows: who did what, when, in which team, to which customer, run and
//! step. Areas never write here themselves: their changes go through `services::events::emit`,
//! which records the row with this and then runs the reactions. The platform's own events
//! (a sign-in) are recorded here directly, since the platform imports no area.

use crate::error::AppResult;
use crate::server::entities::activity_event;
use crate::server::services::platform::now;
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};

/// One row of the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub user_id: i32,
    pub kind: &'static str,
    pub team_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub run_id: Option<i32>,
    pub step_run_id: Option<i32>,
    /// Another thing it concerns, as (type, id): an interaction, a follow-up, a stage.
    pub subject: Option<(&'static str, i32)>,
}

/// Records `activity`, now.
pub async fn record<C: ConnectionTrait>(db: &C, activity: Activity) -> AppResult<()> {
    activity_event::ActiveModel {
        user_id: Set(activity.user_id),
        kind: Set(activity.kind.to_string()),
        subject_type: Set(activity.subject.map(|(t, _)| t.to_string())),
        subject_id: Set(activity.subject.map(|(_, id)| id.to_string())),
        team_id: Set(activity.team_id),
        customer_id: Set(activity.customer_id),
        run_id: Set(activity.run_id),
        step_run_id: Set(activity.step_run_id),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(())
}
