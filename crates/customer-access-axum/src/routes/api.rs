//! The JSON endpoints: the same flows as the pages, for single-page apps and the iPad
//! client. Every `POST` carries the session's CSRF token in the `x-csrf-token` header; a
//! client gets it (and its session cookie) from `GET {prefix}/api/session` first.
//!
//! Answers: `200` with `{"status": ...}` when done; otherwise `{"error": ...}` with `401`
//! (`invalid_credentials`, `temporary_password_expired`, `login_required`), `429` +
//! `Retry-After` (`locked_out`, with `retry_after_secs`), `422` (`password_rejected`, with
//! `problems`), `403` (`csrf`, `password_change_required`, `change_expired`), `503` +
//! `Retry-After` (`busy`, `unavailable`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use customer_access::{Clock, LoginOutcome, Mailer, ServiceError, Store};
use serde_json::json;
use tower_sessions::Session;

use super::forms::{ChangeForm, ForgotForm, LoginForm, NewPasswordForm};
use super::steps;
use crate::access::CustomerAccess;
use crate::context::{AccessContext, CurrentContact};
use crate::extract::JsonBody;
use crate::respond::{self, Refusal};

type Access<S, M, C> = State<CustomerAccess<S, M, C>>;

fn refused<S, M, C>(access: &CustomerAccess<S, M, C>, refusal: Refusal) -> Response {
    respond::refusal(access, refusal, true, "")
}

fn done(status: &str) -> Response {
    (StatusCode::OK, Json(json!({ "status": status }))).into_response()
}

/// A service error the endpoints share: busy and broken through the refusal, the rest
/// with their own codes.
fn failed<S, M, C>(access: &CustomerAccess<S, M, C>, e: ServiceError) -> Response {
    match e {
        ServiceError::LockedOut { retry_after } => locked_out(retry_after),
        ServiceError::InvalidCredentials => respond::json_error(StatusCode::UNAUTHORIZED, "invalid_credentials"),
        other => match password_errors(&other) {
            Some(problems) => {
                (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": "password_rejected", "problems": problems })))
                    .into_response()
            }
            None => refused(access, Refusal::Service(other)),
        },
    }
}

fn locked_out(wait: std::time::Duration) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        Json(json!({ "error": "locked_out", "retry_after_secs": wait.as_secs().max(1) })),
    )
        .into_response();
    respond::retry_after(&mut response, wait);
    response
}

/// The messages of a refused password, for the JSON endpoints.
fn password_errors(e: &ServiceError) -> Option<Vec<String>> {
    match e {
        ServiceError::PasswordRejected(violations) => {
            Some(violations.as_slice().iter().map(|v| format!("The new password {v}.")).collect())
        }
        ServiceError::Input(input) => Some(vec![input.to_string()]),
        _ => None,
    }
}

/// Where the session stands, and its CSRF token (created, with the session, if needed).
pub(super) async fn session<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    contact: Option<CurrentContact>,
    context: axum::Extension<AccessContext>,
    session: Session,
) -> Response {
    let csrf = match steps::csrf(&session).await {
        Ok(csrf) => csrf,
        Err(refusal) => return refused(&access, refusal),
    };
    let state = match contact {
        Some(_) => "logged_in",
        None if context.change_pending() => "password_change_required",
        None => "anonymous",
    };
    Json(json!({ "state": state, "contact": contact.map(|c| c.id.get()), "csrf": csrf, "session_ended": context.session_ended() }))
        .into_response()
}

pub(super) async fn login<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    headers: HeaderMap,
    session: Session,
    JsonBody(form): JsonBody<LoginForm>,
) -> Response {
    match steps::attempt(&access, &headers, &form.username, &form.password()).await {
        Ok(LoginOutcome::Authenticated { contact, credential_version, device: token }) => {
            let answer = done("logged_in");
            steps::logged_in(&access, &session, (contact, credential_version), token, answer)
                .await
                .unwrap_or_else(|refusal| refused(&access, refusal))
        }
        Ok(LoginOutcome::PasswordChangeRequired { ticket }) => {
            match steps::hold_ticket(&session, &ticket, &form.username).await {
                Ok(()) => done("password_change_required"),
                Err(refusal) => refused(&access, refusal),
            }
        }
        Ok(LoginOutcome::TemporaryPasswordExpired { .. }) => {
            respond::json_error(StatusCode::UNAUTHORIZED, "temporary_password_expired")
        }
        Ok(LoginOutcome::LockedOut { retry_after }) => locked_out(retry_after),
        Ok(_) | Err(ServiceError::Input(_)) => respond::json_error(StatusCode::UNAUTHORIZED, "invalid_credentials"),
        Err(e) => failed(&access, e),
    }
}

pub(super) async fn logout(session: Session) -> Response {
    match crate::session::end(&session).await {
        Ok(()) => done("logged_out"),
        Err(e) => {
            tracing::error!(error = %e, "logging out failed");
            respond::json_error(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// Start a self-service reset for `username` in the background; the same answer follows
/// whatever the username.
pub(super) fn start_reset<S: Store, M: Mailer, C: Clock>(access: &CustomerAccess<S, M, C>, username: &str) {
    match access.service().request_password_reset(username) {
        Ok(pending) => {
            tokio::spawn(pending.run());
        }
        // Not a username by its form: nothing to send, and the same answer.
        Err(e) => tracing::debug!(error = %e, "forgot-password request with a malformed username"),
    }
}

pub(super) async fn forgot<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    JsonBody(form): JsonBody<ForgotForm>,
) -> Response {
    start_reset(&access, &form.username);
    done("reset_requested")
}

pub(super) async fn set_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    session: Session,
    JsonBody(form): JsonBody<NewPasswordForm>,
) -> Response {
    let ticket = match steps::held_ticket(&session).await {
        Ok(Some((ticket, _))) => ticket,
        Ok(None) => return respond::json_error(StatusCode::FORBIDDEN, "change_expired"),
        Err(refusal) => return refused(&access, refusal),
    };
    match access.service().set_new_password(ticket.as_str(), &form.new_password()).await {
        Ok(changed) => match steps::regrant(&session, &changed).await {
            Ok(()) => done("logged_in"),
            Err(refusal) => refused(&access, refusal),
        },
        Err(ServiceError::InvalidTicket) => match steps::drop_ticket(&session).await {
            Ok(()) => respond::json_error(StatusCode::FORBIDDEN, "change_expired"),
            Err(refusal) => refused(&access, refusal),
        },
        Err(e) => failed(&access, e),
    }
}

pub(super) async fn change_password<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    contact: CurrentContact,
    session: Session,
    JsonBody(form): JsonBody<ChangeForm>,
) -> Response {
    match access.service().change_password(contact.id, &form.current_password(), &form.new_password()).await {
        Ok(changed) => match steps::regrant(&session, &changed).await {
            Ok(()) => done("password_changed"),
            Err(refusal) => refused(&access, refusal),
        },
        Err(e) => failed(&access, e),
    }
}
