//! CSV export of the customer list as filtered on screen: every page, only the customers the
//! user may see, with cells that a spreadsheet would run as a formula neutralised.

use crate::error::AppResult;
use crate::model::crm::{CustomerQuery};
use crate::server::entities::{app_user, lifecycle_stage, team};
use crate::server::services::platform::access::Actor;
use crate::server::services::{crm::customers, platform::times};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{ConnectionTrait, EntityTrait};
use std::collections::HashMap;

const HEADER: [&str; 13] = [
    "Name",
    "Kind",
    "Email",
    "Phone",
    "Lifecycle stage",
    "Owner",
    "Team",
    "Tags",
    "Data quality (%)",
    "Last interaction",
    "Next follow-up",
    "Notes",
    "Created",
];

/// Rows read from the database at a time.
const BATCH: u64 = 1000;

/// One CSV cell: a value starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
/// leading apostrophe so spreadsheets show it as text instead of running it; a value holding a
/// comma, quote or line break is quoted (RFC 4180).
pub fn cell(value: &str) -> String {
    let neutral = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_string(),
    };
    if neutral.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", neutral.replace('"', "\"\""))
    } else {
        neutral
    }
}

fn line(cells: &[String]) -> String {
    let mut out = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    out
}

fn when(at: Option<DateTime<Utc>>, tz: Tz) -> String {
    at.map(|t| t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The whole filtered list as CSV (UTF-8 with a byte-order mark, so spreadsheets read
/// accents right), times in the user's timezone.
pub async fn customers_csv<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    query: &CustomerQuery,
) -> AppResult<String> {
    let users: HashMap<i32, String> = app_user::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let teams: HashMap<i32, String> = team::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    let stages: HashMap<i32, String> = lifecycle_stage::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.label))
        .collect();
    let tz = times::zone(&actor.timezone);
    let mut out = String::from("\u{feff}");
    out.push_str(&line(&HEADER.map(String::from)));
    let mut offset = 0;
    loop {
        let batch = customers::for_export(db, actor, query, offset, BATCH).await?;
        let got = batch.len() as u64;
        for (c, tags) in batch {
            out.push_str(&line(&[
                c.name,
                c.kind.label().to_string(),
                c.email.unwrap_or_default(),
                c.phone.unwrap_or_default(),
                stages.get(&c.stage_id).cloned().unwrap_or_default(),
                users.get(&c.owner_id).cloned().unwrap_or_default(),
                c.team_id.and_then(|t| teams.get(&t).cloned()).unwrap_or_default(),
                tags.join(", "),
                c.quality.to_string(),
                when(c.last_interaction_at, tz),
                when(c.next_follow_up_at, tz),
                c.notes,
                when(Some(c.created_at), tz),
            ]));
        }
        if got < BATCH {
            break;
        }
        offset += got;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_neutralised_and_special_characters_quoted() {
        assert_eq!(cell("=HYPERLINK(\"http://x\")"), "\"'=HYPERLINK(\"\"http://x\"\")\"");
        assert_eq!(cell("+44 20 7946 0321"), "'+44 20 7946 0321");
        assert_eq!(cell("-1"), "'-1");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("\tcmd"), "'\tcmd");
        assert_eq!(cell("Smith, Jones & Co"), "\"Smith, Jones & Co\"");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(cell("Brightwater Bakery"), "Brightwater Bakery");
        assert_eq!(cell(""), "");
    }
}
