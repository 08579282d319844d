//! Every statement the store runs, written once for every dialect.
//!
//! Parameters are numbered (`$1`), which SQLite and PostgreSQL both accept. Only the
//! dialect's table prefix is formatted into the text; every value is a bound parameter.

use std::sync::Arc;

/// The writable contact columns, in the order [`bind_contact`](crate::rows) binds them as
/// `$1..$20` in the INSERT and the UPDATE.
pub(crate) const CONTACT_FIELDS: [&str; 20] = [
    "username",
    "username_key",
    "email",
    "display_name",
    "login_enabled",
    "locale",
    "time_zone",
    "revision",
    "credential_version",
    "password_hash",
    "temp_hash",
    "temp_issued_at",
    "temp_expires_at",
    "temp_issued_by",
    "ticket_digest",
    "ticket_expires_at",
    "reset_window_started_at",
    "reset_window_count",
    "hold_previous_email",
    "hold_until",
];

/// The audit columns, in the order `insert_audit` binds them.
pub(crate) const AUDIT_FIELDS: [&str; 10] =
    ["seq", "prev_hash", "hash", "at", "actor", "staff_id", "device_id", "retailer_id", "contact_id", "kind"];

/// The column each scoped read filters on, in [`Statements::scope_index`] order (`All` has
/// none).
const SCOPE_COLUMNS: [Option<&str>; 5] =
    [None, Some("contact_id"), Some("retailer_id"), Some("staff_id"), Some("device_id")];

/// The SQL of every operation of a [`SqlStore`](crate::SqlStore), built once from its
/// dialect's table prefix. Public so tests can `EXPLAIN` a statement and benchmarks can run
/// the same text by hand.
///
/// Id 0 is the decoy contact and its retailer (each driver's migrations store them): every
/// statement but the username lookup leaves them out, so the `Store` trait never shows them.
#[derive(Debug)]
#[non_exhaustive]
#[allow(missing_docs, reason = "each field is the statement of the operation it is named after")]
pub struct Statements {
    pub insert_retailer: Arc<str>,
    pub retailer: Arc<str>,
    pub retailers: Arc<str>,
    /// Binds locale `$1`, time zone `$2`, retailer `$3`; returns the row if it exists.
    pub set_retailer_preferences: Arc<str>,
    /// Binds the writable contact columns (`username` to `hold_until`, in
    /// `CONTACT_FIELDS` order) as `$1..$20` and the retailer as `$21`.
    pub insert_contact: Arc<str>,
    pub contact_by_id: Arc<str>,
    /// The contact with username key `$1`, or else the decoy row (key `$2`). Either way the
    /// database probes the key index twice and reads one table row, so a miss costs what a
    /// hit does. The key is returned as `$1`: on a hit that is the stored key, and on a miss
    /// the decoy's row then carries a key of the probed length, so decoding and validating it
    /// costs the same too.
    pub contact_by_key: Arc<str>,
    pub contacts_of_retailer: Arc<str>,
    /// Binds the retailer as `$1`, the id to start after as `$2` (0 for the first page) and
    /// the page size as `$3`: read from the `(retailer_id, id)` index.
    pub contacts_after: Arc<str>,
    /// Binds the contact fields as `$1..$20`, the id as `$21` and the expected revision as
    /// `$22`; returns the id only if the row was updated.
    pub update_contact: Arc<str>,
    pub contact_exists: Arc<str>,
    /// Binds the ten audit columns (`seq` to `kind`, in the order the statement names them)
    /// as `$1..$10`.
    pub insert_audit: Arc<str>,
    pub audit_log: Arc<str>,
    /// Takes the chain's lock (a no-op update of its one row) and returns its ends.
    pub lock_chain: Arc<str>,
    pub chain: Arc<str>,
    pub set_head: Arc<str>,
    pub set_base: Arc<str>,
    /// One page, newest first, per [`AuditScope`](customer_access::AuditScope) in
    /// [`scope_index`](Self::scope_index) order: `$1` the inclusive upper sequence bound
    /// (the largest `i64` for the newest page, so no row is out of reach),
    /// then the scope's value (none for `All`), then the limit.
    pub audit_page: [Arc<str>; 5],
    /// The oldest sequence number stamped at or after `$1` (retention's cut).
    pub first_seq_since: Arc<str>,
    pub audit_hash_at: Arc<str>,
    pub prune_audit: Arc<str>,
    /// Rows written before the chain existed (schema upgrade), oldest first; never a row
    /// added after the upgrade.
    pub unchained_audit: Arc<str>,
    /// Every row without a place in the chain (for tools that check a database: the schema
    /// refuses such rows, so one found was planted with the schema's guard removed, or an
    /// upgrade was interrupted before chaining).
    pub outside_chain: Arc<str>,
    /// Binds seq, prev_hash, hash, staff_id, device_id as `$1..$5` and the row id as `$6`.
    pub chain_audit_row: Arc<str>,
    pub assign: Arc<str>,
    pub assigned: Arc<str>,
    pub failures: Arc<str>,
    pub prune_failures: Arc<str>,
    /// Keeps the `$1` entries with the most failures, then the newest.
    pub trim_failures: Arc<str>,
    /// Returns the key only if this statement inserted it.
    pub insert_failures: Arc<str>,
    /// Returns the key only if the stored state was still `($4, $5)`.
    pub swap_failures: Arc<str>,
    pub clear_failures: Arc<str>,
    pub insert_device: Arc<str>,
    pub trim_devices: Arc<str>,
    pub device: Arc<str>,
    /// Binds the name `$1` and the retailer `$2`; returns the id if it exists.
    pub rename_retailer: Arc<str>,
    prefix: String,
}

impl Statements {
    /// The statements for tables named `{prefix}contacts` and so on.
    pub fn new(prefix: &str) -> Self {
        let contact_columns = |username_key: &str| {
            format!("id, retailer_id, {}", CONTACT_FIELDS.join(", ").replacen("username_key", username_key, 1))
        };
        let columns = contact_columns("username_key");
        let fields = CONTACT_FIELDS.join(", ");
        let numbered = |from: usize| (from..from + CONTACT_FIELDS.len()).map(|n| format!("${n}")).collect::<Vec<_>>();
        let values = numbered(1).join(", ");
        let assignments: Vec<String> =
            CONTACT_FIELDS.iter().zip(numbered(1)).map(|(field, n)| format!("{field} = {n}")).collect();
        let assignments = assignments.join(", ");
        let q = |text: String| Arc::<str>::from(text.replace("{p}", prefix));
        let audit_columns = AUDIT_FIELDS.join(", ");
        // The first parameter after the contact fields.
        let after = CONTACT_FIELDS.len() + 1;
        Self {
            insert_retailer: q("INSERT INTO {p}retailers (name) VALUES ($1) RETURNING id".into()),
            retailer: q("SELECT id, name, locale, time_zone FROM {p}retailers WHERE id = $1 AND id <> 0".into()),
            retailers: q("SELECT id, name, locale, time_zone FROM {p}retailers WHERE id <> 0 ORDER BY id".into()),
            set_retailer_preferences: q(
                "UPDATE {p}retailers SET locale = $1, time_zone = $2 WHERE id = $3 AND id <> 0 \
                 RETURNING id, name, locale, time_zone"
                    .into(),
            ),
            insert_contact: q(format!(
                "INSERT INTO {{p}}contacts ({fields}, retailer_id) VALUES ({values}, ${after}) RETURNING id"
            )),
            contact_by_id: q(format!("SELECT {columns} FROM {{p}}contacts WHERE id = $1 AND id <> 0")),
            contact_by_key: q(format!(
                "SELECT {} FROM {{p}}contacts WHERE username_key = \
                 COALESCE((SELECT username_key FROM {{p}}contacts WHERE username_key = $1), $2)",
                contact_columns("$1 AS username_key")
            )),
            contacts_of_retailer: q(format!(
                "SELECT {columns} FROM {{p}}contacts WHERE retailer_id = $1 AND id <> 0 ORDER BY id"
            )),
            contacts_after: q(format!(
                "SELECT {columns} FROM {{p}}contacts WHERE retailer_id = $1 AND id > $2 ORDER BY id LIMIT $3"
            )),
            update_contact: q(format!(
                "UPDATE {{p}}contacts SET {assignments} WHERE id = ${after} AND revision = ${} AND id <> 0 RETURNING id",
                after + 1
            )),
            contact_exists: q("SELECT id FROM {p}contacts WHERE id = $1 AND id <> 0".into()),
            insert_audit: q(format!(
                "INSERT INTO {{p}}audit ({audit_columns}) VALUES ({})",
                (1..=AUDIT_FIELDS.len()).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
            )),
            audit_log: q(format!("SELECT {audit_columns} FROM {{p}}audit WHERE contact_id = $1 ORDER BY seq")),
            lock_chain: q("UPDATE {p}audit_chain SET head_seq = head_seq WHERE id = 1 \
                 RETURNING head_seq, head_hash, base_seq, base_hash"
                .into()),
            chain: q("SELECT head_seq, head_hash, base_seq, base_hash FROM {p}audit_chain WHERE id = 1".into()),
            set_head: q("UPDATE {p}audit_chain SET head_seq = $1, head_hash = $2 WHERE id = 1".into()),
            set_base: q("UPDATE {p}audit_chain SET base_seq = $1, base_hash = $2 WHERE id = 1".into()),
            audit_page: SCOPE_COLUMNS.map(|column| {
                q(match column {
                    None => {
                        format!("SELECT {audit_columns} FROM {{p}}audit WHERE seq <= $1 ORDER BY seq DESC LIMIT $2")
                    }
                    Some(c) => format!(
                        "SELECT {audit_columns} FROM {{p}}audit WHERE seq <= $1 AND {c} = $2 ORDER BY seq DESC LIMIT $3"
                    ),
                })
            }),
            first_seq_since: q("SELECT min(seq) AS seq FROM {p}audit WHERE at >= $1".into()),
            audit_hash_at: q("SELECT hash FROM {p}audit WHERE seq = $1".into()),
            prune_audit: q("DELETE FROM {p}audit WHERE seq < $1".into()),
            unchained_audit: q("SELECT id, at, actor, retailer_id, contact_id, kind FROM {p}audit \
                 WHERE seq IS NULL AND id <= (SELECT legacy_until FROM {p}audit_chain WHERE id = 1) ORDER BY id"
                .into()),
            outside_chain: q("SELECT id FROM {p}audit WHERE seq IS NULL".into()),
            chain_audit_row: q(
                "UPDATE {p}audit SET seq = $1, prev_hash = $2, hash = $3, staff_id = $4, device_id = $5 \
                 WHERE id = $6"
                    .into(),
            ),
            assign: q("INSERT INTO {p}staff_retailers (staff_id, retailer_id) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING"
                .into()),
            assigned: q("SELECT retailer_id FROM {p}staff_retailers WHERE staff_id = $1 ORDER BY retailer_id".into()),
            failures: q("SELECT count, last_failure_at FROM {p}login_failures WHERE username_key = $1".into()),
            prune_failures: q("DELETE FROM {p}login_failures WHERE last_failure_at < $1".into()),
            // `LIMIT $2` is bound to the largest i64: both databases need a LIMIT before an
            // OFFSET in a subquery, and they spell "no limit" differently.
            trim_failures: q("DELETE FROM {p}login_failures WHERE username_key IN \
                 (SELECT username_key FROM {p}login_failures \
                  ORDER BY count DESC, last_failure_at DESC, username_key LIMIT $2 OFFSET $1)"
                .into()),
            insert_failures: q("INSERT INTO {p}login_failures (username_key, count, last_failure_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (username_key) DO NOTHING RETURNING username_key"
                .into()),
            swap_failures: q("UPDATE {p}login_failures SET count = $2, last_failure_at = $3 \
                 WHERE username_key = $1 AND count = $4 AND last_failure_at = $5 RETURNING username_key"
                .into()),
            clear_failures: q("DELETE FROM {p}login_failures WHERE username_key = $1".into()),
            insert_device: q("INSERT INTO {p}devices (digest, contact_id, credential_version, issued_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)"
                .into()),
            trim_devices: q("DELETE FROM {p}devices WHERE contact_id = $1 AND (expires_at <= $2 OR seq NOT IN \
                 (SELECT seq FROM {p}devices WHERE contact_id = $1 ORDER BY issued_at DESC, seq DESC LIMIT $3))"
                .into()),
            device: q("SELECT digest, contact_id, credential_version, issued_at, expires_at \
                 FROM {p}devices WHERE digest = $1"
                .into()),
            rename_retailer: q("UPDATE {p}retailers SET name = $1 WHERE id = $2 AND id <> 0 RETURNING id".into()),
            prefix: prefix.to_owned(),
        }
    }

    /// [`insert_audit`](Self::insert_audit) for `rows` rows in one statement, binding each
    /// row's ten columns in turn.
    pub(crate) fn insert_audit_rows(&self, rows: usize) -> String {
        let p = &self.prefix;
        format!(
            "INSERT INTO {p}audit ({}) VALUES {}",
            AUDIT_FIELDS.join(", "),
            row_placeholders(rows, AUDIT_FIELDS.len())
        )
    }

    /// [`insert_contact`](Self::insert_contact) for `rows` contacts in one statement, each
    /// binding the contact fields and then its retailer; returns each new row's id and
    /// username key (the order of returned rows is not guaranteed, the keys are unique).
    pub(crate) fn insert_contacts(&self, rows: usize) -> String {
        let p = &self.prefix;
        format!(
            "INSERT INTO {p}contacts ({}, retailer_id) VALUES {} RETURNING id, username_key",
            CONTACT_FIELDS.join(", "),
            row_placeholders(rows, CONTACT_FIELDS.len() + 1)
        )
    }

    /// Keep `rows` external ids (kind `retailer` or `contact`, the id, the local id) in one
    /// statement.
    pub(crate) fn insert_import_ids(&self, rows: usize) -> String {
        let p = &self.prefix;
        format!("INSERT INTO {p}import_ids (kind, external_id, local_id) VALUES {}", row_placeholders(rows, 3))
    }

    /// The imported retailers among `count` external ids bound as `$1..`, with their
    /// external id. Only placeholders are formatted into the text.
    pub(crate) fn imported_retailers(&self, count: usize) -> String {
        let p = &self.prefix;
        format!(
            "SELECT i.external_id, r.id, r.name, r.locale, r.time_zone FROM {p}import_ids i \
             JOIN {p}retailers r ON r.id = i.local_id WHERE i.kind = 'retailer' AND r.id <> 0 \
             AND i.external_id IN ({})",
            placeholders(count)
        )
    }

    /// The imported contacts among `count` external ids bound as `$1..`, with their external
    /// id.
    pub(crate) fn imported_contacts(&self, count: usize) -> String {
        let p = &self.prefix;
        let columns: Vec<String> = CONTACT_FIELDS.iter().map(|f| format!("c.{f}")).collect();
        format!(
            "SELECT i.external_id, c.id, c.retailer_id, {} FROM {p}import_ids i \
             JOIN {p}contacts c ON c.id = i.local_id WHERE i.kind = 'contact' AND c.id <> 0 \
             AND i.external_id IN ({})",
            columns.join(", "),
            placeholders(count)
        )
    }

    /// The contacts holding one of `count` username keys bound as `$1..` (never the decoy).
    pub(crate) fn username_holders(&self, count: usize) -> String {
        let p = &self.prefix;
        format!("SELECT username_key, id FROM {p}contacts WHERE id <> 0 AND username_key IN ({})", placeholders(count))
    }

    /// The index of `scope` in [`audit_page`](Self::audit_page) and
    /// [`count_budget`](Self::count_budget): `All`, `Contact`, `Retailer`, `Staff`, `Device`.
    pub fn scope_index(scope: &customer_access::AuditScope) -> Option<usize> {
        use customer_access::AuditScope;
        Some(match scope {
            AuditScope::All => 0,
            AuditScope::Contact(_) => 1,
            AuditScope::Retailer(_) => 2,
            AuditScope::Staff(_) => 3,
            AuditScope::Device(_) => 4,
            _ => return None,
        })
    }

    /// A budget count for the scope at `scope` (see [`scope_index`](Self::scope_index)) over
    /// `kinds` event kinds: binds the window's start as `$1`, the scope's value as `$2` (none
    /// for `All`), then the kinds. Only placeholders are formatted into the text.
    pub fn count_budget(&self, scope: usize, kinds: usize) -> String {
        let p = &self.prefix;
        let column = SCOPE_COLUMNS.get(scope).copied().flatten();
        let first_kind = if column.is_some() { 3 } else { 2 };
        let kinds: Vec<String> = (first_kind..first_kind + kinds).map(|n| format!("${n}")).collect();
        let scoped = column.map(|c| format!(" AND {c} = $2")).unwrap_or_default();
        format!("SELECT count(*) AS n FROM {p}audit WHERE at >= $1{scoped} AND kind IN ({})", kinds.join(", "))
    }

    /// A query for one stored password or temporary-password hash (never the decoy's) that
    /// starts with none of `count` prefixes, bound as `$1..`. Only placeholders are
    /// formatted into the text.
    pub(crate) fn hash_outside(&self, count: usize) -> String {
        let conditions: String = (1..=count).map(|i| format!(" AND substr(h, 1, length(${i})) <> ${i}")).collect();
        let p = &self.prefix;
        format!(
            "SELECT h FROM (SELECT password_hash AS h FROM {p}contacts WHERE id <> 0 \
             UNION ALL SELECT temp_hash FROM {p}contacts WHERE id <> 0) AS hashes \
             WHERE h IS NOT NULL{conditions} LIMIT 1"
        )
    }
}

/// `($1, .., $width), ($width+1, ..), ...` for `rows` rows.
fn row_placeholders(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| {
            format!("({})", (r * width + 1..=r * width + width).map(|n| format!("${n}")).collect::<Vec<_>>().join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `$1, $2, ..., $count`.
fn placeholders(count: usize) -> String {
    (1..=count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contact_statements_number_every_field_once() {
        let s = Statements::new("ca_");
        for n in 1..=22 {
            assert!(s.update_contact.contains(&format!("${n} ")) || s.update_contact.contains(&format!("${n},")));
        }
        assert!(!s.update_contact.contains("$23"), "{}", s.update_contact);
        assert!(s.insert_contact.contains("$20, $21)"), "{}", s.insert_contact);
        assert!(s.contact_by_key.contains("retailer_id, username, $1 AS username_key, email"), "{}", s.contact_by_key);
        assert!(!s.retailers.contains("{p}") && s.retailers.contains("FROM ca_retailers"));
        assert!(s.insert_import_ids(2).ends_with("VALUES ($1, $2, $3), ($4, $5, $6)"), "{}", s.insert_import_ids(2));
        assert_eq!(s.insert_audit_rows(1), *s.insert_audit, "one row is the single-row statement");
    }
}
