//! [`SmtpMailer`]: the core's `Mailer` over SMTP with lettre and rustls.

use std::fmt;

use customer_access::Mailer;
use customer_access::mailer::{MailError, MailErrorKind, OutgoingMessage};
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::{ConfigError, Security, SmtpConfig};
use crate::message::{Sender, build};

/// Sends messages over SMTP, reusing pooled connections. Needs a Tokio runtime.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    sender: Sender,
    config: SmtpConfig,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `SmtpConfig`'s Debug redacts the password.
        f.debug_struct("SmtpMailer").field("config", &self.config).field("sender", &self.sender).finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `config`, sending as `sender`. Connects lazily, on the first send.
    ///
    /// # Errors
    /// [`ConfigError::Certificate`] for a root certificate that is not valid PEM.
    pub fn new(config: SmtpConfig, sender: Sender) -> Result<Self, ConfigError> {
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(config.host.clone())
            .port(config.port)
            .timeout(Some(config.timeout))
            .pool_config(PoolConfig::new().max_size(config.pool_size));
        let builder = match config.security {
            Security::DangerPlaintext => builder.tls(Tls::None),
            Security::StartTlsRequired => builder.tls(Tls::Required(tls_parameters(&config)?)),
            Security::ImplicitTls => builder.tls(Tls::Wrapper(tls_parameters(&config)?)),
        };
        let builder = match config.password() {
            Some((user, password)) => builder.credentials(Credentials::new(user.to_owned(), password.to_owned())),
            None => builder,
        };
        Ok(Self { transport: builder.build(), sender, config })
    }
}

fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters, ConfigError> {
    let store = if config.only_custom_roots { CertificateStore::None } else { CertificateStore::WebpkiRoots };
    let mut builder = TlsParameters::builder(config.host.clone()).certificate_store(store);
    for pem in &config.root_certificates {
        builder = builder.add_root_certificate(Certificate::from_pem(pem).map_err(|_| ConfigError::Certificate)?);
    }
    builder.build_rustls().map_err(|_| ConfigError::Certificate)
}

/// 4xx replies, timeouts and refused connections may pass; 5xx replies and TLS failures
/// (an untrusted certificate is a misconfiguration or an attack) will not.
fn classify(error: &lettre::transport::smtp::Error) -> MailErrorKind {
    if error.is_permanent() || error.is_tls() || is_tls_failure(error) {
        MailErrorKind::Permanent
    } else {
        MailErrorKind::Transient
    }
}

/// lettre reports a failed TLS handshake as a connection error whose chain holds the
/// rustls error.
fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.get_ref().is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
        {
            return true;
        }
        next = e.source();
    }
    false
}

impl Mailer for SmtpMailer {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        let email = build(&self.sender, message)?;
        match self.transport.send(email).await {
            Ok(_) => Ok(()),
            Err(e) => {
                let kind = classify(&e);
                tracing::warn!(kind = ?kind, status = ?e.status(), "SMTP send failed");
                Err(MailError::with_source(kind, e))
            }
        }
    }
}
