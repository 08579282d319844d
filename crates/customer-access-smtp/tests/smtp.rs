//! `SmtpMailer` and `FileMailer` against a real SMTP server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::time::Duration;

use common::{CA, SmtpServer, free_port};
use customer_access::mailer::{MailErrorKind, MessageKind, OutgoingMessage};
use customer_access::policy::Argon2Settings;
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, EmailAddress, LoginOutcome, Mailer, MemoryStore, ResetOptions, SecurityPolicy, ServiceError, Staff,
    StaffId, Store, SystemClock,
};
use customer_access_smtp::{FileMailer, Sender, SmtpConfig, SmtpMailer};

fn sender() -> Sender {
    Sender::new("no-reply@shop.example", "Bäckerei Shop ✓").unwrap()
}

fn plain(port: u16) -> SmtpMailer {
    let config = SmtpConfig::danger_plaintext("127.0.0.1").port(port).timeout(Duration::from_secs(5));
    SmtpMailer::new(config, sender()).unwrap()
}

fn tls(port: u16, trust_ca: bool) -> SmtpMailer {
    let mut config = SmtpConfig::new("127.0.0.1").port(port).timeout(Duration::from_secs(5));
    if trust_ca {
        config = config.add_root_certificate(std::fs::read(CA).unwrap()).only_custom_roots(true);
    }
    SmtpMailer::new(config, sender()).unwrap()
}

fn policy(include_username: bool) -> SecurityPolicy {
    let mut p = SecurityPolicy::default();
    p.argon2 = Argon2Settings::danger_insecure_for_tests();
    p.include_username_in_reset_email = include_username;
    p
}

type Service = AccessService<MemoryStore, SmtpMailer, SystemClock>;

async fn service_with_contact(mailer: SmtpMailer, include_username: bool) -> (Service, customer_access::Contact) {
    let service = AccessService::new(MemoryStore::new(), mailer, SystemClock, policy(include_username)).unwrap();
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let shop = service.create_retailer(&admin, "Corner Shop").await.unwrap();
    let store = service.store().clone();
    // Create the contact without an invitation e-mail, so each test counts only its own mail.
    let key = customer_access::policy::UsernameRules::default().canonicalize("Anna.Berg").unwrap();
    let record = customer_access::store::NewContactRecord {
        retailer: shop.id,
        username: "Anna.Berg".into(),
        username_key: key,
        email: EmailAddress::parse("anna@corner-shop.example").unwrap(),
        display_name: "Anna Berg".into(),
        login_enabled: true,
        preferences: Default::default(),
        credentials: customer_access::store::Credentials::empty(),
    };
    let contact = store.create_contact(&record, &[]).await.unwrap().contact;
    (service, contact)
}

fn temporary_password(text: &str) -> String {
    text.lines().find_map(|l| l.strip_prefix("Temporary password: ")).unwrap().trim().to_owned()
}

#[tokio::test]
async fn the_seed_reset_email_arrives_without_the_username() {
    let Some(server) = SmtpServer::start("accept", true).await else { return };
    let (service, anna) = service_with_contact(tls(server.port, true), false).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    service.staff_reset(&admin, anna.id, ResetOptions::default()).await.unwrap();
    let got = server.wait_for(1).await;
    let m = &got[0];
    assert_eq!(m["rcpt_tos"][0], "anna@corner-shop.example");
    assert_eq!(m["headers"]["Subject"], "Your temporary password");
    assert_eq!(m["content_type"], "multipart/alternative");
    assert_eq!(m["tls"], true, "delivered over STARTTLS");
    for header in ["Date", "Message-ID", "From", "To"] {
        assert!(m["headers"].get(header).is_some(), "{header} header present");
    }
    let id = m["headers"]["Message-ID"].as_str().unwrap();
    let domain = m["headers"]["From"].as_str().unwrap().rsplit('@').next().unwrap().trim_end_matches('>');
    assert!(id.ends_with(&format!("@{domain}>")), "the Message-ID names the sender's domain: {id}");
    assert!(m["headers"]["From"].as_str().unwrap().contains("Bäckerei Shop ✓"), "UTF-8 display name");
    let text = m["text"].as_str().unwrap();
    let html = m["html"].as_str().unwrap();
    let temp = temporary_password(text);
    assert_eq!(temp.len(), 16);
    assert!(html.contains(&temp));
    assert!(text.contains("48 hours"), "{text}");
    for body in [text, html] {
        assert!(!body.to_lowercase().contains("anna.berg"), "no username by default");
    }
    let outcome = service.login("anna.berg", &SecretString::from(temp)).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }), "the e-mailed password works");
}

#[tokio::test]
async fn the_switch_puts_the_username_into_the_email() {
    let Some(server) = SmtpServer::start("accept", false).await else { return };
    let (service, _) = service_with_contact(plain(server.port), true).await;
    service.request_password_reset("anna.berg").unwrap().run().await;
    let got = server.wait_for(1).await;
    assert!(got[0]["text"].as_str().unwrap().contains("Username: Anna.Berg"));
    assert!(got[0]["html"].as_str().unwrap().contains("Anna.Berg"));
}

#[tokio::test]
async fn starttls_fails_with_a_tls_error_when_the_ca_is_not_trusted() {
    let Some(server) = SmtpServer::start("accept", true).await else { return };
    let (service, anna) = service_with_contact(tls(server.port, false), false).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let result = service.staff_reset(&admin, anna.id, ResetOptions::default()).await;
    let Err(ServiceError::Delivery(e)) = result else { panic!("{result:?}") };
    assert_eq!(e.kind(), MailErrorKind::Permanent, "a TLS failure is not retried blindly");
    let chain = format!("{:?}", std::error::Error::source(&e));
    assert!(chain.contains("InvalidCertificate"), "a TLS certificate error: {chain}");
    assert!(server.received().is_empty());
}

#[tokio::test]
async fn a_plaintext_client_cannot_skip_required_starttls() {
    let Some(server) = SmtpServer::start("accept", true).await else { return };
    let (service, anna) = service_with_contact(plain(server.port), false).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    assert!(service.staff_reset(&admin, anna.id, ResetOptions::default()).await.is_err());
    assert!(server.received().is_empty());
}

/// Server down, 4xx, 5xx: the right kind each time, and through the service the temporary
/// password is withdrawn (the rejected message's password no longer logs in).
#[tokio::test]
async fn failures_map_to_kinds_and_withdraw_the_temporary_password() {
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let (service, anna) = service_with_contact(plain(free_port()), false).await;
    let result = service.staff_reset(&admin, anna.id, ResetOptions::default()).await;
    let Err(ServiceError::Delivery(e)) = result else { panic!("{result:?}") };
    assert_eq!(e.kind(), MailErrorKind::Transient, "connection refused is transient");
    assert!(service.store().contact(anna.id).await.unwrap().credentials.temporary.is_none());

    for (mode, kind) in [("reject4xx", MailErrorKind::Transient), ("reject5xx", MailErrorKind::Permanent)] {
        let Some(server) = SmtpServer::start(mode, false).await else { return };
        let (service, anna) = service_with_contact(plain(server.port), false).await;
        let result = service.staff_reset(&admin, anna.id, ResetOptions::default()).await;
        let Err(ServiceError::Delivery(e)) = result else { panic!("{mode}: {result:?}") };
        assert_eq!(e.kind(), kind, "{mode}");
        // The server saw the message before refusing it: its password must not work.
        let got = server.wait_for(1).await;
        let temp = temporary_password(got[0]["text"].as_str().unwrap());
        let outcome = service.login("anna.berg", &SecretString::from(temp)).await.unwrap();
        assert!(matches!(outcome, LoginOutcome::InvalidCredentials), "{mode}: withdrawn, got {outcome:?}");
    }
}

fn message(to_name: &str, subject: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: EmailAddress::parse("anna@corner-shop.example").unwrap(),
        to_name: to_name.to_owned(),
        subject: subject.to_owned(),
        text: SecretString::from("hello".to_owned()),
        html: SecretString::from("<p>hello</p>".to_owned()),
        kind: MessageKind::PasswordChanged,
        language: customer_access::i18n::Locale::english(),
    }
}

#[tokio::test]
async fn header_injection_is_refused_before_sending() {
    let Some(server) = SmtpServer::start("accept", false).await else { return };
    let mailer = plain(server.port);
    for (name, subject) in [
        ("Anna\r\nBcc: all@evil.example", "Hi"),
        ("Anna\nBcc: all@evil.example", "Hi"),
        ("Anna", "Hi\r\nBcc: all@evil.example"),
        ("Anna\u{0}", "Hi"),
    ] {
        let e = mailer.send(&message(name, subject)).await.unwrap_err();
        assert_eq!(e.kind(), MailErrorKind::Permanent);
        let source = std::error::Error::source(&e).unwrap().to_string();
        assert!(source.contains("control character"), "{source}");
    }
    assert!(Sender::new("no-reply@shop.example\r\nBcc: x@evil.example", "Shop").is_err());
    assert!(Sender::new("no-reply@shop.example", "Shop\r\nBcc: x@evil.example").is_err());
    mailer.send(&message("Anna Berg", "Hi")).await.unwrap();
    assert_eq!(server.wait_for(1).await.len(), 1, "only the clean message was sent");
}

#[tokio::test]
async fn the_file_mailer_writes_one_parseable_eml_per_message() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mailer = FileMailer::new(&outbox, sender());
    for i in 0..3 {
        mailer.send(&message("Anna Berg", &format!("Message {i}"))).await.unwrap();
    }
    let files = mailer.messages().unwrap();
    assert_eq!(files.len(), 3);
    let leftovers: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary files left");
    for (i, file) in files.iter().enumerate() {
        let text = std::fs::read_to_string(file).unwrap();
        let (headers, body) = text.split_once("\r\n\r\n").unwrap();
        for h in ["Date: ", "Message-ID: ", "From: ", "To: ", &format!("Subject: Message {i}")] {
            assert!(headers.contains(h), "{h} in {headers}");
        }
        assert!(headers.contains("multipart/alternative"));
        assert!(body.contains("text/plain") && body.contains("text/html"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(file).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
    let e = FileMailer::new(&outbox, sender()).send(&message("A\r\nB", "x")).await.unwrap_err();
    assert_eq!(e.kind(), MailErrorKind::Permanent);
    assert_eq!(mailer.messages().unwrap().len(), 3);
}

/// A German reset e-mail through the real server: the message is 7-bit on the wire, the
/// subject an RFC 2047 encoded word that decodes to the German subject, `Content-Language:
/// de`, both bodies transfer-encoded and decoding to the German text with the expiry on
/// Berlin's clock; the temporary password in it logs in.
#[tokio::test]
async fn a_german_email_is_encoded_on_the_wire_and_decodes_to_german() {
    use customer_access::i18n::{Locale, MessageArgs, Preferences, TimeZoneName};
    let Some(server) = SmtpServer::start("accept", false).await else { return };
    let (service, anna) = service_with_contact(plain(server.port), false).await;
    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    let (german, berlin): (Locale, TimeZoneName) = ("de".parse().unwrap(), "Europe/Berlin".parse().unwrap());
    let preferences = Preferences::new(german.clone(), berlin.clone());
    service.set_contact_preferences(&admin, anna.id, preferences).await.unwrap();
    service.staff_reset(&admin, anna.id, ResetOptions::default()).await.unwrap();
    let got = server.wait_for(1).await;
    let m = &got[0];

    let raw = std::fs::read(server.dir().join("1.eml")).unwrap();
    assert!(raw.is_ascii(), "headers encoded, bodies transfer-encoded: 7-bit on the wire");
    let raw = String::from_utf8(raw).unwrap();
    let (head, _) = raw.split_once("\r\n\r\n").unwrap();
    let subject_line = head.lines().find(|l| l.starts_with("Subject: ")).unwrap();
    assert!(subject_line.to_ascii_lowercase().contains("=?utf-8?"), "an encoded word: {subject_line}");
    assert!(head.lines().any(|l| l == "Content-Language: de"), "{head}");
    let encodings = raw.lines().filter(|l| l.starts_with("Content-Transfer-Encoding: ")).collect::<Vec<_>>();
    assert_eq!(encodings.len(), 2, "{raw}");
    assert!(encodings.iter().all(|l| l.ends_with("quoted-printable") || l.ends_with("base64")), "{encodings:?}");

    let messages = service.messages();
    let say = |id: &str| messages.translations().format(&german, id, &MessageArgs::new()).unwrap();
    assert_eq!(m["headers"]["Subject"], say("reset-subject"), "the subject decodes to German");
    assert_ne!(say("reset-subject"), "Your temporary password");
    let text = m["text"].as_str().unwrap();
    let html = m["html"].as_str().unwrap();
    let expires_at = service.store().contact(anna.id).await.unwrap().credentials.temporary.unwrap().expires_at;
    let expiry = messages.date_time(&german, &berlin, expires_at);
    for body in [text, html] {
        assert!(body.contains(&say("reset-intro")), "{body}");
        assert!(body.contains(&expiry), "the expiry on Berlin's clock: {expiry}\n{body}");
        assert!(!body.to_lowercase().contains("anna.berg"), "no username by default");
    }
    assert!(!text.is_ascii(), "umlauts and all: {text}");
    let (_, after) = html.split_once("<code class=\"temporary-password\">").unwrap();
    let (temporary, _) = after.split_once("</code>").unwrap();
    assert_eq!(text.matches(temporary).count(), 1);
    let outcome = service.login("anna.berg", &SecretString::from(temporary.to_owned())).await.unwrap();
    assert!(matches!(outcome, LoginOutcome::PasswordChangeRequired { .. }), "the e-mailed password works");
}
