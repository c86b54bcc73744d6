//! `ringway explain`: catalog entries rendered for a person at a terminal.
//!
//! Pure text in, text out, so the CLI stays a one-liner and the wording is unit-tested here.

use super::{CATALOG, Entry, lookup, variants};
use crate::StatusCode;
use crate::cause::cause_for_status;
use std::fmt::Write as _;

/// How many near-miss phrases an [`ExplainError::UnknownLine`] suggests.
const SUGGESTIONS: usize = 3;

/// Why [`explain`] has nothing to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExplainError {
    /// The number is not a SIP status code at all.
    #[error("{0} is not a SIP status code (100-699)")]
    InvalidCode(u16),
    /// A valid code the catalog has no line for.
    #[error("the catalog has no {code} line; nearest codes: {}", join(.nearest))]
    UnknownCode {
        /// The code asked for.
        code: u16,
        /// The catalog codes just below and just above it.
        nearest: Vec<u16>,
    },
    /// The code is in the catalog, but not with this phrase.
    #[error(
        "the catalog has no line \"{code} {reason}\"; closest {code} variants: {}",
        quoted(.closest)
    )]
    UnknownLine {
        /// The code asked for.
        code: u16,
        /// The phrase asked for.
        reason: String,
        /// The code's phrases most like `reason`, closest first.
        closest: Vec<&'static str>,
    },
}

/// Renders the catalog line `code reason`, or with no `reason` every line of `code`: the status
/// line, its meaning in English and Russian, its Q.850 cause (number and name) and `DIALSTATUS`.
pub fn explain(code: u16, reason: Option<&str>) -> Result<String, ExplainError> {
    let status = StatusCode::new(code).map_err(|_| ExplainError::InvalidCode(code))?;
    let all: Vec<&Entry> = variants(code).collect();
    if all.is_empty() {
        return Err(ExplainError::UnknownCode { code, nearest: nearest_codes(code) });
    }
    let mut out = String::new();
    match reason {
        Some(reason) => match lookup(code, reason) {
            Some(entry) => render(&mut out, entry, status),
            None => {
                let closest = closest(reason, &all);
                return Err(ExplainError::UnknownLine { code, reason: reason.to_owned(), closest });
            }
        },
        None => {
            let noun = if all.len() == 1 { "variant" } else { "variants" };
            let _ = writeln!(out, "{code}: {} {noun}", all.len());
            for entry in all {
                out.push('\n');
                render(&mut out, entry, status);
            }
        }
    }
    Ok(out)
}

fn render(out: &mut String, entry: &Entry, status: StatusCode) {
    let _ = writeln!(out, "{}", entry.line);
    let _ = writeln!(out, "  en:          {}", entry.meaning_en);
    let _ = writeln!(out, "  ru:          {}", entry.meaning_ru);
    let _ = write!(out, "  Q.850 cause: {}", entry.q850);
    let plain = cause_for_status(status);
    if plain != entry.q850 {
        let _ = write!(out, " (Asterisk reads a bare {} as {plain})", status.as_u16());
    }
    out.push('\n');
    let _ = writeln!(out, "  DIALSTATUS:  {}", entry.dial_status);
}

/// The catalog codes next to `code` on either side.
fn nearest_codes(code: u16) -> Vec<u16> {
    let codes = CATALOG.iter().map(|e| e.line.code.as_u16());
    let below = codes.clone().filter(|&c| c < code).max();
    let above = codes.filter(|&c| c > code).min();
    below.into_iter().chain(above).collect()
}

/// The phrases of `candidates` nearest to `reason` by edit distance, ignoring case.
fn closest(reason: &str, candidates: &[&Entry]) -> Vec<&'static str> {
    let wanted = reason.to_lowercase();
    let mut ranked: Vec<(usize, &'static str)> = candidates
        .iter()
        .map(|e| (edit_distance(&wanted, &e.line.reason.to_lowercase()), e.line.reason))
        .collect();
    // A stable sort keeps the seed's order among equally close phrases.
    ranked.sort_by_key(|&(distance, _)| distance);
    ranked.into_iter().take(SUGGESTIONS).map(|(_, phrase)| phrase).collect()
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = Vec::with_capacity(b.len() + 1);
        current.push(i + 1);
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

fn join(codes: &[u16]) -> String {
    codes.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")
}

fn quoted(phrases: &[&str]) -> String {
    phrases.iter().map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_shows_meanings_cause_and_dialstatus() {
        let text = explain(486, Some("Busy Here")).unwrap();
        assert_eq!(
            text,
            "486 Busy Here\n\
             \x20 en:          The callee is busy.\n\
             \x20 ru:          Абонент занят.\n\
             \x20 Q.850 cause: 17 USER_BUSY\n\
             \x20 DIALSTATUS:  BUSY\n"
        );
    }

    #[test]
    fn a_specific_cause_names_the_one_asterisk_gives_the_bare_code() {
        let text = explain(480, Some("No money left")).unwrap();
        assert!(text.starts_with("480 No money left\n"), "{text}");
        assert!(
            text.contains(
                "Q.850 cause: 21 CALL_REJECTED (Asterisk reads a bare 480 as 19 NO_ANSWER)"
            ),
            "{text}"
        );
        assert!(text.contains("DIALSTATUS:  CHANUNAVAIL"), "{text}");
    }

    #[test]
    fn the_phrase_is_matched_in_any_case_and_shown_as_the_catalog_spells_it() {
        let text = explain(504, Some("SERVER TIME-OUT")).unwrap();
        assert!(text.starts_with("504 Server time-out\n"), "{text}");
    }

    #[test]
    fn a_code_alone_lists_every_variant() {
        let text = explain(480, None).unwrap();
        assert!(text.starts_with("480: 10 variants\n\n480 Invalid Phone Number\n"), "{text}");
        for entry in variants(480) {
            assert!(text.contains(&format!("\n{}\n", entry.line)), "{}", entry.line);
        }
        assert!(explain(486, None).unwrap().starts_with("486: 1 variant\n"));
    }

    #[test]
    fn an_unknown_phrase_names_the_closest_variants_of_its_code() {
        let err = explain(480, Some("No monies left")).unwrap_err();
        let ExplainError::UnknownLine { closest, .. } = &err else { panic!("{err:?}") };
        assert_eq!(closest[0], "No money left");
        assert_eq!(closest.len(), 3);
        let expected = "the catalog has no line \"480 No monies left\"; \
                        closest 480 variants: \"No money left\", ";
        assert!(err.to_string().starts_with(expected), "{err}");
    }

    #[test]
    fn a_code_without_lines_names_its_neighbours() {
        let err = explain(409, None).unwrap_err();
        assert_eq!(err, ExplainError::UnknownCode { code: 409, nearest: vec![408, 410] });
        assert_eq!(err.to_string(), "the catalog has no 409 line; nearest codes: 408, 410");
        assert_eq!(
            explain(650, Some("x")).unwrap_err().to_string(),
            "the catalog has no 650 line; nearest codes: 606"
        );
    }

    #[test]
    fn a_number_outside_100_to_699_is_not_a_status_code() {
        assert_eq!(explain(99, None), Err(ExplainError::InvalidCode(99)));
        assert_eq!(
            explain(700, None).unwrap_err().to_string(),
            "700 is not a SIP status code (100-699)"
        );
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
