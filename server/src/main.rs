//! The `ringway` command line: `run`, `check-config`, `print-default-config`, `explain`,
//! `plugin test`.
//!
//! A thin layer over the library: parse arguments, load [`Settings`], set up tracing and the tokio
//! runtime, translate signals into the shutdown future. Exit codes: 0 on success and on a clean
//! shutdown, 2 for an invalid configuration or a status line the catalog does not know, 1 when
//! the daemon cannot start.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use ringway::config::{ListenSpec, Overrides, Settings};
use tokio::signal::unix::{SignalKind, signal};
use tracing::info;
use tracing_subscriber::EnvFilter;

/// Ringway: a SIP PBX / B2BUA.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon (with no --config, the embedded default configuration).
    Run {
        /// Configuration file (TOML).
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// Listen on transport:ip:port, e.g. udp:127.0.0.1:5060 (repeatable; replaces sip.listen).
        #[arg(long, value_name = "SPEC")]
        listen: Vec<ListenSpec>,
        /// HTTP address for /metrics and /health; "" disables it.
        #[arg(long, value_name = "ADDR")]
        http: Option<String>,
        /// Directory of the on-disk store.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// tracing filter directive (RUST_LOG still wins).
        #[arg(long, value_name = "LEVEL")]
        log_level: Option<String>,
    },
    /// Validate a configuration file: prints "FILE: ok" or "file:line: reason" (exit 2).
    CheckConfig {
        /// Configuration file (TOML).
        file: PathBuf,
    },
    /// Print the embedded default configuration, documented key by key.
    PrintDefaultConfig,
    /// Explain a status line: meaning (English, Russian), Q.850 cause, DIALSTATUS; with no
    /// reason, every catalog line of the code. An unknown line exits 2.
    Explain {
        /// Status code, e.g. 480.
        code: u16,
        /// Reason phrase, e.g. "No money left" (any case).
        reason: Option<String>,
    },
    /// Plugin tools.
    #[command(subcommand)]
    Plugin(PluginCommand),
}

/// `ringway plugin …`: tools for plugin authors.
#[derive(Debug, Subcommand)]
enum PluginCommand {
    /// Run a plugin on a call description without a server: prints its decision and timing.
    /// Exits 2 when the plugin or the call file cannot be loaded, 1 when the decision fails.
    Test {
        /// The plugin component (.wasm).
        #[arg(long, value_name = "FILE")]
        plugin: PathBuf,
        /// The call description (TOML: [call], [host], [plugin], optional routing tables).
        #[arg(long, value_name = "FILE")]
        call: PathBuf,
    },
}

/// Exit status for configuration errors, distinct from clap's usage errors and start failures.
const EXIT_CONFIG: u8 = 2;

/// Exit status of `explain` for a status line the catalog does not have.
const EXIT_UNKNOWN_LINE: u8 = 2;

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run { config, listen, http, data_dir, log_level } => {
            let overrides = Overrides { listen, http, data_dir, log_level };
            let settings = match load(config, overrides) {
                Ok(settings) => settings,
                Err(err) => {
                    eprintln!("{err}");
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            match run(settings) {
                Ok(()) => ExitCode::SUCCESS,
                Err(err) => {
                    eprintln!("ringway: {err:#}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::CheckConfig { file } => match Settings::load(Some(&file)) {
            Ok(settings) => {
                // The Asterisk dialplan it names is part of the configuration.
                if let Some(extensions) = &settings.asterisk.extensions {
                    let files = ringway_dialplan::asterisk::FsResolver;
                    match ringway_dialplan::asterisk::Dialplan::load(extensions, &files) {
                        Ok(plan) => plan.warnings().iter().for_each(|w| eprintln!("warning: {w}")),
                        Err(errors) => {
                            eprintln!("{errors}");
                            return ExitCode::from(EXIT_CONFIG);
                        }
                    }
                }
                println!("{}: ok", file.display());
                ExitCode::SUCCESS
            }
            Err(err) => {
                eprintln!("{err}");
                ExitCode::from(EXIT_CONFIG)
            }
        },
        Command::PrintDefaultConfig => {
            print!("{}", ringway::config::DEFAULT_TOML);
            ExitCode::SUCCESS
        }
        Command::Explain { code, reason } => {
            match ringway_sdk::catalog::explain(code, reason.as_deref()) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(err) => {
                    eprintln!("ringway explain: {err}");
                    ExitCode::from(EXIT_UNKNOWN_LINE)
                }
            }
        }
        Command::Plugin(PluginCommand::Test { plugin, call }) => plugin_test(&plugin, &call),
    }
}

/// `ringway plugin test`: the decision, then how long it took.
fn plugin_test(plugin: &std::path::Path, call: &std::path::Path) -> ExitCode {
    use ringway_dialplan::wasm::{describe, test_call};
    let text = match std::fs::read_to_string(call) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("ringway plugin test: {}: {err}", call.display());
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let report = match test_call(plugin, &text) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("ringway plugin test: {err}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let status = match &report.outcome {
        Ok(decision) => {
            println!("{}", describe(decision));
            ExitCode::SUCCESS
        }
        Err(err) => {
            println!("failed: {err}\nthe caller would get: {}", describe(&err.decision()));
            ExitCode::FAILURE
        }
    };
    println!(
        "load {:.1?}, first decision {:.1?}, warm decision {:.1?} (median)",
        report.load, report.first, report.warm
    );
    status
}

fn load(
    config: Option<PathBuf>,
    overrides: Overrides,
) -> Result<Settings, ringway::config::ConfigError> {
    let mut settings = Settings::load(config.as_deref())?;
    settings.apply(overrides)?;
    Ok(settings)
}

fn run(settings: Settings) -> anyhow::Result<()> {
    init_tracing(&settings.log_level);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        // Shards are tasks, not threads, but one worker per shard keeps them from queueing.
        .worker_threads(settings.sip.shards.max(1))
        .enable_all()
        .thread_name("ringway-worker")
        .build()
        .context("cannot start the tokio runtime")?;
    runtime.block_on(async {
        // Install the handlers before anything is announced: a launcher may signal right after
        // `ready`, and an uninstalled SIGTERM would kill the process instead of stopping it.
        let mut terminate =
            signal(SignalKind::terminate()).context("cannot install the SIGTERM handler")?;
        let mut interrupt =
            signal(SignalKind::interrupt()).context("cannot install the SIGINT handler")?;
        let shutdown = async move {
            let name = tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            };
            info!(signal = name, "shutting down");
        };
        ringway::server::run(settings, shutdown).await.context("cannot start")
    })
}

/// `RUST_LOG`, when set and valid, wins over the configured level.
fn init_tracing(level: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    // Colours only for a human at a terminal; log collectors get plain text.
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .init();
}
