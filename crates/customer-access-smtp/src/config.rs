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
    /// Plain text was asked for in a URL; it must be chosen in code.
    #[error("plaintext SMTP must be chosen explicitly with SmtpConfig::danger_plaintext")]
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
    /// `smtps://...` (implicit TLS, default port 465). User and password are
    /// percent-decoded. The only parameter is `pool_size=N`. Plain text cannot be chosen in a
    /// URL.
    ///
    /// ```
    /// use customer_access_smtp::{Security, SmtpConfig};
    /// let c = SmtpConfig::from_url("smtps://mailer:s%40cret@mail.example:2465").unwrap();
    /// assert_eq!((c.host.as_str(), c.port, c.security), ("mail.example", 2465, Security::ImplicitTls));
    /// assert!(format!("{c:?}").contains("[REDACTED]"));
    /// assert!(SmtpConfig::from_url("smtp://mail.example?tls=none").is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] for anything else.
    pub fn from_url(url: &str) -> Result<Self, ConfigError> {
        let (scheme, rest) = url.split_once("://").ok_or(ConfigError::Url)?;
        let mut config = match scheme {
            "smtp" => Self::new(""),
            "smtps" => Self::implicit_tls(""),
            _ => return Err(ConfigError::Url),
        };
        let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport)?;
        config.host = host.to_owned();
        if let Some(port) = port {
            config.port = port;
        }
        if let Some(userinfo) = userinfo {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let password = SecretString::from(percent_decode(password)?);
            config.credentials = Some(SmtpCredentials { username: percent_decode(user)?, password });
        }
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.split_once('=') {
                Some(("pool_size", n)) => config.pool_size = n.parse::<u32>().map_err(|_| ConfigError::Url)?.max(1),
                Some(("tls", "none")) => return Err(ConfigError::PlaintextInUrl),
                _ => return Err(ConfigError::UnknownParameter(pair.split('=').next().unwrap_or("").to_owned())),
            }
        }
        Ok(config)
    }

    pub(crate) fn password(&self) -> Option<(&str, &str)> {
        self.credentials.as_ref().map(|c| (c.username.as_str(), c.password.expose_secret()))
    }
}

fn split_host_port(hostport: &str) -> Result<(&str, Option<u16>), ConfigError> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (host, after) = v6.split_once(']').ok_or(ConfigError::Url)?;
        (host, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    let host_ok = !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if !host_ok {
        return Err(ConfigError::Url);
    }
    let port = port.map(|p| p.parse::<u16>().map_err(|_| ConfigError::Url)).transpose()?;
    Ok((host, port))
}

fn percent_decode(s: &str) -> Result<String, ConfigError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(ConfigError::Url)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ConfigError::Url)?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ConfigError::Url)
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
