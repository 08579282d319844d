//! CSV rows: a header naming the columns in any order, then one record per row (quoted
//! fields may span lines; a row's line is the one it starts on).

use std::io::Read;

use csv::{ByteRecord, ReaderBuilder};
use customer_access::secrecy::SecretString;

use crate::{COLUMNS, ImportRow, MAX_ROW_BYTES, ReadError, ReadRow, RowProblem, parse_flag};

/// Columns every row must have; `password_hash` (the last) may be missing from the header.
const REQUIRED: usize = COLUMNS.len() - 1;

#[derive(Debug)]
pub(crate) struct CsvRows<R: Read> {
    reader: csv::Reader<R>,
    record: ByteRecord,
    /// Where each of [`COLUMNS`] is in a record.
    index: [Option<usize>; COLUMNS.len()],
    /// Fields in the header.
    width: usize,
}

impl<R: Read> CsvRows<R> {
    pub(crate) fn new(reader: R) -> Result<Self, ReadError> {
        // Flexible: a row with the wrong number of fields is that row's problem, not the end.
        let mut reader = ReaderBuilder::new().has_headers(true).flexible(true).from_reader(reader);
        let header = reader.byte_headers().map_err(csv_error)?.clone();
        let mut index = [None; COLUMNS.len()];
        for (position, name) in header.iter().enumerate() {
            let name = std::str::from_utf8(name).map_err(|_| ReadError::Header("is not UTF-8".into()))?.trim();
            let column = COLUMNS
                .iter()
                .position(|c| *c == name)
                .ok_or_else(|| ReadError::Header(format!("names an unknown column {name:?}")))?;
            if index[column].replace(position).is_some() {
                return Err(ReadError::Header(format!("names {name:?} twice")));
            }
        }
        if let Some(missing) = COLUMNS[..REQUIRED].iter().zip(&index).find(|(_, at)| at.is_none()) {
            return Err(ReadError::Header(format!("lacks the column {:?}", missing.0)));
        }
        Ok(Self { reader, record: ByteRecord::new(), index, width: header.len() })
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<ReadRow>, ReadError> {
        if !self.reader.read_byte_record(&mut self.record).map_err(csv_error)? {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, csv::Position::line);
        Ok(Some(ReadRow { line, row: self.row() }))
    }

    fn row(&self) -> Result<ImportRow, RowProblem> {
        if self.record.as_slice().len() > MAX_ROW_BYTES {
            return Err(RowProblem::TooLong);
        }
        if self.record.len() != self.width {
            return Err(RowProblem::FieldCount { expected: self.width, found: self.record.len() });
        }
        let field = |column: usize| -> Result<&str, RowProblem> {
            let at = self.index[column].ok_or(RowProblem::FieldCount { expected: self.width, found: 0 })?;
            std::str::from_utf8(self.record.get(at).unwrap_or_default()).map_err(|_| RowProblem::NotUtf8)
        };
        let password_hash = match self.index[REQUIRED] {
            Some(_) => Some(field(REQUIRED)?).filter(|h| !h.is_empty()).map(|h| SecretString::from(h.to_owned())),
            None => None,
        };
        Ok(ImportRow {
            external_id: field(0)?.to_owned(),
            retailer_external_id: field(1)?.to_owned(),
            retailer_name: field(2)?.to_owned(),
            username: field(3)?.to_owned(),
            email: field(4)?.to_owned(),
            display_name: field(5)?.to_owned(),
            login_enabled: parse_flag(field(6)?)?,
            password_hash,
        })
    }
}

/// A CSV reader's failure: with byte records and flexible rows only I/O (or a malformed
/// header) can end reading.
fn csv_error(error: csv::Error) -> ReadError {
    match error.into_kind() {
        csv::ErrorKind::Io(io) => ReadError::Io(io),
        _ => ReadError::Header("could not be read".into()),
    }
}
