//! Walking the audit chain, and anchors kept outside the database.
//!
//! What verification proves: every stored event between the chain's base and head is the one
//! that was written, in its place, with none removed. What it cannot prove alone: someone
//! with write access to the database can recompute every hash after an edit, or cut events
//! off the end and move the head back. An [`AuditAnchor`] closes that gap for everything up
//! to the point where it was cut: keep anchors outside the database (a log shipper, a
//! ticket, a printout), and verify against the newest. An anchor says nothing about events
//! appended after it, and nothing about an edit made before it was cut.

use std::fmt;
use std::str::FromStr;

use super::chain::{ChainEnds, ChainLink};
use super::scope::AuditScope;
use crate::clock::Timestamp;
use crate::store::columns::CorruptAuditRow;
use crate::store::{Store, StoreError, StoreErrorKind};

/// Events read per page while verifying.
const PAGE: u32 = 512;

/// The chain's head at a moment, to keep outside the database. Its text form is one line:
/// `customer-access-audit-anchor v1 <seq> <hash> <cut_at millis>`.
///
/// ```
/// use customer_access::AuditAnchor;
/// let text = "customer-access-audit-anchor v1 7 \
///     0000000000000000000000000000000000000000000000000000000000000000 1700000000000";
/// let anchor: AuditAnchor = text.parse().unwrap();
/// assert_eq!(anchor.link.seq, 7);
/// assert_eq!(anchor.to_string(), text);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AuditAnchor {
    /// The chain's head when the anchor was cut.
    pub link: ChainLink,
    /// When it was cut.
    pub cut_at: Timestamp,
}

const ANCHOR_TAG: &str = "customer-access-audit-anchor v1";

impl fmt::Display for AuditAnchor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ANCHOR_TAG} {} {} {}", self.link.seq, self.link.hash, self.cut_at.unix_millis())
    }
}

/// Text that is not an anchor's one-line form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("not an audit anchor (expected `{ANCHOR_TAG} <seq> <hash> <millis>`)")]
pub struct MalformedAnchor;

impl FromStr for AuditAnchor {
    type Err = MalformedAnchor;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s.trim().strip_prefix(ANCHOR_TAG).and_then(|r| r.strip_prefix(' ')).ok_or(MalformedAnchor)?;
        let mut parts = rest.split(' ');
        let (Some(seq), Some(hash), Some(at), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(MalformedAnchor);
        };
        let canonical =
            |n: &str| !n.is_empty() && (n == "0" || !n.starts_with('0')) && n.bytes().all(|b| b.is_ascii_digit());
        if !canonical(seq) || !canonical(at) {
            return Err(MalformedAnchor);
        }
        Ok(Self {
            link: ChainLink {
                seq: seq.parse().map_err(|_| MalformedAnchor)?,
                hash: hash.parse().map_err(|_| MalformedAnchor)?,
            },
            cut_at: Timestamp::from_unix_millis(at.parse().map_err(|_| MalformedAnchor)?),
        })
    }
}

/// Where and how the chain is broken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuditBreak {
    /// The event at `seq` is not the one written there: its content, number or hash was
    /// changed, or it was moved from another place.
    #[error("audit event {seq} was changed or moved")]
    Altered {
        /// Its sequence number.
        seq: u64,
    },
    /// Events `first..=last` are missing.
    #[error("audit events {first} to {last} were removed")]
    Missing {
        /// The first missing sequence number.
        first: u64,
        /// The last missing sequence number.
        last: u64,
    },
    /// An event beyond the recorded head, written outside the chain.
    #[error("audit event {seq} lies beyond the chain's head")]
    BeyondHead {
        /// Its sequence number.
        seq: u64,
    },
    /// The oldest kept event does not follow the recorded base.
    #[error("the oldest kept audit event does not follow the chain's base {base_seq}")]
    Base {
        /// The base's sequence number.
        base_seq: u64,
    },
    /// The base event is younger than retention ever removes before it: the events before
    /// it were deleted by someone else than retention.
    #[error("the chain's base {seq} is younger than the retention allows: recent events were deleted")]
    BaseTooRecent {
        /// The base's sequence number.
        seq: u64,
    },
    /// The head is behind the anchor: events after the head were cut off.
    #[error("the chain ends at {head_seq}, before the anchor at {anchor_seq}: events were cut off")]
    Truncated {
        /// The head's sequence number.
        head_seq: u64,
        /// The anchor's.
        anchor_seq: u64,
    },
    /// The event at the anchor's place differs from the anchored one: the chain was rebuilt.
    #[error("audit event {seq} differs from the anchor: the chain was rewritten")]
    AnchorMismatch {
        /// The anchor's sequence number.
        seq: u64,
    },
}

/// What an anchor could show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnchorCheck {
    /// No anchor was given.
    NotGiven,
    /// The chain still holds the anchored event unchanged.
    Matched,
    /// The anchor is older than the chain's base (retention removed its event): it proves
    /// nothing about the kept events.
    BeforeBase,
}

/// An intact chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditVerification {
    /// Its ends.
    pub ends: ChainEnds,
    /// How many events were checked.
    pub events: u64,
    /// What the anchor showed.
    pub anchor: AnchorCheck,
    /// When the base event happened, once retention removed older ones (`None` while the
    /// chain starts at the beginning). Retention keeps every event younger than its
    /// `keep`, so a base younger than that was not set by retention (see
    /// [`AuditBreak::BaseTooRecent`]).
    pub base_at: Option<Timestamp>,
    /// When the head event happened (`None` for an empty log): with the verifier's clock,
    /// the reference a base's age is judged against, since retention measures from it too.
    pub head_at: Option<Timestamp>,
}

/// Why verification did not succeed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The chain is broken; the oldest break found is reported.
    #[error(transparent)]
    Broken(AuditBreak),
    /// The store could not be read.
    #[error("could not read the audit log: {0}")]
    Store(#[from] StoreError),
}

/// Walk `store`'s whole chain, newest first, and report its oldest break, or that it is
/// intact (and matches `anchor`, when given). Reads every event once, in pages, while the
/// application keeps writing: events appended and events removed by retention during the
/// walk are told from tampering by reading the chain's ends again.
///
/// # Errors
/// [`VerifyError::Broken`] with the oldest break; [`VerifyError::Store`] when reading fails.
pub async fn verify_audit<S: Store>(store: &S, anchor: Option<&AuditAnchor>) -> Result<AuditVerification, VerifyError> {
    let ends = store.audit_chain().await?;
    let mut oldest_break = None;
    let mut anchor_check = AnchorCheck::NotGiven;
    if let Some(anchor) = anchor {
        anchor_check = if anchor.link.seq > ends.head.seq {
            oldest_break = Some(AuditBreak::Truncated { head_seq: ends.head.seq, anchor_seq: anchor.link.seq });
            AnchorCheck::Matched
        } else if anchor.link.seq < ends.base.seq {
            AnchorCheck::BeforeBase
        } else if anchor.link.seq == ends.base.seq && anchor.link != ends.base {
            oldest_break = Some(AuditBreak::AnchorMismatch { seq: anchor.link.seq });
            AnchorCheck::Matched
        } else {
            AnchorCheck::Matched
        };
    }
    let anchored = anchor.filter(|a| anchor_check == AnchorCheck::Matched && a.link.seq > ends.base.seq);
    let mut expected = ends.head;
    let mut newer_intact = true;
    let mut beyond_head = Vec::new();
    let mut events = 0u64;
    let mut before = None;
    let mut saw_base = None;
    let mut head_at = None;
    let mut anchor_compared = false;
    let mut oldest = None;
    loop {
        let page = match store.audit_page(&AuditScope::All, before, PAGE).await {
            Ok(page) => page,
            Err(e) => match corrupt_row(&e) {
                // A row that no longer decodes was edited: name it, as for any edit.
                Some(seq) => return Err(VerifyError::Broken(AuditBreak::Altered { seq })),
                None => return Err(e.into()),
            },
        };
        let Some(last) = page.last() else { break };
        before = Some(last.seq);
        for record in &page {
            events += 1;
            if record.seq > ends.head.seq {
                // Appended after the ends were read, or slipped in: decided after the walk.
                beyond_head.push(record.seq);
                continue;
            }
            if record.seq > expected.seq {
                oldest_break = Some(AuditBreak::BeyondHead { seq: record.seq });
                continue;
            }
            let intact = record.is_intact();
            if record.seq < expected.seq {
                oldest_break = Some(AuditBreak::Missing { first: record.seq + 1, last: expected.seq });
            } else if record.hash != expected.hash && newer_intact {
                // The newer event is its own, so this one was replaced (by a forgery whose
                // hash was recomputed). When the newer one was altered itself, the broken link
                // is its fault, already reported.
                oldest_break = Some(AuditBreak::Altered { seq: record.seq });
            }
            if !intact {
                oldest_break = Some(AuditBreak::Altered { seq: record.seq });
            }
            newer_intact = intact;
            if let Some(a) = anchored.filter(|a| a.link.seq == record.seq && a.link.hash != record.hash) {
                oldest_break = Some(AuditBreak::AnchorMismatch { seq: a.link.seq });
            }
            if record.link() == ends.base {
                saw_base = Some(record.event.at);
            }
            if record.seq == ends.head.seq {
                head_at = Some(record.event.at);
            }
            anchor_compared |= anchored.is_some_and(|a| a.link.seq == record.seq);
            oldest = Some(record.seq);
            expected = ChainLink { seq: record.seq.saturating_sub(1), hash: record.prev };
        }
    }
    // The log may have moved during the walk: events appended after the ends were read, and
    // retention removing the oldest. Both move the ends, which are read again to tell them
    // from tampering (a store never moves its head past a number that already holds a row).
    let from_genesis = ends.base == ChainLink::GENESIS && expected == ChainLink::GENESIS;
    let mut base_at = saw_base;
    let reached_base = from_genesis || saw_base.is_some();
    let moved = if !beyond_head.is_empty() || !reached_base { store.audit_chain().await? } else { ends };
    let mut verified_ends = ends;
    if let Some(&seq) = beyond_head.iter().find(|&&seq| seq > moved.head.seq) {
        oldest_break = oldest_break.or(Some(AuditBreak::BeyondHead { seq }));
    }
    if !reached_base {
        // Retention during the walk moved the base up to an event the walk went through.
        let walked_through = moved.base != ends.base && oldest.is_some_and(|o| o <= moved.base.seq);
        let moved_base = if walked_through {
            store.audit_page(&AuditScope::All, Some(moved.base.seq + 1), 1).await?.into_iter().next()
        } else {
            None
        };
        match moved_base.filter(|r| r.link() == moved.base) {
            Some(base) => {
                base_at = Some(base.event.at);
                verified_ends.base = moved.base;
            }
            None => {
                oldest_break = Some(match oldest {
                    None => AuditBreak::Missing { first: ends.base.seq.max(1), last: ends.head.seq },
                    Some(o) if ends.base == ChainLink::GENESIS && o > 1 => {
                        AuditBreak::Missing { first: 1, last: o - 1 }
                    }
                    Some(o) if ends.base != ChainLink::GENESIS && o > ends.base.seq => {
                        AuditBreak::Missing { first: ends.base.seq, last: o - 1 }
                    }
                    Some(_) => AuditBreak::Base { base_seq: ends.base.seq },
                });
            }
        }
    }
    if anchored.is_some() && !anchor_compared {
        // Retention removed the anchored event during the walk: it was never compared, and
        // the chain now starts after it.
        anchor_check = AnchorCheck::BeforeBase;
    }
    match oldest_break {
        Some(b) => Err(VerifyError::Broken(b)),
        None => Ok(AuditVerification { ends: verified_ends, events, anchor: anchor_check, base_at, head_at }),
    }
}

/// The sequence number of the audit row `error` says does not decode, if it says so.
fn corrupt_row(error: &StoreError) -> Option<u64> {
    if error.kind() != StoreErrorKind::Corrupt {
        return None;
    }
    let row = std::error::Error::source(error)?.downcast_ref::<CorruptAuditRow>()?;
    Some(u64::try_from(row.seq).unwrap_or(0))
}

/// An anchor for `store`'s current head, cut at `now`.
///
/// # Errors
/// Store failures.
pub async fn cut_anchor<S: Store>(store: &S, now: Timestamp) -> Result<AuditAnchor, StoreError> {
    Ok(AuditAnchor { link: store.audit_chain().await?.head, cut_at: now })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::AuditHash;

    #[test]
    fn anchors_parse_only_their_own_form() {
        let hash = AuditHash::GENESIS;
        let good = format!("{ANCHOR_TAG} 3 {hash} 12");
        assert!(good.parse::<AuditAnchor>().is_ok());
        for bad in [
            format!("{ANCHOR_TAG} 03 {hash} 12"),
            format!("{ANCHOR_TAG} 3 {hash} 12 x"),
            format!("{ANCHOR_TAG} -3 {hash} 12"),
            format!("{ANCHOR_TAG} 3 {hash}"),
            format!("{ANCHOR_TAG}  3 {hash} 12"),
            format!("v0 3 {hash} 12"),
            String::new(),
        ] {
            assert_eq!(bad.parse::<AuditAnchor>(), Err(MalformedAnchor), "{bad}");
        }
    }
}
