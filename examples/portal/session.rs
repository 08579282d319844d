//! Cookie sessions with CSRF tokens, kept in memory: just enough to show how an application
//! holds a login (contact + credential version) and a pending change ticket.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::HeaderMap;
use customer_access::secrecy::SecretString;
use customer_access::{ContactId, CredentialVersion, Staff};

/// What a browser session holds. The change ticket stays server-side, never in a URL.
#[derive(Default)]
pub(crate) struct Session {
    pub(crate) csrf: String,
    pub(crate) user: Option<(ContactId, CredentialVersion)>,
    pub(crate) ticket: Option<SecretString>,
    pub(crate) staff: Option<Staff>,
    pub(crate) flash: Option<String>,
}

/// All sessions, in memory. A real application would use its session layer (with expiry and
/// a size bound); this example keeps them for the life of the process.
#[derive(Default)]
pub(crate) struct Sessions(Mutex<HashMap<String, Session>>);

pub(crate) const COOKIE: &str = "portal_session";

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand_core::Rng::fill_bytes(&mut rand_core::UnwrapErr(getrandom::SysRng), &mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    let cookies = headers.get(axum::http::header::COOKIE)?.to_str().ok()?;
    cookies.split(';').find_map(|c| c.trim().strip_prefix(&format!("{COOKIE}="))).map(str::to_owned)
}

impl Sessions {
    /// The caller's session id, creating a session (and a `Set-Cookie` value) if needed.
    pub(crate) fn open(&self, headers: &HeaderMap) -> (String, Option<String>) {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(id) = cookie_value(headers).filter(|id| map.contains_key(id)) {
            return (id, None);
        }
        let id = random_hex(32);
        map.insert(id.clone(), Session { csrf: random_hex(32), ..Session::default() });
        // HttpOnly: no script can read it; SameSite=Strict: no other site can send it.
        let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
        (id, Some(cookie))
    }

    pub(crate) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Session) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        f(map.entry(id.to_owned()).or_insert_with(|| Session { csrf: random_hex(32), ..Session::default() }))
    }

    /// Does the submitted token match the session's? Compared without an early exit.
    pub(crate) fn csrf_ok(&self, id: &str, submitted: &str) -> bool {
        self.with(id, |s| {
            s.csrf.len() == submitted.len()
                && s.csrf.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        })
    }
}
