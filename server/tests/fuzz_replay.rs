//! Replays the fuzz corpora (`server/fuzz/corpus/{parse,transaction}/`), any saved crashers
//! (`server/fuzz/artifacts/{parse,transaction}/`) and every SIP torture corpus file through the
//! fuzz targets' own functions (`ringway::sip::message::fuzz_parse`,
//! `ringway::sip::transaction::fuzz_inbound`), so that CI checks the fuzz properties on stable Rust.

mod common;

use std::path::{Path, PathBuf};

fn files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

fn fuzz_dir(kind: &str) -> PathBuf {
    fuzz_target_dir(kind, "parse")
}

fn fuzz_target_dir(kind: &str, target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz").join(kind).join(target)
}

#[test]
fn fuzz_seeds_and_saved_crashers_neither_panic_nor_break_the_round_trip() {
    let seeds = files_in(&fuzz_dir("corpus"));
    assert!(!seeds.is_empty(), "server/fuzz/corpus/parse/ has no seeds");
    for file in seeds.iter().chain(&files_in(&fuzz_dir("artifacts"))) {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| ringway::sip::message::fuzz_parse(&data));
        assert!(outcome.is_ok(), "fuzz_parse panicked on {}", file.display());
    }
}

#[test]
fn torture_corpus_files_neither_panic_nor_break_the_round_trip() {
    for row in common::manifest() {
        ringway::sip::message::fuzz_parse(&common::read(&row.file));
    }
}

#[test]
fn transaction_fuzz_inputs_and_saved_crashers_do_not_panic_the_layer() {
    let mut inputs = files_in(&fuzz_target_dir("corpus", "transaction"));
    inputs.extend(files_in(&fuzz_target_dir("artifacts", "transaction")));
    // The parse seeds are valid SIP too: as single datagrams they reach the layer's matching.
    inputs.extend(files_in(&fuzz_dir("corpus")));
    assert!(!inputs.is_empty());
    for file in &inputs {
        let data = std::fs::read(file).unwrap();
        let outcome = std::panic::catch_unwind(|| ringway::sip::transaction::fuzz_inbound(&data));
        assert!(outcome.is_ok(), "fuzz_inbound panicked on {}", file.display());
    }
    for row in common::manifest() {
        ringway::sip::transaction::fuzz_inbound(&common::read(&row.file));
    }
}
