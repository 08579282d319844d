//! E-mails to contacts, in the contact's language and with times on the contact's clock.
//!
//! Every e-mail is a list of Fluent messages (see [`crate::i18n`]): a subject and one
//! paragraph per message, the same in the plain-text and the HTML body. The values that come
//! from people (display name, username, new address) and the temporary password never pass
//! through Fluent: a message refers to them as `$display_name`, `$temporary_password`,
//! `$username`, `$new_email`, Fluent writes a marker there, and the marker is replaced last,
//! HTML-escaped in the HTML body, in buffers wiped on drop. So no translation can see or copy
//! the password, and no display name can smuggle a marker in.
//!
//! [`MessageCatalog::check`] runs when the service is built and refuses a catalog that could
//! send a broken e-mail, on any arguments, not only the ones it tries (it reads each
//! message's syntax tree, see `check.rs`): a temporary password missing or shown twice, a
//! username outside the `*-username` line (the seed's default is no username next to the
//! temporary password; only `SecurityPolicy::include_username_in_reset_email` adds that
//! line), a marker spelled by the translation itself, a multi-line subject or date, an
//! expiry or a date without its time, a message using an argument its e-mail is not given
//! (the date parts outside `date-time`, say, which would show the start-up sample).

mod check;
mod render;

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::actor::Staff;
use crate::clock::Timestamp;
use crate::domain::Contact;
use crate::i18n::{
    LocalTime, Locale, MessageArgs, MissingMessage, Preferences, TimeZoneName, TranslationError, Translations,
};
use crate::input::EmailAddress;
use crate::mailer::{MessageKind, OutgoingMessage};
use render::{fill, push, push_escaped_html};

/// The shipped translations of the e-mails, reviewed for tone.
const SHIPPED: [(&str, &str); 5] = [
    ("en", include_str!("../../locales/en/emails.ftl")),
    ("de", include_str!("../../locales/de/emails.ftl")),
    ("fr", include_str!("../../locales/fr/emails.ftl")),
    ("es", include_str!("../../locales/es/emails.ftl")),
    ("nl", include_str!("../../locales/nl/emails.ftl")),
];

/// One paragraph of an e-mail, by what it may show.
#[derive(Clone, Copy, Debug)]
enum Line {
    /// Only `$display_name`.
    Plain(&'static str),
    /// `$username`, exactly once; present only when the policy puts usernames in e-mails.
    Username(&'static str),
    /// `$temporary_password`, exactly once.
    Password(&'static str),
    /// `$expires_at`, the expiry on the contact's clock.
    Expiry(&'static str),
    /// `$changed_at`, `$changed_by` and `$new_email` (the new address, masked).
    Change(&'static str),
}

impl Line {
    fn id(self) -> &'static str {
        match self {
            Self::Plain(id) | Self::Username(id) | Self::Password(id) | Self::Expiry(id) | Self::Change(id) => id,
        }
    }
}

/// The messages of one e-mail, and the arguments they are rendered with.
struct Layout {
    subject: &'static str,
    lines: &'static [Line],
    /// The values filled in after Fluent (of [`FILLED`]) this e-mail passes as markers.
    values: &'static [&'static str],
    /// The other arguments it passes (built by [`secret_args`] or [`change_args`]).
    shared: &'static [&'static str],
}

const RESET: Layout = Layout {
    subject: "reset-subject",
    lines: &[
        Line::Plain("greeting"),
        Line::Plain("reset-intro"),
        Line::Username("reset-username"),
        Line::Password("reset-password"),
        Line::Expiry("reset-validity"),
        Line::Plain("reset-ignore"),
    ],
    values: &[DISPLAY_NAME, TEMPORARY_PASSWORD, USERNAME],
    shared: &[EXPIRES_AT, HOURS],
};
const INVITATION: Layout = Layout {
    subject: "invitation-subject",
    lines: &[
        Line::Plain("greeting"),
        Line::Plain("invitation-intro"),
        Line::Username("invitation-username"),
        Line::Password("invitation-password"),
        Line::Expiry("invitation-validity"),
    ],
    values: &[DISPLAY_NAME, TEMPORARY_PASSWORD, USERNAME],
    shared: &[EXPIRES_AT, HOURS],
};
const PASSWORD_CHANGED: Layout = Layout {
    subject: "password-changed-subject",
    lines: &[Line::Plain("greeting"), Line::Plain("password-changed-body")],
    values: &[DISPLAY_NAME],
    shared: &[],
};
const EMAIL_CHANGED: Layout = Layout {
    subject: "email-changed-subject",
    lines: &[Line::Plain("greeting"), Line::Change("email-changed-body"), Line::Plain("email-changed-warning")],
    values: &[DISPLAY_NAME, NEW_EMAIL],
    shared: &[CHANGED_AT, CHANGED_BY],
};
const LAYOUTS: [&Layout; 4] = [&RESET, &INVITATION, &PASSWORD_CHANGED, &EMAIL_CHANGED];
/// Messages the layouts use indirectly.
const PARTS: [&str; 6] =
    ["weekday", "month", "date-time", "valid-for", "changed-by-sales-office", "changed-by-sales-rep"];
/// Messages rendered on their own, with arguments of their own (not the e-mail's): a date
/// and time from its parts, who changed an address.
const DATE_TIME: &str = "date-time";
const DATE_MESSAGES: [&str; 3] = ["weekday", "month", DATE_TIME];
const CHANGED_BY_MESSAGES: [&str; 2] = ["changed-by-sales-office", "changed-by-sales-rep"];
/// The arguments of the date messages, and those `date-time` must show once each.
const DATE_PARTS: [&str; 7] = ["weekday", "month", "day", "year", "hour", "minute", "zone"];
const DATE_PARTS_SHOWN: [&str; 5] = ["year", "day", "hour", "minute", "zone"];
const STAFF_ID: &str = "staff_id";

/// Arguments of the e-mails beyond the filled-in values.
const EXPIRES_AT: &str = "expires_at";
const HOURS: &str = "hours";
const CHANGED_AT: &str = "changed_at";
const CHANGED_BY: &str = "changed_by";

/// Values filled in after Fluent, by marker.
const DISPLAY_NAME: &str = "display_name";
const TEMPORARY_PASSWORD: &str = "temporary_password";
const USERNAME: &str = "username";
const NEW_EMAIL: &str = "new_email";
const FILLED: [&str; 4] = [DISPLAY_NAME, TEMPORARY_PASSWORD, USERNAME, NEW_EMAIL];

fn marker(name: &str) -> String {
    format!("{{{{{name}}}}}")
}

/// The e-mails in every locale, and the language and time zone used for a contact who, and
/// whose retailer, has none set. [`Default`] is [`shipped`](Self::shipped).
///
/// A deployment adds a locale or overrides any message with
/// [`with_translation`](Self::with_translation), no fork needed:
///
/// ```
/// use customer_access::MessageCatalog;
/// use customer_access::i18n::{Locale, TimeZoneName};
/// let catalog = MessageCatalog::shipped()
///     .with_translation(&Locale::english(), "reset-subject = Your new password for Example Ltd")?
///     .with_translation(&"it".parse()?, "reset-subject = La tua password temporanea")?
///     .with_default_time_zone("Europe/Berlin".parse()?);
/// // Italian has one message of its own; the rest falls back to English, and says so.
/// let missing = catalog.check()?;
/// assert!(missing.iter().all(|m| m.locale.as_str() == "it"));
/// assert!(!missing.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct MessageCatalog {
    translations: Translations,
    default_locale: Locale,
    default_time_zone: TimeZoneName,
}

/// The language and time zone a contact's messages use: the contact's own, else the
/// retailer's, else the service's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EffectivePreferences {
    /// The locale whose messages are used (`de` for a contact who asked for `de-AT`, when
    /// there is no `de-AT` translation).
    pub locale: Locale,
    /// The zone times are shown in.
    pub time_zone: TimeZoneName,
}

impl MessageCatalog {
    /// The shipped e-mails in English, German, French, Spanish and Dutch; English and UTC
    /// for contacts without preferences.
    pub fn shipped() -> Self {
        let mut translations = Translations::new();
        for (tag, source) in SHIPPED {
            // Shipped files parse (a unit test says so); one that did not would leave its
            // messages out, and `check` would name what is missing.
            if let Ok(locale) = Locale::parse(tag)
                && let Err(e) =
                    check::source_without_braces(&locale, source).and_then(|()| translations.add(&locale, source))
            {
                tracing::error!(error = %e, "a shipped translation does not parse");
            }
        }
        Self { translations, default_locale: Locale::english(), default_time_zone: TimeZoneName::utc() }
    }

    /// Add messages in Fluent syntax to `locale` (a new locale, or replacing shipped
    /// messages one by one).
    ///
    /// # Errors
    /// [`TranslationError::Syntax`] with the line; the catalog is unchanged.
    pub fn with_translation(mut self, locale: &Locale, source: &str) -> Result<Self, TranslationError> {
        check::source_without_braces(locale, source)?;
        self.translations.add(locale, source)?;
        Ok(self)
    }

    /// The language for contacts (and retailers) without one.
    #[must_use]
    pub fn with_default_locale(mut self, locale: Locale) -> Self {
        self.default_locale = locale;
        self
    }

    /// The time zone for contacts (and retailers) without one.
    #[must_use]
    pub fn with_default_time_zone(mut self, time_zone: TimeZoneName) -> Self {
        self.default_time_zone = time_zone;
        self
    }

    /// The translations, e.g. to list the locales a contact may pick from.
    pub fn translations(&self) -> &Translations {
        &self.translations
    }

    /// Every message id an e-mail uses.
    pub fn message_ids() -> Vec<&'static str> {
        let mut ids: Vec<&'static str> = PARTS.to_vec();
        for layout in LAYOUTS {
            ids.push(layout.subject);
            ids.extend(layout.lines.iter().map(|l| l.id()));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }

    /// Check every e-mail in every locale (see the module docs). Returns the messages
    /// locales lack, which render in English; the service logs them when it is built.
    ///
    /// # Errors
    /// [`TranslationError`]: English lacks a message, or a message renders with an error or
    /// breaks a rule above.
    pub fn check(&self) -> Result<Vec<MissingMessage>, TranslationError> {
        check::catalog(self)
    }

    /// What `wanted` resolves to, defaults filled in.
    pub fn effective(&self, wanted: &Preferences) -> EffectivePreferences {
        let locale = wanted.locale.as_ref().unwrap_or(&self.default_locale);
        EffectivePreferences {
            locale: self.translations.resolve(locale),
            time_zone: wanted.time_zone.clone().unwrap_or_else(|| self.default_time_zone.clone()),
        }
    }

    /// `at` as `locale` writes a date and time, on `time_zone`'s clock, the zone named:
    /// "Monday 30 November 2026, 22:06 NZDT", "Montag, 30. November 2026, 22:06 NZDT".
    pub fn date_time(&self, locale: &Locale, time_zone: &TimeZoneName, at: Timestamp) -> String {
        self.date_time_of(locale, &time_zone.local_time(at))
    }

    pub(super) fn date_time_of(&self, locale: &Locale, t: &LocalTime) -> String {
        self.translations.format(locale, DATE_TIME, &date_args(t)).unwrap_or_default()
    }

    /// Who changed an address, as `locale` says it.
    pub(super) fn changed_by(&self, locale: &Locale, staff: &Staff) -> String {
        let (id, staff_id) = match staff {
            Staff::SalesAdmin { staff_id } => ("changed-by-sales-office", staff_id),
            Staff::IpadUser { staff_id, .. } => ("changed-by-sales-rep", staff_id),
        };
        self.translations.format(locale, id, &staff_args(staff_id.to_string())).unwrap_or_default()
    }

    /// A reset or invitation e-mail.
    pub(crate) fn render_secret(&self, m: &SecretMessage<'_>, to: &EffectivePreferences) -> OutgoingMessage {
        let layout = if m.kind == MessageKind::Invitation { &INVITATION } else { &RESET };
        let holes = holes();
        let expires_at = self.date_time(&to.locale, &to.time_zone, m.expires_at);
        let args = secret_args(&holes, &expires_at, m.valid_for_hours);
        let values = [
            (DISPLAY_NAME, m.contact.display_name.as_str()),
            (TEMPORARY_PASSWORD, m.temporary_password),
            (USERNAME, m.contact.username.as_str()),
        ];
        self.render(layout, &args, m.include_username, &to.locale, m.contact, &values, m.kind)
    }

    /// The "your password was changed" notice.
    pub(crate) fn render_password_changed(&self, contact: &Contact, to: &EffectivePreferences) -> OutgoingMessage {
        let holes = holes();
        let args = markers(&PASSWORD_CHANGED, &holes);
        let values = [(DISPLAY_NAME, contact.display_name.as_str())];
        self.render(&PASSWORD_CHANGED, &args, false, &to.locale, contact, &values, MessageKind::PasswordChanged)
    }

    /// The notice of a staff e-mail change, to the address before it.
    pub(crate) fn render_email_changed(&self, n: &EmailChangeNotice<'_>, to: &EffectivePreferences) -> OutgoingMessage {
        let holes = holes();
        let changed_at = self.date_time(&to.locale, &to.time_zone, n.changed_at);
        let changed_by = self.changed_by(&to.locale, n.changed_by);
        let args = change_args(&holes, changed_at, changed_by);
        let new_email = n.new_email.masked();
        let values = [(DISPLAY_NAME, n.before.display_name.as_str()), (NEW_EMAIL, new_email.as_str())];
        self.render(&EMAIL_CHANGED, &args, false, &to.locale, n.before, &values, MessageKind::EmailChanged)
    }

    #[allow(clippy::too_many_arguments, reason = "private; one call per kind of e-mail")]
    fn render(
        &self,
        layout: &Layout,
        args: &MessageArgs<'_>,
        include_username: bool,
        locale: &Locale,
        contact: &Contact,
        values: &[(&str, &str)],
        kind: MessageKind,
    ) -> OutgoingMessage {
        let format = |id| self.translations.format(locale, id, args).unwrap_or_default();
        // The bodies with markers where values go: no value, no secret in them yet.
        let (mut text, mut html) = (String::new(), String::new());
        for line in layout.lines {
            if matches!(line, Line::Username(_)) && !include_username {
                continue;
            }
            let paragraph = format(line.id());
            text.push_str(&paragraph);
            text.push_str("\n\n");
            let mut escaped = Zeroizing::new(String::new());
            push_escaped_html(&mut escaped, &paragraph);
            let escaped = match line {
                Line::Password(_) => code(&escaped, TEMPORARY_PASSWORD, "temporary-password"),
                Line::Username(_) => code(&escaped, USERNAME, "username"),
                _ => escaped.as_str().to_owned(),
            };
            html.push_str("<p>");
            html.push_str(&escaped);
            html.push_str("</p>");
        }
        text.truncate(text.trim_end().len());
        text.push('\n');
        // The bodies may carry the temporary password: filled in wiped-on-drop buffers, and
        // copied once, at their final size, into the secret types the message holds.
        let text = fill(&text, values, push);
        let html = fill(&html, values, push_escaped_html);
        OutgoingMessage {
            to: contact.email.clone(),
            to_name: contact.display_name.clone(),
            subject: format(layout.subject),
            text: SecretString::from(text.as_str().to_owned()),
            html: SecretString::from(html.as_str().to_owned()),
            kind,
            language: locale.clone(),
        }
    }
}

impl Default for MessageCatalog {
    fn default() -> Self {
        Self::shipped()
    }
}

/// `escaped` with the marker of `name` set in `<code class="...">`.
fn code(escaped: &str, name: &str, class: &str) -> String {
    let marker = marker(name);
    escaped.replace(&marker, &format!("<code class=\"{class}\">{marker}</code>"))
}

/// Markers of the filled-in values, in [`FILLED`] order.
fn holes() -> [String; 4] {
    FILLED.map(marker)
}

/// The markers of the values `layout` fills in. The argument builders below are the only
/// ones, used to send and to check, so the check sees exactly what an e-mail is given.
fn markers<'a>(layout: &Layout, holes: &'a [String; 4]) -> MessageArgs<'a> {
    let mut args = MessageArgs::new();
    for (name, hole) in FILLED.iter().zip(holes) {
        if layout.values.contains(name) {
            args = args.text(name, hole.as_str());
        }
    }
    args
}

/// The arguments of a reset or invitation ([`RESET`], [`INVITATION`]).
fn secret_args<'a>(holes: &'a [String; 4], expires_at: &'a str, valid_for_hours: u64) -> MessageArgs<'a> {
    markers(&RESET, holes)
        .text(EXPIRES_AT, expires_at)
        .number(HOURS, i64::try_from(valid_for_hours).unwrap_or(i64::MAX))
}

/// The arguments of the notice of an address change ([`EMAIL_CHANGED`]).
fn change_args(holes: &[String; 4], changed_at: String, changed_by: String) -> MessageArgs<'_> {
    markers(&EMAIL_CHANGED, holes).text(CHANGED_AT, changed_at).text(CHANGED_BY, changed_by)
}

/// The arguments of the date messages ([`DATE_PARTS`]).
fn date_args(t: &LocalTime) -> MessageArgs<'_> {
    MessageArgs::new()
        .number("weekday", t.weekday.into())
        .number("month", t.month.into())
        .text("day", t.day.to_string())
        .text("year", t.year.to_string())
        .text("hour", format!("{:02}", t.hour))
        .text("minute", format!("{:02}", t.minute))
        .text("zone", t.abbreviation.as_str())
}

/// The arguments of the "changed by" messages.
fn staff_args<'a>(staff_id: String) -> MessageArgs<'a> {
    MessageArgs::new().text(STAFF_ID, staff_id)
}

impl LocalTime {
    /// Monday 30 November 2026, 22:06 in Auckland: the moment start-up checks render.
    fn sample() -> Self {
        LocalTime { year: 2026, month: 11, day: 30, weekday: 1, hour: 22, minute: 6, abbreviation: "NZDT".to_owned() }
    }
}

/// What goes into a reset or invitation e-mail.
pub(crate) struct SecretMessage<'a> {
    pub(crate) contact: &'a Contact,
    pub(crate) temporary_password: &'a str,
    pub(crate) expires_at: Timestamp,
    pub(crate) valid_for_hours: u64,
    pub(crate) include_username: bool,
    pub(crate) kind: MessageKind,
}

/// What goes into the notice of a staff e-mail change, sent to the previous address.
pub(crate) struct EmailChangeNotice<'a> {
    /// The contact as it was before the change (its address is the recipient).
    pub(crate) before: &'a Contact,
    pub(crate) new_email: &'a EmailAddress,
    pub(crate) changed_at: Timestamp,
    pub(crate) changed_by: &'a Staff,
}

#[cfg(test)]
mod tests;
