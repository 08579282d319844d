//! Customer (contact) logins for a B2B ordering site.
//!
//! A retailer has many contacts; each contact has its own username, e-mail address and
//! password, which only the contact knows. Staff (sales admins and iPad users) reset a
//! contact's password and manage its login without ever seeing a password; contacts reset
//! their own with "Forgot your password". A reset e-mails a temporary password valid for 48
//! hours; logging in with it returns a change ticket instead of a session, and the new
//! password must pass the policy of [`customer_access_policy`].
//!
//! The crate holds the domain and every flow ([`AccessService`]) behind three traits: a
//! [`Store`] (the `customer-access-sqlite` and `customer-access-postgres` crates, or your
//! own, checked by `customer-access-conformance`), a [`Mailer`] (`customer-access-smtp`),
//! and a [`Clock`]. A [`MemoryStore`] and a [`RecordingMailer`] ship for tests and
//! prototypes.
//!
//! # The seed scenario
//!
//! ```
//! use customer_access::*;
//! use customer_access::secrecy::SecretString;
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ServiceError> {
//! let (store, mailer) = (MemoryStore::new(), RecordingMailer::new());
//! let mut policy = SecurityPolicy::default();
//! # policy.argon2 = customer_access_policy::Argon2Settings::danger_insecure_for_tests();
//! let service = AccessService::new(store, mailer.clone(), SystemClock, policy)?;
//! let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
//!
//! // A retailer with a contact, invited by a sales admin.
//! let shop = service.create_retailer(&admin, "Corner Shop").await?;
//! let anna = service.invite(&admin, &NewContact {
//!     retailer: shop.id,
//!     username: "anna.berg".into(),
//!     email: "anna@corner-shop.example".into(),
//!     display_name: "Anna Berg".into(),
//!     preferences: Default::default(),
//! }).await?;
//!
//! // The sales admin resets Anna's password; the temporary password goes only to Anna.
//! service.staff_reset(&admin, anna.id, ResetOptions::default()).await?;
//! let mail = mailer.last_message().unwrap();
//! assert!(!mail.text_body().contains("anna.berg")); // no username by default
//! let temporary = mailer.last_temporary_password().unwrap();
//!
//! // Logging in with it requires a new password at once.
//! let LoginOutcome::PasswordChangeRequired { ticket } =
//!     service.login("Anna.Berg", &temporary).await? else { panic!() };
//!
//! // A weak password is refused with every violation; a good one is accepted.
//! let weak = service.set_new_password(&ticket, &SecretString::from("short")).await;
//! assert!(matches!(weak, Err(ServiceError::PasswordRejected(v)) if v.as_slice().len() == 2));
//! service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await?;
//!
//! let outcome = service.login("anna.berg", &SecretString::from("plum-Kettle-42")).await?;
//! assert!(matches!(outcome, LoginOutcome::Authenticated { .. }));
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod actor;
mod audit;
mod clock;
mod credential;
mod device;
mod directory;
mod domain;
mod erased;
mod error;
pub mod hashing;
pub mod i18n;
mod ids;
pub mod import;
mod input;
mod kinded;
pub mod legacy;
pub mod mailer;
mod memory;
mod message;
mod random;
mod recording;
mod service;
mod state;
pub mod store;
mod ticket;
mod token;

// The root is for applications: the service, what it takes and returns, and the test
// doubles. `store` is for store implementors, `mailer` for mailer implementors, `hashing`
// for tuning and benchmarks (docs/api-layers.md).
pub use actor::{Actor, Staff};
pub use audit::{
    AnchorCheck, AuditAnchor, AuditBreak, AuditEvent, AuditHash, AuditKind, AuditRecord, AuditScope, AuditVerification,
    ChainEnds, ChainLink, MalformedAnchor, MalformedAuditHash, VerifyError, cut_anchor, verify_audit,
};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use credential::CredentialVersion;
pub use device::{DeviceToken, MalformedDeviceToken};
pub use directory::{CONTACT_SCAN_LIMIT, ContactPage, ContactQuery, ContactSearch, MAX_CONTACT_PAGE, MAX_SEARCH_LEN};
pub use domain::{Contact, Retailer};
pub use erased::{BoxMailer, BoxStore};
pub use error::ServiceError;
pub use ids::{ContactId, DeviceId, RetailerId, StaffId};
pub use input::{EmailAddress, EmailError, InputError, TextProblem};
pub use mailer::Mailer;
pub use memory::MemoryStore;
pub use message::{EffectivePreferences, MessageCatalog};
pub use recording::RecordingMailer;
pub use service::{
    AccessService, CENSUS_INTERVAL, Importer, LoginOutcome, MAX_AUDIT_PAGE, MAX_SAVE_ATTEMPTS, NewContact,
    PasswordChanged, PendingReset, ResetOptions, SelfServiceOutcome, ServiceBuilder, StaffAlert, StaffResetReceipt,
};
pub use store::Store;
pub use ticket::{ChangeTicket, ChangeTicketInput, MalformedTicket};

pub use customer_access_policy::{self as policy, SecurityPolicy};
/// Re-exported so callers name the same secret types this crate takes and returns.
pub use secrecy;
