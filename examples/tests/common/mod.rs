//! Shared by the tests that drive the real portal binary.
#![allow(dead_code, reason = "each test binary uses part of it")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The portal binary cargo built beside this test (`target/<profile>/examples/portal`).
pub(crate) fn portal_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    profile_dir.join("examples").join("portal")
}

/// A running portal, killed when dropped.
pub(crate) struct Portal {
    /// The process.
    pub(crate) child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
}

impl Portal {
    /// Start the portal on a free loopback port with its data in `data` and the extra
    /// environment `env`, its standard error into `stderr`; return once it accepts
    /// connections.
    pub(crate) fn start(data: &Path, env: &[(&str, String)], stderr: Stdio) -> Self {
        let mut command = Command::new(portal_binary());
        command.envs(env.iter().map(|(name, value)| (name, value))).stderr(stderr);
        Self::spawn(command, data)
    }

    /// [`start`](Self::start) with the default settings in a process that may hold at most
    /// `open_files` files (`ulimit -n`), its standard error discarded.
    pub(crate) fn start_with_open_files(data: &Path, open_files: u32) -> Self {
        let mut command = Command::new("sh");
        command
            .args(["-c", &format!("ulimit -n {open_files} && exec \"$0\"")])
            .arg(portal_binary())
            .stderr(Stdio::null());
        Self::spawn(command, data)
    }

    /// Run `command` (which starts the portal) with its data in `data` on a free loopback
    /// port; return once it accepts connections.
    fn spawn(mut command: Command, data: &Path) -> Self {
        let binary = portal_binary();
        assert!(binary.exists(), "build the example first: cargo build --example portal ({})", binary.display());
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        command.env("PORTAL_DATA", data).env("PORTAL_PORT", port.to_string()).stdout(Stdio::null());
        let portal = Self { child: command.spawn().unwrap(), port };
        let ready = (0..300).any(|_| {
            std::thread::sleep(Duration::from_millis(100));
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        assert!(ready, "the portal did not start");
        portal
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
