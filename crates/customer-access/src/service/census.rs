//! Which hash parameter sets are in use, so that every login can be padded to all of them.
//!
//! A login verifies the username's stored hash with that hash's own parameters, and an
//! unknown username a dummy with the current ones; while contacts with hashes made under
//! other parameters exist (before a parameter change reaches them, or imported hashes), that
//! difference tells them apart from unknown usernames. So every login pads each of its two
//! verifications with dummy ones for every other parameter set in use
//! ([`HashPool::verify_pair_padded`](crate::hashing::HashPool::verify_pair_padded)), and this census
//! keeps the list: taken from the store on first use and again every
//! [`CENSUS_INTERVAL`] of the service's clock. Once the last outdated hash is upgraded at
//! its contact's login, the next census drops its parameters and logins cost one set again.

use std::sync::atomic::Ordering;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::clock::{Clock, Timestamp};
use crate::hashing::HashParameters;
use crate::mailer::Mailer;
use crate::store::Store;

use super::AccessService;

/// How often the census is taken again.
pub const CENSUS_INTERVAL: Duration = Duration::from_secs(300);
/// Most parameter sets looked for: each costs every login one more verification per slot,
/// so a store with more is a deployment to fix (logged), not one to pad without bound.
const MAX_PARAMETER_SETS: usize = 8;
/// Most store queries per census. More than the sets: a hash whose prefix includes its salt
/// (a PHC string without `v=`, as some imports have) is a prefix of its own without being a
/// new parameter set.
const MAX_CENSUS_QUERIES: usize = 64;

/// The parameter sets in use and when they were counted.
#[derive(Debug, Default)]
pub(super) struct Census {
    sets: Vec<HashParameters>,
    taken_at: Option<Timestamp>,
}

/// The census behind a lock, and whether one is being taken (so a burst of logins does not
/// take it many times over).
#[derive(Debug, Default)]
pub(super) struct CensusCell {
    census: Mutex<Census>,
    taking: std::sync::atomic::AtomicBool,
}

/// Clears the "census being taken" flag when dropped.
struct TakingFlag<'a>(&'a std::sync::atomic::AtomicBool);

impl Drop for TakingFlag<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl CensusCell {
    fn lock(&self) -> std::sync::MutexGuard<'_, Census> {
        self.census.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// The parameter sets every login pads to (the current one always among them).
    ///
    /// While a refresh runs, other logins use the last count; before the first count exists,
    /// every login takes one itself rather than go unpadded.
    pub(super) async fn hash_padding(&self) -> Vec<HashParameters> {
        let cell = &self.inner.census;
        let now = self.now();
        let _refreshing = {
            let census = cell.lock();
            let fresh = census.taken_at.is_some_and(|t| now < t.plus(CENSUS_INTERVAL));
            if fresh {
                return census.sets.clone();
            }
            if census.taken_at.is_some() {
                if cell.taking.swap(true, Ordering::AcqRel) {
                    return census.sets.clone();
                }
                // Cleared however this future ends, dropped mid-census included: a login
                // abandoned by its client must not stop the census for good.
                Some(TakingFlag(&cell.taking))
            } else {
                None
            }
        };
        let taken = self.take_census().await;
        let mut census = cell.lock();
        match taken {
            Ok(sets) => *census = Census { sets, taken_at: Some(now) },
            Err(e) => tracing::warn!(error = %e, "could not count the hash parameters in use; keeping the last count"),
        }
        census.sets.clone()
    }

    /// Count the parameter sets in use, one store query per set found.
    async fn take_census(&self) -> Result<Vec<HashParameters>, crate::store::StoreError> {
        let current = self.inner.hasher.current_parameters();
        let max_memory = self.inner.policy.argon2.max_stored_memory_kib;
        let mut prefixes = vec![current.phc_prefix()];
        let mut sets = vec![current];
        for _ in 0..MAX_CENSUS_QUERIES {
            if sets.len() > MAX_PARAMETER_SETS {
                break;
            }
            let Some(found) = self.inner.store.hash_outside(&prefixes).await? else {
                return Ok(sets);
            };
            prefixes.push(found.phc_prefix().to_owned());
            // An unusable hash fails at no cost: nothing to pad for.
            if let Ok(params) = found.parameters(max_memory)
                && !sets.contains(&params)
            {
                sets.push(params);
            }
        }
        tracing::warn!(sets = sets.len(), "more hash parameter sets in use than logins are padded to");
        Ok(sets)
    }
}
