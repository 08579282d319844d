//! The audit chain on PostgreSQL: tampering with plain SQL is caught, and two instances
//! (separate pools on one schema) writing at once still make one chain and keep a staff
//! reset budget exactly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use customer_access::policy::{Argon2Settings, Budget};
use customer_access::{
    AccessService, AuditKind, AuditScope, DeviceId, NewContact, RecordingMailer, ResetOptions, SecurityPolicy,
    ServiceError, Staff, StaffId, Store, SystemClock, verify_audit,
};
use customer_access_conformance::tamper::{Sql, tampering_is_caught};
use sqlx::{AssertSqlSafe, PgPool};

fn sql_on(pool: PgPool) -> Sql {
    Box::new(move |text: String| {
        let pool = pool.clone();
        Box::pin(async move {
            sqlx::query(AssertSqlSafe(text)).execute(&pool).await.unwrap();
        })
    })
}

#[tokio::test]
async fn tampering_with_plain_sql_is_caught() {
    let Some(setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let (audit, chain) = (format!("\"{schema}\".audit"), format!("\"{schema}\".audit_chain"));
    let fresh = || async {
        // One schema, emptied for each scenario: the table names stay the same.
        let store = customer_access_postgres::from_pool(setup.clone(), schema.clone()).await.unwrap();
        for table in ["audit", "contacts WHERE id <> 0", "retailers WHERE id <> 0"] {
            sqlx::query(AssertSqlSafe(format!("DELETE FROM \"{schema}\".{table}"))).execute(&setup).await.unwrap();
        }
        let zero = "0".repeat(64);
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE \"{schema}\".audit_chain SET head_seq = 0, head_hash = '{zero}', base_seq = 0, base_hash = '{zero}'"
        )))
        .execute(&setup)
        .await
        .unwrap();
        (store, sql_on(setup.clone()))
    };
    tampering_is_caught(fresh, &audit, &chain).await;
    schemas.drop_all(&setup).await;
}

/// 20 resets from one iPad, spread over two instances, against a device budget of 5: exactly
/// 5 go through, and the chain the two instances wrote together verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_keep_one_chain_and_one_budget() {
    let Some(setup) = common::pool(4).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let first = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema.clone()).await.unwrap();
    let second = customer_access_postgres::from_pool(common::pool(8).await.unwrap(), schema).await.unwrap();
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy.staff_reset_budgets.per_device = Budget::new(5, Duration::from_secs(3600));
    let mailer = RecordingMailer::new();
    let a = AccessService::new(first, mailer.clone(), SystemClock, policy).unwrap();
    let b = AccessService::new(second, mailer, SystemClock, policy).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let rep = Staff::IpadUser { staff_id: StaffId::new(7), device_id: DeviceId::parse("ipad-7").unwrap() };
    let shop = a.create_retailer(&admin, "Shop").await.unwrap();
    a.store().assign_retailer(StaffId::new(7), shop.id).await.unwrap();
    let mut contacts = Vec::new();
    for i in 0..20 {
        let new = NewContact {
            retailer: shop.id,
            username: format!("contact{i}"),
            email: format!("c{i}@shop.example"),
            display_name: "C".to_owned(),
            preferences: Default::default(),
        };
        contacts.push(a.invite(&admin, &new).await.unwrap().id);
    }
    let tasks: Vec<_> = contacts
        .iter()
        .enumerate()
        .map(|(i, &contact)| {
            let service = if i % 2 == 0 { a.clone() } else { b.clone() };
            let rep = rep.clone();
            tokio::spawn(async move { service.staff_reset(&rep, contact, ResetOptions::default()).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(ServiceError::ResetBudgetExceeded { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(ok, 5, "{ok} resets passed a budget of 5 over two instances");
    let issued =
        a.store().audit_page(&AuditScope::Device(DeviceId::parse("ipad-7").unwrap()), None, 100).await.unwrap();
    assert_eq!(issued.iter().filter(|r| r.event.kind == AuditKind::StaffResetIssued).count(), 5);
    let verified = verify_audit(b.store(), None).await.unwrap_or_else(|e| panic!("one chain: {e}"));
    assert_eq!(verified.ends.head.seq, verified.events);
    schemas.drop_all(&setup).await;
}

/// A row without its place in the chain is refused by the schema.
#[tokio::test]
async fn unchained_rows_are_refused() {
    let Some(setup) = common::pool(2).await else { return };
    let schemas = common::Schemas::default();
    let schema = schemas.fresh();
    let _store = customer_access_postgres::from_pool(setup.clone(), schema.clone()).await.unwrap();
    let insert = format!("INSERT INTO \"{schema}\".audit (at, actor, kind) VALUES (1, 'system', 'unlocked')");
    let refused = sqlx::query(AssertSqlSafe(insert)).execute(&setup).await.unwrap_err();
    assert!(refused.to_string().contains("audit_chained"), "{refused}");
    schemas.drop_all(&setup).await;
}
