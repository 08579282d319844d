//! A throwaway PostgreSQL cluster of a test's own: `initdb` into a temporary directory (as
//! the `postgres` user when run as root, since PostgreSQL refuses to run as root), started on
//! a free loopback port, so a test can stop, kill and restart it without touching the
//! machine's shared server. Removed (stopped at once, directory deleted) on drop.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A cluster directory and the port its server listens on.
pub struct Cluster {
    dir: PathBuf,
    port: u16,
    bin: PathBuf,
    as_postgres: bool,
}

impl Cluster {
    /// Create and start a cluster, or `None` (after a loud message) when PostgreSQL's
    /// server programs are not installed and `CUSTOMER_ACCESS_REQUIRE_PG` is not `1`.
    pub fn start_new() -> Option<Self> {
        let Some(bin) = server_programs() else {
            assert!(
                std::env::var("CUSTOMER_ACCESS_REQUIRE_PG").as_deref() != Ok("1"),
                "PostgreSQL required (CUSTOMER_ACCESS_REQUIRE_PG=1) but initdb and pg_ctl are not installed"
            );
            eprintln!("\n*** SKIPPED: no initdb/pg_ctl found (PATH, /usr/lib/postgresql/*/bin). ***\n");
            return None;
        };
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "ca-cluster-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let as_postgres = is_root();
        let cluster = Self { dir, port: free_port(), bin, as_postgres };
        if as_postgres {
            run(Command::new("chown").arg("postgres:").arg(&cluster.dir));
        }
        let data = cluster.data();
        cluster.pg(&["initdb", "-D", &data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]);
        cluster.start();
        Some(cluster)
    }

    /// The URL of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Start the server and wait until it accepts connections (after a kill, once crash
    /// recovery is done). Retried for a while: the killed server's backends may still be
    /// exiting.
    pub fn start(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -k {} -c max_connections=40 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log").display().to_string();
        for attempt in 0.. {
            let out =
                self.pg_output(&["pg_ctl", "-D", &self.data(), "-l", &log, "-w", "-t", "60", "-o", &options, "start"]);
            if out.status.success() {
                return;
            }
            assert!(attempt < 20, "pg_ctl start failed: {}\n{}", String::from_utf8_lossy(&out.stderr), self.log());
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// A fast shutdown: sessions are ended, open transactions rolled back, a checkpoint
    /// written.
    pub fn stop_fast(&self) {
        self.pg(&["pg_ctl", "-D", &self.data(), "-m", "fast", "-w", "stop"]);
    }

    /// Kill the server with SIGKILL, postmaster and backends, with no shutdown at all: the
    /// next start runs crash recovery from the write-ahead log.
    pub fn kill(&self) {
        let pid_file = std::fs::read_to_string(self.dir.join("data/postmaster.pid")).unwrap();
        let postmaster: u32 = pid_file.lines().next().unwrap().trim().parse().unwrap();
        let children = children_of(postmaster);
        run(Command::new("kill").arg("-KILL").arg(postmaster.to_string()));
        for child in children {
            // Some may be gone already; a failed kill is fine.
            let _ = Command::new("kill").arg("-KILL").arg(child.to_string()).output();
        }
    }

    /// The server log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn pg(&self, args: &[&str]) {
        let out = self.pg_output(args);
        assert!(out.status.success(), "{args:?} failed: {}{}", String::from_utf8_lossy(&out.stderr), self.log());
    }

    fn pg_output(&self, args: &[&str]) -> Output {
        let program = self.bin.join(args[0]);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        command.args(&args[1..]).current_dir(&self.dir).output().unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_output(&["pg_ctl", "-D", &self.data(), "-m", "immediate", "-w", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
fn server_programs() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default();
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.filter_map(|e| Some(e.ok()?.path().join("bin"))).collect())
        .unwrap_or_default();
    versioned.sort();
    versioned.reverse();
    on_path
        .into_iter()
        .chain(versioned)
        .find(|dir| ["initdb", "pg_ctl", "postgres"].iter().all(|p| is_file(&dir.join(p))))
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|m| m.is_file())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The processes whose parent is `pid` (from `/proc/*/stat`).
fn children_of(pid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .filter_map(|e| {
            let child: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // `pid (comm) state ppid ...`: comm may hold spaces, so read after the last ')'.
            let ppid: u32 = stat.rsplit_once(')')?.1.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == pid).then_some(child)
        })
        .collect()
}

fn run(command: &mut Command) {
    let out = command.output().unwrap();
    assert!(out.status.success(), "{command:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}
