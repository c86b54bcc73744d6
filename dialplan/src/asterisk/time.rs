//! Civil time and Asterisk's time specifications (`GotoIfTime`, timed `include =>`).
//!
//! The dialplan never reads a clock: the caller passes the local date and time of the call as a
//! [`CivilTime`] to every [`Machine::step`](super::Machine::step).
//!
//! A time specification is `times,weekdays,mdays,months` (fields may also be separated by `|`;
//! missing trailing fields mean "any"), each field `*` or a list of ranges joined with `&`:
//!
//! | field | values | example |
//! |---|---|---|
//! | times | `hh:mm-hh:mm`, or a single `hh:mm` | `09:00-17:59&19:00-20:00` |
//! | weekdays | `sun`…`sat` (case-insensitive), or `1`…`7` with `1` = Sunday | `mon-fri` |
//! | mdays | `1`…`31` | `1-15` |
//! | months | `jan`…`dec`, or `1`…`12` | `dec-feb` |
//!
//! As in Asterisk (`main/pbx_timing.c`): resolution is one minute and the end minute of a range
//! is included (`09:00-17:00` holds until 17:00:59); ranges may wrap (`22:00-06:00`, `fri-mon`,
//! `nov-feb`); an element that does not parse is skipped with a warning, so a times field of
//! nothing but invalid elements never matches while a bad weekday field means no weekday.
//!
//! **Difference:** a fifth field (a time zone) cannot be honoured, since Ringway has no zone
//! database in the core; the caller's `CivilTime` is the only clock. A literal time zone is a
//! load error; one that arrives through a variable is ignored with a warning.

use std::fmt;

/// A local date and time of day, as the caller's clock reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

/// A date or time of day that does not exist (`2025-02-30`, `24:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no such date and time: {year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")]
pub struct InvalidCivilTime {
    year: i32,
    month: u8,
    day: u8,
    hour: u8,
    minute: u8,
    second: u8,
}

impl CivilTime {
    /// A date (month 1–12, day 1–28/29/30/31) and a time of day (hour 0–23, minute 0–59,
    /// second 0–59).
    pub fn new(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
    ) -> Result<CivilTime, InvalidCivilTime> {
        let valid = (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month)
            && hour < 24
            && minute < 60
            && second < 60;
        if valid {
            Ok(CivilTime { year, month, day, hour, minute, second })
        } else {
            Err(InvalidCivilTime { year, month, day, hour, minute, second })
        }
    }

    /// The year.
    pub fn year(&self) -> i32 {
        self.year
    }

    /// The month, 1–12.
    pub fn month(&self) -> u8 {
        self.month
    }

    /// The day of the month, 1–31.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// The hour, 0–23.
    pub fn hour(&self) -> u8 {
        self.hour
    }

    /// The minute, 0–59.
    pub fn minute(&self) -> u8 {
        self.minute
    }

    /// The second, 0–59.
    pub fn second(&self) -> u8 {
        self.second
    }

    /// The day of the week, 0 = Sunday … 6 = Saturday (proleptic Gregorian calendar).
    pub fn weekday(&self) -> u8 {
        // Days since 1970-01-01 (a Thursday), by Howard Hinnant's days_from_civil.
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        (days + 4).rem_euclid(7) as u8
    }
}

impl fmt::Display for CivilTime {
    /// `2025-03-14 09:26:53`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

const MINUTES: usize = 24 * 60;
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTHS: [&str; 12] =
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// A parsed time specification (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TimeSpec {
    /// One bit per minute of the day.
    minutes: [u64; MINUTES / 64 + 1],
    weekdays: u8,
    mdays: u32,
    months: u16,
}

/// Something in a time specification that Asterisk would skip with a warning.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TimeSpecProblem {
    /// A time or time range that does not parse.
    #[error("'{0}' is not a time or time range (hh:mm or hh:mm-hh:mm)")]
    Time(String),
    /// A weekday that is not `sun`…`sat` or 1–7.
    #[error("'{0}' is not a day of the week (sun…sat or 1–7)")]
    Weekday(String),
    /// A day of the month outside 1–31.
    #[error("'{0}' is not a day of the month (1–31)")]
    MonthDay(String),
    /// A month that is not `jan`…`dec` or 1–12.
    #[error("'{0}' is not a month (jan…dec or 1–12)")]
    Month(String),
    /// A fifth field: a time zone.
    #[error("time zone '{0}' cannot be honoured: the caller's local time is used")]
    TimeZone(String),
}

impl TimeSpec {
    /// Parses `times,weekdays,mdays,months[,timezone]` and lists what Asterisk would skip.
    pub fn parse(spec: &str) -> (TimeSpec, Vec<TimeSpecProblem>) {
        let mut problems = Vec::new();
        let mut fields = spec.split([',', '|']);
        let minutes = minutes(fields.next().unwrap_or(""), &mut problems);
        let mut range = |field: Option<&str>,
                         max: u32,
                         names: &[&str],
                         problem: fn(String) -> TimeSpecProblem| {
            range(field.unwrap_or("*"), max, names, problem, &mut problems)
        };
        let weekdays = range(fields.next(), 7, &DAYS, TimeSpecProblem::Weekday) as u8;
        let mdays = range(fields.next(), 31, &[], TimeSpecProblem::MonthDay);
        let months = range(fields.next(), 12, &MONTHS, TimeSpecProblem::Month) as u16;
        let rest: Vec<&str> = fields.collect();
        if !rest.is_empty() && !rest.join(",").trim().is_empty() {
            problems.push(TimeSpecProblem::TimeZone(rest.join(",")));
        }
        (TimeSpec { minutes, weekdays, mdays, months }, problems)
    }

    /// Whether `now` falls within the specification.
    pub fn matches(&self, now: CivilTime) -> bool {
        let minute = usize::from(now.hour) * 60 + usize::from(now.minute);
        self.months & (1 << (now.month - 1)) != 0
            && self.mdays & (1 << (now.day - 1)) != 0
            && self.weekdays & (1 << now.weekday()) != 0
            && self.minutes[minute / 64] & (1 << (minute % 64)) != 0
    }
}

fn minutes(field: &str, problems: &mut Vec<TimeSpecProblem>) -> [u64; MINUTES / 64 + 1] {
    let mut mask = [0u64; MINUTES / 64 + 1];
    let mut set = |m: usize| mask[m / 64] |= 1 << (m % 64);
    let field = field.trim();
    if field.is_empty() || field == "*" {
        (0..MINUTES).for_each(&mut set);
        return mask;
    }
    for part in field.split('&') {
        let parsed = match part.split_once('-') {
            None => clock(part).map(|m| (m, m)),
            Some((start, end)) => clock(start).zip(clock(end)),
        };
        let Some((start, end)) = parsed else {
            problems.push(TimeSpecProblem::Time(part.to_owned()));
            continue;
        };
        let mut m = start;
        while m != end {
            set(m);
            m = (m + 1) % MINUTES;
        }
        set(end);
    }
    mask
}

/// `hh:mm` (one or two digits each, surrounding spaces allowed) as minutes since midnight.
fn clock(s: &str) -> Option<usize> {
    let (h, m) = s.trim().split_once(':')?;
    let digits = |s: &str| {
        (!s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<usize>().ok())
            .flatten()
    };
    let (h, m) = (digits(h)?, digits(m)?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// A field of `max` values (bit 0 = the first), `*` for all, `&`-joined ranges that may wrap.
fn range(
    field: &str,
    max: u32,
    names: &[&str],
    problem: fn(String) -> TimeSpecProblem,
    problems: &mut Vec<TimeSpecProblem>,
) -> u32 {
    let field = field.trim();
    if field.is_empty() || field == "*" {
        return (1 << max) - 1;
    }
    let index = |s: &str| -> Option<u32> {
        let s = s.trim();
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(s)) {
            return Some(i as u32);
        }
        let n: u32 = s.parse().ok().filter(|_| s.len() <= 2)?;
        (1..=max).contains(&n).then(|| n - 1)
    };
    let mut mask = 0;
    for part in field.split('&') {
        let parsed = match part.split_once('-') {
            None => index(part).map(|i| (i, i)),
            Some((start, end)) => index(start).zip(index(end)),
        };
        let Some((mut start, end)) = parsed else {
            problems.push(problem(part.to_owned()));
            continue;
        };
        mask |= 1 << end;
        while start != end {
            mask |= 1 << start;
            start = (start + 1) % max;
        }
    }
    mask
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i32, month: u8, day: u8, hour: u8, minute: u8) -> CivilTime {
        CivilTime::new(year, month, day, hour, minute, 0).expect("valid time")
    }

    #[test]
    fn weekdays_follow_the_gregorian_calendar() {
        assert_eq!(at(1970, 1, 1, 0, 0).weekday(), 4, "Thursday");
        assert_eq!(at(2000, 2, 29, 0, 0).weekday(), 2, "Tuesday");
        assert_eq!(at(2025, 3, 14, 0, 0).weekday(), 5, "Friday");
        assert_eq!(at(2024, 12, 29, 0, 0).weekday(), 0, "Sunday");
        assert_eq!(at(1969, 12, 31, 0, 0).weekday(), 3, "Wednesday");
    }

    #[test]
    fn impossible_dates_and_times_are_rejected() {
        assert!(CivilTime::new(2025, 2, 29, 0, 0, 0).is_err());
        assert!(CivilTime::new(2024, 2, 29, 0, 0, 0).is_ok());
        assert!(CivilTime::new(1900, 2, 29, 0, 0, 0).is_err());
        assert!(CivilTime::new(2025, 4, 31, 0, 0, 0).is_err());
        assert!(CivilTime::new(2025, 1, 1, 24, 0, 0).is_err());
        assert!(CivilTime::new(2025, 13, 1, 0, 0, 0).is_err());
    }

    #[test]
    fn time_specs_match_as_asterisk_does() {
        // 2025-03-14 is a Friday; 2025-03-15 a Saturday.
        let cases: &[(&str, CivilTime, bool)] = &[
            ("09:00-17:00,mon-fri,*,*", at(2025, 3, 14, 9, 0), true),
            ("09:00-17:00,mon-fri,*,*", at(2025, 3, 14, 8, 59), false),
            ("09:00-17:00,mon-fri,*,*", at(2025, 3, 14, 17, 0), true),
            ("09:00-17:00,mon-fri,*,*", at(2025, 3, 14, 17, 1), false),
            ("09:00-17:00,mon-fri,*,*", at(2025, 3, 15, 12, 0), false),
            ("22:00-06:00,*,*,*", at(2025, 3, 15, 23, 30), true),
            ("22:00-06:00,*,*,*", at(2025, 3, 15, 3, 0), true),
            ("22:00-06:00,*,*,*", at(2025, 3, 15, 12, 0), false),
            ("*,fri-mon,*,*", at(2025, 3, 15, 12, 0), true),
            ("*,FRI-Mon,*,*", at(2025, 3, 12, 12, 0), false),
            ("*,*,1-15,*", at(2025, 3, 14, 12, 0), true),
            ("*,*,1-13,*", at(2025, 3, 14, 12, 0), false),
            ("*,*,*,nov-feb", at(2025, 1, 14, 12, 0), true),
            ("*,*,*,nov-feb", at(2025, 3, 14, 12, 0), false),
            ("*,*,*,3", at(2025, 3, 14, 12, 0), true),
            ("*,6,*,*", at(2025, 3, 14, 12, 0), true),
            ("12:00,*,*,*", at(2025, 3, 14, 12, 0), true),
            ("12:00,*,*,*", at(2025, 3, 14, 12, 1), false),
            ("08:00-09:00&12:00-13:00,sat&sun", at(2025, 3, 15, 12, 30), true),
            ("*", at(2025, 3, 14, 12, 0), true),
            ("*|mon|*|*", at(2025, 3, 14, 12, 0), false),
            ("*,*,25|*", at(2025, 12, 25, 0, 0), true),
        ];
        for &(spec, now, expected) in cases {
            let (parsed, problems) = TimeSpec::parse(spec);
            assert!(problems.is_empty(), "{spec}: {problems:?}");
            assert_eq!(parsed.matches(now), expected, "{spec} at {now}");
        }
    }

    #[test]
    fn invalid_elements_are_skipped_and_reported() {
        let (spec, problems) = TimeSpec::parse("9-17,mon-fry,0,foo,Europe/Moscow");
        assert_eq!(
            problems,
            [
                TimeSpecProblem::Time("9-17".into()),
                TimeSpecProblem::Weekday("mon-fry".into()),
                TimeSpecProblem::MonthDay("0".into()),
                TimeSpecProblem::Month("foo".into()),
                TimeSpecProblem::TimeZone("Europe/Moscow".into()),
            ]
        );
        assert!(!spec.matches(at(2025, 3, 14, 12, 0)), "no valid time: never");
    }
}
