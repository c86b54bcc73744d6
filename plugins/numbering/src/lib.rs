//! E.164 validation in front of the routing tables: a dialed number that is not a well-formed
//! international number is refused with `480 Invalid Phone Number`; a well-formed one outside
//! the allowed country prefixes with `403 Invalid Phone Number`; anything else goes on to the
//! next router (`continue`). Non-numeric users (`alice`) are local calls: `continue`.
//!
//! Settings:
//!
//! - `international_prefix`: dialed instead of `+` (default `00`).
//! - `national_prefix` and `country_code`: `8 495 …` becomes `+7 495 …` (both or neither).
//! - `min_digits`: fewest digits after `+` (default 8; E.164 allows at most 15).
//! - `allowed_prefixes`: comma-separated E.164 prefixes (`+7, +44`); empty allows all.

use ringway_sdk::catalog::{INVALID_PHONE_NUMBER_403, INVALID_PHONE_NUMBER_480};
use ringway_sdk::plugin::{Call, Decision, Plugin};

struct Numbering;

/// E.164: at most 15 digits after the `+`.
const E164_MAX_DIGITS: usize = 15;

impl Plugin for Numbering {
    fn route(call: &Call) -> Decision {
        let Some(dialed) = call.dialed() else { return Decision::Continue };
        let dialed: String =
            dialed.chars().filter(|c| !matches!(c, '-' | '.' | ' ' | '(' | ')')).collect();
        if !dialed.starts_with('+') && !dialed.chars().any(|c| c.is_ascii_digit()) {
            return Decision::Continue;
        }
        let number = to_e164(&dialed, call);
        let digits = number.strip_prefix('+').unwrap_or("");
        let min = call.setting("min_digits").and_then(|m| m.trim().parse().ok()).unwrap_or(8);
        let well_formed = digits.bytes().all(|b| b.is_ascii_digit())
            && (min..=E164_MAX_DIGITS).contains(&digits.len())
            && !digits.starts_with('0');
        if !well_formed {
            return Decision::reject(INVALID_PHONE_NUMBER_480);
        }
        let allowed = call.setting("allowed_prefixes").unwrap_or("");
        let mut prefixes = allowed.split(',').map(str::trim).filter(|p| !p.is_empty()).peekable();
        if prefixes.peek().is_some() && !prefixes.any(|p| number.starts_with(p)) {
            return Decision::reject(INVALID_PHONE_NUMBER_403);
        }
        Decision::Continue
    }
}

/// The dialed digits in international form, as far as the settings allow; anything that is not
/// recognisably international keeps its shape (and fails the check).
fn to_e164(dialed: &str, call: &Call) -> String {
    if dialed.starts_with('+') {
        return dialed.to_owned();
    }
    let international = call.setting("international_prefix").unwrap_or("00");
    if let Some(rest) = dialed.strip_prefix(international).filter(|_| !international.is_empty()) {
        return format!("+{rest}");
    }
    if let (Some(national), Some(cc)) =
        (call.setting("national_prefix"), call.setting("country_code"))
        && let Some(rest) = dialed.strip_prefix(national).filter(|_| !national.is_empty())
    {
        return format!("+{cc}{rest}");
    }
    dialed.to_owned()
}

ringway_sdk::export_plugin!(Numbering);
