//! Staff management of contacts' logins: invite, change e-mail or username, enable/disable,
//! unlock, list, read the audit log. Every call checks the staff member's access to the
//! contact's retailer first, and records an audit event naming them.

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::Clock;
use crate::credential::ContactRecord;
use crate::credential::{Credentials, TemporaryCredential};
use crate::domain::{Contact, Retailer};
use crate::error::ServiceError;
use crate::i18n::Preferences;
use crate::ids::{ContactId, RetailerId};
use crate::input::{EmailAddress, InputError, check_text};
use crate::mailer::{Mailer, MessageKind};
use crate::message::EmailChangeNotice;
use crate::state::{change_email, change_username, remove, set_login_enabled, undo_email_change};
use crate::store::{NewContactRecord, Store, ThrottleKey};

use customer_access_policy::TemporaryPassword;
use secrecy::ExposeSecret;

use super::budget::Budgets;
use super::{AccessService, Step};

/// Longest display or retailer name, in bytes.
const MAX_NAME_BYTES: usize = 200;

/// A contact login to create (all fields untrusted; checked before any work).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewContact {
    /// The retailer the contact belongs to.
    pub retailer: RetailerId,
    /// Username as typed.
    pub username: String,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Language and time zone; unset fields follow the retailer's. The invitation is
    /// already written with them.
    pub preferences: Preferences,
}

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// Create a retailer (sales admins only).
    ///
    /// # Errors
    /// [`ServiceError::Input`] for a bad name; [`ServiceError::Forbidden`] for iPad users;
    /// store failures.
    #[tracing::instrument(skip_all, name = "create_retailer")]
    pub async fn create_retailer(&self, staff: &Staff, name: &str) -> Result<Retailer, ServiceError> {
        check_text("retailer name", name, MAX_NAME_BYTES)?;
        if !matches!(staff, Staff::SalesAdmin { .. }) {
            tracing::warn!(staff = %staff.staff_id(), "staff access denied: create a retailer");
            let event = AuditEvent {
                at: self.now(),
                actor: Actor::Staff(staff.clone()),
                retailer: None,
                contact: None,
                kind: AuditKind::AccessDenied,
            };
            self.inner.store.append_audit(&[event]).await?;
            return Err(ServiceError::Forbidden);
        }
        let retailer = self.inner.store.create_retailer(name).await?;
        let event = AuditEvent {
            at: self.now(),
            actor: Actor::Staff(staff.clone()),
            retailer: Some(retailer.id),
            contact: None,
            kind: AuditKind::RetailerCreated,
        };
        self.inner.store.append_audit(&[event]).await?;
        Ok(retailer)
    }

    /// The retailers `staff` may manage: all for a sales admin, the assigned ones for an
    /// iPad user.
    ///
    /// # Errors
    /// Store failures.
    pub async fn manageable_retailers(&self, staff: &Staff) -> Result<Vec<Retailer>, ServiceError> {
        let all = self.inner.store.retailers().await?;
        Ok(match staff {
            Staff::SalesAdmin { .. } => all,
            Staff::IpadUser { staff_id, .. } => {
                let assigned = self.inner.store.assigned_retailers(*staff_id).await?;
                all.into_iter().filter(|r| assigned.contains(&r.id)).collect()
            }
        })
    }

    /// Create a contact's login and e-mail its first temporary password (an invitation).
    ///
    /// # Errors
    /// [`ServiceError::Input`] for a bad username, e-mail or name (before any work);
    /// [`ServiceError::Forbidden`]; [`ServiceError::RetailerNotFound`];
    /// [`ServiceError::UsernameTaken`]; [`ServiceError::Delivery`] if the e-mail failed (the
    /// contact exists, its temporary password was withdrawn: reset it once mail works).
    #[tracing::instrument(skip_all, name = "invite", fields(retailer = %new.retailer))]
    pub async fn invite(&self, staff: &Staff, new: &NewContact) -> Result<Contact, ServiceError> {
        let policy = &self.inner.policy;
        let key = policy.username.canonicalize(&new.username).map_err(InputError::Username)?;
        let email = EmailAddress::parse(&new.email).map_err(InputError::Email)?;
        check_text("display name", &new.display_name, MAX_NAME_BYTES)?;
        self.authorize(staff, new.retailer, None).await?;
        self.require_retailer(new.retailer).await?;
        let temporary = TemporaryPassword::generate(&mut crate::random::os_rng(), &policy.password);
        let hash = self.inner.hasher.hash(temporary.expose_secret().as_bytes()).await?;
        let now = self.now();
        let actor = Actor::Staff(staff.clone());
        let record = NewContactRecord {
            retailer: new.retailer,
            username: new.username.clone(),
            username_key: key,
            email,
            display_name: new.display_name.clone(),
            login_enabled: true,
            preferences: new.preferences.clone(),
            credentials: Credentials {
                temporary: Some(TemporaryCredential {
                    hash: hash.clone(),
                    issued_at: now,
                    expires_at: now.plus(policy.temporary_password_ttl),
                    issued_by: actor.clone(),
                }),
                ..Credentials::empty()
            },
        };
        let event =
            AuditEvent { at: now, actor, retailer: Some(new.retailer), contact: None, kind: AuditKind::ContactInvited };
        let created = self.inner.store.create_contact(&record, &[event]).await?;
        self.deliver(&created, &temporary, &hash, MessageKind::Invitation, None)
            .await
            .map_err(ServiceError::Delivery)?;
        tracing::info!(contact = %created.contact.id, "contact invited");
        Ok(created.contact)
    }

    /// Change a contact's e-mail address. A pending temporary password is withdrawn, the
    /// previous address is told at once (who, when, the new address masked), and for
    /// `SecurityPolicy::staff_email_change_hold` a staff reset needs a second staff member
    /// while a self-service reset goes to the previous address: no one staff member can
    /// redirect a contact's mail and take the login over alone.
    ///
    /// # Errors
    /// [`ServiceError::Input`]; [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`];
    /// [`ServiceError::Delivery`] if the notice to the previous address failed (the change
    /// was undone and the failure audited); store failures.
    #[tracing::instrument(skip_all, name = "update_email", fields(contact = %contact))]
    pub async fn update_email(&self, staff: &Staff, contact: ContactId, email: &str) -> Result<Contact, ServiceError> {
        let email = EmailAddress::parse(email).map_err(InputError::Email)?;
        let before = self.load_for_staff(staff, contact).await?;
        let hold = self.inner.policy.staff_email_change_hold;
        let saved = self
            .staff_update_loaded(staff, before.clone(), |record, now, actor| {
                change_email(record, email.clone(), now, actor, hold)
            })
            .await?;
        if saved.contact.email != before.contact.email {
            // During a hold, every notice goes to the address the hold protects, not to the
            // one a previous change of the same hold set.
            let now = self.now();
            let told = saved.credentials.email_hold.as_ref().filter(|h| h.active(now)).map(|h| h.previous.clone());
            let told = told.unwrap_or_else(|| before.contact.email.clone());
            self.notify_email_change(staff, &before, &told, &saved.contact.email).await?;
        }
        Ok(saved.contact)
    }

    /// Tell `told` (the address before the hold) of a staff e-mail change; if that fails,
    /// undo the change, so a contact's address never changes without that address being told.
    pub(super) async fn notify_email_change(
        &self,
        staff: &Staff,
        before: &ContactRecord,
        told: &EmailAddress,
        changed_to: &EmailAddress,
    ) -> Result<(), ServiceError> {
        let now = self.now();
        match self.send_email_change_notice(staff, before, told, changed_to).await {
            Ok(event) => {
                self.inner.store.append_audit(&[event]).await?;
                Ok(())
            }
            Err(mail_error) => {
                tracing::warn!(error = %mail_error, "e-mail change notice failed; undoing the change");
                let current = self.load(before.contact.id).await?;
                self.update(current, |current| {
                    Ok(match undo_email_change(current, told, changed_to, now) {
                        Some(t) => Step::Save(t, ()),
                        None => Step::Stop(()),
                    })
                })
                .await?;
                Err(ServiceError::Delivery(mail_error))
            }
        }
    }

    /// Send the notice of a staff change of `before`'s address to `changed_to` to `told`,
    /// and return the event that records it (for the caller to store with what it goes with).
    pub(super) async fn send_email_change_notice(
        &self,
        staff: &Staff,
        before: &ContactRecord,
        told: &EmailAddress,
        changed_to: &EmailAddress,
    ) -> Result<AuditEvent, crate::mailer::MailError> {
        let now = self.now();
        let to = self.recipient_preferences(&before.contact).await;
        let mut notice = self.inner.messages.render_email_changed(
            &EmailChangeNotice { before: &before.contact, new_email: changed_to, changed_at: now, changed_by: staff },
            &to,
        );
        notice.to = told.clone();
        self.inner.mailer.send(&notice).await?;
        Ok(AuditEvent {
            at: now,
            actor: Actor::System,
            retailer: Some(before.contact.retailer),
            contact: Some(before.contact.id),
            kind: AuditKind::EmailChangeNoticeSent,
        })
    }

    /// Change a contact's username. A pending temporary password is withdrawn. The change
    /// counts against the staff reset budgets: it frees the old username for an invitation
    /// to any address.
    ///
    /// # Errors
    /// [`ServiceError::Input`]; [`ServiceError::UsernameTaken`]; [`ServiceError::Forbidden`];
    /// [`ServiceError::ContactNotFound`]; [`ServiceError::ResetBudgetExceeded`] (audited and
    /// alerted); store failures.
    #[tracing::instrument(skip_all, name = "update_username", fields(contact = %contact))]
    pub async fn update_username(
        &self,
        staff: &Staff,
        contact: ContactId,
        username: &str,
    ) -> Result<Contact, ServiceError> {
        let key = self.inner.policy.username.canonicalize(username).map_err(InputError::Username)?;
        let record = self.load_for_staff(staff, contact).await?;
        let retailer = record.contact.retailer;
        let budgets = Budgets::staff_reset(&self.inner.policy.staff_reset_budgets, staff, retailer, self.now());
        let renamed = self
            .staff_update_within(staff, record, &budgets, |record, now, actor| {
                change_username(record, username.to_owned(), key.clone(), now, actor)
            })
            .await;
        match renamed {
            Err(refusal @ ServiceError::ResetBudgetExceeded { .. }) => {
                Err(self.refuse_over_budget(staff, contact, retailer, refusal).await)
            }
            renamed => Ok(renamed?.contact),
        }
    }

    /// Enable or disable a contact's login. Disabling withdraws pending secrets and bumps
    /// the credential version, which ends the contact's sessions.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "set_login_enabled", fields(contact = %contact, enabled = enabled))]
    pub async fn set_login_enabled(
        &self,
        staff: &Staff,
        contact: ContactId,
        enabled: bool,
    ) -> Result<Contact, ServiceError> {
        self.staff_update(staff, contact, |record, now, actor| set_login_enabled(record, enabled, now, actor)).await
    }

    /// Clear the failed-login lockout of a contact's username.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "unlock", fields(contact = %contact))]
    pub async fn unlock(&self, staff: &Staff, contact: ContactId) -> Result<(), ServiceError> {
        let record = self.load_for_staff(staff, contact).await?;
        self.inner.store.clear_login_failures(&ThrottleKey::username(&record.contact.username_key)).await?;
        let event = AuditEvent {
            at: self.now(),
            actor: Actor::Staff(staff.clone()),
            retailer: Some(record.contact.retailer),
            contact: Some(contact),
            kind: AuditKind::Unlocked,
        };
        self.inner.store.append_audit(&[event]).await?;
        Ok(())
    }

    /// A retailer's contacts, for picking the right one among several.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::RetailerNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "list_contacts", fields(retailer = %retailer))]
    pub async fn list_contacts(&self, staff: &Staff, retailer: RetailerId) -> Result<Vec<Contact>, ServiceError> {
        self.authorize(staff, retailer, None).await?;
        self.require_retailer(retailer).await?;
        let records = self.inner.store.contacts_of_retailer(retailer).await?;
        Ok(records.into_iter().map(|r| r.contact).filter(|c| !c.is_removed()).collect())
    }

    /// Remove a contact (the retailer closed, the person left): the login stops working at
    /// once (sessions and recognised devices end), the personal data (username, e-mail,
    /// display name) and every secret and the failed-login state of its username are
    /// erased, and the username is free for a new contact. The audit trail stays, pointing
    /// at the contact's id, which names nobody any more. Sales admins and the iPad users
    /// assigned to the contact's retailer; audited; removing a removed contact does nothing.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`];
    /// [`ServiceError::ResetBudgetExceeded`] (a removal counts against the staff reset
    /// budgets: it frees the username for an invitation to another address); store failures.
    #[tracing::instrument(skip_all, name = "remove_contact", fields(contact = %contact))]
    pub async fn remove_contact(&self, staff: &Staff, contact: ContactId) -> Result<(), ServiceError> {
        let record = self.load_for_staff_even_removed(staff, contact).await?;
        let mut erased = None;
        if !record.contact.is_removed() {
            // Erased before the tombstone is saved, while the username is still known: a
            // failure here fails the removal, which staff can retry. Once saved, a retry
            // finds a tombstone that no longer knows the username.
            let key = ThrottleKey::username(&record.contact.username_key);
            let failures = self.inner.store.login_failures(&key).await?;
            self.inner.store.clear_login_failures(&key).await?;
            erased = Some((key, failures));
        }
        let actor = Actor::Staff(staff.clone());
        let now = self.now();
        let retailer = record.contact.retailer;
        // A removal frees the username for an invitation to any address: it counts against
        // the same budgets as a reset.
        let budgets = Budgets::staff_reset(&self.inner.policy.staff_reset_budgets, staff, retailer, now);
        let removed = self
            .update_within(record, &budgets, |current| {
                if current.contact.is_removed() {
                    return Ok(Step::Stop(None));
                }
                Ok(Step::Save(remove(current, now, &actor), Some(current.contact.username_key.clone())))
            })
            .await;
        let freed = match removed {
            Err(refusal @ ServiceError::ResetBudgetExceeded { .. }) => {
                // Refused: nothing may change, so the failed logins come back (unless new
                // ones were charged meanwhile, which then stand).
                if let Some((key, failures)) = erased.filter(|(_, f)| !f.is_empty()) {
                    let retention = self.failure_retention();
                    if let Err(e) =
                        self.inner.store.swap_login_failures(&key, Default::default(), failures, retention).await
                    {
                        tracing::warn!(error = %e, "could not restore the failed logins of a refused removal");
                    }
                }
                return Err(self.refuse_over_budget(staff, contact, retailer, refusal).await);
            }
            removed => removed?,
        };
        if let Some(key) = freed {
            // Again, for attempts charged meanwhile (or a username changed meanwhile). Best
            // effort: the removal stands, and a retry could not do this any more.
            if let Err(e) = self.inner.store.clear_login_failures(&ThrottleKey::username(&key)).await {
                tracing::warn!(error = %e, "could not clear a removed contact's failed logins");
            }
            tracing::info!("contact removed");
        }
        Ok(())
    }

    /// A contact's audit log, oldest first (a removed contact's too).
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "audit_log", fields(contact = %contact))]
    pub async fn audit_log(&self, staff: &Staff, contact: ContactId) -> Result<Vec<AuditEvent>, ServiceError> {
        self.load_for_staff_even_removed(staff, contact).await?;
        Ok(self.inner.store.audit_log(contact).await?)
    }

    async fn staff_update(
        &self,
        staff: &Staff,
        contact: ContactId,
        change: impl Fn(&ContactRecord, crate::clock::Timestamp, &Actor) -> crate::state::Transition + Send + Sync,
    ) -> Result<Contact, ServiceError> {
        let record = self.load_for_staff(staff, contact).await?;
        Ok(self.staff_update_loaded(staff, record, change).await?.contact)
    }

    /// [`staff_update`](Self::staff_update) on a record already loaded and authorised;
    /// returns the record as saved.
    pub(super) async fn staff_update_loaded(
        &self,
        staff: &Staff,
        record: ContactRecord,
        change: impl Fn(&ContactRecord, crate::clock::Timestamp, &Actor) -> crate::state::Transition + Send + Sync,
    ) -> Result<ContactRecord, ServiceError> {
        self.staff_update_within(staff, record, &Budgets::none(), change).await
    }

    /// [`staff_update_loaded`](Self::staff_update_loaded), each save within `budgets`.
    async fn staff_update_within(
        &self,
        staff: &Staff,
        record: ContactRecord,
        budgets: &Budgets,
        change: impl Fn(&ContactRecord, crate::clock::Timestamp, &Actor) -> crate::state::Transition + Send + Sync,
    ) -> Result<ContactRecord, ServiceError> {
        let actor = Actor::Staff(staff.clone());
        let now = self.now();
        self.update_within(record, budgets, |current| {
            if current.contact.is_removed() {
                // Removed while this change waited: a tombstone takes no edits.
                return Err(ServiceError::ContactNotFound);
            }
            let t = change(current, now, &actor);
            let saved = t.record.clone();
            Ok(Step::Save(t, saved))
        })
        .await
    }
}
