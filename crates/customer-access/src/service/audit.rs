//! The audit log for staff and operators: pages by scope, verification, anchors, retention.

use std::time::Duration;

use crate::actor::Staff;
use crate::audit::{AuditAnchor, AuditRecord, AuditScope, AuditVerification, VerifyError, cut_anchor, verify_audit};
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
    /// manage, and their own events and device; anything else is
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
            (Staff::IpadUser { staff_id, .. }, AuditScope::Staff(id)) if id == staff_id => {}
            (Staff::IpadUser { device_id, .. }, AuditScope::Device(id)) if id == device_id => {}
            (Staff::IpadUser { .. }, _) => return self.deny(staff, None, None).await,
        }
        Ok(self.inner.store.audit_page(scope, before, limit).await?)
    }

    /// Walk the whole audit chain (see [`verify_audit`]).
    ///
    /// # Errors
    /// [`VerifyError::Broken`] naming the oldest break; store failures.
    pub async fn verify_audit(&self, anchor: Option<&AuditAnchor>) -> Result<AuditVerification, VerifyError> {
        verify_audit(&self.inner.store, anchor).await
    }

    /// An anchor for the chain's current head, to keep outside the database (see
    /// [`AuditAnchor`]). Cut one periodically (say hourly) and ship it to another system.
    ///
    /// # Errors
    /// Store failures.
    pub async fn audit_anchor(&self) -> Result<AuditAnchor, ServiceError> {
        Ok(cut_anchor(&self.inner.store, self.now()).await?)
    }

    /// Retention: remove the audit events older than `keep` (see
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
        let ends = self.inner.store.prune_audit(now.minus(keep)).await?;
        tracing::info!(base = ends.base.seq, "audit log pruned");
        Ok(AuditAnchor { link: ends.base, cut_at: now })
    }
}
