//! Customers, interactions and follow-ups as the browser sees them.

use crate::model::states::{CustomerKind, FollowUpStatus};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The filters, sort and page of the customer list: exactly what its URL holds, so a filtered
/// list can be bookmarked and shared.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerQuery {
    /// Matches name, email, phone or tag.
    #[serde(default)]
    pub q: String,
    /// A user id, or `me`.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub team: String,
    /// A lifecycle stage key.
    #[serde(default)]
    pub stage: String,
    #[serde(default)]
    pub tag: String,
    /// Only customers with an overdue open follow-up.
    #[serde(default)]
    pub overdue: bool,
    /// Only customers whose required data is missing or stale.
    #[serde(default)]
    pub incomplete: bool,
    /// `name`, `follow_up`, `interaction` or `quality`; a leading `-` sorts descending.
    #[serde(default)]
    pub sort: String,
    /// 1-based.
    #[serde(default)]
    pub page: u64,
}

impl CustomerQuery {
    /// Reads the query from URL parameters (unknown or malformed ones are ignored).
    pub fn from_params(get: impl Fn(&str) -> Option<String>) -> Self {
        let flag = |k: &str| get(k).is_some_and(|v| v == "1" || v == "true" || v == "on");
        CustomerQuery {
            q: get("q").unwrap_or_default(),
            owner: get("owner").unwrap_or_default(),
            team: get("team").unwrap_or_default(),
            stage: get("stage").unwrap_or_default(),
            tag: get("tag").unwrap_or_default(),
            overdue: flag("overdue"),
            incomplete: flag("incomplete"),
            sort: get("sort").unwrap_or_default(),
            page: get("page").and_then(|p| p.parse().ok()).unwrap_or(1).max(1),
        }
    }

    /// The URL query string for this query, leaving defaults out; `page` overrides the page.
    pub fn to_query_string(&self, page: u64) -> String {
        let mut parts: Vec<(&str, String)> = Vec::new();
        for (key, value) in [
            ("q", &self.q),
            ("owner", &self.owner),
            ("team", &self.team),
            ("stage", &self.stage),
            ("tag", &self.tag),
            ("sort", &self.sort),
        ] {
            if !value.trim().is_empty() {
                parts.push((key, value.trim().to_string()));
            }
        }
        if self.overdue {
            parts.push(("overdue", "1".into()));
        }
        if self.incomplete {
            parts.push(("incomplete", "1".into()));
        }
        if page > 1 {
            parts.push(("page", page.to_string()));
        }
        parts
            .into_iter()
            .map(|(k, v)| format!("{k}={}", encode(&v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query-string value.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A choice in a filter or form select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One row of the customer list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerRow {
    pub id: i32,
    pub name: String,
    pub kind: CustomerKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub owner: String,
    pub team: Option<String>,
    pub stage: String,
    pub tags: Vec<String>,
    pub quality: i32,
    /// In the viewer's timezone, for display.
    pub last_interaction: Option<String>,
    pub next_follow_up: Option<String>,
    pub follow_up_overdue: bool,
}

/// A page of the customer list, with what its filters offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerList {
    pub rows: Vec<CustomerRow>,
    pub total: u64,
    /// Whether counting stopped at `total`: at least that many match.
    pub capped: bool,
    pub page: u64,
    pub per_page: u64,
    pub stages: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub teams: Vec<Choice>,
}

impl CustomerList {
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page).max(1)
    }
}

/// What the customer form edits. Strings as typed, so that a rejected form comes back intact.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerForm {
    pub kind: String,
    pub name: String,
    pub email: String,
    pub phone: String,
    /// A lifecycle stage key.
    pub stage: String,
    /// A user id; empty means "me".
    pub owner_id: String,
    /// Comma-separated.
    pub tags: String,
    pub notes: String,
    /// Custom field values by field key, as typed.
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

impl CustomerForm {
    /// The form's fields as (name, value) pairs, to carry back in a validation error.
    pub fn values(&self) -> Vec<(String, String)> {
        [
            ("kind", self.kind.clone()),
            ("name", self.name.clone()),
            ("email", self.email.clone()),
            ("phone", self.phone.clone()),
            ("stage", self.stage.clone()),
            ("owner_id", self.owner_id.clone()),
            ("tags", self.tags.clone()),
            ("notes", self.notes.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .chain(self.custom.iter().map(|(k, v)| (custom_name(k), v.clone())))
        .collect()
    }
}

/// The error and kept-value key of custom field `key` (its input is named `custom[key]`).
pub fn custom_name(key: &str) -> String {
    format!("cf_{key}")
}

/// The types a custom field can have.
pub const FIELD_TYPES: [(&str, &str); 4] = [
    ("text", "Text"),
    ("number", "Number"),
    ("date", "Date"),
    ("choice", "Choice from a list"),
];

/// A custom field as the customer form offers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomInput {
    pub key: String,
    pub label: String,
    pub field_type: String,
    pub options: Vec<String>,
    pub required: bool,
    pub min_value: Option<f64>,
    pub max_value: Option<f64>,
    /// Whether the viewer's role may change it (its owner role or above).
    pub editable: bool,
    /// What the field expects and who keeps it current.
    pub hint: String,
}

/// A custom value on the customer page, with its data-quality state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomValueView {
    pub field_id: i32,
    pub label: String,
    pub value: String,
    pub required: bool,
    /// `ok`, `stale` (past its freshness window) or `missing`.
    pub state: String,
    /// "Confirmed by Nina, Mon 2 Nov 2026" when there is a value.
    pub confirmed: Option<String>,
    /// The owner role's label ("Members", "Managers", "Admins") who keep it current.
    pub owner: String,
    /// Whether the viewer may confirm or change it.
    pub can_confirm: bool,
}

/// The admin's definition of a custom field, as the fields page edits it (strings as typed).
/// Every part may be left out of a post (editing a field posts neither key nor type).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomFieldForm {
    pub key: String,
    pub label: String,
    pub field_type: String,
    /// One option per line (choice fields).
    pub options: String,
    #[serde(deserialize_with = "checkbox")]
    pub required: bool,
    pub min_value: String,
    pub max_value: String,
    pub pattern: String,
    /// A value that matches `pattern` ("AB-12345"): required with a pattern, and what users
    /// are shown instead of the pattern.
    pub pattern_example: String,
    pub owner_role: String,
    /// Days a value stays fresh; empty: never stale.
    pub freshness_days: String,
}

impl CustomFieldForm {
    pub fn values(&self) -> Vec<(&'static str, String)> {
        vec![
            ("key", self.key.clone()),
            ("label", self.label.clone()),
            ("field_type", self.field_type.clone()),
            ("options", self.options.clone()),
            ("required", if self.required { "1".into() } else { String::new() }),
            ("min_value", self.min_value.clone()),
            ("max_value", self.max_value.clone()),
            ("pattern", self.pattern.clone()),
            ("pattern_example", self.pattern_example.clone()),
            ("owner_role", self.owner_role.clone()),
            ("freshness_days", self.freshness_days.clone()),
        ]
    }
}

/// A checkbox as posted: absent, empty, `false`, `off` or `0` is unchecked, any other value (a
/// browser sends `on`) checked; a JSON boolean is taken as it is.
fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Posted {
        Flag(bool),
        Text(String),
    }
    Ok(match Posted::deserialize(d)? {
        Posted::Flag(b) => b,
        Posted::Text(s) => !matches!(s.as_str(), "" | "false" | "off" | "0"),
    })
}

/// A custom field on the admin page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomFieldView {
    pub id: i32,
    pub active: bool,
    /// How many customers have a value, and how many of those are stale.
    pub filled: u64,
    pub stale: u64,
    pub form: CustomFieldForm,
}

/// What the customer form offers: stages, possible owners, tags in use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerFormOptions {
    pub stages: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub tags: Vec<String>,
    /// The form as stored, when editing.
    pub current: Option<CustomerForm>,
    pub custom_fields: Vec<CustomInput>,
    pub me: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i32,
    pub name: String,
    pub title: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InteractionView {
    pub id: i32,
    pub kind: String,
    pub occurred_at: String,
    pub author: Option<String>,
    pub summary: String,
    pub outcome: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpView {
    pub id: i32,
    pub customer_id: i32,
    pub customer_name: String,
    pub assignee_id: i32,
    pub assignee: String,
    /// In the viewer's timezone, for display, and as a `datetime-local` value for forms.
    pub due: String,
    pub due_input: String,
    pub note: String,
    pub status: FollowUpStatus,
    pub overdue: bool,
    pub completed: Option<String>,
    /// Whether the viewer may complete, reschedule or cancel it.
    pub can_act: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub at: String,
    pub actor: Option<String>,
    pub action: String,
    /// (field, before, after)
    pub changes: Vec<(String, String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerDetail {
    pub id: i32,
    pub kind: CustomerKind,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: String,
    pub owner: String,
    pub team: Option<String>,
    pub stage: String,
    pub tags: Vec<String>,
    pub quality: i32,
    pub can_edit: bool,
    pub custom: Vec<CustomValueView>,
    pub contacts: Vec<ContactView>,
    pub interactions: Vec<InteractionView>,
    pub open_follow_ups: Vec<FollowUpView>,
    pub past_follow_ups: Vec<FollowUpView>,
    pub history: Vec<ChangeView>,
    /// Who a new follow-up can be assigned to.
    pub assignees: Vec<Choice>,
    pub me: i32,
    /// "now" in the viewer's timezone as a `datetime-local` value, the default time of a new
    /// interaction.
    pub now_input: String,
    pub timezone: String,
}

pub const INTERACTION_KINDS: [(&str, &str); 4] = [
    ("call", "Call"),
    ("meeting", "Meeting"),
    ("email", "Email"),
    ("note", "Note"),
];

/// A table of (value, label) pairs as select choices.
pub fn choices_of(table: &[(&'static str, &'static str)]) -> Vec<Choice> {
    table
        .iter()
        .map(|(v, l)| Choice {
            value: v.to_string(),
            label: l.to_string(),
        })
        .collect()
}

pub fn label_of(table: &[(&'static str, &'static str)], key: &str) -> String {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| l.to_string())
        .unwrap_or_else(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::CustomFieldForm;

    fn required(json: &str) -> bool {
        serde_json::from_str::<CustomFieldForm>(json).map(|f| f.required).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn the_required_box_reads_as_a_browser_or_an_api_client_sends_it() {
        assert!(required(r#"{"required":"on"}"#));
        assert!(required(r#"{"required":"1"}"#));
        assert!(required(r#"{"required":true}"#));
        assert!(!required(r#"{"required":false}"#));
        assert!(!required(r#"{"required":"false"}"#));
        assert!(!required(r#"{"required":""}"#));
        assert!(!required(r#"{"label":"Region"}"#), "an unticked box is not posted at all");
    }
}
