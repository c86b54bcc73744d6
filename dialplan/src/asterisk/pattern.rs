//! Extension names and patterns: which dialed strings an extension matches, and the order in
//! which a context's extensions are tried.
//!
//! ## Matching
//!
//! A name without a leading `_` is literal and matches exactly that string. With `_` it is a
//! pattern, matched character by character:
//!
//! | element | matches |
//! |---|---|
//! | `X` / `x` | one digit `0`–`9` |
//! | `Z` / `z` | one digit `1`–`9` |
//! | `N` / `n` | one digit `2`–`9` |
//! | `[15-7a]` | one of the listed characters (`a-b` is a range; an empty `[]` is skipped) |
//! | `.` | one or more characters of any kind (the rest of the pattern is not looked at) |
//! | `!` | zero or more characters of any kind |
//! | anything else | itself (case-sensitive) |
//!
//! A `-` is decoration (`_1-NXX-XXX-XXXX`) and is skipped, in patterns and literal names and in
//! the dialed string alike.
//!
//! ## Order
//!
//! Asterisk keeps each context's extensions sorted and takes the first one that matches and has
//! the wanted priority (so a priority missing in a specific pattern is looked up in the next,
//! less specific one). The sort (`ext_cmp` in Asterisk's `pbx.c`), reproduced by
//! [`ExtenName::cmp_asterisk`]:
//!
//! 1. Literal names come before every pattern, and sort among themselves byte by byte (a
//!    prefix first: `10` before `100` before `101` before `11` before `s`).
//! 2. Two patterns are compared element by element. Each element scores
//!    `256 × (how many characters it matches) + (the smallest of them)`: a literal `1` scores
//!    `0x131`, `N` `0x832`, `Z` `0x931`, `X` `0xA30`, `[1-3]` `0x331`. `.` scores `0x18000`, `!`
//!    `0x28000`, and the end of the pattern `0x30000`. The lower score sorts first; at equal
//!    scores the set holding the lowest character that the other lacks sorts first.
//!
//! So `_1NXXNXXXXXX` is tried before `_1NXX.` (position 4: `N` against `.`), which is tried
//! before `_1XX`, `_1.` and `_X.`; the literal `100` before `_1XX`; `[12]` before `[13]` (same
//! size, and `2` is lower than `3`); `_NXXX` before `_NXX` (position 4: `X` against the end,
//! harmless as they match strings of different lengths); and `_X.` before `_X!`, so `!` only
//! catches what `.` cannot, an empty rest. Names that compare equal (`_X.` and `_x.`, `100`
//! and `1-00`) are the same extension.
//!
//! Extensions with a caller-ID match (`100/_5XXX`) sort before the same name without one.

use std::cmp::Ordering;

/// A character set as a 256-bit map; bit `c` set when byte `c` is in the set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Set([u64; 4]);

impl Set {
    const EMPTY: Set = Set([0; 4]);

    fn range(low: u8, high: u8) -> Set {
        let mut set = Set::EMPTY;
        for c in low..=high {
            set.insert(c);
        }
        set
    }

    fn insert(&mut self, c: u8) {
        self.0[usize::from(c / 64)] |= 1 << (c % 64);
    }

    fn contains(&self, c: u8) -> bool {
        self.0[usize::from(c / 64)] & (1 << (c % 64)) != 0
    }

    fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }

    fn min(&self) -> u8 {
        (0..=255).find(|&c| self.contains(c)).unwrap_or(0)
    }

    /// `Less` when `self` holds the lowest character that is in only one of the two sets.
    fn cmp_lowest_first(&self, other: &Set) -> Ordering {
        match (0..=255u8).find(|&c| self.contains(c) != other.contains(c)) {
            Some(c) if self.contains(c) => Ordering::Less,
            Some(_) => Ordering::Greater,
            None => Ordering::Equal,
        }
    }
}

/// One element of a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Element {
    /// One character of the set (a literal character is a set of one).
    One(Set),
    /// `.`: one or more of anything.
    OneOrMore,
    /// `!`: zero or more of anything.
    ZeroOrMore,
}

impl Element {
    /// The sort score (see the module docs) and the set compared on a tie.
    fn score(&self) -> (u32, Set) {
        match self {
            Element::One(set) => (set.len() << 8 | u32::from(set.min()), *set),
            Element::OneOrMore => (0x18000, Set::EMPTY),
            Element::ZeroOrMore => (0x28000, Set::EMPTY),
        }
    }
}

const END_SCORE: (u32, Set) = (0x30000, Set::EMPTY);

/// An extension name as written (`100`, `s`, `_1NXXNXXXXXX`), compiled for matching.
#[derive(Clone, Debug)]
pub(crate) struct ExtenName {
    raw: String,
    kind: Kind,
}

#[derive(Clone, Debug)]
enum Kind {
    /// The literal name without `-` decoration.
    Literal(Vec<u8>),
    Pattern(Vec<Element>),
}

/// A pattern with a `[` that is never closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnclosedSet;

impl ExtenName {
    /// Compiles a name: literal, or a pattern when it starts with `_`.
    pub fn new(raw: &str) -> Result<ExtenName, UnclosedSet> {
        let kind = match raw.strip_prefix('_') {
            None => Kind::Literal(raw.bytes().filter(|&b| b != b'-').collect()),
            Some(pattern) => Kind::Pattern(compile(pattern.as_bytes())?),
        };
        Ok(ExtenName { raw: raw.to_owned(), kind })
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether `dialed` is matched by this name.
    pub fn matches(&self, dialed: &str) -> bool {
        let dialed: Vec<u8> = dialed.bytes().filter(|&b| b != b'-').collect();
        match &self.kind {
            Kind::Literal(name) => *name == dialed,
            Kind::Pattern(elements) => matches(elements, &dialed),
        }
    }

    /// Asterisk's sort order: `Less` means `self` is tried first (see the module docs).
    pub fn cmp_asterisk(&self, other: &ExtenName) -> Ordering {
        match (&self.kind, &other.kind) {
            (Kind::Literal(a), Kind::Literal(b)) => a.cmp(b),
            (Kind::Literal(_), Kind::Pattern(_)) => Ordering::Less,
            (Kind::Pattern(_), Kind::Literal(_)) => Ordering::Greater,
            (Kind::Pattern(a), Kind::Pattern(b)) => {
                let scores = |p: &[Element], i: usize| p.get(i).map_or(END_SCORE, Element::score);
                for i in 0..=a.len().max(b.len()) {
                    let ((score_a, set_a), (score_b, set_b)) = (scores(a, i), scores(b, i));
                    let order = score_a.cmp(&score_b).then_with(|| set_a.cmp_lowest_first(&set_b));
                    if order != Ordering::Equal {
                        return order;
                    }
                }
                Ordering::Equal
            }
        }
    }
}

fn compile(pattern: &[u8]) -> Result<Vec<Element>, UnclosedSet> {
    let mut elements = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        let c = pattern[i];
        i += 1;
        let element = match c {
            b'-' | b' ' => continue,
            b'X' | b'x' => Element::One(Set::range(b'0', b'9')),
            b'Z' | b'z' => Element::One(Set::range(b'1', b'9')),
            b'N' | b'n' => Element::One(Set::range(b'2', b'9')),
            b'.' => Element::OneOrMore,
            b'!' => Element::ZeroOrMore,
            b'[' => {
                let close = pattern[i..].iter().position(|&b| b == b']').ok_or(UnclosedSet)?;
                let inside = &pattern[i..i + close];
                i += close + 1;
                let mut set = Set::EMPTY;
                let mut j = 0;
                while j < inside.len() {
                    if j + 2 < inside.len() && inside[j + 1] == b'-' {
                        for c in inside[j]..=inside[j + 2] {
                            set.insert(c);
                        }
                        j += 3;
                    } else {
                        set.insert(inside[j]);
                        j += 1;
                    }
                }
                if set == Set::EMPTY {
                    continue;
                }
                Element::One(set)
            }
            literal => {
                let mut set = Set::EMPTY;
                set.insert(literal);
                Element::One(set)
            }
        };
        elements.push(element);
    }
    Ok(elements)
}

fn matches(elements: &[Element], dialed: &[u8]) -> bool {
    let mut i = 0;
    for (j, element) in elements.iter().enumerate() {
        let Some(&c) = dialed.get(i) else {
            // The dialed string ran out first: only `!` may match nothing (Asterisk's "early
            // match"), whatever follows it.
            return elements[j] == Element::ZeroOrMore;
        };
        match element {
            Element::One(set) if set.contains(c) => i += 1,
            Element::One(_) => return false,
            Element::OneOrMore | Element::ZeroOrMore => return true,
        }
    }
    i == dialed.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str) -> ExtenName {
        ExtenName::new(raw).expect("valid name")
    }

    #[test]
    fn pattern_elements_match_as_documented() {
        let cases: &[(&str, &str, bool)] = &[
            ("100", "100", true),
            ("100", "1000", false),
            ("1-00", "100", true),
            ("100", "1-0-0", true),
            ("s", "s", true),
            ("_X", "5", true),
            ("_X", "a", false),
            ("_x", "5", true),
            ("_Z", "0", false),
            ("_Z", "1", true),
            ("_N", "1", false),
            ("_N", "2", true),
            ("_NXXNXXXXXX", "2125551212", true),
            ("_1NXXNXXXXXX", "12125551212", true),
            ("_1NXXNXXXXXX", "11125551212", false),
            ("_[1-5a]X", "a0", true),
            ("_[1-5a]X", "60", false),
            ("_[]1", "1", true),
            ("_[-9]", "-", false),
            ("_[-9]", "9", true),
            ("_9.", "9", false),
            ("_9.", "91", true),
            ("_9.", "9abc*#", true),
            ("_9!", "9", true),
            ("_9!", "9123", true),
            ("_9X!", "9", false),
            ("_1-NXX", "1-212", true),
            ("_1-NXX", "1212", true),
            ("_X.", "", false),
            ("_!", "", true),
            ("_!", "1", true),
            ("_+7X.", "+74951234567", true),
            ("_*XX", "*21", true),
            ("_abc", "ABC", false),
        ];
        for &(pattern, dialed, expected) in cases {
            assert_eq!(name(pattern).matches(dialed), expected, "{pattern} vs {dialed:?}");
        }
    }

    #[test]
    fn extensions_sort_most_specific_first_as_asterisk_does() {
        let mut names: Vec<ExtenName> = [
            "_X.",
            "_X!",
            "_NXX",
            "_1NXXNXXXXXX",
            "100",
            "_1XX",
            "s",
            "10",
            "_[12]XX",
            "_NXXX",
            "_1.",
            "_1NXX.",
            "_ZXX",
            "_.",
            "101",
            "_[13]XX",
            "_1!",
        ]
        .iter()
        .map(|raw| name(raw))
        .collect();
        names.sort_by(|a, b| a.cmp_asterisk(b));
        let sorted: Vec<&str> = names.iter().map(ExtenName::as_str).collect();
        assert_eq!(
            sorted,
            [
                // Literal names first, byte order.
                "10",
                "100",
                "101",
                "s",
                // Position 1: a literal 1 (0x131) before [12] (0x231) and [13] (0x231, and 2 < 3),
                // then N (0x832), Z (0x931), X (0xA30), and '.' last.
                "_1NXXNXXXXXX",
                "_1NXX.",
                "_1XX",
                "_1.",
                "_1!",
                "_[12]XX",
                "_[13]XX",
                "_NXXX",
                "_NXX",
                "_ZXX",
                "_X.",
                "_X!",
                "_.",
            ]
        );
    }

    #[test]
    fn the_first_matching_extension_in_asterisk_order_is_the_most_specific() {
        let mut names: Vec<ExtenName> =
            ["_X.", "_NXX", "_1NXXNXXXXXX", "100", "_1XX", "_X!"].iter().map(|r| name(r)).collect();
        names.sort_by(|a, b| a.cmp_asterisk(b));
        let first = |dialed: &str| {
            names.iter().find(|n| n.matches(dialed)).map(ExtenName::as_str).unwrap_or("none")
        };
        assert_eq!(first("100"), "100");
        assert_eq!(first("101"), "_1XX");
        assert_eq!(first("212"), "_NXX");
        assert_eq!(first("12125551212"), "_1NXXNXXXXXX");
        assert_eq!(first("2125551212"), "_X.");
        assert_eq!(first("0"), "_X!");
        assert_eq!(first(""), "none");
    }

    #[test]
    fn names_that_compare_equal_are_the_same_extension() {
        assert_eq!(name("_X.").cmp_asterisk(&name("_x.")), Ordering::Equal);
        assert_eq!(name("1-00").cmp_asterisk(&name("100")), Ordering::Equal);
        assert_eq!(name("_1-X").cmp_asterisk(&name("_1X")), Ordering::Equal);
        assert_ne!(name("_[1-3]").cmp_asterisk(&name("_[123]4")), Ordering::Equal);
    }

    #[test]
    fn an_unclosed_set_is_an_error() {
        assert_eq!(ExtenName::new("_[12X").err(), Some(UnclosedSet));
    }
}
