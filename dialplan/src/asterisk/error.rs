//! Load errors: what is wrong with an `extensions.conf`, and where (`file:line:column`).
//!
//! Loading collects every problem it finds rather than stopping at the first one, so an operator
//! fixing a file sees all of them at once (and every unsupported application in one list).
//! Warnings have the same shape; they do not stop the load ([`Dialplan::warnings`]).
//!
//! [`Dialplan::warnings`]: super::Dialplan::warnings

use super::apps::ArgError;
use std::fmt;

/// A position in a dialplan source file: 1-based line and column (columns count characters).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    /// Index into the loader's file table.
    pub file: u32,
    pub line: u32,
    pub col: u32,
}

/// One problem in a dialplan, with where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file as the dialplan names it: the top file's path as given to the loader, an
    /// `#include`d file's path joined to the including file's directory.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What is wrong.
    pub kind: LoadErrorKind,
}

impl fmt::Display for LoadError {
    /// `extensions.conf:42:7: unknown application 'Dail' (did you mean 'Dial'?)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.kind)
    }
}

impl std::error::Error for LoadError {}

/// Every problem found while loading, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl LoadErrors {
    /// The problems, in file order.
    pub fn errors(&self) -> &[LoadError] {
        &self.0
    }
}

impl fmt::Display for LoadErrors {
    /// One problem per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// What is wrong with a line of the dialplan.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadErrorKind {
    /// A file (the top one or an `#include`d one) could not be read.
    #[error("cannot read '{path}': {reason}")]
    Read {
        /// The path asked for.
        path: String,
        /// The resolver's explanation.
        reason: String,
    },
    /// An `#include` chain comes back to a file still being read.
    #[error("#include of '{0}' loops back to a file that includes it")]
    IncludeLoop(String),
    /// `#include`s nest too deep.
    #[error("#include nests deeper than {0} files")]
    IncludeTooDeep(usize),
    /// `#include` without a file name.
    #[error("#include needs a file name")]
    MissingIncludeFile,
    /// `#exec`, an `#include` with a wildcard, or an unknown `#` directive.
    #[error("'{0}' is not supported")]
    UnsupportedDirective(String),
    /// A `;--` block comment is still open at the end of the file.
    #[error("block comment ';--' is never closed with '--;'")]
    UnterminatedComment,
    /// A `[` line that is not `[name]` or `[name](options)`.
    #[error("malformed section header: expected '[name]' or '[name](options)'")]
    BadSection,
    /// `[name](template)` names a template not defined above.
    #[error("template '{0}' is not defined above")]
    UnknownTemplate(String),
    /// A setting before the first `[section]`.
    #[error("'{0}' is outside any [section]")]
    OutsideSection(String),
    /// A line that is not `name => value` or `name = value`.
    #[error("expected 'name => value' or 'name = value'")]
    ExpectedAssignment,
    /// An unknown key in `[general]`.
    #[error("unknown [general] setting '{0}'")]
    UnknownGeneralSetting(String),
    /// A `[general]` switch that is not yes/no.
    #[error("'{key}' must be yes or no, not '{value}'")]
    BadBoolean {
        /// The setting.
        key: String,
        /// What it was given.
        value: String,
    },
    /// A line in a context that is not `exten`, `same`, `include` or `ignorepat`.
    #[error("unknown keyword '{0}' in a context (expected exten, same or include)")]
    UnknownKeyword(String),
    /// `switch =>` and its relatives: Ringway has no dialplan switches.
    #[error("'{0} =>' is not supported")]
    UnsupportedKeyword(String),
    /// `same =>` with no `exten =>` before it in the context.
    #[error("'same =>' needs an 'exten =>' before it in this context")]
    SameWithoutExten,
    /// `exten =>` with an empty extension.
    #[error("missing extension")]
    MissingExtension,
    /// An extension line with no priority field.
    #[error("missing priority")]
    MissingPriority,
    /// A priority that is not a number, `n`, `s`, `hint` or a label, with optional `+N`.
    #[error(
        "invalid priority '{0}': expected a number, 'n', 's', 'hint' or a label of this \
         extension, optionally followed by '+N' and '(label)'"
    )]
    BadPriority(String),
    /// `n` or `s` on the first line of a context.
    #[error("'{0}' needs a previous priority in this context")]
    NoPreviousPriority(String),
    /// Two lines define the same priority of the same extension.
    #[error("priority {priority} of extension '{exten}' is already defined on line {first_line}")]
    DuplicatePriority {
        /// The extension.
        exten: String,
        /// The priority.
        priority: u32,
        /// Where it was first defined.
        first_line: u32,
    },
    /// Two priorities of one extension carry the same label.
    #[error("label '{label}' is already used in extension '{exten}'")]
    DuplicateLabel {
        /// The extension.
        exten: String,
        /// The label.
        label: String,
    },
    /// A pattern with a `[` that is never closed.
    #[error("pattern '{0}' has a '[' with no closing ']'")]
    BadPattern(String),
    /// A priority line with no application.
    #[error("missing application")]
    MissingApplication,
    /// `App(args` with no closing parenthesis.
    #[error("missing ')' after the arguments of {0}")]
    UnclosedArguments(String),
    /// Text after an application's closing parenthesis.
    #[error("unexpected text after the closing ')' of {0}")]
    TrailingText(String),
    /// `exten => 1,1,Dial,PJSIP/100`: the pre-1.6 comma form.
    #[error("application arguments go in parentheses: write {0}(...)")]
    ArgumentsWithoutParentheses(String),
    /// An application Asterisk does not have either (a typo).
    #[error("unknown application '{name}'{}", suggestion.map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default())]
    UnknownApplication {
        /// The name as written.
        name: String,
        /// A supported application with a similar name.
        suggestion: Option<&'static str>,
    },
    /// An Asterisk application Ringway does not implement.
    #[error("unsupported application '{0}' (SUPPORTED.md lists what Ringway runs)")]
    UnsupportedApplication(String),
    /// An application that plays or records audio.
    #[error(
        "application '{0}' needs media (prompts, recordings, DTMF), which Ringway does not have yet"
    )]
    NeedsMedia(String),
    /// `${NAME(...)}` with a function Ringway does not implement.
    #[error("unknown or unsupported function '{0}'")]
    UnknownFunction(String),
    /// An application's literal arguments are invalid.
    #[error("{app}: {error}")]
    Arguments {
        /// The application.
        app: &'static str,
        /// What is wrong.
        error: ArgError,
    },
    /// Warning: `include =>` of a context this dialplan does not define (it may come from
    /// an Asterisk module, such as `parkedcalls`); the include never matches.
    #[error("included context '{0}' is not defined; the include never matches")]
    UnknownInclude(String),
    /// Warning: a Goto/Gosub names a context this dialplan does not define.
    #[error("context '{0}' is not defined; jumping there ends the call with 404")]
    UnknownContext(String),
    /// Warning: the `h` (hang-up handler), `t` or `T` (digit and absolute timeout) extension,
    /// which Ringway never runs.
    #[error("extension '{0}' is never run by Ringway (no hang-up handlers, no digit timeouts)")]
    SpecialExtensionIgnored(String),
    /// Warning: an `ignorepat =>` line (it only affects dial tone, which Ringway never plays).
    #[error("'ignorepat' has no effect in Ringway and is ignored")]
    IgnorepatIgnored,
}
