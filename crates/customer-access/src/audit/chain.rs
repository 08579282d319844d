//! The hash chain that makes the audit log tamper-evident.
//!
//! One chain per store: every event gets the next sequence number and a BLAKE2b-256 hash of
//! that number, the previous event's hash and its own content. A store appends under one
//! lock (the chain head), in the same atomic write as the change the events describe, so
//! concurrent writers still produce one unbroken chain. Changing, removing or reordering a
//! stored event breaks a link that [`verify`](super::verify::verify_audit) finds.
//!
//! Why one chain rather than one per contact: events without a contact (a refused staff
//! action, a created retailer) need a chain too, and deleting a whole contact's chain would go
//! unnoticed without a store-wide anchor over every chain's head, which is a second
//! structure to lock and verify. One chain costs one serialised row update per audited write
//! (SQLite serialises writers anyway); the benchmarks report it.

use std::fmt;
use std::str::FromStr;

use blake2::{Blake2b256, Digest};

use super::AuditEvent;

/// Domain separation: no other BLAKE2b use in the library hashes text that starts this way.
const DOMAIN: &[u8] = b"customer-access audit chain v1\0";

/// A BLAKE2b-256 link of the audit chain, shown as 64 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct AuditHash([u8; 32]);

impl AuditHash {
    /// The "previous hash" of the first event of a store: 32 zero bytes.
    pub const GENESIS: Self = Self([0; 32]);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 64];
        let hex = base16ct::lower::encode_str(&self.0, &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(hex)
    }
}

impl fmt::Debug for AuditHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuditHash({self})")
    }
}

/// Text that is not 64 lower-case hex digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an audit hash is 64 lower-case hex digits")]
pub struct MalformedAuditHash;

impl FromStr for AuditHash {
    type Err = MalformedAuditHash;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(MalformedAuditHash);
        }
        base16ct::lower::decode(s, &mut bytes).map_err(|_| MalformedAuditHash)?;
        Ok(Self(bytes))
    }
}

/// A point of the chain: an event's sequence number and hash. The chain's *head* is its
/// newest event; its *base* is its oldest kept event once retention removed older ones
/// (sequence 0 with [`AuditHash::GENESIS`] while nothing was removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChainLink {
    /// The sequence number: 1 for a store's first event, then one more for each.
    pub seq: u64,
    /// That event's hash.
    pub hash: AuditHash,
}

impl ChainLink {
    /// Before the first event.
    pub const GENESIS: Self = Self { seq: 0, hash: AuditHash::GENESIS };

    /// Chain `event` after this link: the record a store keeps for it.
    pub fn next(&self, event: AuditEvent) -> AuditRecord {
        let seq = self.seq + 1;
        let hash = link_hash(seq, &self.hash, &event);
        AuditRecord { seq, prev: self.hash, hash, event }
    }

    /// Chain `events` after this link, in order; returns the records and the new head.
    pub fn extend(&self, events: impl IntoIterator<Item = AuditEvent>) -> (Vec<AuditRecord>, ChainLink) {
        let mut head = *self;
        let records: Vec<AuditRecord> = events
            .into_iter()
            .map(|event| {
                let record = head.next(event);
                head = record.link();
                record
            })
            .collect();
        (records, head)
    }
}

/// The two ends of a store's chain (see [`ChainLink`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainEnds {
    /// The oldest kept event after retention removed older ones (it stays stored), or
    /// [`ChainLink::GENESIS`].
    pub base: ChainLink,
    /// The newest event, or [`ChainLink::GENESIS`] when the log is empty.
    pub head: ChainLink,
}

impl Default for ChainEnds {
    fn default() -> Self {
        Self { base: ChainLink::GENESIS, head: ChainLink::GENESIS }
    }
}

/// A stored audit event with its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    /// Its sequence number (1, 2, ... per store, no gaps).
    pub seq: u64,
    /// The hash of the event before it ([`AuditHash::GENESIS`] for the first).
    pub prev: AuditHash,
    /// `BLAKE2b-256(domain, seq, prev, event)`.
    pub hash: AuditHash,
    /// The event.
    pub event: AuditEvent,
}

impl AuditRecord {
    /// This record's point of the chain.
    pub fn link(&self) -> ChainLink {
        ChainLink { seq: self.seq, hash: self.hash }
    }

    /// Does the stored hash match the content, sequence number and previous hash?
    pub fn is_intact(&self) -> bool {
        link_hash(self.seq, &self.prev, &self.event) == self.hash
    }
}

/// The hash of one link. Every field goes in with its length or a fixed width, so no two
/// different events encode alike.
fn link_hash(seq: u64, prev: &AuditHash, event: &AuditEvent) -> AuditHash {
    let mut h = Blake2b256::new();
    h.update(DOMAIN);
    h.update(seq.to_be_bytes());
    h.update(prev.0);
    h.update(event.at.unix_millis().to_be_bytes());
    let text = |h: &mut Blake2b256, s: &str| {
        h.update((s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    };
    text(&mut h, &event.actor.encode());
    for id in [event.retailer.map(|r| r.get()), event.contact.map(|c| c.get())] {
        match id {
            Some(id) => {
                h.update([1]);
                h.update(id.to_be_bytes());
            }
            None => h.update([0]),
        }
    }
    text(&mut h, event.kind.code());
    AuditHash(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditKind;
    use crate::{Actor, ContactId, RetailerId, Timestamp};

    fn event(contact: i64) -> AuditEvent {
        AuditEvent {
            at: Timestamp::from_unix_millis(1_000),
            actor: Actor::System,
            retailer: Some(RetailerId::new(1)),
            contact: Some(ContactId::new(contact)),
            kind: AuditKind::ResetEmailSent,
        }
    }

    #[test]
    fn links_follow_each_other_and_detect_edits() {
        let (records, head) = ChainLink::GENESIS.extend([event(1), event(2)]);
        assert_eq!(records[0].seq, 1);
        assert_eq!(records[0].prev, AuditHash::GENESIS);
        assert_eq!(records[1].prev, records[0].hash);
        assert_eq!(head, records[1].link());
        assert!(records.iter().all(AuditRecord::is_intact));
        let mut edited = records[1].clone();
        edited.event.contact = Some(ContactId::new(3));
        assert!(!edited.is_intact());
        let mut moved = records[1].clone();
        moved.seq = 5;
        assert!(!moved.is_intact());
    }

    #[test]
    fn absent_ids_differ_from_present_ones() {
        let mut a = event(1);
        a.retailer = None;
        let b = event(1);
        assert_ne!(ChainLink::GENESIS.next(a).hash, ChainLink::GENESIS.next(b).hash);
    }

    #[test]
    fn hashes_round_trip_as_hex() {
        let hash = ChainLink::GENESIS.next(event(1)).hash;
        assert_eq!(hash.to_string().parse::<AuditHash>(), Ok(hash));
        assert_eq!(hash.to_string().len(), 64);
        assert!("00".parse::<AuditHash>().is_err());
        assert!(hash.to_string().to_uppercase().parse::<AuditHash>().is_err());
    }
}
