//! Reading an uploaded file: its encoding, its separator, and its rows as a table.

use super::MAX_COLUMNS;

/// A header or value reduced to lower-case letters and digits, for matching.
pub(super) fn simplify(s: &str) -> String {
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

}
