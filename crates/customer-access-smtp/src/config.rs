//! SMTP settings: from a URL or built field by field.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// How the connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// Plain TCP, then `STARTTLS`, which must succeed before anything else is sent (port 587).
    /// The default.
    StartTlsRequired,
    /// TLS from the first byte (port 465).
    ImplicitTls,
    /// No encryption at all: credentials and temporary passwords cross the network in the
    /// clear. Only for a relay on the same host; chosen only by
    /// [`SmtpConfig::danger_plaintext`].
    DangerPlaintext,
}

/// SMTP login. `Debug` shows the username only.
#[derive(Clone)]
pub struct SmtpCredentials {
    /// Username.
    pub username: String,
    /// Password.
    pub password: SecretString,
}

impl fmt::Debug for SmtpCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpCredentials").field("username", &self.username).field("password", &"[REDACTED]").finish()
    }
}

/// Everything [`SmtpMailer`](crate::SmtpMailer) needs besides the sender.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SmtpConfig {
    /// Server host name (also the name its certificate must carry).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Connection protection.
    pub security: Security,
    /// Login, if the server needs one.
    pub credentials: Option<SmtpCredentials>,
    /// Extra trusted root certificates (PEM), e.g. a company CA.
    pub root_certificates: Vec<Vec<u8>>,
    /// Trust only `root_certificates`, not the built-in web PKI roots.
    pub only_custom_roots: bool,
    /// Connections kept open and reused. Default 4.
    pub pool_size: u32,
    /// Limit for connecting and for each SMTP command. Default 10 s.
    pub timeout: Duration,
}

/// A URL or setting that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The URL is not `smtp://` or `smtps://` with a host.
    #[error("SMTP URL must look like smtp://[user:password@]host[:port] or smtps://...")]
    Url,
    /// A query parameter this crate does not know.
    #[error("unknown SMTP URL parameter {0}")]
    UnknownParameter(String),
    /// Plain text was asked for in a URL for a host that is not on this machine (or with
    /// `smtps://`); across a network it must be chosen in code.
    #[error("plaintext SMTP in a URL only for a loopback host; otherwise use SmtpConfig::danger_plaintext")]
    PlaintextInUrl,
    /// A root certificate is not valid PEM.
    #[error("invalid root certificate")]
    Certificate,
}

impl SmtpConfig {
    /// STARTTLS required on port 587, no login, the defaults above.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port: 587,
            security: Security::StartTlsRequired,
            credentials: None,
            root_certificates: Vec::new(),
            only_custom_roots: false,
            pool_size: 4,
            timeout: Duration::from_secs(10),
        }
    }

    /// Implicit TLS (default port 465).
    pub fn implicit_tls(host: impl Into<String>) -> Self {
        Self { port: 465, security: Security::ImplicitTls, ..Self::new(host) }
    }

    /// No encryption (default port 25). Dangerous: see [`Security::DangerPlaintext`].
    pub fn danger_plaintext(host: impl Into<String>) -> Self {
        Self { port: 25, security: Security::DangerPlaintext, ..Self::new(host) }
    }

    /// Set the port.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Log in with `username` and `password`.
    pub fn credentials(mut self, username: impl Into<String>, password: SecretString) -> Self {
        self.credentials = Some(SmtpCredentials { username: username.into(), password });
        self
    }

    /// Trust this root certificate (PEM) too.
    pub fn add_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Trust only the added root certificates.
    pub fn only_custom_roots(mut self, only: bool) -> Self {
        self.only_custom_roots = only;
        self
    }

    /// Set the pool size.
    pub fn pool_size(mut self, size: u32) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Set the connect and command timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Parse `smtp://[user:password@]host[:port]` (STARTTLS required, default port 587) or
    /// `smtps://...` (implicit TLS, default port 465), with the `url` crate. User and
    /// password are percent-decoded; internationalised host names become their ASCII
    /// (punycode) form. Parameters: `pool_size=N`, and `tls=none` for plain text, accepted
    /// only for a loopback host (`localhost`, `127.0.0.0/8`, `::1`: a relay on the same
    /// machine, default port 25), never for a host across a network.
    ///
    /// ```
    /// use customer_access_smtp::{Security, SmtpConfig};
    /// let c = SmtpConfig::from_url("smtps://mailer:s%40cret@mail.example:2465").unwrap();
    /// assert_eq!((c.host.as_str(), c.port, c.security), ("mail.example", 2465, Security::ImplicitTls));
    /// assert!(format!("{c:?}").contains("[REDACTED]"));
    /// let local = SmtpConfig::from_url("smtp://127.0.0.1?tls=none").unwrap();
    /// assert_eq!((local.port, local.security), (25, Security::DangerPlaintext));
    /// assert!(SmtpConfig::from_url("smtp://mail.example?tls=none").is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] for anything else.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        // WHATWG parsing silently drops tabs and line breaks; a configured URL with any
        // control character is a mistake (or an injection) to refuse, not to repair.
        if url.chars().any(char::is_control) {
            return Err(ConfigError::Url);
        }
        let parsed = url::Url::parse(url).map_err(|_| ConfigError::Url)?;
        let mut config = match parsed.scheme() {
            "smtp" => Self::new(""),
            "smtps" => Self::implicit_tls(""),
            _ => return Err(ConfigError::Url),
        };
        if !matches!(parsed.path(), "" | "/") || parsed.fragment().is_some() {
            return Err(ConfigError::Url);
        }
        // smtp:// is not a "special" scheme, so its host arrives opaque: parse it as a host.
        let opaque = parsed.host_str().filter(|h| !h.is_empty()).ok_or(ConfigError::Url)?;
        let host = url::Host::parse(&percent_decode(opaque)?).map_err(|_| ConfigError::Url)?;
        let loopback = match &host {
            url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
            url::Host::Ipv4(ip) => ip.is_loopback(),
            url::Host::Ipv6(ip) => ip.is_loopback(),
        };
        config.host = match host {
            url::Host::Ipv6(ip) => ip.to_string(),
            other => other.to_string(),
        };
        if !parsed.username().is_empty() || parsed.password().is_some() {
            let password = SecretString::from(percent_decode(parsed.password().unwrap_or(""))?);
            config.credentials = Some(SmtpCredentials { username: percent_decode(parsed.username())?, password });
        }
        for (name, value) in parsed.query_pairs() {
            match (name.as_ref(), value.as_ref()) {
                ("pool_size", n) => config.pool_size = n.parse::<u32>().map_err(|_| ConfigError::Url)?.max(1),
                ("tls", "none") if loopback && config.security == Security::StartTlsRequired => {
                    config = Self { port: 25, security: Security::DangerPlaintext, ..config };
                }
                ("tls", "none") => return Err(ConfigError::PlaintextInUrl),
                (other, _) => return Err(ConfigError::UnknownParameter(other.to_owned())),
            }
        }
        if let Some(port) = parsed.port() {
            config.port = port;
        }
        Ok(config)
    }

    pub(crate) fn password(&self) -> Option<(&str, &str)> {
        self.credentials.as_ref().map(|c| (c.username.as_str(), c.password.expose_secret()))
    }
}

/// Percent-decode, refusing a `%` not followed by two hex digits (a typo in a password
/// should be an error at start-up, not a login failure at the mail server).
fn percent_decode(s: &str) -> Result<String, ConfigError> {
    let malformed = s
        .match_indices('%')
        .any(|(i, _)| s.as_bytes().get(i + 1..i + 3).is_none_or(|hex| !hex.iter().all(u8::is_ascii_hexdigit)));
    if malformed {
        return Err(ConfigError::Url);
    }
    percent_encoding::percent_decode_str(s).decode_utf8().map(|d| d.into_owned()).map_err(|_| ConfigError::Url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = SmtpConfig::from_url("smtp://mail.example").unwrap();
        assert_eq!((c.port, c.security), (587, Security::StartTlsRequired));
        assert!(c.credentials.is_none());
        let c = SmtpConfig::from_url("smtp://a%3Ab:p%25w@[::1]:2525/?pool_size=2").unwrap();
        assert_eq!((c.host.as_str(), c.port, c.pool_size), ("::1", 2525, 2));
        assert_eq!(c.password(), Some(("a:b", "p%w")));
        let idn = SmtpConfig::from_url("smtp://bücher.example").unwrap();
        assert_eq!(idn.host, "xn--bcher-kva.example", "internationalised names in ASCII form");
        assert_eq!(SmtpConfig::from_url("smtp://mail_relay.internal").unwrap().host, "mail_relay.internal");
        let local = SmtpConfig::from_url("smtp://localhost:2525?tls=none").unwrap();
        assert_eq!((local.port, local.security), (2525, Security::DangerPlaintext));
        assert_eq!(SmtpConfig::from_url("smtp://[::1]?tls=none").unwrap().security, Security::DangerPlaintext);
        for remote in ["smtp://mail.example?tls=none", "smtp://10.0.0.1?tls=none", "smtps://localhost?tls=none"] {
            assert_eq!(SmtpConfig::from_url(remote).unwrap_err(), ConfigError::PlaintextInUrl, "{remote}");
        }
        for bad in [
            "http://x",
            "smtp://",
            "smtp://host:99999",
            "smtp://ho st",
            "smtp://host?x=1",
            "smtp://u:%zz@host",
            "smtp://host\r\n:25",
        ] {
            assert!(SmtpConfig::from_url(bad).is_err(), "{bad}");
        }
    }
}
