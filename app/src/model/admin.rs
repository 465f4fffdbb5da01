//! What the admin pages show: users with teams, teams with managers, the outbox, the audit log.

use super::user::UserView;
use crate::model::states::OutboxStatus;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsersAdmin {
    pub users: Vec<UserView>,
    pub teams: Vec<TeamRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxView {
    pub id: i32,
    pub recipient: String,
    pub subject: String,
    pub category: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: String,
    pub body_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// False when no SMTP is configured: nothing is being delivered.
    pub delivering: bool,
    pub messages: Vec<OutboxView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: i32,
    pub name: String,
    pub managers: Vec<TeamRef>,
    pub member_count: usize,
}

/// The teams page: every team, and who may be named a manager (active managers and admins).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamsAdmin {
    pub teams: Vec<TeamView>,
    pub candidates: Vec<TeamRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i32,
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    pub entity: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub entries: Vec<AuditView>,
    pub page: u64,
    pub has_more: bool,
}

/// A lifecycle stage on the admin page, with how many customers are in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageView {
    pub id: i32,
    pub key: String,
    pub label: String,
    pub customers: u64,
}
