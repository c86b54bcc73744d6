//! `ringway-conformance`: runs the SIPp scenarios in `conformance/scenarios/` against the
//! built `ringway` binary and prints a pass/fail table.
//!
//! The runner treats Ringway as a black box: it writes a config file, starts
//! `ringway run --config FILE`, reads the `listening <kind> <addr>` lines and `ready` from
//! its stdout, points SIPp at the reported address, and stops Ringway with SIGTERM (which
//! must give exit status 0). See `conformance/README.md` for the case conventions.
//!
//! Layout: [`cli`] options and binary lookup, [`case`] discovery and directives, [`config`]
//! the generated config and per-case fragments, [`ringway`] the daemon, [`sipp`] SIPp runs,
//! [`process`] signals/deadlines/work dirs, [`run`] one case over one transport.

// The runner supervises processes against wall-clock deadlines and names its work directories
// by time; it is a harness, not the sans-I/O core the clock ban protects.
#![allow(clippy::disallowed_methods)]

mod case;
mod cli;
mod config;
mod process;
mod ringway;
mod run;
mod sipp;
mod transport;

use std::process::ExitCode;

use anyhow::{Result, bail};

use crate::run::{Env, Outcome};

fn main() -> ExitCode {
    match real_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(err) => {
            eprintln!("ringway-conformance: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// Returns whether every case passed; `Err` is a setup problem (exit status 2).
fn real_main() -> Result<bool> {
    let options = cli::parse(std::env::args().skip(1)).map_err(|e| e.context(cli::USAGE))?;
    if options.help {
        println!("{}", cli::USAGE);
        return Ok(true);
    }
    let scenarios = options.scenarios.clone().unwrap_or_else(cli::default_scenarios);
    let mut cases = case::discover(&scenarios)?;
    if !options.only.is_empty() {
        for wanted in &options.only {
            if !cases.iter().any(|c| &c.name == wanted) {
                let known: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
                bail!(
                    "no case {wanted:?} in {} (known: {})",
                    scenarios.display(),
                    known.join(", ")
                );
            }
        }
        cases.retain(|c| options.only.contains(&c.name));
    }
    let runs: Vec<_> = cases
        .iter()
        .flat_map(|c| c.directives.transports.iter().map(move |t| (c, *t)))
        .filter(|(_, t)| options.transport.is_none_or(|wanted| wanted == *t))
        .collect();
    if options.list {
        for (case, transport) in &runs {
            let uas = match (&case.uas, &case.uas2) {
                (Some(_), Some(_)) => " (with 2 UASes)",
                (Some(_), None) => " (with UAS)",
                _ => "",
            };
            println!("{} {transport}{uas}", case.name);
        }
        return Ok(true);
    }
    if runs.is_empty() {
        bail!("no case selected");
    }

    let env = Env {
        ringway: cli::ringway_binary(options.ringway.as_deref())?,
        sipp: sipp::locate(options.sipp.as_deref())?,
        keep: options.keep,
        plugin_dir: cli::plugin_dir(),
    };
    println!(
        "ringway: {}\nsipp:    {}\nplugins: {}\n",
        env.ringway.display(),
        env.sipp.display(),
        env.plugin_dir.display()
    );
    let width = runs.iter().map(|(c, _)| c.name.len()).max().unwrap_or(0).max(MIN_CASE_WIDTH);
    println!("{}", header(width));
    let mut outcomes = Vec::new();
    for (case, transport) in runs {
        let outcome = run::run(&env, case, transport);
        print!("{}", row(&outcome, width));
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().filter(|o| !o.passed()).count();
    println!("\n{} passed, {failed} failed", outcomes.len() - failed);
    Ok(failed == 0)
}

/// The narrowest the table's case column gets; longer case names widen it.
const MIN_CASE_WIDTH: usize = 28;

fn header(width: usize) -> String {
    format!("{:<width$} {:<9} {:<6} {:>7}", "case", "transport", "result", "seconds")
}

/// One table row, followed on failure by the problems and the kept logs; `width` is the case
/// column's.
fn row(outcome: &Outcome, width: usize) -> String {
    let result = if outcome.passed() { "pass" } else { "FAIL" };
    let mut out = format!(
        "{:<width$} {:<9} {:<6} {:>7.2}\n",
        outcome.case,
        outcome.transport.name(),
        result,
        outcome.elapsed.as_secs_f64()
    );
    for problem in &outcome.problems {
        for line in problem.lines() {
            out.push_str(&format!("    {line}\n"));
        }
    }
    if let Some(logs) = &outcome.logs {
        out.push_str(&format!("    logs: {}\n", logs.display()));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::transport::Transport;

    #[test]
    fn failing_row_lists_problems_and_log_directory() {
        let outcome = Outcome {
            case: "malformed".into(),
            transport: Transport::Tcp,
            elapsed: Duration::from_millis(1500),
            problems: vec!["sipp uac exited with status 1\n| Failed regexp match".into()],
            logs: Some("/tmp/x".into()),
        };
        assert_eq!(
            row(&outcome, MIN_CASE_WIDTH),
            "malformed                    tcp       FAIL      1.50\n\
             \x20   sipp uac exited with status 1\n\
             \x20   | Failed regexp match\n\
             \x20   logs: /tmp/x\n"
        );
    }

    #[test]
    fn passing_row_is_one_line() {
        let outcome = Outcome {
            case: "options".into(),
            transport: Transport::Udp,
            elapsed: Duration::from_millis(230),
            problems: vec![],
            logs: None,
        };
        assert_eq!(
            row(&outcome, MIN_CASE_WIDTH),
            "options                      udp       pass      0.23\n"
        );
    }

    #[test]
    fn long_case_names_widen_the_column_so_rows_stay_aligned() {
        let outcome = Outcome {
            case: "reject_gateways_refuse_codecs_480".into(),
            transport: Transport::Udp,
            elapsed: Duration::from_millis(230),
            problems: vec![],
            logs: None,
        };
        let line = row(&outcome, 33);
        assert_eq!(line, "reject_gateways_refuse_codecs_480 udp       pass      0.23\n");
        assert_eq!(line.find("udp"), header(33).find("transport"));
    }
}
