//! The seed's story, end to end, against a SQLite file and a file outbox:
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! Everything lands in `./quickstart-data/` (the database and the `outbox/` of `.eml` files),
//! which is wiped at the start so a rerun starts fresh.

use std::sync::{Arc, Mutex};

use customer_access::mailer::{MailError, OutgoingMessage};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, Contact, LoginOutcome, Mailer, NewContact, ResetOptions, SecurityPolicy, ServiceError, Staff,
    StaffId, SystemClock,
};
use customer_access_smtp::{FileMailer, Sender};
use customer_access_sqlite::SqliteStore;

/// The file outbox, plus the plain-text body of the last message so this example can print
/// it (the `.eml` file holds the same text, MIME-encoded).
#[derive(Debug)]
struct Outbox {
    files: FileMailer,
    last_text: Arc<Mutex<String>>,
}

impl Mailer for Outbox {
    async fn send(&self, message: &OutgoingMessage) -> Result<(), MailError> {
        self.files.send(message).await?;
        *self.last_text.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = message.text_body().to_owned();
        Ok(())
    }
}

type Service = AccessService<SqliteStore, Outbox, SystemClock>;

const FORGOT_ANSWER: &str = "If that username exists, we have e-mailed a temporary password to its owner.";

fn step(text: &str) {
    println!("\n== {text}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = std::path::Path::new("quickstart-data");
    if data.exists() {
        std::fs::remove_dir_all(data)?;
    }
    std::fs::create_dir_all(data)?;
    let store = customer_access_sqlite::open(data.join("customer-access.db")).await?;
    let last_text = Arc::new(Mutex::new(String::new()));
    let outbox = Outbox {
        files: FileMailer::new(data.join("outbox"), Sender::new("no-reply@shop.example", "Corner Wholesale")?),
        last_text: Arc::clone(&last_text),
    };
    let service: Service = AccessService::new(store, outbox, SystemClock, SecurityPolicy::default())?;
    println!("Data folder: {}", std::fs::canonicalize(data)?.display());

    let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
    step("A sales admin sets up a retailer with two contacts");
    let shop = service.create_retailer(&admin, "Corner Shop").await?;
    let anna = invite(&service, &admin, shop.id, "anna.berg", "Anna Berg").await?;
    let ben = invite(&service, &admin, shop.id, "ben.okafor", "Ben Okafor").await?;
    for c in service.list_contacts(&admin, shop.id).await? {
        println!("  contact #{}: {} <{}>", c.id, c.display_name, c.email);
    }

    step("The sales admin resets Anna's password (the admin never sees it)");
    let receipt = service.staff_reset(&admin, anna.id, ResetOptions::default()).await?;
    println!("  reset done; the temporary password expires at {}", receipt.expires_at);
    let outbox_dir = service.mailer().files.dir().to_owned();
    let newest = service.mailer().files.messages()?.pop().ok_or("no e-mail written")?;
    println!("  e-mail written to {}", newest.display());
    let text = last_text.lock().map(|t| t.clone()).unwrap_or_default();
    for line in text.lines() {
        println!("  | {line}");
    }
    let temporary = text.lines().find_map(|l| l.strip_prefix("Temporary password: ")).ok_or("no password line")?;
    println!("  (no username in the e-mail: {})", !text.contains(&anna.username));

    step("Anna logs in with the temporary password");
    let LoginOutcome::PasswordChangeRequired { ticket } =
        service.login("anna.berg", &SecretString::from(temporary)).await?
    else {
        return Err("expected a forced password change".into());
    };
    println!("  -> she must set a new password now");

    step("She tries a weak password");
    match service.set_new_password(&ticket, &SecretString::from("anna")).await {
        Err(ServiceError::PasswordRejected(violations)) => {
            for v in violations.as_slice() {
                println!("  refused: the new password {v}");
            }
        }
        other => return Err(format!("expected a refusal, got {other:?}").into()),
    }

    step("She chooses a good one");
    service.set_new_password(&ticket, &SecretString::from("plum-Kettle-42")).await?;
    println!("  accepted");
    let outcome = service.login("anna.berg", &SecretString::from("plum-Kettle-42")).await?;
    println!("  login with it: {}", describe(&outcome));

    step("Ben uses \"Forgot your password\"; so does someone with an unknown username");
    for username in ["ben.okafor", "no.such.user"] {
        let pending = service.request_password_reset(username)?;
        println!("  {username:>12}: {FORGOT_ANSWER}");
        // The e-mail is sent after answering, so the answer cannot leak whether the name exists.
        tokio::spawn(pending.run()).await?;
    }
    println!("  e-mails in the outbox: {} (in {})", service.mailer().files.messages()?.len(), outbox_dir.display());

    step("Audit log: who did what");
    for contact in [&anna, &ben] {
        println!("  {} ({}):", contact.display_name, contact.username);
        for event in service.audit_log(&admin, contact.id).await? {
            println!("    {} | {:<26} | by {}", event.at, event.kind, event.actor);
        }
    }
    Ok(())
}

async fn invite(
    service: &Service,
    admin: &Staff,
    retailer: customer_access::RetailerId,
    username: &str,
    name: &str,
) -> Result<Contact, ServiceError> {
    let new = NewContact {
        retailer,
        username: username.to_owned(),
        email: format!("{username}@corner-shop.example"),
        display_name: name.to_owned(),
        preferences: Default::default(),
    };
    service.invite(admin, &new).await
}

fn describe(outcome: &LoginOutcome) -> &'static str {
    match outcome {
        LoginOutcome::Authenticated { .. } => "authenticated",
        LoginOutcome::PasswordChangeRequired { .. } => "password change required",
        LoginOutcome::InvalidCredentials => "invalid credentials",
        LoginOutcome::LockedOut { .. } => "locked out",
        _ => "other",
    }
}
