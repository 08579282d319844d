//! The readers of import files (CSV and JSON Lines, untrusted: exported from another system):
//! never panic, end only on a header problem, number lines increasingly, and never give a
//! row beyond the row size limit.
#![no_main]

use customer_access_import::{MAX_ROW_BYTES, ReadError, ReadRow, RowReader};
use libfuzzer_sys::fuzz_target;

fn check(rows: impl Iterator<Item = Result<ReadRow, ReadError>>) {
    let mut last = 0;
    for read in rows {
        let read = read.expect("reading bytes in memory never fails after the header");
        assert!(read.line > last, "lines increase: {} after {last}", read.line);
        last = read.line;
        if let Ok(row) = read.row {
            let size = row.external_id.len() + row.username.len() + row.email.len() + row.display_name.len();
            assert!(size <= MAX_ROW_BYTES, "a row within the limit");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(rows) = RowReader::csv(data) {
        check(rows);
    }
    check(RowReader::json_lines(data));
});
