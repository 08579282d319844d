//! Concurrency conflicts and injected store failures: bounded retries, all-or-nothing flows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use common::fast_policy;
use common::faulty::FaultyStore;
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, LoginOutcome, MAX_SAVE_ATTEMPTS, ManualClock, NewContact, RecordingMailer, ResetOptions,
    ServiceError, Staff, StaffId, Store, Timestamp,
};

type Service = AccessService<FaultyStore, RecordingMailer, ManualClock>;

async fn setup() -> (Service, FaultyStore, RecordingMailer, customer_access::Contact) {
    let store = FaultyStore::default();
    let mailer = RecordingMailer::new();
    let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
    let service = AccessService::new(store.clone(), mailer.clone(), clock, fast_policy()).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let new = NewContact {
        retailer: shop.id,
        username: "anna".into(),
        email: "anna@shop.example".into(),
        display_name: "Anna".into(),
        preferences: Default::default(),
    };
    let anna = service.invite(&admin, &new).await.unwrap();
    let temp = temporary(&mailer);
    let LoginOutcome::PasswordChangeRequired { ticket } =
        service.login("anna", &SecretString::from(temp.as_str())).await.unwrap()
    else {
        panic!()
    };
    service
        .set_new_password(&SecretString::from(ticket.expose_secret()), &SecretString::from("old-Pass-11"))
        .await
        .unwrap();
    (service, store, mailer, anna)
}

fn temporary(mailer: &RecordingMailer) -> String {
    let temp = mailer.last_temporary_password().unwrap();
    customer_access::secrecy::ExposeSecret::expose_secret(&temp).to_owned()
}

#[tokio::test]
async fn conflicts_are_retried_a_bounded_number_of_times_then_reported() {
    let (service, store, _mailer, anna) = setup().await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    store.always_conflict();
    let before = store.saves();
    let result = service.update_email(&admin, anna.id, "new@shop.example").await;
    assert!(matches!(result, Err(ServiceError::Conflict)), "{result:?}");
    assert_eq!(store.saves() - before, MAX_SAVE_ATTEMPTS, "bounded retries");
    store.heal();
    service.update_email(&admin, anna.id, "new@shop.example").await.unwrap();
}

/// Every flow, with the k-th store call failing (once, or from then on), for every k: the
/// flow never panics, reports the failure, and leaves the contact either untouched or fully
/// changed; a failed password change leaves the old password working.
#[tokio::test]
async fn every_flow_is_all_or_nothing_under_store_failures() -> Result<(), ServiceError> {
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    for flow in 0..9 {
        for persistent in [false, true] {
            for k in 1..=12 {
                let (service, store, mailer, anna) = setup().await;
                let before = store.inner.contact(anna.id).await.unwrap();
                store.fail_at(k, persistent);
                let result: Result<(), ServiceError> = match flow {
                    0 => service
                        .change_password(
                            anna.id,
                            &SecretString::from("old-Pass-11"),
                            &SecretString::from("new-Pass-22"),
                        )
                        .await
                        .map(drop),
                    1 => service.staff_reset(&admin, anna.id, ResetOptions::default()).await.map(drop),
                    2 => service.update_username(&admin, anna.id, "anna2").await.map(drop),
                    3 => service.login("anna", &SecretString::from("old-Pass-11")).await.map(drop),
                    5 => {
                        let new = NewContact {
                            retailer: anna.retailer,
                            username: "bert".into(),
                            email: "bert@shop.example".into(),
                            display_name: "Bert".into(),
                            preferences: Default::default(),
                        };
                        service.invite(&admin, &new).await.map(drop)
                    }
                    6 => match service.request_password_reset("anna")?.run().await {
                        customer_access::SelfServiceOutcome::Failed(e) => Err(e),
                        _ => Ok(()),
                    },
                    7 => service.set_login_enabled(&admin, anna.id, false).await.map(drop),
                    8 => service.unlock(&admin, anna.id).await,
                    _ => match service.staff_reset(&admin, anna.id, ResetOptions::default()).await {
                        Err(e) => Err(e),
                        Ok(_) => match service.login("anna", &SecretString::from(temporary(&mailer))).await {
                            Ok(LoginOutcome::PasswordChangeRequired { ticket }) => service
                                .set_new_password(
                                    &SecretString::from(ticket.expose_secret()),
                                    &SecretString::from("new-Pass-22"),
                                )
                                .await
                                .map(drop),
                            Ok(_) => Ok(()),
                            Err(e) => Err(e),
                        },
                    },
                };
                store.heal();
                let after = store.inner.contact(anna.id).await.unwrap();
                let tag = format!("flow {flow}, call {k}, persistent {persistent}");
                if let Err(e) = &result {
                    assert!(!e.to_string().is_empty(), "{tag}: the error says what happened");
                }
                let changed_password = after.credentials.password != before.credentials.password;
                let works = |pw: &'static str| {
                    let service = service.clone();
                    let username = after.contact.username.clone();
                    async move { service.login(&username, &SecretString::from(pw)).await }
                };
                if !after.contact.login_enabled {
                    assert!(result.is_ok() && flow == 7, "{tag}: only a successful disable disables");
                    assert_eq!(after.credentials.credential_version, before.credentials.credential_version.next());
                } else if changed_password {
                    assert!(
                        matches!(works("new-Pass-22").await, Ok(LoginOutcome::Authenticated { .. })),
                        "{tag}: a stored change is complete"
                    );
                } else {
                    let old = works("old-Pass-11").await;
                    assert!(
                        matches!(old, Ok(LoginOutcome::Authenticated { .. })),
                        "{tag}: old password works: {old:?}"
                    );
                }
                if flow == 5 {
                    let bert = store
                        .inner
                        .contact_by_username(
                            &customer_access::policy::UsernameRules::default().canonicalize("bert").unwrap(),
                        )
                        .await
                        .unwrap();
                    if let Some(bert) = bert {
                        let log = store.inner.audit_log(bert.contact.id).await.unwrap();
                        assert!(
                            log.iter().any(|e| e.kind == customer_access::AuditKind::ContactInvited),
                            "{tag}: created with its audit event"
                        );
                    }
                }
                if result.is_err() && flow == 2 {
                    let unchanged = after.contact.username == before.contact.username;
                    let complete = after.contact.username == "anna2";
                    assert!(unchanged || complete, "{tag}: username all-or-nothing");
                }
            }
        }
    }
    Ok(())
}
