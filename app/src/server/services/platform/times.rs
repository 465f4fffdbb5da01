//! Times shown and entered in the viewer's timezone, stored in UTC.

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Datelike, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// The timezone named `name`, or UTC for an unknown name.
pub fn zone(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

/// For reading: "Mon 23 Nov 2026, 14:05".
pub fn display(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%a %-d %b %Y, %H:%M").to_string()
}

/// For tables: "Mon 23 Nov, 14:05" within the current year, "Sat 3 Jan 2025, 09:00" otherwise.
pub fn short(at: DateTime<Utc>, tz: Tz, now: DateTime<Utc>) -> String {
    let local = at.with_timezone(&tz);
    if local.year() == now.with_timezone(&tz).year() {
        local.format("%a %-d %b, %H:%M").to_string()
    } else {
        local.format("%a %-d %b %Y, %H:%M").to_string()
    }
}

/// For a `datetime-local` input: "2026-11-23T14:05".
pub fn input(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` value in `tz` as UTC, or an RFC 3339 timestamp with its own offset (as
/// the API sends). A time skipped by a daylight-saving change is an error; an ambiguous one
/// takes the earlier instant.
pub fn parse_input(field: &str, value: &str, tz: Tz) -> AppResult<DateTime<Utc>> {
    let value = value.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(value) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%d %H:%M"))
        .map_err(|_| AppError::field(field, "Enter a date and time, like 2026-11-23 14:30."))?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| {
            AppError::field(
                field,
                "That time does not exist in your timezone (the clocks change then).",
            )
        })
}

/// The start and end of the viewer's current day, in UTC.
pub fn today_bounds(tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let local_today = Utc::now().with_timezone(&tz).date_naive();
    let start = local_today
        .and_hms_opt(0, 0, 0)
        .and_then(|n| tz.from_local_datetime(&n).earliest())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now);
    (start, start + chrono::TimeDelta::days(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_input_round_trips_through_utc() {
        let tz = zone("Europe/Berlin");
        let at = parse_input("due", "2026-11-23T14:30", tz).unwrap();
        assert_eq!(at.to_rfc3339(), "2026-11-23T13:30:00+00:00");
        assert_eq!(input(at, tz), "2026-11-23T14:30");
        assert_eq!(display(at, tz), "Mon 23 Nov 2026, 14:30");
        assert_eq!(short(at, tz, at), "Mon 23 Nov, 14:30");
        let next_year = at + chrono::TimeDelta::days(365);
        assert_eq!(short(at, tz, next_year), "Mon 23 Nov 2026, 14:30");
        // A timestamp with an offset keeps its own instant, whatever the zone.
        let api = parse_input("due", "2026-11-23T14:30:00+02:00", tz).unwrap();
        assert_eq!(api.to_rfc3339(), "2026-11-23T12:30:00+00:00");
    }

    #[test]
    fn bad_and_skipped_times_are_field_errors() {
        let tz = zone("Europe/Berlin");
        let e = parse_input("due", "tomorrow", tz).unwrap_err();
        assert!(e.field_error("due").is_some());
        // 02:30 on the last Sunday of March does not exist in Berlin.
        let e = parse_input("due", "2026-03-29T02:30", tz).unwrap_err();
        assert!(e.field_error("due").unwrap().contains("does not exist"));
    }
}
