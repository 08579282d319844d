//! Flat, column-shaped forms of records, for SQL-backed stores.
//!
//! A SQL store reads a row into [`ContactColumns`] (plain integers, strings, options) and
//! converts it with [`ContactColumns::into_record`], which validates every field (canonical
//! username, e-mail address, actor encoding, consistent optional groups), so all stores
//! decode the same way and a corrupt row becomes [`StoreErrorKind::Corrupt`], never a panic.
//! Timestamps are milliseconds since the Unix epoch; booleans are `bool`.

use customer_access_policy::UsernameKey;

use crate::actor::Actor;
use crate::audit::{AuditEvent, AuditKind, AuditRecord, ChainEnds, ChainLink, device_of, staff_of};
use crate::clock::Timestamp;
use crate::credential::{
    ContactRecord, CredentialVersion, Credentials, EmailHold, ResetWindow, Revision, StoredHash, TemporaryCredential,
    TicketDigest, TicketRecord,
};
use crate::device::{DeviceRecord, DeviceTokenDigest};
use crate::domain::{Contact, Retailer};
use crate::i18n::{Locale, Preferences, TimeZoneName};
use crate::ids::{ContactId, RetailerId, StaffId};
use crate::input::EmailAddress;
use crate::store::{LoginFailures, StoreError, StoreErrorKind};

/// One `contacts` row: a [`ContactRecord`] as columns. With the `serde` feature it is also
/// the document a key-value or document store keeps.
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ContactColumns {
    pub id: i64,
    pub retailer_id: i64,
    pub username: String,
    pub username_key: String,
    pub email: String,
    pub display_name: String,
    pub login_enabled: bool,
    /// `None`: not set (the retailer's, then the service's default applies). Absent from
    /// documents written before schema 7.
    #[cfg_attr(feature = "serde", serde(default))]
    pub locale: Option<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub time_zone: Option<String>,
    pub revision: i64,
    pub credential_version: i64,
    pub password_hash: Option<String>,
    pub temp_hash: Option<String>,
    pub temp_issued_at: Option<i64>,
    pub temp_expires_at: Option<i64>,
    pub temp_issued_by: Option<String>,
    pub ticket_digest: Option<String>,
    pub ticket_expires_at: Option<i64>,
    pub reset_window_started_at: Option<i64>,
    pub reset_window_count: i64,
    pub hold_previous_email: Option<String>,
    pub hold_until: Option<i64>,
}

/// One `retailers` row: a [`Retailer`] as columns (a document with the `serde` feature).
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RetailerColumns {
    pub id: i64,
    pub name: String,
    /// Absent from documents written before schema 7.
    #[cfg_attr(feature = "serde", serde(default))]
    pub locale: Option<String>,
    #[cfg_attr(feature = "serde", serde(default))]
    pub time_zone: Option<String>,
}

impl RetailerColumns {
    /// The columns of `retailer`.
    pub fn from_retailer(retailer: &Retailer) -> Self {
        let p = &retailer.preferences;
        Self {
            id: retailer.id.get(),
            name: retailer.name.clone(),
            locale: p.locale.as_ref().map(|l| l.as_str().to_owned()),
            time_zone: p.time_zone.as_ref().map(|z| z.as_str().to_owned()),
        }
    }

    /// Validate and convert.
    ///
    /// # Errors
    /// [`StoreErrorKind::Corrupt`] for a locale or time zone that does not parse.
    pub fn into_retailer(self) -> Result<Retailer, StoreError> {
        Ok(Retailer {
            id: RetailerId::new(self.id),
            name: self.name,
            preferences: preferences(self.locale.as_deref(), self.time_zone.as_deref())?,
        })
    }
}

/// One `audit` row: an [`AuditRecord`] as columns (a document with the `serde` feature).
/// `staff_id` and `device_id` repeat what `actor` says, as columns a store can index for
/// [`AuditScope::Staff`](crate::AuditScope::Staff) and
/// [`AuditScope::Device`](crate::AuditScope::Device) reads and budgets; the hashes are hex.
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AuditColumns {
    pub seq: i64,
    pub prev_hash: String,
    pub hash: String,
    pub at: i64,
    pub actor: String,
    pub staff_id: Option<i64>,
    pub device_id: Option<String>,
    pub retailer_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub kind: String,
}

/// The one `audit_chain` row: the chain's [ends](crate::ChainEnds) as columns.
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ChainColumns {
    pub head_seq: i64,
    pub head_hash: String,
    pub base_seq: i64,
    pub base_hash: String,
}

impl ChainColumns {
    /// The columns of `ends`.
    pub fn from_ends(ends: &ChainEnds) -> Self {
        let seq = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        Self {
            head_seq: seq(ends.head.seq),
            head_hash: ends.head.hash.to_string(),
            base_seq: seq(ends.base.seq),
            base_hash: ends.base.hash.to_string(),
        }
    }

    /// Validate and convert.
    ///
    /// # Errors
    /// [`StoreErrorKind::Corrupt`] for a negative sequence number, a malformed hash, or a
    /// base after the head.
    pub fn into_ends(self) -> Result<ChainEnds, StoreError> {
        let link = |seq: i64, hash: &str, column| -> Result<ChainLink, StoreError> {
            Ok(ChainLink {
                seq: u64::try_from(seq).map_err(|_| corrupt(column))?,
                hash: hash.parse().map_err(|_| corrupt(column))?,
            })
        };
        let ends = ChainEnds {
            head: link(self.head_seq, &self.head_hash, "head")?,
            base: link(self.base_seq, &self.base_hash, "base")?,
        };
        if ends.base.seq > ends.head.seq {
            return Err(corrupt("base"));
        }
        Ok(ends)
    }
}

/// A stored column that does not decode into the domain type.
#[derive(Debug, thiserror::Error)]
#[error("stored column {column} holds an invalid value")]
pub struct CorruptColumn {
    /// The column (or group of columns).
    pub column: &'static str,
}

fn corrupt(column: &'static str) -> StoreError {
    StoreError::with_source(StoreErrorKind::Corrupt, CorruptColumn { column })
}

/// The id of the decoy contact (and of its retailer). Stores never assign it (ids start at 1).
pub const DECOY_CONTACT_ID: i64 = 0;

/// Characters in the decoy's username key: more than any valid policy allows
/// (`SecurityPolicy::check` caps usernames at 256), so no contact can ever hold it, while
/// [`UsernameKey::from_stored`] (which accepts up to 1024) still reads it back.
const DECOY_KEY_REPEATS: usize = 52; // "decoy" x 52 = 260 characters

impl ContactColumns {
    /// A decoy row shaped like the common state of a real contact's (typical field lengths,
    /// a password hash of the usual PHC shape, nothing pending), with id [`DECOY_CONTACT_ID`].
    ///
    /// Looking up an unknown username should cost what looking up a known one does, or the
    /// difference tells an attacker which usernames exist. The SQL stores therefore read and
    /// decode this row when no contact matches (see their `contact_by_username`), and report
    /// `None` afterwards; the service runs its login on it too. A store may keep it as a real
    /// row under [`decoy_username_key`](Self::decoy_username_key), which no contact can
    /// take, so that a miss reads it by the same access path as a hit (the SQLite store does,
    /// returning the probed key in its place). The key here is of a typical length instead,
    /// because this record's copies must cost what a real contact's do.
    pub fn decoy() -> Self {
        const HASH: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3lkZWNveWRlY295$ZGVjb3lkZWNveWRlY295ZGVjb3lkZWNveWRlY295ZGU";
        Self {
            id: DECOY_CONTACT_ID,
            retailer_id: DECOY_CONTACT_ID,
            username: "decoy000".to_owned(),
            username_key: "decoy000".to_owned(),
            email: "decoy000@shop.invalid".to_owned(),
            display_name: "Decoy".to_owned(),
            login_enabled: false,
            // Unset, like most contacts' (a retailer's preferences are their defaults):
            // decoding the decoy costs what decoding such a contact does.
            locale: None,
            time_zone: None,
            revision: 0,
            credential_version: 0,
            password_hash: Some(HASH.to_owned()),
            temp_hash: None,
            temp_issued_at: None,
            temp_expires_at: None,
            temp_issued_by: None,
            ticket_digest: None,
            ticket_expires_at: None,
            reset_window_started_at: None,
            reset_window_count: 0,
            hold_previous_email: None,
            hold_until: None,
        }
    }

    /// The key under which a store keeps the decoy as a row: `decoy` repeated to 260
    /// characters, longer than any valid policy lets a username be, so it can never collide
    /// with a contact's.
    pub fn decoy_username_key() -> String {
        "decoy".repeat(DECOY_KEY_REPEATS)
    }

    /// The columns of `record`.
    pub fn from_record(record: &ContactRecord) -> Self {
        let (c, k) = (&record.contact, &record.credentials);
        let temp = k.temporary.as_ref();
        let ticket = k.ticket.as_ref();
        Self {
            id: c.id.get(),
            retailer_id: c.retailer.get(),
            username: c.username.clone(),
            username_key: c.username_key.as_str().to_owned(),
            email: c.email.as_str().to_owned(),
            display_name: c.display_name.clone(),
            login_enabled: c.login_enabled,
            locale: c.preferences.locale.as_ref().map(|l| l.as_str().to_owned()),
            time_zone: c.preferences.time_zone.as_ref().map(|z| z.as_str().to_owned()),
            revision: k.revision.0,
            credential_version: k.credential_version.0,
            password_hash: k.password.as_ref().map(|h| h.as_phc().to_owned()),
            temp_hash: temp.map(|t| t.hash.as_phc().to_owned()),
            temp_issued_at: temp.map(|t| t.issued_at.unix_millis()),
            temp_expires_at: temp.map(|t| t.expires_at.unix_millis()),
            temp_issued_by: temp.map(|t| t.issued_by.encode()),
            ticket_digest: ticket.map(|t| t.digest.as_hex().to_owned()),
            ticket_expires_at: ticket.map(|t| t.expires_at.unix_millis()),
            reset_window_started_at: k.reset_window.started_at.map(Timestamp::unix_millis),
            reset_window_count: i64::from(k.reset_window.count),
            hold_previous_email: k.email_hold.as_ref().map(|h| h.previous.as_str().to_owned()),
            hold_until: k.email_hold.as_ref().map(|h| h.until.unix_millis()),
        }
    }

    /// [`into_record`](Self::into_record), but `None` for the [decoy](Self::decoy) row.
    ///
    /// # Errors
    /// As `into_record`.
    pub fn into_found_record(self) -> Result<Option<ContactRecord>, StoreError> {
        let record = self.into_record()?;
        Ok((record.contact.id.get() != DECOY_CONTACT_ID).then_some(record))
    }

    /// Validate and convert into a record.
    ///
    /// # Errors
    /// [`StoreErrorKind::Corrupt`] (with a [`CorruptColumn`] source) for any invalid field.
    pub fn into_record(self) -> Result<ContactRecord, StoreError> {
        let temporary = match (self.temp_hash, self.temp_issued_at, self.temp_expires_at, self.temp_issued_by) {
            (None, None, None, None) => None,
            (Some(hash), Some(issued_at), Some(expires_at), Some(by)) => Some(TemporaryCredential {
                hash: StoredHash::from_phc(hash),
                issued_at: Timestamp::from_unix_millis(issued_at),
                expires_at: Timestamp::from_unix_millis(expires_at),
                issued_by: Actor::decode(&by).map_err(|_| corrupt("temp_issued_by"))?,
            }),
            _ => return Err(corrupt("temp_*")),
        };
        let ticket = match (self.ticket_digest, self.ticket_expires_at) {
            (None, None) => None,
            (Some(digest), Some(expires_at)) => Some(TicketRecord {
                digest: TicketDigest::from_hex(digest),
                expires_at: Timestamp::from_unix_millis(expires_at),
            }),
            _ => return Err(corrupt("ticket_*")),
        };
        let email_hold = match (self.hold_previous_email, self.hold_until) {
            (None, None) => None,
            (Some(previous), Some(until)) => Some(EmailHold {
                previous: EmailAddress::parse(&previous).map_err(|_| corrupt("hold_previous_email"))?,
                until: Timestamp::from_unix_millis(until),
            }),
            _ => return Err(corrupt("hold_*")),
        };
        Ok(ContactRecord {
            contact: Contact {
                id: ContactId::new(self.id),
                retailer: RetailerId::new(self.retailer_id),
                username: self.username,
                username_key: UsernameKey::from_stored(&self.username_key).map_err(|_| corrupt("username_key"))?,
                email: EmailAddress::parse(&self.email).map_err(|_| corrupt("email"))?,
                display_name: self.display_name,
                login_enabled: self.login_enabled,
                preferences: preferences(self.locale.as_deref(), self.time_zone.as_deref())?,
            },
            credentials: Credentials {
                revision: Revision(self.revision),
                credential_version: CredentialVersion(self.credential_version),
                password: self.password_hash.map(StoredHash::from_phc),
                temporary,
                ticket,
                reset_window: ResetWindow {
                    started_at: self.reset_window_started_at.map(Timestamp::from_unix_millis),
                    count: u32::try_from(self.reset_window_count).map_err(|_| corrupt("reset_window_count"))?,
                },
                email_hold,
            },
        })
    }
}

/// Validate and convert stored `locale` and `time_zone` columns (of a contact or a
/// retailer).
///
/// # Errors
/// [`StoreErrorKind::Corrupt`] for a tag or zone name that does not parse (a zone the
/// bundled database no longer knows included).
pub fn preferences(locale: Option<&str>, time_zone: Option<&str>) -> Result<Preferences, StoreError> {
    Ok(Preferences {
        locale: locale.map(Locale::parse).transpose().map_err(|_| corrupt("locale"))?,
        time_zone: time_zone.map(TimeZoneName::parse).transpose().map_err(|_| corrupt("time_zone"))?,
    })
}

/// Validate and convert a failed-login row (`count`, `last_failure_at` in milliseconds).
///
/// # Errors
/// [`StoreErrorKind::Corrupt`] for a negative or oversized count.
pub fn login_failures(count: i64, last_failure_at: i64) -> Result<LoginFailures, StoreError> {
    Ok(LoginFailures {
        count: u32::try_from(count).map_err(|_| corrupt("count"))?,
        last_failure_at: Some(Timestamp::from_unix_millis(last_failure_at)),
    })
}

/// One recognised device: a [`DeviceRecord`] as columns (a document with the `serde`
/// feature).
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceColumns {
    pub digest: String,
    pub contact_id: i64,
    pub credential_version: i64,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl DeviceColumns {
    /// The columns of `device`.
    pub fn from_record(device: &DeviceRecord) -> Self {
        Self {
            digest: device.digest.as_hex().to_owned(),
            contact_id: device.contact.get(),
            credential_version: device.credential_version.0,
            issued_at: device.issued_at.unix_millis(),
            expires_at: device.expires_at.unix_millis(),
        }
    }

    /// Convert back (nothing to validate beyond the types).
    pub fn into_record(self) -> DeviceRecord {
        DeviceRecord {
            digest: DeviceTokenDigest::from_hex(self.digest),
            contact: ContactId::new(self.contact_id),
            credential_version: CredentialVersion(self.credential_version),
            issued_at: Timestamp::from_unix_millis(self.issued_at),
            expires_at: Timestamp::from_unix_millis(self.expires_at),
        }
    }
}

/// The failed-login state of one key as columns (a document with the `serde` feature).
#[allow(missing_docs, reason = "each field is the column of the same name")]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FailureColumns {
    pub count: i64,
    pub last_failure_at: i64,
}

impl FailureColumns {
    /// The columns of a stored (non-empty) state.
    pub fn from_failures(f: &LoginFailures) -> Self {
        Self { count: i64::from(f.count), last_failure_at: f.last_failure_at.map_or(0, Timestamp::unix_millis) }
    }

    /// Validate and convert back.
    ///
    /// # Errors
    /// [`StoreErrorKind::Corrupt`] for a negative or oversized count.
    pub fn into_failures(self) -> Result<LoginFailures, StoreError> {
        login_failures(self.count, self.last_failure_at)
    }
}

impl AuditColumns {
    /// The columns of `record`.
    pub fn from_record(record: &AuditRecord) -> Self {
        let event = &record.event;
        Self {
            seq: i64::try_from(record.seq).unwrap_or(i64::MAX),
            prev_hash: record.prev.to_string(),
            hash: record.hash.to_string(),
            at: event.at.unix_millis(),
            actor: event.actor.encode(),
            staff_id: staff_of(&event.actor).map(StaffId::get),
            device_id: device_of(&event.actor).map(|d| d.as_str().to_owned()),
            retailer_id: event.retailer.map(RetailerId::get),
            contact_id: event.contact.map(ContactId::get),
            kind: event.kind.code().to_owned(),
        }
    }

    /// Validate and convert into a record. The hashes are not checked against the content
    /// here: [`verify_audit`](crate::verify_audit) does that, and must see an altered row
    /// as it is. The `staff_id` and `device_id` columns must say what `actor` says (the
    /// chain covers the actor, and budgets and scoped reads use the copies).
    ///
    /// # Errors
    /// [`StoreErrorKind::Corrupt`], with a [`CorruptAuditRow`] naming the row, for a
    /// sequence number below 1, a malformed hash, an unknown actor encoding or event code,
    /// or staff and device columns that differ from the actor.
    pub fn into_record(self) -> Result<AuditRecord, StoreError> {
        let seq = self.seq;
        let bad = |column| StoreError::with_source(StoreErrorKind::Corrupt, CorruptAuditRow { seq, column });
        let actor = Actor::decode(&self.actor).map_err(|_| bad("actor"))?;
        if self.staff_id != staff_of(&actor).map(StaffId::get) {
            return Err(bad("staff_id"));
        }
        if self.device_id.as_deref() != device_of(&actor).map(|d| d.as_str()) {
            return Err(bad("device_id"));
        }
        Ok(AuditRecord {
            seq: u64::try_from(self.seq).ok().filter(|s| *s >= 1).ok_or_else(|| bad("seq"))?,
            prev: self.prev_hash.parse().map_err(|_| bad("prev_hash"))?,
            hash: self.hash.parse().map_err(|_| bad("hash"))?,
            event: AuditEvent {
                at: Timestamp::from_unix_millis(self.at),
                actor,
                retailer: self.retailer_id.map(RetailerId::new),
                contact: self.contact_id.map(ContactId::new),
                kind: self.kind.parse::<AuditKind>().map_err(|_| bad("kind"))?,
            },
        })
    }
}

/// A stored audit row that does not decode: which row, and which column.
/// [`verify_audit`](crate::verify_audit) reports it as an altered event.
#[derive(Debug, thiserror::Error)]
#[error("stored audit row {seq} holds an invalid {column}")]
pub struct CorruptAuditRow {
    /// The row's sequence number, as stored.
    pub seq: i64,
    /// The column (or group of columns).
    pub column: &'static str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoy_decodes_like_a_real_row_and_is_reported_absent() {
        let decoy = ContactColumns::decoy().into_record().unwrap();
        assert_eq!(decoy.contact.id.get(), DECOY_CONTACT_ID);
        assert!(!decoy.contact.login_enabled);
        assert_eq!(ContactColumns::from_record(&decoy), ContactColumns::decoy());
        assert!(ContactColumns::decoy().into_found_record().unwrap().is_none());
    }

    #[cfg(feature = "serde")]
    #[test]
    fn columns_round_trip_through_serde() {
        let c = ContactColumns::decoy();
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<ContactColumns>(&json).unwrap(), c);
        let f = FailureColumns { count: 3, last_failure_at: 17 };
        assert_eq!(serde_json::from_str::<FailureColumns>(&serde_json::to_string(&f).unwrap()).unwrap(), f);
    }

    #[test]
    fn no_valid_policy_can_produce_the_decoy_key() {
        let key = ContactColumns::decoy_username_key();
        assert_eq!(UsernameKey::from_stored(&key).unwrap().as_str(), key, "it reads back as stored");
        let mut widest = customer_access_policy::UsernameRules::default();
        widest.max_length = 256;
        assert!(widest.canonicalize(&key).is_err(), "it is longer than any policy allows");
        let mut policy = customer_access_policy::SecurityPolicy::default();
        policy.username.max_length = key.len();
        assert!(policy.check().is_err(), "a policy admitting it is refused");
    }
}
