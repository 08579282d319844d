//! The readers of import files (CSV and JSON Lines, untrusted: exported from another system):
//! never panic, end only on a header problem, number lines increasingly, and never give a
//! row beyond the row size limit.
#![no_main]

use customer_access_import::{MAX_ROW_BYTES, RowReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (csv, json) = (RowReader::csv(data), RowReader::json_lines(data));
    let readers = csv.into_iter().map(|r| Box::new(r) as Box<dyn Iterator<Item = _>>);
    for reader in readers.chain([Box::new(json) as Box<dyn Iterator<Item = _>>]) {
        let mut last = 0;
        for read in reader {
            let read = read.expect("reading bytes in memory never fails");
            assert!(read.line > last, "lines increase: {} after {last}", read.line);
            last = read.line;
            if let Ok(row) = read.row {
                let size = row.external_id.len() + row.username.len() + row.email.len() + row.display_name.len();
                assert!(size <= MAX_ROW_BYTES, "a row within the limit");
            }
        }
    }
});
