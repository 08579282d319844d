//! The command line: `audit verify` and `audit anchor`, each naming one store.

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
                  customer-access store (a SQLite file or a PostgreSQL schema)."
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
