#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod blocklist;
mod legacy;
mod nist;
mod normalize;
mod password;
mod security;
mod temporary;
mod violation;
mod wipe;

pub use blocklist::common_password_count;
pub use legacy::LegacyHashLimits;
pub use nist::{NIST_MIN_MAX_LENGTH, NIST_SINGLE_FACTOR_MIN_LENGTH, NistDeparture};
pub use normalize::{UsernameError, UsernameKey, UsernameRules, fold_username, normalize_password};
pub use password::{PasswordContext, PasswordPolicy};
pub use security::{
    Argon2Settings, Budget, ConfigError, DeviceTokenPolicy, LoginBackoff, ResetThrottle, SecurityPolicy,
    StaffResetBudgets,
};
pub use temporary::{TEMPORARY_PASSWORD_LENGTH, TemporaryPassword, temporary_password_alphabet};
pub use violation::{PasswordViolation, PasswordViolations};

/// Re-exported so callers name the same secret types this crate returns.
pub use secrecy;
