//! One error shape for both trait families a backend implements: a kind the service acts
//! on, and the backend's own error kept as the source (never flattened into a string, so
//! the chain survives). [`StoreError`](crate::store::StoreError) and
//! [`MailError`](crate::mailer::MailError) are this type with their kinds.

use std::error::Error as StdError;
use std::fmt;

/// A kind of failure: what the caller can do about it, and a one-line description.
pub trait ErrorKind: Copy + fmt::Debug + PartialEq + Send + Sync + 'static {
    /// What went wrong, in a few words (the error's `Display`).
    fn describe(self) -> &'static str;
}

/// A failure of kind `K`, with the backend's error as the source.
#[derive(Debug)]
pub struct KindError<K> {
    kind: K,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl<K: ErrorKind> KindError<K> {
    /// An error of `kind` without a source.
    pub fn new(kind: K) -> Self {
        Self { kind, source: None }
    }

    /// An error of `kind` caused by `source` (kept for the error chain).
    pub fn with_source(kind: K, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source: Some(source.into()) }
    }

    /// The kind.
    pub fn kind(&self) -> K {
        self.kind
    }
}

impl<K: ErrorKind> fmt::Display for KindError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind.describe())
    }
}

impl<K: ErrorKind> StdError for KindError<K> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn StdError + 'static))
    }
}
