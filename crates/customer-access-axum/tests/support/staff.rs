//! The staff router mounted as its docs say (nested behind the application's staff guard,
//! inside `CustomerAccess::install`), with a stand-in guard and a caller for its JSON.

use axum::Router;
use axum::extract::Request;
use axum::http::header;
use axum::middleware::{self, Next};
use axum::response::Response;
use customer_access::{DeviceId, Staff, StaffId};
use customer_access_axum::staff::{self, StaffMember};

use super::{Answer, Client, World};

/// The application's staff sign-in, reduced to a header naming who asks (a test stand-in):
/// `admin`, `ipad` ([`ipad_user`]) or nobody.
async fn staff_guard(mut request: Request, next: Next) -> Response {
    let who = request.headers().get("x-test-staff").and_then(|v| v.to_str().ok()).map(str::to_owned);
    match who.as_deref() {
        Some("admin") => {
            request.extensions_mut().insert(StaffMember(Staff::SalesAdmin { staff_id: StaffId::new(1) }));
        }
        Some("ipad") => {
            request.extensions_mut().insert(StaffMember(ipad_user()));
        }
        _ => {}
    }
    next.run(request).await
}

/// The iPad user the guard names `ipad`: assigned to no retailer.
pub fn ipad_user() -> Staff {
    Staff::IpadUser { staff_id: StaffId::new(9), device_id: DeviceId::parse("ipad-7").unwrap() }
}

/// `w`'s web layer with the staff router nested at `mount` behind the stand-in guard.
pub fn staff_app(w: &World, mount: &str) -> Router {
    let app = Router::new().nest(mount, staff::router(&w.access).layer(middleware::from_fn(staff_guard)));
    w.backend.install(&w.access, app)
}

/// A request as staff member `who`, with the session's CSRF token, `content_type` if given,
/// and `body` as raw text.
pub async fn raw(
    c: &mut Client,
    who: &str,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    let token = c.csrf().await;
    let mut request = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header(header::ACCEPT, "application/json")
        .header("x-test-staff", who)
        .header("x-csrf-token", token);
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    c.send(request.body(axum::body::Body::from(body.to_owned())).unwrap()).await
}

/// As [`raw`], with `body` sent as JSON (or no body).
pub async fn call(c: &mut Client, who: &str, method: &str, path: &str, body: Option<serde_json::Value>) -> Answer {
    match body {
        Some(b) => raw(c, who, method, path, Some("application/json"), &b.to_string()).await,
        None => raw(c, who, method, path, None, "").await,
    }
}
