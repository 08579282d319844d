//! Languages and time zones: every message to a contact in the contact's language, every
//! time on the contact's clock.
//!
//! A contact reads in a [`Locale`] and lives in a [`TimeZoneName`]; each is a
//! [`Preferences`] field, set by staff, at import or by the contact, with the retailer's
//! preferences and then the service's as defaults (see
//! [`AccessService::preferences_of`](crate::AccessService::preferences_of)).
//!
//! Messages are [Project Fluent](https://projectfluent.org/) resources held in
//! [`Translations`]: plural rules per locale come from Fluent (CLDR), and dates are written
//! by each locale's own `date-time` message from the parts of a [`LocalTime`], computed with
//! the IANA rules bundled into this crate (by jiff), never the host's. The e-mails shipped in
//! English, German, French, Spanish and Dutch are in [`MessageCatalog`](crate::MessageCatalog).

mod accept;
mod locale;
mod translations;
mod zone;

pub use accept::parse_accept_language;
pub use locale::{Locale, LocaleError};
pub use translations::{MessageArgs, MissingMessage, TranslationError, Translations};
pub use zone::{LocalTime, TimeZoneError, TimeZoneName};

/// A contact's (or, as defaults, a retailer's) language and time zone; `None` means "use
/// the next default".
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Preferences {
    /// The language messages are written in.
    pub locale: Option<Locale>,
    /// The zone times are shown in.
    pub time_zone: Option<TimeZoneName>,
}

impl Preferences {
    /// Both set.
    pub fn new(locale: Locale, time_zone: TimeZoneName) -> Self {
        Self { locale: Some(locale), time_zone: Some(time_zone) }
    }

    /// Parse both from text, as a form or an import file gives them; an empty string is
    /// "not set".
    ///
    /// # Errors
    /// [`PreferencesError`] naming the field; nothing else is done.
    pub fn parse(locale: &str, time_zone: &str) -> Result<Self, PreferencesError> {
        let locale = (!locale.is_empty()).then(|| Locale::parse(locale)).transpose()?;
        let time_zone = (!time_zone.is_empty()).then(|| TimeZoneName::parse(time_zone)).transpose()?;
        Ok(Self { locale, time_zone })
    }

    /// Each field of `self`, or of `fallback` where `self` has none.
    #[must_use]
    pub fn or(&self, fallback: &Preferences) -> Preferences {
        Preferences {
            locale: self.locale.clone().or_else(|| fallback.locale.clone()),
            time_zone: self.time_zone.clone().or_else(|| fallback.time_zone.clone()),
        }
    }
}

/// A language tag or time-zone name that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PreferencesError {
    /// The locale.
    #[error("locale: {0}")]
    Locale(#[from] LocaleError),
    /// The time zone.
    #[error("time zone: {0}")]
    TimeZone(#[from] TimeZoneError),
}
