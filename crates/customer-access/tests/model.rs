//! Property test of the credential state machine: random sequences of resets, logins,
//! ticket redemptions, clock advances and mail failures, checked against a simple model.
//! Invariants: a temporary password never authenticates, at most one temporary password is
//! usable, tickets are single-use and expire, the current password works exactly when the
//! model says so, a login with it withdraws the e-mailed one, and only the kept temporary
//! password is named as expired, for the notice period.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{HOUR, Harness, fast_policy};
use customer_access::mailer::MailErrorKind;
use customer_access::secrecy::SecretString;
use customer_access::{LoginOutcome, ResetOptions, SelfServiceOutcome, ServiceError};
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Op {
    SelfReset,
    StaffReset { revoke: bool },
    LoginCurrent,
    LoginTemporary { index_from_latest: usize },
    LoginWrong,
    Redeem { index_from_latest: usize, weak: bool },
    Advance(Duration),
    MailFails(bool),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::SelfReset),
        2 => any::<bool>().prop_map(|revoke| Op::StaffReset { revoke }),
        2 => Just(Op::LoginCurrent),
        4 => (0usize..3).prop_map(|index_from_latest| Op::LoginTemporary { index_from_latest }),
        1 => Just(Op::LoginWrong),
        4 => (0usize..3, proptest::bool::weighted(0.2)).prop_map(|(index_from_latest, weak)| Op::Redeem { index_from_latest, weak }),
        2 => prop_oneof![
            Just(Duration::from_secs(1)),
            Just(Duration::from_secs(9 * 60)),
            Just(HOUR),
            Just(47 * HOUR),
            Just(30 * 24 * HOUR),
        ].prop_map(Op::Advance),
        1 => any::<bool>().prop_map(Op::MailFails),
    ]
}

/// How long an expired temporary password is still named as such (the policy default).
const NOTICE: Duration = Duration::from_secs(30 * 86_400);

/// What the model knows: only facts a user could observe.
#[derive(Default)]
struct Model {
    now: Duration,
    current: Option<String>,
    /// Every temporary password ever e-mailed, oldest first; only the last may be usable.
    temporaries: Vec<String>,
    /// The one the store keeps, usable before its expiry and named as expired for the
    /// notice period after: (index into `temporaries`, expiry).
    usable_temporary: Option<(usize, Duration)>,
    /// Every ticket ever issued, oldest first.
    tickets: Vec<String>,
    /// The redeemable one: (index into `tickets`, expiry).
    pending_ticket: Option<(usize, Duration)>,
    mail_fails: bool,
    counter: usize,
}

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut policy = fast_policy();
        policy.reset_throttle.max_requests = 1_000_000;
        policy.login_backoff.free_attempts = 1_000_000;
        let h = Harness::with_policy(policy).await;
        let anna = h.contact("anna").await;
        let mut m = Model { current: Some(Harness::password_of("anna")), ..Model::default() };
        for op in ops {
            match op {
                Op::SelfReset | Op::StaffReset { .. } => {
                    let sent_before = h.mailer.messages().len();
                    let delivered = match op {
                        Op::StaffReset { revoke } => {
                            let options = if revoke {
                                ResetOptions::revoking_current_password()
                            } else {
                                ResetOptions::default()
                            };
                            let r = h.service.staff_reset(&h.admin, anna.id, options).await;
                            if revoke {
                                m.current = None;
                            }
                            prop_assert_eq!(r.is_ok(), !m.mail_fails);
                            r.is_ok()
                        }
                        _ => {
                            let outcome = h.self_service("anna").await;
                            let sent = matches!(outcome, SelfServiceOutcome::Sent);
                            prop_assert_eq!(sent, !m.mail_fails, "{:?}", outcome);
                            sent
                        }
                    };
                    // Either way the older temporary password and ticket are gone.
                    m.usable_temporary = None;
                    m.pending_ticket = None;
                    if delivered {
                        prop_assert_eq!(h.mailer.messages().len(), sent_before + 1);
                        m.temporaries.push(h.last_temporary_password());
                        m.usable_temporary = Some((m.temporaries.len() - 1, m.now + 48 * HOUR));
                    }
                }
                Op::LoginCurrent => {
                    let password = m.current.clone().unwrap_or_else(|| Harness::password_of("anna"));
                    let outcome = h.login("anna", &password).await;
                    let authenticated = matches!(outcome, LoginOutcome::Authenticated { .. });
                    let same_as_temp =
                        m.usable_temporary.is_some_and(|(i, exp)| m.now < exp && m.temporaries[i] == password);
                    if !same_as_temp {
                        prop_assert_eq!(authenticated, m.current.is_some(), "{:?}", outcome);
                    }
                    if authenticated {
                        // The first use of either secret withdraws the other.
                        m.usable_temporary = None;
                        m.pending_ticket = None;
                    }
                }
                Op::LoginTemporary { index_from_latest } => {
                    let Some(index) = m.temporaries.len().checked_sub(1 + index_from_latest) else { continue };
                    let temp = m.temporaries[index].clone();
                    let outcome = h.login("anna", &temp).await;
                    prop_assert!(
                        !matches!(outcome, LoginOutcome::Authenticated { .. }),
                        "a temporary password authenticated"
                    );
                    let usable = m.usable_temporary.is_some_and(|(i, exp)| i == index && m.now < exp);
                    let recently_expired =
                        m.usable_temporary.is_some_and(|(i, exp)| i == index && exp <= m.now && m.now < exp + NOTICE);
                    match outcome {
                        LoginOutcome::PasswordChangeRequired { ticket } => {
                            prop_assert!(usable, "a superseded or expired temporary password was accepted");
                            m.tickets.push(ticket.expose_secret().to_owned());
                            m.pending_ticket = Some((m.tickets.len() - 1, m.now + Duration::from_secs(600)));
                        }
                        LoginOutcome::TemporaryPasswordExpired { .. } => {
                            prop_assert!(recently_expired, "only the kept, recently expired one is named")
                        }
                        other => prop_assert!(
                            !usable && !recently_expired && matches!(other, LoginOutcome::InvalidCredentials),
                            "{:?}",
                            other
                        ),
                    }
                }
                Op::LoginWrong => {
                    prop_assert!(matches!(h.login("anna", "Never-Right-0").await, LoginOutcome::InvalidCredentials));
                }
                Op::Redeem { index_from_latest, weak } => {
                    let Some(index) = m.tickets.len().checked_sub(1 + index_from_latest) else { continue };
                    m.counter += 1;
                    let password = if weak { "weak".to_owned() } else { format!("Model-Pass-{}", m.counter) };
                    let result = h
                        .service
                        .set_new_password(
                            &SecretString::from(m.tickets[index].as_str()),
                            &SecretString::from(password.as_str()),
                        )
                        .await;
                    let redeemable = m.pending_ticket.is_some_and(|(i, exp)| i == index && m.now < exp);
                    match result {
                        Ok(_) => {
                            prop_assert!(redeemable && !weak, "a used, superseded or expired ticket was redeemed");
                            m.current = Some(password);
                            m.pending_ticket = None;
                            m.usable_temporary = None;
                        }
                        Err(ServiceError::PasswordRejected(_)) => prop_assert!(redeemable && weak),
                        Err(ServiceError::InvalidTicket) => prop_assert!(!redeemable),
                        Err(other) => prop_assert!(false, "unexpected {:?}", other),
                    }
                }
                Op::Advance(d) => {
                    h.clock.advance(d);
                    m.now += d;
                }
                Op::MailFails(fail) => {
                    h.mailer.fail_with(fail.then_some(MailErrorKind::Transient));
                    m.mail_fails = fail;
                }
            }
            let record = h.store.all_records().into_iter().next().unwrap();
            let stored_temp = record.credentials.temporary.is_some();
            prop_assert!(
                stored_temp || m.usable_temporary.is_none(),
                "model and store disagree on the temporary password"
            );
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn the_credential_state_machine_follows_the_model(ops in proptest::collection::vec(op(), 1..30)) {
        run(ops)?;
    }
}
