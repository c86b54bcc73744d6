//! Helpers shared by the integration tests that read the SIP torture corpus.

use std::path::PathBuf;

/// The torture corpus directory: `$RINGWAY_TORTURE_DIR`, else `../shared/corpora/sip-torture`
/// beside the workspace. Panics with both places named when neither exists.
pub fn torture_dir() -> PathBuf {
    let beside = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpora/sip-torture");
    let dir = match std::env::var_os("RINGWAY_TORTURE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => beside.clone(),
    };
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "SIP torture corpus not found at {}: set RINGWAY_TORTURE_DIR or put the shared corpora at {} \
         (../shared/corpora/sip-torture relative to the workspace root)",
        dir.display(),
        beside.display(),
    );
    dir
}

/// One MANIFEST.tsv row: file (relative to the corpus directory) and verdict.
pub struct Row {
    /// The path relative to the corpus directory, e.g. `rfc5118/ipv6-good.dat`.
    pub file: String,
    /// VALID, INVALID, TXN, APP, APP-REJECT, TOLERATE or UNREFERENCED.
    #[allow(dead_code)] // read by torture_parser, not by fuzz_replay
    pub verdict: String,
}

/// Every row of MANIFEST.tsv.
pub fn manifest() -> Vec<Row> {
    let text =
        std::fs::read_to_string(torture_dir().join("MANIFEST.tsv")).expect("MANIFEST.tsv readable");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Row { file: cols[0].to_string(), verdict: cols[4].to_string() }
        })
        .collect()
}

/// The bytes of a corpus file.
pub fn read(file: &str) -> Vec<u8> {
    std::fs::read(torture_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}
