//! Typed identifiers, so a contact id can never be passed where a retailer id is meant.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(i64);

        impl $name {
            /// Wrap a raw id (as stored by a `Store`).
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw id.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    };
}

id_type!(
    /// A retailer (customer company), assigned by the store.
    RetailerId
);
id_type!(
    /// A contact (one person who logs in), assigned by the store.
    ContactId
);
id_type!(
    /// A staff member (sales admin or iPad user), as the host application identifies them.
    StaffId
);

/// A sales rep's iPad, as the host application identifies it: 1 to 64 printable ASCII
/// characters. Recorded in audit events so a lost device's actions can be found.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeviceId(String);

impl DeviceId {
    /// Check and wrap a device id.
    ///
    /// # Errors
    /// [`crate::InputError::Text`] when empty, longer than 64 bytes, or not printable ASCII.
    pub fn parse(raw: &str) -> Result<Self, crate::InputError> {
        crate::input::check_text("device_id", raw, 64)?;
        if !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(crate::InputError::Text {
                field: "device_id",
                problem: crate::TextProblem::DisallowedCharacter,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
