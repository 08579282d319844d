//! The list of checks, each with the contract clause it holds a store to, and the two ways
//! to run them: [`run_all`](crate::run_all) in one test, or
//! [`conformance_tests!`](crate::conformance_tests) as one test per check.

use std::future::Future;

/// Call `$callback!` (a macro of this crate) with `($($args)*)` and then every check as
/// `name => "clause",`: the one list both runners expand.
#[doc(hidden)]
#[macro_export]
macro_rules! __with_checks {
    ($callback:ident ! ($($args:tt)*)) => {
        $crate::$callback! { ($($args)*)
            retailers_round_trip => "Retailers: create assigns ids, read back, list in id order; an unknown id is NotFound",
            contacts_round_trip => "Exact round trips: what is saved is what is loaded, field for field (timestamps to the millisecond)",
            usernames_unique_under_normalisation => "Unique usernames: no two contacts share a username_key; a taken key is Duplicate and writes nothing",
            concurrent_creates_of_one_username_have_one_winner => "Unique usernames under concurrency: of concurrent create_contact calls for one key exactly one succeeds",
            concurrent_renames_to_one_username_have_one_winner => "Unique usernames under concurrency: of concurrent renames onto one key exactly one succeeds",
            save_is_compare_and_swap => "Atomic saves with compare-and-swap: a stale revision is Conflict and writes nothing; a missing contact is NotFound",
            audit_is_atomic_with_the_record => "Atomic saves: audit events are appended with the record in one write, or not at all",
            decoy_is_invisible => "The decoy (id 0) is never a contact, a retailer or writable, nor joined by a contact, a staff assignment or a device",
            retailer_scoping => "Staff assignments: assigned_retailers lists exactly the assigned retailers, in id order",
            login_failures_swap_and_clear => "Compare-and-swap failure counters: swap_login_failures writes only from the expected state",
            concurrent_saves_have_one_winner => "Atomic saves with compare-and-swap: of concurrent saves from one revision exactly one wins",
            concurrent_failure_swaps_have_one_winner => "Compare-and-swap failure counters: of concurrent swaps from one state exactly one wins",
            failure_state_is_bounded => "Failed-login state stays bounded: forgotten entries go; beyond max_entries the weakest go first",
            devices_round_trip_and_stay_bounded => "Recognised devices: round trip, unique digests, at most keep_per_contact per contact",
            hash_census_finds_other_parameters => "hash_outside: finds a password or temporary hash outside the given prefixes, never the decoy's",
            login_burst_verifies_at_most_the_allowed => "Through the service: a login burst gets no more attempts verified than the back-off allows",
            stranger_cannot_lock_out_a_known_device => "Through the service: a recognised device is throttled on its own and ended by credential changes",
            ticket_redemption_races => "Through the service: of concurrent redemptions of one change ticket exactly one succeeds",
            either_secret_and_honest_expiry => "Through the service: a withdrawn temporary password stays withdrawn; an expired one is kept for the notice",
            removal_frees_the_username_and_keeps_the_audit => "Through the service: a removed contact stays a tombstone with its audit trail, and its username is free again",
            audit_chain_stays_one_line_under_concurrency => "One audit chain: concurrent writers produce sequence numbers 1..=n, each linked to the one before, the head on the newest",
            audit_pages_by_scope => "audit_page: exactly the scope's events, newest first, continued by `before` (exclusive)",
            audit_retention_keeps_the_chain_verifiable => "prune_audit: keeps the last event before the cut as the base, removes the older ones; the chain stays verifiable",
            budgets_hold_under_concurrency => "Budgets in the write: of concurrent budgeted saves no more succeed than the budget allows; a refused one writes nothing",
            preferences_round_trip => "Exact round trips of languages and time zones: a contact's through create and save, a retailer's replaced with its audit event in one write; an unknown retailer is NotFound and writes nothing",
            emails_follow_the_contact_then_the_retailer => "Through the service: e-mails in the contact's language and time zone, else the retailer's; staff and contact changes audited",
            import_batches_round_trip => "Imports: a batch creates retailers and contacts under their external ids with its events, found again by import_lookup; updates are compare-and-swap",
            import_batch_is_all_or_nothing => "Imports: a batch with a taken username or external id, a stale revision or an unknown retailer writes nothing",
            concurrent_imports_of_one_row_have_one_winner => "Imports under concurrency: of concurrent batches creating the same rows exactly one succeeds, the others are Duplicate",
            contacts_page_by_keyset => "contacts_after: one retailer's contacts in id order, strictly after the given id, at most `limit`; never another retailer's or the decoy",
            contact_search_stays_in_scope => "Through the service: contact search by name, username or e-mail, any case, page by page; never outside an iPad user's retailers",
            staff_reset_budget_through_the_service => "Through the service: 20 concurrent resets from one iPad against a budget of 5 give exactly 5, the rest refused, audited and alerted",
        }
    };
}

/// Expands to `run_all`'s body: run every check on a fresh store, in a task of its own.
#[doc(hidden)]
#[macro_export]
macro_rules! __run_checks {
    (($factory:ident, $failures:ident) $($check:ident => $clause:literal,)*) => {
        $(
            let store = $factory().await;
            if let Err(failure) = $crate::suite::run_check(stringify!($check), $clause, $crate::$check(store)).await {
                $failures.push(failure);
            }
        )*
    };
}

/// Expands to one `#[tokio::test]` per check (see [`conformance_tests!`](crate::conformance_tests)).
#[doc(hidden)]
#[macro_export]
macro_rules! __check_tests {
    (($setup:expr, $teardown:expr) $($check:ident => $clause:literal,)*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $check() {
                let (store, cleanup) = ($setup)().await;
                let result = $crate::suite::run_check(stringify!($check), $clause, $crate::$check(store)).await;
                ($teardown)(cleanup).await;
                if let Err(failure) = result {
                    panic!("{failure}");
                }
            }
        )*
    };
}

/// One test per check, named after it, for a test file of your store's crate: a failure
/// names the check and the contract clause it broke, and one failure does not hide the
/// others. Needs `tokio` (features `macros`, `rt-multi-thread`) among your dev-dependencies.
///
/// `store = <async fn() -> S>` makes a fresh, empty store per check.
/// `setup = <async fn() -> (S, T)>, teardown = <async fn(T)>` also cleans up after each check
/// whatever it wrote (a temporary directory, a database schema), pass or fail.
///
/// ```
/// mod memory_store {
///     use customer_access::MemoryStore;
///     customer_access_conformance::conformance_tests!(store = || async { MemoryStore::new() });
/// }
/// ```
#[macro_export]
macro_rules! conformance_tests {
    (store = $make:expr $(,)?) => {
        $crate::__with_checks!(__check_tests!(|| async { (($make)().await, ()) }, |(): ()| async {}));
    };
    (setup = $setup:expr, teardown = $teardown:expr $(,)?) => {
        $crate::__with_checks!(__check_tests!($setup, $teardown));
    };
}

/// One check's failure: which check, which clause, and what it saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckFailure {
    /// The check (a public function of this crate).
    pub check: &'static str,
    /// The contract clause it holds the store to.
    pub clause: &'static str,
    /// The assertion message (with where in the check it failed).
    pub message: String,
}

impl std::fmt::Display for CheckFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "conformance check `{}` failed\n  contract: {}\n  saw: {}", self.check, self.clause, self.message)
    }
}

/// Run one check in a task of its own, turning a panic into a [`CheckFailure`].
///
/// # Errors
/// The failure, if the check panicked.
pub async fn run_check<F>(check: &'static str, clause: &'static str, future: F) -> Result<(), CheckFailure>
where
    F: Future<Output = ()> + Send + 'static,
{
    match tokio::spawn(future).await {
        Ok(()) => Ok(()),
        Err(e) => {
            let message = match e.try_into_panic() {
                Ok(payload) => payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_else(|| "a panic without a message".to_owned()),
                Err(e) => e.to_string(),
            };
            Err(CheckFailure { check, clause, message })
        }
    }
}

/// Expands to [`CHECKS`].
#[doc(hidden)]
#[macro_export]
macro_rules! __check_names {
    (() $($check:ident => $clause:literal,)*) => {
        /// Every check's name and contract clause, in the order [`run_all`](crate::run_all) runs them.
        pub const CHECKS: &[(&str, &str)] = &[$((stringify!($check), $clause),)*];
    };
}
crate::__with_checks!(__check_names!());
