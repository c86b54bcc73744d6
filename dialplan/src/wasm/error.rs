//! What can go wrong: loading a chain ([`LoadError`]) and running one decision
//! ([`PluginError`]), and the one function that turns a failed decision into a SIP answer
//! ([`PluginError::decision`]).

use super::config::Fallback;
use crate::Decision;
use std::sync::Arc;
use std::time::Duration;

/// Why a chain could not be loaded. The previous chain stays in service.
#[derive(Debug, thiserror::Error)]
#[error("{}{kind}", plugin.as_deref().map(|p| format!("plugin {p}: ")).unwrap_or_default())]
pub struct LoadError {
    /// The plugin at fault, when one is.
    pub plugin: Option<String>,
    /// What went wrong.
    pub kind: LoadErrorKind,
}

/// The kinds of [`LoadError`].
#[derive(Debug, thiserror::Error)]
pub enum LoadErrorKind {
    /// The configuration is invalid (unknown key, bad limit, unknown fallback, duplicate name).
    #[error("configuration: {0}")]
    Config(String),
    /// The component file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not a valid component, or could not be compiled.
    #[error("not a valid component: {0}")]
    Compile(String),
    /// The component does not fit the `router` world: a missing export, or an import the host
    /// does not offer (files, network, another world's interfaces).
    #[error("does not implement ringway:plugin/router: {0}")]
    Link(String),
    /// The engine could not be created (pooling allocator reservation failed).
    #[error("engine: {0}")]
    Engine(String),
}

/// A decision that failed: which plugin, why, and what to answer instead.
#[derive(Clone, Debug, thiserror::Error)]
#[error("plugin {plugin}: {kind}")]
pub struct PluginError {
    /// The plugin's name.
    pub plugin: Arc<str>,
    /// What went wrong.
    pub kind: PluginErrorKind,
    /// The plugin's configured fallback.
    pub fallback: Fallback,
}

/// The kinds of [`PluginError`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PluginErrorKind {
    /// The plugin trapped (a panic, `unreachable`, an out-of-bounds access…); the message
    /// includes what it wrote to stderr, if anything.
    #[error("trapped: {0}")]
    Trap(String),
    /// The plugin ran past its deadline and was interrupted.
    #[error("ran past its {0:?} deadline")]
    Deadline(Duration),
    /// The plugin tried to grow its memory past its cap (bytes).
    #[error("tried to grow its memory past {0} bytes")]
    Memory(usize),
    /// No instance could be made (every pooled slot busy, or instantiation failed).
    #[error("could not be instantiated: {0}")]
    Instantiate(String),
    /// The plugin answered something the server cannot carry out (unknown gateway, a status
    /// line outside the catalog, a core header edit, no targets).
    #[error("bad decision: {0}")]
    BadDecision(String),
}

impl PluginError {
    /// What the call gets instead of the failed decision: the plugin's fallback, by default
    /// `500 Undefined Reason` (DESIGN.md: "plugin trapped, ran out of time or memory"). Every
    /// kind maps the same way: the server cannot tell a half-finished decision from a wrong one.
    pub fn decision(&self) -> Decision {
        match self.fallback {
            Fallback::Reject(line) => Decision::Reject(line),
            Fallback::Continue => Decision::Continue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringway_sdk::catalog::{TEMPORARILY_UNAVAILABLE_480, UNDEFINED_REASON_500};

    #[test]
    fn every_failure_answers_the_fallback_and_500_undefined_reason_by_default() {
        let kinds = [
            PluginErrorKind::Trap("unreachable".into()),
            PluginErrorKind::Deadline(Duration::from_millis(10)),
            PluginErrorKind::Memory(16 << 20),
            PluginErrorKind::Instantiate("pool".into()),
            PluginErrorKind::BadDecision("no targets".into()),
        ];
        for kind in kinds {
            let error = |fallback| PluginError { plugin: "p".into(), kind: kind.clone(), fallback };
            assert_eq!(
                error(Fallback::default()).decision(),
                Decision::Reject(UNDEFINED_REASON_500)
            );
            assert_eq!(error(Fallback::Continue).decision(), Decision::Continue);
            let other = Fallback::Reject(TEMPORARILY_UNAVAILABLE_480);
            assert_eq!(error(other).decision(), Decision::Reject(TEMPORARILY_UNAVAILABLE_480));
        }
    }
}
