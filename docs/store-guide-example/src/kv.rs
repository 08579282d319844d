//! A toy ordered key-value engine with the one primitive a `Store` needs from any key-value
//! database: an atomic transaction that applies its writes only if every key it read still
//! has the version it read (etcd's `Txn`, FoundationDB's transactions, DynamoDB's
//! `TransactWriteItems` with conditions, Redis `WATCH`/`MULTI`). Replace it with your
//! database's client; the store above it does not change shape.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A stored value and the version it was written at (0: absent).
pub type Versioned = (Option<Vec<u8>>, u64);

/// A transaction: the versions it read, then the writes to apply if they still hold.
#[derive(Debug, Default)]
pub struct Txn {
    /// `(key, version read)`; version 0 means "the key was absent".
    pub checks: Vec<(String, u64)>,
    /// `(key, Some(value))` puts, `(key, None)` deletes.
    pub writes: Vec<(String, Option<Vec<u8>>)>,
}

#[derive(Debug, Default)]
struct State {
    data: BTreeMap<String, (Vec<u8>, u64)>,
    clock: u64,
}

/// The engine. Thread-safe; every call is atomic.
#[derive(Debug, Default)]
pub struct Kv(Mutex<State>);

impl Kv {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The value of `key` and its version.
    pub fn get(&self, key: &str) -> Versioned {
        self.state().data.get(key).map_or((None, 0), |(v, version)| (Some(v.clone()), *version))
    }

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    pub fn scan(&self, prefix: &str) -> Vec<(String, Vec<u8>)> {
        let state = self.state();
        state
            .data
            .range(prefix.to_owned()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }

    /// At most `limit` `(key, value)` pairs whose key starts with `prefix` and sorts before
    /// `below`, greatest key first: a reverse range read, what keyset pages need (etcd's
    /// `SortOrder::Descend`, FoundationDB's `reverse`, DynamoDB's `ScanIndexForward: false`).
    pub fn scan_back(&self, prefix: &str, below: &str, limit: usize) -> Vec<(String, Vec<u8>)> {
        let state = self.state();
        state
            .data
            .range(..below.to_owned())
            .rev()
            .take_while(|(k, _)| k.starts_with(prefix))
            .take(limit)
            .map(|(k, (v, _))| (k.clone(), v.clone()))
            .collect()
    }

    /// A number no other call gets (ids).
    pub fn next_number(&self) -> u64 {
        let mut state = self.state();
        state.clock += 1;
        state.clock
    }

    /// Apply `txn` if every check holds; `false` (and nothing written) otherwise.
    pub fn commit(&self, txn: Txn) -> bool {
        let mut state = self.state();
        let holds = txn.checks.iter().all(|(k, read)| state.data.get(k).map_or(0, |(_, v)| *v) == *read);
        if !holds {
            return false;
        }
        state.clock += 1;
        let version = state.clock;
        for (key, value) in txn.writes {
            match value {
                Some(v) => state.data.insert(key, (v, version)),
                None => state.data.remove(&key),
            };
        }
        true
    }
}
