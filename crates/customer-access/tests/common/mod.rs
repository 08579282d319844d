//! Shared set-up for the service tests: a memory store, a recording mailer, a manual clock
//! and cheap hash parameters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, reason = "test code")]
#![allow(dead_code, unreachable_pub)]

pub mod faulty;
pub mod hooked;

use std::time::Duration;

use customer_access::policy::{Argon2Settings, Budget};
use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, Contact, DeviceId, LoginOutcome, ManualClock, MemoryStore, NewContact, RecordingMailer, Retailer,
    SecurityPolicy, Staff, StaffId, Store, Timestamp,
};

pub type Service = AccessService<MemoryStore, RecordingMailer, ManualClock>;

pub struct Harness {
    pub service: Service,
    pub store: MemoryStore,
    pub mailer: RecordingMailer,
    pub clock: ManualClock,
    pub admin: Staff,
    pub shop: Retailer,
}

pub fn fast_policy() -> SecurityPolicy {
    let mut policy = SecurityPolicy::default();
    policy.argon2 = Argon2Settings::danger_insecure_for_tests();
    policy
}

pub const HOUR: Duration = Duration::from_secs(3600);

/// iPad user `staff` on the iPad `device`.
pub fn rep(staff: i64, device: &str) -> Staff {
    Staff::IpadUser { staff_id: StaffId::new(staff), device_id: DeviceId::parse(device).unwrap() }
}

impl Harness {
    pub async fn new() -> Self {
        Self::with_policy(fast_policy()).await
    }

    pub async fn with_policy(policy: SecurityPolicy) -> Self {
        let store = MemoryStore::new();
        let mailer = RecordingMailer::new();
        let clock = ManualClock::new(Timestamp::from_unix_millis(1_795_828_920_000));
        let service = AccessService::new(store.clone(), mailer.clone(), clock.clone(), policy).unwrap();
        let admin = Staff::SalesAdmin { staff_id: StaffId::new(1) };
        let shop = service.create_retailer(&admin, "Corner Shop").await.unwrap();
        Self { service, store, mailer, clock, admin, shop }
    }

    /// A harness with small staff reset budgets: `per_device` per iPad per hour,
    /// `per_staff` per staff member per day, `per_retailer` per retailer per hour; the iPad
    /// users `reps` manage the shop.
    pub async fn with_budgets(per_device: u32, per_staff: u32, per_retailer: u32, reps: &[i64]) -> Self {
        let mut policy = fast_policy();
        policy.staff_reset_budgets.per_device = Budget::new(per_device, HOUR);
        policy.staff_reset_budgets.per_staff_member = Budget::new(per_staff, Duration::from_secs(86_400));
        policy.staff_reset_budgets.per_retailer = Budget::new(per_retailer, HOUR);
        let h = Self::with_policy(policy).await;
        for staff in reps {
            h.service.store().assign_retailer(StaffId::new(*staff), h.shop.id).await.unwrap();
        }
        h
    }

    pub fn ipad(&self, staff: i64) -> Staff {
        Staff::IpadUser { staff_id: StaffId::new(staff), device_id: DeviceId::parse("ipad-1").unwrap() }
    }

    /// Invite a contact and set its first password (`<username>-Pass-1`).
    pub async fn contact(&self, username: &str) -> Contact {
        let contact = self.invite(username).await;
        let temp = self.last_temporary_password();
        let ticket = self.ticket(username, &temp).await;
        self.service.set_new_password(&ticket, &SecretString::from(Self::password_of(username))).await.unwrap();
        contact
    }

    pub fn password_of(username: &str) -> String {
        format!("{username}-Pass-1")
    }

    pub async fn invite(&self, username: &str) -> Contact {
        let new = NewContact {
            retailer: self.shop.id,
            username: username.to_owned(),
            email: format!("{username}@shop.example"),
            display_name: "Valued Contact".to_owned(),
            preferences: Default::default(),
        };
        self.service.invite(&self.admin, &new).await.unwrap()
    }

    /// The temporary password in the latest e-mail.
    pub fn last_temporary_password(&self) -> String {
        let temp = self.mailer.last_temporary_password().expect("an e-mail with a temporary password");
        customer_access::secrecy::ExposeSecret::expose_secret(&temp).to_owned()
    }

    /// Log in with a temporary password and return the change ticket.
    pub async fn ticket(&self, username: &str, temporary: &str) -> SecretString {
        match self.service.login(username, &SecretString::from(temporary)).await.unwrap() {
            LoginOutcome::PasswordChangeRequired { ticket } => SecretString::from(ticket.expose_secret()),
            other => panic!("expected PasswordChangeRequired, got {other:?}"),
        }
    }

    pub async fn login(&self, username: &str, password: &str) -> LoginOutcome {
        self.service.login(username, &SecretString::from(password)).await.unwrap()
    }

    pub async fn self_service(&self, username: &str) -> customer_access::SelfServiceOutcome {
        self.service.request_password_reset(username).unwrap().run().await
    }
}

pub fn is_authenticated(o: &LoginOutcome) -> bool {
    matches!(o, LoginOutcome::Authenticated { .. })
}

pub fn is_invalid(o: &LoginOutcome) -> bool {
    matches!(o, LoginOutcome::InvalidCredentials)
}
