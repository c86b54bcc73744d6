//! Every TOML snippet in README.md is a configuration Ringway accepts (STYLE.md rule 6), and the
//! README's default block is the embedded default.

use ringway::config::Settings;

fn toml_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```toml") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(current.take().unwrap_or_default()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn every_readme_config_snippet_parses() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let blocks = toml_blocks(&readme);
    assert!(blocks.len() >= 2, "README.md has its config snippets");
    for (i, block) in blocks.iter().enumerate() {
        if let Err(e) = Settings::from_toml(block, &format!("README.md block {i}")) {
            panic!("README config snippet {i} is rejected: {e}\n{block}");
        }
    }
    assert_eq!(Settings::from_toml(&blocks[0], "README.md").unwrap(), Settings::embedded_default());
}
