//! The Asterisk dialplan engine: `extensions.conf` loaded once, then run per call as a pure,
//! sans-I/O step machine.
//!
//! ## Model
//!
//! [`Dialplan::load`] reads `extensions.conf` and its `#include`s through a [`FileResolver`]
//! (the file system in the server, [`MemoryFiles`] in tests), checks everything that can be
//! checked without a call, and returns an immutable [`Dialplan`], or every problem found with
//! `file:line:column` ([`LoadErrors`]). An application Ringway does not run is a load error,
//! never a silent no-op. A `Dialplan` is cheap to clone (one `Arc`) and shared by all calls.
//!
//! Per call, [`Machine::new`] starts at a context and extension with the caller's [`Channel`];
//! [`Machine::step`] runs priorities until one needs the outside world and returns it as an
//! [`Action`]; the caller carries it out and, for the actions that ask a question, answers
//! with `resume_*`. The machine never reads a clock (the caller passes `now` as a
//! [`CivilTime`] to every step), never does I/O and never blocks; it keeps no global state
//! (globals are a per-call copy).
//!
//! ```text
//! load:     let plan = Dialplan::load("/etc/ringway/extensions.conf", &FsResolver)?;  // Err: LoadErrors
//!           for w in plan.warnings() { warn!(%w) }
//! per call: if !plan.exists(context, exten, caller, now) { ask the next router (or 404) }
//!           let mut m = Machine::new(&plan, context, exten, Channel::from_request(&request));
//!           loop { match m.step(local_now()) {
//!             Action::Answer | Progress | Ringing  => send 200 / 183 / 180
//!             Action::Dial { targets, timeout, options }
//!                                      => fork the targets; m.resume_dial(DialResult::from_status(code))
//!             Action::Targets { targets } => walk them with fail-over; m.resume_dial(..)
//!             Action::Wasm { plugin, args } => chain.decide(..) off the shard; m.resume_wasm(decision)
//!             Action::Route { table }  => tables.route(..); m.resume_route(decision)
//!             Action::Wait(d)          => sleep on the call's timer, then step
//!             Action::Log { level, message } => log it
//!             Action::Hangup { status } => answer status.line (if unanswered), end
//!             Action::Busy | Congestion => 486 / 503 (Action::final_status), end
//!             Action::Done             => end; if unanswered, answer m.hangup_status().line
//!           } }
//! ```
//!
//! `Dial`/`Targets`/`Wasm`/`Route` are repeated by `step` until answered, so a caller that
//! polls again before the answer is in does no harm. The B-leg's caller ID is
//! [`Machine::caller_id`]; the variables a plugin sees are [`Machine::variables`].
//!
//! ## Layout
//!
//! `config` (the Asterisk config-file syntax: comments, sections, `#include`, continuation),
//! `parse` (contexts, extensions, priorities, load-time checks), `pattern` (extension matching
//! and Asterisk's sort order), `apps` (the applications and their arguments), `vars`
//! (variables and `${}` substitution), `functions` (`CALLERID`, `CUT`, …), `expr` (`$[ ]`),
//! `time` ([`CivilTime`], time specifications), `machine` ([`Machine`], [`Action`]), `error`
//! ([`LoadError`]).
//!
//! `SUPPORTED.md` in this directory lists every application and function with its
//! differences from Asterisk. Deliberately not done: media (`Playback`, `Background`, `Read`,
//! … are load errors naming the missing capability), queues, AGI, `Macro`, the `h`
//! extension (hang-up handlers), dialplan switches, channel technologies other than PJSIP
//! and SIP, and time zones in time specifications.

mod apps;
mod config;
mod error;
mod expr;
mod functions;
mod machine;
mod parse;
mod pattern;
mod time;
mod vars;

pub use apps::{
    ArgError, Destination, DialOption, DialOptions, DialTarget, HangupStatus, LogLevel, Technology,
};
pub use config::{FileResolver, FsResolver, MAX_INCLUDE_DEPTH, MemoryFiles};
pub use error::{LoadError, LoadErrorKind, LoadErrors};
pub use expr::ExprWarning;
pub use machine::{Action, DEFAULT_BUDGET, DialResult, Machine, ResumeError};
pub use time::{CivilTime, InvalidCivilTime, TimeSpecProblem};
pub use vars::{Channel, FunctionProblem, Warning};

use error::Pos;
use parse::{Plan, Want};
use std::path::Path;
use std::sync::Arc;

/// A loaded `extensions.conf`: immutable, cheap to clone, shared by every call.
#[derive(Clone, Debug)]
pub struct Dialplan {
    inner: Arc<Loaded>,
}

#[derive(Debug)]
struct Loaded {
    plan: Plan,
    warnings: Vec<LoadError>,
}

impl Dialplan {
    /// Loads `path` and its `#include`s (resolved against the including file's directory),
    /// or returns every problem found, in file order.
    pub fn load(path: impl AsRef<Path>, files: &dyn FileResolver) -> Result<Dialplan, LoadErrors> {
        let config = config::read(path.as_ref(), files);
        let (plan, errors, warnings) = parse::build(config);
        let locate = |(pos, kind): (Pos, LoadErrorKind)| LoadError {
            file: plan.files.get(pos.file as usize).cloned().unwrap_or_default(),
            line: pos.line,
            column: pos.col,
            kind,
        };
        if !errors.is_empty() {
            return Err(LoadErrors(errors.into_iter().map(locate).collect()));
        }
        let warnings = warnings.into_iter().map(locate).collect();
        Ok(Dialplan { inner: Arc::new(Loaded { plan, warnings }) })
    }

    /// Loads a dialplan held in a string, named `name` in error messages (it cannot
    /// `#include` anything).
    pub fn parse(name: &str, text: &str) -> Result<Dialplan, LoadErrors> {
        Dialplan::load(name, &MemoryFiles::new().with(name, text))
    }

    /// Problems that did not stop the load: includes of contexts this dialplan does not
    /// define, jumps to such contexts, `ignorepat` lines.
    pub fn warnings(&self) -> &[LoadError] {
        &self.inner.warnings
    }

    /// The files read, top file first.
    pub fn files(&self) -> &[String] {
        &self.inner.plan.files
    }

    /// The contexts, sorted by name.
    pub fn contexts(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.inner.plan.contexts.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// A context's extension names in the order they are tried (literal names first, then
    /// patterns from most to least specific), or `None` when there is no such context.
    pub fn extensions(&self, context: &str) -> Option<Vec<&str>> {
        let found = self.inner.plan.contexts.get(context)?;
        Some(found.extensions.iter().map(|e| e.name.as_str()).collect())
    }

    /// A global variable as `[globals]` sets it.
    pub fn global(&self, name: &str) -> Option<&str> {
        self.inner.plan.globals.get(name).map(String::as_str)
    }

    /// Whether `exten`, dialed by `caller` (its number, for caller-ID matches), has a priority 1
    /// in `context` (or a context it includes, timed includes evaluated at `now`): whether a
    /// [`Machine`] started there would run rather than end with 404.
    pub fn exists(&self, context: &str, exten: &str, caller: &str, now: CivilTime) -> bool {
        self.inner.plan.find(context, exten, caller, Want::Priority(1), now).is_some()
    }

    /// The plugin names `Wasm()` applications name literally, sorted and without repeats: for
    /// the server to check against its `[[plugins]]` at load time. (A name that comes from a
    /// variable is only known when the call runs.)
    pub fn wasm_plugins(&self) -> Vec<&str> {
        let contexts = self.inner.plan.contexts.values();
        let steps = contexts.flat_map(|c| &c.extensions).flat_map(|e| e.priorities.values());
        let mut names: Vec<&str> = steps
            .filter(|step| step.app == apps::App::Wasm)
            .map(|step| step.data.split(',').next().unwrap_or("").trim())
            .filter(|name| !name.is_empty() && !name.contains(['$', '"', '\\']))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    fn plan(&self) -> &Plan {
        &self.inner.plan
    }
}

#[cfg(test)]
mod tests;
