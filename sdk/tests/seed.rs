//! The catalog holds exactly the status lines of the seed (`shared/seed/sip-gateways.txt`),
//! byte-exact: same lines, same count, nothing extra.
//!
//! The seed is read where it lives (set `RINGWAY_SEED` to point elsewhere); it is never copied
//! into the repository. Without it this test fails: a silently skipped check proves nothing.

use ringway_sdk::catalog::CATALOG;
use std::path::{Path, PathBuf};

fn seed_path() -> PathBuf {
    match std::env::var_os("RINGWAY_SEED") {
        Some(path) => PathBuf::from(path),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/seed/sip-gateways.txt"),
    }
}

/// Every `SIP/2.0 <code> <phrase> - <meaning>` line of the seed, as `<code> <phrase>`.
fn seed_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| line.strip_prefix("SIP/2.0 "))
        .filter(|rest| {
            let code = rest.as_bytes().get(..3).unwrap_or_default();
            matches!(code.first(), Some(b'1'..=b'6')) && code.iter().all(u8::is_ascii_digit)
        })
        .map(|rest| {
            let (line, _meaning) = rest
                .split_once(" - ")
                .unwrap_or_else(|| panic!("seed line without \" - \": {rest:?}"));
            line.to_owned()
        })
        .collect()
}

#[test]
fn the_catalog_holds_exactly_the_seed_status_lines_byte_exact() {
    let path = seed_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) => panic!("seed file not found at {}; set RINGWAY_SEED ({err})", path.display()),
    };
    let mut seed = seed_lines(&text);
    assert!(!seed.is_empty(), "no `SIP/2.0 <code> <phrase> - ` lines in {}", path.display());
    let mut catalog: Vec<String> = CATALOG.iter().map(|e| e.line.to_string()).collect();
    assert_eq!(catalog.len(), seed.len(), "catalog and seed differ in count");

    seed.sort();
    catalog.sort();
    let missing: Vec<_> = seed.iter().filter(|l| !catalog.contains(l)).collect();
    let extra: Vec<_> = catalog.iter().filter(|l| !seed.contains(l)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing {missing:?}, extra {extra:?}");
    assert_eq!(catalog, seed, "duplicates differ");
}

#[test]
fn seed_lines_are_read_up_to_the_dash_before_the_meaning() {
    let text = "SIP/2.0 480 No money left - смысл\n\
                SIP/2.0 400 Bad - x - y\n\
                not SIP/2.0 486 Busy Here - z\n";
    assert_eq!(seed_lines(text), ["480 No money left", "400 Bad"]);
}
