//! The HTML routes. Every answer that is not a redirect is a whole page from the templates,
//! with the pages' headers (content security policy, no caching).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use customer_access::{Clock, LoginOutcome, Mailer, ServiceError, Store};
use tower_sessions::Session;

use super::forms::{ChangeForm, ForgotForm, LoginForm, NewPasswordForm, NoticeQuery};
use super::steps;
use crate::access::CustomerAccess;
use crate::context::CurrentContact;
use crate::respond::{self, Failure, Refusal};
use crate::templates::{ForgotPage, LoginPage, Notice, PasswordPage, PasswordRules};

type Access<S, M, C> = State<CustomerAccess<S, M, C>>;

/// A page with `status`; `503` also says when to come back.
fn page<S, M, C>(access: &CustomerAccess<S, M, C>, status: StatusCode, html: String) -> Response {
    let mut response = (status, Html(html)).into_response();
    respond::page_headers(response.headers_mut());
    if status == StatusCode::SERVICE_UNAVAILABLE {
        respond::retry_after(&mut response, access.settings().retry_after);
    }
    response
}

fn refused<S, M, C>(access: &CustomerAccess<S, M, C>, refusal: Refusal) -> Response {
    respond::refusal(access, refusal, false)
}

/// The notice a redirect named, from the fixed set the routes use.
fn named_notice(query: &NoticeQuery) -> Option<Notice> {
    match query.n.as_deref()? {
        "logged-out" => Some(Notice::LoggedOut),
        "session-ended" => Some(Notice::SessionEnded),
        "change-expired" => Some(Notice::ChangeExpired),
        "password-changed" => Some(Notice::PasswordChanged),
        _ => None,
    }
}

pub(crate) fn rules<S: Store, M: Mailer, C: Clock>(access: &CustomerAccess<S, M, C>) -> PasswordRules {
    let policy = &access.service().policy().password;
    PasswordRules {
        min_length: policy.min_length,
        require_digit: policy.require_digit,
        require_letter: policy.require_letter,
    }
}

fn login_html<S, M, C>(access: &CustomerAccess<S, M, C>, csrf: &str, username: &str, notice: Option<Notice>) -> String {
    let p = access.paths();
    access.templates().login(&LoginPage {
        action: &p.login(),
        csrf,
        username,
        notice,
        forgot: &p.forgot(),
        assets: &p.assets(),
    })
}

pub(super) async fn login_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
    Query(query): Query<NoticeQuery>,
) -> Response {
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, login_html(&access, &csrf, "", named_notice(&query))),
        Err(refusal) => refused(&access, refusal),
    }
}

pub(super) async fn login<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let outcome = access.service().login(&form.username, &form.password()).await;
    let notice = match outcome {
        Ok(LoginOutcome::Authenticated { contact, credential_version, .. }) => {
            return match steps::grant(&session, contact, credential_version).await {
                Ok(()) => Redirect::to(access.paths().after_login()).into_response(),
                Err(refusal) => refused(&access, refusal),
            };
        }
        Ok(LoginOutcome::PasswordChangeRequired { ticket }) => {
            return match steps::hold_ticket(&session, &ticket, &form.username).await {
                Ok(()) => Redirect::to(&access.paths().set_password()).into_response(),
                Err(refusal) => refused(&access, refusal),
            };
        }
        Ok(LoginOutcome::TemporaryPasswordExpired { .. }) => Notice::TemporaryExpired,
        Ok(LoginOutcome::LockedOut { retry_after }) => Notice::LockedOut { retry_after },
        // A malformed username or an over-long password is refused before any work, and
        // answered like every other failed login.
        Ok(_) | Err(ServiceError::Input(_)) => Notice::WrongCredentials,
        Err(e) => match respond::classify(&e) {
            Failure::Busy => Notice::Busy { retry_after: access.settings().retry_after },
            _ => return refused(&access, Refusal::Service(e)),
        },
    };
    let status = if matches!(notice, Notice::Busy { .. }) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, login_html(&access, &csrf, &form.username, Some(notice))),
        Err(refusal) => refused(&access, refusal),
    }
}

pub(super) async fn logout(State(login): State<LoginPath>, session: Session) -> Response {
    match crate::session::end(&session).await {
        Ok(()) => Redirect::to(&format!("{}?n=logged-out", login.0)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "logging out failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Logging out failed; please try again.").into_response()
        }
    }
}

/// The login page's path, the only state logging out needs.
#[derive(Clone, Debug)]
pub(crate) struct LoginPath(pub(crate) String);

impl<S, M, C> axum::extract::FromRef<CustomerAccess<S, M, C>> for LoginPath {
    fn from_ref(access: &CustomerAccess<S, M, C>) -> Self {
        Self(access.paths().login())
    }
}

fn forgot_html<S, M, C>(access: &CustomerAccess<S, M, C>, csrf: &str, notice: Option<Notice>) -> String {
    let p = access.paths();
    access.templates().forgot(&ForgotPage { action: &p.forgot(), csrf, notice, login: &p.login(), assets: &p.assets() })
}

pub(super) async fn forgot_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
) -> Response {
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, forgot_html(&access, &csrf, None)),
        Err(refusal) => refused(&access, refusal),
    }
}

/// Every username gets the same answer at once; the reset runs after it.
pub(super) async fn forgot<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
    Form(form): Form<ForgotForm>,
) -> Response {
    super::api::start_reset(&access, &form.username);
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, forgot_html(&access, &csrf, Some(Notice::ResetSent))),
        Err(refusal) => refused(&access, refusal),
    }
}

fn password_html<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    csrf: &str,
    current: bool,
    username: Option<&str>,
    errors: &[String],
    notice: Option<Notice>,
) -> String {
    let p = access.paths();
    let action = if current { p.change_password() } else { p.set_password() };
    access.templates().password(&PasswordPage {
        action: &action,
        csrf,
        current,
        username,
        rules: rules(access),
        errors,
        notice,
        logout: &p.logout(),
        assets: &p.assets(),
    })
}

pub(super) async fn set_password_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
) -> Response {
    let held = match steps::held_ticket(&session).await {
        Ok(Some(held)) => held,
        Ok(None) => return Redirect::to(&access.paths().login()).into_response(),
        Err(refusal) => return refused(&access, refusal),
    };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, password_html(&access, &csrf, false, held.1.as_deref(), &[], None)),
        Err(refusal) => refused(&access, refusal),
    }
}

/// The errors to show for a refused new password, or `None` if `e` is not about the
/// password.
pub(crate) fn password_errors(e: &ServiceError) -> Option<Vec<String>> {
    match e {
        ServiceError::PasswordRejected(violations) => {
            Some(violations.as_slice().iter().map(|v| format!("The new password {v}.")).collect())
        }
        ServiceError::Input(input) => Some(vec![input.to_string()]),
        _ => None,
    }
}

pub(super) async fn set_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let (ticket, username) = match steps::held_ticket(&session).await {
        Ok(Some(held)) => held,
        Ok(None) => return Redirect::to(&access.paths().login()).into_response(),
        Err(refusal) => return refused(&access, refusal),
    };
    let result = access.service().set_new_password(ticket.as_str(), &form.new_password()).await;
    let (status, errors, notice) = match result {
        Ok(changed) => {
            return match steps::regrant(&session, &changed).await {
                Ok(()) => Redirect::to(access.paths().after_login()).into_response(),
                Err(refusal) => refused(&access, refusal),
            };
        }
        Err(ServiceError::InvalidTicket) => {
            return match steps::drop_ticket(&session).await {
                Ok(()) => Redirect::to(&format!("{}?n=change-expired", access.paths().login())).into_response(),
                Err(refusal) => refused(&access, refusal),
            };
        }
        Err(e) => match (password_errors(&e), respond::classify(&e)) {
            (Some(errors), _) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
            (None, Failure::Busy) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Vec::new(),
                Some(Notice::Busy { retry_after: access.settings().retry_after }),
            ),
            (None, _) => return refused(&access, Refusal::Service(e)),
        },
    };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, password_html(&access, &csrf, false, username.as_deref(), &errors, notice)),
        Err(refusal) => refused(&access, refusal),
    }
}

pub(super) async fn change_password_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    _contact: CurrentContact,
    session: Session,
    Query(query): Query<NoticeQuery>,
) -> Response {
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, password_html(&access, &csrf, true, None, &[], named_notice(&query))),
        Err(refusal) => refused(&access, refusal),
    }
}

pub(super) async fn change_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    contact: CurrentContact,
    session: Session,
    Form(form): Form<ChangeForm>,
) -> Response {
    let result = access.service().change_password(contact.id, &form.current_password(), &form.new_password()).await;
    let (status, errors, notice) = match result {
        Ok(changed) => {
            return match steps::regrant(&session, &changed).await {
                Ok(()) => {
                    Redirect::to(&format!("{}?n=password-changed", access.paths().change_password())).into_response()
                }
                Err(refusal) => refused(&access, refusal),
            };
        }
        Err(ServiceError::InvalidCredentials) => (StatusCode::OK, Vec::new(), Some(Notice::WrongCurrentPassword)),
        Err(ServiceError::LockedOut { retry_after }) => {
            (StatusCode::OK, Vec::new(), Some(Notice::LockedOut { retry_after }))
        }
        Err(e) => match (password_errors(&e), respond::classify(&e)) {
            (Some(errors), _) => (StatusCode::UNPROCESSABLE_ENTITY, errors, None),
            (None, Failure::Busy) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Vec::new(),
                Some(Notice::Busy { retry_after: access.settings().retry_after }),
            ),
            (None, _) => return refused(&access, Refusal::Service(e)),
        },
    };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, password_html(&access, &csrf, true, None, &errors, notice)),
        Err(refusal) => refused(&access, refusal),
    }
}
