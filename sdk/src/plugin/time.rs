//! Wall-clock time as the host's `now` gives it, and the little calendar arithmetic
//! time-of-day routing needs (weekday and minute of the day at a fixed UTC offset).
//!
//! Time zones with daylight saving are deliberately out of scope: a plugin configures the
//! offset it routes by.

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];

    /// Parses a three-letter English name (`mon`, `Tue`), case-insensitively.
    pub fn parse(name: &str) -> Option<Weekday> {
        const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        NAMES.iter().position(|n| n.eq_ignore_ascii_case(name)).map(|i| Weekday::ALL[i])
    }

    /// Whether this is Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Sat | Weekday::Sun)
    }
}

/// A moment: seconds and nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime {
    /// Whole seconds since the epoch.
    pub secs: u64,
    /// Nanoseconds past `secs`.
    pub nanos: u32,
}

impl UnixTime {
    /// The local seconds since the epoch at `offset_minutes` east of UTC (negative: west).
    fn local_secs(self, offset_minutes: i32) -> i64 {
        // u64 seconds fit i64 until the year 292 billion.
        self.secs as i64 + i64::from(offset_minutes) * 60
    }

    /// The weekday at `offset_minutes` east of UTC.
    pub fn weekday(self, offset_minutes: i32) -> Weekday {
        let days = self.local_secs(offset_minutes).div_euclid(86_400);
        // 1970-01-01 was a Thursday.
        Weekday::ALL[(days + 3).rem_euclid(7) as usize]
    }

    /// Minutes since local midnight (0–1439) at `offset_minutes` east of UTC.
    pub fn minute_of_day(self, offset_minutes: i32) -> u16 {
        (self.local_secs(offset_minutes).rem_euclid(86_400) / 60) as u16
    }
}

/// Parses `HH:MM` into minutes since midnight.
pub fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && h * 60 + m <= 1440).then_some(h * 60 + m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_was_a_thursday_and_offsets_move_the_day() {
        assert_eq!(UnixTime::default().weekday(0), Weekday::Thu);
        // 2026-05-04 is a Monday; 08:30 UTC.
        let t = UnixTime { secs: 1_777_883_400, nanos: 0 };
        assert_eq!(t.weekday(0), Weekday::Mon);
        assert_eq!(t.minute_of_day(0), 8 * 60 + 30);
        assert_eq!(t.minute_of_day(180), 11 * 60 + 30, "Moscow");
        assert_eq!(t.weekday(-600), Weekday::Sun, "Hawaii is still on Sunday");
        assert_eq!(t.minute_of_day(-600), 22 * 60 + 30);
    }

    #[test]
    fn weekday_names_and_times_parse() {
        assert_eq!(Weekday::parse("Sat"), Some(Weekday::Sat));
        assert!(Weekday::parse("Sat").is_some_and(Weekday::is_weekend));
        assert_eq!(Weekday::parse("xyz"), None);
        assert_eq!(parse_hhmm("09:00"), Some(540));
        assert_eq!(parse_hhmm("24:00"), Some(1440));
        assert_eq!(parse_hhmm("24:01"), None);
        assert_eq!(parse_hhmm("9"), None);
    }
}
