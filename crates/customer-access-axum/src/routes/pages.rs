//! The HTML routes. Every answer that is not a redirect is a whole page from the templates,
//! with the pages' headers (content security policy, no caching).

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use customer_access::i18n::Locale;
use customer_access::policy::PasswordViolations;
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

fn refused<S, M, C>(access: &CustomerAccess<S, M, C>, refusal: Refusal, lang: &str) -> Response {
    respond::refusal(access, refusal, false, lang)
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

fn login_html<S, M, C>(
    access: &CustomerAccess<S, M, C>,
    lang: &str,
    csrf: &str,
    username: &str,
    notice: Option<Notice>,
) -> String {
    let p = access.paths();
    access.templates().login(&LoginPage {
        accept_language: lang,
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
    headers: HeaderMap,
    session: Session,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let lang = respond::accept_language(&headers);
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, login_html(&access, lang, &csrf, "", named_notice(&query))),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

pub(super) async fn login<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = respond::accept_language(&headers);
    let outcome = steps::attempt(&access, &headers, &form.username, &form.password()).await;
    let notice = match outcome {
        Ok(LoginOutcome::Authenticated { contact, credential_version, device: token }) => {
            let answer = Redirect::to(access.paths().after_login()).into_response();
            return steps::logged_in(&access, &session, (contact, credential_version), token, answer)
                .await
                .unwrap_or_else(|refusal| refused(&access, refusal, lang));
        }
        Ok(LoginOutcome::PasswordChangeRequired { ticket }) => {
            return match steps::hold_ticket(&session, &ticket, &form.username).await {
                Ok(()) => Redirect::to(&access.paths().set_password()).into_response(),
                Err(refusal) => refused(&access, refusal, lang),
            };
        }
        Ok(LoginOutcome::TemporaryPasswordExpired { .. }) => Notice::TemporaryExpired,
        Ok(LoginOutcome::LockedOut { retry_after }) => Notice::LockedOut { retry_after },
        // A malformed username or an over-long password is refused before any work, and
        // answered like every other failed login.
        Ok(_) | Err(ServiceError::Input(_)) => Notice::WrongCredentials,
        Err(e) => match respond::classify(&e) {
            Failure::Busy => Notice::Busy { retry_after: access.settings().retry_after },
            _ => return refused(&access, Refusal::Service(e), lang),
        },
    };
    let status = if matches!(notice, Notice::Busy { .. }) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, login_html(&access, lang, &csrf, &form.username, Some(notice))),
        Err(refusal) => refused(&access, refusal, lang),
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

fn forgot_html<S, M, C>(access: &CustomerAccess<S, M, C>, lang: &str, csrf: &str, notice: Option<Notice>) -> String {
    let p = access.paths();
    access.templates().forgot(&ForgotPage {
        accept_language: lang,
        action: &p.forgot(),
        csrf,
        notice,
        login: &p.login(),
        assets: &p.assets(),
    })
}

pub(super) async fn forgot_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let lang = respond::accept_language(&headers);
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, forgot_html(&access, lang, &csrf, None)),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

/// Every username gets the same answer at once; the reset runs after it.
pub(super) async fn forgot<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<ForgotForm>,
) -> Response {
    let lang = respond::accept_language(&headers);
    super::api::start_reset(&access, &form.username);
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, forgot_html(&access, lang, &csrf, Some(Notice::ResetSent))),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

/// What a password form shows besides its fields.
#[derive(Default)]
struct Shown {
    /// The forced change's username, for password managers.
    username: Option<String>,
    /// The rules the last try broke.
    violations: Option<PasswordViolations>,
    /// Other reasons the last try was refused.
    errors: Vec<String>,
    notice: Option<Notice>,
    /// The contact's own language, when logged in.
    locale: Option<Locale>,
}

fn password_html<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    lang: &str,
    csrf: &str,
    current: bool,
    shown: &Shown,
) -> String {
    let p = access.paths();
    let action = if current { p.change_password() } else { p.set_password() };
    access.templates().password(&PasswordPage {
        accept_language: lang,
        locale: shown.locale.as_ref(),
        action: &action,
        csrf,
        current,
        username: shown.username.as_deref(),
        rules: rules(access),
        violations: shown.violations.as_ref(),
        errors: &shown.errors,
        notice: shown.notice,
        logout: &p.logout(),
        assets: &p.assets(),
    })
}

/// How a refused password form is shown again, or `None` when `e` is not about the form.
fn refused_form(e: ServiceError, busy: std::time::Duration) -> Result<(StatusCode, Shown), ServiceError> {
    let shown = match e {
        ServiceError::PasswordRejected(violations) => Shown { violations: Some(violations), ..Shown::default() },
        ServiceError::Input(input) => Shown { errors: vec![input.to_string()], ..Shown::default() },
        ServiceError::InvalidCredentials => {
            return Ok((StatusCode::OK, Shown { notice: Some(Notice::WrongCurrentPassword), ..Shown::default() }));
        }
        ServiceError::LockedOut { retry_after } => {
            return Ok((StatusCode::OK, Shown { notice: Some(Notice::LockedOut { retry_after }), ..Shown::default() }));
        }
        other => {
            return match respond::classify(&other) {
                Failure::Busy => Ok((
                    StatusCode::SERVICE_UNAVAILABLE,
                    Shown { notice: Some(Notice::Busy { retry_after: busy }), ..Shown::default() },
                )),
                _ => Err(other),
            };
        }
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, shown))
}

pub(super) async fn set_password_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
) -> Response {
    let lang = respond::accept_language(&headers);
    let username = match steps::held_ticket(&session).await {
        Ok(Some((_, username))) => username,
        Ok(None) => return Redirect::to(&access.paths().login()).into_response(),
        Err(refusal) => return refused(&access, refusal, lang),
    };
    let shown = Shown { username, ..Shown::default() };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, password_html(&access, lang, &csrf, false, &shown)),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

pub(super) async fn set_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
    Form(form): Form<NewPasswordForm>,
) -> Response {
    let lang = respond::accept_language(&headers);
    let (ticket, username) = match steps::held_ticket(&session).await {
        Ok(Some(held)) => held,
        Ok(None) => return Redirect::to(&access.paths().login()).into_response(),
        Err(refusal) => return refused(&access, refusal, lang),
    };
    let (status, shown) = match access.service().set_new_password(ticket.as_str(), &form.new_password()).await {
        Ok(changed) => {
            return match steps::regrant(&session, &changed).await {
                Ok(()) => Redirect::to(access.paths().after_login()).into_response(),
                Err(refusal) => refused(&access, refusal, lang),
            };
        }
        Err(ServiceError::InvalidTicket) => {
            return match steps::drop_ticket(&session).await {
                Ok(()) => Redirect::to(&format!("{}?n=change-expired", access.paths().login())).into_response(),
                Err(refusal) => refused(&access, refusal, lang),
            };
        }
        Err(e) => match refused_form(e, access.settings().retry_after) {
            Ok(shown) => shown,
            Err(e) => return refused(&access, Refusal::Service(e), lang),
        },
    };
    let shown = Shown { username, ..shown };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, password_html(&access, lang, &csrf, false, &shown)),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

/// The contact's own language (theirs, else their retailer's, else the service's), for the
/// pages a logged-in contact sees; `None` if it cannot be read (the browser's then).
async fn contact_locale<S: Store, M: Mailer, C: Clock>(
    access: &CustomerAccess<S, M, C>,
    contact: &CurrentContact,
) -> Option<Locale> {
    match access.service().preferences_of(contact.id).await {
        Ok(preferences) => Some(preferences.locale),
        Err(e) => {
            tracing::warn!(error = %e, "a contact's preferences could not be read");
            None
        }
    }
}

pub(super) async fn change_password_page<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    contact: CurrentContact,
    session: Session,
    Query(query): Query<NoticeQuery>,
) -> Response {
    let lang = respond::accept_language(&headers);
    let shown =
        Shown { notice: named_notice(&query), locale: contact_locale(&access, &contact).await, ..Shown::default() };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, StatusCode::OK, password_html(&access, lang, &csrf, true, &shown)),
        Err(refusal) => refused(&access, refusal, lang),
    }
}

pub(super) async fn change_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    contact: CurrentContact,
    session: Session,
    Form(form): Form<ChangeForm>,
) -> Response {
    let lang = respond::accept_language(&headers);
    let result = access.service().change_password(contact.id, &form.current_password(), &form.new_password()).await;
    let (status, shown) = match result {
        Ok(changed) => {
            return match steps::regrant(&session, &changed).await {
                Ok(()) => {
                    Redirect::to(&format!("{}?n=password-changed", access.paths().change_password())).into_response()
                }
                Err(refusal) => refused(&access, refusal, lang),
            };
        }
        Err(e) => match refused_form(e, access.settings().retry_after) {
            Ok(shown) => shown,
            Err(e) => return refused(&access, Refusal::Service(e), lang),
        },
    };
    let shown = Shown { locale: contact_locale(&access, &contact).await, ..shown };
    match steps::csrf(&session).await {
        Ok(csrf) => page(&access, status, password_html(&access, lang, &csrf, true, &shown)),
        Err(refusal) => refused(&access, refusal, lang),
    }
}
