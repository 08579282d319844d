//! Session records as they rest in the database: found by a digest of the session id and
//! encrypted under a key derived from it, so that a reader of the table (a backup, a replica,
//! an SQL injection elsewhere) holds neither a usable session id nor what a session carries
//! (a pending change ticket, who is logged in).
//!
//! The session id (128 random bits from tower-sessions) is the only secret: the row key is
//! BLAKE2b-256 of it under one domain, the XChaCha20-Poly1305 key BLAKE2b-256 under another,
//! a fresh random 192-bit nonce per write, the row key as associated data (a sealed record
//! copied onto another row does not open).

use blake2::{Blake2b256, Digest};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store;
use zeroize::Zeroizing;

const ROW_DOMAIN: &[u8] = b"customer-access session row v1\0";
const KEY_DOMAIN: &[u8] = b"customer-access session key v1\0";
const NONCE_LEN: usize = 24;

/// The database key of session `id`: a digest, from which the id cannot be recovered.
pub(crate) fn row_key(id: &Id) -> [u8; 32] {
    digest(ROW_DOMAIN, id).into()
}

fn digest(domain: &[u8], id: &Id) -> blake2::digest::Output<Blake2b256> {
    let mut hasher = Blake2b256::new();
    hasher.update(domain);
    hasher.update(id.0.to_le_bytes());
    hasher.finalize()
}

fn cipher(id: &Id) -> XChaCha20Poly1305 {
    let key = Zeroizing::new(<[u8; 32]>::from(digest(KEY_DOMAIN, id)));
    XChaCha20Poly1305::new(&Key::from(*key))
}

/// `record` encrypted for its row: `nonce || ciphertext`.
pub(crate) fn seal(record: &Record) -> session_store::Result<Vec<u8>> {
    let plain = Zeroizing::new(serde_json::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?);
    let mut nonce = [0u8; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| session_store::Error::Encode(format!("no randomness for a nonce: {e}")))?;
    let aad = row_key(&record.id);
    let sealed = cipher(&record.id)
        .encrypt(&XNonce::from(nonce), Payload { msg: &plain, aad: &aad })
        .map_err(|_| session_store::Error::Encode("session record could not be encrypted".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The record sealed for `id`, or `None` if it does not open under `id` (tampered, moved from
/// another row, or written by something else): treated as no session at all, never an error
/// a client could provoke.
pub(crate) fn open(id: &Id, sealed: &[u8]) -> Option<Record> {
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
    let nonce = XNonce::try_from(nonce).ok()?;
    let aad = row_key(id);
    let plain = Zeroizing::new(cipher(id).decrypt(&nonce, Payload { msg: ciphertext, aad: &aad }).ok()?);
    let record: Record = serde_json::from_slice(&plain).ok()?;
    (record.id == *id).then_some(record)
}

/// Seconds since the Unix epoch, as stored beside the sealed record for expiry.
pub(crate) fn unix(at: OffsetDateTime) -> i64 {
    at.unix_timestamp()
}

/// Now, in the stored form.
pub(crate) fn now() -> i64 {
    unix(OffsetDateTime::now_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(value: &str) -> Record {
        let mut data = std::collections::HashMap::new();
        data.insert("k".to_owned(), serde_json::Value::String(value.to_owned()));
        Record { id: Id::default(), data, expiry_date: OffsetDateTime::now_utc() }
    }

    #[test]
    fn a_sealed_record_opens_under_its_id_only() {
        let r = record("secret ticket text");
        let sealed = seal(&r).unwrap();
        assert_eq!(open(&r.id, &sealed), Some(r.clone()));
        assert_eq!(open(&Id::default(), &sealed), None, "another id's key does not open it");
        let text = String::from_utf8_lossy(&sealed);
        assert!(!text.contains("secret ticket text") && !text.contains(&r.id.to_string()));
    }

    #[test]
    fn tampering_or_truncation_is_no_session() {
        let r = record("v");
        let mut sealed = seal(&r).unwrap();
        let last = sealed.len() - 1;
        sealed[last] ^= 1;
        assert_eq!(open(&r.id, &sealed), None);
        assert_eq!(open(&r.id, &sealed[..10]), None);
        assert_eq!(open(&r.id, &[]), None);
    }

    #[test]
    fn each_write_has_its_own_nonce() {
        let r = record("v");
        assert_ne!(seal(&r).unwrap(), seal(&r).unwrap());
    }

    #[test]
    fn the_row_key_is_not_the_id() {
        let id = Id::default();
        assert_ne!(&row_key(&id)[..16], &id.0.to_le_bytes()[..]);
        assert_eq!(row_key(&id), row_key(&id));
    }
}
