//! The audit log for staff and operators: pages by scope, verification, anchors, retention.

use std::time::Duration;

use crate::actor::Staff;
use crate::audit::{
    AuditAnchor, AuditBreak, AuditRecord, AuditScope, AuditVerification, VerifyError, cut_anchor, verify_audit,
};
use crate::clock::Clock;
use crate::error::ServiceError;
use crate::input::InputError;
use crate::mailer::Mailer;
use crate::store::Store;

use super::AccessService;

/// The largest page [`AccessService::audit_page`] returns.
pub const MAX_AUDIT_PAGE: u32 = 500;

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// One page of the audit log in `scope`, newest first: at most `limit` events whose
    /// sequence number is below `before` (from the newest when `None`). For the next page
    /// pass the last record's `seq`.
    ///
    /// Sales admins read any scope. An iPad user reads the contacts and retailers they may
    /// manage, and their own events and their iPad's, of the retailers they manage (a denied
    /// access outside them is left out, so the log does not tell a foreign contact from a
    /// missing one); anything else is
    /// [`Forbidden`](ServiceError::Forbidden) and audited, like any access outside their
    /// retailers.
    ///
    /// # Errors
    /// [`InputError::PageSize`] unless `1 <= limit <= MAX_AUDIT_PAGE` (before any read);
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`] (sales admins);
    /// store failures.
    #[tracing::instrument(skip_all, name = "audit_page", fields(scope = %scope))]
    pub async fn audit_page(
        &self,
        staff: &Staff,
        scope: &AuditScope,
        before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, ServiceError> {
        if !(1..=MAX_AUDIT_PAGE).contains(&limit) {
            return Err(InputError::PageSize { max: MAX_AUDIT_PAGE }.into());
        }
        match (staff, scope) {
            (Staff::SalesAdmin { .. }, AuditScope::Contact(contact)) => {
                self.load_for_staff_even_removed(staff, *contact).await?;
            }
            (Staff::SalesAdmin { .. }, _) => {}
            (Staff::IpadUser { .. }, AuditScope::Contact(contact)) => {
                self.load_for_staff_even_removed(staff, *contact).await?;
            }
            (Staff::IpadUser { .. }, AuditScope::Retailer(retailer)) => self.authorize(staff, *retailer, None).await?,
            (Staff::IpadUser { staff_id, .. }, AuditScope::Staff(id)) if id == staff_id => {
                return self.own_events(*staff_id, scope, before, limit).await;
            }
            (Staff::IpadUser { staff_id, device_id }, AuditScope::Device(id)) if id == device_id => {
                return self.own_events(*staff_id, scope, before, limit).await;
            }
            (Staff::IpadUser { .. }, _) => return self.deny(staff, None, None).await,
        }
        Ok(self.inner.store.audit_page(scope, before, limit).await?)
    }

    /// An iPad user's own events (or their iPad's), left out where they name no retailer the
    /// user manages now. The events of a denied access carry the retailer the probed contact
    /// belongs to, and none for an id no contact has: shown, they would tell the two apart
    /// (the one thing `Forbidden` must not); and an iPad passed on to another rep must not
    /// show the retailers it was used for.
    async fn own_events(
        &self,
        staff_id: crate::ids::StaffId,
        scope: &AuditScope,
        mut before: Option<u64>,
        limit: u32,
    ) -> Result<Vec<AuditRecord>, ServiceError> {
        let managed = self.inner.store.assigned_retailers(staff_id).await?;
        let mut page = Vec::new();
        loop {
            let read = self.inner.store.audit_page(scope, before, limit).await?;
            let exhausted = read.len() < limit as usize;
            before = read.last().map(|r| r.seq);
            page.extend(read.into_iter().filter(|r| r.event.retailer.is_some_and(|id| managed.contains(&id))));
            if page.len() >= limit as usize || exhausted || before.is_none() {
                page.truncate(limit as usize);
                return Ok(page);
            }
        }
    }

    /// Walk the whole audit chain (see [`verify_audit`]), and check that the chain's base is
    /// no younger than retention allows (`prune_audit` keeps at least the longest budget
    /// window): a base younger than that means recent events were deleted and the base moved
    /// by hand ([`AuditBreak::BaseTooRecent`]).
    ///
    /// # Errors
    /// [`VerifyError::Broken`] naming the oldest break; store failures.
    pub async fn verify_audit(&self, anchor: Option<&AuditAnchor>) -> Result<AuditVerification, VerifyError> {
        let verified = verify_audit(&self.inner.store, anchor).await?;
        // `prune_audit` never keeps a base younger than the longest budget window.
        // Measured like retention measures: from the later of this clock and the newest
        // event, so an instance whose clock runs ahead is no false alarm.
        let reference = verified.head_at.map_or(self.now(), |at| at.max(self.now()));
        let youngest_base = reference.minus(self.inner.policy.staff_reset_budgets.longest_window());
        if verified.base_at.is_some_and(|at| at > youngest_base) {
            return Err(VerifyError::Broken(AuditBreak::BaseTooRecent { seq: verified.ends.base.seq }));
        }
        Ok(verified)
    }

    /// An anchor for the chain's current head, to keep outside the database (see
    /// [`AuditAnchor`]). Cut one periodically (say hourly) and ship it to another system.
    ///
    /// # Errors
    /// Store failures.
    pub async fn audit_anchor(&self) -> Result<AuditAnchor, ServiceError> {
        Ok(cut_anchor(&self.inner.store, self.now()).await?)
    }

    /// Retention: remove the audit events older than `keep`, counted back from now or from
    /// the newest event if that is older (a clock running ahead removes nothing early) (see
    /// [`Store::prune_audit`]) and return an anchor for the chain's new base. Verification
    /// goes on from that base; keep the anchor with your earlier ones.
    ///
    /// # Errors
    /// [`InputError::RetentionTooShort`] if `keep` is shorter than the longest staff reset
    /// budget window (its events still count), before anything is removed; store failures.
    pub async fn prune_audit(&self, keep: Duration) -> Result<AuditAnchor, ServiceError> {
        let min = self.inner.policy.staff_reset_budgets.longest_window();
        if keep < min {
            return Err(InputError::RetentionTooShort { min_secs: min.as_secs() }.into());
        }
        let now = self.now();
        // Measured against the log too: an instance whose clock runs ahead must not remove
        // the events of the last `keep` (and with them the budgets' memory).
        let newest = self.inner.store.audit_page(&AuditScope::All, None, 1).await?;
        let latest = newest.first().map_or(now, |r| r.event.at.min(now));
        let ends = self.inner.store.prune_audit(latest.minus(keep)).await?;
        tracing::info!(base = ends.base.seq, "audit log pruned");
        Ok(AuditAnchor { link: ends.base, cut_at: now })
    }
}
