//! Cookie sessions with CSRF tokens, kept in memory: just enough to show how an application
//! holds a login (contact + credential version) and a pending change ticket.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use customer_access::secrecy::SecretString;
use customer_access::{ContactId, CredentialVersion, Staff};

/// What a browser session holds. The change ticket stays server-side, never in a URL.
pub(crate) struct Session {
    pub(crate) csrf: String,
    pub(crate) user: Option<(ContactId, CredentialVersion)>,
    pub(crate) ticket: Option<SecretString>,
    pub(crate) staff: Option<Staff>,
    pub(crate) flash: Option<String>,
    last_seen: Instant,
}

impl Session {
    fn new(now: Instant) -> Self {
        Self { csrf: random_hex(32), user: None, ticket: None, staff: None, flash: None, last_seen: now }
    }
}

/// A session unused this long is gone: its login, ticket and CSRF token with it.
pub(crate) const IDLE_LIMIT: Duration = Duration::from_secs(30 * 60);
/// At most this many sessions are kept; beyond it the least recently used is dropped, so
/// a flood of cookie-less requests cannot grow memory without bound.
pub(crate) const MAX_SESSIONS: usize = 10_000;

/// All sessions, in memory, expiring after [`IDLE_LIMIT`] and bounded by [`MAX_SESSIONS`].
/// A real application would use its own session layer; this one shows what it must do.
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

#[allow(clippy::disallowed_methods, reason = "session idle time is wall-clock time by nature")]
fn now() -> Instant {
    Instant::now()
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller's session id, creating a session (and a `Set-Cookie` value) if needed.
    pub(crate) fn open(&self, headers: &HeaderMap) -> (String, Option<String>) {
        self.open_at(cookie_value(headers), now())
    }

    fn open_at(&self, presented: Option<String>, now: Instant) -> (String, Option<String>) {
        let mut map = self.lock();
        if let Some(id) = presented {
            match map.get_mut(&id) {
                Some(s) if now.duration_since(s.last_seen) < IDLE_LIMIT => {
                    s.last_seen = now;
                    return (id, None);
                }
                Some(_) => {
                    map.remove(&id); // expired: a new session, logged out, with a new id
                }
                None => {}
            }
        }
        make_room(&mut map, now);
        let id = random_hex(32);
        map.insert(id.clone(), Session::new(now));
        // HttpOnly: no script can read it; SameSite=Strict: no other site can send it.
        let cookie = format!("{COOKIE}={id}; Path=/; HttpOnly; SameSite=Strict");
        (id, Some(cookie))
    }

    /// Run `f` on session `id` (one [`open`](Self::open) returned; if it has since been
    /// dropped, a fresh, logged-out session stands in).
    pub(crate) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Session) -> T) -> T {
        let now = now();
        let mut map = self.lock();
        if !map.contains_key(id) {
            make_room(&mut map, now);
        }
        f(map.entry(id.to_owned()).or_insert_with(|| Session::new(now)))
    }

    /// Does the submitted token match the session's? Compared without an early exit.
    pub(crate) fn csrf_ok(&self, id: &str, submitted: &str) -> bool {
        self.with(id, |s| {
            s.csrf.len() == submitted.len()
                && s.csrf.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        })
    }
}

/// Drop expired sessions once the map is full, then the least recently used if it still is.
fn make_room(map: &mut HashMap<String, Session>, now: Instant) {
    if map.len() < MAX_SESSIONS {
        return;
    }
    map.retain(|_, s| now.duration_since(s.last_seen) < IDLE_LIMIT);
    if map.len() >= MAX_SESSIONS {
        let oldest = map.iter().min_by_key(|(_, s)| s.last_seen).map(|(id, _)| id.clone());
        if let Some(oldest) = oldest {
            map.remove(&oldest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_idle_session_expires_with_its_login() {
        let sessions = Sessions::default();
        let t0 = now();
        let (id, cookie) = sessions.open_at(None, t0);
        assert!(cookie.is_some());
        sessions.with(&id, |s| s.user = Some((ContactId::new(1), CredentialVersion(0))));
        let (same, cookie) = sessions.open_at(Some(id.clone()), t0 + IDLE_LIMIT / 2);
        assert_eq!((same.as_str(), cookie), (id.as_str(), None), "use within the limit keeps it");
        let (fresh, cookie) = sessions.open_at(Some(id.clone()), t0 + IDLE_LIMIT / 2 + IDLE_LIMIT);
        assert_ne!(fresh, id, "an idle session is replaced by a new one");
        assert!(cookie.is_some());
        assert!(sessions.with(&fresh, |s| s.user.is_none()), "and the login is gone");
        assert!(!sessions.lock().contains_key(&id));
    }

    #[test]
    fn sessions_are_bounded() {
        let sessions = Sessions::default();
        let t0 = now();
        let (first, _) = sessions.open_at(None, t0);
        for i in 1..=MAX_SESSIONS {
            sessions.open_at(None, t0 + Duration::from_millis(u64::try_from(i).unwrap()));
        }
        let map = sessions.lock();
        assert_eq!(map.len(), MAX_SESSIONS);
        assert!(!map.contains_key(&first), "the least recently used went first");
    }
}
