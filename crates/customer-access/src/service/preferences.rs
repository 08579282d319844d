//! Languages and time zones: who sets them, and which apply to a contact.

use crate::actor::{Actor, Staff};
use crate::audit::{AuditEvent, AuditKind};
use crate::clock::Clock;
use crate::domain::{Contact, Retailer};
use crate::error::ServiceError;
use crate::i18n::Preferences;
use crate::ids::{ContactId, RetailerId};
use crate::mailer::Mailer;
use crate::message::EffectivePreferences;
use crate::state::change_preferences;
use crate::store::{Store, StoreErrorKind};

use super::{AccessService, Step};

impl<S: Store, M: Mailer, C: Clock> AccessService<S, M, C> {
    /// The language and time zone of a contact's e-mails and pages: its own, else its
    /// retailer's, else the catalog's defaults; the locale is the one whose messages are used
    /// (`de` for `de-AT` without a translation of its own). For the pages an application
    /// shows a logged-in contact.
    ///
    /// # Errors
    /// [`ServiceError::ContactNotFound`]; store failures.
    pub async fn preferences_of(&self, contact: ContactId) -> Result<EffectivePreferences, ServiceError> {
        let record = self.load(contact).await?;
        let retailer = self.inner.store.retailer(record.contact.retailer).await?;
        Ok(self.inner.messages.effective(&record.contact.preferences.or(&retailer.preferences)))
    }

    /// Staff set a contact's language and time zone (`None` fields: the retailer's apply).
    /// Audited; nothing about the login changes.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`]; [`ServiceError::ContactNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "set_contact_preferences", fields(contact = %contact))]
    pub async fn set_contact_preferences(
        &self,
        staff: &Staff,
        contact: ContactId,
        preferences: Preferences,
    ) -> Result<Contact, ServiceError> {
        let record = self.load_for_staff(staff, contact).await?;
        let saved = self
            .staff_update_loaded(staff, record, |record, now, actor| {
                change_preferences(record, preferences.clone(), now, actor)
            })
            .await?;
        Ok(saved.contact)
    }

    /// A logged-in contact sets its own language and time zone (the application has
    /// authenticated `contact`, as for [`log_out_everywhere`](Self::log_out_everywhere)).
    /// Audited.
    ///
    /// # Errors
    /// [`ServiceError::ContactNotFound`] (removed contacts included); store failures.
    pub async fn set_own_preferences(
        &self,
        contact: ContactId,
        preferences: Preferences,
    ) -> Result<Contact, ServiceError> {
        let record = self.load(contact).await?;
        let now = self.now();
        let actor = Actor::Contact(contact);
        self.update(record, |current| {
            if current.contact.is_removed() {
                return Err(ServiceError::ContactNotFound);
            }
            let t = change_preferences(current, preferences.clone(), now, &actor);
            let contact = t.record.contact.clone();
            Ok(Step::Save(t, contact))
        })
        .await
    }

    /// Staff set a retailer's language and time zone, the defaults of its contacts who have
    /// none (`None` fields: the catalog's apply). Audited.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`] (audited) for an iPad user outside the retailer;
    /// [`ServiceError::RetailerNotFound`]; store failures.
    #[tracing::instrument(skip_all, name = "set_retailer_preferences", fields(retailer = %retailer))]
    pub async fn set_retailer_preferences(
        &self,
        staff: &Staff,
        retailer: RetailerId,
        preferences: Preferences,
    ) -> Result<Retailer, ServiceError> {
        self.authorize(staff, retailer, None).await?;
        let event = AuditEvent {
            at: self.now(),
            actor: Actor::Staff(staff.clone()),
            retailer: Some(retailer),
            contact: None,
            kind: AuditKind::RetailerPreferencesChanged,
        };
        self.inner.store.set_retailer_preferences(retailer, &preferences, &[event]).await.map_err(|e| match e.kind() {
            StoreErrorKind::NotFound => ServiceError::RetailerNotFound,
            _ => e.into(),
        })
    }

    /// Where a contact's e-mail is written for. Best effort: if the retailer cannot be read,
    /// the contact's own preferences and the catalog's defaults still give an e-mail that
    /// goes out.
    pub(super) async fn recipient_preferences(&self, contact: &Contact) -> EffectivePreferences {
        let retailer = match self.inner.store.retailer(contact.retailer).await {
            Ok(retailer) => retailer.preferences,
            Err(e) => {
                tracing::warn!(error = %e, "retailer unreadable; its language and time zone are not applied");
                Preferences::default()
            }
        };
        self.inner.messages.effective(&contact.preferences.or(&retailer))
    }
}
