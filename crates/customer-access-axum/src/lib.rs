#![forbid(unsafe_code)]
//! The web layer of `customer-access` for [axum]: the session rules an application would
//! otherwise get partly wrong, owned by one layer.
//!
//! - **Every request** of a logged-in contact is checked against the contact's current
//!   credential version (one indexed read, no hashing): after a password change, a staff
//!   reset that revokes the password, disabling the login or "log out everywhere", the
//!   session ends on its next request, whichever route it hits, with no handler code.
//! - **A pending forced change is a fence**: while the session holds a change ticket, every
//!   route but "set a new password" and "log out" redirects there (`403` for JSON).
//! - **CSRF** is checked by the layer on every `POST`, `PUT`, `PATCH` and `DELETE` (form
//!   field `csrf` or header `x-csrf-token`), the application's routes included; bodies are
//!   bounded before anything reads them.
//! - **Session ids rotate** at login, when a change ticket is issued and when a password is
//!   set or changed; the ticket stays in the server-side session, never in a form or URL.
//! - **Ready-made routes** under any prefix: log in, log out, "Forgot your password", set a
//!   new password, change password, as HTML pages ([`templates`] to override them) and as
//!   JSON ([`Paths::api`]); extractors [`CurrentContact`] and [`CsrfToken`] for the
//!   application's own routes.
//! - **Busy is `503` with `Retry-After`**, the form kept; a lockout reads like a wrong
//!   password plus the wait; security headers on every answer, a strict content security
//!   policy on the crate's pages.
//!
//! Sessions are [tower-sessions]; [`store`] keeps them in the application's SQLite or
//! PostgreSQL database (features `sqlite`, `postgres`), sealed.
//!
//! # Why not axum-login
//! axum-login's `AuthnBackend::authenticate` answers a login with a user or nothing. A
//! login here has five outcomes a page must tell apart (logged in, password change required
//! with a ticket that must stay server-side, temporary password expired, locked out for a
//! while, wrong) plus "busy"; squeezing them through `Option<User>` would move the outcome
//! handling back into every application. What axum-login would add beyond that, a session
//! id cycled at login and a per-request comparison of a stored "session auth hash" with the
//! user's current one, is what this crate's layer does with the credential version (a
//! counter the library bumps on every event that must end sessions), in a few lines over the
//! same tower-sessions `Session`. So this crate builds on tower-sessions directly and has
//! one dependency less.
//!
//! # Staff
//! Staff sign in through the application, not here. Their actions are the
//! [`AccessService`](customer_access::AccessService) methods (`staff_reset`, `update_email`,
//! `set_login_enabled`, ...), which the application may call from its own routes, or
//! [`staff::router`], a JSON router the application nests behind its own staff guard (which
//! puts a [`staff::StaffMember`] into each request). Every action that must end a contact's
//! sessions bumps the credential version, which this layer then enforces.
//!
//! # Example
//! See [`CustomerAccess`].

mod access;
mod context;
pub mod csrf;
mod device;
mod extract;
mod guard;
mod html;
mod paths;
mod respond;
mod routes;
mod session;
pub mod staff;
pub mod store;
pub mod templates;

pub use access::{
    BuildError, CustomerAccess, CustomerAccessBuilder, DEFAULT_BODY_LIMIT, DEFAULT_IDLE_TIMEOUT, DEFAULT_RETRY_AFTER,
};
pub use context::{CsrfToken, CsrfUnavailable, CurrentContact, LoginRequired};
pub use paths::Paths;
pub use templates::{DefaultTemplates, Templates};
pub use tower_sessions;
