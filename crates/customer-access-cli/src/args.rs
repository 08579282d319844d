//! The command line: `audit verify`, `audit anchor`, `import` and `invite-imported`, each
//! naming one store.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Parser, Subcommand};
use customer_access::AuditAnchor;
use customer_access_postgres::SchemaName;

/// The whole command line.
#[derive(Debug, Parser)]
#[command(
    name = "customer-access",
    version,
    about = "The customer-access command-line tool.",
    long_about = "The customer-access command-line tool: checks the tamper-evident audit log of a \
                  customer-access store (a SQLite file or a PostgreSQL schema), and imports \
                  retailers and contacts into one."
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// The audit log: verify its hash chain, cut anchors to keep outside the database.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import retailers and contacts (with their existing password hashes) from CSV or JSON
    /// Lines into a store, creating and migrating it if needed.
    ///
    /// Idempotent by external id: a second run of the same file changes nothing, a run with
    /// changed rows updates them. Each refused row is printed to standard output with its
    /// line and why; progress goes to standard error. Nobody is e-mailed, except the previous
    /// address of an e-mail change (which needs --smtp; without it such rows are refused).
    /// Exit status: 0 every row imported, 1 some refused, 2 a usage error or a failure
    /// (the rows written so far stay; run again to go on).
    #[command(after_help = "Columns (CSV header, in any order) or JSON fields: external_id, \
                            retailer_external_id, retailer_name, username, email, display_name, \
                            login_enabled (true/false) and, optionally, password_hash (Argon2, \
                            bcrypt, PBKDF2, Django or scrypt formats). Hashes are stored wrapped \
                            in Argon2id with the library's default parameters, and replaced at \
                            each contact's next login.")]
    Import {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
        /// The file to import.
        #[command(flatten)]
        file: ImportFileArgs,
        /// The sales admin running the import (named in every audit event).
        #[arg(long, value_name = "ID")]
        staff_id: i64,
        /// The application's security policy.
        #[command(flatten)]
        policy: PolicyArgs,
        /// The application's pepper, if it uses one.
        #[command(flatten)]
        pepper: PepperArgs,
        /// Where notices of e-mail changes go.
        #[command(flatten)]
        mail: OptionalMailArgs,
    },
    /// E-mail a first temporary password to every imported contact without a password,
    /// throttled so the mail server is not flooded, with progress on standard error.
    ///
    /// Contacts that got a password or an invitation meanwhile are skipped, so an interrupted
    /// run can simply be started again. Exit status: 0 every invitation sent, 1 some failed,
    /// 2 a usage error or a failure.
    InviteImported {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
        /// The sales admin sending the invitations.
        #[arg(long, value_name = "ID")]
        staff_id: i64,
        /// The application's security policy.
        #[command(flatten)]
        policy: PolicyArgs,
        /// Invitations sent per minute at most.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=6000))]
        per_minute: u32,
        /// The mail server and sender.
        #[command(flatten)]
        mail: MailArgs,
    },
}

/// The file an import reads.
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(ArgGroup::new("file").required(true).args(["csv", "jsonl"])))]
pub(crate) struct ImportFileArgs {
    /// A CSV file with a header row.
    #[arg(long, value_name = "PATH")]
    pub(crate) csv: Option<PathBuf>,
    /// A JSON Lines file (one object per line).
    #[arg(long, value_name = "PATH")]
    pub(crate) jsonl: Option<PathBuf>,
}

/// The application's security policy, when it is not the library's default.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    /// The application's `SecurityPolicy` as JSON (its serde form). Use the application's own
    /// policy: usernames are folded by its rules, hashes wrapped with its Argon2 parameters
    /// and checked against its limits for imported hashes. Default: the library's defaults.
    #[arg(long, value_name = "PATH")]
    pub(crate) policy: Option<PathBuf>,
}

/// The application's pepper: its current key, to wrap imported hashes with.
#[derive(Debug, Args)]
pub(crate) struct PepperArgs {
    /// The current pepper key's id, as the application names it.
    #[arg(long, value_name = "ID", requires = "pepper_file")]
    pub(crate) pepper_id: Option<String>,
    /// A file holding the current pepper key's bytes.
    #[arg(long, value_name = "PATH", requires = "pepper_id")]
    pub(crate) pepper_file: Option<PathBuf>,
}

/// A mail server and sender.
#[derive(Debug, Args)]
pub(crate) struct MailArgs {
    /// The SMTP server as a URL, e.g. `smtps://user@mail.example` (the password from
    /// CUSTOMER_ACCESS_SMTP_PASSWORD, never the command line).
    #[arg(long, value_name = "URL")]
    pub(crate) smtp: String,
    /// The sender's address.
    #[arg(long, value_name = "ADDRESS")]
    pub(crate) from: String,
    /// The sender's name.
    #[arg(long, value_name = "NAME", default_value = "Customer logins")]
    pub(crate) from_name: String,
}

/// A mail server and sender, if any.
#[derive(Debug, Args)]
pub(crate) struct OptionalMailArgs {
    /// The SMTP server as a URL (see `invite-imported --help`).
    #[arg(long, value_name = "URL", requires = "from")]
    pub(crate) smtp: Option<String>,
    /// The sender's address.
    #[arg(long, value_name = "ADDRESS", requires = "smtp")]
    pub(crate) from: Option<String>,
    /// The sender's name.
    #[arg(long, value_name = "NAME", default_value = "Customer logins")]
    pub(crate) from_name: String,
}

/// `customer-access audit ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AuditCommand {
    /// Walk the audit chain and report whether it is intact.
    ///
    /// Prints one line: the events checked, the chain's base and head, and what the anchor
    /// showed. Exit status: 0 intact, 1 broken (the oldest break is printed), 2 a usage error
    /// or a database that cannot be opened or read.
    ///
    /// The database is opened read-only: never created (a missing SQLite file is an error),
    /// never migrated, its files' permissions left alone. Its schema must be the one this
    /// tool was built for. The application may keep writing (and pruning) meanwhile.
    #[command(after_help = "Without an anchor, someone with write access to the database can recompute \
                            every hash after an edit, or cut events off the end. An anchor from \
                            `customer-access audit anchor`, kept outside the database, catches that \
                            for every event up to it.")]
    Verify {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
        /// Also check the chain against an anchor.
        #[command(flatten)]
        anchor: AnchorArgs,
        /// The shortest retention the application uses (`prune_audit`'s `keep`, at least its
        /// longest staff reset budget window): a chain whose base event is younger than this
        /// had recent events deleted by hand.
        #[arg(long, value_name = "HOURS", default_value_t = 24)]
        retention_hours: u64,
    },
    /// Print an anchor line for the chain's current head, to keep outside the database.
    ///
    /// The chain is verified against the new anchor first; a broken chain gets no anchor
    /// (exit status 1). The line goes to standard output alone, so appending it to a file
    /// works: `customer-access audit anchor --sqlite app.db >> anchors.txt`. Exit status: 0
    /// printed, 1 broken, 2 a usage error or a database that cannot be opened or read.
    Anchor {
        /// The store.
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Which store: a SQLite file, or a PostgreSQL URL and schema.
#[derive(Debug, Args)]
#[group(skip)]
#[command(group(ArgGroup::new("store").required(true).args(["sqlite", "postgres"])))]
pub(crate) struct StoreArgs {
    /// The SQLite database file (must exist: it is never created).
    #[arg(long, value_name = "PATH", conflicts_with = "schema")]
    pub(crate) sqlite: Option<PathBuf>,
    /// The PostgreSQL server, as a URL. Keep the password out of it (command lines are visible
    /// to other local users): PGPASSWORD and ~/.pgpass are read.
    #[arg(long, value_name = "URL", requires = "schema")]
    pub(crate) postgres: Option<String>,
    /// The PostgreSQL schema holding the tables (with --postgres).
    #[arg(long, value_name = "NAME", requires = "postgres", value_parser = SchemaName::parse)]
    pub(crate) schema: Option<SchemaName>,
}

/// The anchor to check against, if any.
#[derive(Debug, Args)]
pub(crate) struct AnchorArgs {
    /// An anchor line, as `customer-access audit anchor` printed it (quoted: it has spaces).
    #[arg(long, value_name = "TEXT", value_parser = parse_anchor, conflicts_with = "anchor_file")]
    pub(crate) anchor: Option<AuditAnchor>,
    /// A file of anchor lines: its last non-empty line is used, so a file that `anchor`
    /// appends to works.
    #[arg(long, value_name = "PATH")]
    pub(crate) anchor_file: Option<PathBuf>,
}

/// An anchor's one-line text form.
fn parse_anchor(text: &str) -> Result<AuditAnchor, customer_access::MalformedAnchor> {
    text.parse()
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }
}
