//! E-mail rendering from overridable templates.
//!
//! Templates use `{{placeholder}}`s. Values are HTML-escaped in HTML bodies. Templates are
//! checked when the service is built: every placeholder must be known, reset and invitation
//! templates must carry `{{temporary_password}}` and `{{expires_at}}`, and only the
//! `*_with_username` variants may mention `{{username}}`, so the seed's default (no username
//! next to the temporary password) cannot be undone by a template edit.

use secrecy::SecretString;
use zeroize::Zeroizing;

use crate::clock::Timestamp;
use crate::domain::Contact;
use crate::mailer::{MessageKind, OutgoingMessage};

/// One message: subject, plain text and HTML.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Template {
    /// Subject line. May use `{{display_name}}` only.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

/// Every template the service renders. [`Default`] is plain English.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Templates {
    /// Reset e-mail without the username (the default).
    pub reset: Template,
    /// Reset e-mail with the username (`include_username_in_reset_email = true`).
    pub reset_with_username: Template,
    /// Invitation without the username.
    pub invitation: Template,
    /// Invitation with the username.
    pub invitation_with_username: Template,
    /// "Your password was changed" (no secret).
    pub password_changed: Template,
    /// To the previous address after staff changed the e-mail address: who, when, and the
    /// new address masked (no secret). May use `{{changed_by}}`, `{{changed_at}}`,
    /// `{{new_email}}` and `{{display_name}}`.
    pub email_changed: Template,
}

/// A template that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("template {template}: {problem}")]
pub struct TemplateError {
    /// Which template.
    pub template: &'static str,
    /// What is wrong.
    pub problem: String,
}

const PLACEHOLDERS: &[&str] = &[
    "display_name",
    "temporary_password",
    "expires_at",
    "valid_for",
    "username",
    "changed_by",
    "changed_at",
    "new_email",
];

impl Default for Templates {
    fn default() -> Self {
        let reset = |with_username: bool| Template {
            subject: "Your temporary password".to_owned(),
            text: format!(
                "Hello {{{{display_name}}}},\n\n\
                 A password reset was requested for your account.\n\n\
                 {}Temporary password: {{{{temporary_password}}}}\n\n\
                 It is valid for {{{{valid_for}}}}, until {{{{expires_at}}}}. Log in with it and you \
                 will be asked to choose a new password straight away.\n\n\
                 If you did not ask for this, you can ignore this e-mail: your current password \
                 still works.\n",
                if with_username { "Username: {{username}}\n" } else { "" }
            ),
            html: format!(
                "<p>Hello {{{{display_name}}}},</p>\
                 <p>A password reset was requested for your account.</p>\
                 {}<p>Temporary password: <code>{{{{temporary_password}}}}</code></p>\
                 <p>It is valid for {{{{valid_for}}}}, until {{{{expires_at}}}}. Log in with it and you \
                 will be asked to choose a new password straight away.</p>\
                 <p>If you did not ask for this, you can ignore this e-mail: your current password \
                 still works.</p>",
                if with_username { "<p>Username: <code>{{username}}</code></p>" } else { "" }
            ),
        };
        let invitation = |with_username: bool| Template {
            subject: "Your website login".to_owned(),
            text: format!(
                "Hello {{{{display_name}}}},\n\n\
                 A login to our ordering website has been created for you.\n\n\
                 {}Temporary password: {{{{temporary_password}}}}\n\n\
                 It is valid for {{{{valid_for}}}}, until {{{{expires_at}}}}. Log in with it and choose \
                 your own password.\n",
                if with_username { "Username: {{username}}\n" } else { "" }
            ),
            html: format!(
                "<p>Hello {{{{display_name}}}},</p>\
                 <p>A login to our ordering website has been created for you.</p>\
                 {}<p>Temporary password: <code>{{{{temporary_password}}}}</code></p>\
                 <p>It is valid for {{{{valid_for}}}}, until {{{{expires_at}}}}. Log in with it and \
                 choose your own password.</p>",
                if with_username { "<p>Username: <code>{{username}}</code></p>" } else { "" }
            ),
        };
        Self {
            reset: reset(false),
            reset_with_username: reset(true),
            invitation: invitation(false),
            invitation_with_username: invitation(true),
            password_changed: Template {
                subject: "Your password was changed".to_owned(),
                text: "Hello {{display_name}},\n\nThe password of your account was just changed. \
                       If this was not you, contact us at once.\n"
                    .to_owned(),
                html: "<p>Hello {{display_name}},</p><p>The password of your account was just \
                       changed. If this was not you, contact us at once.</p>"
                    .to_owned(),
            },
            email_changed: Template {
                subject: "The e-mail address of your login was changed".to_owned(),
                text: "Hello {{display_name}},\n\nOn {{changed_at}}, {{changed_by}} changed the e-mail \
                       address of your login to {{new_email}}. Password e-mails will go there from now on.\n\n\
                       If you did not ask for this, contact us at once: for the next few days no reset \
                       can be sent to the new address without a second member of our staff approving it.\n"
                    .to_owned(),
                html: "<p>Hello {{display_name}},</p><p>On {{changed_at}}, {{changed_by}} changed the \
                       e-mail address of your login to {{new_email}}. Password e-mails will go there from \
                       now on.</p><p>If you did not ask for this, contact us at once: for the next few \
                       days no reset can be sent to the new address without a second member of our \
                       staff approving it.</p>"
                    .to_owned(),
            },
        }
    }
}

impl Templates {
    /// Check every template (see the module docs).
    ///
    /// # Errors
    /// [`TemplateError`] naming the template and the problem.
    pub fn check(&self) -> Result<(), TemplateError> {
        let secret_templates = [
            ("reset", &self.reset, false),
            ("reset_with_username", &self.reset_with_username, true),
            ("invitation", &self.invitation, false),
            ("invitation_with_username", &self.invitation_with_username, true),
        ];
        for (name, t, username_allowed) in secret_templates {
            check_one(name, t, username_allowed)?;
            for required in ["temporary_password", "expires_at"] {
                let needle = format!("{{{{{required}}}}}");
                if !t.text.contains(&needle) || !t.html.contains(&needle) {
                    return Err(TemplateError { template: name, problem: format!("text and html must use {needle}") });
                }
            }
        }
        for (name, t) in [("password_changed", &self.password_changed), ("email_changed", &self.email_changed)] {
            check_one(name, t, false)?;
            if [&t.text, &t.html].iter().any(|b| b.contains("{{temporary_password}}")) {
                return Err(TemplateError { template: name, problem: "must not carry a secret".into() });
            }
        }
        Ok(())
    }
}

fn check_one(name: &'static str, t: &Template, username_allowed: bool) -> Result<(), TemplateError> {
    let fail = |problem: String| Err(TemplateError { template: name, problem });
    if t.subject.chars().any(char::is_control) {
        return fail("subject must be one line".into());
    }
    if t.subject.contains("{{") && t.subject.replace("{{display_name}}", "").contains("{{") {
        return fail("subject may only use {{display_name}}".into());
    }
    for body in [&t.text, &t.html] {
        let mut rest = body.as_str();
        while let Some(start) = rest.find("{{") {
            let Some(end) = rest[start..].find("}}") else {
                return fail("unclosed {{".into());
            };
            let key = &rest[start + 2..start + end];
            if !PLACEHOLDERS.contains(&key) {
                return fail(format!("unknown placeholder {{{{{key}}}}}"));
            }
            if key == "username" && !username_allowed {
                return fail("must not contain {{username}} (use the *_with_username variant)".into());
            }
            rest = &rest[start + end + 2..];
        }
    }
    Ok(())
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

impl Templates {
    pub(crate) fn render_secret(&self, m: &SecretMessage<'_>) -> OutgoingMessage {
        let template = match (m.kind, m.include_username) {
            (MessageKind::Invitation, false) => &self.invitation,
            (MessageKind::Invitation, true) => &self.invitation_with_username,
            (_, false) => &self.reset,
            (_, true) => &self.reset_with_username,
        };
        let expires = m.expires_at.to_string();
        let valid_for = format!("{} hours", m.valid_for_hours);
        let values: [(&str, &str); 5] = [
            ("display_name", &m.contact.display_name),
            ("temporary_password", m.temporary_password),
            ("expires_at", &expires),
            ("valid_for", &valid_for),
            ("username", if m.include_username { &m.contact.username } else { "" }),
        ];
        render(template, m.contact, &values, m.kind)
    }

    pub(crate) fn render_password_changed(&self, contact: &Contact) -> OutgoingMessage {
        let values = [("display_name", contact.display_name.as_str())];
        render(&self.password_changed, contact, &values, MessageKind::PasswordChanged)
    }
}

/// What goes into the notice of a staff e-mail change, sent to the previous address.
pub(crate) struct EmailChangeNotice<'a> {
    /// The contact as it was before the change (its address is the recipient).
    pub(crate) before: &'a Contact,
    pub(crate) new_email: &'a crate::input::EmailAddress,
    pub(crate) changed_at: Timestamp,
    pub(crate) changed_by: &'a crate::actor::Staff,
}

impl Templates {
    pub(crate) fn render_email_changed(&self, n: &EmailChangeNotice<'_>) -> OutgoingMessage {
        let changed_at = n.changed_at.to_string();
        let changed_by = match n.changed_by {
            crate::actor::Staff::SalesAdmin { staff_id } => format!("our sales office (staff member {staff_id})"),
            crate::actor::Staff::IpadUser { staff_id, .. } => {
                format!("your sales representative (staff member {staff_id})")
            }
        };
        let new_email = n.new_email.masked();
        let values = [
            ("display_name", n.before.display_name.as_str()),
            ("changed_at", changed_at.as_str()),
            ("changed_by", changed_by.as_str()),
            ("new_email", new_email.as_str()),
        ];
        render(&self.email_changed, n.before, &values, MessageKind::EmailChanged)
    }
}

fn render(t: &Template, contact: &Contact, values: &[(&str, &str)], kind: MessageKind) -> OutgoingMessage {
    // The bodies may carry the temporary password: built in wiped-on-drop buffers, and
    // copied once, at their final size, into the secret types the message holds.
    let text = fill(&t.text, values, push);
    let html = fill(&t.html, values, push_escaped_html);
    OutgoingMessage {
        to: contact.email.clone(),
        to_name: contact.display_name.clone(),
        subject: fill(&t.subject, values, push).as_str().to_owned(),
        text: SecretString::from(text.as_str().to_owned()),
        html: SecretString::from(html.as_str().to_owned()),
        kind,
    }
}

/// The template with every known `{{placeholder}}` replaced: `write` appends a value to the
/// output (as it is, or escaped), directly, so no value is copied on its own.
fn fill(template: &str, values: &[(&str, &str)], write: impl Fn(&mut Zeroizing<String>, &str)) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(template.len() + 64));
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        push(&mut out, &rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let key = &after[..end];
                match values.iter().find(|(k, _)| *k == key) {
                    Some((_, value)) => write(&mut out, value),
                    None => push(&mut out, &rest[start..start + 2 + end + 2]),
                }
                rest = &after[end + 2..];
            }
            None => {
                push(&mut out, &rest[start..]);
                rest = "";
            }
        }
    }
    push(&mut out, rest);
    out
}

/// Append `s` to `out`. A `String` that outgrows its buffer reallocates and frees the old
/// buffer unwiped, with the password in it; this moves to a larger wiped-on-drop buffer
/// itself instead, so the old one is wiped before it is freed.
fn push(out: &mut Zeroizing<String>, s: &str) {
    let needed = out.len().saturating_add(s.len());
    if needed > out.capacity() {
        let mut larger = Zeroizing::new(String::with_capacity(needed.max(out.capacity().saturating_mul(2))));
        larger.push_str(out);
        *out = larger;
    }
    out.push_str(s);
}

/// Append `s` to `out`, HTML-escaped.
fn push_escaped_html(out: &mut Zeroizing<String>, s: &str) {
    let mut rest = s;
    while let Some(i) = rest.find(['&', '<', '>', '"', '\'']) {
        push(out, &rest[..i]);
        let entity = match rest.as_bytes()[i] {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            _ => "&#39;",
        };
        push(out, entity);
        rest = &rest[i + 1..];
    }
    push(out, rest);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ContactId, RetailerId};
    use crate::input::EmailAddress;
    use customer_access_policy::UsernameRules;

    fn contact() -> Contact {
        Contact {
            id: ContactId::new(1),
            retailer: RetailerId::new(1),
            username: "Anna.Berg".into(),
            username_key: UsernameRules::default().canonicalize("Anna.Berg").unwrap(),
            email: EmailAddress::parse("anna@shop.example").unwrap(),
            display_name: "Anna <Berg>".into(),
            login_enabled: true,
        }
    }

    fn reset(include_username: bool) -> OutgoingMessage {
        let c = contact();
        Templates::default().render_secret(&SecretMessage {
            contact: &c,
            temporary_password: "Kp7xQ2mZr9TbW4vN",
            expires_at: Timestamp::from_unix_millis(1_795_828_920_000),
            valid_for_hours: 48,
            include_username,
            kind: MessageKind::PasswordReset,
        })
    }

    #[test]
    fn default_templates_are_valid() {
        Templates::default().check().unwrap();
    }

    #[test]
    fn reset_mail_has_password_and_expiry_but_no_username_by_default() {
        let m = reset(false);
        for body in [m.text_body(), m.html_body()] {
            assert!(body.contains("Kp7xQ2mZr9TbW4vN"));
            assert!(body.contains("2026-11-28 01:22 UTC"));
            assert!(body.contains("48 hours"));
            assert!(!body.to_lowercase().contains("anna.berg"));
        }
        assert!(m.html_body().contains("Anna &lt;Berg&gt;"));
        assert!(!format!("{m:?}").contains("Kp7xQ2mZr9TbW4vN"));
    }

    #[test]
    fn the_switch_puts_the_username_in() {
        let m = reset(true);
        assert!(m.text_body().contains("Username: Anna.Berg"));
        assert!(m.html_body().contains("Anna.Berg"));
    }

    #[test]
    fn html_escaping_covers_the_five_characters() {
        let mut out = Zeroizing::new(String::new());
        push_escaped_html(&mut out, "a&b<c>d\"e'f é");
        assert_eq!(out.as_str(), "a&amp;b&lt;c&gt;d&quot;e&#39;f é");
    }

    #[test]
    fn values_longer_than_the_first_buffer_are_filled_in_whole() {
        let long = "ü".repeat(300);
        let filled = fill("<{{v}}>{{unknown}}{{", &[("v", &long)], push_escaped_html);
        assert_eq!(filled.as_str(), format!("<{long}>{{{{unknown}}}}{{{{"));
    }

    #[test]
    fn bad_templates_are_refused() {
        let mut t = Templates::default();
        t.reset.text.push_str("{{username}}");
        assert!(t.check().unwrap_err().to_string().contains("username"));
        let mut t = Templates::default();
        t.reset.html = "no secret here {{expires_at}}".into();
        assert!(t.check().is_err());
        let mut t = Templates::default();
        t.password_changed.text.push_str("{{nope}}");
        assert!(t.check().is_err());
        let mut t = Templates::default();
        t.reset.subject = "Hi\r\nBcc: x@evil.example".into();
        assert!(t.check().is_err());
    }
}
