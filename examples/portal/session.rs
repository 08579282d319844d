//! Cookie sessions with CSRF tokens, kept in memory: just enough to show how an application
//! holds a login (contact + credential version) and a pending change ticket, and moves the
//! session to a new id whenever it gains privilege.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use customer_access::secrecy::SecretString;
use customer_access::{ContactId, CredentialVersion, Staff};

use crate::cookie::CookieMode;

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

    /// Holds nothing a person would lose by its eviction but a form token and a flash.
    fn is_anonymous(&self) -> bool {
        self.user.is_none() && self.ticket.is_none() && self.staff.is_none()
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
pub(crate) struct Sessions {
    map: Mutex<HashMap<String, Session>>,
    cookie: CookieMode,
}

pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand_core::Rng::fill_bytes(&mut rand_core::UnwrapErr(getrandom::SysRng), &mut buf);
    base16ct::lower::encode_string(&buf)
}

#[allow(clippy::disallowed_methods, reason = "session idle time is wall-clock time by nature")]
fn now() -> Instant {
    Instant::now()
}

impl Sessions {
    /// No sessions yet; their cookie named and flagged for `cookie`.
    pub(crate) fn new(cookie: CookieMode) -> Self {
        Self { map: Mutex::default(), cookie }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Session>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The caller's session id, creating a session (and a `Set-Cookie` value) if needed.
    /// How the cookies are named and marked.
    pub(crate) fn cookie_mode(&self) -> CookieMode {
        self.cookie
    }

    pub(crate) fn open(&self, headers: &HeaderMap) -> (String, Option<String>) {
        self.open_at(self.cookie.read(headers), now())
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
        let id = insert_new(&mut map, Session::new(now), now);
        let cookie = self.cookie.set_cookie(&id);
        (id, Some(cookie))
    }

    /// Run `f` on session `id` (one [`open`](Self::open) returned). If it has since been
    /// dropped (expired, evicted, or rotated away by a concurrent request), `f` runs on a
    /// fresh, logged-out session that is not stored: an id that left the map never names a
    /// session again.
    pub(crate) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Session) -> T) -> T {
        let mut map = self.lock();
        match map.get_mut(id) {
            Some(session) => f(session),
            None => f(&mut Session::new(now())),
        }
    }

    /// Move session `old` to a new id with a new CSRF token, applying `f` to it there, in one
    /// step; `old` then names no session. Call it whenever the session gains privilege (a
    /// login, a change ticket, a new password): an id someone planted in the browser or saw
    /// before (session fixation) is then worth nothing, and `f`'s privilege never exists under
    /// the old id, not even for a moment. Returns the new id, its `Set-Cookie` value and what
    /// `f` returned. If `old` is gone already, a fresh session takes its place.
    pub(crate) fn rotate<T>(&self, old: &str, f: impl FnOnce(&mut Session) -> T) -> (String, String, T) {
        let now = now();
        let mut map = self.lock();
        let mut session = map.remove(old).unwrap_or_else(|| Session::new(now));
        // The old token was in pages served to the old id; it must not vouch for the new one.
        session.csrf = random_hex(32);
        session.last_seen = now;
        let result = f(&mut session);
        let id = insert_new(&mut map, session, now);
        let cookie = self.cookie.set_cookie(&id);
        (id, cookie, result)
    }

    /// Does the submitted token match the session's? Compared in constant time (`subtle`).
    pub(crate) fn csrf_ok(&self, id: &str, submitted: &str) -> bool {
        use subtle::ConstantTimeEq;
        self.with(id, |s| bool::from(s.csrf.as_bytes().ct_eq(submitted.as_bytes())))
    }
}

/// Store `session` under a new random id, making room first; the id.
fn insert_new(map: &mut HashMap<String, Session>, session: Session, now: Instant) -> String {
    make_room(map, now);
    let id = random_hex(32);
    map.insert(id.clone(), session);
    id
}

/// Drop expired sessions once the map is full; if it still is, the least recently used
/// [`EVICTED_AT_ONCE`], anonymous ones first (no login, change ticket or staff member): a
/// flood of cookie-less requests, each a new anonymous session, then displaces only other
/// anonymous sessions, never a logged-in contact. In a batch, so that such a flood pays one
/// pass over the map per batch, not one per request under the lock.
fn make_room(map: &mut HashMap<String, Session>, now: Instant) {
    if map.len() < MAX_SESSIONS {
        return;
    }
    map.retain(|_, s| now.duration_since(s.last_seen) < IDLE_LIMIT);
    if map.len() < MAX_SESSIONS {
        return;
    }
    let dropped = evict(map, EVICTED_AT_ONCE, Session::is_anonymous);
    if dropped < EVICTED_AT_ONCE {
        evict(map, EVICTED_AT_ONCE - dropped, |_| true);
    }
}

/// Drop the `count` least recently used of the sessions `eligible` picks (more on equal
/// last-use times, all of them if fewer); how many went.
fn evict(map: &mut HashMap<String, Session>, count: usize, eligible: impl Fn(&Session) -> bool) -> usize {
    let mut last_seen: Vec<Instant> = map.values().filter(|s| eligible(s)).map(|s| s.last_seen).collect();
    let (Some(last), Some(nth)) = (last_seen.len().checked_sub(1), count.checked_sub(1)) else { return 0 };
    let (_, newest_evicted, _) = last_seen.select_nth_unstable(nth.min(last));
    let newest_evicted = *newest_evicted;
    let before = map.len();
    map.retain(|_, s| !eligible(s) || s.last_seen > newest_evicted);
    before - map.len()
}

/// How many sessions a full map drops at once (at least; more on equal last-use times).
const EVICTED_AT_ONCE: usize = MAX_SESSIONS / 8;

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
        assert!(map.len() < MAX_SESSIONS, "{}", map.len());
        assert_eq!(map.len(), MAX_SESSIONS - EVICTED_AT_ONCE + 1, "one batch went, then one came");
        assert!(!map.contains_key(&first), "the least recently used went first");
        let oldest_kept = map.values().map(|s| s.last_seen).min().unwrap();
        let newest_gone = t0 + Duration::from_millis(u64::try_from(EVICTED_AT_ONCE - 1).unwrap());
        assert!(oldest_kept > newest_gone, "exactly the least recently used went");
    }

    #[test]
    fn a_flood_of_new_sessions_never_evicts_a_logged_in_one() {
        let sessions = Sessions::default();
        let t0 = now();
        let contact = (ContactId::new(1), CredentialVersion(0));
        // The oldest sessions of all are a logged-in contact, a change ticket and a staff member.
        let (user, _) = sessions.open_at(None, t0);
        sessions.with(&user, |s| s.user = Some(contact));
        let (ticket, _) = sessions.open_at(None, t0);
        sessions.with(&ticket, |s| s.ticket = Some(SecretString::from("ticket")));
        let (staff, _) = sessions.open_at(None, t0);
        sessions.with(&staff, |s| s.staff = Some(Staff::SalesAdmin { staff_id: customer_access::StaffId::new(1) }));
        let (anonymous, _) = sessions.open_at(None, t0);
        // Then three times the bound of cookie-less requests.
        for i in 1..=3 * MAX_SESSIONS {
            sessions.open_at(None, t0 + Duration::from_millis(u64::try_from(i).unwrap()));
        }
        let map = sessions.lock();
        assert!(map.len() <= MAX_SESSIONS);
        assert!(map.contains_key(&user) && map.contains_key(&ticket) && map.contains_key(&staff));
        assert!(!map.contains_key(&anonymous), "an anonymous session is fair game");
    }

    #[test]
    fn logged_in_sessions_alone_are_still_bounded() {
        let sessions = Sessions::default();
        let t0 = now();
        let contact = (ContactId::new(1), CredentialVersion(0));
        let mut ids = Vec::new();
        for i in 0..=MAX_SESSIONS {
            let (id, _) = sessions.open_at(None, t0 + Duration::from_millis(u64::try_from(i).unwrap()));
            sessions.with(&id, |s| s.user = Some(contact));
            ids.push(id);
        }
        let map = sessions.lock();
        assert!(map.len() <= MAX_SESSIONS);
        assert!(!map.contains_key(&ids[0]) && map.contains_key(&ids[MAX_SESSIONS]), "the least recently used went");
    }

    #[test]
    fn rotation_moves_the_session_to_a_new_id_and_forgets_the_old() {
        let sessions = Sessions::default();
        let (old, _) = sessions.open_at(None, now());
        let old_csrf = sessions.with(&old, |s| {
            s.flash = Some("kept".into());
            s.csrf.clone()
        });
        let contact = (ContactId::new(1), CredentialVersion(0));
        let (new, cookie, ()) = sessions.rotate(&old, |s| s.user = Some(contact));
        assert_ne!(new, old);
        assert_eq!(cookie, format!("portal_session={new}; Path=/; HttpOnly; SameSite=Strict"));
        assert!(!sessions.lock().contains_key(&old), "the old id is gone");
        let (user, flash, csrf) = sessions.with(&new, |s| (s.user, s.flash.clone(), s.csrf.clone()));
        assert_eq!(user, Some(contact), "the privilege lives under the new id");
        assert_eq!(flash.as_deref(), Some("kept"), "the rest of the session moved with it");
        assert_ne!(csrf, old_csrf, "a new CSRF token");
        assert!(!sessions.csrf_ok(&new, &old_csrf));
    }

    #[test]
    fn a_rotated_away_id_never_names_a_session_again() {
        let sessions = Sessions::default();
        let t0 = now();
        let (old, _) = sessions.open_at(None, t0);
        let (new, _, ()) = sessions.rotate(&old, |s| s.user = Some((ContactId::new(1), CredentialVersion(0))));
        // A request still carrying the old id (in flight during the login, or an attacker's).
        assert!(sessions.with(&old, |s| s.user.is_none()));
        sessions.with(&old, |s| s.flash = Some("lost".into()));
        assert!(!sessions.lock().contains_key(&old), "`with` does not bring it back");
        let (fresh, cookie) = sessions.open_at(Some(old.clone()), t0);
        assert!(fresh != old && fresh != new && cookie.is_some(), "the old id gets a new, empty session");
        assert!(sessions.with(&fresh, |s| s.user.is_none()));
    }

    #[test]
    fn over_https_the_cookie_is_host_prefixed_and_secure() {
        let sessions = Sessions::new(CookieMode::Https);
        let (old, cookie) = sessions.open_at(None, now());
        assert_eq!(cookie, Some(format!("__Host-portal_session={old}; Path=/; Secure; HttpOnly; SameSite=Strict")));
        let (new, cookie, ()) = sessions.rotate(&old, |_| ());
        assert_eq!(cookie, format!("__Host-portal_session={new}; Path=/; Secure; HttpOnly; SameSite=Strict"));
    }
}
