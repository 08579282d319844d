//! Two OS processes on one database file race to redeem the same change ticket: exactly one
//! wins. The second process is this test binary itself, re-run with only `race_child`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::disallowed_methods, reason = "test code")]

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, LoginOutcome, RecordingMailer, SecurityPolicy, ServiceError, Staff, StaffId, SystemClock,
};
use customer_access_conformance::support::invite_to_change_ticket;
use customer_access_sqlite::SqliteStore;

const ROUNDS: usize = 10;

type Service = AccessService<SqliteStore, RecordingMailer, SystemClock>;

async fn service(path: &Path) -> Service {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    let store = customer_access_sqlite::open(path).await.unwrap();
    AccessService::new(store, RecordingMailer::new(), SystemClock, policy).unwrap()
}

fn unix_millis() -> u64 {
    u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

async fn sleep_until(start: u64) {
    tokio::time::sleep(Duration::from_millis(start.saturating_sub(unix_millis()))).await;
}

/// `Ok(true)` if this redemption won, `Ok(false)` if the ticket was already used.
async fn redeem(service: &Service, ticket: &str, password: &str) -> bool {
    let result = service
        .set_new_password(&SecretString::from(ticket.to_owned()), &SecretString::from(password.to_owned()))
        .await;
    match result {
        Ok(_) => true,
        Err(ServiceError::InvalidTicket) => false,
        Err(other) => panic!("a losing redemption must be InvalidTicket, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_race_to_redeem_one_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let service = service(&path).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Shop").await.unwrap();
    let mut child_wins = 0;
    for round in 0..ROUNDS {
        let username = format!("racer{round}");
        let (_, ticket) = invite_to_change_ticket(&service, &admin, shop.id, &username).await;
        let start = unix_millis() + 700;
        let child = tokio::process::Command::new(std::env::current_exe().unwrap())
            .args(["race_child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
            .env("CA_RACE_DB", &path)
            .env("CA_RACE_TICKET", ticket.expose_secret())
            .env("CA_RACE_START", start.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        sleep_until(start).await;
        let parent_won = redeem(&service, ticket.expose_secret(), "Parent-Pass-42").await;
        let output = child.wait_with_output().await.unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "child failed: {stdout}\n{}", String::from_utf8_lossy(&output.stderr));
        let child_won = stdout.contains("RACE_RESULT=won");
        assert!(child_won || stdout.contains("RACE_RESULT=lost"), "child reported: {stdout}");
        assert!(
            parent_won ^ child_won,
            "round {round}: exactly one process wins (parent {parent_won}, child {child_won})"
        );
        child_wins += usize::from(child_won);
        let winner = if parent_won { "Parent-Pass-42" } else { "Child-Pass-42" };
        let outcome = service.login(&username, &SecretString::from(winner.to_owned())).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::Authenticated { .. }), "round {round}: the winner's password works");
    }
    println!("child won {child_wins} of {ROUNDS} rounds");
}

#[tokio::test]
#[ignore = "run as a child process by two_processes_race_to_redeem_one_ticket"]
async fn race_child() {
    let path = std::env::var("CA_RACE_DB").expect("CA_RACE_DB");
    let ticket = std::env::var("CA_RACE_TICKET").expect("CA_RACE_TICKET");
    let start: u64 = std::env::var("CA_RACE_START").expect("CA_RACE_START").parse().unwrap();
    let service = service(Path::new(&path)).await;
    sleep_until(start).await;
    let won = redeem(&service, &ticket, "Child-Pass-42").await;
    println!("RACE_RESULT={}", if won { "won" } else { "lost" });
}
