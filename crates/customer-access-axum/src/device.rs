//! The recognised-device cookie: after a login the service may hand out a device token; kept
//! in a long-lived `HttpOnly` cookie and presented at the next login, it makes that browser's
//! attempts count on their own, so a stranger guessing at the username cannot lock the owner's
//! browser out (see `AccessService::login_from_device`).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use customer_access::DeviceToken;

use crate::access::Settings;

/// The device cookie's name: the session cookie's, with `_device` appended (so a `__Host-`
/// session cookie gets a `__Host-` device cookie).
pub(crate) fn name(settings: &Settings) -> String {
    format!("{}_device", settings.cookie_name)
}

/// The device token the request presents, if it is well-formed.
pub(crate) fn presented(settings: &Settings, headers: &HeaderMap) -> Option<DeviceToken> {
    let name = name(settings);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .and_then(|(_, value)| DeviceToken::parse(value).ok())
}

/// Keep `token` in the browser for `max_age` (the token's own lifetime).
pub(crate) fn keep(settings: &Settings, response: &mut Response, token: &DeviceToken, max_age: std::time::Duration) {
    let secure = if settings.secure_cookie { " Secure;" } else { "" };
    let value = format!(
        "{}={}; Path=/; Max-Age={};{secure} HttpOnly; SameSite=Lax",
        name(settings),
        token.expose_secret(),
        max_age.as_secs()
    );
    match HeaderValue::from_str(&value) {
        Ok(value) => {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        Err(e) => tracing::error!(error = %e, "device cookie not set"),
    }
}
