//! Set-up steps that store tests, timing checks and benchmarks share: the seed's story of a
//! new contact, from invitation to a password of their own.

use customer_access::secrecy::SecretString;
use customer_access::{
    AccessService, ChangeTicket, Clock, Contact, LoginOutcome, NewContact, RecordingMailer, RetailerId, Staff, Store,
};

/// Invite `username` into `retailer` as `staff` (e-mail `<username>@shop.example`) and log
/// in with the temporary password the invitation e-mailed: returns the contact and the
/// change ticket that login yields.
///
/// # Panics
/// If any step fails or answers otherwise than the story says (this is test set-up).
pub async fn invite_to_change_ticket<S: Store, C: Clock>(
    service: &AccessService<S, RecordingMailer, C>,
    staff: &Staff,
    retailer: RetailerId,
    username: &str,
) -> (Contact, ChangeTicket) {
    let new = NewContact {
        retailer,
        username: username.to_owned(),
        email: format!("{username}@shop.example"),
        display_name: username.to_owned(),
        preferences: Default::default(),
    };
    let contact = service.invite(staff, &new).await.expect("invitation accepted");
    let temporary = service.mailer().last_temporary_password().expect("the invitation e-mailed a temporary password");
    match service.login(username, &temporary).await.expect("login answered") {
        LoginOutcome::PasswordChangeRequired { ticket } => (contact, ticket),
        other => panic!("a temporary password must require a change, got {other:?}"),
    }
}

/// [`invite_to_change_ticket`], then set `password`: the contact in the common state
/// (a password of their own, nothing pending).
///
/// # Panics
/// As [`invite_to_change_ticket`], or if the password is refused.
pub async fn contact_with_password<S: Store, C: Clock>(
    service: &AccessService<S, RecordingMailer, C>,
    staff: &Staff,
    retailer: RetailerId,
    username: &str,
    password: &SecretString,
) -> Contact {
    let (contact, ticket) = invite_to_change_ticket(service, staff, retailer, username).await;
    service.set_new_password(&ticket, password).await.expect("the new password is accepted");
    contact
}
