//! The failed-login table stays bounded for every store in a process: two stores taking
//! turns at recording new unknown usernames both trim their tables. (With one count of new
//! entries for the whole process, every trim fell to one store and the other's table grew
//! without bound: found by benchmark 7, which alternates a small and a large database.)
#![allow(clippy::unwrap_used, reason = "test code")]

use customer_access::Timestamp;
use customer_access::store::{FailureRetention, LoginFailures, Store, ThrottleKey, UsernameKey};

#[tokio::test]
async fn two_stores_taking_turns_both_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let a = customer_access_sqlite::open(dir.path().join("a.db")).await.unwrap();
    let b = customer_access_sqlite::open(dir.path().join("b.db")).await.unwrap();
    let retention = FailureRetention { forget_before: Timestamp::from_unix_millis(0), max_entries: 16 };
    for i in 0..400_i64 {
        for store in [&a, &b] {
            let key = ThrottleKey::username(&UsernameKey::from_stored(&format!("sprayed{i}")).unwrap());
            let failed = LoginFailures { count: 1, last_failure_at: Some(Timestamp::from_unix_millis(1_000 + i)) };
            assert!(store.swap_login_failures(&key, LoginFailures::default(), failed, retention).await.unwrap());
        }
    }
    for (name, store) in [("a", &a), ("b", &b)] {
        let entries: i64 =
            sqlx::query_scalar("SELECT count(*) FROM ca_login_failures").fetch_one(store.pool()).await.unwrap();
        // At most the cap plus the trimming's amortisation (one trim per 64 new entries).
        assert!(entries <= 16 + 64, "store {name} holds {entries} failure entries, cap 16");
    }
}
