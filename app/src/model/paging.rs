//! Page numbers from URLs and API calls, bounded before they reach the database: a page far
//! past the end would otherwise overflow the offset (and sea-query's binding) on its way there.

use crate::error::AppError;

/// The highest page any list serves (with 200 rows a page: 20 million rows).
pub const MAX_PAGE: u64 = 100_000;

/// `page` (1-based; 0, what a query without a page holds, is page 1) if it is at most
/// `MAX_PAGE`, else a validation error on `page` whose message (what a page's error alert
/// shows) says so.
pub fn check_page(page: u64) -> Result<u64, AppError> {
    if page <= MAX_PAGE {
        return Ok(page.max(1));
    }
    let message = format!("There is no page {page}: use a page number from 1 to {MAX_PAGE}.");
    Err(AppError::Validation {
        message: message.clone(),
        fields: [("page".to_string(), message)].into(),
        values: Default::default(),
    })
}

/// The row offset of 1-based `page` (already checked) with `per_page` rows.
pub fn offset(page: u64, per_page: u64) -> u64 {
    page.saturating_sub(1).saturating_mul(per_page)
}

/// How many rows each of "My day"'s lists (follow-ups, steps) shows a page.
pub const MY_DAY_PER_PAGE: u64 = 20;

/// How far "My day" counts each of its lists on its first pages: beyond it the page says
/// "200 or more". Each count reads at most this many index entries, so it costs the same
/// however many open steps and follow-ups there are.
pub const MY_DAY_COUNT_CAP: u64 = 200;

/// How far the customer list and the run list count their matches on their first pages:
/// beyond it the page says "10000 or more". An exact count of every match costs a read of
/// every match (61 ms for 200,000 of a million customers on PostgreSQL); this one reads at
/// most this many index entries.
pub const LIST_COUNT_CAP: u64 = 10_000;

/// How far to count a list for `page` (already checked) with `per_page` rows: at least
/// `at_least` (`MY_DAY_COUNT_CAP`, `LIST_COUNT_CAP`), and one row past the page, so that a
/// list longer than the cap always has a next page to go on to.
pub fn count_cap(at_least: u64, page: u64, per_page: u64) -> u64 {
    at_least.max(offset(page, per_page).saturating_add(per_page).saturating_add(1))
}

/// A count taken no further than `cap` (`count_up_to`), as a list shows it: the total, at most
/// `cap`, and whether counting stopped there (there are at least that many).
pub fn capped_count(total: u64, cap: u64) -> (u64, bool) {
    (total.min(cap), total >= cap)
}

/// One page of a longer list: its rows, how many there are in all, and where this page is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub total: u64,
    /// Whether counting stopped at `total`: there are at least that many.
    pub capped: bool,
    pub page: u64,
    pub per_page: u64,
}

impl<T> Paged<T> {
    /// A page whose `total` was counted no further than `cap` (beyond it, `capped`).
    pub fn counted(rows: Vec<T>, total: u64, cap: u64, page: u64, per_page: u64) -> Self {
        let (total, capped) = capped_count(total, cap);
        Paged { rows, total, capped, page, per_page }
    }

    /// How many pages the list has (at least one, even when it is empty).
    pub fn pages(&self) -> u64 {
        self.total.div_ceil(self.per_page.max(1)).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_past_the_bound_are_refused_with_a_message_on_page() {
        assert_eq!(check_page(0), Ok(1), "no page given");
        assert_eq!(check_page(1), Ok(1));
        assert_eq!(check_page(MAX_PAGE), Ok(MAX_PAGE));
        for bad in [MAX_PAGE + 1, 400_000_000_000_000_000, u64::MAX] {
            let err = check_page(bad).unwrap_err();
            assert!(err.field_error("page").is_some(), "{bad}");
        }
        assert_eq!(offset(3, 25), 50);
    }

    #[test]
    fn counting_goes_one_row_past_the_page_beyond_the_cap() {
        let first = MY_DAY_COUNT_CAP / MY_DAY_PER_PAGE;
        assert_eq!(count_cap(MY_DAY_COUNT_CAP, 1, MY_DAY_PER_PAGE), MY_DAY_COUNT_CAP);
        assert_eq!(count_cap(MY_DAY_COUNT_CAP, first, MY_DAY_PER_PAGE), MY_DAY_COUNT_CAP + 1, "the cap's last page still sees a next one");
        let deep = count_cap(MY_DAY_COUNT_CAP, first + 5, MY_DAY_PER_PAGE);
        assert_eq!(deep, (first + 5) * MY_DAY_PER_PAGE + 1);
        // A list counted to the cap on a deep page has pages past it.
        let paged: Paged<()> = Paged::counted(Vec::new(), deep, deep, first + 5, MY_DAY_PER_PAGE);
        assert!(paged.capped && paged.pages() > first + 5, "{paged:?}");
        assert_eq!(count_cap(LIST_COUNT_CAP, MAX_PAGE, 200), (MAX_PAGE - 1) * 200 + 201);
    }
}
