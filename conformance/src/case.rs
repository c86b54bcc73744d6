//! Discovery of conformance cases in the scenarios directory.
//!
//! A case `<name>` is the file `<name>_uac.xml`, plus optionally `<name>_uas.xml` (a SIPp
//! peer that Ringway talks to), `<name>_uas2.xml` (a second peer, for cases with two
//! gateways or two registered phones; only beside a `_uas.xml`) and `<name>.toml` (a fragment
//! appended to Ringway's config, see [`crate::config`]). The UAC scenario may carry one
//! directive comment:
//!
//! ```text
//! <!-- ringway-conformance: transports=udp,tcp calls=1 uas_calls=1 -->
//! ```
//!
//! `transports` limits the transports the case runs over (default: both), `calls` is the
//! SIPp `-m` count for the UAC, and `uas_calls` the one for each UAS (default: `calls`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::transport::Transport;

/// The marker that opens a directive comment in a UAC scenario.
const DIRECTIVE_MARKER: &str = "ringway-conformance:";

/// One conformance case as found on disk.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case name: the file stem before `_uac.xml`.
    pub name: String,
    /// The SIPp scenario that sends to Ringway.
    pub uac: PathBuf,
    /// The SIPp scenario Ringway sends to, if the case needs a peer.
    pub uas: Option<PathBuf>,
    /// A second SIPp peer, if the case needs two (only with `uas`).
    pub uas2: Option<PathBuf>,
    /// The config fragment appended to the generated config, if any.
    pub fragment: Option<String>,
    /// An Asterisk dialplan (`<name>.conf`), written as `extensions.conf` beside the config.
    pub extensions: Option<String>,
    /// Settings read from the UAC scenario's directive comment.
    pub directives: Directives,
}

/// Per-case settings read from the directive comment in the UAC scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// Transports the case makes sense over.
    pub transports: Vec<Transport>,
    /// How many calls the SIPp UAC runs (`-m`).
    pub calls: u32,
    /// How many calls each SIPp UAS expects (`-m`); `None` = the same as `calls`.
    pub uas_calls: Option<u32>,
}

impl Directives {
    /// The `-m` count of each UAS.
    pub fn uas_calls(&self) -> u32 {
        self.uas_calls.unwrap_or(self.calls)
    }
}

impl Default for Directives {
    fn default() -> Self {
        Directives { transports: Transport::ALL.to_vec(), calls: 1, uas_calls: None }
    }
}

/// Lists every case in `dir`, sorted by name.
pub fn discover(dir: &Path) -> Result<Vec<Case>> {
    let entries = fs::read_dir(dir)
        .with_context(|| format!("reading scenarios directory {}", dir.display()))?;
    let mut cases = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        let Some(name) = file_name.strip_suffix("_uac.xml") else { continue };
        cases.push(load(dir, name)?);
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

fn load(dir: &Path, name: &str) -> Result<Case> {
    let uac = dir.join(format!("{name}_uac.xml"));
    let xml = fs::read_to_string(&uac).with_context(|| format!("reading {}", uac.display()))?;
    let directives = parse_directives(&xml).with_context(|| format!("in {}", uac.display()))?;
    let uas = Some(dir.join(format!("{name}_uas.xml"))).filter(|p| p.is_file());
    let uas2 = Some(dir.join(format!("{name}_uas2.xml"))).filter(|p| p.is_file());
    if uas2.is_some() && uas.is_none() {
        bail!("case {name} has {name}_uas2.xml but no {name}_uas.xml (name the only peer _uas)");
    }
    let fragment_path = dir.join(format!("{name}.toml"));
    let fragment = if fragment_path.is_file() {
        Some(
            fs::read_to_string(&fragment_path)
                .with_context(|| format!("reading {}", fragment_path.display()))?,
        )
    } else {
        None
    };
    let extensions_path = dir.join(format!("{name}.conf"));
    let extensions = if extensions_path.is_file() {
        Some(fs::read_to_string(&extensions_path).with_context(|| format!("reading {}", extensions_path.display()))?)
    } else {
        None
    };
    Ok(Case { name: name.to_owned(), uac, uas, uas2, fragment, extensions, directives })
}

/// Reads the `ringway-conformance:` directive comment of a scenario; defaults when absent.
pub fn parse_directives(xml: &str) -> Result<Directives> {
    let mut directives = Directives::default();
    let Some(start) = xml.find(DIRECTIVE_MARKER) else { return Ok(directives) };
    let rest = &xml[start + DIRECTIVE_MARKER.len()..];
    let body = rest.split("-->").next().unwrap_or(rest);
    for token in body.split_whitespace() {
        let Some((key, value)) = token.split_once('=') else {
            bail!("directive {token:?} is not key=value");
        };
        match key {
            "transports" => {
                directives.transports =
                    value.split(',').map(str::parse).collect::<Result<Vec<Transport>>>()?;
                if directives.transports.is_empty() {
                    bail!("directive transports= names no transport");
                }
            }
            "calls" => directives.calls = count(key, value)?,
            "uas_calls" => directives.uas_calls = Some(count(key, value)?),
            other => bail!("unknown directive {other:?} (known: transports, calls, uas_calls)"),
        }
    }
    Ok(directives)
}

/// A call count: a positive integer.
fn count(key: &str, value: &str) -> Result<u32> {
    let n: u32 = value.parse().with_context(|| format!("{key}={value} is not a count"))?;
    if n == 0 {
        bail!("{key}=0 would run nothing");
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_without_directive_runs_one_call_over_both_transports() {
        let d = parse_directives("<scenario name=\"x\"></scenario>").unwrap();
        assert_eq!(
            d,
            Directives {
                transports: vec![Transport::Udp, Transport::Tcp],
                calls: 1,
                uas_calls: None
            }
        );
        assert_eq!(d.uas_calls(), 1);
    }

    #[test]
    fn directive_limits_transports_and_sets_call_count() {
        let xml = "<?xml?>\n<!-- ringway-conformance: transports=udp calls=3 -->\n<scenario/>";
        let d = parse_directives(xml).unwrap();
        assert_eq!(d, Directives { transports: vec![Transport::Udp], calls: 3, uas_calls: None });
        assert_eq!(d.uas_calls(), 3, "each UAS expects the UAC's calls by default");
    }

    #[test]
    fn directive_may_give_the_uas_its_own_call_count() {
        let d = parse_directives("<!-- ringway-conformance: calls=2 uas_calls=1 -->").unwrap();
        assert_eq!((d.calls, d.uas_calls()), (2, 1));
    }

    #[test]
    fn unknown_directive_or_bad_value_is_an_error() {
        assert!(parse_directives("<!-- ringway-conformance: colour=red -->").is_err());
        assert!(parse_directives("<!-- ringway-conformance: transports=sctp -->").is_err());
        assert!(parse_directives("<!-- ringway-conformance: calls=0 -->").is_err());
        assert!(parse_directives("<!-- ringway-conformance: calls -->").is_err());
        assert!(parse_directives("<!-- ringway-conformance: uas_calls=0 -->").is_err());
    }

    #[test]
    fn second_uas_is_found_and_needs_a_first() {
        let dir = crate::process::WorkDir::create("unit-uas2").unwrap();
        let write = |name: &str| fs::write(dir.path().join(name), "<scenario/>").unwrap();
        write("two_uac.xml");
        write("two_uas.xml");
        write("two_uas2.xml");
        let cases = discover(dir.path()).unwrap();
        assert_eq!(cases[0].uas2.as_deref(), Some(dir.path().join("two_uas2.xml").as_path()));

        fs::remove_file(dir.path().join("two_uas.xml")).unwrap();
        let err = discover(dir.path()).unwrap_err();
        assert!(format!("{err:#}").contains("no two_uas.xml"), "{err:#}");
    }

    #[test]
    fn committed_scenarios_are_discovered_with_valid_directives() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        let cases = discover(&dir).unwrap();
        let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
        for expected in ["malformed", "max_forwards_zero", "options", "unknown_method"] {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
        let negative = cases.iter().find(|c| c.name == "negative_content_length").unwrap();
        assert_eq!(negative.directives.transports, vec![Transport::Udp]);
        let failover = cases.iter().find(|c| c.name == "call_failover").unwrap();
        assert!(failover.uas.is_some() && failover.uas2.is_some());
        let fork = cases.iter().find(|c| c.name == "call_fork").unwrap();
        assert_eq!(fork.directives.transports, vec![Transport::Udp]);
    }
}
