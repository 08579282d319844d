//! Runnable examples for `customer-access` (see `examples/*.rs`). The crate's documentation
//! is the repository README, so its code snippets are compiled and run as doctests.
#![doc = include_str!("../../README.md")]
#![forbid(unsafe_code)]

pub mod loopback_http;
