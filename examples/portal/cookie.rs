//! The session cookie: its name and attributes, which depend on whether the site is served
//! over HTTPS, and reading it back from a request.

use axum::http::{HeaderMap, header};

/// The environment variable that says the site is served over HTTPS.
pub(crate) const SECURE_COOKIES_VAR: &str = "PORTAL_SECURE_COOKIES";

/// How the site is reached, which decides the session cookie's name and attributes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CookieMode {
    /// Plain http on the loopback (the demo default): `portal_session`, without `Secure`,
    /// which a browser would not send back over plain http.
    #[default]
    Http,
    /// Served over HTTPS (usually behind a TLS-terminating proxy): `__Host-portal_session`
    /// with `Secure`. The browser then never sends the id over plain http, and the prefix
    /// makes it refuse a cookie of that name that is not `Secure`, has a `Domain` or another
    /// `Path`, so a sibling subdomain or a network attacker on http cannot plant an id.
    Https,
}

impl CookieMode {
    /// The mode named by [`SECURE_COOKIES_VAR`]: unset, empty, `0` or `false` for
    /// [`Http`](Self::Http), `1` or `true` for [`Https`](Self::Https).
    ///
    /// # Errors
    /// Any other value, so a typo stops the portal instead of silently serving an HTTPS site
    /// with a cookie that also travels over http.
    pub(crate) fn from_setting(value: Option<&str>) -> Result<Self, String> {
        match value.map(str::trim) {
            None | Some("" | "0" | "false") => Ok(Self::Http),
            Some("1" | "true") => Ok(Self::Https),
            Some(other) => Err(format!("{SECURE_COOKIES_VAR} must be 1, true, 0 or false, not {other:?}")),
        }
    }

    /// The cookie's name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Http => "portal_session",
            Self::Https => "__Host-portal_session",
        }
    }

    /// The `Set-Cookie` value carrying session `id`. `HttpOnly`: no script can read it;
    /// `SameSite=Strict`: no other site can make the browser send it; no `Domain`: only this
    /// host gets it (and `__Host-` requires that, with `Path=/`).
    pub(crate) fn set_cookie(self, id: &str) -> String {
        format!("{}={id}; Path=/;{} HttpOnly; SameSite=Strict", self.name(), self.secure())
    }

    /// The `Secure` attribute over HTTPS, nothing over plain http.
    fn secure(self) -> &'static str {
        match self {
            Self::Http => "",
            Self::Https => " Secure;",
        }
    }

    /// The recognised-device cookie's name (see [`set_device_cookie`](Self::set_device_cookie)).
    pub(crate) fn device_name(self) -> &'static str {
        match self {
            Self::Http => "portal_device",
            Self::Https => "__Host-portal_device",
        }
    }

    /// The `Set-Cookie` value keeping a device token for 90 days (the token's own lifetime),
    /// with the session cookie's attributes: a stranger's guesses at the contact's username
    /// cannot lock this browser out.
    pub(crate) fn set_device_cookie(self, token: &str) -> String {
        format!("{}={token}; Path=/; Max-Age=7776000;{} HttpOnly; SameSite=Strict", self.device_name(), self.secure())
    }

    /// The device token the request presents, if any.
    pub(crate) fn read_device(self, headers: &HeaderMap) -> Option<String> {
        read_named(headers, self.device_name())
    }

    /// The session id the request presents, if any. Only this mode's name counts: over
    /// HTTPS a `portal_session` cookie may have been planted without `Secure`.
    pub(crate) fn read(self, headers: &HeaderMap) -> Option<String> {
        read_named(headers, self.name())
    }
}

/// The value of cookie `name` in the request, if any.
fn read_named(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(|h| h.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, _)| *cookie == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use axum::http::HeaderValue;

    use super::*;

    fn request(cookies: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(cookies).unwrap());
        headers
    }

    #[test]
    fn plain_http_keeps_the_demo_cookie() {
        assert_eq!(CookieMode::Http.set_cookie("abc"), "portal_session=abc; Path=/; HttpOnly; SameSite=Strict");
    }

    #[test]
    fn https_uses_the_host_prefix_and_secure() {
        let cookie = CookieMode::Https.set_cookie("abc");
        assert_eq!(cookie, "__Host-portal_session=abc; Path=/; Secure; HttpOnly; SameSite=Strict");
        assert!(!cookie.to_ascii_lowercase().contains("domain"), "__Host- forbids a Domain");
    }

    #[test]
    fn only_the_modes_own_cookie_is_read() {
        let both = request("portal_session=planted; __Host-portal_session=real");
        assert_eq!(CookieMode::Https.read(&both).as_deref(), Some("real"));
        assert_eq!(CookieMode::Http.read(&both).as_deref(), Some("planted"));
        assert_eq!(CookieMode::Https.read(&request("portal_session=planted")), None);
        assert_eq!(CookieMode::Http.read(&request("other=1;  portal_session=x")).as_deref(), Some("x"));
    }

    #[test]
    fn the_setting_is_strict() {
        assert_eq!(CookieMode::from_setting(None), Ok(CookieMode::Http));
        assert_eq!(CookieMode::from_setting(Some("0")), Ok(CookieMode::Http));
        assert_eq!(CookieMode::from_setting(Some("1")), Ok(CookieMode::Https));
        assert_eq!(CookieMode::from_setting(Some("true")), Ok(CookieMode::Https));
        assert!(CookieMode::from_setting(Some("yes")).is_err());
    }
}
