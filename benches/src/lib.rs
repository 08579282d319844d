//! Benchmarks for `customer-access`; see `benches/README.md` and `ratios.rs`.
#![forbid(unsafe_code)]
