//! Where the routes are: every path under one prefix, computed once.

use crate::access::BuildError;

/// The crate's routes under the configured prefix; HTML pages, then the JSON endpoints under
/// `{prefix}/api`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    prefix: String,
    after_login: String,
}

fn plain(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && path.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
}

impl Paths {
    pub(crate) fn new(prefix: &str, after_login: &str) -> Result<Self, BuildError> {
        if !(prefix.is_empty() || (plain(prefix) && !prefix.ends_with('/'))) {
            return Err(BuildError::Path(prefix.to_owned()));
        }
        if !plain(after_login) {
            return Err(BuildError::Path(after_login.to_owned()));
        }
        Ok(Self { prefix: prefix.to_owned(), after_login: after_login.to_owned() })
    }

    fn at(&self, tail: &str) -> String {
        format!("{}{tail}", self.prefix)
    }

    /// The login page (`GET`) and form (`POST`).
    pub fn login(&self) -> String {
        self.at("/login")
    }

    /// Log out (`POST`).
    pub fn logout(&self) -> String {
        self.at("/logout")
    }

    /// "Forgot your password".
    pub fn forgot(&self) -> String {
        self.at("/forgot")
    }

    /// The forced change after a temporary-password login.
    pub fn set_password(&self) -> String {
        self.at("/set-password")
    }

    /// A logged-in contact's voluntary change.
    pub fn change_password(&self) -> String {
        self.at("/change-password")
    }

    /// The pages' style sheet and script.
    pub fn assets(&self) -> String {
        self.at("/assets")
    }

    /// The JSON endpoint `name` (`session`, `login`, `logout`, `forgot`, `set-password`,
    /// `change-password`).
    pub fn api(&self, name: &str) -> String {
        self.at(&format!("/api/{name}"))
    }

    /// Where a contact goes after logging in.
    pub fn after_login(&self) -> &str {
        &self.after_login
    }

    /// Is `path` one of the JSON endpoints? (Their refusals are JSON, not redirects.)
    pub(crate) fn is_api(&self, path: &str) -> bool {
        path.starts_with(&self.at("/api/"))
    }

    /// May a session with a pending forced change request `path`? Only the set-password
    /// page and endpoint, logging out, the session endpoint and the pages' assets.
    pub(crate) fn open_while_change_pending(&self, path: &str) -> bool {
        [self.set_password(), self.api("set-password"), self.logout(), self.api("logout"), self.api("session")]
            .iter()
            .any(|p| p == path)
            || path.starts_with(&format!("{}/", self.assets()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_plain_absolute_paths() {
        assert!(Paths::new("", "/").is_ok());
        assert!(Paths::new("/account", "/orders").is_ok());
        for bad in ["account", "/account/", "//evil.example", "/a b", "/a?x", "/a\\b"] {
            assert!(Paths::new(bad, "/").is_err(), "{bad}");
        }
        for bad in ["//evil.example", "https://evil.example", "", "orders"] {
            assert!(Paths::new("", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_the_change_and_logging_out_stay_open_while_a_change_is_pending() {
        let p = Paths::new("/account", "/").unwrap();
        assert!(p.open_while_change_pending("/account/set-password"));
        assert!(p.open_while_change_pending("/account/assets/access.js"));
        assert!(!p.open_while_change_pending("/account/change-password"));
        assert!(!p.open_while_change_pending("/orders"));
        assert!(!p.open_while_change_pending("/account/set-password/../orders"));
    }
}
