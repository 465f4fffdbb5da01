//! CSV import of customers, as the browser sees it.

use super::crm::Choice;
use crate::model::states::ImportStatus;
use serde::{Deserialize, Serialize};

/// The import modes: create only, or create and update (matched on email).
pub const IMPORT_MODES: [(&str, &str); 2] = [
    ("create", "Create new customers only; skip rows whose email already exists"),
    ("upsert", "Create new customers and update existing ones (matched on email)"),
];

/// What the results table lists.
pub const RESULT_FILTERS: [(&str, &str); 5] = [
    ("problems", "Skipped and failed"),
    ("created", "Created"),
    ("updated", "Updated"),
    ("reverted", "Revert notes"),
    ("all", "All rows"),
];

/// Rows a results page lists.
pub const RESULTS_PER_PAGE: u64 = 200;

/// One import in the list of recent imports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSummary {
    pub id: i32,
    pub file_name: String,
    pub status: ImportStatus,
    pub uploaded_by: String,
    pub created_at: String,
    pub row_count: i32,
    pub created: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
}

/// The upload page: the size limit and the imports this user can open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportsOverview {
    pub max_megabytes: u64,
    pub max_rows: u64,
    pub targets: Vec<Choice>,
    pub imports: Vec<ImportSummary>,
    /// Why the upload just made was refused, if it was.
    pub rejected: Option<String>,
}

/// A file row as the preview shows it: what would happen, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: i32,
    pub cells: Vec<String>,
    /// `create`, `update`, `skip` or `fail`.
    pub action: String,
    pub messages: Vec<String>,
}

/// What an import did with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowView {
    pub line: i32,
    pub outcome: String,
    pub customer_id: Option<i32>,
    pub customer_name: String,
    pub message: String,
    pub revert_note: Option<String>,
}

/// One import: its mapping while it can still change, a preview, its progress while it runs,
/// its results once it ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportView {
    pub id: i32,
    pub file_name: String,
    pub status: ImportStatus,
    pub mode: String,
    pub row_count: i32,
    pub processed: i32,
    pub created: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
    pub reverted: i32,
    pub kept: i32,
    pub error: Option<String>,
    pub uploaded_at: String,
    pub finished_at: Option<String>,
    pub headers: Vec<String>,
    /// One target per column ("" = ignored).
    pub mapping: Vec<String>,
    pub targets: Vec<Choice>,
    pub preview: Vec<PreviewRow>,
    /// Rows of the preview that would fail, out of every row of the file.
    pub preview_failures: u64,
    /// Required custom fields no column goes into: every new customer would fail.
    pub missing_required: Vec<String>,
    pub results: Vec<ImportRowView>,
    pub results_total: u64,
    pub show: String,
    pub can_revert: bool,
}

impl ImportView {
    /// True while the mapping can still change (before the import starts).
    pub fn is_draft(&self) -> bool {
        self.status == ImportStatus::Uploaded
    }

    /// True while the background run (or its revert) has work left.
    pub fn is_busy(&self) -> bool {
        self.status.is_busy()
    }

    /// How far the run (or the revert) is, in percent.
    pub fn percent(&self) -> i32 {
        let (done, total) = if self.status.is_revert() {
            (self.reverted + self.kept, self.created + self.updated)
        } else {
            (self.processed, self.row_count)
        };
        if total <= 0 {
            100
        } else {
            (i64::from(done) * 100 / i64::from(total)).clamp(0, 100) as i32
        }
    }
}

