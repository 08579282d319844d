//! Benchmark 1: one hash and one verification at the default parameters (Argon2id,
//! m = 19456 KiB, t = 2, p = 1) by three engines, in interleaved rounds so drift hits all:
//! - the pool: a worker thread with its reused memory (what the service runs);
//! - the `argon2` crate's `PasswordHasher`/`PasswordVerifier`: a fresh allocation each time;
//! - libargon2, the C reference, through `argon2-kdf`, which compiles libargon2's `opt.c`
//!   with `-march=native` (the AVX2 build on an AVX2 machine). Its build needs libclang, so it
//!   is compiled only with `RUSTFLAGS="--cfg customer_access_libargon2"` (as `.ci/run` and
//!   `benches/README.md` do); without it the C rows say "not run" and a plain
//!   `cargo test --workspace --all-features` needs nothing but the Rust toolchain.
//!
//! The two baselines run on a blocking-pool thread, like the pool's own worker.

use std::time::{Duration, Instant};

use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};
use customer_access::hashing::HashPool;
use customer_access::policy::Argon2Settings;

use crate::report::{Row, per_op_ms, rounds};

const PASSWORD: &[u8] = b"correct horse battery 7";
const PER_ROUND: u32 = 4;

/// Accumulated time per engine for one operation.
#[derive(Default)]
struct Times {
    pool: Duration,
    crate_fresh: Duration,
    /// `None` when the C reference is not compiled in.
    c: Option<Duration>,
}

/// Run benchmark 1.
pub async fn run(rows: &mut Vec<Row>) {
    let settings = Argon2Settings::default();
    let pool = HashPool::new(&settings, 1, 64).unwrap();
    let stored = pool.hash(PASSWORD).await.unwrap();
    let phc = stored.as_phc().to_owned();
    c_reference::check(&phc);
    let (mut hash, mut verify) = (Times::default(), Times::default());
    let n = rounds(5, 20);
    for _ in 0..n {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            pool.hash(PASSWORD).await.unwrap();
        }
        hash.pool += start.elapsed();
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            assert!(pool.verify(PASSWORD, Some(&stored)).await.unwrap());
        }
        verify.pool += start.elapsed();
        let phc = phc.clone();
        let (h_crate, v_crate, h_c, v_c) = tokio::task::spawn_blocking(move || baselines(&phc)).await.unwrap();
        hash.crate_fresh += h_crate;
        verify.crate_fresh += v_crate;
        hash.c = h_c.map(|t| t + hash.c.unwrap_or_default());
        verify.c = v_c.map(|t| t + verify.c.unwrap_or_default());
    }
    let ops = n * PER_ROUND;
    for (what, t) in [("hash", &hash), ("verify", &verify)] {
        let (pool_ms, crate_ms, c_ms) =
            (per_op_ms(t.pool, ops), per_op_ms(t.crate_fresh, ops), t.c.map(|c| per_op_ms(c, ops)));
        let c_row = format!("1. {what}: pool / libargon2 (C, opt.c, -march=native)");
        rows.push(match c_ms {
            Some(c_ms) => {
                Row::at_most(c_row, pool_ms / c_ms, 1.2, "<= 1.2", format!("{pool_ms:.1} ms vs {c_ms:.1} ms"))
            }
            None => Row::skipped(c_row, "<= 1.2", c_reference::NOT_BUILT.to_owned()),
        });
        rows.push(Row::at_most(
            format!("1. {what}: pool / argon2 crate, fresh memory per call"),
            pool_ms / crate_ms,
            1.0,
            "<= 1.0",
            format!("{pool_ms:.1} ms vs {crate_ms:.1} ms"),
        ));
    }
}

/// One round of both baselines on the current (blocking-pool) thread: times for
/// (crate hash, crate verify, C hash, C verify); the C times are `None` when the C
/// reference is not compiled in.
fn baselines(phc: &str) -> (Duration, Duration, Option<Duration>, Option<Duration>) {
    let argon = argon2::Argon2::default();
    let start = Instant::now();
    for _ in 0..PER_ROUND {
        argon.hash_password_with_salt(PASSWORD, b"bench-salt-16byt").unwrap();
    }
    let crate_hash = start.elapsed();
    let parsed = PasswordHash::new(phc).unwrap();
    let start = Instant::now();
    for _ in 0..PER_ROUND {
        argon.verify_password(PASSWORD, &parsed).unwrap();
    }
    let crate_verify = start.elapsed();
    let (c_hash, c_verify) = c_reference::time(phc).unzip();
    (crate_hash, crate_verify, c_hash, c_verify)
}

/// libargon2 through `argon2-kdf`, compiled in only with `--cfg customer_access_libargon2`
/// (its bindgen step needs libclang, which a fresh machine does not have).
#[cfg(customer_access_libargon2)]
mod c_reference {
    use std::str::FromStr;
    use std::time::{Duration, Instant};

    use super::{PASSWORD, PER_ROUND};

    /// Never shown: the rows exist when the reference is compiled in.
    pub const NOT_BUILT: &str = "";

    /// libargon2 must verify the pool's hash: both compute the same function.
    pub fn check(phc: &str) {
        assert!(argon2_kdf::Hash::from_str(phc).unwrap().verify(PASSWORD), "libargon2 verifies the pool's hash");
    }

    /// Times for `PER_ROUND` hashes and `PER_ROUND` verifications of `phc`.
    pub fn time(phc: &str) -> Option<(Duration, Duration)> {
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            argon2_kdf::Hasher::new()
                .algorithm(argon2_kdf::Algorithm::Argon2id)
                .salt_length(16)
                .hash_length(32)
                .iterations(2)
                .memory_cost_kib(19_456)
                .threads(1)
                .hash(PASSWORD)
                .unwrap();
        }
        let hash = start.elapsed();
        let reference = argon2_kdf::Hash::from_str(phc).unwrap();
        let start = Instant::now();
        for _ in 0..PER_ROUND {
            assert!(reference.verify(PASSWORD));
        }
        Some((hash, start.elapsed()))
    }
}

/// Stand-in when the C reference is not compiled in: its rows say how to run it.
#[cfg(not(customer_access_libargon2))]
mod c_reference {
    use std::time::Duration;

    /// Why the C rows are missing.
    pub const NOT_BUILT: &str =
        "not run: build with RUSTFLAGS=\"--cfg customer_access_libargon2\" (needs libclang; see benches/README.md)";

    /// Nothing to check without the reference.
    pub fn check(_phc: &str) {}

    /// No times without the reference.
    pub fn time(_phc: &str) -> Option<(Duration, Duration)> {
        None
    }
}
