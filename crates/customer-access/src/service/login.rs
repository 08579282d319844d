//! Login with username and password.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::clock::Clock;
use crate::clock::Timestamp;
use crate::credential::{ContactRecord, CredentialVersion, Credentials, StoredHash};
use crate::device::{DeviceRecord, DeviceToken};
use crate::error::ServiceError;
use crate::hashing::{Candidate, HashError};
use crate::ids::ContactId;
use crate::input::InputError;
use crate::mailer::Mailer;
use crate::state::{issue_ticket, pending_temporary, recently_expired_temporary, upgrade_hash, withdraw_after_login};
use crate::store::{Store, ThrottleKey};
use crate::ticket::ChangeTicket;

use super::throttle::Admission;
use super::{AccessService, Step};

/// The answer to a login attempt.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome {
    /// The current password matched. Keep `credential_version` in the session and end the
    /// session when [`AccessService::credential_version`] no longer returns it.
    Authenticated {
        /// Who logged in.
        contact: ContactId,
        /// The credential version at login.
        credential_version: CredentialVersion,
        /// A new token recognising this device, to keep in a long-lived `HttpOnly` cookie and
        /// pass to [`AccessService::login_from_device`] next time; `None` when the login
        /// presented a token that is still recognised (keep that one), or when it could not
        /// be stored (logged; the login still succeeds).
        device: Option<DeviceToken>,
    },
    /// The temporary password matched: send the user to "set a new password" with this
    /// ticket (it does not log them in). It works once, for minutes.
    PasswordChangeRequired {
        /// Redeem with [`AccessService::set_new_password`].
        ticket: ChangeTicket,
    },
    /// The password matched only a temporary password that expired less than
    /// [`SecurityPolicy::expired_temporary_notice`](crate::SecurityPolicy::expired_temporary_notice)
    /// ago: offer to send a new one. Only someone holding that e-mailed secret gets this
    /// answer; it logs nobody in and costs what every other failure costs.
    TemporaryPasswordExpired {
        /// When the temporary password stopped working.
        expired_at: Timestamp,
    },
    /// Unknown username, wrong password, disabled login, or a temporary password expired
    /// longer ago than the notice period: one answer for all, so that none of them can be
    /// told apart.
    InvalidCredentials,
    /// Too many failed attempts for this username (known or not), or for this recognised
    /// device; try again after this long. Nothing was verified.
    LockedOut {
        /// How long to wait.
        retry_after: Duration,
    },
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Log in with username and password, from a device without a recognised-device token.
    /// See [`login_from_device`](Self::login_from_device).
    ///
    /// # Errors
    /// As [`login_from_device`](Self::login_from_device).
    pub async fn login(&self, username: &str, password: &SecretString) -> Result<LoginOutcome, ServiceError> {
        self.login_from_device(username, password, None).await
    }

    /// Log in with username and password, presenting the device token an earlier successful
    /// login returned, if the client has one.
    ///
    /// **Throttling.** Every attempt is reserved against the back-off *before* its password
    /// is verified (compare-and-swap in the store), so no burst of concurrent requests and no
    /// number of service instances gets more attempts verified than the policy allows; a
    /// success clears the reservations. Attempts are counted per normalised username (known
    /// or not, so a lockout reveals nothing), except that an attempt presenting a device
    /// token recognised for this contact is counted under that device alone: a stranger
    /// guessing at the username cannot lock the owner's known devices out.
    ///
    /// **Cost.** Every attempt that reaches the password check costs exactly two Argon2
    /// verifications (against the current password and the pending temporary password, a
    /// dummy hash standing in for whichever is missing), so an unknown username, a disabled
    /// login and a known one cannot be told apart by time. The two run in parallel on the
    /// hashing pool (one queue slot), so on an idle pool with two or more workers a login
    /// takes about one verification's time.
    ///
    /// # Errors
    /// [`ServiceError::Input`] for a malformed username or an over-long password (refused
    /// before any hashing); [`ServiceError::Overloaded`] when hashing is saturated; store
    /// failures.
    #[tracing::instrument(skip_all, name = "login")]
    pub async fn login_from_device(
        &self,
        username: &str,
        password: &SecretString,
        device: Option<&DeviceToken>,
    ) -> Result<LoginOutcome, ServiceError> {
        let policy = &self.inner.policy;
        let key = policy.username.canonicalize(username).map_err(InputError::Username)?;
        let candidate = self.normalized(password)?;
        let store = &self.inner.store;
        let now = self.now();
        // An unknown username continues with a decoy record shaped like a real one, so the
        // same work (lookups, clones, drops, two verifications) is done either way.
        let found = store.contact_by_username(&key).await?;
        let exists = found.is_some();
        let record = found.unwrap_or_else(|| self.inner.decoy.clone());
        let usable = exists && record.contact.login_enabled;
        // A presented token is looked up whatever the username, so that its cost says
        // nothing about whether the username exists.
        let digest = device.map(DeviceToken::digest);
        let recognised = match &digest {
            Some(digest) => store.device(digest).await?.is_some_and(|d| usable && d.recognises(&record, now)),
            None => false,
        };
        let throttle = match digest.filter(|_| recognised) {
            Some(digest) => ThrottleKey::device(&digest),
            None => ThrottleKey::username(&key),
        };
        // Room for the verification first: a request refused as Overloaded must not have
        // been charged (it would lock the owner out after a load spike, and make a spray
        // of usernames that evicts throttle entries cost no hashing).
        let slot = self.inner.hasher.admit()?;
        // Every parameter set in use, so the work does not depend on the username's hash (see
        // `census`); a missing pepper key fails every login alike, before anything is charged.
        let padding = self.hash_padding().await?;
        // A hash under a pepper key this service lacks (another instance got a new key
        // first): a configuration error, answered before anything is charged, and from now
        // on to every username alike (only this first answer tells one bit).
        // Both slots are read, the pool's dummy standing in for an absent hash, with a scan
        // whose cost does not depend on the record (the decoy's included).
        let own_hashes = [record.credentials.password.as_ref(), record.credentials.temporary.as_ref().map(|t| &t.hash)];
        let missing = own_hashes.map(|hash| self.inner.hasher.missing_pepper(hash));
        if let Some(id) = missing.into_iter().flatten().next() {
            self.pepper_missing(id.clone());
            return Err(ServiceError::Hashing(HashError::UnknownPepper(id)));
        }
        if let Admission::Locked(retry_after) = self.reserve_attempt(&throttle).await? {
            tracing::info!("login refused: locked out");
            return Ok(LoginOutcome::LockedOut { retry_after });
        }
        let current = record.credentials.password.as_ref().filter(|_| usable);
        let temporary = pending_temporary(&record, now).map(|t| t.hash.clone()).filter(|_| usable);
        // Without a pending temporary password, the second verification is against one that
        // expired recently, if kept, so that its holder can be told; it costs the same.
        let expired_at = recently_expired_temporary(&record, now, policy.expired_temporary_notice)
            .filter(|_| usable && temporary.is_none())
            .map(|t| (t.hash.clone(), t.expires_at));
        let second = temporary.clone().or_else(|| expired_at.as_ref().map(|(hash, _)| hash.clone()));
        // Both verifications run in parallel: a login takes one verification's time on an
        // idle pool, and the work stays two verifications whatever the username, each padded
        // to every hash parameter set in use (see `census`).
        // An imported hash is checked on the password as typed (see `Candidate`).
        let typed = Candidate::new(candidate.as_bytes(), password.expose_secret().as_bytes());
        let (current_ok, temporary_ok) = slot.verify_pair_padded(typed, current, second.as_ref(), &padding).await?;
        let (current_ok, temporary_ok) = (usable_or_false(current_ok)?, usable_or_false(temporary_ok)?);
        // Plain bcrypt matched the first 72 bytes of a longer password: keep the imported
        // hash rather than make the variant typed the only password.
        let adopt = !current.is_some_and(|h| self.inner.hasher.reads_only_a_prefix(h, typed.as_typed()));
        let usable = usable.then_some(record);

        match (usable, current_ok, temporary_ok) {
            (Some(record), true, _) => {
                self.clear_attempts(&throttle).await?;
                // Boxed, like the ticket branch: a rare path whose future (whole
                // compare-and-swap saves) would otherwise enlarge every waiting login's.
                Box::pin(self.authenticated(record, candidate.as_bytes(), adopt, recognised, now)).await
            }
            (Some(record), false, true) if temporary.is_some() => {
                self.clear_attempts(&throttle).await?;
                Box::pin(self.issue_change_ticket(record, temporary)).await
            }
            (Some(_), false, true) => {
                // The attempt stays charged: an expired secret opens nothing.
                tracing::info!("login with an expired temporary password");
                let expired_at = expired_at.map_or(now, |(_, at)| at);
                Ok(LoginOutcome::TemporaryPasswordExpired { expired_at })
            }
            _ => {
                // The attempt was charged when it was reserved.
                tracing::info!("login failed");
                Ok(LoginOutcome::InvalidCredentials)
            }
        }
    }

    /// The current password matched: withdraw the temporary password, upgrade the hash if
    /// outdated, remember the device.
    async fn authenticated(
        &self,
        record: ContactRecord,
        candidate: &[u8],
        adopt: bool,
        recognised: bool,
        now: Timestamp,
    ) -> Result<LoginOutcome, ServiceError> {
        let version = record.credentials.credential_version;
        let contact = record.contact.id;
        // The hash this login verified: only it may be upgraded, whatever the withdrawal
        // below reloads (a password changed meanwhile must stand).
        let verified = record.credentials.password.clone();
        let record = self.withdraw_temporary(record, now).await?;
        if adopt {
            self.upgrade_if_outdated(record, verified, candidate).await;
        }
        let device = if recognised { None } else { self.remember_device(contact, version, now).await };
        tracing::info!(contact = %contact, "login succeeded");
        Ok(LoginOutcome::Authenticated { contact, credential_version: version, device })
    }

    /// After a login with the current password, withdraw the temporary password (pending or
    /// expired) and its ticket: the first use of either secret withdraws the other. Returns
    /// the record as saved. A failure to save fails the login, rather than leave the
    /// e-mailed secret working.
    async fn withdraw_temporary(&self, record: ContactRecord, now: Timestamp) -> Result<ContactRecord, ServiceError> {
        let c = &record.credentials;
        if c.temporary.is_none() && c.ticket.is_none() {
            return Ok(record);
        }
        let Some(password) = c.password.clone() else {
            return Ok(record);
        };
        let pending = |c: &Credentials| (c.temporary.as_ref().map(|t| t.hash.clone()), c.ticket.clone());
        let seen = pending(c);
        self.update(record, |current| {
            if current.credentials.password.as_ref() != Some(&password) || pending(&current.credentials) != seen {
                // The password changed, or a reset or ticket came after this login was
                // verified: only what the login saw is withdrawn; the new state stands.
                return Ok(Step::Stop(current.clone()));
            }
            Ok(match withdraw_after_login(current, now) {
                Some(transition) => {
                    let saved = transition.record.clone();
                    Step::Save(transition, saved)
                }
                None => Step::Stop(current.clone()),
            })
        })
        .await
    }

    /// Issue and store a device token for a successful login. Best effort: a store failure
    /// only means the device is not recognised next time.
    async fn remember_device(
        &self,
        contact: ContactId,
        credential_version: CredentialVersion,
        now: Timestamp,
    ) -> Option<DeviceToken> {
        let policy = &self.inner.policy.device_tokens;
        let token = DeviceToken::generate(contact);
        let record = DeviceRecord {
            digest: token.digest(),
            contact,
            credential_version,
            issued_at: now,
            expires_at: now.plus(policy.ttl),
        };
        match self.inner.store.add_device(&record, policy.max_per_contact).await {
            Ok(()) => Some(token),
            Err(e) => {
                tracing::warn!(error = %e, "could not remember a device");
                None
            }
        }
    }

    /// The contact's current credential version: an application compares it with the one
    /// stored in a session and ends the session when they differ.
    ///
    /// # Errors
    /// [`ServiceError::ContactNotFound`], store failures.
    pub async fn credential_version(&self, contact: ContactId) -> Result<CredentialVersion, ServiceError> {
        Ok(self.load(contact).await?.credentials.credential_version)
    }

    /// Verify, treating an unusable stored hash as a mismatch (logged, never shown).
    pub(super) async fn verify_or_false(
        &self,
        candidate: Candidate<'_>,
        stored: Option<&StoredHash>,
    ) -> Result<bool, ServiceError> {
        usable_or_false(self.inner.hasher.verify(candidate, stored).await)
    }

    async fn issue_change_ticket(
        &self,
        record: ContactRecord,
        issued: Option<StoredHash>,
    ) -> Result<LoginOutcome, ServiceError> {
        let now = self.now();
        let ttl = self.inner.policy.change_ticket_ttl;
        let outcome = self
            .update(record, |current| {
                // After a lost race, the temporary password must still be the one that matched.
                let still = pending_temporary(current, now).map(|t| &t.hash) == issued.as_ref();
                if !still || !current.contact.login_enabled {
                    return Ok(Step::Stop(LoginOutcome::InvalidCredentials));
                }
                let ticket = ChangeTicket::generate(current.contact.id);
                let transition = issue_ticket(current, ticket.digest(), now, ttl);
                Ok(Step::Save(transition, LoginOutcome::PasswordChangeRequired { ticket }))
            })
            .await?;
        tracing::info!("login with temporary password: change required");
        Ok(outcome)
    }

    /// Re-hash with the current parameters after a successful login. `verified` is the hash
    /// the login verified `candidate` against: only that hash is replaced, never one a
    /// concurrent password change saved (which `record`, reloaded after a lost race, may
    /// hold). Best effort: a failure here must not fail the login.
    async fn upgrade_if_outdated(&self, record: ContactRecord, verified: Option<StoredHash>, candidate: &[u8]) {
        let Some(stored) = verified else {
            return;
        };
        if !self.inner.hasher.needs_rehash(&stored) {
            return;
        }
        let now = self.now();
        let result = async {
            let fresh = self.inner.hasher.hash(candidate).await?;
            self.update(record, |current| {
                if current.credentials.password.as_ref() != Some(&stored) {
                    return Ok(Step::Stop(()));
                }
                Ok(Step::Save(upgrade_hash(current, fresh.clone(), now), ()))
            })
            .await
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not upgrade an outdated password hash");
        }
    }
}

/// A verification's answer, with an unusable stored hash counted as a mismatch (logged,
/// never shown): a tampered row must not lock its owner out with an error page.
fn usable_or_false(result: Result<bool, HashError>) -> Result<bool, ServiceError> {
    match result {
        Ok(matched) => Ok(matched),
        Err(e @ (HashError::Malformed | HashError::ParamsTooLarge)) => {
            tracing::error!(error = %e, "stored password hash unusable");
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
