//! `customer-access`: the command-line tool of customer-access.
//!
//! ```sh
//! customer-access audit verify --sqlite logins.db
//! customer-access audit verify --postgres postgres://app@db/shop --schema logins --anchor-file anchors.txt
//! customer-access audit anchor --sqlite logins.db >> anchors.txt
//! ```
//!
//! `audit verify` walks the audit log's hash chain and prints one line; its exit status is 0
//! when the chain is intact, 1 when it is broken (the oldest break is printed), and 2 on a
//! usage error or a database that cannot be opened or read. `audit anchor` prints the
//! chain's head as one line, to keep outside the database and give to `verify --anchor`
//! later. Databases are opened read-only, never created and never migrated (see `store`).
//!
//! ```sh
//! customer-access import --sqlite logins.db --csv contacts.csv --staff-id 1
//! customer-access invite-imported --sqlite logins.db --staff-id 1 --per-minute 120 \
//!     --smtp smtp://relay.internal --from logins@shop.example
//! ```
//!
//! `import` feeds a CSV or JSON Lines file through the library's importer (idempotent by
//! external id; refused rows printed with their line); `invite-imported` e-mails a first
//! temporary password to the imported contacts without one, throttled. Both open the store
//! for writing, creating and migrating it if needed (see `import`).
#![forbid(unsafe_code)]

mod args;
mod import;
mod store;

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use std::time::Duration;

use customer_access::{AnchorCheck, AuditAnchor, AuditBreak, AuditVerification, Clock, SystemClock, VerifyError};

use crate::args::{AnchorArgs, AuditCommand, Cli, Command, StoreArgs};
use crate::store::{Opened, Target, Unreadable, Walk, describe};

/// How a run ended, as the process's exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    /// The chain is intact (or the anchor was printed).
    Intact = 0,
    /// The chain is broken.
    Broken = 1,
    /// A usage error, or the database could not be opened or read.
    Failed = 2,
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> Self {
        ExitCode::from(status as u8)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    // Usage errors exit with status 2, `--help` and `--version` with 0 (clap's convention).
    let cli = Cli::parse();
    let status = match cli.command {
        Command::Audit(AuditCommand::Verify { store, anchor, retention_hours }) => {
            verify(store, anchor, Duration::from_secs(retention_hours.saturating_mul(3600))).await
        }
        Command::Audit(AuditCommand::Anchor { store }) => anchor(store).await,
        Command::Import { store, file, staff_id, policy, pepper, mail } => match target(store) {
            Ok(target) => import::import(&target, file, staff_id, &policy, pepper, mail).await.map(written),
            Err(e) => Err(e),
        },
        Command::InviteImported { store, staff_id, policy, per_minute, mail } => match target(store) {
            Ok(target) => import::invite(&target, staff_id, &policy, per_minute, mail).await.map(written),
            Err(e) => Err(e),
        },
    };
    status
        .unwrap_or_else(|e| {
            eprintln!("customer-access: {e}");
            Status::Failed
        })
        .into()
}

/// A write command's end as an exit status: 0 complete, 1 partial.
fn written(finished: import::Finished) -> Status {
    match finished {
        import::Finished::Complete => Status::Intact,
        import::Finished::Partial => Status::Broken,
    }
}

/// The store named by the arguments (clap has already refused every other combination).
fn target(args: StoreArgs) -> Result<Target, Unreadable> {
    match (args.sqlite, args.postgres, args.schema) {
        (Some(path), None, None) => Ok(Target::Sqlite(path)),
        (None, Some(url), Some(schema)) => Ok(Target::Postgres { url, schema }),
        _ => Err(Unreadable("name one store: --sqlite PATH, or --postgres URL --schema NAME".to_owned())),
    }
}

/// The anchor given with `--anchor`, or the last non-empty line of `--anchor-file`.
fn given_anchor(args: AnchorArgs) -> Result<Option<AuditAnchor>, Unreadable> {
    let Some(path) = args.anchor_file else { return Ok(args.anchor) };
    read_anchor_file(&path).map(Some)
}

fn read_anchor_file(path: &Path) -> Result<AuditAnchor, Unreadable> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| Unreadable(format!("--anchor-file {shown}: {e}")))?;
    let line = text
        .lines()
        .rfind(|l| !l.trim().is_empty())
        .ok_or_else(|| Unreadable(format!("--anchor-file {shown}: holds no anchor line")))?;
    line.parse().map_err(|e| Unreadable(format!("--anchor-file {shown}: last line is {e}")))
}

/// `audit verify`.
async fn verify(store: StoreArgs, anchor: AnchorArgs, retention: Duration) -> Result<Status, Unreadable> {
    let target = target(store)?;
    let anchor = given_anchor(anchor)?;
    let store = Opened::open(&target).await?;
    let walked = store.walk(anchor.as_ref()).await;
    let unchained = store.unchained().await;
    store.close().await;
    let verified = match walked.map_err(|e| unreadable(&target, &e))? {
        Walk::Intact(verified) => verified,
        Walk::Broken(at) => {
            println!("audit chain BROKEN: {at}");
            if let Ok(rows @ 1..) = unchained {
                println!("audit chain BROKEN: {}", outside_chain(rows));
            }
            return Ok(Status::Broken);
        }
    };
    match unchained.map_err(|e| unreadable_log(&target, &e))? {
        0 => {}
        rows => {
            println!("audit chain BROKEN: {}", outside_chain(rows));
            return Ok(Status::Broken);
        }
    }
    // Measured like retention measures: from the later of this clock and the newest event.
    let reference = verified.head_at.map_or(SystemClock.now(), |at| at.max(SystemClock.now()));
    if verified.base_at.is_some_and(|at| at > reference.minus(retention)) {
        let young = AuditBreak::BaseTooRecent { seq: verified.ends.base.seq };
        println!("audit chain BROKEN: {young} (younger than --retention-hours)");
        return Ok(Status::Broken);
    }
    println!("{}", summary(&verified, anchor.as_ref()));
    if verified.anchor == AnchorCheck::BeforeBase {
        eprintln!(
            "customer-access: warning: the anchor is older than the chain's base (retention removed its \
             event), so it proves nothing about the kept events; verify against a newer anchor"
        );
    }
    Ok(Status::Intact)
}

/// `audit anchor`: cut an anchor, then verify the chain against it, and print it only when
/// the chain is intact (an anchor on a broken chain would vouch for the break).
async fn anchor(store: StoreArgs) -> Result<Status, Unreadable> {
    let target = target(store)?;
    let store = Opened::open(&target).await?;
    let walked = async {
        let anchor = store.cut_anchor(SystemClock.now()).await?;
        Ok::<_, VerifyError>((anchor, store.walk(Some(&anchor)).await?))
    }
    .await;
    let unchained = store.unchained().await;
    store.close().await;
    // Only the anchor goes to standard output, so `>> anchors.txt` collects nothing else.
    let (anchor, verified) = match walked.map_err(|e| unreadable(&target, &e))? {
        (anchor, Walk::Intact(verified)) => (anchor, verified),
        (_, Walk::Broken(at)) => {
            eprintln!("audit chain BROKEN: {at}; no anchor cut");
            return Ok(Status::Broken);
        }
    };
    match unchained.map_err(|e| unreadable_log(&target, &e))? {
        0 => {}
        rows => {
            eprintln!("audit chain BROKEN: {}; no anchor cut", outside_chain(rows));
            return Ok(Status::Broken);
        }
    }
    println!("{anchor}");
    eprintln!(
        "audit chain intact: {} events checked, anchored at head {}; keep the line outside the database",
        verified.events, anchor.link.seq
    );
    Ok(Status::Intact)
}

/// The audit log of `target` could not be read.
fn unreadable(target: &Target, error: &(dyn std::error::Error + 'static)) -> Unreadable {
    Unreadable(format!("{target}: {}", describe(error)))
}

/// Reading the audit rows of `target` failed.
fn unreadable_log(target: &Target, error: &sqlx::Error) -> Unreadable {
    Unreadable(format!("{target}: could not read the audit log: {}", describe(error)))
}

/// The one line `verify` prints for an intact chain.
fn summary(verified: &AuditVerification, anchor: Option<&AuditAnchor>) -> String {
    let ends = verified.ends;
    let anchor = match (verified.anchor, anchor) {
        (AnchorCheck::Matched, Some(a)) => format!("anchor at {} matched", a.link.seq),
        (AnchorCheck::BeforeBase, Some(a)) => {
            format!("anchor at {} is older than the base: proves nothing", a.link.seq)
        }
        (AnchorCheck::NotGiven, _) | (_, None) => "no anchor given".to_owned(),
        (_, Some(a)) => format!("anchor at {}: {:?}", a.link.seq, verified.anchor),
    };
    format!(
        "audit chain intact: {} events checked, base {}, head {}, {anchor}",
        verified.events, ends.base.seq, ends.head.seq
    )
}

/// The break that audit rows without a sequence number are.
fn outside_chain(rows: usize) -> String {
    format!(
        "{rows} audit row(s) lie outside the chain (no sequence number): inserted by hand, or written \
         before the chain existed and not yet chained"
    )
}
