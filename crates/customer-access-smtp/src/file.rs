//! [`FileMailer`]: writes each message as an `.eml` file, for the quickstart and development.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use customer_access::Mailer;
use customer_access::mailer::{MailError, MailErrorKind, OutgoingMessage};

use crate::message::{Sender, build};

/// Writes every message into a folder as one `.eml` file, atomically (written to a hidden
/// temporary file, then renamed), readable only by its owner on Unix.
///
/// **Development only**: the files hold temporary passwords in plain text, as any mailbox
/// does.
#[derive(Debug)]
pub struct FileMailer {
    dir: PathBuf,
    sender: Sender,
    counter: AtomicU64,
}

impl FileMailer {
    /// Write into `dir` (created on first send if missing).
    pub fn new(dir: impl Into<PathBuf>, sender: Sender) -> Self {
        Self { dir: dir.into(), sender, counter: AtomicU64::new(0) }
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The `.eml` files written so far (by any mailer into this folder), oldest first.
    ///
    /// # Errors
    /// The folder cannot be read.
    pub fn messages(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        files.sort();
        Ok(files)
    }

    fn next_name(&self) -> String {
        #[allow(clippy::disallowed_methods, reason = "file names only need to sort by creation, not the domain clock")]
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        format!("{:013}-{:06}-{:06}", now.as_millis(), std::process::id() % 1_000_000, n)
    }
}

async fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
    file.sync_all().await
}

impl Mailer for FileMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        let email = build(&self.sender, message)?;
        let io = |e: std::io::Error| MailError::with_source(MailErrorKind::Transient, e);
        tokio::fs::create_dir_all(&self.dir).await.map_err(io)?;
        let name = self.next_name();
        let temporary = self.dir.join(format!(".{name}.tmp"));
        let path = self.dir.join(format!("{name}.eml"));
        if let Err(e) = write_private(&temporary, &email.formatted()).await {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(io(e));
        }
        tokio::fs::rename(&temporary, &path).await.map_err(io)?;
        tracing::info!(path = %path.display(), "message written to the outbox");
        Ok(())
    }
}
