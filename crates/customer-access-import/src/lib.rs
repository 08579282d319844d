//! Read the contacts to import into customer-access from CSV or JSON Lines, one row at a time.
//!
//! A [`RowReader`] turns a file into [`ImportRow`]s for
//! [`AccessService::importer`](customer_access::AccessService::importer), each with its line
//! number, so memory stays flat however large the file. A row that cannot be read (a missing
//! field, invalid JSON, a login flag that is neither true nor false) is a [`RowProblem`] for
//! that line, and reading goes on; only a failing reader or a CSV header that names the wrong
//! columns ends it ([`ReadError`]).
//!
//! Problems never quote the row: a message may reach a log, and a row holds a password hash.
//!
//! ```
//! use customer_access_import::RowReader;
//!
//! let file = "external_id,retailer_external_id,retailer_name,username,email,display_name,login_enabled,password_hash\n\
//!             C-1,R-1,Corner Shop,ana,ana@example.com,Ana,true,\n\
//!             C-2,R-1,Corner Shop,bob,bob@example.com,Bob,maybe,\n";
//! let rows: Vec<_> = RowReader::csv(file.as_bytes()).unwrap().collect::<Result<_, _>>().unwrap();
//! assert_eq!(rows[0].line, 2);
//! assert_eq!(rows[0].row.as_ref().unwrap().username, "ana");
//! assert!(rows[1].row.is_err(), "line 3: login_enabled is neither true nor false");
//! ```
#![forbid(unsafe_code)]

mod csv_rows;
mod json_rows;

use std::io::Read;

pub use customer_access::import::ImportRow;

/// The longest row read, in bytes: a longer one is a [`RowProblem::TooLong`].
pub const MAX_ROW_BYTES: usize = 16 * 1024;

/// The columns of a CSV file (its header names them, in any order) and the fields of a JSON
/// Lines object. `password_hash` may be left out or empty.
pub const COLUMNS: [&str; 8] = [
    "external_id",
    "retailer_external_id",
    "retailer_name",
    "username",
    "email",
    "display_name",
    "login_enabled",
    "password_hash",
];

/// A file format an import reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// RFC 4180 CSV, UTF-8, a header row naming the [`COLUMNS`].
    Csv,
    /// One JSON object per line, with the [`COLUMNS`] as fields (`login_enabled` a boolean,
    /// `password_hash` a string or null).
    JsonLines,
}

/// One row read, with its line in the file (the first line is 1).
#[derive(Debug)]
pub struct ReadRow {
    /// The line the row starts on.
    pub line: u64,
    /// The row, or why it could not be read.
    pub row: Result<ImportRow, RowProblem>,
}

/// Why one row could not be read; the rows after it are still read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RowProblem {
    /// Longer than [`MAX_ROW_BYTES`].
    #[error("row longer than {MAX_ROW_BYTES} bytes")]
    TooLong,
    /// Not valid UTF-8.
    #[error("not valid UTF-8")]
    NotUtf8,
    /// A CSV row with another number of fields than the header.
    #[error("{found} fields where the header has {expected}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// `login_enabled` is not `true`, `false`, `1` or `0`.
    #[error("login_enabled must be true or false")]
    LoginEnabled,
    /// Not a JSON object with the expected fields (the column where it went wrong, never the
    /// text there).
    #[error("not a row object ({category} error at column {column})")]
    Json {
        /// `syntax`, `data` (a missing, unknown or mistyped field) or `eof`.
        category: &'static str,
        /// The column, from 1.
        column: usize,
    },
}

/// Why reading stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The underlying reader failed.
    #[error("could not read the file: {0}")]
    Io(#[from] std::io::Error),
    /// The CSV header does not name the [`COLUMNS`] (a missing one, an unknown or repeated one).
    #[error("the CSV header {0}")]
    Header(String),
}

/// The rows of one file, in order. An iterator of [`ReadRow`]s; it ends at the end of the
/// file or at the first [`ReadError`].
#[derive(Debug)]
pub struct RowReader<R: Read> {
    inner: Inner<R>,
    failed: bool,
}

#[derive(Debug)]
enum Inner<R: Read> {
    Csv(csv_rows::CsvRows<R>),
    Json(json_rows::JsonRows<R>),
}

impl<R: Read> RowReader<R> {
    /// Read `reader` as `format`.
    ///
    /// # Errors
    /// For CSV, [`ReadError`] when the header cannot be read or does not name the columns.
    pub fn new(format: Format, reader: R) -> Result<Self, ReadError> {
        match format {
            Format::Csv => Self::csv(reader),
            Format::JsonLines => Ok(Self::json_lines(reader)),
        }
    }

    /// Read CSV: the header first, checked at once.
    ///
    /// # Errors
    /// [`ReadError`] when the header cannot be read or does not name the columns.
    pub fn csv(reader: R) -> Result<Self, ReadError> {
        Ok(Self { inner: Inner::Csv(csv_rows::CsvRows::new(reader)?), failed: false })
    }

    /// Read JSON Lines (blank lines are skipped).
    pub fn json_lines(reader: R) -> Self {
        Self { inner: Inner::Json(json_rows::JsonRows::new(reader)), failed: false }
    }
}

impl<R: Read> Iterator for RowReader<R> {
    type Item = Result<ReadRow, ReadError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let next = match &mut self.inner {
            Inner::Csv(rows) => rows.next_row(),
            Inner::Json(rows) => rows.next_row(),
        };
        match next {
            Ok(row) => row.map(Ok),
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// `login_enabled` as CSV writes it.
fn parse_flag(text: &str) -> Result<bool, RowProblem> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(RowProblem::LoginEnabled),
    }
}
