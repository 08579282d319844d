//! Staff actions as a JSON router for the application's staff tools and the sales reps' iPad
//! client. Staff do not sign in here: the application's own guard decides who is asking and
//! puts a [`StaffMember`] into the request's extensions; without one every route answers
//! `401`. The library authorises every action again (an iPad user only for their
//! retailers), audits refusals, and never returns a password.
//!
//! Mount it inside [`CustomerAccess::install`](crate::CustomerAccess::install), so that the
//! layer checks its CSRF token (`x-csrf-token`) and bounds its bodies like every other route:
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use axum::{Router, middleware};
//! use axum::extract::Request;
//! use axum::middleware::Next;
//! use customer_access::{AccessService, MemoryStore, RecordingMailer, SecurityPolicy, Staff, StaffId, SystemClock};
//! use customer_access_axum::{CustomerAccess, staff::{self, StaffMember}};
//!
//! /// The application's staff sign-in, reduced to a stand-in.
//! async fn staff_guard(mut request: Request, next: Next) -> axum::response::Response {
//!     request.extensions_mut().insert(StaffMember(Staff::SalesAdmin { staff_id: StaffId::new(1) }));
//!     next.run(request).await
//! }
//! # let mut policy = SecurityPolicy::default();
//! # policy.argon2 = customer_access::policy::Argon2Settings::danger_insecure_for_tests();
//! let service = AccessService::new(MemoryStore::new(), RecordingMailer::new(), SystemClock, policy).unwrap();
//! let access = CustomerAccess::builder(service).build().unwrap();
//! let app = Router::new().nest("/staff/api", staff::router(&access).layer(middleware::from_fn(staff_guard)));
//! let app: Router = access.install(app, tower_sessions::MemoryStore::default());
//! # let _ = app;
//! # });
//! ```
//!
//! | route | body | answer |
//! | --- | --- | --- |
//! | `GET /retailers` | | `[{"id", "name"}]` the caller may manage |
//! | `GET /retailers/{id}/contacts?q=&after=&limit=` | | `{"contacts": [...], "next"}` |
//! | `POST /contacts/{id}/reset` | `{"revoke_current_password": bool}` | `{"expires_at"}` |
//! | `POST /contacts/{id}/unlock` | | `{"status": "done"}` |
//! | `POST /contacts/{id}/login` | `{"enabled": bool}` | the contact |
//! | `POST /contacts/{id}/email` | `{"email"}` | the contact |
//! | `POST /contacts/{id}/username` | `{"username"}` | the contact |
//!
//! Refusals are `{"error": ...}`: `401 staff_required`, `403 forbidden`, `404 not_found`,
//! `409 username_taken` / `login_disabled` / `second_approval_required`, `415
//! unsupported_media_type` (a body not sent as `application/json`), `422 invalid_input` (with
//! `detail`: a bad id, parameter or body, an unknown field included), `429 budget_exceeded`,
//! `502 delivery_failed` (nothing changed), `503` with `Retry-After`. Answers are never
//! cached (`Cache-Control: no-store`).

use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use customer_access::{
    Clock, Contact, ContactId, ContactQuery, ContactSearch, Mailer, ResetOptions, RetailerId, ServiceError, Staff,
    Store,
};
use serde::Deserialize;
use serde_json::json;

use crate::access::CustomerAccess;
use crate::extract::{IdPath, JsonBody, OptionalJsonBody, QueryParams};
use crate::respond;

/// Who is asking, as the application's staff guard established it. Insert it into the
/// request's extensions before the staff router.
#[derive(Clone, Debug)]
pub struct StaffMember(pub Staff);

/// No [`StaffMember`] in the request: the staff guard did not run or refused.
#[derive(Debug)]
pub struct StaffRequired;

impl IntoResponse for StaffRequired {
    fn into_response(self) -> Response {
        respond::json_error(StatusCode::UNAUTHORIZED, "staff_required")
    }
}

impl<St: Send + Sync> FromRequestParts<St> for StaffMember {
    type Rejection = StaffRequired;

    async fn from_request_parts(parts: &mut Parts, _: &St) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Self>().cloned().ok_or(StaffRequired)
    }
}

/// The staff routes, relative: nest them under the application's staff prefix, behind its
/// staff guard.
pub fn router<S: Store, M: Mailer, C: Clock>(access: &CustomerAccess<S, M, C>) -> Router {
    Router::new()
        .route("/retailers", get(retailers::<S, M, C>))
        .route("/retailers/{id}/contacts", get(contacts::<S, M, C>))
        .route("/contacts/{id}/reset", post(reset::<S, M, C>))
        .route("/contacts/{id}/unlock", post(unlock::<S, M, C>))
        .route("/contacts/{id}/login", post(login_enabled::<S, M, C>))
        .route("/contacts/{id}/email", post(email::<S, M, C>))
        .route("/contacts/{id}/username", post(username::<S, M, C>))
        // The answers name contacts and their addresses: never stored by a cache.
        .layer(axum::middleware::map_response(|mut response: Response| async move {
            respond::no_store(response.headers_mut());
            response
        }))
        .with_state(access.clone())
}

type Access<S, M, C> = State<CustomerAccess<S, M, C>>;

/// A contact as staff see it: no secret, no credential state.
fn contact_json(c: &Contact) -> serde_json::Value {
    json!({
        "id": c.id.get(),
        "retailer": c.retailer.get(),
        "username": c.username,
        "email": c.email.as_str(),
        "display_name": c.display_name,
        "login_enabled": c.login_enabled,
    })
}

/// A service error as staff see it.
fn refused<S, M, C>(access: &CustomerAccess<S, M, C>, e: ServiceError) -> Response {
    let (status, code) = match &e {
        ServiceError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        ServiceError::ContactNotFound | ServiceError::RetailerNotFound => (StatusCode::NOT_FOUND, "not_found"),
        ServiceError::UsernameTaken => (StatusCode::CONFLICT, "username_taken"),
        ServiceError::LoginDisabled => (StatusCode::CONFLICT, "login_disabled"),
        ServiceError::SecondApprovalRequired { .. } => (StatusCode::CONFLICT, "second_approval_required"),
        ServiceError::ResetBudgetExceeded { .. } => (StatusCode::TOO_MANY_REQUESTS, "budget_exceeded"),
        ServiceError::Delivery(_) => (StatusCode::BAD_GATEWAY, "delivery_failed"),
        ServiceError::Input(input) => {
            let detail = input.to_string();
            return (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "error": "invalid_input", "detail": detail })))
                .into_response();
        }
        _ => return respond::refusal(access, respond::Refusal::Service(e), true, ""),
    };
    respond::json_error(status, code)
}

fn answer<S, M, C>(access: &CustomerAccess<S, M, C>, result: Result<serde_json::Value, ServiceError>) -> Response {
    match result {
        Ok(value) => Json(value).into_response(),
        Err(e) => refused(access, e),
    }
}

async fn retailers<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
) -> Response {
    let result = access
        .service()
        .manageable_retailers(&staff)
        .await
        .map(|list| list.iter().map(|r| json!({ "id": r.id.get(), "name": r.name })).collect::<Vec<_>>().into());
    answer(&access, result)
}

/// A page of a retailer's contacts.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactsQuery {
    #[serde(default)]
    q: String,
    after: Option<i64>,
    limit: Option<u32>,
}

/// Contacts per page unless the client asks for fewer or more.
const DEFAULT_PAGE: u32 = 50;

async fn contacts<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(retailer): IdPath,
    QueryParams(q): QueryParams<ContactsQuery>,
) -> Response {
    let mut query = ContactQuery::new(q.limit.unwrap_or(DEFAULT_PAGE)).after(q.after.map(ContactId::new));
    if !q.q.is_empty() {
        match ContactSearch::parse(&q.q) {
            Ok(search) => query = query.matching(search),
            Err(e) => return refused(&access, e.into()),
        }
    }
    let result = access.service().contacts_page(&staff, RetailerId::new(retailer), &query).await.map(|page| {
        json!({
            "contacts": page.contacts.iter().map(contact_json).collect::<Vec<_>>(),
            "next": page.next.map(ContactId::get),
        })
    });
    answer(&access, result)
}

/// A staff reset's options.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ResetBody {
    #[serde(default)]
    revoke_current_password: bool,
}

async fn reset<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(contact): IdPath,
    OptionalJsonBody(body): OptionalJsonBody<ResetBody>,
) -> Response {
    let options =
        if body.revoke_current_password { ResetOptions::revoking_current_password() } else { ResetOptions::default() };
    let result = access.service().staff_reset(&staff, ContactId::new(contact), options).await;
    answer(&access, result.map(|receipt| json!({ "expires_at": receipt.expires_at.to_string() })))
}

async fn unlock<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(contact): IdPath,
) -> Response {
    let result = access.service().unlock(&staff, ContactId::new(contact)).await;
    answer(&access, result.map(|()| json!({ "status": "done" })))
}

/// Enable or disable a login.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    enabled: bool,
}

async fn login_enabled<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(contact): IdPath,
    JsonBody(body): JsonBody<LoginBody>,
) -> Response {
    let result = access.service().set_login_enabled(&staff, ContactId::new(contact), body.enabled).await;
    answer(&access, result.map(|c| contact_json(&c)))
}

/// A new e-mail address.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

async fn email<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(contact): IdPath,
    JsonBody(body): JsonBody<EmailBody>,
) -> Response {
    let result = access.service().update_email(&staff, ContactId::new(contact), &body.email).await;
    answer(&access, result.map(|c| contact_json(&c)))
}

/// A new username.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsernameBody {
    username: String,
}

async fn username<S: Store, M: Mailer, C: Clock>(
    State(access): Access<S, M, C>,
    StaffMember(staff): StaffMember,
    IdPath(contact): IdPath,
    JsonBody(body): JsonBody<UsernameBody>,
) -> Response {
    let result = access.service().update_username(&staff, ContactId::new(contact), &body.username).await;
    answer(&access, result.map(|c| contact_json(&c)))
}
