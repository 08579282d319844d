//! Filling values into rendered message text without leaving copies of a secret behind.

use zeroize::Zeroizing;

/// The template with every known `{{placeholder}}` replaced: `write` appends a value to the
/// output (as it is, or escaped), directly, so no value is copied on its own.
pub(super) fn fill(
    template: &str,
    values: &[(&str, &str)],
    write: impl Fn(&mut Zeroizing<String>, &str),
) -> Zeroizing<String> {
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
pub(super) fn push(out: &mut Zeroizing<String>, s: &str) {
    let needed = out.len().saturating_add(s.len());
    if needed > out.capacity() {
        let mut larger = Zeroizing::new(String::with_capacity(needed.max(out.capacity().saturating_mul(2))));
        larger.push_str(out);
        *out = larger;
    }
    out.push_str(s);
}

/// Append `s` to `out`, HTML-escaped.
pub(super) fn push_escaped_html(out: &mut Zeroizing<String>, s: &str) {
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
}
