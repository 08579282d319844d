//! The credential state machine: pure functions of (record, input, now) that return the new
//! record and the audit events to append with it. No I/O, no clock, no randomness: the
//! service supplies hashes, digests and `now`, and persists the result with compare-and-swap.

use std::time::Duration;

use customer_access_policy::{LoginBackoff, ResetThrottle, UsernameKey};

use crate::actor::Actor;
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::Timestamp;
use crate::credential::{
    ContactRecord, EmailHold, ResetWindow, StoredHash, TemporaryCredential, TicketDigest, TicketRecord,
};
use crate::i18n::Preferences;
use crate::input::EmailAddress;
use crate::store::LoginFailures;

/// A computed change: the record to save and the events to append with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Transition {
    /// The new record (revision already bumped).
    pub(crate) record: ContactRecord,
    /// Events to append atomically with it.
    pub(crate) events: Vec<AuditEvent>,
}

/// How a temporary password is being issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum IssueReason {
    /// "Forgot your password", by the contact.
    SelfService,
    /// A staff reset; `revoke_current` also removes the current password.
    Staff {
        /// Remove the current password at once (suspected compromise).
        revoke_current: bool,
    },
    /// Staff invite a contact that has never had a password or a temporary password (an
    /// imported one): issued only while that is still so.
    Invitation,
}

fn event(at: Timestamp, actor: &Actor, record: &ContactRecord, kind: AuditKind) -> AuditEvent {
    AuditEvent {
        at,
        actor: actor.clone(),
        retailer: Some(record.contact.retailer),
        contact: Some(record.contact.id),
        kind,
    }
}

fn begin(record: &ContactRecord) -> ContactRecord {
    let mut next = record.clone();
    next.credentials.revision = record.credentials.revision.next();
    next
}

/// Remove a pending temporary password and ticket, with an event if one was pending.
fn withdraw_pending(next: &mut ContactRecord, now: Timestamp, actor: &Actor, events: &mut Vec<AuditEvent>) {
    next.credentials.ticket = None;
    if next.credentials.temporary.take().is_some() {
        events.push(event(now, actor, next, AuditKind::TemporaryPasswordWithdrawn));
    }
}

/// The pending temporary password, if it is still valid at `now` (expiry is exclusive:
/// at `expires_at` it no longer works).
pub(crate) fn pending_temporary(record: &ContactRecord, now: Timestamp) -> Option<&TemporaryCredential> {
    record.credentials.temporary.as_ref().filter(|t| now < t.expires_at)
}

/// The temporary password that expired less than `notice` ago, if one is still kept: a login
/// with it is told so (only its holder can make one).
pub(crate) fn recently_expired_temporary(
    record: &ContactRecord,
    now: Timestamp,
    notice: Duration,
) -> Option<&TemporaryCredential> {
    record.credentials.temporary.as_ref().filter(|t| t.expires_at <= now && now < t.expires_at.plus(notice))
}

/// A login with the current password: the first use of either secret withdraws the other, so
/// a temporary password (pending or expired) and its ticket go, and a mailbox read later
/// opens nothing. `None` when there is nothing to withdraw.
pub(crate) fn withdraw_after_login(record: &ContactRecord, now: Timestamp) -> Option<Transition> {
    let c = &record.credentials;
    if c.temporary.is_none() && c.ticket.is_none() {
        return None;
    }
    let mut next = begin(record);
    let mut events = Vec::new();
    withdraw_pending(&mut next, now, &Actor::Contact(record.contact.id), &mut events);
    Some(Transition { record: next, events })
}

/// May a self-service reset send an e-mail now, given the throttle?
pub(crate) fn reset_allowed(window: &ResetWindow, now: Timestamp, throttle: &ResetThrottle) -> bool {
    match window.started_at {
        Some(start) if now < start.plus(throttle.window) => window.count < throttle.max_requests,
        _ => true,
    }
}

fn count_reset(window: &ResetWindow, now: Timestamp, throttle: &ResetThrottle) -> ResetWindow {
    match window.started_at {
        Some(start) if now < start.plus(throttle.window) => {
            ResetWindow { started_at: Some(start), count: window.count.saturating_add(1) }
        }
        _ => ResetWindow { started_at: Some(now), count: 1 },
    }
}

/// Issue a temporary password (hash supplied), superseding any pending one and its ticket.
#[allow(clippy::too_many_arguments)]
pub(crate) fn issue_temporary(
    record: &ContactRecord,
    hash: StoredHash,
    now: Timestamp,
    ttl: Duration,
    actor: &Actor,
    reason: IssueReason,
    throttle: &ResetThrottle,
) -> Transition {
    let mut next = begin(record);
    let mut events = Vec::new();
    let c = &mut next.credentials;
    c.ticket = None;
    c.temporary =
        Some(TemporaryCredential { hash, issued_at: now, expires_at: now.plus(ttl), issued_by: actor.clone() });
    let kind = match reason {
        IssueReason::SelfService => {
            c.reset_window = count_reset(&c.reset_window, now, throttle);
            AuditKind::SelfServiceResetIssued
        }
        IssueReason::Staff { revoke_current } => {
            if revoke_current && c.password.take().is_some() {
                c.credential_version = c.credential_version.next();
                events.push(event(now, actor, &next, AuditKind::PasswordRevoked));
            }
            AuditKind::StaffResetIssued
        }
        IssueReason::Invitation => AuditKind::ContactInvited,
    };
    events.insert(0, event(now, actor, &next, kind));
    Transition { record: next, events }
}

/// Withdraw the temporary password `issued` if it is still the pending one (the e-mail
/// carrying it could not be sent). `None` when a newer change already replaced it.
pub(crate) fn withdraw_undelivered(record: &ContactRecord, issued: &StoredHash, now: Timestamp) -> Option<Transition> {
    let pending = record.credentials.temporary.as_ref()?;
    if pending.hash != *issued {
        return None;
    }
    let mut next = begin(record);
    let mut events = vec![event(now, &Actor::System, &next, AuditKind::ResetEmailFailed)];
    withdraw_pending(&mut next, now, &Actor::System, &mut events);
    Some(Transition { record: next, events })
}

/// A login with the valid temporary password: store the ticket's digest.
pub(crate) fn issue_ticket(record: &ContactRecord, digest: TicketDigest, now: Timestamp, ttl: Duration) -> Transition {
    let mut next = begin(record);
    next.credentials.ticket = Some(TicketRecord { digest, expires_at: now.plus(ttl) });
    let actor = Actor::Contact(record.contact.id);
    let events = vec![event(now, &actor, &next, AuditKind::ChangeTicketIssued)];
    Transition { record: next, events }
}

/// Is `digest` the pending ticket, unexpired at `now`, for an enabled login?
pub(crate) fn ticket_redeemable(record: &ContactRecord, digest: &TicketDigest, now: Timestamp) -> bool {
    record.contact.login_enabled
        && record.credentials.ticket.as_ref().is_some_and(|t| t.digest == *digest && now < t.expires_at)
}

/// A new password (hash supplied): replaces the current one, withdraws the temporary
/// password and ticket, bumps the credential version. `kind` is
/// [`AuditKind::PasswordSet`] (with a ticket) or [`AuditKind::PasswordChanged`].
pub(crate) fn set_password(record: &ContactRecord, hash: StoredHash, now: Timestamp, kind: AuditKind) -> Transition {
    let mut next = begin(record);
    let c = &mut next.credentials;
    c.password = Some(hash);
    c.temporary = None;
    c.ticket = None;
    c.credential_version = c.credential_version.next();
    let actor = Actor::Contact(record.contact.id);
    let events = vec![event(now, &actor, &next, kind)];
    Transition { record: next, events }
}

/// Replace a hash made with outdated parameters by one with the current parameters (same
/// password, so the credential version stays).
pub(crate) fn upgrade_hash(record: &ContactRecord, hash: StoredHash, now: Timestamp) -> Transition {
    let mut next = begin(record);
    next.credentials.password = Some(hash);
    let actor = Actor::System;
    let events = vec![event(now, &actor, &next, AuditKind::PasswordHashUpgraded)];
    Transition { record: next, events }
}

/// Staff change the e-mail address; a pending temporary password (sent to the old address)
/// is withdrawn. With a non-zero `hold`, the change starts (or, during one, extends) an
/// [`EmailHold`] naming the address before the first change of the hold.
pub(crate) fn change_email(
    record: &ContactRecord,
    email: EmailAddress,
    now: Timestamp,
    actor: &Actor,
    hold: Duration,
) -> Transition {
    let mut next = begin(record);
    let mut events = Vec::new();
    if !hold.is_zero() && email != record.contact.email {
        let running = record.credentials.email_hold.as_ref().filter(|h| h.active(now)).map(|h| h.previous.clone());
        let previous = running.unwrap_or_else(|| record.contact.email.clone());
        next.credentials.email_hold = Some(EmailHold { previous, until: now.plus(hold) });
    }
    next.contact.email = email;
    events.push(event(now, actor, &next, AuditKind::EmailChanged));
    withdraw_pending(&mut next, now, actor, &mut events);
    Transition { record: next, events }
}

/// Set the contact's language and time zone. Nothing about its login changes.
pub(crate) fn change_preferences(
    record: &ContactRecord,
    preferences: Preferences,
    now: Timestamp,
    actor: &Actor,
) -> Transition {
    let mut next = begin(record);
    next.contact.preferences = preferences;
    let events = vec![event(now, actor, &next, AuditKind::PreferencesChanged)];
    Transition { record: next, events }
}

/// Undo a staff e-mail change whose notice to `told` (the address before the hold) could
/// not be sent: the address goes back to `told`, and whatever temporary password or ticket
/// is pending (possibly mailed to the new address meanwhile) is withdrawn. It applies while
/// the address is still the one the change set, or while a hold still names `told` (a later
/// change in the same hold); `None` otherwise (a newer, unrelated state).
pub(crate) fn undo_email_change(
    current: &ContactRecord,
    told: &EmailAddress,
    changed_to: &EmailAddress,
    now: Timestamp,
) -> Option<Transition> {
    if current.contact.is_removed() {
        // Removed while the notice was in flight: the tombstone keeps no address.
        return None;
    }
    let same_hold = current.credentials.email_hold.as_ref().is_some_and(|h| h.previous == *told);
    if current.contact.email == *told || !(current.contact.email == *changed_to || same_hold) {
        return None;
    }
    let mut next = begin(current);
    next.contact.email = told.clone();
    let mut events = vec![event(now, &Actor::System, &next, AuditKind::EmailChangeNoticeFailed)];
    withdraw_pending(&mut next, now, &Actor::System, &mut events);
    Some(Transition { record: next, events })
}

/// The address a removed contact's row keeps: reserved (RFC 2606), so nothing is ever sent.
const REMOVED_EMAIL: &str = "removed@removed.invalid";

/// Staff remove the contact: the row becomes a tombstone for the audit trail. Personal data
/// (username, e-mail, display name) and every secret (password, temporary password, ticket,
/// hold) are erased, the login is disabled, the username key becomes the reserved key of this
/// id (the old username is free again), and the credential version bumps (sessions and
/// devices end at once).
pub(crate) fn remove(record: &ContactRecord, now: Timestamp, actor: &Actor) -> Transition {
    let mut next = begin(record);
    let c = &mut next.contact;
    c.username = String::new();
    c.username_key = crate::domain::removed_key(c.id);
    c.display_name = String::new();
    c.login_enabled = false;
    c.email = EmailAddress::parse(REMOVED_EMAIL).unwrap_or_else(|_| unreachable!("a valid, reserved address"));
    let k = &mut next.credentials;
    k.password = None;
    k.temporary = None;
    k.ticket = None;
    k.email_hold = None;
    k.reset_window = ResetWindow::default();
    k.credential_version = k.credential_version.next();
    let events = vec![event(now, actor, &next, AuditKind::ContactRemoved)];
    Transition { record: next, events }
}

/// Staff change the username; a pending temporary password is withdrawn and the credential
/// version bumps (the name a login is made with changed: sessions and devices end).
pub(crate) fn change_username(
    record: &ContactRecord,
    username: String,
    key: UsernameKey,
    now: Timestamp,
    actor: &Actor,
) -> Transition {
    let mut next = begin(record);
    let mut events = Vec::new();
    next.contact.username = username;
    next.contact.username_key = key;
    next.credentials.credential_version = next.credentials.credential_version.next();
    events.push(event(now, actor, &next, AuditKind::UsernameChanged));
    withdraw_pending(&mut next, now, actor, &mut events);
    Transition { record: next, events }
}

/// Staff enable or disable the login. Disabling withdraws pending secrets and bumps the
/// credential version (ending sessions).
pub(crate) fn set_login_enabled(record: &ContactRecord, enabled: bool, now: Timestamp, actor: &Actor) -> Transition {
    let mut next = begin(record);
    let mut events = Vec::new();
    next.contact.login_enabled = enabled;
    if enabled {
        events.push(event(now, actor, &next, AuditKind::LoginEnabled));
    } else {
        next.credentials.credential_version = next.credentials.credential_version.next();
        events.push(event(now, actor, &next, AuditKind::LoginDisabled));
        withdraw_pending(&mut next, now, actor, &mut events);
    }
    Transition { record: next, events }
}

/// The failed-login state after charging one more attempt at `now`: failures older than the
/// back-off's `forget_after` no longer count.
pub(crate) fn charge_attempt(failures: &LoginFailures, now: Timestamp, backoff: &LoginBackoff) -> LoginFailures {
    let stale = failures.last_failure_at.is_none_or(|t| t < now.minus(backoff.forget_after));
    // A request that read the clock, then stalled while others charged later attempts,
    // must not move the latest failure back (that would end a lockout early).
    let latest = failures.last_failure_at.map_or(now, |t| t.max(now));
    LoginFailures { count: if stale { 1 } else { failures.count.saturating_add(1) }, last_failure_at: Some(latest) }
}

/// The contact ends every session and recognised device: the credential version bumps.
pub(crate) fn end_sessions(record: &ContactRecord, now: Timestamp) -> Transition {
    let mut next = begin(record);
    next.credentials.credential_version = next.credentials.credential_version.next();
    let actor = Actor::Contact(record.contact.id);
    let events = vec![event(now, &actor, &next, AuditKind::LoggedOutEverywhere)];
    Transition { record: next, events }
}

/// How long logins for a username stay locked after `failures`, if at all.
pub(crate) fn lockout_remaining(failures: &LoginFailures, now: Timestamp, backoff: &LoginBackoff) -> Option<Duration> {
    let last = failures.last_failure_at?;
    if last < now.minus(backoff.forget_after) {
        return None;
    }
    let until = last.plus(backoff.delay_after(failures.count)?);
    (now < until).then(|| now.until(until))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{Credentials, Revision};
    use crate::domain::Contact;
    use crate::ids::{ContactId, RetailerId};
    use customer_access_policy::UsernameRules;

    const H: Duration = Duration::from_secs(3600);

    fn record() -> ContactRecord {
        ContactRecord {
            contact: Contact {
                id: ContactId::new(1),
                retailer: RetailerId::new(9),
                username: "anna".into(),
                username_key: UsernameRules::default().canonicalize("anna").unwrap(),
                email: EmailAddress::parse("anna@shop.example").unwrap(),
                display_name: "Anna".into(),
                login_enabled: true,
                preferences: Preferences::default(),
            },
            credentials: Credentials { password: Some(StoredHash::from_phc("current")), ..Credentials::empty() },
        }
    }

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_unix_millis(secs * 1000)
    }

    #[test]
    fn self_service_reset_keeps_the_current_password_and_supersedes() {
        let r = record();
        let throttle = ResetThrottle::default();
        let actor = Actor::Contact(r.contact.id);
        let a =
            issue_temporary(&r, StoredHash::from_phc("t1"), t(0), 48 * H, &actor, IssueReason::SelfService, &throttle);
        assert_eq!(a.record.credentials.password, r.credentials.password);
        assert_eq!(a.record.credentials.revision, Revision(1));
        assert_eq!(a.record.credentials.credential_version, r.credentials.credential_version);
        let b = issue_temporary(
            &a.record,
            StoredHash::from_phc("t2"),
            t(1),
            48 * H,
            &actor,
            IssueReason::SelfService,
            &throttle,
        );
        assert_eq!(b.record.credentials.temporary.as_ref().map(|x| x.hash.as_phc()), Some("t2"));
        assert_eq!(b.record.credentials.reset_window.count, 2);
        assert_eq!(b.events[0].kind, AuditKind::SelfServiceResetIssued);
    }

    #[test]
    fn expiry_is_exclusive() {
        let r = record();
        let a = issue_temporary(
            &r,
            StoredHash::from_phc("t"),
            t(0),
            48 * H,
            &Actor::System,
            IssueReason::Staff { revoke_current: false },
            &ResetThrottle::default(),
        );
        assert!(pending_temporary(&a.record, t(48 * 3600 - 1)).is_some());
        assert!(pending_temporary(&a.record, t(48 * 3600)).is_none());
    }

    #[test]
    fn staff_revocation_removes_password_and_bumps_version() {
        let r = record();
        let a = issue_temporary(
            &r,
            StoredHash::from_phc("t"),
            t(0),
            H,
            &Actor::System,
            IssueReason::Staff { revoke_current: true },
            &ResetThrottle::default(),
        );
        assert!(a.record.credentials.password.is_none());
        assert_eq!(a.record.credentials.credential_version, r.credentials.credential_version.next());
        assert_eq!(
            a.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [AuditKind::StaffResetIssued, AuditKind::PasswordRevoked]
        );
    }

    #[test]
    fn throttle_window() {
        let throttle = ResetThrottle::default();
        let mut w = ResetWindow::default();
        for _ in 0..3 {
            assert!(reset_allowed(&w, t(10), &throttle));
            w = count_reset(&w, t(10), &throttle);
        }
        assert!(!reset_allowed(&w, t(10), &throttle));
        assert!(!reset_allowed(&w, t(3609), &throttle));
        assert!(reset_allowed(&w, t(3610), &throttle));
    }

    #[test]
    fn withdraw_only_the_issued_temporary_password() {
        let r = record();
        let a = issue_temporary(
            &r,
            StoredHash::from_phc("t1"),
            t(0),
            H,
            &Actor::System,
            IssueReason::Staff { revoke_current: false },
            &ResetThrottle::default(),
        );
        assert!(withdraw_undelivered(&a.record, &StoredHash::from_phc("t0"), t(1)).is_none());
        let w = withdraw_undelivered(&a.record, &StoredHash::from_phc("t1"), t(1)).unwrap();
        assert!(w.record.credentials.temporary.is_none());
        assert_eq!(
            w.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [AuditKind::ResetEmailFailed, AuditKind::TemporaryPasswordWithdrawn]
        );
    }

    #[test]
    fn contact_changes_withdraw_pending_secrets() {
        let r = record();
        let a = issue_temporary(
            &r,
            StoredHash::from_phc("t"),
            t(0),
            H,
            &Actor::System,
            IssueReason::Staff { revoke_current: false },
            &ResetThrottle::default(),
        );
        let a = issue_ticket(&a.record, TicketDigest::from_hex("d"), t(1), H);
        let email = change_email(&a.record, EmailAddress::parse("new@shop.example").unwrap(), t(2), &Actor::System, H);
        let key = UsernameRules::default().canonicalize("anna2").unwrap();
        let user = change_username(&a.record, "anna2".into(), key, t(2), &Actor::System);
        let off = set_login_enabled(&a.record, false, t(2), &Actor::System);
        let pw = set_password(&a.record, StoredHash::from_phc("new"), t(2), AuditKind::PasswordSet);
        for x in [email, user, off, pw] {
            assert!(x.record.credentials.temporary.is_none());
            assert!(x.record.credentials.ticket.is_none());
        }
    }

    #[test]
    fn tickets_expire_and_need_an_enabled_login() {
        let r = record();
        let d = TicketDigest::from_hex("d");
        let a = issue_ticket(&r, d.clone(), t(0), Duration::from_secs(600));
        assert!(ticket_redeemable(&a.record, &d, t(599)));
        assert!(!ticket_redeemable(&a.record, &d, t(600)));
        assert!(!ticket_redeemable(&a.record, &TicketDigest::from_hex("e"), t(1)));
        let mut off = a.record.clone();
        off.contact.login_enabled = false;
        assert!(!ticket_redeemable(&off, &d, t(1)));
    }

    #[test]
    fn lockout_grows_and_is_forgotten() {
        let b = LoginBackoff::default();
        let f = |count, last| LoginFailures { count, last_failure_at: Some(t(last)) };
        assert_eq!(lockout_remaining(&f(5, 0), t(0), &b), None);
        assert_eq!(lockout_remaining(&f(6, 0), t(0), &b), Some(Duration::from_secs(1)));
        assert_eq!(lockout_remaining(&f(6, 0), t(1), &b), None);
        assert_eq!(lockout_remaining(&f(40, 0), t(100), &b), Some(Duration::from_secs(800)));
        assert_eq!(lockout_remaining(&f(40, 0), t(24 * 3600 + 1), &b), None);
    }
}
