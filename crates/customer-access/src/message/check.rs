//! The start-up check of a [`MessageCatalog`]: no catalog that could send a broken e-mail.
//!
//! Two checks, because either alone has a gap. Each message's syntax tree says which values
//! it can show on *any* arguments: the temporary password and the username only in their
//! own line, once, outside every select expression, function call and referenced message,
//! so no hour count, weekday or locale the sample misses can duplicate or hide them; no
//! string literal with a brace, so no translation can spell a marker itself. Rendering every
//! e-mail with sample arguments then checks what only output shows: one-line subjects, the
//! expiry with its time and zone, Fluent errors (unknown variables and messages, cycles).

use fluent_bundle::FluentResource;
use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use fluent_syntax::unicode::unescape_unicode_to_string;

use super::{
    DISPLAY_NAME, FILLED, LAYOUTS, Line, MessageCatalog, NEW_EMAIL, PARTS, TEMPORARY_PASSWORD, USERNAME, holes,
    sample_args,
};
use crate::i18n::{LocalTime, Locale, MissingMessage, TranslationError, Translations};

/// Deepest chain of message references followed (Fluent itself refuses cycles).
const MAX_DEPTH: usize = 8;

/// See the module docs.
pub(super) fn catalog(catalog: &MessageCatalog) -> Result<Vec<MissingMessage>, TranslationError> {
    let ids = MessageCatalog::message_ids();
    let holes = holes();
    let missing = catalog.translations.check(&ids, &sample_args(&holes, "Monday 30 November 2026, 22:06 NZDT"))?;
    let mut locales: Vec<Locale> = catalog.translations.locales().cloned().collect();
    locales.push(catalog.default_locale.clone());
    for locale in &locales {
        values_by_tree(&catalog.translations, locale)?;
        rendered(catalog, locale)?;
    }
    Ok(missing)
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

/// Which filled-in values a message can show, from its syntax tree.
#[derive(Default)]
struct Uses {
    /// Variables in the message's own text, outside any select, call or reference: each
    /// renders exactly once, whatever the arguments.
    once: Vec<String>,
    /// Variables anywhere else: they may render any number of times.
    nested: Vec<String>,
    /// A string literal makes a brace.
    brace: bool,
}

fn values_by_tree(translations: &Translations, locale: &Locale) -> Result<(), TranslationError> {
    let fail =
        |id: &str, detail: String| TranslationError::Message { locale: locale.clone(), id: id.to_owned(), detail };
    let mut checks: Vec<(&str, &[&str], Option<&str>)> = Vec::new();
    for id in PARTS {
        checks.push((id, &[], None));
    }
    for layout in LAYOUTS {
        checks.push((layout.subject, &[], None));
        for line in layout.lines {
            checks.push(match *line {
                Line::Plain(id) | Line::Expiry(id) => (id, &[DISPLAY_NAME], None),
                Line::Username(id) => (id, &[DISPLAY_NAME], Some(USERNAME)),
                Line::Password(id) => (id, &[DISPLAY_NAME], Some(TEMPORARY_PASSWORD)),
                Line::Change(id) => (id, &[DISPLAY_NAME], Some(NEW_EMAIL)),
            });
        }
    }
    for (id, free, once) in checks {
        let Some(pattern) = translations.pattern(locale, id, None) else { continue };
        let mut uses = Uses::default();
        walk_pattern(Some((translations, locale)), pattern, false, 0, &mut uses);
        if uses.brace {
            return Err(fail(id, "a string literal may not make `{` or `}`".into()));
        }
        for name in FILLED.iter().filter(|n| !free.contains(n)) {
            let in_text = uses.once.iter().filter(|u| u == name).count();
            let elsewhere = uses.nested.iter().any(|u| u == name);
            let wanted = usize::from(once == Some(*name));
            if in_text != wanted || elsewhere {
                let detail = if wanted == 1 {
                    format!("must show ${name} exactly once, in its own text (not in a select, call or reference)")
                } else {
                    format!("may not show ${name}")
                };
                return Err(fail(id, detail));
            }
        }
    }
    Ok(())
}

/// Record the variables of `pattern` in `uses`; `nested` once inside anything that may
/// repeat or drop it. With `translations`, follow message references (as nested).
fn walk_pattern(
    translations: Option<(&Translations, &Locale)>,
    pattern: &Pattern<&str>,
    nested: bool,
    depth: usize,
    uses: &mut Uses,
) {
    for element in &pattern.elements {
        match element {
            PatternElement::TextElement { value } => uses.brace |= value.contains(['{', '}']),
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
        InlineExpression::StringLiteral { value } => {
            uses.brace |= unescape_unicode_to_string(value).contains(['{', '}']);
        }
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
                return;
            }
            if let Some(pattern) = t.pattern(locale, id.name, attribute.as_ref().map(|a| a.name)) {
                walk_pattern(translations, pattern, true, depth + 1, uses);
            }
        }
    }
}

/// What only rendering shows (see the module docs).
fn rendered(catalog: &MessageCatalog, locale: &Locale) -> Result<(), TranslationError> {
    let translations = &catalog.translations;
    let fail =
        |id: &str, detail: String| TranslationError::Message { locale: locale.clone(), id: id.to_owned(), detail };
    let sample = LocalTime::sample();
    let date = catalog.date_time_of(locale, &sample);
    for needle in [sample.abbreviation.as_str(), "2026", "30", "22", "06"] {
        if !date.contains(needle) {
            return Err(fail(
                "date-time",
                format!("must show the year, day, hour, minute and zone; {needle:?} missing"),
            ));
        }
    }
    let holes = holes();
    let args = sample_args(&holes, &date);
    let changed_by = translations.format(locale, "changed-by-sales-rep", &args).unwrap_or_default();
    let args = args.text("changed_by", changed_by.clone());
    for layout in LAYOUTS {
        let subject = translations.format(locale, layout.subject, &args).unwrap_or_default();
        if subject.trim().is_empty() || subject.chars().any(char::is_control) || subject.contains(['{', '}']) {
            return Err(fail(layout.subject, "a subject is one non-empty line without values".into()));
        }
        for line in layout.lines {
            let text = translations.format(locale, line.id(), &args).unwrap_or_default();
            let required: Vec<&str> = match line {
                Line::Plain(_) => vec![],
                Line::Username(_) => vec![&holes[2]],
                Line::Password(_) => vec![&holes[1]],
                Line::Expiry(_) => vec![&date],
                Line::Change(_) => vec![&date, &holes[3], &changed_by],
            };
            for needle in required {
                if text.matches(needle).count() != 1 {
                    return Err(fail(line.id(), format!("must show {needle:?} exactly once")));
                }
            }
        }
    }
    Ok(())
}
