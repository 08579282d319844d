//! A real SMTP server on loopback for the `invite-imported` tests: the mail crate's
//! `smtp_server.py` (aiosmtpd), started on a free port and stopped when dropped. Without
//! Python's aiosmtpd the tests say so loudly and skip; with `CUSTOMER_ACCESS_REQUIRE_SMTP=1`
//! (set by `.ci/run`) that is a failure.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../customer-access-smtp/tests/smtp_server.py");

pub struct SmtpServer {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn has_aiosmtpd() -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", "from aiosmtpd.controller import Controller"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl SmtpServer {
    /// A server accepting every message, or `None` (after a loud message) without aiosmtpd.
    pub fn start() -> Option<Self> {
        if !has_aiosmtpd() {
            assert!(
                std::env::var("CUSTOMER_ACCESS_REQUIRE_SMTP").as_deref() != Ok("1"),
                "CUSTOMER_ACCESS_REQUIRE_SMTP=1 but no python3 with aiosmtpd"
            );
            eprintln!("\n*** SKIPPED: no python3 with aiosmtpd (apt-get install python3-aiosmtpd). ***\n");
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut child = Command::new("/usr/bin/python3")
            .arg(SCRIPT)
            .arg(port.to_string())
            .arg(dir.path())
            .arg("accept")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "READY", "SMTP server did not start");
        Some(Self { port, dir, child })
    }

    /// The recipients of every message received, in order.
    pub fn recipients(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort_by_key(|p| p.file_stem().and_then(|s| s.to_str()).and_then(|s| s.parse::<u32>().ok()));
        files
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).unwrap();
                let start = text.find("\"rcpt_tos\": [\"").unwrap() + 14;
                text[start..].split('"').next().unwrap().to_owned()
            })
            .collect()
    }
}
