//! Staff reset budgets: the checks a staff reset's save carries, the refusal, and the hook
//! that tells the application.
//!
//! The store counts the budgeted events inside the reset's own write, under the audit
//! chain's lock (`Store::save_within_budgets`), so a burst of resets from one iPad, on any
//! number of instances, gets exactly the budget and no more.

use std::sync::{Arc, PoisonError, RwLock};

use customer_access_policy::{Budget, StaffResetBudgets};

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind, AuditScope, BudgetCheck, OverBudget};
use crate::clock::{Clock, Timestamp};
use crate::error::ServiceError;
use crate::ids::{ContactId, RetailerId};
use crate::mailer::Mailer;
use crate::store::{Store, StoreError, StoreErrorKind};

use super::AccessService;

/// A staff reset refused by a budget: what the application's alert hook receives (see
/// [`AccessService::set_alert_hook`]). Route it to whoever can take an iPad offline.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StaffAlert {
    /// When.
    pub at: Timestamp,
    /// Who asked for the reset (with their device, for an iPad user).
    pub staff: Staff,
    /// The contact they wanted reset.
    pub contact: ContactId,
    /// Its retailer.
    pub retailer: RetailerId,
    /// The budget that ran out: [`AuditScope::Staff`], [`AuditScope::Device`] or
    /// [`AuditScope::Retailer`].
    pub scope: AuditScope,
    /// Its size.
    pub budget: Budget,
}

type HookFn = dyn Fn(&StaffAlert) + Send + Sync;

/// The application's alert hook, if it set one.
#[derive(Default)]
pub(super) struct AlertHook(RwLock<Option<Arc<HookFn>>>);

impl AlertHook {
    fn set(&self, hook: Arc<HookFn>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = Some(hook);
    }

    fn get(&self) -> Option<Arc<HookFn>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

/// What the budgets count: every staff action that takes a contact's login out of its
/// owner's hands. A reset e-mails a new temporary password; a removal or a username change
/// frees the username for an invitation to any address, so either followed by an invitation
/// is a reset by other means.
const BUDGETED: &[AuditKind] = &[AuditKind::StaffResetIssued, AuditKind::ContactRemoved, AuditKind::UsernameChanged];

/// The budget checks of one save, each with the scope and budget it stands for.
pub(super) struct Budgets {
    checks: Vec<BudgetCheck>,
    sizes: Vec<Budget>,
}

impl Budgets {
    /// No budget: a plain save.
    pub(super) fn none() -> Self {
        Self { checks: Vec::new(), sizes: Vec::new() }
    }

    /// A staff reset's (or removal's) budgets at `now`: the staff member's, the iPad's (iPad users only) and
    /// the retailer's.
    pub(super) fn staff_reset(policy: &StaffResetBudgets, staff: &Staff, retailer: RetailerId, now: Timestamp) -> Self {
        let mut scoped = vec![
            (AuditScope::Staff(staff.staff_id()), policy.per_staff_member),
            (AuditScope::Retailer(retailer), policy.per_retailer),
        ];
        if let Staff::IpadUser { device_id, .. } = staff {
            scoped.insert(1, (AuditScope::Device(device_id.clone()), policy.per_device));
        }
        let checks = scoped
            .iter()
            .map(|(scope, budget)| BudgetCheck::new(scope.clone(), BUDGETED, now.minus(budget.window), budget.max))
            .collect();
        Self { checks, sizes: scoped.into_iter().map(|(_, budget)| budget).collect() }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }

    pub(super) fn checks(&self) -> &[BudgetCheck] {
        &self.checks
    }

    /// The error for a store's refusal. A check index out of range breaks the store's
    /// contract: reported as a store error (the store wrote nothing either way).
    pub(super) fn refusal(&self, over: OverBudget) -> ServiceError {
        match (self.checks.get(over.check), self.sizes.get(over.check)) {
            (Some(check), Some(budget)) => {
                ServiceError::ResetBudgetExceeded { scope: check.scope.clone(), max: budget.max, window: budget.window }
            }
            _ => ServiceError::Store(StoreError::with_source(StoreErrorKind::Other, over)),
        }
    }
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Call `hook` whenever a staff reset is refused by a budget (after the refusal is
    /// audited). It runs on the request's task: keep it short (queue the alert, do not send
    /// it from here). Replaces an earlier hook; every clone of the service shares it.
    ///
    /// ```
    /// # use customer_access::*;
    /// # let service = AccessService::new(MemoryStore::new(), RecordingMailer::default(),
    /// #     SystemClock, SecurityPolicy::default()).unwrap();
    /// service.set_alert_hook(|alert: &StaffAlert| {
    ///     eprintln!("reset budget of {} used up by staff {}", alert.scope, alert.staff.staff_id());
    /// });
    /// ```
    pub fn set_alert_hook(&self, hook: impl Fn(&StaffAlert) + Send + Sync + 'static) {
        self.inner.alerts.set(Arc::new(hook));
    }

    /// Audit a staff reset a budget refused, tell the hook, and return the refusal.
    pub(super) async fn refuse_over_budget(
        &self,
        staff: &Staff,
        contact: ContactId,
        retailer: RetailerId,
        refusal: ServiceError,
    ) -> ServiceError {
        let ServiceError::ResetBudgetExceeded { scope, max, window } = &refusal else {
            return refusal;
        };
        let now = self.now();
        tracing::warn!(staff = %staff.staff_id(), scope = %scope, "staff reset refused: budget used up");
        let event = AuditEvent {
            at: now,
            actor: Actor::Staff(staff.clone()),
            retailer: Some(retailer),
            contact: Some(contact),
            kind: AuditKind::ResetBudgetExceeded,
        };
        if let Err(e) = self.inner.store.append_audit(&[event]).await {
            tracing::error!(error = %e, "could not audit a refused staff reset");
        }
        if let Some(hook) = self.inner.alerts.get() {
            hook(&StaffAlert {
                at: now,
                staff: staff.clone(),
                contact,
                retailer,
                scope: scope.clone(),
                budget: Budget::new(*max, *window),
            });
        }
        refusal
    }
}
