//! Secret hygiene: after every flow, no plaintext password, temporary password or ticket
//! appears in any `Debug` output, error, audit event, tracing output or stored record.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]

mod common;

use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use common::Harness;
use customer_access::mailer::MailErrorKind;
use customer_access::secrecy::SecretString;
use customer_access::{LoginOutcome, ResetOptions};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every span field and event field as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<String>>);

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        attrs.record(&mut Fields(&mut self.0.lock().unwrap()));
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        values.record(&mut Fields(&mut self.0.lock().unwrap()));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut buf = self.0.lock().unwrap();
        let _ = write!(buf, "\n{} ", event.metadata().target());
        event.record(&mut Fields(&mut buf));
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[tokio::test]
async fn no_secret_reaches_debug_errors_audit_tracing_or_storage() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let h = Harness::new().await;
    let mut seen = String::new(); // Debug of everything the service returned
    let mut secrets: Vec<String> = Vec::new();

    let anna = h.invite("anna").await;
    secrets.push(h.last_temporary_password());
    let outcome = h.login("anna", &secrets[0]).await;
    let LoginOutcome::PasswordChangeRequired { ticket } = &outcome else { panic!() };
    secrets.push(ticket.expose_secret().to_owned());
    let _ = write!(seen, "{outcome:?}");
    let ticket = SecretString::from(ticket.expose_secret());

    let weak = "weakling";
    secrets.push(weak.to_owned());
    let _ = write!(seen, "{:?}", h.service.set_new_password(&ticket, &SecretString::from(weak)).await);
    let good = "Plum-Kettle-4242";
    secrets.push(good.to_owned());
    let _ = write!(seen, "{:?}", h.service.set_new_password(&ticket, &SecretString::from(good)).await);
    let _ = write!(seen, "{:?}", h.login("anna", good).await);
    let _ = write!(seen, "{:?}", h.login("anna", "Wrong-Guess-77").await);
    secrets.push("Wrong-Guess-77".to_owned());

    let _ = write!(seen, "{:?}", h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await);
    secrets.push(h.last_temporary_password());
    let _ = write!(seen, "{:?}", h.self_service("anna").await);
    secrets.push(h.last_temporary_password());
    h.mailer.fail_with(Some(MailErrorKind::Permanent));
    let _ = write!(seen, "{:?}", h.service.staff_reset(&h.admin, anna.id, ResetOptions::default()).await);
    let _ = write!(seen, "{:?}", h.self_service("anna").await);
    h.mailer.fail_with(None);

    let changed = "Second-Plum-99";
    secrets.push(changed.to_owned());
    let _ = write!(
        seen,
        "{:?}",
        h.service.change_password(anna.id, &SecretString::from(good), &SecretString::from(changed)).await
    );
    let _ = write!(
        seen,
        "{:?}",
        h.service.change_password(anna.id, &SecretString::from("Bad-Current-1"), &SecretString::from(changed)).await
    );
    secrets.push("Bad-Current-1".to_owned());

    let _ = write!(seen, "{:?} {:?}", h.service, h.mailer);
    for m in h.mailer.messages() {
        let _ = write!(seen, "{m:?}");
    }
    let records = format!("{:?}", h.store.all_records());
    let audit = h.store.all_audit_events();
    let audit_text = format!("{audit:?} {}", audit.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"));
    let traced = capture.0.lock().unwrap().clone();
    assert!(traced.contains("login"), "tracing was captured: {traced}");

    for s in &secrets {
        let tail = &s[s.len().saturating_sub(12)..]; // also catches partial leaks of tickets
        for (place, text) in
            [("returned values", &seen), ("stored records", &records), ("audit", &audit_text), ("tracing", &traced)]
        {
            assert!(!text.contains(tail), "a secret leaked into {place}");
        }
    }
}
