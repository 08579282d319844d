//! `import` and `invite-imported`: a store opened for writing (created and migrated if
//! needed), the service over it, and the rows of a file fed through it.

use std::fmt;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;
use std::time::{Duration, Instant};

use customer_access::hashing::Peppers;
use customer_access::import::{ImportReport, RowOutcome};
use customer_access::mailer::{MailError, MailErrorKind, OutgoingMessage};
use customer_access::secrecy::SecretSlice;
use customer_access::{
    AccessService, BoxMailer, BoxStore, Mailer, SecurityPolicy, ServiceError, Staff, StaffId, SystemClock,
};
use customer_access_import::{Format, RowReader};
use customer_access_smtp::{Sender, SmtpConfig, SmtpMailer};

use crate::args::{ImportFileArgs, MailArgs, OptionalMailArgs, PepperArgs, PolicyArgs};
use crate::store::{Target, Unreadable};

/// Rows between two progress lines.
const PROGRESS_EVERY: u64 = 10_000;
/// Failed invitations in a row after which the mail server is taken to be down.
const MAX_FAILURES_IN_A_ROW: u32 = 10;

type Service = AccessService<BoxStore, BoxMailer, SystemClock>;

/// How a write command ended.
pub(crate) enum Finished {
    /// Every row imported, every invitation sent.
    Complete,
    /// Some rows refused, some invitations failed.
    Partial,
}

/// A mailer for imports run without `--smtp`: every send fails, so an e-mail change, whose
/// previous address must be told, is undone and its row reported.
#[derive(Debug)]
struct NoMailServer;

#[derive(Debug, thiserror::Error)]
#[error("no mail server given (--smtp)")]
struct NoMailServerGiven;

impl Mailer for NoMailServer {
    async fn send(&self, _message: &OutgoingMessage) -> Result<(), MailError> {
        Err(MailError::with_source(MailErrorKind::Permanent, NoMailServerGiven))
    }
}

/// `customer-access import`.
#[allow(clippy::disallowed_methods, reason = "progress lines report the tool's own wall-clock rate")]
pub(crate) async fn import(
    target: &Target,
    file: ImportFileArgs,
    staff_id: i64,
    policy: &PolicyArgs,
    pepper: PepperArgs,
    mail: OptionalMailArgs,
) -> Result<Finished, Unreadable> {
    let policy = read_policy(policy)?;
    let (path, format) = match (file.csv, file.jsonl) {
        (Some(path), None) => (path, Format::Csv),
        (None, Some(path)) => (path, Format::JsonLines),
        _ => return Err(Unreadable("name one file: --csv PATH or --jsonl PATH".into())),
    };
    let opened = File::open(&path).map_err(|e| Unreadable(format!("{}: {e}", path.display())))?;
    let rows =
        RowReader::new(format, BufReader::new(opened)).map_err(|e| Unreadable(format!("{}: {e}", path.display())))?;
    let mailer = match (mail.smtp, mail.from) {
        (Some(url), Some(from)) => smtp(&url, &from, &mail.from_name)?,
        _ => BoxMailer::new(NoMailServer),
    };
    let service = service(target, mailer, policy, peppers(&pepper)?).await?;
    let staff = Staff::SalesAdmin { staff_id: StaffId::new(staff_id) };
    let failed =
        |e: ServiceError| Unreadable(format!("{target}: import stopped: {e} (rows written so far stay; run again)"));
    let mut importer = service.importer(&staff).await.map_err(failed)?;
    let mut report = ImportReport::default();
    let started = Instant::now();
    let (mut read, mut unreadable) = (0u64, 0u64);
    for row in rows {
        let row = row.map_err(|e| Unreadable(format!("{}: {e}", path.display())))?;
        read += 1;
        let decided = match row.row {
            Ok(import_row) => importer.push(row.line, import_row).await.map_err(failed)?,
            Err(problem) => {
                println!("line {}: refused: cannot read the row: {problem}", row.line);
                unreadable += 1;
                Vec::new()
            }
        };
        tally(&mut report, decided);
        if read.is_multiple_of(PROGRESS_EVERY) {
            eprintln!("{read} rows read: {}", counts(&report, unreadable, started));
        }
    }
    tally(&mut report, importer.finish().await.map_err(failed)?);
    eprintln!("{read} rows read: {}", counts(&report, unreadable, started));
    Ok(if report.refused.is_empty() && unreadable == 0 { Finished::Complete } else { Finished::Partial })
}

/// Count `decided` in, printing each refused row at once.
fn tally(report: &mut ImportReport, decided: Vec<RowOutcome>) {
    for outcome in &decided {
        if let Err(refusal) = &outcome.result {
            println!("line {}: refused: {}: {refusal}", outcome.line, outcome.external_id);
        }
    }
    report.add(decided);
}

fn counts(report: &ImportReport, unreadable: u64, started: Instant) -> String {
    let done = report.created + report.updated + report.unchanged;
    let per_second = done as f64 / started.elapsed().as_secs_f64().max(0.001);
    format!(
        "{} created, {} updated, {} unchanged, {} refused ({per_second:.0} rows/s)",
        report.created,
        report.updated,
        report.unchanged,
        report.refused.len() as u64 + unreadable
    )
}

/// `customer-access invite-imported`.
#[allow(clippy::disallowed_methods, reason = "the throttle spaces sends by wall-clock time")]
pub(crate) async fn invite(
    target: &Target,
    staff_id: i64,
    policy: &PolicyArgs,
    per_minute: u32,
    mail: MailArgs,
) -> Result<Finished, Unreadable> {
    let policy = read_policy(policy)?;
    let mailer = smtp(&mail.smtp, &mail.from, &mail.from_name)?;
    let service = service(target, mailer, policy, Peppers::none()).await?;
    let staff = Staff::SalesAdmin { staff_id: StaffId::new(staff_id) };
    let failed = |e: ServiceError| Unreadable(format!("{target}: {e}"));
    let mut waiting = Vec::new();
    for retailer in service.manageable_retailers(&staff).await.map_err(failed)? {
        waiting.extend(service.uninvited_contacts(&staff, retailer.id).await.map_err(failed)?);
    }
    let total = waiting.len();
    eprintln!("{total} contacts to invite, at most {per_minute} per minute");
    let gap = Duration::from_secs(60) / per_minute;
    let (mut sent, mut skipped, mut failures, mut in_a_row) = (0usize, 0usize, 0usize, 0u32);
    for (done, contact) in waiting.iter().enumerate() {
        let started = Instant::now();
        match service.invite_imported(&staff, contact.id).await {
            Ok(true) => {
                sent += 1;
                in_a_row = 0;
            }
            Ok(false) => skipped += 1,
            Err(ServiceError::Delivery(e)) => {
                println!("contact {}: invitation not sent: {e}", contact.id);
                failures += 1;
                in_a_row += 1;
                if in_a_row >= MAX_FAILURES_IN_A_ROW {
                    return Err(Unreadable(format!("{in_a_row} invitations failed in a row: is the mail server up?")));
                }
            }
            Err(e) => return Err(failed(e)),
        }
        eprintln!("invited {sent} of {total} ({} done, {skipped} skipped, {failures} failed)", done + 1);
        if done + 1 < total {
            tokio::time::sleep(gap.saturating_sub(started.elapsed())).await;
        }
    }
    Ok(if failures == 0 { Finished::Complete } else { Finished::Partial })
}

/// The store named by `target`, opened for writing (created and migrated if needed), and the
/// service over it with `policy`.
async fn service(
    target: &Target,
    mailer: BoxMailer,
    policy: SecurityPolicy,
    peppers: Peppers,
) -> Result<Service, Unreadable> {
    let store = match target {
        Target::Sqlite(path) => BoxStore::new(open_sqlite(path).await?),
        Target::Postgres { url, schema } => BoxStore::new(
            customer_access_postgres::connect(url, schema.clone())
                .await
                .map_err(|e| Unreadable(format!("{target}: {}", crate::store::describe(&e))))?,
        ),
    };
    AccessService::builder(store, mailer, SystemClock)
        .policy(policy)
        .peppers(peppers)
        .build()
        .map_err(|e| Unreadable(format!("configuration: {e}")))
}

async fn open_sqlite(path: &Path) -> Result<customer_access_sqlite::SqliteStore, Unreadable> {
    customer_access_sqlite::open(path)
        .await
        .map_err(|e| Unreadable(format!("{}: {}", path.display(), crate::store::describe(&e))))
}

/// The policy from `--policy`, checked, or the library's default.
fn read_policy(args: &PolicyArgs) -> Result<SecurityPolicy, Unreadable> {
    let Some(path) = &args.policy else { return Ok(SecurityPolicy::default()) };
    let text = std::fs::read(path).map_err(|e| Unreadable(format!("--policy {}: {e}", path.display())))?;
    let policy: SecurityPolicy =
        serde_json::from_slice(&text).map_err(|e| Unreadable(format!("--policy {}: {e}", path.display())))?;
    policy.check().map_err(|e| Unreadable(format!("--policy {}: {e}", path.display())))?;
    Ok(policy)
}

fn peppers(args: &PepperArgs) -> Result<Peppers, Unreadable> {
    let (Some(id), Some(path)) = (&args.pepper_id, &args.pepper_file) else { return Ok(Peppers::none()) };
    let key = std::fs::read(path).map_err(|e| Unreadable(format!("--pepper-file {}: {e}", path.display())))?;
    Peppers::current(id, SecretSlice::from(key)).map_err(|e| Unreadable(format!("--pepper-id: {e}")))
}

fn smtp(url: &str, from: &str, name: &str) -> Result<BoxMailer, Unreadable> {
    let config = SmtpConfig::from_url(url).map_err(|e| Unreadable(format!("--smtp: {e}")))?;
    let sender = Sender::new(from, name).map_err(|e| Unreadable(format!("--from: {e}")))?;
    let mailer = SmtpMailer::new(config, sender).map_err(|e| Unreadable(format!("--smtp: {e}")))?;
    Ok(BoxMailer::new(mailer))
}

impl fmt::Debug for Finished {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Complete => "complete",
            Self::Partial => "partial",
        })
    }
}
