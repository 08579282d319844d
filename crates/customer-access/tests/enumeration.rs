//! No oracle: unknown usernames, disabled logins and known ones (with or without a pending or
//! recently expired temporary password) get the same answers and cost the same number of
//! Argon2 operations.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::{Harness, is_invalid};
use customer_access::{LoginOutcome, ResetOptions, SelfServiceOutcome};

/// (label, username) for each kind of username the tests compare.
async fn population(h: &Harness) -> Vec<(&'static str, &'static str)> {
    h.contact("known").await;
    // A temporary password that expired a day ago: kept for the expiry notice, so a login
    // verifies against it, and a wrong password must still look like every other failure.
    let expired = h.contact("expired").await;
    h.service.staff_reset(&h.admin, expired.id, ResetOptions::default()).await.unwrap();
    h.clock.advance(std::time::Duration::from_secs(49 * 3600));
    let with_temp = h.contact("pending").await;
    h.service.staff_reset(&h.admin, with_temp.id, ResetOptions::default()).await.unwrap();
    let removed = h.contact("removed").await;
    h.service.remove_contact(&h.admin, removed.id).await.unwrap();
    let disabled = h.contact("disabled").await;
    h.service.set_login_enabled(&h.admin, disabled.id, false).await.unwrap();
    vec![
        ("known", "known"),
        ("expired temporary", "expired"),
        ("pending", "pending"),
        ("disabled", "disabled"),
        ("removed", "removed"),
        ("unknown", "nobody"),
    ]
}

#[tokio::test]
async fn failed_logins_cost_two_verifications_whatever_the_username() {
    let h = Harness::new().await;
    for (label, username) in population(&h).await {
        let before = h.service.hash_operations();
        let outcome = h.login(username, "wrong-Pass-1").await;
        assert!(is_invalid(&outcome), "{label}: {outcome:?}");
        assert_eq!(h.service.hash_operations() - before, 2, "{label}: two Argon2 verifications");
    }
    // The right password of a disabled login gets the very same answer and cost.
    let before = h.service.hash_operations();
    assert!(is_invalid(&h.login("disabled", &Harness::password_of("disabled")).await));
    assert_eq!(h.service.hash_operations() - before, 2);
}

#[tokio::test]
async fn lockouts_look_the_same_for_unknown_usernames() {
    let h = Harness::new().await;
    let mut answers = Vec::new();
    for (label, username) in population(&h).await {
        let mut seq = Vec::new();
        for _ in 0..8 {
            seq.push(match h.login(username, "wrong-Pass-1").await {
                LoginOutcome::InvalidCredentials => "invalid".to_owned(),
                LoginOutcome::LockedOut { retry_after } => format!("locked {retry_after:?}"),
                other => panic!("{label}: {other:?}"),
            });
        }
        answers.push((label, seq));
    }
    for (label, seq) in &answers[1..] {
        assert_eq!(seq, &answers[0].1, "{label} answers like {}", answers[0].0);
    }
}

#[tokio::test]
async fn self_service_reset_answers_without_looking_anything_up_and_costs_the_same() {
    let h = Harness::new().await;
    let people = population(&h).await;
    for (label, username) in people {
        let ops = h.service.hash_operations();
        let pending = h.service.request_password_reset(username).expect("same acceptance for every username");
        assert_eq!(h.service.hash_operations(), ops, "{label}: answering costs nothing");
        let outcome = pending.run().await;
        assert_eq!(h.service.hash_operations() - ops, 1, "{label}: one Argon2 operation in the background");
        let expected = match label {
            "unknown" | "removed" => matches!(outcome, SelfServiceOutcome::UnknownUsername),
            "disabled" => matches!(outcome, SelfServiceOutcome::LoginDisabled),
            _ => matches!(outcome, SelfServiceOutcome::Sent),
        };
        assert!(expected, "{label}: {outcome:?}");
    }
    // Throttled requests cost the same too.
    for _ in 0..3 {
        h.self_service("known").await;
    }
    let ops = h.service.hash_operations();
    assert!(matches!(h.self_service("known").await, SelfServiceOutcome::Throttled));
    assert_eq!(h.service.hash_operations() - ops, 1);
}
