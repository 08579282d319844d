//! [`SecurityPolicy`]: every security parameter of the library, its default and its reason.

use std::fmt;
use std::time::Duration;

use crate::legacy::LegacyHashLimits;
use crate::nist::NIST_MIN_MAX_LENGTH;
use crate::normalize::UsernameRules;
use crate::password::PasswordPolicy;

/// Every security parameter, with its default and the reason for it.
///
/// Build one with [`Default`] and change fields; the core service refuses a policy for which
/// [`check`](Self::check) fails, so a bad configuration file is an error at start-up, not a
/// weak deployment. With the `serde` feature it loads from an application's config file
/// (durations in whole seconds, fields suffixed `_secs`; unknown fields are refused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct SecurityPolicy {
    /// Rules for new passwords. Default: the seed's (8 characters, a number, a letter) plus
    /// our additions; see [`PasswordPolicy`].
    pub password: PasswordPolicy,
    /// What a username may look like. Default: 3 to 64 characters of `a-z 0-9 . _ - @ +`
    /// after folding; see [`UsernameRules`].
    pub username: UsernameRules,
    /// How long a temporary password works. Default **48 hours**, the seed's figure: long
    /// enough to cover a weekend of e-mail, short enough that a forgotten e-mail stops being
    /// a key.
    #[cfg_attr(feature = "serde", serde(rename = "temporary_password_ttl_secs", with = "secs"))]
    pub temporary_password_ttl: Duration,
    /// For this long after a temporary password expires, its hash is kept, and a login with
    /// it (and with nothing else that matches) is told the temporary password has expired, so
    /// the page can offer a new one instead of "invalid username or password". Default **30
    /// days**: a contact back from a holiday still gets the helpful answer. Only someone who
    /// holds the e-mailed secret learns anything; every other failure keeps the one answer
    /// and the same cost. Zero turns the notice off.
    #[cfg_attr(feature = "serde", serde(rename = "expired_temporary_notice_secs", with = "secs"))]
    pub expired_temporary_notice: Duration,
    /// How long a change ticket (returned by a login with the temporary password) can be
    /// redeemed. Default **10 minutes**: the user is on the "set a new password" page right
    /// now; a ticket that outlives the visit is only a replay risk.
    #[cfg_attr(feature = "serde", serde(rename = "change_ticket_ttl_secs", with = "secs"))]
    pub change_ticket_ttl: Duration,
    /// Reset e-mails per contact per window. Default 3 per hour: enough for "I deleted the
    /// e-mail", too few to bomb an inbox.
    pub reset_throttle: ResetThrottle,
    /// Delay after repeated failed logins for one username. Default: 5 free failures, then
    /// 1 s doubling to at most 15 minutes, forgotten after 24 hours quiet.
    pub login_backoff: LoginBackoff,
    /// Recognised devices ("device cookies"): a login from a device that logged in before
    /// is throttled on its own, so a stranger guessing at a username cannot lock its owner's
    /// devices out. Default: valid 90 days, at most 10 per contact.
    pub device_tokens: DeviceTokenPolicy,
    /// After staff change a contact's e-mail address, for this long a staff reset needs a
    /// second staff member's approval and a self-service reset e-mails the previous address
    /// only. Default **72 hours** (a weekend plus a day): the notice sent to the previous
    /// address must reach the contact before anyone can use the new address to take the
    /// login over. Zero turns the hold off.
    #[cfg_attr(feature = "serde", serde(rename = "staff_email_change_hold_secs", with = "secs"))]
    pub staff_email_change_hold: Duration,
    /// How many staff resets, removals and renames one staff member, one iPad and one retailer may
    /// account for in a sliding window. Past a budget a staff reset is refused (and audited, and reported to
    /// the application's alert hook) until the window slides on. Default: **10 per hour per
    /// iPad**, **30 per 24 hours per staff member**, **20 per hour per retailer**; see
    /// [`StaffResetBudgets`].
    pub staff_reset_budgets: StaffResetBudgets,
    /// Put the username into the reset e-mail. Default **false**, the seed's default: the
    /// e-mail alone should not be a complete set of credentials.
    pub include_username_in_reset_email: bool,
    /// Argon2id parameters for new hashes. Default the OWASP minimum m = 19456 KiB, t = 2,
    /// p = 1.
    pub argon2: Argon2Settings,
    /// Hashes computed at once. Default 2 (one per core of the reference machine). Memory
    /// for hashing is at most this times `argon2.memory_kib`.
    pub max_concurrent_hashes: usize,
    /// Hash requests allowed to wait for a worker (a login's two verifications are one
    /// request). Default 64. When full the service answers `Overloaded` at once instead of
    /// queueing without bound.
    pub hash_queue_depth: usize,
    /// Bounds on the cost of password hashes imported from other systems; see
    /// [`LegacyHashLimits`] for the defaults and why they also bound every login.
    pub legacy_hashes: LegacyHashLimits,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        Self {
            password: PasswordPolicy::default(),
            username: UsernameRules::default(),
            temporary_password_ttl: Duration::from_secs(48 * 3600),
            expired_temporary_notice: Duration::from_secs(30 * 86_400),
            change_ticket_ttl: Duration::from_secs(10 * 60),
            reset_throttle: ResetThrottle::default(),
            login_backoff: LoginBackoff::default(),
            device_tokens: DeviceTokenPolicy::default(),
            staff_email_change_hold: Duration::from_secs(72 * 3600),
            staff_reset_budgets: StaffResetBudgets::default(),
            include_username_in_reset_email: false,
            argon2: Argon2Settings::default(),
            max_concurrent_hashes: 2,
            hash_queue_depth: 64,
            legacy_hashes: LegacyHashLimits::default(),
        }
    }
}

/// Sliding-window budgets for staff resets (temporary passwords issued by staff, with or
/// without revoking the current password), removals and username changes (either frees the
/// username for an invitation to any address, so it counts as a reset by other means). A lost or misused iPad is the main insider risk
/// of a field sales force: these bound what one device, one person and one customer's
/// contacts can be put through before a human looks.
///
/// The defaults come from the work itself. A rep at a customer's counter resets the
/// passwords of the few contacts in front of them: ten an hour on one iPad is a busy visit,
/// not a script. A sales admin answering a help line handles a day's calls: thirty a day
/// per person. A retailer has a handful to a few dozen contacts: twenty resets of one
/// retailer's contacts in an hour, by anyone, is a takeover of the whole customer, not
/// support. Each budget applies to everyone (the device budget to iPad users only); raise
/// one for a known event (an onboarding day) rather than removing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct StaffResetBudgets {
    /// Per staff member, on any device. Default 30 per 24 hours.
    pub per_staff_member: Budget,
    /// Per iPad (an iPad user's device id). Default 10 per hour.
    pub per_device: Budget,
    /// Per retailer, by all staff together. Default 20 per hour.
    pub per_retailer: Budget,
}

impl Default for StaffResetBudgets {
    fn default() -> Self {
        Self {
            per_staff_member: Budget { max: 30, window: Duration::from_secs(86_400) },
            per_device: Budget { max: 10, window: Duration::from_secs(3600) },
            per_retailer: Budget { max: 20, window: Duration::from_secs(3600) },
        }
    }
}

impl StaffResetBudgets {
    /// The longest window: audit retention never removes events younger than this, or a
    /// budget would forget resets it must count.
    pub fn longest_window(&self) -> Duration {
        self.per_staff_member.window.max(self.per_device.window).max(self.per_retailer.window)
    }
}

/// At most `max` events in any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
#[non_exhaustive]
pub struct Budget {
    /// Events allowed per window (at least 1).
    pub max: u32,
    /// The window (1 minute to 30 days).
    #[cfg_attr(feature = "serde", serde(rename = "window_secs", with = "secs"))]
    pub window: Duration,
}

impl Budget {
    /// At most `max` per `window`.
    pub fn new(max: u32, window: Duration) -> Self {
        Self { max, window }
    }
}

/// At most `max_requests` reset e-mails per contact in any `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct ResetThrottle {
    /// Requests that send an e-mail per window. Default 3.
    pub max_requests: u32,
    /// Window length. Default 1 hour.
    #[cfg_attr(feature = "serde", serde(rename = "window_secs", with = "secs"))]
    pub window: Duration,
}

impl Default for ResetThrottle {
    fn default() -> Self {
        Self { max_requests: 3, window: Duration::from_secs(3600) }
    }
}

/// Recognised-device tokens, the OWASP "device cookie": issued at a successful login,
/// stored only as a digest, ended by any credential change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct DeviceTokenPolicy {
    /// How long a token is recognised. Default 90 days: a device used monthly stays known.
    #[cfg_attr(feature = "serde", serde(rename = "ttl_secs", with = "secs"))]
    pub ttl: Duration,
    /// Tokens kept per contact; the oldest beyond this are dropped. Default 10 (a desk, a
    /// phone, a tablet, a few browsers).
    pub max_per_contact: u32,
}

impl Default for DeviceTokenPolicy {
    fn default() -> Self {
        Self { ttl: Duration::from_secs(90 * 86_400), max_per_contact: 10 }
    }
}

/// Exponential backoff after failed logins, keyed by normalised username (known or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct LoginBackoff {
    /// Failures allowed before any delay. Default 5: typos are free.
    pub free_attempts: u32,
    /// Delay after the first failure past the free ones; doubles with each further failure.
    /// Default 1 second.
    #[cfg_attr(feature = "serde", serde(rename = "base_delay_secs", with = "secs"))]
    pub base_delay: Duration,
    /// Longest delay. Default 15 minutes: bounds how long an attacker can lock a real user
    /// out by guessing on purpose.
    #[cfg_attr(feature = "serde", serde(rename = "max_delay_secs", with = "secs"))]
    pub max_delay: Duration,
    /// Failures older than this are forgotten. Default 24 hours.
    #[cfg_attr(feature = "serde", serde(rename = "forget_after_secs", with = "secs"))]
    pub forget_after: Duration,
    /// Most usernames and devices with failed-login state kept at once. Default 100,000.
    /// Beyond it the entries with the fewest failures go first (then the oldest), so a
    /// spray of one-guess usernames cannot evict an entry that is locking someone out; and
    /// since every charged attempt has been admitted to hashing and costs two Argon2
    /// verifications, even evicting entries of one guess each takes about 30 minutes of a
    /// 2-core server's whole hashing capacity per 100,000.
    pub max_tracked_keys: usize,
}

impl Default for LoginBackoff {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(24 * 3600),
            max_tracked_keys: 100_000,
        }
    }
}

impl LoginBackoff {
    /// How long after the latest of `failures` consecutive failures the next attempt must
    /// wait; `None` while failures are within the free attempts.
    ///
    /// ```
    /// use customer_access_policy::LoginBackoff;
    /// use std::time::Duration;
    /// let b = LoginBackoff::default();
    /// assert_eq!(b.delay_after(5), None);
    /// assert_eq!(b.delay_after(6), Some(Duration::from_secs(1)));
    /// assert_eq!(b.delay_after(8), Some(Duration::from_secs(4)));
    /// assert_eq!(b.delay_after(60), Some(Duration::from_secs(900)));
    /// ```
    pub fn delay_after(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.free_attempts)?.checked_sub(1)?;
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }
}

/// Argon2id parameters for new hashes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(default, deny_unknown_fields))]
#[non_exhaustive]
pub struct Argon2Settings {
    /// Memory in KiB (m). Default 19456 (19 MiB), the OWASP minimum.
    pub memory_kib: u32,
    /// Passes (t). Default 2.
    pub iterations: u32,
    /// Lanes (p). Default 1: parallel lanes only help a server that has idle cores per login.
    pub parallelism: u32,
    /// Stored hashes asking for more memory than this (KiB) are refused before anything is
    /// allocated, so a tampered hash cannot make a login allocate gigabytes. Default 262144
    /// (256 MiB).
    pub max_stored_memory_kib: u32,
    /// Set only by [`danger_insecure_for_tests`](Self::danger_insecure_for_tests).
    #[cfg_attr(feature = "serde", serde(skip))]
    insecure_for_tests: bool,
}

impl Default for Argon2Settings {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
            max_stored_memory_kib: 262_144,
            insecure_for_tests: false,
        }
    }
}

impl Argon2Settings {
    /// OWASP's floor, as the product of memory and passes: every row of the OWASP table
    /// (m=47104 t=1, m=19456 t=2, m=12288 t=3, m=9216 t=4, m=7168 t=5) reaches it.
    pub const MIN_MEMORY_TIMES_ITERATIONS: u64 = 35_840;
    /// Smallest memory OWASP lists (KiB).
    pub const MIN_MEMORY_KIB: u32 = 7_168;

    /// Tiny parameters (m = 64 KiB, t = 1) so tests run fast. Never use them for real
    /// passwords: a GPU checks billions of guesses against such a hash.
    pub fn danger_insecure_for_tests() -> Self {
        Self { memory_kib: 64, iterations: 1, parallelism: 1, insecure_for_tests: true, ..Self::default() }
    }

    /// Did these come from [`danger_insecure_for_tests`](Self::danger_insecure_for_tests)?
    pub fn is_insecure_for_tests(&self) -> bool {
        self.insecure_for_tests
    }
}

/// A [`SecurityPolicy`] value that cannot be used, with the field and the reason.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// `field` has a value outside what is safe or possible.
    Invalid {
        /// Dotted path of the field, e.g. `password.max_length`.
        field: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid { field, reason } => {
                write!(f, "invalid security policy: {field}: {reason}")
            }
        }
    }
}

impl std::error::Error for ConfigError {}

fn invalid(field: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { field, reason: reason.into() }
}

impl SecurityPolicy {
    /// Check every value; the core service calls this and refuses to start on an error.
    ///
    /// ```
    /// use customer_access_policy::SecurityPolicy;
    /// assert!(SecurityPolicy::default().check().is_ok());
    /// let mut weak = SecurityPolicy::default();
    /// weak.argon2.memory_kib = 1024;
    /// assert!(weak.check().unwrap_err().to_string().contains("argon2.memory_kib"));
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the first bad field.
    pub fn check(&self) -> Result<(), ConfigError> {
        let p = &self.password;
        if p.min_length == 0 {
            return Err(invalid("password.min_length", "must be at least 1"));
        }
        if p.max_length < NIST_MIN_MAX_LENGTH || p.max_length < p.min_length {
            return Err(invalid(
                "password.max_length",
                format!("must be at least {NIST_MIN_MAX_LENGTH} and at least password.min_length"),
            ));
        }
        if p.max_length > 4096 {
            return Err(invalid("password.max_length", "must be at most 4096"));
        }
        let u = &self.username;
        if u.min_length == 0 || u.max_length < u.min_length || u.max_length > 256 {
            return Err(invalid("username", "need 1 <= min_length <= max_length <= 256"));
        }
        check_range("temporary_password_ttl", self.temporary_password_ttl, 60, 30 * 86_400)?;
        check_range("expired_temporary_notice", self.expired_temporary_notice, 0, 365 * 86_400)?;
        check_range("change_ticket_ttl", self.change_ticket_ttl, 30, 3600)?;
        if self.reset_throttle.max_requests == 0 {
            return Err(invalid("reset_throttle.max_requests", "must be at least 1"));
        }
        check_range("reset_throttle.window", self.reset_throttle.window, 1, 7 * 86_400)?;
        let b = &self.login_backoff;
        if b.base_delay > b.max_delay {
            return Err(invalid("login_backoff.base_delay", "must not exceed max_delay"));
        }
        check_range("login_backoff.max_delay", b.max_delay, 1, 86_400)?;
        check_range("login_backoff.forget_after", b.forget_after, 60, 30 * 86_400)?;
        if !(16..=100_000_000).contains(&b.max_tracked_keys) {
            return Err(invalid("login_backoff.max_tracked_keys", "must be between 16 and 100000000"));
        }
        check_range("device_tokens.ttl", self.device_tokens.ttl, 60, 400 * 86_400)?;
        if !(1..=100).contains(&self.device_tokens.max_per_contact) {
            return Err(invalid("device_tokens.max_per_contact", "must be between 1 and 100"));
        }
        check_range("staff_email_change_hold", self.staff_email_change_hold, 0, 30 * 86_400)?;
        if let Some((field, reason)) = self.legacy_hashes.problem() {
            return Err(invalid(field, reason));
        }
        let budgets = &self.staff_reset_budgets;
        for (field, window_field, budget) in [
            (
                "staff_reset_budgets.per_staff_member.max",
                "staff_reset_budgets.per_staff_member.window",
                budgets.per_staff_member,
            ),
            ("staff_reset_budgets.per_device.max", "staff_reset_budgets.per_device.window", budgets.per_device),
            ("staff_reset_budgets.per_retailer.max", "staff_reset_budgets.per_retailer.window", budgets.per_retailer),
        ] {
            if !(1..=100_000).contains(&budget.max) {
                return Err(invalid(field, "must be between 1 and 100000"));
            }
            check_range(window_field, budget.window, 60, 30 * 86_400)?;
        }
        self.check_argon2()?;
        if !(1..=256).contains(&self.max_concurrent_hashes) {
            return Err(invalid("max_concurrent_hashes", "must be between 1 and 256"));
        }
        if !(1..=1_000_000).contains(&self.hash_queue_depth) {
            return Err(invalid("hash_queue_depth", "must be between 1 and 1000000"));
        }
        Ok(())
    }

    fn check_argon2(&self) -> Result<(), ConfigError> {
        let a = &self.argon2;
        if !(1..=16).contains(&a.parallelism) {
            return Err(invalid("argon2.parallelism", "must be between 1 and 16"));
        }
        if a.iterations == 0 {
            return Err(invalid("argon2.iterations", "must be at least 1"));
        }
        if a.memory_kib < 8 * a.parallelism {
            return Err(invalid("argon2.memory_kib", "must be at least 8 x parallelism"));
        }
        if a.memory_kib > a.max_stored_memory_kib {
            return Err(invalid("argon2.memory_kib", "must not exceed max_stored_memory_kib"));
        }
        if !a.insecure_for_tests {
            let product = u64::from(a.memory_kib) * u64::from(a.iterations);
            if a.memory_kib < Argon2Settings::MIN_MEMORY_KIB || product < Argon2Settings::MIN_MEMORY_TIMES_ITERATIONS {
                return Err(invalid(
                    "argon2.memory_kib",
                    "below the OWASP minimum (at least 7168 KiB and memory_kib x iterations >= 35840)",
                ));
            }
        }
        Ok(())
    }
}

fn check_range(field: &'static str, value: Duration, min_secs: u64, max_secs: u64) -> Result<(), ConfigError> {
    if value < Duration::from_secs(min_secs) || value > Duration::from_secs(max_secs) {
        return Err(invalid(field, format!("must be between {min_secs} s and {max_secs} s")));
    }
    Ok(())
}

/// Durations as whole seconds in configuration files.
#[cfg(feature = "serde")]
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(value: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(value.as_secs())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
        u64::deserialize(deserializer).map(Duration::from_secs)
    }
}
