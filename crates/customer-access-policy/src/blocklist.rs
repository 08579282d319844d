//! The compiled-in list of common passwords (see `data/README.md` for source and license).

use std::sync::OnceLock;

use crate::normalize::fold_secret;

const RAW: &str = include_str!("../data/common-passwords.txt");

fn entries() -> &'static [&'static str] {
    static ENTRIES: OnceLock<Vec<&'static str>> = OnceLock::new();
    ENTRIES.get_or_init(|| RAW.lines().filter(|l| !l.is_empty()).collect())
}

/// Is `password` (already NFKC) on the blocklist? Matching is case-insensitive: the
/// candidate is folded exactly as the list was when it was generated (into a string wiped on
/// drop: it is the password in lower case).
pub(crate) fn is_common(normalized_password: &str) -> bool {
    let folded = fold_secret(normalized_password);
    entries().binary_search(&folded.as_str()).is_ok()
}

/// Number of entries in the compiled-in list.
pub fn common_password_count() -> usize {
    entries().len()
}

#[cfg(test)]
pub(crate) fn all() -> &'static [&'static str] {
    entries()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold_username;

    #[test]
    fn list_is_sorted_unique_normalised_and_complete() {
        let list = entries();
        assert_eq!(list.len(), 10_000);
        assert!(list.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        for entry in list {
            assert_eq!(fold_username(entry), *entry, "entry {entry:?} not normalised");
        }
    }

    #[test]
    fn well_known_passwords_are_listed_in_any_case() {
        for p in ["password", "PASSWORD", "Password1", "qwerty123", "iloveyou", "１２３４５６"] {
            let nfkc = crate::normalize::normalize_password(p);
            assert!(is_common(&nfkc), "{p} should be blocked");
        }
        assert!(!is_common("k7-Vq2-ZmRt-8wXa"));
    }
}
