//! Attacks on the login back-off (issue #13 items 1 and 2, commit ee8d833).
//!
//! Every test states the property an attacker would like to break. Three of them failed
//! against ee8d833 and were fixed after this review: `overloaded_refusals_are_not_charged`
//! (a request refused as Overloaded was charged), `an_unpaid_spray_cannot_evict_a_locked_victim`
//! (so a spray of usernames could evict a lockout without any hashing) and
//! `a_stalled_reservation_cannot_backdate_the_lockout` (one extra attempt); the others are
//! attacks that held.
//!
//! Verified attempts are counted from outcomes (an `InvalidCredentials` or a success means the
//! password was checked) and cross-checked with `hash_operations()` (a login costs 2 Argon2
//! verifications, `change_password` 1).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use customer_access::secrecy::SecretString;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::hooked::{Call, Hooked, Hooks};
use common::{HOUR, Harness, fast_policy};
use customer_access::store::{StoreResult, ThrottleKey};
use customer_access::{
    AccessService, DeviceToken, LoginOutcome, ManualClock, MemoryStore, RecordingMailer, SecurityPolicy, ServiceError,
    StaffId, Store,
};

// ---------------------------------------------------------------------------------------
// helpers

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// The password was checked (wrong).
    Verified,
    /// The password was checked and matched.
    Success,
    Locked,
    Overloaded,
}

fn classify_login(r: Result<LoginOutcome, ServiceError>) -> Seen {
    match r {
        Ok(LoginOutcome::InvalidCredentials) => Seen::Verified,
        Ok(LoginOutcome::Authenticated { .. } | LoginOutcome::PasswordChangeRequired { .. }) => Seen::Success,
        Ok(LoginOutcome::LockedOut { .. }) => Seen::Locked,
        Err(ServiceError::Overloaded) => Seen::Overloaded,
        other => panic!("unexpected login answer {other:?}"),
    }
}

fn classify_change(r: Result<customer_access::PasswordChanged, ServiceError>) -> Seen {
    match r {
        Ok(_) => Seen::Success,
        Err(ServiceError::InvalidCredentials) => Seen::Verified,
        Err(ServiceError::LockedOut { .. }) => Seen::Locked,
        Err(ServiceError::Overloaded) => Seen::Overloaded,
        Err(other) => panic!("unexpected change_password answer {other:?}"),
    }
}

fn count(seen: &[Seen], which: Seen) -> usize {
    seen.iter().filter(|s| **s == which).count()
}

/// A policy for bursts: enough queue that nothing is refused as Overloaded.
fn burst_policy() -> SecurityPolicy {
    let mut p = fast_policy();
    p.max_concurrent_hashes = 2;
    p.hash_queue_depth = 10_000;
    p
}

fn allowed(policy: &SecurityPolicy) -> usize {
    policy.login_backoff.free_attempts as usize + 1
}

async fn token_of(h: &Harness, username: &str) -> DeviceToken {
    match h.login(username, &Harness::password_of(username)).await {
        LoginOutcome::Authenticated { device: Some(t), .. } => t,
        other => panic!("expected a device token, got {other:?}"),
    }
}

async fn join<T: Send + 'static>(handles: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut out = Vec::with_capacity(handles.len());
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

// ---------------------------------------------------------------------------------------
// bursts (held)

/// 160 concurrent wrong guesses for one username, split over `login` as "anna", `login` as
/// "ANNA" (same normalised key), and `change_password`
/// (which shares the username key): together no more than `free_attempts + 1` are verified.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn burst_across_login_and_change_password_shares_one_budget() {
    let h = Harness::with_policy(burst_policy()).await;
    let anna = h.contact("anna").await;
    h.clock.advance(HOUR);
    let before = h.service.hash_operations();
    let mut handles = Vec::new();
    for i in 0..160 {
        let s = h.service.clone();
        handles.push(tokio::spawn(async move {
            let guess = SecretString::from(format!("guess-Pass-{i}"));
            match i % 3 {
                0 => (classify_login(s.login("anna", &guess).await), 2),
                1 => (classify_login(s.login("ANNA", &guess).await), 2),
                _ => (
                    classify_change(s.change_password(anna.id, &guess, &SecretString::from("brand-New-Pass-77")).await),
                    1,
                ),
            }
        }));
    }
    let results = join(handles).await;
    let seen: Vec<Seen> = results.iter().map(|r| r.0).collect();
    let verified = count(&seen, Seen::Verified);
    let expected_ops: u64 = results.iter().filter(|r| r.0 == Seen::Verified).map(|r| r.1).sum();
    let ops = h.service.hash_operations() - before;
    assert_eq!(count(&seen, Seen::Success), 0);
    assert!(verified <= allowed(h.service.policy()), "verified {verified} of 160 (ops {ops})");
    assert_eq!(ops, expected_ops, "hash operations match the verified outcomes");
}

/// 200 concurrent logins, 199 wrong and the owner's right one, with and without the owner's
/// device token, mixed: the username key allows free+1 per instant, the device key its own
/// free+1, and the owner's success refunds at most one round. Bound: per key,
/// (free+1) x (successes on that key + 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_burst_with_and_without_device_tokens() {
    let h = Harness::with_policy(burst_policy()).await;
    h.contact("anna").await;
    let token = Arc::new(token_of(&h, "anna").await);
    h.clock.advance(HOUR);
    let mut handles = Vec::new();
    for i in 0..200 {
        let s = h.service.clone();
        let t = Arc::clone(&token);
        handles.push(tokio::spawn(async move {
            let with_device = i % 2 == 0;
            let password = if i == 101 { Harness::password_of("anna") } else { format!("guess-Pass-{i}") };
            let device = with_device.then_some(&*t);
            (
                with_device,
                classify_login(s.login_from_device("anna", &SecretString::from(password.as_str()), device).await),
            )
        }));
    }
    let results = join(handles).await;
    let a = allowed(h.service.policy());
    for device in [false, true] {
        let seen: Vec<Seen> = results.iter().filter(|r| r.0 == device).map(|r| r.1).collect();
        let (verified, ok) = (count(&seen, Seen::Verified), count(&seen, Seen::Success));
        assert!(verified + ok <= a * (ok + 1), "device={device}: verified {verified}, successes {ok}");
    }
}

/// Two service instances (own hashing pools) over clones of one MemoryStore: 200 concurrent
/// wrong guesses verify no more than free+1.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_one_memory_store() {
    let h = Harness::with_policy(burst_policy()).await;
    h.contact("anna").await;
    h.clock.advance(HOUR);
    let second = AccessService::new(h.store.clone(), h.mailer.clone(), h.clock.clone(), burst_policy()).unwrap();
    let (b1, b2) = (h.service.hash_operations(), second.hash_operations());
    let mut handles = Vec::new();
    for i in 0..200 {
        let s = if i % 2 == 0 { h.service.clone() } else { second.clone() };
        handles.push(tokio::spawn(async move {
            classify_login(s.login("anna", &SecretString::from(format!("guess-Pass-{i}"))).await)
        }));
    }
    let seen = join(handles).await;
    let verified = count(&seen, Seen::Verified);
    let ops = h.service.hash_operations() - b1 + second.hash_operations() - b2;
    assert!(verified <= allowed(h.service.policy()), "verified {verified} (ops {ops})");
    assert_eq!(ops, 2 * verified as u64);
}

/// Another contact's valid device token presented with the victim's username is not
/// recognised: 150 concurrent guesses with Mallory's token on "anna" are throttled on
/// anna's username key, and Mallory's device key is not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_contacts_token_does_not_move_attempts_off_the_victim() {
    let h = Harness::with_policy(burst_policy()).await;
    h.contact("anna").await;
    h.contact("mallory").await;
    let mallory = Arc::new(token_of(&h, "mallory").await);
    h.clock.advance(HOUR);
    let mut handles = Vec::new();
    for i in 0..150 {
        let s = h.service.clone();
        let t = Arc::clone(&mallory);
        handles.push(tokio::spawn(async move {
            classify_login(s.login_from_device("anna", &SecretString::from(format!("guess-Pass-{i}")), Some(&t)).await)
        }));
    }
    let seen = join(handles).await;
    assert!(count(&seen, Seen::Verified) <= allowed(h.service.policy()), "{seen:?}");
    let device_key = ThrottleKey::device(&mallory.digest());
    assert!(h.store.login_failures(&device_key).await.unwrap().is_empty(), "mallory's device key untouched");
}

/// A token from before a password change, "log out everywhere", disabling, a username
/// change, or an expired one, is not recognised: with the username key locked, such a login
/// is refused without any verification.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_tokens_are_not_recognised() {
    let h = Harness::with_policy(burst_policy()).await;
    let anna = h.contact("anna").await;
    let lock = |name: &'static str| {
        let h = &h;
        async move {
            for i in 0..20 {
                h.service.login(name, &SecretString::from(format!("stranger-{i}"))).await.unwrap();
            }
        }
    };
    let refused = |name: &'static str, password: String, token: DeviceToken| {
        let h = &h;
        async move {
            let before = h.service.hash_operations();
            let r =
                h.service.login_from_device(name, &SecretString::from(password.as_str()), Some(&token)).await.unwrap();
            assert!(matches!(r, LoginOutcome::LockedOut { .. }), "{name}: stale token still recognised: {r:?}");
            assert_eq!(h.service.hash_operations(), before, "nothing verified");
        }
    };
    let pw = Harness::password_of("anna");

    // password change
    let t = token_of(&h, "anna").await;
    let new_pw = "anna-Pass-2".to_owned();
    h.service
        .change_password(anna.id, &SecretString::from(pw.as_str()), &SecretString::from(new_pw.as_str()))
        .await
        .unwrap();
    lock("anna").await;
    refused("anna", new_pw.clone(), t).await;
    h.service.unlock(&h.admin, anna.id).await.unwrap();

    // log out everywhere
    let t = token_of_pw(&h, "anna", &new_pw).await;
    h.service.log_out_everywhere(anna.id).await.unwrap();
    lock("anna").await;
    refused("anna", new_pw.clone(), t).await;
    h.service.unlock(&h.admin, anna.id).await.unwrap();

    // disable + enable
    let t = token_of_pw(&h, "anna", &new_pw).await;
    h.service.set_login_enabled(&h.admin, anna.id, false).await.unwrap();
    h.service.set_login_enabled(&h.admin, anna.id, true).await.unwrap();
    lock("anna").await;
    refused("anna", new_pw.clone(), t).await;
    h.service.unlock(&h.admin, anna.id).await.unwrap();

    // expired
    let t = token_of_pw(&h, "anna", &new_pw).await;
    h.clock.advance(h.service.policy().device_tokens.ttl);
    lock("anna").await;
    refused("anna", new_pw.clone(), t).await;
    h.service.unlock(&h.admin, anna.id).await.unwrap();

    // username change (the token presented with the new name)
    let t = token_of_pw(&h, "anna", &new_pw).await;
    h.service.update_username(&h.admin, anna.id, "anna2").await.unwrap();
    lock("anna2").await;
    refused("anna2", new_pw.clone(), t).await;
}

async fn token_of_pw(h: &Harness, username: &str, password: &str) -> DeviceToken {
    match h.login(username, password).await {
        LoginOutcome::Authenticated { device: Some(t), .. } => t,
        other => panic!("expected a device token, got {other:?}"),
    }
}

/// A lockout looks the same for a known and an unknown username: same answer, same
/// retry_after, no hashing, and the same number of verifications before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lockout_is_the_same_for_known_and_unknown_usernames() {
    let h = Harness::with_policy(burst_policy()).await;
    h.contact("anna").await;
    let mut trace = Vec::new();
    for name in ["anna", "annb"] {
        let before = h.service.hash_operations();
        let mut answers = Vec::new();
        for i in 0..9 {
            let r = h.service.login(name, &SecretString::from(format!("guess-Pass-{i}"))).await.unwrap();
            answers.push(match r {
                LoginOutcome::InvalidCredentials => "invalid".to_owned(),
                LoginOutcome::LockedOut { retry_after } => format!("locked {retry_after:?}"),
                other => panic!("{other:?}"),
            });
        }
        trace.push((answers, h.service.hash_operations() - before));
    }
    assert_eq!(trace[0], trace[1], "known vs unknown");
}

/// Bad input (malformed username, over-long password, a new password the policy refuses)
/// is refused before any attempt is charged.
#[tokio::test]
async fn bad_input_is_not_charged() {
    let h = Harness::with_policy(burst_policy()).await;
    let anna = h.contact("anna").await;
    for _ in 0..20 {
        assert!(h.service.login("anna with spaces", &SecretString::from("guess-Pass-1")).await.is_err());
        assert!(h.service.login("anna", &SecretString::from("x".repeat(10_000))).await.is_err());
        assert!(
            h.service
                .change_password(anna.id, &SecretString::from("guess-Pass-1"), &SecretString::from("short"))
                .await
                .is_err()
        );
    }
    assert!(h.store.all_login_failures().is_empty(), "{:?}", h.store.all_login_failures());
}

// ---------------------------------------------------------------------------------------
// ABA on the compare-and-swap (held) and a back-dated reservation (fixed)

/// Gates that hold one call of `login_failures` (read) or `swap_login_failures` (CAS) until
/// released, to interleave other requests exactly.
#[derive(Clone, Debug, Default)]
struct ThrottleGates {
    hold_read: Arc<AtomicBool>,
    hold_swap: Arc<AtomicBool>,
    held: Arc<AtomicBool>,
    release: Arc<AtomicBool>,
}

impl ThrottleGates {
    async fn gate(&self, armed: &AtomicBool) {
        if armed.swap(false, Ordering::SeqCst) {
            self.held.store(true, Ordering::SeqCst);
            while !self.release.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    }

    async fn wait_held(&self) {
        while !self.held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}

impl Hooks for ThrottleGates {
    async fn before(&self, _: &MemoryStore, call: Call<'_>) -> StoreResult<()> {
        match call {
            Call::LoginFailures => self.gate(&self.hold_read).await,
            Call::SwapLoginFailures => self.gate(&self.hold_swap).await,
            _ => {}
        }
        Ok(())
    }
}

type GatedStore = Hooked<ThrottleGates>;

type Gated = AccessService<GatedStore, RecordingMailer, ManualClock>;

/// A gated service with "anna" (password `anna-Pass-1`), set up through a Harness-like path.
async fn gated() -> (Gated, GatedStore, ManualClock) {
    let store = GatedStore::default();
    let clock = ManualClock::new(customer_access::Timestamp::from_unix_millis(1_795_828_920_000));
    let mailer = RecordingMailer::new();
    let service = AccessService::new(store.clone(), mailer.clone(), clock.clone(), burst_policy()).unwrap();
    let admin = customer_access::Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let new = customer_access::NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: "anna@shop.example".into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
    service.invite(&admin, &new).await.unwrap();
    let temp = mailer.last_temporary_password().unwrap();
    let LoginOutcome::PasswordChangeRequired { ticket } = service.login("anna", &temp).await.unwrap() else {
        panic!("ticket")
    };
    let ticket = SecretString::from(ticket.expose_secret());
    service.set_new_password(&ticket, &SecretString::from("anna-Pass-1")).await.unwrap();
    clock.advance(HOUR);
    (service, store, clock)
}

/// ABA at one millisecond: a guess reads (5, t) and computes (6, t), then stalls before its
/// compare-and-swap. Meanwhile the owner logs in (reserving (6, t), then clearing) and five
/// more guesses bring the key back to (5, t) at the same millisecond. The stalled CAS then
/// matches. It is charged exactly once and the key ends locked: after the clear, at most
/// free+1 guesses were verified at that instant. (Held: the CAS compares a pure counter
/// whose successor depends only on its value, so ABA is harmless.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aba_same_millisecond_after_a_clear_is_harmless() {
    let (service, store, _clock) = gated().await;
    for i in 0..5 {
        assert!(matches!(
            service.login("anna", &SecretString::from(format!("g-Pass-{i}"))).await.unwrap(),
            LoginOutcome::InvalidCredentials
        ));
    }
    // The stalled guess: reads (5, t), stalls in its CAS.
    store.hold_swap.store(true, Ordering::SeqCst);
    let s = service.clone();
    let stalled = tokio::spawn(async move { s.login("anna", &SecretString::from("stalled-Pass-1")).await.unwrap() });
    store.wait_held().await;
    // Owner logs in (reserves (6,t), clears), then 5 guesses at the same millisecond.
    assert!(common::is_authenticated(&service.login("anna", &SecretString::from("anna-Pass-1")).await.unwrap()));
    let ops = service.hash_operations();
    for i in 0..5 {
        assert!(matches!(
            service.login("anna", &SecretString::from(format!("h-Pass-{i}"))).await.unwrap(),
            LoginOutcome::InvalidCredentials
        ));
    }
    store.release.store(true, Ordering::SeqCst);
    let r = stalled.await.unwrap();
    let mut verified_after_clear = 5 + usize::from(matches!(r, LoginOutcome::InvalidCredentials));
    for i in 0..20 {
        if matches!(
            service.login("anna", &SecretString::from(format!("k-Pass-{i}"))).await.unwrap(),
            LoginOutcome::InvalidCredentials
        ) {
            verified_after_clear += 1;
        }
    }
    assert!(verified_after_clear <= 6, "after the clear {verified_after_clear} verified at one instant");
    assert_eq!(service.hash_operations() - ops, 2 * verified_after_clear as u64);
}

/// WEAKNESS (low): `reserve_attempt` takes `now` before it reads the state, and writes
/// `last_failure_at = now` even when the stored latest failure is newer. A request that
/// stalls between the two (a slow pool, a busy store, or the attacker's own burst) writes a
/// back-dated timestamp, so the lockout it triggers is measured from the past and may
/// already be over: one instant then verifies more than free+1 guesses.
///
/// Here: a guess takes now = t0 and stalls in its read; ten seconds later five guesses run
/// (state (5, t0+10s)); the stalled one then charges (6, t0), whose 1 s lockout expired
/// long ago, so a seventh guess at t0+10s is verified too.
/// Fix: take `now` after the read (inside the loop after `login_failures`), or charge
/// `last_failure_at = max(now, current.last_failure_at)` and check the lockout from that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_reservation_cannot_backdate_the_lockout() {
    let (service, store, clock) = gated().await;
    store.hold_read.store(true, Ordering::SeqCst);
    let s = service.clone();
    let stalled = tokio::spawn(async move { s.login("anna", &SecretString::from("stalled-Pass-1")).await.unwrap() });
    store.wait_held().await;
    clock.advance(Duration::from_secs(10));
    let ops = service.hash_operations();
    let mut verified = 0;
    for i in 0..5 {
        if matches!(
            service.login("anna", &SecretString::from(format!("g-Pass-{i}"))).await.unwrap(),
            LoginOutcome::InvalidCredentials
        ) {
            verified += 1;
        }
    }
    store.release.store(true, Ordering::SeqCst);
    if matches!(stalled.await.unwrap(), LoginOutcome::InvalidCredentials) {
        verified += 1;
    }
    // Same instant (clock not moved): further guesses must all be locked.
    for i in 0..10 {
        if matches!(
            service.login("anna", &SecretString::from(format!("k-Pass-{i}"))).await.unwrap(),
            LoginOutcome::InvalidCredentials
        ) {
            verified += 1;
        }
    }
    let state = store.inner.all_login_failures();
    assert!(
        verified <= 6,
        "{verified} guesses verified at one instant (ops {}), state {state:?}",
        service.hash_operations() - ops
    );
}

// ---------------------------------------------------------------------------------------
// Overloaded refusals were charged (fixed: hashing is admitted before the attempt is charged)

fn overload_policy(max_tracked_keys: usize) -> SecurityPolicy {
    let mut p = fast_policy();
    // Real Argon2 cost (argon2 is built with opt-level 3 in dev), one worker, one queue slot:
    // a burst is mostly refused as Overloaded, as on a busy production server.
    p.argon2 = customer_access::policy::Argon2Settings::default();
    p.max_concurrent_hashes = 1;
    p.hash_queue_depth = 1;
    p.login_backoff.max_tracked_keys = max_tracked_keys;
    p
}

/// WEAKNESS (medium): the attempt is reserved (and a new key inserted) *before* the hashing
/// pool admits the request, and a request refused as `Overloaded` keeps its reservation.
/// So (a) a refused request, which verified nothing, is charged: an owner retrying during a
/// load spike locks their own device/username out for after the spike; and (b) inserting
/// a new throttle key costs no Argon2 at all once the pool is saturated.
///
/// Observed: every key of a request answered `Overloaded` has a failure entry (count 1).
/// Fix: admit the hashing request first (reserve a pool slot, e.g. `HashPool::try_reserve`
/// returning a permit), then reserve the attempt, then verify; or refund (CAS back) the
/// reservation when verification fails with Overloaded/WorkersGone.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overloaded_refusals_are_not_charged() {
    let h = Harness::with_policy(overload_policy(100_000)).await;
    let mut handles = Vec::new();
    for i in 0..150 {
        let s = h.service.clone();
        handles.push(tokio::spawn(async move {
            let name = format!("spray{i}");
            (name.clone(), classify_login(s.login(&name, &SecretString::from("guess-Pass-1")).await))
        }));
    }
    let results = join(handles).await;
    let refused: Vec<&String> = results.iter().filter(|r| r.1 == Seen::Overloaded).map(|r| &r.0).collect();
    assert!(!refused.is_empty(), "the burst should overload the pool");
    let charged = refused
        .iter()
        .filter(|name| {
            let key = ThrottleKey::username(&h.service.policy().username.canonicalize(name).unwrap());
            h.store.all_login_failures().iter().any(|(k, f)| *k == key && f.count > 0)
        })
        .count();
    assert_eq!(
        charged,
        0,
        "{charged} of {} requests refused as Overloaded (nothing verified) were charged",
        refused.len()
    );
}

/// WEAKNESS (medium): the cap on tracked keys (`max_tracked_keys`) is justified by "every
/// attempt costs two Argon2 verifications, so evicting a live entry takes far longer than
/// its back-off". Because Overloaded refusals still insert their key (above), once the
/// attacker keeps the hashing pool busy (two slow requests suffice here), a spray of new
/// usernames evicts the victim's locked entry without a single verification, and the
/// attacker's next guesses on the victim are free again.
///
/// Setup: cap 16 (the smallest allowed; the default 100,000 only takes more sprays, each
/// costing microseconds), "anna" locked after 6 guesses; the pool saturated by two logins;
/// then 40 sprays of fresh usernames, sequential, every one answered Overloaded.
/// Fix: as above (reserve only after the pool admitted the request, or refund on
/// Overloaded), and let the cap never evict an entry that is still locking while others
/// can go (evict by lockout end, not by latest failure).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unpaid_spray_cannot_evict_a_locked_victim() {
    let cap = 16;
    let mut policy = burst_policy();
    policy.login_backoff.max_tracked_keys = cap;
    let h = Harness::with_policy(policy).await;
    h.contact("anna").await;
    h.clock.advance(HOUR);
    // The attacked instance: slow hashing (about a second per verification), one worker,
    // one queue slot. Same store and clock.
    let mut slow = policy;
    slow.argon2 = customer_access::policy::Argon2Settings::default();
    slow.argon2.iterations = 60;
    slow.max_concurrent_hashes = 1;
    slow.hash_queue_depth = 1;
    let service = AccessService::new(h.store.clone(), h.mailer.clone(), h.clock.clone(), slow).unwrap();
    for i in 0..6 {
        assert!(common::is_invalid(
            &service.login("anna", &SecretString::from(format!("guess-Pass-{i}"))).await.unwrap()
        ));
    }
    assert!(matches!(
        service.login("anna", &SecretString::from("guess-Pass-6")).await.unwrap(),
        LoginOutcome::LockedOut { .. }
    ));
    h.clock.advance(Duration::from_millis(1));
    // Saturate the pool with two slow requests (one running, one queued).
    let blockers: Vec<_> = (0..2)
        .map(|i| {
            let s = service.clone();
            tokio::spawn(async move { s.login(&format!("blocker{i}"), &SecretString::from("x-Pass-1")).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut seen = Vec::new();
    for i in 0..40 {
        seen.push(classify_login(service.login(&format!("spray{i}"), &SecretString::from("x-Pass-1")).await));
    }
    for b in blockers {
        let _ = b.await.unwrap();
    }
    let (overloaded, verified) = (count(&seen, Seen::Overloaded), count(&seen, Seen::Verified));
    let anna_key = ThrottleKey::username(&h.service.policy().username.canonicalize("anna").unwrap());
    let evicted = h.store.login_failures(&anna_key).await.unwrap().is_empty();
    let next = service.login("anna", &SecretString::from("guess-Pass-7")).await;
    eprintln!("evicted={evicted} overloaded={overloaded} verified={verified} next={next:?}");
    assert!(
        !evicted || verified >= cap,
        "anna's lockout was evicted by 40 sprays of which only {verified} were verified \
         ({overloaded} refused as Overloaded); next guess on anna: {next:?}"
    );
}

/// Eviction order: even when every spray request is paid for (no overload), the cap drops
/// the entries with the fewest failures first, so a spray of one-guess usernames never
/// evicts a victim that is locked out (it would have to spray entries of six verified
/// guesses each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paid_spray_of_one_guess_usernames_never_evicts_a_locked_victim() {
    let cap = 16;
    let mut p = burst_policy();
    p.login_backoff.max_tracked_keys = cap;
    let h = Harness::with_policy(p).await;
    h.contact("anna").await;
    h.clock.advance(HOUR);
    for i in 0..6 {
        h.login("anna", &format!("guess-Pass-{i}")).await;
    }
    let anna_key = ThrottleKey::username(&h.service.policy().username.canonicalize("anna").unwrap());
    for n in 0..cap * 10 {
        h.clock.advance(Duration::from_millis(1));
        h.login(&format!("spray{n}"), "x-Pass-1").await;
    }
    let anna = h.store.login_failures(&anna_key).await.unwrap();
    assert_eq!(anna.count, 6, "anna's lockout survives {} one-guess sprays at a cap of {cap}", cap * 10);
}
