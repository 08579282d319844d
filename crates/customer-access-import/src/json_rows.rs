//! JSON Lines rows: one object per line, read with a bounded buffer that is wiped before it
//! is reused (a line holds a password hash).

use std::io::{BufRead, BufReader, Read};

use customer_access::secrecy::SecretString;
use serde::Deserialize;
use zeroize::{Zeroize, Zeroizing};

use crate::{ImportRow, MAX_ROW_BYTES, ReadError, ReadRow, RowProblem};

#[derive(Debug)]
pub(crate) struct JsonRows<R: Read> {
    reader: BufReader<R>,
    line: Zeroizing<Vec<u8>>,
    number: u64,
}

/// A row object: every field but `password_hash` required, no other field allowed (a typo
/// in a field name is an error, not a silently missing value).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JsonRow {
    external_id: String,
    retailer_external_id: String,
    retailer_name: String,
    username: String,
    email: String,
    display_name: String,
    login_enabled: bool,
    #[serde(default)]
    password_hash: Option<String>,
}

impl<R: Read> JsonRows<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self { reader: BufReader::new(reader), line: Zeroizing::new(Vec::new()), number: 0 }
    }

    pub(crate) fn next_row(&mut self) -> Result<Option<ReadRow>, ReadError> {
        loop {
            self.line.zeroize();
            let limit = u64::try_from(MAX_ROW_BYTES).unwrap_or(u64::MAX) + 1;
            if (&mut self.reader).take(limit).read_until(b'\n', &mut self.line)? == 0 {
                return Ok(None);
            }
            self.number += 1;
            if self.line.len() > MAX_ROW_BYTES && !self.line.ends_with(b"\n") {
                self.skip_rest_of_line()?;
                return Ok(Some(ReadRow { line: self.number, row: Err(RowProblem::TooLong) }));
            }
            if self.line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(ReadRow { line: self.number, row: parse(&self.line) }));
        }
    }

    /// Read past the end of an over-long line, keeping nothing of it.
    fn skip_rest_of_line(&mut self) -> Result<(), ReadError> {
        loop {
            let buffered = self.reader.fill_buf()?;
            if buffered.is_empty() {
                return Ok(());
            }
            match buffered.iter().position(|b| *b == b'\n') {
                Some(end) => {
                    self.reader.consume(end + 1);
                    return Ok(());
                }
                None => {
                    let all = buffered.len();
                    self.reader.consume(all);
                }
            }
        }
    }
}

fn parse(line: &[u8]) -> Result<ImportRow, RowProblem> {
    let text = std::str::from_utf8(line).map_err(|_| RowProblem::NotUtf8)?;
    let row: JsonRow = serde_json::from_str(text).map_err(|e| RowProblem::Json {
        category: match e.classify() {
            serde_json::error::Category::Syntax => "syntax",
            serde_json::error::Category::Eof => "eof",
            _ => "data",
        },
        column: e.column(),
    })?;
    Ok(ImportRow {
        external_id: row.external_id,
        retailer_external_id: row.retailer_external_id,
        retailer_name: row.retailer_name,
        username: row.username,
        email: row.email,
        display_name: row.display_name,
        login_enabled: row.login_enabled,
        password_hash: row.password_hash.filter(|h| !h.is_empty()).map(SecretString::from),
    })
}
