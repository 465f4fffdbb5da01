//! The outbox: every email is a row written in the same transaction as the change that causes
//! it, then delivered by the dispatcher. Temporary failures are retried with exponential
//! backoff; permanent ones are marked failed. The rows stay as the delivery log. A dispatcher
//! holds each message it sends with a lease (`platform::leases`), so that several instances
//! never send one message twice.

use crate::model::states::OutboxStatus;
use crate::error::{AppError, AppResult};
use crate::server::entities::outbox_message::{self, Column};
use crate::server::mailer::{Mailer, SendError};
use crate::server::services::platform::emails::Email;
use crate::server::services::platform::{leases, now};
use chrono::Duration as TimeDelta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, SqlErr,
};

/// After this many temporary failures a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 8;

/// One email to queue.
pub struct NewMessage<'a> {
    /// Built by a function of `platform::emails`.
    pub email: Email,
    pub category: &'a str,
    /// Unique: a second message with the same key is not queued (nudges, reminders).
    pub dedupe_key: String,
    /// The live part of the bodies (a link's token), struck from them once delivered.
    pub secret: Option<String>,
}

/// What stands in a delivered message where its live link's token was.
pub const STRUCK: &str = "[removed once delivered]";

/// `body` with `secret` struck out.
pub fn without_secret(body: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if !s.is_empty() => body.replace(s, STRUCK),
        _ => body.to_string(),
    }
}

/// Queues a message. Returns false when a message with the same dedupe key already exists.
pub async fn enqueue<C: ConnectionTrait>(db: &C, message: NewMessage<'_>) -> AppResult<bool> {
    let at = now();
    let email = message.email;
    let result = outbox_message::ActiveModel {
        recipient: Set(email.to().to_string()),
        subject: Set(email.subject().to_string()),
        body_text: Set(email.text().to_string()),
        body_html: Set(email.html().to_string()),
        headers: Set(email.headers_json()),
        category: Set(message.category.to_string()),
        status: Set(OutboxStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(at),
        locked_until: Set(None),
        lease_token: Set(None),
        last_error: Set(None),
        dedupe_key: Set(message.dedupe_key),
        created_at: Set(at),
        sent_at: Set(None),
        secret: Set(message.secret),
        ..Default::default()
    }
    .insert(db)
    .await;
    match result {
        Ok(_) => Ok(true),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(AppError::from(e)),
    }
}

/// Delay before retry number `attempts` (1-based): 30 s, 1 min, 2 min, … capped at 6 hours.
pub fn backoff(attempts: i32) -> TimeDelta {
    let exp = attempts.clamp(1, 20) - 1;
    let seconds = 30i64.saturating_mul(1i64 << exp).min(6 * 3600);
    TimeDelta::seconds(seconds)
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct DispatchReport {
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    pub held: usize,
    /// Messages whose lease ran out mid-send and were taken over: their outcome is not ours.
    pub lost: usize,
}

/// How long a dispatcher holds a message it claimed. A send is cut off before its lease ends
/// (and retried later), so a message another instance claims after the lease is never
/// delivered twice.
pub const SEND_LEASE: TimeDelta = TimeDelta::minutes(5);

/// Sends every due message once (at most `limit`), each under a `SEND_LEASE`. Drive it
/// directly in tests.
pub async fn dispatch_due<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    limit: u64,
) -> AppResult<DispatchReport> {
    dispatch(db, mailer, limit, SEND_LEASE).await
}

/// `dispatch_due` with a lease of `lease`.
pub async fn dispatch<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    limit: u64,
    lease: TimeDelta,
) -> AppResult<DispatchReport> {
    let at = now();
    let due = outbox_message::Entity::find()
        .filter(Column::Status.eq(OutboxStatus::Pending))
        .filter(Column::NextAttemptAt.lte(at))
        .filter(leases::free::<outbox_message::Entity>(at))
        .order_by_asc(Column::NextAttemptAt)
        .limit(limit)
        .all(db)
        .await?;
    let mut report = DispatchReport::default();
    for message in due {
        let pending = Condition::all().add(Column::Status.eq(OutboxStatus::Pending));
        let Some(held) = leases::claim::<outbox_message::Entity, _>(db, message.id, pending, lease).await? else {
            continue;
        };
        if !deliver(db, mailer, message, &held, &mut report).await? {
            tracing::warn!(message = held.id, "outbox lease lost: another dispatcher took the message over");
            report.lost += 1;
        }
    }
    Ok(report)
}

/// Sends one claimed message and records the outcome, if the lease is still ours (false if
/// not). The send is cut off before the lease ends.
async fn deliver<C: ConnectionTrait>(
    db: &C,
    mailer: &Mailer,
    message: outbox_message::Model,
    held: &leases::Lease,
    report: &mut DispatchReport,
) -> AppResult<bool> {
    // Checked again as it leaves: a stored row with a line break in a header is refused.
    let email = Email::stored(
        &message.recipient,
        &message.subject,
        message.body_text.clone(),
        message.body_html.clone(),
        &message.headers,
    );
    let attempts = message.attempts + 1;
    let mut row = outbox_message::ActiveModel { attempts: Set(attempts), ..Default::default() };
    let mut done = false;
    if !mailer.is_delivering() {
        row.attempts = Set(attempts - 1);
        row.status = Set(OutboxStatus::Held);
        row.last_error = Set(Some("not sent: no SMTP configured".into()));
        report.held += 1;
    } else {
        // Cut off a tenth of the lease (at least a second) before it ends, so that the outcome
        // is written while the lease is still ours.
        let left = held.left();
        let deadline = left.saturating_sub((left / 10).max(std::time::Duration::from_secs(1)));
        let sent = match &email {
            Ok(email) => tokio::time::timeout(deadline, mailer.send(email))
                .await
                .unwrap_or_else(|_| Err(SendError::Temporary("the send took longer than its lease; cut off".into()))),
            Err(_) => Err(SendError::Permanent("refused: a header holds a line break".into())),
        };
        match sent {
            Ok(()) => {
                row.status = Set(OutboxStatus::Sent);
                row.sent_at = Set(Some(now()));
                row.last_error = Set(None);
                done = true;
                report.sent += 1;
            }
            Err(SendError::Temporary(e)) if attempts < MAX_ATTEMPTS => {
                row.next_attempt_at = Set(now() + backoff(attempts));
                row.last_error = Set(Some(e));
                report.retried += 1;
            }
            Err(SendError::Temporary(e)) | Err(SendError::Permanent(e)) => {
                row.status = Set(OutboxStatus::Failed);
                row.last_error = Set(Some(e));
                done = true;
                report.failed += 1;
            }
        }
    }
    // Delivered (or given up): the live link has left the building or never will, so the
    // delivery log keeps no usable token.
    if let (true, Some(secret)) = (done, message.secret.as_deref()) {
        row.body_text = Set(without_secret(&message.body_text, Some(secret)));
        row.body_html = Set(without_secret(&message.body_html, Some(secret)));
        row.secret = Set(None);
    }
    leases::finish(db, held, outbox_message::Entity::update_many().set(row)).await
}

/// The newest messages first, for the admin mailbox page.
pub async fn recent<C: ConnectionTrait>(
    db: &C,
    limit: u64,
) -> AppResult<Vec<outbox_message::Model>> {
    Ok(outbox_message::Entity::find()
        .order_by_desc(Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), TimeDelta::seconds(30));
        assert_eq!(backoff(2), TimeDelta::seconds(60));
        assert_eq!(backoff(5), TimeDelta::seconds(480));
        assert_eq!(backoff(30), TimeDelta::hours(6));
    }
}
