//! A store wrapper that injects failures: every call is counted, and a chosen call (or every
//! save) fails with a chosen kind. Used to prove the service is all-or-nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use customer_access::MemoryStore;
use customer_access::store::{StoreError, StoreErrorKind, StoreResult};

use super::hooked::{Call, Hooked, Hooks};

/// A memory store with [`Faults`].
pub type FaultyStore = Hooked<Faults>;

#[derive(Clone, Debug, Default)]
pub struct Faults {
    calls: Arc<AtomicUsize>,
    saves: Arc<AtomicUsize>,
    /// Fail the call with this 1-based number (0: never).
    fail_call: Arc<AtomicUsize>,
    /// Fail every call from `fail_call` on, not just that one.
    persistent: Arc<std::sync::atomic::AtomicBool>,
    /// Every save loses its compare-and-swap.
    always_conflict: Arc<std::sync::atomic::AtomicBool>,
}

impl Faults {
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    pub fn saves(&self) -> usize {
        self.saves.load(Ordering::SeqCst)
    }

    /// Fail call number `k` from now (1-based), once or from then on.
    pub fn fail_at(&self, k: usize, persistent: bool) {
        self.fail_call.store(self.calls() + k, Ordering::SeqCst);
        self.persistent.store(persistent, Ordering::SeqCst);
    }

    pub fn heal(&self) {
        self.fail_call.store(0, Ordering::SeqCst);
        self.always_conflict.store(false, Ordering::SeqCst);
    }

    pub fn always_conflict(&self) {
        self.always_conflict.store(true, Ordering::SeqCst);
    }

    fn tick(&self) -> StoreResult<()> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let k = self.fail_call.load(Ordering::SeqCst);
        let hit = k != 0 && (n == k || (n > k && self.persistent.load(Ordering::SeqCst)));
        if hit { Err(StoreError::new(StoreErrorKind::Unavailable)) } else { Ok(()) }
    }
}

impl Hooks for Faults {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        self.tick()?;
        if let Call::Save { .. } = call {
            self.saves.fetch_add(1, Ordering::SeqCst);
            if self.always_conflict.load(Ordering::SeqCst) {
                return Err(StoreError::new(StoreErrorKind::Conflict));
            }
        }
        Ok(())
    }
}
