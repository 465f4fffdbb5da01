//! CSV import of customers. An upload is checked (size, encoding, shape) and kept with a guessed
//! column mapping; the user corrects the mapping against a preview of the first rows with each
//! row's errors, picks create-only or create-and-update (matched on email), and starts it. A
//! background worker then runs it row by row, each row in its own transaction together with its
//! result and the import's progress, so a crash resumes where it stopped. The whole import can be
//! reverted: created customers are deleted and updated ones get their old values back, unless
//! someone changed them since.

mod mapping;
mod parse;
mod worker;

pub use mapping::save_mapping;
pub use parse::{decode, Table, parse};
pub use worker::{work, work_while};

use crate::model::states::ImportStatus;
use crate::error::{AppError, AppResult};
use crate::model::crm::Choice;
use crate::model::imports::{
    ImportRowView, ImportSummary, ImportView, ImportsOverview, PreviewRow, RESULT_FILTERS,
    RESULTS_PER_PAGE,
};
use crate::server::entities::{customer_import, customer_import_row};
use crate::server::services::platform::access::Actor;
use crate::server::services::{platform::{now, times}, crm::{customers, fields}};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use mapping::{Lookups, Plan, guess_mapping, messages, plan, targets};

/// Rows the preview shows.
pub const PREVIEW_ROWS: usize = 20;
/// Columns a file may have.
pub const MAX_COLUMNS: usize = 200;
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
            (text, table.rows.len() as i32, json(&table.headers)?, json(&mapping)?, ImportStatus::Uploaded, None)
        }
        Err(reason) => (String::new(), 0, "[]".into(), "[]".into(), ImportStatus::Rejected, Some(reason)),
    };
    Ok(customer_import::ActiveModel {
        user_id: Set(actor.id),
        file_name: Set(if name.trim().is_empty() { "upload.csv".into() } else { name }),
        content: Set(content),
        row_count: Set(rows),
        headers: Set(headers),
        mapping: Set(mapping),
        mode: Set("create".into()),
        status: Set(status),
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
        lease_token: Set(None),
        lease_until: Set(None),
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
        Some(id) => visible_import(db, actor, id).await.ok().filter(|i| i.status == ImportStatus::Rejected).and_then(|i| i.error),
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
    type Row = (i32, i32, String, ImportStatus, chrono::DateTime<chrono::Utc>, i32, i32, i32, i32, i32);
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

/// Queues the revert of a finished import.
pub async fn revert<C: ConnectionTrait>(db: &C, actor: &Actor, id: i32) -> AppResult<()> {
    let import = visible_import(db, actor, id).await?;
    if import.status != ImportStatus::Done {
        return Err(AppError::Conflict("Only a finished import can be reverted, and only once.".into()));
    }
    customer_import::Entity::update_many()
        .col_expr(customer_import::Column::Status, Expr::value(ImportStatus::RevertQueued))
        .filter(customer_import::Column::Id.eq(id))
        .filter(customer_import::Column::Status.eq(ImportStatus::Done))
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
    if import.status == ImportStatus::Uploaded {
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
        can_revert: import.status == ImportStatus::Done && import.created_count + import.updated_count > 0,
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
