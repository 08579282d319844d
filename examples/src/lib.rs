//! Runnable examples for `customer-access`; see `examples/*.rs` and the README.
#![forbid(unsafe_code)]
