//! Which column fills which field: the guessed mapping, checking the user's mapping, and the
//! plan for one row (create, update, skip or refuse) with its messages.

use crate::error::{AppError, AppResult};
use crate::model::crm::{Choice, CustomerForm};
use crate::model::states::{CustomerKind, ImportStatus};
use crate::server::entities::{app_user, customer, customer_import, lifecycle_stage};
use crate::server::services::platform::access::Actor;
use crate::server::services::{platform::users, crm::{customers, fields}};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::{BTreeMap, HashMap};
use super::{json_list, visible_import};
use super::parse::simplify;

/// The core fields a column can map to, with the header spellings that map to them by default.
const CORE_TARGETS: [(&str, &str, &[&str]); 8] = [
    ("name", "Name", &["name", "customer", "customername", "company", "companyname", "organisation", "organization", "fullname"]),
    ("kind", "Kind (organisation or person)", &["kind", "type", "customertype"]),
    ("email", "Email", &["email", "emailaddress", "mail"]),
    ("phone", "Phone", &["phone", "telephone", "tel", "mobile", "phonenumber"]),
    ("stage", "Lifecycle stage", &["stage", "lifecyclestage", "lifecycle"]),
    ("owner", "Owner (a user's email)", &["owner", "owneremail", "accountowner"]),
    ("tags", "Tags (comma-separated)", &["tags", "tag", "labels"]),
    ("notes", "Notes", &["notes", "note", "comments", "comment", "description"]),
];

/// Every field a column can map to: the core fields, then the active custom fields.
pub(super) async fn targets<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Choice>> {
    let mut out: Vec<Choice> = CORE_TARGETS
        .iter()
        .map(|(value, label, _)| Choice {
            value: (*value).into(),
            label: (*label).into(),
        })
        .collect();
    out.extend(fields::active(db).await?.into_iter().map(|f| Choice {
        value: format!("custom:{}", f.key),
        label: format!("{} (custom field)", f.label),
    }));
    Ok(out)
}

/// The mapping a header suggests: a core field by its usual spellings, or a custom field by key
/// or label. Each field is taken by the first column that names it.
pub(super) fn guess_mapping(headers: &[String], targets: &[Choice]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    headers
        .iter()
        .map(|h| {
            let h = simplify(h);
            let core = CORE_TARGETS
                .iter()
                .find(|(_, label, names)| names.contains(&h.as_str()) || simplify(label) == h)
                .map(|(v, _, _)| (*v).to_string());
            let custom = || {
                targets
                    .iter()
                    .filter(|t| t.value.starts_with("custom:"))
                    .find(|t| {
                        simplify(&t.value["custom:".len()..]) == h
                            || simplify(t.label.trim_end_matches(" (custom field)")) == h
                    })
                    .map(|t| t.value.clone())
            };
            match core.or_else(custom) {
                Some(t) if !taken.contains(&t) => {
                    taken.push(t.clone());
                    t
                }
                _ => String::new(),
            }
        })
        .collect()
}

/// What the import needs to turn cells into a customer form: stages and users by their names.
pub(super) struct Lookups {
    stages: Vec<lifecycle_stage::Model>,
    users: HashMap<String, i32>,
    pub(super) headers: Vec<String>,
    pub(super) mapping: Vec<String>,
    mode: String,
}

impl Lookups {
    pub(super) async fn load<C: ConnectionTrait>(db: &C, import: &customer_import::Model) -> AppResult<Lookups> {
        let stages = lifecycle_stage::Entity::find()
            .order_by_asc(lifecycle_stage::Column::Position)
            .all(db)
            .await?;
        let users = app_user::Entity::find()
            .filter(app_user::Column::Active.eq(true))
            .all(db)
            .await?
            .into_iter()
            .map(|u| (users::normalise_email(&u.email), u.id))
            .collect();
        Ok(Lookups {
            stages,
            users,
            headers: json_list(&import.headers),
            mapping: json_list(&import.mapping),
            mode: import.mode.clone(),
        })
    }

    pub(super) fn mapped(&self, target: &str) -> Option<usize> {
        self.mapping.iter().position(|t| t == target)
    }

    /// "Email (column “E-mail”): " for a form field name such as `email` or `cf_region`, to put
    /// before a message about it. An unmapped custom field's message names it already.
    fn describe(&self, field: &str, targets: &[Choice]) -> String {
        let target = match field {
            "owner_id" => "owner".to_string(),
            f => match f.strip_prefix("cf_") {
                Some(key) => format!("custom:{key}"),
                None => f.to_string(),
            },
        };
        let label = targets
            .iter()
            .find(|t| t.value == target)
            .map(|t| t.label.trim_end_matches(" (custom field)").to_string())
            .unwrap_or_else(|| field.to_string());
        match self.mapped(&target).and_then(|i| self.headers.get(i)) {
            Some(h) => format!("{label} (column “{h}”): "),
            None if field.starts_with("cf_") => String::new(),
            None => format!("{label}: "),
        }
    }

    /// Writes the row's non-empty mapped cells into `form`; a cell that names no known stage or
    /// user gives a message under that field instead.
    fn apply(&self, cells: &[String], form: &mut CustomerForm) -> BTreeMap<String, String> {
        let mut errors = BTreeMap::new();
        for (target, value) in self.mapping.iter().zip(cells) {
            let value = value.trim();
            if target.is_empty() || value.is_empty() {
                continue;
            }
            match target.as_str() {
                "name" => form.name = value.into(),
                "email" => form.email = value.into(),
                "phone" => form.phone = value.into(),
                "notes" => form.notes = value.into(),
                "tags" => form.tags = value.replace(';', ","),
                "kind" => {
                    form.kind = match simplify(value).as_str() {
                        "organisation" | "organization" | "org" | "company" | "business" => "organisation".into(),
                        "person" | "individual" | "private" => "person".into(),
                        _ => value.into(),
                    }
                }
                "stage" => {
                    let v = simplify(value);
                    match self.stages.iter().find(|s| simplify(&s.key) == v || simplify(&s.label) == v) {
                        Some(s) => form.stage = s.key.clone(),
                        None => {
                            let known: Vec<&str> = self.stages.iter().map(|s| s.label.as_str()).collect();
                            errors.insert(
                                "stage".into(),
                                format!("No lifecycle stage is called “{value}”: use one of {}.", known.join(", ")),
                            );
                        }
                    }
                }
                "owner" => match self.users.get(&users::normalise_email(value)) {
                    Some(id) => form.owner_id = id.to_string(),
                    None => {
                        errors.insert("owner_id".into(), format!("No active user has the email “{value}”."));
                    }
                },
                t => {
                    if let Some(key) = t.strip_prefix("custom:") {
                        form.custom.insert(key.to_string(), value.to_string());
                    }
                }
            }
        }
        errors
    }

    /// The form of a new customer before the row's cells: an organisation in the first stage,
    /// owned by the importer.
    fn blank(&self) -> CustomerForm {
        CustomerForm {
            kind: CustomerKind::Organisation.as_str().into(),
            stage: self.stages.first().map(|s| s.key.clone()).unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// What to do with one row.
pub(super) enum Plan {
    Create(CustomerForm),
    Update {
        existing: customer::Model,
        before: CustomerForm,
        form: CustomerForm,
    },
    Skip(Option<customer::Model>, String),
    Fail(String),
}

/// The messages of a failed check, each naming its column.
pub(super) fn messages(error: &AppError, lookups: &Lookups, targets: &[Choice]) -> Vec<String> {
    match error {
        AppError::Validation { fields, .. } if !fields.is_empty() => fields
            .iter()
            .map(|(field, message)| format!("{}{message}", lookups.describe(field, targets)))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Decides what a row does, from its cells and the customer its email matches.
pub(super) async fn plan<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    lookups: &Lookups,
    targets: &[Choice],
    cells: &[String],
) -> AppResult<Plan> {
    if cells.len() != lookups.headers.len() {
        return Ok(Plan::Fail(format!(
            "This row has {} cells but the header has {}: check for a missing or extra separator, or an unclosed quote.",
            cells.len(),
            lookups.headers.len()
        )));
    }
    let email = lookups
        .mapped("email")
        .and_then(|i| cells.get(i))
        .map(|e| users::normalise_email(e))
        .filter(|e| !e.is_empty());
    let existing = match email {
        Some(e) => customer::Entity::find()
            .filter(customer::Column::EmailKey.eq(e))
            .one(db)
            .await?,
        None => None,
    };
    let (base, existing) = match existing {
        Some(c) if lookups.mode != "upsert" && !actor.can_see(&c) => {
            return Ok(Plan::Skip(None, customers::HIDDEN_SAME_EMAIL.to_string()));
        }
        Some(c) if lookups.mode != "upsert" => {
            let message = format!("A customer with this email already exists: {}.", c.name);
            return Ok(Plan::Skip(Some(c), message));
        }
        Some(c) if !actor.can_edit(&c) => {
            let message = if actor.can_see(&c) {
                format!("A customer with this email already exists ({}), and you may not edit it.", c.name)
            } else {
                customers::HIDDEN_SAME_EMAIL.to_string()
            };
            return Ok(Plan::Skip(None, message));
        }
        Some(c) => (customers::form_of(db, &c).await?, Some(c)),
        None => (lookups.blank(), None),
    };
    let mut form = base.clone();
    let errors = lookups.apply(cells, &mut form);
    if !errors.is_empty() {
        return Ok(Plan::Fail(messages(&AppError::invalid(errors), lookups, targets).join(" ")));
    }
    Ok(match existing {
        Some(c) if comparable(&form) == comparable(&base) => Plan::Skip(Some(c), "No changes: the customer already has these values.".into()),
        Some(existing) => Plan::Update {
            existing,
            before: base,
            form,
        },
        None => Plan::Create(form),
    })
}

/// The import's mapping as typed in the form (column index → target), checked.
pub(super) fn checked_mapping(
    headers: &[String],
    targets: &[Choice],
    columns: &BTreeMap<String, String>,
    mode: &str,
) -> AppResult<Vec<String>> {
    let mut errors = BTreeMap::new();
    let mut mapping = vec![String::new(); headers.len()];
    for (i, slot) in mapping.iter_mut().enumerate() {
        let target = columns.get(&i.to_string()).map(|t| t.trim()).unwrap_or("");
        if target.is_empty() {
            continue;
        }
        if !targets.iter().any(|t| t.value == target) {
            errors.insert(format!("col_{i}"), "Choose a field from the list.".to_string());
            continue;
        }
        *slot = target.to_string();
    }
    for (i, target) in mapping.iter().enumerate() {
        if let Some(first) = mapping[..i].iter().position(|t| !t.is_empty() && t == target) {
            let label = targets.iter().find(|t| &t.value == target).map(|t| t.label.clone()).unwrap_or_default();
            errors.insert(
                format!("col_{i}"),
                format!("{label} is already taken by column “{}”: map each field once.", headers[first]),
            );
        }
    }
    if !mapping.iter().any(|t| t == "name") {
        errors.insert("mapping".into(), "Map one column to Name: every customer needs a name.".into());
    }
    if !matches!(mode, "create" | "upsert") {
        errors.insert("mode".into(), "Choose how to treat customers that already exist.".into());
    } else if mode == "upsert" && !mapping.iter().any(|t| t == "email") {
        errors.insert("mode".into(), "Updating existing customers matches them on email: map a column to Email first.".into());
    }
    if errors.is_empty() {
        Ok(mapping)
    } else {
        let mut values: Vec<(String, String)> = columns.iter().map(|(k, v)| (format!("col_{k}"), v.clone())).collect();
        values.push(("mode".into(), mode.into()));
        Err(AppError::invalid(errors).with_values(values))
    }
}

/// Saves the mapping and mode of an import that has not started; with `start`, also queues it.
pub async fn save_mapping<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    mode: &str,
    columns: &BTreeMap<String, String>,
    start: bool,
) -> AppResult<()> {
    let import = visible_import(db, actor, id).await?;
    if import.status != ImportStatus::Uploaded {
        return Err(AppError::Conflict("This import has already started; its mapping can no longer change.".into()));
    }
    let targets = targets(db).await?;
    let mapping = checked_mapping(&json_list(&import.headers), &targets, columns, mode)?;
    let mapping = serde_json::to_string(&mapping).map_err(|e| crate::error::internal("import json", e))?;
    let status = if start { ImportStatus::Queued } else { ImportStatus::Uploaded };
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Mapping, Expr::value(mapping))
        .col_expr(customer_import::Column::Mode, Expr::value(mode.to_string()))
        .col_expr(customer_import::Column::Status, Expr::value(status))
        .filter(customer_import::Column::Id.eq(id))
        .filter(customer_import::Column::Status.eq(ImportStatus::Uploaded))
        .exec(db)
        .await?;
    Ok(())
}

/// The form with its tags in a fixed order, so that "b, a" and "a,b" compare equal.
fn comparable(form: &CustomerForm) -> CustomerForm {
    let mut tags = customers::parse_tags(&form.tags);
    tags.sort();
    CustomerForm {
        tags: tags.join(", "),
        ..form.clone()
    }
}

/// "email, phone" — the fields an update changes.
pub(super) fn changed_fields(before: &CustomerForm, after: &CustomerForm, lookups: &Lookups, targets: &[Choice]) -> String {
    let b: BTreeMap<String, String> = comparable(before).values().into_iter().collect();
    let mut names: Vec<String> = comparable(after)
        .values()
        .into_iter()
        .filter(|(k, v)| b.get(k) != Some(v))
        .map(|(k, _)| lookups.describe(&k, targets).trim_end_matches([':', ' ']).to_string())
        .filter(|name| !name.is_empty())
        .collect();
    names.dedup();
    names.join(", ")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::collections::BTreeMap;
    #[test]
    fn headers_map_to_core_and_custom_fields_by_their_usual_names() {
        let targets = vec![
            Choice { value: "name".into(), label: "Name".into() },
            Choice { value: "custom:region".into(), label: "Sales region (custom field)".into() },
        ];
        let headers: Vec<String> = ["Company", "E-mail", "Telephone", "Sales Region", "Name", "Whatever"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            guess_mapping(&headers, &targets),
            vec!["name", "email", "phone", "custom:region", "", ""]
        );
    }

    #[test]
    fn a_mapping_needs_a_name_each_field_once_and_email_for_updates() {
        let headers: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let targets: Vec<Choice> = ["name", "email"]
            .iter()
            .map(|v| Choice { value: v.to_string(), label: v.to_string() })
            .collect();
        let cols = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let ok = checked_mapping(&headers, &targets, &cols(&[("0", "name"), ("2", "email")]), "upsert").unwrap();
        assert_eq!(ok, vec!["name", "", "email"]);
        let twice = checked_mapping(&headers, &targets, &cols(&[("0", "name"), ("1", "name")]), "create").unwrap_err();
        assert!(twice.field_error("col_1").unwrap().contains("already taken by column “A”"));
        assert_eq!(twice.value("col_1").as_deref(), Some("name"));
        let nameless = checked_mapping(&headers, &targets, &cols(&[("2", "email")]), "create").unwrap_err();
        assert!(nameless.field_error("mapping").is_some());
        let no_email = checked_mapping(&headers, &targets, &cols(&[("0", "name")]), "upsert").unwrap_err();
        assert!(no_email.field_error("mode").unwrap().contains("Email"));
        let unknown = checked_mapping(&headers, &targets, &cols(&[("0", "name"), ("1", "password")]), "create").unwrap_err();
        assert!(unknown.field_error("col_1").is_some());
    }

}
