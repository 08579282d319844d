//! Running the real `customer-access` binary, and the events the tests chain.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

pub mod smtp;

use std::ffi::OsStr;
use std::process::Command;

use customer_access::{Actor, AuditEvent, AuditKind, RetailerId, Timestamp};

/// What a run of the binary printed, and its exit status.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Both streams, for assertion messages and searches.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// Run `customer-access` with `args` and wait for it.
pub fn run<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_customer-access")).args(args).output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

/// `count` events of one kind (so that changing one's kind to `unlocked` alters it).
pub fn events(retailer: RetailerId, count: i64) -> Vec<AuditEvent> {
    (0..count)
        .map(|i| AuditEvent {
            at: Timestamp::from_unix_millis(1_795_828_920_000 + i),
            actor: Actor::System,
            retailer: Some(retailer),
            contact: None,
            kind: AuditKind::AccessDenied,
        })
        .collect()
}
