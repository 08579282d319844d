//! Temporary passwords: generated on reset, e-mailed once, never stored in plaintext.

use std::fmt;

use rand_core::CryptoRng;
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::password::PasswordPolicy;

/// Digits a reader cannot confuse: no `0` or `1`.
const DIGITS: &[u8] = b"23456789";
/// Letters a reader cannot confuse: no `O`/`o` (zero), `I`/`l` (one), nor `i` (its pair).
const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz";

/// Default length of a temporary password. 16 characters carry about 89 bits of entropy:
/// above the 80-bit floor even with one position fixed to a digit and one to a letter.
pub const TEMPORARY_PASSWORD_LENGTH: usize = 16;

/// The alphabet temporary passwords are drawn from: the digits `2-9`, then the letters, all
/// URL-safe and without look-alikes (`0 O o 1 l I i`), so a password read from a phone
/// screen and typed on a keyboard survives the trip.
pub fn temporary_password_alphabet() -> impl Iterator<Item = char> {
    DIGITS.iter().chain(LETTERS).map(|b| char::from(*b))
}

/// A generated temporary password. `Debug` prints `[REDACTED]`; there is no `Display`; the
/// bytes are zeroized on drop.
pub struct TemporaryPassword(SecretString);

impl fmt::Debug for TemporaryPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TemporaryPassword([REDACTED])")
    }
}

impl ExposeSecret<str> for TemporaryPassword {
    fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }
}

impl TemporaryPassword {
    /// Generate a temporary password that satisfies `policy` by construction.
    ///
    /// Its length is the larger of [`TEMPORARY_PASSWORD_LENGTH`] and `policy.min_length`;
    /// one position holds a digit and one a letter (then all positions are shuffled), so
    /// the composition rules hold without any retry; it is ASCII, so it has no control
    /// characters; and the blocklist holds no entry of that length and alphabet (a unit
    /// test proves it). `rng` must be a cryptographic RNG (the OS RNG in production).
    ///
    /// ```
    /// use customer_access_policy::{PasswordContext, PasswordPolicy, TemporaryPassword};
    /// use secrecy::ExposeSecret;
    /// let mut rng = rand_core::UnwrapErr(getrandom::SysRng); // the OS RNG
    /// let policy = PasswordPolicy::default();
    /// let temp = TemporaryPassword::generate(&mut rng, &policy);
    /// assert_eq!(temp.expose_secret().len(), 16);
    /// assert!(policy.validate(temp.expose_secret(), &PasswordContext::default()).is_ok());
    /// assert_eq!(format!("{temp:?}"), "TemporaryPassword([REDACTED])");
    /// ```
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R, policy: &PasswordPolicy) -> Self {
        let length = Self::length_for(policy);
        let mut bytes = Zeroizing::new(Vec::with_capacity(length));
        bytes.push(DIGITS[uniform_below(rng, DIGITS.len())]);
        bytes.push(LETTERS[uniform_below(rng, LETTERS.len())]);
        let full = DIGITS.len() + LETTERS.len();
        while bytes.len() < length {
            let i = uniform_below(rng, full);
            bytes.push(if i < DIGITS.len() { DIGITS[i] } else { LETTERS[i - DIGITS.len()] });
        }
        // Fisher-Yates: the digit and the letter may end up anywhere.
        for i in (1..bytes.len()).rev() {
            let j = uniform_below(rng, i + 1);
            bytes.swap(i, j);
        }
        let mut text = String::with_capacity(length);
        text.extend(bytes.iter().map(|b| char::from(*b)));
        Self(SecretString::from(text))
    }

    /// Length of the passwords [`generate`](Self::generate) makes for `policy`.
    pub fn length_for(policy: &PasswordPolicy) -> usize {
        TEMPORARY_PASSWORD_LENGTH.max(policy.min_length)
    }

    /// Entropy in bits of a generated password of `length` characters, counting only the
    /// choice of characters (the shuffle adds more, which this ignores).
    pub fn entropy_bits(length: usize) -> f64 {
        let digits = (DIGITS.len() as f64).log2();
        let letters = (LETTERS.len() as f64).log2();
        let any = ((DIGITS.len() + LETTERS.len()) as f64).log2();
        digits + letters + length.saturating_sub(2) as f64 * any
    }
}

/// A uniform index in `0..n` (`n <= 256`) by rejection sampling of single bytes, so no
/// value is favoured by a modulo bias.
fn uniform_below<R: CryptoRng + ?Sized>(rng: &mut R, n: usize) -> usize {
    debug_assert!((1..=256).contains(&n));
    let limit = 256 - 256 % n;
    loop {
        let mut byte = [0u8; 1];
        rng.fill_bytes(&mut byte);
        let value = usize::from(byte[0]);
        if value < limit {
            return value % n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::fold_username;

    #[test]
    fn alphabet_has_no_lookalikes_and_is_url_safe() {
        let alphabet: String = temporary_password_alphabet().collect();
        for bad in ['0', 'O', 'o', '1', 'l', 'I', 'i'] {
            assert!(!alphabet.contains(bad), "{bad} in alphabet");
        }
        assert!(alphabet.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(alphabet.len(), 55);
    }

    #[test]
    fn default_length_has_at_least_80_bits() {
        assert!(TemporaryPassword::entropy_bits(TEMPORARY_PASSWORD_LENGTH) >= 80.0);
        assert!(TemporaryPassword::entropy_bits(TEMPORARY_PASSWORD_LENGTH - 2) < 80.0);
    }

    #[test]
    fn no_blocklist_entry_has_the_generated_shape() {
        let alphabet: Vec<String> = temporary_password_alphabet().map(|c| fold_username(&c.to_string())).collect();
        let shaped = crate::blocklist::all().iter().filter(|entry| {
            entry.chars().count() >= TEMPORARY_PASSWORD_LENGTH
                && entry.chars().all(|c| alphabet.iter().any(|a| a.starts_with(c)))
        });
        assert_eq!(shaped.count(), 0);
    }

    #[test]
    fn length_follows_a_longer_minimum() {
        let policy = PasswordPolicy { min_length: 24, ..PasswordPolicy::default() };
        assert_eq!(TemporaryPassword::length_for(&policy), 24);
    }
}
