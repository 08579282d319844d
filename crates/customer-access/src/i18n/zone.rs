//! Time zones: where a contact reads the clock.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use jiff::tz::{TimeZone, TimeZoneDatabase};

use crate::clock::Timestamp;

/// Longest name accepted: the longest IANA name is 32 characters
/// (`America/Argentina/ComodRivadavia`).
pub(crate) const MAX_TIME_ZONE_LEN: usize = 64;

/// The IANA time-zone database bundled into this crate (by jiff), so a contact's local time
/// is the same on every host, whatever its `/usr/share/zoneinfo` or `TZ` says.
fn database() -> &'static TimeZoneDatabase {
    static DATABASE: OnceLock<TimeZoneDatabase> = OnceLock::new();
    DATABASE.get_or_init(TimeZoneDatabase::bundled)
}

/// An IANA time-zone name (`Europe/Berlin`, `Pacific/Auckland`) known to the bundled
/// database, in the database's spelling.
///
/// ```
/// use customer_access::i18n::TimeZoneName;
/// let berlin: TimeZoneName = "europe/berlin".parse()?;
/// assert_eq!(berlin.as_str(), "Europe/Berlin");
/// assert!("Mars/Olympus_Mons".parse::<TimeZoneName>().is_err());
/// # Ok::<(), customer_access::i18n::TimeZoneError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimeZoneName(String);

/// A time-zone name that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimeZoneError {
    /// Longer than 64 characters.
    #[error("a time-zone name has at most {MAX_TIME_ZONE_LEN} characters")]
    TooLong,
    /// Not a name in the IANA time-zone database.
    #[error("not an IANA time-zone name such as `Europe/Berlin`")]
    Unknown,
}

/// A moment as a clock on the wall of a time zone shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalTime {
    /// Year, e.g. 2026.
    pub year: i16,
    /// Month, 1 = January.
    pub month: i8,
    /// Day of the month, from 1.
    pub day: i8,
    /// Day of the week, 1 = Monday ... 7 = Sunday.
    pub weekday: i8,
    /// Hour, 0-23.
    pub hour: i8,
    /// Minute, 0-59.
    pub minute: i8,
    /// The zone's abbreviation at that moment from the database (`CET`, `CEST`, `NZDT`), or
    /// its offset where the database has no letters for it (`-03`).
    pub abbreviation: String,
}

impl TimeZoneName {
    /// Look `name` up in the bundled database (ASCII case does not matter).
    ///
    /// # Errors
    /// [`TimeZoneError`] for an over-long or unknown name; nothing else is done.
    pub fn parse(name: &str) -> Result<Self, TimeZoneError> {
        if name.len() > MAX_TIME_ZONE_LEN {
            return Err(TimeZoneError::TooLong);
        }
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"/_-+".contains(&b)) {
            return Err(TimeZoneError::Unknown);
        }
        let zone = database().get(name).map_err(|_| TimeZoneError::Unknown)?;
        let canonical = zone.iana_name().ok_or(TimeZoneError::Unknown)?;
        Ok(Self(canonical.to_owned()))
    }

    /// `UTC`.
    pub fn utc() -> Self {
        Self("UTC".to_owned())
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `at` on this zone's wall clock.
    pub fn local_time(&self, at: Timestamp) -> LocalTime {
        // Parsed once, so present in the same bundled database; UTC if that ever failed.
        let zone = database().get(&self.0).unwrap_or(TimeZone::UTC);
        let instant = jiff::Timestamp::from_millisecond(at.unix_millis()).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let info = zone.to_offset_info(instant);
        let wall = info.offset().to_datetime(instant);
        LocalTime {
            year: wall.year(),
            month: wall.month(),
            day: wall.day(),
            weekday: wall.weekday().to_monday_one_offset(),
            hour: wall.hour(),
            minute: wall.minute(),
            abbreviation: info.abbreviation().to_owned(),
        }
    }
}

impl FromStr for TimeZoneName {
    type Err = TimeZoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TimeZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TimeZoneName({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> Timestamp {
        let t: jiff::Timestamp = rfc3339.parse().unwrap();
        Timestamp::from_unix_millis(t.as_millisecond())
    }

    #[test]
    fn names_come_from_the_bundled_database() {
        assert_eq!(TimeZoneName::parse("PACIFIC/AUCKLAND").unwrap().as_str(), "Pacific/Auckland");
        for bad in ["", "Berlin", "Europe/Berlinn", "../../etc/passwd", "CET+1", "Europe/Berlin\n"] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn local_time_follows_daylight_saving() {
        let berlin = TimeZoneName::parse("Europe/Berlin").unwrap();
        // Summer time ends 2026-10-25 01:00 UTC in the EU.
        let before = berlin.local_time(at("2026-10-25T00:30:00Z"));
        assert_eq!((before.hour, before.minute, before.abbreviation.as_str()), (2, 30, "CEST"));
        let after = berlin.local_time(at("2026-10-25T01:30:00Z"));
        assert_eq!((after.hour, after.minute, after.abbreviation.as_str()), (2, 30, "CET"));
        let auckland = TimeZoneName::parse("Pacific/Auckland").unwrap().local_time(at("2026-11-30T09:06:00Z"));
        assert_eq!(
            (auckland.weekday, auckland.day, auckland.month, auckland.hour, auckland.abbreviation.as_str()),
            (1, 30, 11, 22, "NZDT")
        );
    }
}
