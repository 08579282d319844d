//! Reading import files: every row with its line, bad rows reported and skipped, the header
//! checked at once, nothing of a row quoted in a problem, and any row written by a standard
//! CSV or JSON writer read back exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use customer_access::secrecy::ExposeSecret;
use customer_access_import::{ImportRow, MAX_ROW_BYTES, ReadError, ReadRow, RowProblem, RowReader};
use proptest::prelude::*;

const HEADER: &str =
    "external_id,retailer_external_id,retailer_name,username,email,display_name,login_enabled,password_hash";
const HASH: &str = "$2b$05$AFY/f.q27nomBYI4.icG3.Ld5jxVKY9W8zfxMe7h/FPbLfdTKtCiq";

fn read_csv(text: &str) -> Vec<ReadRow> {
    RowReader::csv(text.as_bytes()).unwrap().collect::<Result<_, _>>().unwrap()
}

fn read_jsonl(text: &str) -> Vec<ReadRow> {
    RowReader::json_lines(text.as_bytes()).collect::<Result<_, _>>().unwrap()
}

fn problems(rows: &[ReadRow]) -> Vec<(u64, RowProblem)> {
    rows.iter().filter_map(|r| r.row.as_ref().err().map(|p| (r.line, p.clone()))).collect()
}

#[test]
fn csv_rows_come_with_their_lines_and_bad_ones_are_skipped() {
    let text = format!(
        "{HEADER}\n\
         C-1,R-1,Corner Shop,ana,ana@example.com,Ana,true,{HASH}\n\
         C-2,R-1,Corner Shop,bob,bob@example.com,Bob,perhaps,\n\
         C-3,R-1,\"Shop, \"\"Main\"\"\nStreet\",cy,cy@example.com,Cy,0,\n\
         C-4,R-1,Corner Shop,dan\n\
         C-5,R-1,Corner Shop,eve,eve@example.com,Eve,1,\n"
    );
    let rows = read_csv(&text);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3, 4, 6, 7], "a quoted line break spans lines");
    assert_eq!(
        problems(&rows),
        vec![(3, RowProblem::LoginEnabled), (6, RowProblem::FieldCount { expected: 8, found: 4 })]
    );
    let ana = rows[0].row.as_ref().unwrap();
    assert_eq!(ana.password_hash.as_ref().unwrap().expose_secret(), HASH);
    let cy = rows[2].row.as_ref().unwrap();
    assert_eq!((cy.retailer_name.as_str(), cy.login_enabled), ("Shop, \"Main\"\nStreet", false));
    assert!(cy.password_hash.is_none(), "an empty hash is no hash");
    assert!(rows[4].row.as_ref().unwrap().login_enabled);
}

#[test]
fn csv_columns_in_any_order_and_the_hash_column_optional() {
    let text = "\u{feff}username,email,display_name,login_enabled,external_id,retailer_name,retailer_external_id\n\
                ana,ana@example.com,Ana,TRUE,C-1,Shop,R-1\n";
    let rows = read_csv(text);
    let ana = rows[0].row.as_ref().unwrap();
    assert_eq!(
        (ana.external_id.as_str(), ana.retailer_external_id.as_str(), ana.username.as_str()),
        ("C-1", "R-1", "ana")
    );
    assert!(ana.password_hash.is_none());
}

#[test]
fn a_header_naming_the_wrong_columns_ends_reading_at_once() {
    for (header, says) in [
        ("external_id,username", "lacks the column \"retailer_external_id\""),
        (&format!("{HEADER},pasword"), "unknown column \"pasword\""),
        (&format!("{HEADER},email"), "names \"email\" twice"),
    ] {
        let error = RowReader::csv(format!("{header}\n").as_bytes()).unwrap_err();
        assert!(matches!(&error, ReadError::Header(_)) && error.to_string().contains(says), "{header}: {error}");
    }
}

#[test]
fn non_utf8_and_overlong_rows_are_problems_of_their_line() {
    let mut text = format!("{HEADER}\n").into_bytes();
    text.extend_from_slice(b"C-1,R-1,Shop,\xff\xfe,a@example.com,A,true,\n");
    text.extend_from_slice(format!("C-2,R-1,Shop,bob,b@example.com,{},true,\n", "x".repeat(MAX_ROW_BYTES)).as_bytes());
    text.extend_from_slice(b"C-3,R-1,Shop,cyd,c@example.com,C,true,\n");
    let rows: Vec<ReadRow> = RowReader::csv(&text[..]).unwrap().collect::<Result<_, _>>().unwrap();
    assert_eq!(problems(&rows), vec![(2, RowProblem::NotUtf8), (3, RowProblem::TooLong)]);
    assert_eq!(rows[2].row.as_ref().unwrap().username, "cyd");
}

#[test]
fn json_lines_rows_problems_and_blank_lines() {
    let ana = format!(
        r#"{{"external_id":"C-1","retailer_external_id":"R-1","retailer_name":"Shop","username":"ana","email":"a@example.com","display_name":"Ana","login_enabled":true,"password_hash":"{HASH}"}}"#
    );
    let bad_flag = format!(
        r#"{{"external_id":"C-2","retailer_external_id":"R-1","retailer_name":"Shop","username":"bob","email":"b@example.com","display_name":"Bob","login_enabled":"{HASH}"}}"#
    );
    let unknown = r#"{"external_id":"C-3","retailer_external_id":"R-1","retailer_name":"Shop","username":"cyd","email":"c@example.com","display_name":"C","login_enabled":false,"pasword":"x"}"#;
    let long = format!(r#"{{"external_id":"{}"}}"#, "x".repeat(MAX_ROW_BYTES));
    let no_hash = r#"{"external_id":"C-5","retailer_external_id":"R-1","retailer_name":"Shop","username":"eve","email":"e@example.com","display_name":"E","login_enabled":false,"password_hash":null}"#;
    let text = format!("{ana}\n\n   \n{bad_flag}\n{unknown}\n{{not json\n{long}\n{no_hash}");
    let rows = read_jsonl(&text);
    assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 4, 5, 6, 7, 8]);
    let found = problems(&rows);
    assert_eq!(found.iter().map(|(l, _)| *l).collect::<Vec<_>>(), vec![4, 5, 6, 7]);
    assert!(matches!(found[0].1, RowProblem::Json { category: "data", .. }));
    assert!(matches!(found[2].1, RowProblem::Json { category: "syntax", .. }));
    assert_eq!(found[3].1, RowProblem::TooLong);
    for (_, problem) in &found {
        assert!(!problem.to_string().contains("AFY/f"), "a problem never quotes the row: {problem}");
    }
    assert_eq!(rows[0].row.as_ref().unwrap().password_hash.as_ref().unwrap().expose_secret(), HASH);
    assert!(rows[5].row.as_ref().unwrap().password_hash.is_none());
}

/// Any text a field may hold (commas, quotes, line breaks, non-ASCII), but not NUL, which a
/// CSV writer writes as is and a reader keeps: still read back exactly.
fn field() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[^\\x00]{0,24}").unwrap()
}

fn any_row() -> impl Strategy<Value = ImportRow> {
    (field(), field(), field(), field(), field(), field(), any::<bool>(), proptest::option::of("[!-~]{1,40}")).prop_map(
        |(external_id, retailer_external_id, retailer_name, username, email, display_name, login_enabled, hash)| {
            ImportRow {
                external_id,
                retailer_external_id,
                retailer_name,
                username,
                email,
                display_name,
                login_enabled,
                password_hash: hash.map(Into::into),
            }
        },
    )
}

fn fields(row: &ImportRow) -> Vec<String> {
    vec![
        row.external_id.clone(),
        row.retailer_external_id.clone(),
        row.retailer_name.clone(),
        row.username.clone(),
        row.email.clone(),
        row.display_name.clone(),
        row.login_enabled.to_string(),
        row.password_hash.as_ref().map(|h| h.expose_secret().to_owned()).unwrap_or_default(),
    ]
}

fn same(a: &ImportRow, b: &ImportRow) -> bool {
    fields(a) == fields(b)
}

proptest! {
    #[test]
    fn what_a_csv_writer_writes_is_read_back(rows in proptest::collection::vec(any_row(), 1..8)) {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(HEADER.split(',')).unwrap();
        for row in &rows {
            writer.write_record(fields(row)).unwrap();
        }
        let text = writer.into_inner().unwrap();
        let read: Vec<ReadRow> = RowReader::csv(&text[..]).unwrap().collect::<Result<_, _>>().unwrap();
        prop_assert_eq!(read.len(), rows.len());
        for (got, want) in read.iter().zip(&rows) {
            let got = got.row.as_ref().unwrap();
            prop_assert!(same(got, want), "{:?} != {:?}", fields(got), fields(want));
        }
    }

    #[test]
    fn what_a_json_writer_writes_is_read_back(rows in proptest::collection::vec(any_row(), 1..8)) {
        let mut text = String::new();
        for row in &rows {
            let object = serde_json::json!({
                "external_id": row.external_id, "retailer_external_id": row.retailer_external_id,
                "retailer_name": row.retailer_name, "username": row.username, "email": row.email,
                "display_name": row.display_name, "login_enabled": row.login_enabled,
                "password_hash": row.password_hash.as_ref().map(|h| h.expose_secret().to_owned()),
            });
            text.push_str(&object.to_string());
            text.push('\n');
        }
        let read = read_jsonl(&text);
        prop_assert_eq!(read.len(), rows.len());
        for (i, (got, want)) in read.iter().zip(&rows).enumerate() {
            prop_assert_eq!(got.line, i as u64 + 1);
            let got = got.row.as_ref().unwrap();
            prop_assert!(same(got, want), "{:?} != {:?}", fields(got), fields(want));
        }
    }
}
