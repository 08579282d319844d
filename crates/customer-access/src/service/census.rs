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
use crate::error::ServiceError;
use crate::hashing::{HashError, HashParameters};
use crate::mailer::Mailer;
use crate::store::Store;

use super::AccessService;

/// How often the census is taken again.
pub const CENSUS_INTERVAL: Duration = Duration::from_secs(300);
/// Parameter sets beyond which the census warns: each costs every login one more
/// verification per slot, so a store with more is a deployment to fix (reset the oldest
/// imported contacts), though every set found is still padded to: dropping one would let
/// its usernames be told apart.
const WARN_PARAMETER_SETS: usize = 8;
/// Most store queries per census (each finds one prefix: a parameter set, or a hash whose
/// prefix includes its salt, as a PHC string without `v=` has). A store with more is
/// refused, like a missing pepper key: padding to some sets only would let the others'
/// usernames be told apart.
const MAX_CENSUS_QUERIES: usize = 64;

/// The parameter sets in use and when they were counted.
#[derive(Debug, Default)]
pub(super) struct Census {
    sets: Vec<HashParameters>,
    /// A pepper key id some stored hash names but the service was not given.
    missing_pepper: Option<String>,
    /// The store holds more prefixes than one census may look for.
    incomplete: bool,
    taken_at: Option<Timestamp>,
}

impl Census {
    /// The sets, or the configuration error that stops every login alike (so that which
    /// usernames' hashes need the missing key is not told by their answers).
    fn padding(&self) -> Result<Vec<HashParameters>, ServiceError> {
        match &self.missing_pepper {
            Some(id) => Err(ServiceError::Hashing(HashError::UnknownPepper(id.clone()))),
            None if self.incomplete => Err(ServiceError::Hashing(HashError::TooManyParameterSets)),
            None => Ok(self.sets.clone()),
        }
    }
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
    ///
    /// # Errors
    /// [`HashError::UnknownPepper`] while a stored hash names a pepper key the service
    /// lacks: every login fails alike until it is configured.
    pub(super) async fn hash_padding(&self) -> Result<Vec<HashParameters>, ServiceError> {
        let mut sets = self.stored_padding().await?;
        // Sets this instance has just imported: padded to before any census has seen them.
        for set in self.inner.hasher.wrapped_sets() {
            if !sets.contains(&set) {
                sets.push(set);
            }
        }
        Ok(sets)
    }

    /// A login found a hash under a pepper key this service lacks: from now on every login
    /// fails alike, as if the census had found it, until a census finds the key given.
    pub(super) fn pepper_missing(&self, id: String) {
        self.inner.census.lock().missing_pepper.get_or_insert(id);
    }

    /// The census's sets, refreshed as described on [`hash_padding`](Self::hash_padding).
    async fn stored_padding(&self) -> Result<Vec<HashParameters>, ServiceError> {
        let cell = &self.inner.census;
        let now = self.now();
        let _refreshing = {
            let census = cell.lock();
            let fresh = census.taken_at.is_some_and(|t| now < t.plus(CENSUS_INTERVAL));
            if fresh {
                return census.padding();
            }
            if census.taken_at.is_some() {
                if cell.taking.swap(true, Ordering::AcqRel) {
                    return census.padding();
                }
                // Cleared however this future ends, dropped mid-census included: a login
                // abandoned by its client must not stop the census for good.
                Some(TakingFlag(&cell.taking))
            } else {
                None
            }
        };
        let taken = self.take_census(now).await;
        let mut census = cell.lock();
        match taken {
            Ok(taken) => *census = taken,
            Err(e) => tracing::warn!(error = %e, "could not count the hash parameters in use; keeping the last count"),
        }
        census.padding()
    }

    /// Check, at start-up, that the service can verify every stored hash: each pepper key a
    /// stored hash names was given ([`Peppers`](crate::hashing::Peppers)). Takes a fresh
    /// census of the store (one query per parameter set and key in use), which the next
    /// logins then use. Logins refuse to run while a key is missing anyway; this makes it a
    /// start-up error rather than a login one.
    ///
    /// # Errors
    /// [`ServiceError::Hashing`] with [`HashError::UnknownPepper`] naming the key; store
    /// failures.
    pub async fn check_configuration(&self) -> Result<(), ServiceError> {
        let census = self.take_census(self.now()).await?;
        let result = census.padding().map(drop);
        *self.inner.census.lock() = census;
        if let Err(e) = &result {
            tracing::error!(error = %e, "a stored password hash needs a pepper key that is not configured");
        }
        result
    }

    /// Count the parameter sets in use, one store query per set (and pepper key) found.
    async fn take_census(&self, now: Timestamp) -> Result<Census, crate::store::StoreError> {
        let hasher = &self.inner.hasher;
        let mut prefixes = vec![hasher.current_prefix().to_owned()];
        let mut census = Census {
            sets: vec![hasher.current_parameters()],
            missing_pepper: None,
            incomplete: false,
            taken_at: Some(now),
        };
        for _ in 0..MAX_CENSUS_QUERIES {
            let Some(found) = self.inner.store.hash_outside(&prefixes).await? else {
                hasher.census_found(&census.sets);
                if census.sets.len() > WARN_PARAMETER_SETS {
                    tracing::warn!(
                        sets = census.sets.len(),
                        "many hash parameter sets in use: every login pays for each; reset the oldest imported contacts"
                    );
                }
                return Ok(census);
            };
            prefixes.push(found.phc_prefix().to_owned());
            if let Err(HashError::UnknownPepper(id)) = hasher.check_pepper(&found) {
                census.missing_pepper.get_or_insert(id);
            }
            // An unusable hash fails at no cost: nothing to pad for.
            if let Ok(params) = hasher.parameters_of(&found)
                && !census.sets.contains(&params)
            {
                census.sets.push(params);
            }
        }
        tracing::error!(
            queries = MAX_CENSUS_QUERIES,
            "more stored hash prefixes than a census looks for: logins refused until fixed"
        );
        census.incomplete = true;
        Ok(census)
    }
}
