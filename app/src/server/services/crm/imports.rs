//! CSV import of customers. An upload is checked (size, encoding, shape) and kept with a guessed
//! column mapping; the user corrects the mapping against a preview of the first rows with each
//! row's errors, picks create-only or create-and-update (matched on email), and starts it. A
//! background worker then runs it row by row, each row in its own transaction together with its
//! result and the import's progress, so a crash resumes where it stopped. The whole import can be
//! reverted: created customers are deleted and updated ones get their old values back, unless
//! someone changed them since.

use crate::error::{AppError, AppResult};
use crate::model::crm::{CUSTOMER_KINDS, Choice, CustomerForm};
use crate::model::imports::{
    ImportRowView, ImportSummary, ImportView, ImportsOverview, PreviewRow, RESULT_FILTERS,
    RESULTS_PER_PAGE, status_label,
};
use crate::server::entities::{
    app_user, contact, customer, customer_import, customer_import_row, follow_up, interaction,
    lifecycle_stage,
};
use crate::server::services::platform::access::Actor;
use crate::server::services::{platform::{begin_write, now, times, users}, crm::{customers, fields}};
use chrono::Duration;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionSession, TransactionTrait,
};
use std::collections::{BTreeMap, HashMap};

/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 20;
/// Columns a file may have.
pub const MAX_COLUMNS: usize = 200;
/// A worker that stopped beating this long ago has died: another takes its import over.
const STALE_AFTER_SECONDS: i64 = 60;

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

/// A header or value reduced to lower-case letters and digits, for matching.
fn simplify(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The CSV file as text. Accepts UTF-8 (with or without a byte-order mark) and UTF-16 with a
/// byte-order mark; anything else gets a message that says how to fix it.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    const RESAVE: &str = "In your spreadsheet choose “Save as…” → “CSV UTF-8”, then upload that file.";
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err("The file is empty.".into());
    }
    let utf16 = |le: bool| {
        let units: Vec<u16> = bytes[2..]
            .chunks(2)
            .map(|c| match (c, le) {
                ([a, b], true) => u16::from_le_bytes([*a, *b]),
                ([a, b], false) => u16::from_be_bytes([*a, *b]),
                _ => 0xFFFD,
            })
            .collect();
        String::from_utf16(&units)
            .map_err(|_| format!("The file says it is UTF-16 text but holds invalid characters. {RESAVE}"))
    };
    let text = match bytes {
        [0xFF, 0xFE, ..] => utf16(true)?,
        [0xFE, 0xFF, ..] => utf16(false)?,
        _ => {
            let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
            match std::str::from_utf8(body) {
                Ok(s) => s.to_string(),
                Err(e) => {
                    let line = body[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
                    return Err(if body.contains(&0) {
                        format!("This is not a CSV text file: it holds binary data. {RESAVE}")
                    } else {
                        format!(
                            "This file is not UTF-8 text: the first character that cannot be read is on line {line}. {RESAVE}"
                        )
                    });
                }
            }
        }
    };
    if text.contains('\0') {
        return Err(format!("This is not a CSV text file: it holds binary data. {RESAVE}"));
    }
    Ok(text)
}

/// A parsed file: the header cells and each data row with its line number.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(i32, Vec<String>)>,
}

/// The most frequent of comma, semicolon and tab in the first line (outside quotes): spreadsheets
/// in many languages write semicolons.
fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let mut quoted = false;
    let mut counts = [0usize; 3];
    for c in first.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let best = (0..3).max_by_key(|i| (counts[*i], 3 - i)).unwrap_or(0);
    [b',', b';', b'\t'][best]
}

/// Splits the text into a header and rows. Rows of only empty cells are left out; rows with
/// fewer or more cells than the header are kept (each fails on its own, with a message).
pub fn parse(text: &str, max_rows: usize) -> Result<Table, String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut headers: Option<Vec<String>> = None;
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map(|p| p.line()).unwrap_or(0);
            format!("The file could not be read as CSV near line {line}: check its quotes.")
        })?;
        let line = record.position().map(|p| p.line()).unwrap_or(0) as i32;
        let cells: Vec<String> = record.iter().map(|c| c.trim().to_string()).collect();
        if cells.iter().all(String::is_empty) {
            continue;
        }
        match &headers {
            None => {
                if cells.len() > MAX_COLUMNS {
                    return Err(format!(
                        "The first line has {} columns; an import takes at most {MAX_COLUMNS}. Is this the right file?",
                        cells.len()
                    ));
                }
                headers = Some(
                    cells
                        .into_iter()
                        .enumerate()
                        .map(|(i, h)| if h.is_empty() { format!("Column {}", i + 1) } else { h })
                        .collect(),
                );
            }
            Some(_) => {
                if rows.len() >= max_rows {
                    return Err(format!(
                        "The file has more than {max_rows} customers; split it into smaller files."
                    ));
                }
                rows.push((line, cells));
            }
        }
    }
    match headers {
        None => Err("The file is empty.".into()),
        Some(_) if rows.is_empty() => {
            Err("The file has a header line but no customers below it.".into())
        }
        Some(headers) => Ok(Table { headers, rows }),
    }
}

/// Every field a column can map to: the core fields, then the active custom fields.
async fn targets<C: ConnectionTrait>(db: &C) -> AppResult<Vec<Choice>> {
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
fn guess_mapping(headers: &[String], targets: &[Choice]) -> Vec<String> {
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

/// Keeps an uploaded file as a new import with a guessed mapping. A file that cannot be
/// imported is recorded as `rejected`, with the reason in `error` (shown next to the file field).
pub async fn upload<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    max_rows: usize,
) -> AppResult<customer_import::Model> {
    let checked = decode(bytes).and_then(|text| parse(&text, max_rows).map(|t| (text, t)));
    refuse_or_keep(db, actor, file_name, checked).await
}

/// Records a refused upload: too large, or unreadable.
pub async fn reject<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    file_name: &str,
    reason: String,
) -> AppResult<customer_import::Model> {
    refuse_or_keep(db, actor, file_name, Err(reason)).await
}

async fn refuse_or_keep<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    file_name: &str,
    checked: Result<(String, Table), String>,
) -> AppResult<customer_import::Model> {
    let name: String = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let json = |v: &Vec<String>| serde_json::to_string(v).map_err(|e| crate::error::internal("import json", e));
    let (content, rows, headers, mapping, status, error) = match checked {
        Ok((text, table)) => {
            let mapping = guess_mapping(&table.headers, &targets(db).await?);
            (text, table.rows.len() as i32, json(&table.headers)?, json(&mapping)?, "uploaded", None)
        }
        Err(reason) => (String::new(), 0, "[]".into(), "[]".into(), "rejected", Some(reason)),
    };
    Ok(customer_import::ActiveModel {
        user_id: Set(actor.id),
        file_name: Set(if name.trim().is_empty() { "upload.csv".into() } else { name }),
        content: Set(content),
        row_count: Set(rows),
        headers: Set(headers),
        mapping: Set(mapping),
        mode: Set("create".into()),
        status: Set(status.into()),
        processed: Set(0),
        created_count: Set(0),
        updated_count: Set(0),
        skipped_count: Set(0),
        failed_count: Set(0),
        reverted_count: Set(0),
        kept_count: Set(0),
        error: Set(error),
        created_at: Set(now()),
        started_at: Set(None),
        finished_at: Set(None),
        reverted_at: Set(None),
        heartbeat_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// An import its uploader (or an admin) may open.
async fn visible_import<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
) -> AppResult<customer_import::Model> {
    customer_import::Entity::find_by_id(id)
        .one(db)
        .await?
        .filter(|i| i.user_id == actor.id || actor.is_admin())
        .ok_or(AppError::NotFound)
}

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

/// The upload page: limits, mappable fields and the recent imports the actor can open.
pub async fn overview<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    max_megabytes: u64,
    max_rows: u64,
    rejected: Option<i32>,
) -> AppResult<ImportsOverview> {
    let rejected = match rejected {
        Some(id) => visible_import(db, actor, id).await.ok().filter(|i| i.status == "rejected").and_then(|i| i.error),
        None => None,
    };
    let mut q = customer_import::Entity::find()
        .select_only()
        .columns([
            customer_import::Column::Id,
            customer_import::Column::UserId,
            customer_import::Column::FileName,
            customer_import::Column::Status,
            customer_import::Column::CreatedAt,
            customer_import::Column::RowCount,
            customer_import::Column::CreatedCount,
            customer_import::Column::UpdatedCount,
            customer_import::Column::SkippedCount,
            customer_import::Column::FailedCount,
        ]);
    if !actor.is_admin() {
        q = q.filter(customer_import::Column::UserId.eq(actor.id));
    }
    type Row = (i32, i32, String, String, chrono::DateTime<chrono::Utc>, i32, i32, i32, i32, i32);
    let rows: Vec<Row> = q
        .order_by_desc(customer_import::Column::Id)
        .limit(30)
        .into_tuple()
        .all(db)
        .await?;
    let mut user_ids: Vec<i32> = rows.iter().map(|r| r.1).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let names = crate::server::services::platform::users::names(db, user_ids).await?;
    let tz = times::zone(&actor.timezone);
    Ok(ImportsOverview {
        max_megabytes,
        max_rows,
        rejected,
        targets: targets(db).await?,
        imports: rows
            .into_iter()
            .map(|(id, user_id, file_name, status, at, row_count, created, updated, skipped, failed)| ImportSummary {
                id,
                file_name,
                status_label: status_label(&status).into(),
                status,
                uploaded_by: names.get(&user_id).cloned().unwrap_or_default(),
                created_at: times::display(at, tz),
                row_count,
                created,
                updated,
                skipped,
                failed,
            })
            .collect(),
    })
}

/// What the import needs to turn cells into a customer form: stages and users by their names.
struct Lookups {
    stages: Vec<lifecycle_stage::Model>,
    users: HashMap<String, i32>,
    headers: Vec<String>,
    mapping: Vec<String>,
    mode: String,
}

impl Lookups {
    async fn load<C: ConnectionTrait>(db: &C, import: &customer_import::Model) -> AppResult<Lookups> {
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

    fn mapped(&self, target: &str) -> Option<usize> {
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
            kind: CUSTOMER_KINDS[0].0.into(),
            stage: self.stages.first().map(|s| s.key.clone()).unwrap_or_default(),
            ..Default::default()
        }
    }
}

/// What to do with one row.
enum Plan {
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
fn messages(error: &AppError, lookups: &Lookups, targets: &[Choice]) -> Vec<String> {
    match error {
        AppError::Validation { fields, .. } if !fields.is_empty() => fields
            .iter()
            .map(|(field, message)| format!("{}{message}", lookups.describe(field, targets)))
            .collect(),
        other => vec![other.to_string()],
    }
}

/// Decides what a row does, from its cells and the customer its email matches.
async fn plan<C: ConnectionTrait>(
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
fn checked_mapping(
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
    if import.status != "uploaded" {
        return Err(AppError::Conflict("This import has already started; its mapping can no longer change.".into()));
    }
    let targets = targets(db).await?;
    let mapping = checked_mapping(&json_list(&import.headers), &targets, columns, mode)?;
    let mapping = serde_json::to_string(&mapping).map_err(|e| crate::error::internal("import json", e))?;
    let status = if start { "queued" } else { "uploaded" };
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Mapping, Expr::value(mapping))
        .col_expr(customer_import::Column::Mode, Expr::value(mode.to_string()))
        .col_expr(customer_import::Column::Status, Expr::value(status))
        .filter(customer_import::Column::Id.eq(id))
        .filter(customer_import::Column::Status.eq("uploaded"))
        .exec(db)
        .await?;
    Ok(())
}

/// Queues the revert of a finished import.
pub async fn revert<C: ConnectionTrait>(db: &C, actor: &Actor, id: i32) -> AppResult<()> {
    let import = visible_import(db, actor, id).await?;
    if import.status != "done" {
        return Err(AppError::Conflict("Only a finished import can be reverted, and only once.".into()));
    }
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value("revert_queued"))
        .filter(customer_import::Column::Id.eq(id))
        .filter(customer_import::Column::Status.eq("done"))
        .exec(db)
        .await?;
    Ok(())
}

/// One import as its page shows it; `show` picks the result rows and `page` their page.
pub async fn view<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    id: i32,
    show: &str,
    page: u64,
) -> AppResult<ImportView> {
    let page = crate::model::paging::check_page(page)?;
    let import = visible_import(db, actor, id).await?;
    let targets = targets(db).await?;
    let lookups = Lookups::load(db, &import).await?;
    let tz = times::zone(&actor.timezone);
    let mut preview = Vec::new();
    let mut preview_failures = 0;
    if import.status == "uploaded" {
        let table = parse(&import.content, usize::MAX).unwrap_or(Table { headers: vec![], rows: vec![] });
        for (line, cells) in table.rows.iter().take(PREVIEW_ROWS) {
            let (action, messages) = preview_row(db, actor, &lookups, &targets, cells).await?;
            if action == "fail" {
                preview_failures += 1;
            }
            preview.push(PreviewRow {
                line: *line,
                cells: cells.clone(),
                action,
                messages,
            });
        }
    }
    let missing_required = fields::active(db)
        .await?
        .into_iter()
        .filter(|f| f.required && fields::may_edit(actor, f))
        .filter(|f| lookups.mapped(&format!("custom:{}", f.key)).is_none())
        .map(|f| f.label)
        .collect();
    let show = if RESULT_FILTERS.iter().any(|(k, _)| *k == show) { show } else { "problems" };
    let mut rows = customer_import_row::Entity::find().filter(customer_import_row::Column::ImportId.eq(id));
    rows = match show {
        "problems" => rows.filter(customer_import_row::Column::Outcome.is_in(["skipped", "failed"])),
        "created" | "updated" => rows.filter(customer_import_row::Column::Outcome.eq(show)),
        "reverted" => rows.filter(customer_import_row::Column::RevertNote.is_not_null()),
        _ => rows,
    };
    let results_total = rows.clone().count(db).await?;
    let results = rows
        .order_by_asc(customer_import_row::Column::Line)
        .offset(crate::model::paging::offset(page, RESULTS_PER_PAGE))
        .limit(RESULTS_PER_PAGE)
        .all(db)
        .await?
        .into_iter()
        .map(|r| ImportRowView {
            line: r.line,
            outcome: r.outcome,
            customer_id: r.customer_id,
            customer_name: r.customer_name,
            message: r.message,
            revert_note: r.revert_note,
        })
        .collect();
    Ok(ImportView {
        id: import.id,
        file_name: import.file_name,
        status_label: status_label(&import.status).into(),
        can_revert: import.status == "done" && import.created_count + import.updated_count > 0,
        status: import.status,
        mode: import.mode,
        row_count: import.row_count,
        processed: import.processed,
        created: import.created_count,
        updated: import.updated_count,
        skipped: import.skipped_count,
        failed: import.failed_count,
        reverted: import.reverted_count,
        kept: import.kept_count,
        error: import.error,
        uploaded_at: times::display(import.created_at, tz),
        finished_at: import.finished_at.map(|t| times::display(t, tz)),
        headers: lookups.headers.clone(),
        mapping: lookups.mapping.clone(),
        targets,
        preview,
        preview_failures,
        missing_required,
        results,
        results_total,
        show: show.into(),
    })
}

/// What a row would do, without doing it: the action and the messages that explain it.
async fn preview_row<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    lookups: &Lookups,
    targets: &[Choice],
    cells: &[String],
) -> AppResult<(String, Vec<String>)> {
    let (action, form) = match plan(db, actor, lookups, targets, cells).await? {
        Plan::Fail(m) => return Ok(("fail".into(), vec![m])),
        Plan::Skip(_, m) => return Ok(("skip".into(), vec![m])),
        Plan::Create(form) => ("create", form),
        Plan::Update { form, .. } => ("update", form),
    };
    Ok(match customers::check(db, actor, &form).await {
        Ok(_) => (action.into(), vec![]),
        Err(e @ AppError::Validation { .. }) => ("fail".into(), messages(&e, lookups, targets)),
        Err(e) => return Err(e),
    })
}

/// The result of one row, as stored.
struct Outcome {
    outcome: &'static str,
    customer: Option<(i32, String)>,
    message: String,
    before: Option<String>,
}

impl Outcome {
    fn failed(message: String) -> Outcome {
        Outcome {
            outcome: "failed",
            customer: None,
            message,
            before: None,
        }
    }
}

/// Carries out one row inside `txn`.
async fn run_row<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    lookups: &Lookups,
    targets: &[Choice],
    cells: &[String],
) -> AppResult<Outcome> {
    let done = |outcome, c: &customer::Model, message: String, before| Outcome {
        outcome,
        customer: Some((c.id, c.name.clone())),
        message,
        before,
    };
    let result = match plan(txn, actor, lookups, targets, cells).await? {
        Plan::Fail(m) => return Ok(Outcome::failed(m)),
        Plan::Skip(c, m) => {
            return Ok(Outcome {
                outcome: "skipped",
                customer: c.map(|c| (c.id, c.name)),
                message: m,
                before: None,
            });
        }
        // Near-identical names do not stop an import: a file of customers often has them.
        Plan::Create(form) => customers::create(txn, actor, &form, true)
            .await
            .map(|c| done("created", &c, String::new(), None)),
        Plan::Update {
            existing,
            before,
            form,
        } => {
            let changed = changed_fields(&before, &form, lookups, targets);
            let snapshot = serde_json::to_string(&before).map_err(|e| crate::error::internal("import json", e))?;
            customers::update(txn, actor, existing.id, &form, true)
                .await
                .map(|c| done("updated", &c, format!("Changed {changed}."), Some(snapshot)))
        }
    };
    match result {
        Ok(outcome) => Ok(outcome),
        Err(e @ (AppError::Validation { .. } | AppError::Forbidden | AppError::Conflict(_))) => {
            Ok(Outcome::failed(messages(&e, lookups, targets).join(" ")))
        }
        Err(e) => Err(e),
    }
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
fn changed_fields(before: &CustomerForm, after: &CustomerForm, lookups: &Lookups, targets: &[Choice]) -> String {
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

/// Runs one waiting import (or revert), or takes over one whose worker died. Returns whether
/// there was one.
pub async fn work<C: TransactionTrait + ConnectionTrait>(db: &C) -> AppResult<bool> {
    let stale = now() - Duration::seconds(STALE_AFTER_SECONDS);
    let candidate = customer_import::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(customer_import::Column::Status.is_in(["queued", "revert_queued"]))
                .add(
                    sea_orm::Condition::all()
                        .add(customer_import::Column::Status.is_in(["running", "reverting"]))
                        .add(customer_import::Column::HeartbeatAt.lt(stale)),
                ),
        )
        .order_by_asc(customer_import::Column::Id)
        .one(db)
        .await?;
    let Some(job) = candidate else {
        return Ok(false);
    };
    let reverting = job.status.contains("revert");
    let running = if reverting { "reverting" } else { "running" };
    let at = now();
    let heartbeat = match job.heartbeat_at {
        Some(t) => customer_import::Column::HeartbeatAt.eq(t),
        None => customer_import::Column::HeartbeatAt.is_null(),
    };
    let claimed = customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value(running))
        .col_expr(customer_import::Column::HeartbeatAt, Expr::value(at))
        .col_expr(customer_import::Column::StartedAt, Expr::value(job.started_at.unwrap_or(at)))
        .filter(customer_import::Column::Id.eq(job.id))
        .filter(customer_import::Column::Status.eq(job.status.clone()))
        .filter(heartbeat)
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        // Another worker took it first.
        return Ok(true);
    }
    let result = if reverting { run_revert(db, &job).await } else { run_import(db, &job).await };
    if let Err(e) = result {
        tracing::error!(import = job.id, error = %e, "import stopped");
        let message = match e {
            AppError::Internal => "The import stopped on an error on our side. Start a new import with the rows that are missing.".to_string(),
            other => other.to_string(),
        };
        customer_import::Entity::update_many()
            .col_expr(customer_import::Column::Status, Expr::value("failed"))
            .col_expr(customer_import::Column::Error, Expr::value(message))
            .col_expr(customer_import::Column::FinishedAt, Expr::value(now()))
            .filter(customer_import::Column::Id.eq(job.id))
            .exec(db)
            .await?;
    }
    Ok(true)
}

/// The importing user, as an actor; an error if they can no longer act.
async fn importer<C: ConnectionTrait>(db: &C, job: &customer_import::Model) -> AppResult<Actor> {
    let user = app_user::Entity::find_by_id(job.user_id)
        .one(db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(|| AppError::Conflict("The user who uploaded this import was deactivated.".into()))?;
    Actor::load(db, &users::view(db, &user).await?).await
}

async fn run_import<C: TransactionTrait + ConnectionTrait>(db: &C, job: &customer_import::Model) -> AppResult<()> {
    let actor = importer(db, job).await?;
    let table = parse(&job.content, usize::MAX).map_err(AppError::Conflict)?;
    let targets = targets(db).await?;
    let lookups = Lookups::load(db, job).await?;
    for (line, cells) in table.rows.iter().skip(usize::try_from(job.processed).unwrap_or(0)) {
        let txn = begin_write(db).await?;
        let outcome = run_row(&txn, &actor, &lookups, &targets, cells).await?;
        let (id, name) = outcome.customer.clone().unzip();
        customer_import_row::ActiveModel {
            import_id: Set(job.id),
            line: Set(*line),
            outcome: Set(outcome.outcome.into()),
            customer_id: Set(id),
            customer_name: Set(name.unwrap_or_default()),
            message: Set(outcome.message),
            before: Set(outcome.before),
            revert_note: Set(None),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let counter = match outcome.outcome {
            "created" => customer_import::Column::CreatedCount,
            "updated" => customer_import::Column::UpdatedCount,
            "skipped" => customer_import::Column::SkippedCount,
            _ => customer_import::Column::FailedCount,
        };
        customer_import::Entity::update_many()
            .col_expr(counter, Expr::col(counter).add(1))
            .col_expr(customer_import::Column::Processed, Expr::col(customer_import::Column::Processed).add(1))
            .col_expr(customer_import::Column::HeartbeatAt, Expr::value(now()))
            .filter(customer_import::Column::Id.eq(job.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    finish(db, job.id, "done", customer_import::Column::FinishedAt).await
}

async fn finish<C: ConnectionTrait>(
    db: &C,
    id: i32,
    status: &'static str,
    at: customer_import::Column,
) -> AppResult<()> {
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value(status))
        .col_expr(at, Expr::value(now()))
        .filter(customer_import::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Undoes the rows the import created or updated, newest first, each in its own transaction.
async fn run_revert<C: TransactionTrait + ConnectionTrait>(db: &C, job: &customer_import::Model) -> AppResult<()> {
    let actor = importer(db, job).await?;
    let finished = job.finished_at.unwrap_or_else(now);
    let pending = customer_import_row::Entity::find()
        .filter(customer_import_row::Column::ImportId.eq(job.id))
        .filter(customer_import_row::Column::Outcome.is_in(["created", "updated"]))
        .filter(customer_import_row::Column::RevertNote.is_null())
        .order_by_desc(customer_import_row::Column::Line)
        .all(db)
        .await?;
    // Customers this revert already changed: a later (earlier-line) row of the same customer
    // is undone on top of that change.
    let mut touched = std::collections::HashSet::new();
    for row in pending {
        let txn = begin_write(db).await?;
        let (undone, note) = revert_row(&txn, &actor, &row, finished, &touched).await?;
        if let Some(id) = row.customer_id {
            touched.insert(id);
        }
        customer_import_row::Entity::update_many()
            .col_expr(customer_import_row::Column::RevertNote, Expr::value(note))
            .filter(customer_import_row::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
        let counter = if undone {
            customer_import::Column::RevertedCount
        } else {
            customer_import::Column::KeptCount
        };
        customer_import::Entity::update_many()
            .col_expr(counter, Expr::col(counter).add(1))
            .col_expr(customer_import::Column::HeartbeatAt, Expr::value(now()))
            .filter(customer_import::Column::Id.eq(job.id))
            .exec(&txn)
            .await?;
        txn.commit().await?;
    }
    finish(db, job.id, "reverted", customer_import::Column::RevertedAt).await
}

/// Undoes one row unless the customer changed after the import: (undone, what happened).
async fn revert_row<C: TransactionTrait + ConnectionTrait>(
    txn: &C,
    actor: &Actor,
    row: &customer_import_row::Model,
    finished: chrono::DateTime<chrono::Utc>,
    touched: &std::collections::HashSet<i32>,
) -> AppResult<(bool, String)> {
    let Some(id) = row.customer_id else {
        return Ok((false, "Nothing to undo.".into()));
    };
    let Some(current) = customer::Entity::find_by_id(id).one(txn).await? else {
        return Ok((false, "Already deleted since the import.".into()));
    };
    if current.updated_at > finished && !touched.contains(&id) {
        return Ok((false, "Kept: edited after the import.".into()));
    }
    if row.outcome == "created" {
        let used = interaction::Entity::find().filter(interaction::Column::CustomerId.eq(id)).count(txn).await?
            + follow_up::Entity::find().filter(follow_up::Column::CustomerId.eq(id)).count(txn).await?
            + contact::Entity::find().filter(contact::Column::CustomerId.eq(id)).count(txn).await?;
        if used > 0 {
            return Ok((false, "Kept: it has interactions, follow-ups or contacts added after the import.".into()));
        }
        return Ok(match customers::delete(txn, actor, id).await {
            Ok(()) => (true, "Deleted.".into()),
            Err(AppError::Forbidden | AppError::NotFound) => (false, "Kept: you may no longer delete it.".into()),
            Err(e) => return Err(e),
        });
    }
    let Some(before) = row.before.as_deref().and_then(|b| serde_json::from_str::<CustomerForm>(b).ok()) else {
        return Ok((false, "Kept: its earlier values were not recorded.".into()));
    };
    Ok(match customers::update(txn, actor, id, &before, true).await {
        Ok(_) => (true, "Restored the values it had before the import.".into()),
        Err(AppError::Forbidden | AppError::NotFound) => (false, "Kept: you may no longer edit it.".into()),
        Err(e @ (AppError::Validation { .. } | AppError::Conflict(_))) => {
            (false, format!("Kept: its earlier values are no longer valid: {}", validation_summary(&e)))
        }
        Err(e) => return Err(e),
    })
}

fn validation_summary(e: &AppError) -> String {
    match e {
        AppError::Validation { fields, .. } => fields.values().cloned().collect::<Vec<_>>().join(" "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decode_takes_utf8_with_or_without_bom_and_utf16_with_bom() {
        assert_eq!(decode(b"Name\nA\xc3\xa9").unwrap(), "Name\nAé");
        assert_eq!(decode(b"\xef\xbb\xbfName\nB").unwrap(), "Name\nB");
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Name\nÇa".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16).unwrap(), "Name\nÇa");
    }

    #[test]
    fn decode_explains_what_is_wrong_with_a_file() {
        let latin1 = decode(b"Name\nOK\nCaf\xe9").unwrap_err();
        assert!(latin1.contains("not UTF-8") && latin1.contains("line 3"), "{latin1}");
        let binary = decode(b"PK\x03\x04\x00\x00\xff\xfe\x00").unwrap_err();
        assert!(binary.contains("binary data"), "{binary}");
        assert!(decode(b"\n \r\n").unwrap_err().contains("empty"));
    }

    #[test]
    fn parse_finds_the_separator_skips_blank_rows_and_numbers_lines() {
        let t = parse("Name;Email\n\"Smith; Jones\";a@example.org\n;\n\"Multi\nline\";b@example.org\n", 10).unwrap();
        assert_eq!(t.headers, vec!["Name", "Email"]);
        assert_eq!(t.rows[0], (2, vec!["Smith; Jones".to_string(), "a@example.org".to_string()]));
        assert_eq!(t.rows[1].0, 4);
        assert_eq!(t.rows[1].1[0], "Multi\nline");
        let tabs = parse("Name\tPhone\nA\t123\n", 10).unwrap();
        assert_eq!(tabs.rows[0].1, vec!["A", "123"]);
    }

    #[test]
    fn parse_keeps_ragged_rows_and_refuses_files_without_rows_or_too_many() {
        let t = parse("Name,Email\nA\nB,b@example.org,extra\n", 10).unwrap();
        assert_eq!(t.rows[0].1.len(), 1);
        assert_eq!(t.rows[1].1.len(), 3);
        assert!(parse("Name,Email\n", 10).unwrap_err().contains("no customers"));
        assert!(parse("Name\nA\nB\nC\n", 2).unwrap_err().contains("more than 2"));
        let blank_header = parse("Name,,Email\nA,x,a@example.org\n", 10).unwrap();
        assert_eq!(blank_header.headers[1], "Column 2");
    }

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
