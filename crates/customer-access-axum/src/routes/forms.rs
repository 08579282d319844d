//! The forms and JSON bodies the routes accept. Passwords arrive as `String`s (serde has no
//! other way in); each is copied into a `SecretString` at once and the field wiped when the
//! form is dropped.

use customer_access::secrecy::SecretString;
use serde::Deserialize;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Log in.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct LoginForm {
    pub(super) username: String,
    password: String,
}

impl LoginForm {
    pub(super) fn password(&self) -> SecretString {
        SecretString::from(self.password.as_str())
    }
}

/// "Forgot your password".
#[derive(Deserialize)]
pub(super) struct ForgotForm {
    pub(super) username: String,
}

/// The forced change.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct NewPasswordForm {
    new_password: String,
}

impl NewPasswordForm {
    pub(super) fn new_password(&self) -> SecretString {
        SecretString::from(self.new_password.as_str())
    }
}

/// A voluntary change.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct ChangeForm {
    current_password: String,
    new_password: String,
}

impl ChangeForm {
    pub(super) fn current_password(&self) -> SecretString {
        SecretString::from(self.current_password.as_str())
    }

    pub(super) fn new_password(&self) -> SecretString {
        SecretString::from(self.new_password.as_str())
    }
}

/// A notice named in the login page's query (`?n=logged-out`): a fixed set, never text.
#[derive(Deserialize)]
pub(super) struct NoticeQuery {
    pub(super) n: Option<String>,
}
