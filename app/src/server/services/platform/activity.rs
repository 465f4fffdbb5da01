//! The activity stream's rows: who did what, when, in which team, to which customer, run and
//! step. Areas never write here themselves: their changes go through `services::events::emit`,
//! which records the row with this and then runs the reactions. The platform's own events
//! (a sign-in) are recorded here directly, since the platform imports no area.

use crate::error::AppResult;
use crate::server::entities::activity_event;
use crate::server::services::platform::now;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

/// One row of the stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    pub user_id: i32,
    pub kind: &'static str,
    pub team_id: Option<i32>,
    pub customer_id: Option<i32>,
    pub run_id: Option<i32>,
    pub step_run_id: Option<i32>,
    /// Another thing it concerns, as (type, id): an interaction, a follow-up, a stage, the
    /// decision on an approval.
    pub subject: Option<(&'static str, String)>,
}

/// Records `activity`, now.
pub async fn record<C: ConnectionTrait>(db: &C, activity: Activity) -> AppResult<()> {
    row(activity, now()).insert(db).await?;
    Ok(())
}

/// Records rows of history, each with the time it happened, a few hundred per statement (the
/// demo data's months of history).
pub async fn record_many<C: ConnectionTrait>(db: &C, rows: Vec<(Activity, DateTime<Utc>)>) -> AppResult<()> {
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<activity_event::ActiveModel> = rows.by_ref().take(500).map(|(a, at)| row(a, at)).collect();
        activity_event::Entity::insert_many(chunk).exec(db).await?;
    }
    Ok(())
}

fn row(activity: Activity, at: DateTime<Utc>) -> activity_event::ActiveModel {
    activity_event::ActiveModel {
        user_id: Set(activity.user_id),
        kind: Set(activity.kind.to_string()),
        subject_type: Set(activity.subject.as_ref().map(|(t, _)| t.to_string())),
        subject_id: Set(activity.subject.map(|(_, id)| id)),
        team_id: Set(activity.team_id),
        customer_id: Set(activity.customer_id),
        run_id: Set(activity.run_id),
        step_run_id: Set(activity.step_run_id),
        created_at: Set(at),
        ..Default::default()
    }
}
