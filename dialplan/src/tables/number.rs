//! Phone numbers: recognising them in a dialed string, normalising them to E.164 (ITU-T E.164,
//! `+` and at most 15 digits), checking them against numbering plans, and writing them the way a
//! gateway wants them ([`format_number`]).
//!
//! Normalisation rules, applied to the dialed string once visual separators (`-`, `.`, space,
//! `(`, `)`) are removed and `%XX` escapes decoded:
//!
//! 1. It must read `+?[0-9*#]+`, or it is not a phone number (the router continues).
//! 2. `+` followed by digits is already E.164 and is kept as is.
//! 3. Digits starting with `international_prefix` (and longer than it): the prefix becomes `+`
//!    (`81044207946…` → `+4420794…`). Checked before the national prefix, which it may start
//!    with (`810` vs `8`).
//! 4. Digits starting with `national_prefix` (and longer than it): the prefix becomes
//!    `+<country_code>` (`89161234567` → `+79161234567`).
//! 5. Digits that start with the country code of a numbering plan and have that plan's digit
//!    count get a `+` (`74951234567` → `+74951234567`).
//! 6. Anything else (short extensions, service codes with `*`/`#`) is left as it is; it matches
//!    no numbering plan, and only routes whose prefix it starts with (`""` at least).

use super::gateway::{Gateway, NumberFormat};

/// The number-rewriting settings of `[routing]`, validated: digit strings or absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Numbering {
    /// The home country code, e.g. `"7"`.
    pub country_code: Option<String>,
    /// The national trunk prefix, e.g. `"8"`; only present together with `country_code`.
    pub national_prefix: Option<String>,
    /// The international prefix, e.g. `"810"` or `"00"`.
    pub international_prefix: Option<String>,
}

/// A validated `[[numbering_plans]]` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NumberingPlan {
    pub(crate) country_code: String,
    pub(crate) min_digits: usize,
    pub(crate) max_digits: usize,
    pub(crate) area_codes: Vec<String>,
}

impl NumberingPlan {
    /// Whether an E.164 number (`+` and digits) has this plan's country code, digit count and
    /// (when the plan lists any) one of its area codes.
    pub(crate) fn matches(&self, number: &str) -> bool {
        let Some(digits) = number.strip_prefix('+') else { return false };
        if !is_digits(digits) || !(self.min_digits..=self.max_digits).contains(&digits.len()) {
            return false;
        }
        let Some(national) = digits.strip_prefix(self.country_code.as_str()) else {
            return false;
        };
        self.area_codes.is_empty() || self.area_codes.iter().any(|a| national.starts_with(a))
    }
}

/// Whether `s` is a non-empty run of ASCII digits.
pub(crate) fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// The dialed string as a phone number (`+?[0-9*#]+`) with visual separators removed and `%XX`
/// escapes decoded, or `None` when it is not one (a user name, a URI, garbage).
pub(crate) fn phone_number(dialed: &str) -> Option<String> {
    let mut out = String::with_capacity(dialed.len());
    let mut bytes = dialed.bytes();
    while let Some(b) = bytes.next() {
        let c = if b == b'%' {
            let hex = [bytes.next()?, bytes.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            u8::from_str_radix(hex, 16).ok()?
        } else {
            b
        };
        match c {
            b'-' | b'.' | b' ' | b'(' | b')' => {}
            b'+' if out.is_empty() => out.push('+'),
            b'0'..=b'9' | b'*' | b'#' => out.push(char::from(c)),
            _ => return None,
        }
    }
    let body = out.strip_prefix('+').unwrap_or(&out);
    (!body.is_empty()).then_some(out)
}

impl Numbering {
    /// Normalises a phone number (as returned by [`phone_number`]) by the rules in the module
    /// docs; `plans` supply the country codes and lengths of rule 5.
    pub(crate) fn normalize(&self, number: &str, plans: &[NumberingPlan]) -> String {
        if number.starts_with('+') || !is_digits(number) {
            return number.to_owned();
        }
        if let Some(rest) = strip_nonempty(number, self.international_prefix.as_deref()) {
            return format!("+{rest}");
        }
        if let (Some(cc), Some(rest)) =
            (&self.country_code, strip_nonempty(number, self.national_prefix.as_deref()))
        {
            return format!("+{cc}{rest}");
        }
        let of_plan_length = |p: &NumberingPlan| {
            number.starts_with(p.country_code.as_str())
                && (p.min_digits..=p.max_digits).contains(&number.len())
        };
        if plans.iter().any(of_plan_length) {
            return format!("+{number}");
        }
        number.to_owned()
    }
}

/// `number` without `prefix`, if it starts with it and something follows.
fn strip_nonempty<'a>(number: &'a str, prefix: Option<&str>) -> Option<&'a str> {
    number.strip_prefix(prefix?).filter(|rest| !rest.is_empty())
}

/// Writes a normalized number the way `gateway` wants it in the Request-URI user part: its
/// `number_format`, then `strip_digits` characters removed from the front, then `add_prefix`.
///
/// `national` writes home-country numbers (`+<country_code>…`) with the national prefix and
/// foreign ones with the international prefix (`+44…` → `81044…`), or as E.164 when no
/// international prefix is configured. Numbers that are not E.164 (extensions, service codes)
/// are not reformatted, only stripped and prefixed.
pub fn format_number(e164: &str, gateway: &Gateway, numbering: &Numbering) -> String {
    let formatted = match (gateway.number_format, e164.strip_prefix('+')) {
        (_, None) | (NumberFormat::E164, _) => e164.to_owned(),
        (NumberFormat::E164NoPlus, Some(digits)) => digits.to_owned(),
        (NumberFormat::National, Some(digits)) => national(e164, digits, numbering),
    };
    let kept = formatted.get(gateway.strip_digits.min(formatted.len())..).unwrap_or_default();
    format!("{}{kept}", gateway.add_prefix)
}

/// The national form of `+<digits>`: see [`format_number`].
fn national(e164: &str, digits: &str, numbering: &Numbering) -> String {
    let home = numbering.country_code.as_deref().and_then(|cc| digits.strip_prefix(cc));
    match (home, &numbering.national_prefix, &numbering.international_prefix) {
        (Some(rest), Some(national), _) => format!("{national}{rest}"),
        (None, _, Some(international)) => format!("{international}{digits}"),
        _ => e164.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::gateway::{Gateway, Transport};
    use crate::tables::policy::HeaderPolicy;

    fn russia() -> Numbering {
        Numbering {
            country_code: Some("7".into()),
            national_prefix: Some("8".into()),
            international_prefix: Some("810".into()),
        }
    }

    fn ru_plan() -> NumberingPlan {
        NumberingPlan {
            country_code: "7".into(),
            min_digits: 11,
            max_digits: 11,
            area_codes: vec!["495".into(), "9".into()],
        }
    }

    fn gateway(format: NumberFormat, strip: usize, add: &str) -> Gateway {
        Gateway {
            name: "gw".into(),
            address: "192.0.2.1:5060".into(),
            transport: Transport::Udp,
            enabled: true,
            max_calls: 0,
            probe: None,
            credentials: None,
            number_format: format,
            strip_digits: strip,
            add_prefix: add.into(),
            codecs: vec![],
            headers: HeaderPolicy::default(),
            failover: None,
        }
    }

    #[test]
    fn visual_separators_are_removed_and_non_numbers_are_refused() {
        let cases = [
            ("+7 (495) 123-45.67", Some("+74951234567")),
            ("8-916-123-45-67", Some("89161234567")),
            ("*21%23", Some("*21#")),
            ("100", Some("100")),
            ("alice", None),
            ("+", None),
            ("", None),
            ("7+495", None),
            ("12%2", None),
            ("()", None),
        ];
        for (dialed, expected) in cases {
            assert_eq!(phone_number(dialed).as_deref(), expected, "{dialed}");
        }
    }

    #[test]
    fn national_and_international_prefixes_become_e164() {
        let plans = [ru_plan()];
        let cases = [
            ("89161234567", "+79161234567"),
            ("810442079460000", "+442079460000"),
            ("74951234567", "+74951234567"),
            ("+74951234567", "+74951234567"),
            ("8", "8"),
            ("810", "+710"),
            ("100", "100"),
            ("*21#", "*21#"),
        ];
        for (number, expected) in cases {
            assert_eq!(russia().normalize(number, &plans), expected, "{number}");
        }
    }

    #[test]
    fn without_country_code_national_numbers_are_left_alone() {
        let plain = Numbering::default();
        assert_eq!(plain.normalize("89161234567", &[]), "89161234567");
        assert_eq!(plain.normalize("74951234567", &[]), "74951234567");
    }

    #[test]
    fn numbering_plan_checks_country_code_length_and_area_code() {
        let plan = ru_plan();
        assert!(plan.matches("+74951234567"));
        assert!(plan.matches("+79161234567"));
        assert!(!plan.matches("+78121234567"), "area code 812 is not listed");
        assert!(!plan.matches("+7495123456"), "ten digits");
        assert!(!plan.matches("+14951234567"), "country code 1");
        assert!(!plan.matches("74951234567"), "not E.164");
        assert!(!plan.matches("+7495*234567"));
    }

    #[test]
    fn each_number_format_writes_the_number_as_the_gateway_wants_it() {
        let cases = [
            (NumberFormat::E164, 0, "", "+74951234567", "+74951234567"),
            (NumberFormat::E164NoPlus, 0, "", "+74951234567", "74951234567"),
            (NumberFormat::National, 0, "", "+74951234567", "84951234567"),
            (NumberFormat::National, 0, "", "+442079460000", "810442079460000"),
            (NumberFormat::E164NoPlus, 1, "", "+74951234567", "4951234567"),
            (NumberFormat::National, 1, "0", "+74951234567", "04951234567"),
            (NumberFormat::E164, 0, "1010#", "+74951234567", "1010#+74951234567"),
            (NumberFormat::National, 0, "", "100", "100"),
            (NumberFormat::E164, 99, "9", "+7495", "9"),
        ];
        for (format, strip, add, number, expected) in cases {
            let gw = gateway(format, strip, add);
            assert_eq!(format_number(number, &gw, &russia()), expected, "{format:?} {number}");
        }
    }

    #[test]
    fn national_format_without_international_prefix_keeps_foreign_numbers_e164() {
        let numbering = Numbering { international_prefix: None, ..russia() };
        let gw = gateway(NumberFormat::National, 0, "");
        assert_eq!(format_number("+442079460000", &gw, &numbering), "+442079460000");
    }
}
