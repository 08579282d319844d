//! The one text form of the library's opaque secrets (change tickets, device tokens):
//! `<contact id>.<43 characters of unpadded base64url>` (256 random bits), of which only a
//! domain-separated BLAKE2b-256 digest of the random part is ever stored.

use base64ct::{Base64UrlUnpadded, Encoding};
use blake2::{Blake2b256, Digest};
use secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

use crate::ids::ContactId;

const SECRET_BYTES: usize = 32;
const SECRET_CHARS: usize = 43;

/// A new random token text for `contact`.
pub(crate) fn generate(contact: ContactId) -> SecretString {
    let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
    crate::random::fill(secret.as_mut_slice());
    let encoded = Zeroizing::new(Base64UrlUnpadded::encode_string(secret.as_slice()));
    SecretString::from(format!("{}.{}", contact.get(), encoded.as_str()))
}

/// The contact of a submitted token text (untrusted input), if it has exactly the issued
/// shape.
pub(crate) fn parse(text: &str) -> Option<ContactId> {
    let (id, secret) = text.split_once('.')?;
    let raw: i64 = id.parse().ok()?;
    if raw.to_string() != id || secret.len() != SECRET_CHARS {
        return None;
    }
    let mut bytes = Zeroizing::new([0u8; SECRET_BYTES]);
    let decoded = Base64UrlUnpadded::decode(secret, bytes.as_mut_slice()).ok()?;
    (decoded.len() == SECRET_BYTES).then_some(ContactId::new(raw))
}

/// Lower-case hex of BLAKE2b-256(`domain` || random part of `text`): what is stored.
pub(crate) fn digest_hex(domain: &[u8], text: &SecretString) -> String {
    let secret = text.expose_secret().split_once('.').map_or("", |(_, s)| s);
    let mut hasher = Blake2b256::new();
    hasher.update(domain);
    hasher.update(secret.as_bytes());
    base16ct::lower::encode_string(&hasher.finalize())
}
