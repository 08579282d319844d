//! No copy of a password is left in freed memory: every block freed while a flow runs is
//! kept by [`Quarantine`] and searched afterwards for the secrets the flow handled. A block
//! still alive at the end is not searched: its holder must be a zeroizing type, which the
//! searches check when it is dropped inside the period.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::hint::black_box;
use std::time::Duration;

use customer_access::policy::{Argon2Settings, PasswordContext, PasswordPolicy};
use customer_access::secrecy::{ExposeSecret, SecretString};
use customer_access::{
    AccessService, LoginOutcome, MemoryStore, NewContact, RecordingMailer, ResetOptions, SecurityPolicy, Staff,
    StaffId, SystemClock,
};
use customer_access_memtest::{Freed, Quarantine, arm};

#[global_allocator]
static ALLOCATOR: Quarantine = Quarantine;

/// A password no code or data of the workspace contains, passing the default policy.
const CANARY: &str = "Zq7#Vw-Canary-4711-Hpx!";
/// Its case-folded form (what the blocklist and the not-the-username check compare).
const CANARY_FOLDED: &str = "zq7#vw-canary-4711-hpx!";
/// A freed block holding this many consecutive bytes of a secret is a leak: enough to rule
/// out chance matches, short enough to catch the prefix a growing buffer leaves behind.
const RUN: usize = 8;

/// A copy of a secret on the stack, so the searched-for bytes are not themselves on the heap.
struct Needle {
    bytes: [u8; 64],
    len: usize,
}

impl Needle {
    fn new(secret: &str) -> Self {
        let mut needle = Self { bytes: [0u8; 64], len: 0 };
        needle.set(secret);
        needle
    }

    fn set(&mut self, secret: &str) {
        self.bytes[..secret.len()].copy_from_slice(secret.as_bytes());
        self.len = secret.len();
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

/// Every needle found in a freed block, with the number of blocks, as `(what, blocks)`.
fn leaks(freed: &Freed, needles: &[(&'static str, &Needle)]) -> Vec<(&'static str, usize)> {
    assert!(freed.blocks() > 0, "the allocator kept nothing: is it the global allocator?");
    assert_eq!(freed.overflowed(), 0, "more blocks were freed than the quarantine holds");
    needles
        .iter()
        .map(|(what, n)| (*what, freed.blocks_containing(n.as_bytes(), RUN)))
        .filter(|(_, c)| *c > 0)
        .collect()
}

/// The detector itself: a plain `String` dropped with the canary is found, a zeroized one
/// is not, and nor is one still alive.
#[test]
fn the_search_finds_a_dropped_string_but_not_a_wiped_or_living_one() {
    let canary = Needle::new(CANARY);
    let armed = arm();
    drop(black_box(CANARY.to_owned()));
    let freed = armed.disarm();
    assert_eq!(leaks(&freed, &[("plain", &canary)]), [("plain", 1)]);
    drop(freed);

    let armed = arm();
    drop(black_box(customer_access::secrecy::zeroize::Zeroizing::new(CANARY.to_owned())));
    let alive = black_box(CANARY.to_owned());
    let freed = armed.disarm();
    assert_eq!(freed.blocks_containing(canary.as_bytes(), RUN), 0);
    drop((freed, alive));
}

/// Checking a new password (length, composition, not the username, not the temporary
/// password, not on the blocklist) leaves no copy of it, folded or not, nor of the
/// temporary password it is compared with.
#[test]
fn the_password_policy_leaves_no_copy_in_freed_memory() {
    let temporary = "Kp7xQ2mZr9TbW4vN";
    let (canary, folded, temp) = (Needle::new(CANARY), Needle::new(CANARY_FOLDED), Needle::new(temporary));
    let policy = PasswordPolicy::default();
    let context = PasswordContext { username: Some("anna.berg"), temporary_password: Some(temporary) };
    let armed = arm();
    let verdict = policy.validate(black_box(CANARY), &context);
    let freed = armed.disarm();
    assert!(verdict.is_ok(), "{verdict:?}");
    let found = leaks(&freed, &[("password", &canary), ("folded password", &folded), ("temporary", &temp)]);
    assert!(found.is_empty(), "freed blocks held secrets: {found:?}");
}

/// An invitation and a staff reset (two rendered e-mails with random temporary passwords),
/// a login with the temporary password, a change to the canary password and a login with
/// it leave no copy of any of them once the service and its recorded e-mails are dropped.
#[test]
fn the_service_flows_leave_no_secret_in_freed_memory() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let mailer = RecordingMailer::new();
    let service = AccessService::new(MemoryStore::new(), mailer.clone(), SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let new = NewContact {
        retailer: runtime.block_on(service.create_retailer(&admin, "Shop")).unwrap().id,
        username: "anna.berg".into(),
        email: "anna@shop.example".into(),
        // Characters the HTML body escapes, so the escaping path runs.
        display_name: "Anna <Berg> & Co".into(),
        preferences: Default::default(),
    };
    // Filled in by the flow through references: the flow's future may be boxed (tokio boxes
    // large ones) and freed in the period, and must not carry copies of its own.
    let (canary, mut invited, mut reset, mut ticket) =
        (Needle::new(CANARY), Needle::new(""), Needle::new(""), Needle::new(""));
    let armed = arm();
    runtime.block_on(async {
        let anna = service.invite(&admin, &new).await.unwrap();
        invited.set(mailer.last_temporary_password().unwrap().expose_secret());
        service.staff_reset(&admin, anna.id, ResetOptions::default()).await.unwrap();
        let temporary = mailer.last_temporary_password().unwrap();
        reset.set(temporary.expose_secret());
        let LoginOutcome::PasswordChangeRequired { ticket: issued } =
            service.login("anna.berg", &temporary).await.unwrap()
        else {
            panic!("the temporary password must require a change")
        };
        ticket.set(issued.expose_secret());
        let issued = SecretString::from(issued.expose_secret().to_owned());
        service.set_new_password(&issued, &SecretString::from(CANARY.to_owned())).await.unwrap();
        let outcome = service.login("Anna.Berg", &SecretString::from(CANARY.to_owned())).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "{outcome:?}");
        drop((service, mailer)); // the recorded e-mails, and the hashing workers' queue
        // The workers drop each job's password after replying; let them finish and exit.
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let freed = armed.disarm();
    let found = leaks(
        &freed,
        &[
            ("invitation temporary password", &invited),
            ("reset temporary password", &reset),
            ("change ticket", &ticket),
            ("new password", &canary),
        ],
    );
    assert!(found.is_empty(), "freed blocks held secrets: {found:?}");
}
