//! Which events an audit read or a reset budget covers.

use std::fmt;

use super::{AuditEvent, AuditKind};
use crate::actor::{Actor, Staff};
use crate::clock::Timestamp;
use crate::ids::{ContactId, DeviceId, RetailerId, StaffId};

/// A slice of the audit log: the whole store, or the events of one contact, one retailer,
/// one staff member (as actor, on any device) or one iPad device.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditScope {
    /// Every event.
    All,
    /// Events about this contact.
    Contact(ContactId),
    /// Events about this retailer or its contacts.
    Retailer(RetailerId),
    /// Events this staff member caused.
    Staff(StaffId),
    /// Events caused from this iPad.
    Device(DeviceId),
}

impl AuditScope {
    /// Is `event` in this scope?
    pub fn matches(&self, event: &AuditEvent) -> bool {
        match self {
            Self::All => true,
            Self::Contact(id) => event.contact == Some(*id),
            Self::Retailer(id) => event.retailer == Some(*id),
            Self::Staff(id) => staff_of(&event.actor) == Some(*id),
            Self::Device(id) => device_of(&event.actor) == Some(id),
        }
    }
}

impl fmt::Display for AuditScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("the whole store"),
            Self::Contact(id) => write!(f, "contact {id}"),
            Self::Retailer(id) => write!(f, "retailer {id}"),
            Self::Staff(id) => write!(f, "staff member {id}"),
            Self::Device(id) => write!(f, "device {id}"),
        }
    }
}

/// The staff member an actor is, if any (a store's `staff_id` column).
pub fn staff_of(actor: &Actor) -> Option<StaffId> {
    match actor {
        Actor::Staff(staff) => Some(staff.staff_id()),
        _ => None,
    }
}

/// The iPad an actor acts from, if any (a store's `device_id` column).
pub fn device_of(actor: &Actor) -> Option<&DeviceId> {
    match actor {
        Actor::Staff(Staff::IpadUser { device_id, .. }) => Some(device_id),
        _ => None,
    }
}

/// A condition a budgeted save must meet, checked in the same atomic write: fewer than
/// `limit` stored events of any of `kinds` in `scope` at or after `since`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BudgetCheck {
    /// Whose events count.
    pub scope: AuditScope,
    /// Which events count (at least one kind).
    pub kinds: Vec<AuditKind>,
    /// The start of the sliding window.
    pub since: Timestamp,
    /// How many such events the window may already hold before this save is refused.
    pub limit: u32,
}

impl BudgetCheck {
    /// A check of events of `kinds` in `scope` since `since`, at most `limit`.
    pub fn new(scope: AuditScope, kinds: &[AuditKind], since: Timestamp, limit: u32) -> Self {
        Self { scope, kinds: kinds.to_vec(), since, limit }
    }

    /// Does this (already stored) event count against the budget?
    pub fn counts(&self, event: &AuditEvent) -> bool {
        self.kinds.contains(&event.kind) && event.at >= self.since && self.scope.matches(event)
    }
}

/// A budgeted save was refused: the check at index `check` had no room left. Nothing was
/// written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("budget check {check} exhausted")]
pub struct OverBudget {
    /// The index of the first exhausted check in the slice passed to the store.
    pub check: usize,
}
