//! A real SMTP server on loopback: `tests/smtp_server.py` (aiosmtpd), started on a free
//! port and stopped when dropped. Without Python's aiosmtpd the tests say so loudly and
//! skip; with `CUSTOMER_ACCESS_REQUIRE_SMTP=1` (set by `.ci/run`) that is a failure.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const CA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/test-only-ca.pem");
const CERT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/test-only-server.pem");
const KEY: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/test-only-server.key");
const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/smtp_server.py");

pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    _child: Child,
}

fn python() -> Option<String> {
    let candidates = std::env::var("CUSTOMER_ACCESS_SMTP_PYTHON")
        .into_iter()
        .chain(["/usr/bin/python3".to_owned(), "python3".to_owned()]);
    candidates.into_iter().find(|p| {
        std::process::Command::new(p)
            // The module the server script uses, not just a package directory.
            .args(["-c", "from aiosmtpd.controller import Controller"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl SmtpServer {
    /// Start a server in `mode` (`accept`, `reject4xx`, `reject5xx`), requiring STARTTLS with
    /// the test-only certificate when `tls`. `None` (after a loud message) without aiosmtpd.
    pub async fn start(mode: &str, tls: bool) -> Option<Self> {
        let Some(python) = python() else {
            if std::env::var("CUSTOMER_ACCESS_REQUIRE_SMTP").as_deref() == Ok("1") {
                panic!(
                    "CUSTOMER_ACCESS_REQUIRE_SMTP=1 but no python3 with aiosmtpd (apt-get install python3-aiosmtpd)"
                );
            }
            eprintln!(
                "\n*** SKIPPED: no python3 with aiosmtpd (apt-get install python3-aiosmtpd), or set CUSTOMER_ACCESS_REQUIRE_SMTP=1 to fail instead. ***\n"
            );
            return None;
        };
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cmd = Command::new(python);
        cmd.arg(SCRIPT).arg(port.to_string()).arg(dir.path()).arg(mode);
        if tls {
            cmd.args([CERT, KEY]);
        }
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
        assert!(matches!(ready, Ok(Ok(Some(ref l))) if l == "READY"), "SMTP server did not start: {ready:?}");
        Some(Self { port, dir, _child: child })
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The parsed messages received so far, in order.
    pub fn received(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort_by_key(|p| p.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<u32>().ok()));
        files.iter().map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()).collect()
    }

    /// Wait (up to 10 s) until `n` messages have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, got {}", self.received().len());
    }
}
