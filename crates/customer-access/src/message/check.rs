//! The start-up check of a [`MessageCatalog`]: no catalog that could send a broken e-mail.
//!
//! Two checks, because either alone has a gap. Each message's syntax tree says what it can
//! show on *any* arguments, not only the sample's ([`Rule`]): only the arguments its e-mail
//! is given (so no message shows the start-up sample, a date part outside `date-time` or a
//! value of another e-mail); the values it must show (the temporary password, the username,
//! the expiry, the change) exactly once, in its own text, outside every select expression,
//! function call and referenced message, so no hour count, weekday or locale can repeat or
//! drop them; the temporary password and the username nowhere else; no control character
//! that could reach a subject or a date; no string literal with a brace, so no translation
//! can spell a marker itself. Rendering every e-mail with sample arguments, built by the
//! same functions that build the real ones, then checks what only output shows: Fluent's
//! own errors, non-empty subjects.

use fluent_bundle::FluentResource;
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::unicode::unescape_unicode_to_string;

use super::{
    CHANGED_AT, CHANGED_BY, CHANGED_BY_MESSAGES, DATE_MESSAGES, DATE_PARTS, DATE_PARTS_SHOWN, DATE_TIME, DISPLAY_NAME,
    EXPIRES_AT, HOURS, LAYOUTS, Layout, Line, MessageCatalog, NEW_EMAIL, STAFF_ID, TEMPORARY_PASSWORD, USERNAME,
    change_args, date_args, holes, markers, secret_args, staff_args,
};
use crate::actor::Staff;
use crate::i18n::{LocalTime, Locale, MessageArgs, MissingMessage, TranslationError, Translations};
use crate::ids::StaffId;

/// Deepest chain of message references followed; a deeper one is refused.
const MAX_DEPTH: usize = 8;
/// The message every `$hours`-selecting line refers to.
const VALID_FOR: &str = "valid-for";

/// See the module docs.
pub(super) fn catalog(catalog: &MessageCatalog) -> Result<Vec<MissingMessage>, TranslationError> {
    rendered(catalog)?;
    let mut locales: Vec<Locale> = catalog.translations.locales().cloned().collect();
    locales.push(catalog.default_locale.clone());
    let rules = rules();
    for locale in &locales {
        for rule in &rules {
            rule.check(&catalog.translations, locale)?;
        }
        shown(catalog, locale)?;
    }
    Ok(catalog.translations.missing(&MessageCatalog::message_ids()))
}

/// What one message may and must show.
struct Rule {
    id: &'static str,
    /// The arguments it may use (it is rendered with these, and no others).
    allowed: Vec<&'static str>,
    /// The arguments it must show exactly once, in its own text.
    once: &'static [&'static str],
    /// It is, or may become part of, a subject line: no control character, no term (whose
    /// text the bundle does not let the check see).
    one_line: bool,
}

fn rules() -> Vec<Rule> {
    let mut rules = vec![
        Rule { id: "weekday", allowed: vec!["weekday"], once: &[], one_line: true },
        Rule { id: "month", allowed: vec!["month"], once: &[], one_line: true },
        Rule { id: DATE_TIME, allowed: DATE_PARTS.to_vec(), once: &DATE_PARTS_SHOWN, one_line: true },
        Rule { id: VALID_FOR, allowed: vec![HOURS], once: &[], one_line: true },
    ];
    for id in CHANGED_BY_MESSAGES {
        rules.push(Rule { id, allowed: vec![STAFF_ID], once: &[], one_line: true });
    }
    for layout in LAYOUTS {
        rules.push(Rule { id: layout.subject, allowed: layout.shared.to_vec(), once: &[], one_line: true });
        for line in layout.lines {
            let once: &'static [&'static str] = match line {
                Line::Plain(_) => &[],
                Line::Username(_) => &[USERNAME],
                Line::Password(_) => &[TEMPORARY_PASSWORD],
                Line::Expiry(_) => &[EXPIRES_AT],
                Line::Change(_) => &[CHANGED_AT, CHANGED_BY, NEW_EMAIL],
            };
            let mut allowed = vec![DISPLAY_NAME];
            allowed.extend(layout.shared);
            allowed.extend(once);
            rules.push(Rule { id: line.id(), allowed, once, one_line: false });
        }
    }
    rules
}

impl Rule {
    fn check(&self, translations: &Translations, locale: &Locale) -> Result<(), TranslationError> {
        let fail =
            |detail: String| TranslationError::Message { locale: locale.clone(), id: self.id.to_owned(), detail };
        let Some(pattern) = translations.pattern(locale, self.id, None) else { return Ok(()) };
        let mut uses = Uses::default();
        walk_pattern(Some((translations, locale)), pattern, false, 0, &mut uses);
        if uses.brace {
            return Err(fail("a string literal may not make `{` or `}`".into()));
        }
        if let Some(problem) = &uses.reference {
            return Err(fail(problem.clone()));
        }
        if self.one_line && uses.control {
            return Err(fail("must be one line: no line break or other control character".into()));
        }
        if self.one_line && uses.term {
            return Err(fail("may not use a term (`-name`) here".into()));
        }
        let all = uses.once.iter().chain(&uses.nested);
        if let Some(name) = all.into_iter().find(|name| !self.allowed.contains(&name.as_str())) {
            return Err(fail(format!("may not use ${name} (it is given {:?})", self.allowed)));
        }
        for name in self.once {
            let in_text = uses.once.iter().filter(|u| u == name).count();
            if in_text != 1 || uses.nested.iter().any(|u| u == name) {
                return Err(fail(format!(
                    "must show ${name} exactly once, in its own text (not in a select, call or reference)"
                )));
            }
        }
        Ok(())
    }
}

/// What only the rendered e-mails show: no empty subject.
fn shown(catalog: &MessageCatalog, locale: &Locale) -> Result<(), TranslationError> {
    let fail = |id: &str, detail: &str| TranslationError::Message {
        locale: locale.clone(),
        id: id.to_owned(),
        detail: detail.to_owned(),
    };
    let date = catalog.date_time_of(locale, &LocalTime::sample());
    let holes = holes();
    let changed_by = catalog.changed_by(locale, &Staff::SalesAdmin { staff_id: StaffId::new(7) });
    for layout in LAYOUTS {
        let args = sample_args(layout, &holes, &date, &changed_by);
        let subject = catalog.translations.format(locale, layout.subject, &args).unwrap_or_default();
        if subject.trim().is_empty() {
            return Err(fail(layout.subject, "a subject may not be empty"));
        }
    }
    Ok(())
}

/// Every message in every locale rendered with the arguments its e-mail is sent with:
/// English has each message, and Fluent reports no error (an unknown variable or message, a
/// cycle).
fn rendered(catalog: &MessageCatalog) -> Result<(), TranslationError> {
    let translations = &catalog.translations;
    translations.check(&DATE_MESSAGES, &date_args(&LocalTime::sample()))?;
    translations.check(&CHANGED_BY_MESSAGES, &staff_args("7".to_owned()))?;
    let holes = holes();
    for layout in LAYOUTS {
        let mut ids = vec![layout.subject];
        ids.extend(layout.lines.iter().map(|line| line.id()));
        if layout.shared.contains(&HOURS) {
            ids.push(VALID_FOR);
        }
        translations.check(&ids, &sample_args(layout, &holes, "Monday 30 November 2026, 22:06 NZDT", "staff"))?;
    }
    Ok(())
}

/// `layout`'s arguments with sample values, from the builders that make the real ones.
fn sample_args<'a>(layout: &Layout, holes: &'a [String; 4], date: &'a str, changed_by: &str) -> MessageArgs<'a> {
    match layout.shared {
        [EXPIRES_AT, HOURS] => secret_args(holes, date, 48),
        [CHANGED_AT, CHANGED_BY] => change_args(holes, date.to_owned(), changed_by.to_owned()),
        _ => markers(layout, holes),
    }
}

/// Refuse a Fluent source with a string literal that makes a brace: the only way a
/// translation could write a marker such as `{{temporary_password}}` as text. (Plain text
/// cannot hold a brace in Fluent's syntax.) Covers terms too, which the bundle hides.
pub(super) fn source_without_braces(locale: &Locale, source: &str) -> Result<(), TranslationError> {
    let Ok(resource) = FluentResource::try_new(source.to_owned()) else {
        return Ok(()); // `Translations::add` reports the syntax error with its line
    };
    for entry in resource.entries() {
        let (id, value, attributes) = match entry {
            Entry::Message(m) => (m.id.name, m.value.as_ref(), &m.attributes),
            Entry::Term(t) => (t.id.name, Some(&t.value), &t.attributes),
            _ => continue,
        };
        let patterns = value.into_iter().chain(attributes.iter().map(|a| &a.value));
        for pattern in patterns {
            let mut uses = Uses::default();
            walk_pattern(None, pattern, false, 0, &mut uses);
            if uses.brace {
                return Err(TranslationError::Message {
                    locale: locale.clone(),
                    id: id.to_owned(),
                    detail: "a string literal may not make `{` or `}`".into(),
                });
            }
        }
    }
    Ok(())
}

/// What a message can show, from its syntax tree.
#[derive(Default)]
struct Uses {
    /// Variables in the message's own text, outside any select, call or reference: each
    /// renders exactly once, whatever the arguments.
    once: Vec<String>,
    /// Variables anywhere else: they may render any number of times, or not at all.
    nested: Vec<String>,
    /// Text or a string literal makes a brace.
    brace: bool,
    /// Text or a string literal holds a control character (a line break, say).
    control: bool,
    /// A term is referenced.
    term: bool,
    /// A referenced message does not exist, or references nest too deep to follow.
    reference: Option<String>,
}

impl Uses {
    fn text(&mut self, text: &str) {
        self.brace |= text.contains(['{', '}']);
        self.control |= text.chars().any(char::is_control);
    }
}

/// Record what `pattern` shows in `uses`; `nested` once inside anything that may repeat or
/// drop it. With `translations`, follow message references (as nested).
fn walk_pattern(
    translations: Option<(&Translations, &Locale)>,
    pattern: &Pattern<&str>,
    nested: bool,
    depth: usize,
    uses: &mut Uses,
) {
    for element in &pattern.elements {
        match element {
            PatternElement::TextElement { value } => uses.text(value),
            PatternElement::Placeable { expression } => walk_expression(translations, expression, nested, depth, uses),
        }
    }
}

fn walk_expression(
    translations: Option<(&Translations, &Locale)>,
    expression: &Expression<&str>,
    nested: bool,
    depth: usize,
    uses: &mut Uses,
) {
    match expression {
        Expression::Inline(inline) => walk_inline(translations, inline, nested, depth, uses),
        Expression::Select { selector, variants } => {
            walk_inline(translations, selector, true, depth, uses);
            for variant in variants {
                walk_pattern(translations, &variant.value, true, depth, uses);
            }
        }
    }
}

fn walk_inline(
    translations: Option<(&Translations, &Locale)>,
    inline: &InlineExpression<&str>,
    nested: bool,
    depth: usize,
    uses: &mut Uses,
) {
    match inline {
        InlineExpression::StringLiteral { value } => uses.text(&unescape_unicode_to_string(value)),
        InlineExpression::NumberLiteral { .. } => {}
        InlineExpression::VariableReference { id } => {
            let list = if nested { &mut uses.nested } else { &mut uses.once };
            list.push(id.name.to_owned());
        }
        InlineExpression::Placeable { expression } => walk_expression(translations, expression, nested, depth, uses),
        InlineExpression::FunctionReference { arguments, .. } => {
            let named = arguments.named.iter().map(|n| &n.value);
            for argument in arguments.positional.iter().chain(named) {
                walk_inline(translations, argument, true, depth, uses);
            }
        }
        // A term sees only the arguments it is given.
        InlineExpression::TermReference { arguments, .. } => {
            uses.term = true;
            if let Some(arguments) = arguments {
                let named = arguments.named.iter().map(|n| &n.value);
                for argument in arguments.positional.iter().chain(named) {
                    walk_inline(translations, argument, true, depth, uses);
                }
            }
        }
        // A referenced message sees the same arguments: its variables count as shown, but
        // never as "exactly once", since it may be referenced any number of times.
        InlineExpression::MessageReference { id, attribute } => {
            let Some((t, locale)) = translations else { return };
            if depth >= MAX_DEPTH {
                uses.reference = Some(format!("message references nest deeper than {MAX_DEPTH}"));
                return;
            }
            match t.pattern(locale, id.name, attribute.as_ref().map(|a| a.name)) {
                Some(pattern) => walk_pattern(translations, pattern, true, depth + 1, uses),
                None => uses.reference = Some(format!("refers to `{}`, which does not exist", id.name)),
            }
        }
    }
}
