//! How the site is reached decides the session cookie's name and whether it is `Secure`; the
//! web layer (`customer-access-axum`) sets and reads it.

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

    /// The session cookie's name (the recognised-device cookie's is this plus `_device`).
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Http => "portal_session",
            Self::Https => "__Host-portal_session",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_setting_is_strict() {
        assert_eq!(CookieMode::from_setting(None), Ok(CookieMode::Http));
        assert_eq!(CookieMode::from_setting(Some("0")), Ok(CookieMode::Http));
        assert_eq!(CookieMode::from_setting(Some("1")), Ok(CookieMode::Https));
        assert_eq!(CookieMode::from_setting(Some("true")), Ok(CookieMode::Https));
        assert!(CookieMode::from_setting(Some("yes")).is_err());
    }
}
