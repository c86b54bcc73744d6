//! `ringway explain`, run as a child process: one catalog line, every variant of a code, and the
//! exit status for a line the catalog does not have.

use std::process::{Command, Output};

fn explain(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringway")).arg("explain").args(args).output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn explain_a_line_prints_its_meanings_cause_and_dialstatus() {
    let output = explain(&["480", "No money left"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    assert_eq!(text, ringway_sdk::catalog::explain(480, Some("No money left")).unwrap());
    assert!(text.starts_with("480 No money left\n"), "{text}");
    assert!(text.contains("  en:"), "{text}");
    assert!(text.contains("  ru:"), "{text}");
    assert!(text.contains("Q.850 cause: 21 CALL_REJECTED"), "{text}");
    assert!(text.contains("DIALSTATUS:  CHANUNAVAIL"), "{text}");
}

#[test]
fn explain_a_code_lists_every_variant() {
    let output = explain(&["480"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    let variants: Vec<_> = ringway_sdk::catalog::variants(480).collect();
    assert_eq!(variants.len(), 10);
    assert!(text.starts_with("480: 10 variants\n"), "{text}");
    for entry in variants {
        assert!(text.contains(&format!("\n{}\n", entry.line)), "{} missing:\n{text}", entry.line);
    }
}

#[test]
fn explain_an_unknown_line_exits_2_naming_the_closest_variants() {
    let output = explain(&["480", "No monies"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    let expected = "ringway explain: the catalog has no line \"480 No monies\"; \
                    closest 480 variants: \"No money left\"";
    assert!(stderr.starts_with(expected), "{stderr}");
}

#[test]
fn explain_a_code_without_lines_exits_2() {
    let output = explain(&["409"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("no 409 line; nearest codes: 408, 410"), "{stderr}");
}
