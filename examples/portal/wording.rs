//! What the library answers, in the contact's words: each password rule, each rule a new
//! password breaks (instead of the policy crate's English `Display`), and how long a lockout
//! lasts.

use std::time::Duration;

use customer_access::i18n::MessageArgs;
use customer_access::policy::PasswordViolation;
#[cfg(test)]
use customer_access::policy::PasswordViolations;

use crate::i18n::Words;

/// A count as a message argument (counts this large do not occur; they saturate).
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The rule "at least `min` characters".
pub(crate) fn min_length_rule(t: &Words<'_>, min: usize) -> String {
    t.with("rule-min-length", &MessageArgs::new().number("min", count(min)))
}

/// One line per rule a refused password breaks, all at once, with the rule's numbers.
#[cfg(test)]
pub(crate) fn violations(t: &Words<'_>, violations: &PasswordViolations) -> Vec<String> {
    violations.as_slice().iter().map(|v| violation(t, v)).collect()
}

/// One rule a refused password breaks, in the reader's words.
pub(crate) fn violation(t: &Words<'_>, violation: &PasswordViolation) -> String {
    match violation {
        PasswordViolation::TooShort { min, actual } => t.with(
            "password-too-short",
            &MessageArgs::new().number("min", count(*min)).number("actual", count(*actual)),
        ),
        PasswordViolation::TooLong { max } => {
            t.with("password-too-long", &MessageArgs::new().number("max", count(*max)))
        }
        PasswordViolation::MissingDigit => t.get("password-missing-digit"),
        PasswordViolation::MissingLetter => t.get("password-missing-letter"),
        PasswordViolation::ControlCharacter => t.get("password-control-character"),
        PasswordViolation::SameAsUsername => t.get("password-same-as-username"),
        PasswordViolation::SameAsTemporaryPassword => t.get("password-same-as-temporary"),
        PasswordViolation::CommonPassword => t.get("password-common"),
        // A rule added to the policy crate after this portal was written: still refused,
        // and said so in the contact's language, if less precisely.
        _ => t.get("password-rejected"),
    }
}

/// "Try again in ...": whole minutes from a minute on, else seconds, rounded up so that
/// trying again at the time named never meets the lockout.
pub(crate) fn locked_out(t: &Words<'_>, retry_after: Duration) -> String {
    let seconds = retry_after.as_millis().div_ceil(1000).max(1);
    let (id, name, value) = if seconds < 60 {
        ("locked-out-seconds", "seconds", seconds)
    } else {
        ("locked-out-minutes", "minutes", seconds.div_ceil(60))
    };
    t.with(id, &MessageArgs::new().number(name, i64::try_from(value).unwrap_or(i64::MAX)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "test code")]

    use customer_access::i18n::Locale;

    use super::*;
    use crate::i18n::Pages;

    #[test]
    fn lockouts_are_named_with_the_right_plural() {
        let pages = Pages::shipped().unwrap();
        let de = pages.words(&Locale::parse("de").unwrap());
        let wait = |ms| locked_out(&de, Duration::from_millis(ms));
        assert_eq!(wait(300), "Zu viele Versuche. Bitte versuchen Sie es in 1 Sekunde erneut.");
        assert_eq!(wait(1_200), "Zu viele Versuche. Bitte versuchen Sie es in 2 Sekunden erneut.");
        assert_eq!(wait(60_000), "Zu viele Versuche. Bitte versuchen Sie es in 1 Minute erneut.");
        assert_eq!(wait(900_000), "Zu viele Versuche. Bitte versuchen Sie es in 15 Minuten erneut.");
        let en = pages.english();
        assert_eq!(locked_out(&en, Duration::from_secs(61)), "Too many attempts. Try again in 2 minutes.");
    }

    #[test]
    fn each_violation_has_its_own_words_and_numbers() {
        let pages = Pages::shipped().unwrap();
        let all = PasswordViolations::new(vec![
            PasswordViolation::TooShort { min: 8, actual: 1 },
            PasswordViolation::TooLong { max: 128 },
            PasswordViolation::MissingDigit,
            PasswordViolation::MissingLetter,
            PasswordViolation::ControlCharacter,
            PasswordViolation::SameAsUsername,
            PasswordViolation::SameAsTemporaryPassword,
            PasswordViolation::CommonPassword,
        ])
        .unwrap();
        let fr = violations(&pages.words(&Locale::parse("fr").unwrap()), &all);
        assert_eq!(fr[0], "Le mot de passe doit comporter au moins 8 caractères (il en a 1).");
        assert_eq!(fr[1], "Le mot de passe doit comporter au plus 128 caractères.");
        let mut distinct = fr.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), all.as_slice().len(), "one message per rule");
        // The English lines keep the words the browser test looks for.
        let en = violations(&pages.english(), &all).join(" ");
        assert!(en.contains("at least 8 characters") && en.contains("at least 1 number"), "{en}");
    }
}
