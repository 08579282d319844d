//! A memory store that runs retention (another instance's `prune_audit`) just before a
//! chosen `audit_page` call: retention racing a verification walk, deterministically.
#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use customer_access::store::StoreResult;
use customer_access::{MemoryStore, Store, Timestamp};

use crate::common::hooked::{Call, Hooked, Hooks};

/// Counts `audit_page` calls and prunes before the chosen one.
#[derive(Clone, Debug, Default)]
pub struct PruneBeforePage {
    pages: Arc<AtomicUsize>,
    prune_at_page: Arc<Mutex<Option<(usize, Timestamp)>>>,
}

impl PruneBeforePage {
    /// Prune everything before `before` just before the `k`-th `audit_page` call from now.
    pub fn prune_before_page(&self, k: usize, before: Timestamp) {
        let now = self.pages.load(Ordering::SeqCst);
        *self.prune_at_page.lock().unwrap() = Some((now + k, before));
    }
}

impl Hooks for PruneBeforePage {
    async fn before(&self, inner: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        if let Call::AuditPage = call {
            let n = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
            let armed = *self.prune_at_page.lock().unwrap();
            if let Some((_, before)) = armed.filter(|(k, _)| *k == n) {
                inner.prune_audit(before).await?;
            }
        }
        Ok(())
    }
}

pub type RacingStore = Hooked<PruneBeforePage>;
