//! The database file on disk: created readable by its owner only, and narrowed to its owner
//! when found readable by others.
//!
//! The file holds every password hash, so other local users must not read it. SQLite creates
//! a missing file with mode `0644` less the process umask (`0644` under the common `022`),
//! so [`open`](crate::open) creates it itself, with mode `0600`,
//! before SQLite opens it. SQLite gives the `-wal`, `-shm` and `-journal` files it creates
//! later the mode of the database file, so they are private too. Creating it beforehand
//! (rather than `chmod` after SQLite made it) leaves no moment in which another user could
//! open the file and keep the descriptor.
//!
//! A file (or leftover `-wal`/`-shm`/`-journal` file) that already exists with group or
//! other permission bits loses them; owner bits are kept, so nothing is ever widened. A
//! group-readable database (for a backup user, say) therefore needs the group bits set again
//! after every open; copy it with the owner's rights instead. On other platforms this module
//! does nothing: files get their directory's ACL there.

use std::io;
use std::path::Path;

/// Files SQLite keeps beside the database: the write-ahead log, its shared-memory index,
/// and the rollback journal.
const COMPANIONS: [&str; 3] = ["-wal", "-shm", "-journal"];

/// Is `path` a file on disk? SQLite reads `:memory:`, the empty name (a private temporary
/// database) and `file:` URIs specially; those are left to it.
pub(crate) fn is_plain_file(path: &Path) -> bool {
    let name = path.as_os_str();
    !(name.is_empty() || name == ":memory:" || path.to_str().is_some_and(|s| s.starts_with("file:")))
}

/// Create the database file at `path` with mode `0600` unless it exists, then narrow it and
/// its companions to their owner.
pub(crate) fn create_private(path: &Path) -> io::Result<()> {
    if !is_plain_file(path) {
        return Ok(());
    }
    imp::create_new_private(path)?;
    narrow(path)
}

/// Remove group and other permissions from the database file and its companions, those of
/// them that exist.
pub(crate) fn narrow(path: &Path) -> io::Result<()> {
    if !is_plain_file(path) {
        return Ok(());
    }
    imp::narrow_one(path)?;
    for suffix in COMPANIONS {
        let mut companion = path.as_os_str().to_owned();
        companion.push(suffix);
        imp::narrow_one(Path::new(&companion))?;
    }
    Ok(())
}

#[cfg(unix)]
mod imp {
    use std::fs::{self, OpenOptions};
    use std::io;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    /// Owner read and write, nothing for group and others.
    const PRIVATE: u32 = 0o600;
    /// Group and other permission bits.
    const NOT_OWNER: u32 = 0o077;

    pub(super) fn create_new_private(path: &Path) -> io::Result<()> {
        // `create_new` so an existing file is never opened for writing here: SQLite opens a
        // write-protected file read-only, and that must keep working.
        match OpenOptions::new().write(true).create_new(true).mode(PRIVATE).open(path) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(e),
        }
    }

    pub(super) fn narrow_one(path: &Path) -> io::Result<()> {
        let mode = match fs::metadata(path) {
            Ok(metadata) => metadata.permissions().mode(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if mode & NOT_OWNER == 0 {
            return Ok(());
        }
        // `mode` also carries the file type; only the permission bits go back.
        fs::set_permissions(path, fs::Permissions::from_mode(mode & 0o7777 & !NOT_OWNER))
    }
}

#[cfg(not(unix))]
mod imp {
    use std::io;
    use std::path::Path;

    pub(super) fn create_new_private(_path: &Path) -> io::Result<()> {
        Ok(())
    }

    pub(super) fn narrow_one(_path: &Path) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_names_are_not_files() {
        for special in ["", ":memory:", "file:sqlx-in-memory-3", "file:data.db?mode=ro"] {
            assert!(!is_plain_file(Path::new(special)), "{special}");
        }
        assert!(is_plain_file(Path::new("data/logins.db")));
        assert!(is_plain_file(Path::new("./file:x.db")));
    }
}
