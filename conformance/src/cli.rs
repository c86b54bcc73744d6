//! Command-line options (std only; the runner has no argument-parser dependency).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::transport::Transport;

/// Usage text for `--help` and argument errors.
pub const USAGE: &str = "\
usage: ringway-conformance [--ringway PATH] [--sipp PATH] [--only CASE]...
                           [--transport udp|tcp] [--scenarios DIR] [--keep] [--list]

Runs every SIPp scenario pair in the scenarios directory against a freshly started
ringway, over UDP and TCP, and prints a pass/fail table.

  --ringway PATH    ringway binary (default: $RINGWAY_BIN, else `ringway` next to this
                    runner, else <workspace>/target/debug/ringway)
  --sipp PATH       SIPp binary (default: $SIPP_BIN, else `sipp` on $PATH)
  --only CASE       run only this case (repeatable)
  --transport T     run only over udp or tcp
  --scenarios DIR   scenarios directory (default: conformance/scenarios)
  --keep            keep every case's work directory, not only failing ones
  --list            list the cases and their transports, run nothing

Cases that load plugins find them in $RINGWAY_PLUGIN_DIR, else
<workspace>/plugins/target/components (`make plugins` builds them).";

/// Parsed options.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// `--ringway`.
    pub ringway: Option<PathBuf>,
    /// `--sipp`.
    pub sipp: Option<PathBuf>,
    /// `--only`, possibly repeated.
    pub only: Vec<String>,
    /// `--transport`.
    pub transport: Option<Transport>,
    /// `--scenarios`.
    pub scenarios: Option<PathBuf>,
    /// `--keep`.
    pub keep: bool,
    /// `--list`.
    pub list: bool,
    /// `--help`.
    pub help: bool,
}

/// Parses the arguments after the program name.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Options> {
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = || -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().with_context(|| format!("{flag} needs a value")),
            }
        };
        match flag.as_str() {
            "--ringway" => options.ringway = Some(PathBuf::from(value()?)),
            "--sipp" => options.sipp = Some(PathBuf::from(value()?)),
            "--only" => options.only.push(value()?),
            "--transport" => options.transport = Some(value()?.parse()?),
            "--scenarios" => options.scenarios = Some(PathBuf::from(value()?)),
            "--keep" => options.keep = true,
            "--list" => options.list = true,
            "-h" | "--help" => options.help = true,
            other => bail!("unknown argument {other:?}"),
        }
    }
    Ok(options)
}

/// The ringway binary to test: the option, `$RINGWAY_BIN`, a `ringway` beside the running
/// executable (both live in the same cargo target directory), or the workspace default.
pub fn ringway_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = if let Some(path) = explicit {
        vec![path.to_owned()]
    } else if let Some(path) = std::env::var_os("RINGWAY_BIN") {
        vec![PathBuf::from(path)]
    } else {
        let beside_runner = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("ringway")));
        beside_runner.into_iter().chain([workspace_root().join("target/debug/ringway")]).collect()
    };
    candidates.iter().find(|p| p.is_file()).cloned().with_context(|| {
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        format!(
            "ringway binary not found (tried {}); build it with `cargo build -p ringway` or \
             pass --ringway PATH / set RINGWAY_BIN",
            tried.join(", ")
        )
    })
}

/// Where the built plugins are, for `{plugin_dir}` in case fragments: `$RINGWAY_PLUGIN_DIR`
/// (the Makefile exports it), else where `make plugins` puts them. Not checked here: only the
/// cases that name a plugin need them, and those fail saying so.
pub fn plugin_dir() -> PathBuf {
    std::env::var_os("RINGWAY_PLUGIN_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("plugins/target/components"))
}

/// The workspace root, known at compile time.
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_owned()
}

/// The committed scenarios directory, known at compile time.
pub fn default_scenarios() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Options> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn no_arguments_selects_everything() {
        assert_eq!(parse_strs(&[]).unwrap(), Options::default());
    }

    #[test]
    fn options_take_separate_or_inline_values_and_only_repeats() {
        let o = parse_strs(&[
            "--ringway",
            "/r",
            "--sipp=/usr/bin/sipp",
            "--only",
            "options",
            "--only=malformed",
            "--transport",
            "TCP",
            "--keep",
        ])
        .unwrap();
        assert_eq!(o.ringway, Some(PathBuf::from("/r")));
        assert_eq!(o.sipp, Some(PathBuf::from("/usr/bin/sipp")));
        assert_eq!(o.only, ["options", "malformed"]);
        assert_eq!(o.transport, Some(Transport::Tcp));
        assert!(o.keep);
    }

    #[test]
    fn bad_arguments_are_errors() {
        assert!(parse_strs(&["--only"]).is_err());
        assert!(parse_strs(&["--transport", "sctp"]).is_err());
        assert!(parse_strs(&["--frobnicate"]).is_err());
    }

    #[test]
    fn explicit_ringway_path_must_exist() {
        let err = ringway_binary(Some(Path::new("/nonexistent/ringway"))).unwrap_err();
        assert!(err.to_string().contains("cargo build -p ringway"), "{err}");
    }
}
