//! The applications Ringway runs, and how their arguments are read.
//!
//! Arguments are substituted first and split afterwards, as Asterisk does: a variable whose
//! value holds a comma adds an argument. Splitting ([`separate_args`], Asterisk's
//! `ast_app_separate_args`) respects parentheses, square brackets and double quotes, and a
//! backslash protects the next character; for most applications the quotes and backslashes
//! are then removed. `Set` and `Goto`-style locations take their text as it is.
//!
//! The table of applications, with what each one asks of the caller, is in `SUPPORTED.md`
//! and in the [`Action`](super::Action) docs. Applications Asterisk has and Ringway does not
//! are load errors: the ones that need media (`Playback`, `Background`, `Read`, …) say so, the
//! others are "unsupported", and a name Asterisk does not know either is "unknown", with a
//! suggestion when it is close to a supported one (`Dail` → `Dial`).

use super::error::LoadErrorKind;
use super::time::TimeSpecProblem;
use ringway_sdk::StatusLine;
use ringway_sdk::catalog;
use ringway_sdk::cause::{Q850Cause, status_for_cause};
use std::fmt;
use std::time::Duration;

/// An application Ringway runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum App {
    Answer,
    Busy,
    Congestion,
    Dial,
    Gosub,
    Goto,
    GotoIf,
    GotoIfTime,
    Hangup,
    Log,
    NoOp,
    Progress,
    Return,
    Ringing,
    Route,
    Set,
    Verbose,
    Wait,
    Wasm,
}

const APPS: [(App, &str); 19] = [
    (App::Answer, "Answer"),
    (App::Busy, "Busy"),
    (App::Congestion, "Congestion"),
    (App::Dial, "Dial"),
    (App::Gosub, "Gosub"),
    (App::Goto, "Goto"),
    (App::GotoIf, "GotoIf"),
    (App::GotoIfTime, "GotoIfTime"),
    (App::Hangup, "Hangup"),
    (App::Log, "Log"),
    (App::NoOp, "NoOp"),
    (App::Progress, "Progress"),
    (App::Return, "Return"),
    (App::Ringing, "Ringing"),
    (App::Route, "Route"),
    (App::Set, "Set"),
    (App::Verbose, "Verbose"),
    (App::Wait, "Wait"),
    (App::Wasm, "Wasm"),
];

/// Asterisk applications that play, record or listen to audio.
const MEDIA_APPS: &[&str] = &[
    "AMD",
    "Authenticate",
    "Background",
    "BackgroundDetect",
    "ChanSpy",
    "ControlPlayback",
    "Directory",
    "DISA",
    "Echo",
    "ExtenSpy",
    "Festival",
    "Milliwatt",
    "MixMonitor",
    "Monitor",
    "Morsecode",
    "MusicOnHold",
    "Playback",
    "PlayTones",
    "Read",
    "ReadExten",
    "Record",
    "SayAlpha",
    "SayAlphaCase",
    "SayCountedAdj",
    "SayCountedNoun",
    "SayDigits",
    "SayMoney",
    "SayNumber",
    "SayOrdinal",
    "SayPhonetic",
    "SayUnixTime",
    "SendDTMF",
    "StartMusicOnHold",
    "StopMusicOnHold",
    "StopPlayTones",
    "VoiceMail",
    "VoiceMailMain",
    "WaitExten",
    "WaitForNoise",
    "WaitForSilence",
];

/// Other Asterisk applications Ringway does not run (yet).
const UNSUPPORTED_APPS: &[&str] = &[
    "AddQueueMember",
    "AGI",
    "BlindTransfer",
    "Bridge",
    "BridgeWait",
    "CELGenUserEvent",
    "ChanIsAvail",
    "ChannelRedirect",
    "ConfBridge",
    "ContinueWhile",
    "DBdel",
    "DBdeltree",
    "DeadAGI",
    "DumpChan",
    "EAGI",
    "EndWhile",
    "Exec",
    "ExecIf",
    "ExecIfTime",
    "ExitWhile",
    "ForkCDR",
    "GosubIf",
    "ImportVar",
    "Incomplete",
    "Macro",
    "MacroExclusive",
    "MacroExit",
    "MacroIf",
    "MeetMe",
    "MSet",
    "NoCDR",
    "Originate",
    "Page",
    "Park",
    "ParkAndAnnounce",
    "ParkedCall",
    "PauseQueueMember",
    "Pickup",
    "PickupChan",
    "PJSIPAddHeader",
    "Queue",
    "QueueLog",
    "RaiseException",
    "ReceiveFax",
    "RemoveQueueMember",
    "ResetCDR",
    "SendFax",
    "SendText",
    "SendURL",
    "SIPAddHeader",
    "SIPRemoveHeader",
    "SoftHangup",
    "StackPop",
    "Stasis",
    "System",
    "Transfer",
    "TryExec",
    "TrySystem",
    "UnpauseQueueMember",
    "UserEvent",
    "WaitUntil",
    "While",
];

impl App {
    /// The application's name as Ringway spells it.
    pub fn name(self) -> &'static str {
        APPS.iter().find(|(app, _)| *app == self).map_or("?", |(_, name)| name)
    }

    /// The application called `name` (case-insensitive, as in Asterisk), or why there is none.
    pub fn lookup(name: &str) -> Result<App, LoadErrorKind> {
        if let Some((app, _)) = APPS.iter().find(|(_, n)| n.eq_ignore_ascii_case(name)) {
            return Ok(*app);
        }
        if MEDIA_APPS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(LoadErrorKind::NeedsMedia(name.to_owned()));
        }
        if UNSUPPORTED_APPS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(LoadErrorKind::UnsupportedApplication(name.to_owned()));
        }
        let lower = name.to_ascii_lowercase();
        let suggestion = APPS
            .iter()
            .map(|(_, n)| (edit_distance(&lower, &n.to_ascii_lowercase()), *n))
            .filter(|&(d, _)| d <= 2)
            .min()
            .map(|(_, n)| n);
        Err(LoadErrorKind::UnknownApplication { name: name.to_owned(), suggestion })
    }
}

impl fmt::Display for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// What is wrong with an application's arguments.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ArgError {
    /// `Dial()` with no target.
    #[error("needs at least one target such as PJSIP/100 or PJSIP/${{EXTEN}}@trunk")]
    NoTargets,
    /// A channel technology other than PJSIP and SIP.
    #[error("technology '{0}' is not supported (Ringway dials PJSIP/ and SIP/)")]
    Technology(String),
    /// A dial string that is not `Tech/resource`.
    #[error("'{0}' is not a dial target (expected Tech/resource)")]
    BadTarget(String),
    /// A timeout that is not a positive number of seconds.
    #[error("'{0}' is not a number of seconds")]
    BadDuration(String),
    /// A hangup cause that is neither a number nor a cause name.
    #[error("'{0}' is not a Q.850 cause (1-127) or cause name such as USER_BUSY")]
    BadCause(String),
    /// A number outside the Q.850 range, probably meant as a SIP status.
    #[error(
        "{0} is not a Q.850 cause (1-127); to answer with a SIP status line write Hangup({0},<reason phrase>)"
    )]
    CauseOutOfRange(i64),
    /// `Hangup(code,phrase)` naming no catalog line.
    #[error("'{code} {reason}' is not a catalog status line; the catalog's {code} lines are: {}", known.iter().map(|r| format!("'{r}'")).collect::<Vec<_>>().join(", "))]
    NotInCatalog {
        /// The code.
        code: u16,
        /// The phrase as written.
        reason: String,
        /// The catalog's phrases for that code.
        known: Vec<&'static str>,
    },
    /// `Hangup(code,phrase)` with a code that is not a final failure status.
    #[error("'{0}' is not a SIP failure status code (400-699)")]
    BadStatusCode(String),
    /// A Goto/Gosub destination that is not `[[context,]extension,]priority`.
    #[error("'{0}' is not a dialplan location ([[context,]extension,]priority or label)")]
    BadLocation(String),
    /// `GotoIf`/`GotoIfTime` without `?`.
    #[error("missing '?' between the condition and the destinations")]
    MissingQuestionMark,
    /// A time specification element that would be skipped.
    #[error(transparent)]
    Time(#[from] TimeSpecProblem),
    /// `Set` without `=`.
    #[error("expected name=value")]
    MissingEquals,
    /// `Set(FUNC(...)=...)` of a function that cannot be written.
    #[error("function '{0}' cannot be assigned")]
    NotWritable(String),
    /// A log level that does not exist.
    #[error("'{0}' is not a log level (ERROR, WARNING, NOTICE, DEBUG, VERBOSE, DTMF)")]
    BadLogLevel(String),
    /// A verbosity level that is not a number.
    #[error("'{0}' is not a verbosity level; the message is what follows the comma")]
    BadVerbosity(String),
    /// `Wasm()` without a plugin name.
    #[error("needs a plugin name")]
    MissingPlugin,
    /// A Goto/Gosub label that no extension has.
    #[error("no priority labelled '{label}' in {context},{exten}")]
    NoSuchLabel {
        /// The context searched.
        context: String,
        /// The extension searched.
        exten: String,
        /// The label.
        label: String,
    },
    /// A Gosub to a place that does not exist.
    #[error("no priority {priority} in {context},{exten}")]
    NoDestination {
        /// The context.
        context: String,
        /// The extension.
        exten: String,
        /// The priority.
        priority: u32,
    },
    /// `Return` outside a Gosub.
    #[error("Return without a Gosub")]
    ReturnWithoutGosub,
}

/// Splits application arguments at `delim` outside parentheses, brackets and double quotes; a
/// backslash protects the next character. With `remove`, quotes and protecting backslashes are
/// dropped. At most `max` parts: the last one is the rest of the text, as written.
pub(crate) fn separate_args(s: &str, delim: char, remove: bool, max: usize) -> Vec<String> {
    if s.is_empty() {
        return Vec::new();
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let (mut paren, mut bracket, mut quote) = (0u32, 0u32, false);
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        if parts.len() + 1 == max {
            current.push_str(&s[i..]);
            break;
        }
        match c {
            '(' => {
                paren += 1;
                current.push(c);
            }
            ')' => {
                paren = paren.saturating_sub(1);
                current.push(c);
            }
            '[' => {
                bracket += 1;
                current.push(c);
            }
            ']' => {
                bracket = bracket.saturating_sub(1);
                current.push(c);
            }
            '"' if delim != '"' => {
                quote = !quote;
                if !remove {
                    current.push(c);
                }
            }
            '\\' => {
                if !remove {
                    current.push(c);
                }
                if let Some((_, next)) = chars.next() {
                    current.push(next);
                }
            }
            c if c == delim && paren == 0 && bracket == 0 && !quote => {
                parts.push(std::mem::take(&mut current));
            }
            c => current.push(c),
        }
    }
    parts.push(current);
    parts
}

/// A technology Ringway dials.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Technology {
    /// `PJSIP/…`
    Pjsip,
    /// `SIP/…` (chan_sip syntax, dialed the same way).
    Sip,
}

/// Where a dial target points.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Destination {
    /// `PJSIP/1001`, `SIP/alice`: an endpoint by name: a registered user, or a configured
    /// gateway. The B2BUA decides which.
    Endpoint(String),
    /// `PJSIP/gw/74951234567`, `PJSIP/74951234567@gw`, `SIP/gw/number`, `SIP/number@gw`: a
    /// number through a gateway (a configured one, or a host).
    Number {
        /// The number to put in the Request-URI.
        number: String,
        /// The gateway's name (or host).
        gateway: String,
    },
    /// `PJSIP/gw/sip:alice@example.com`: a URI, sent through an endpoint.
    Uri {
        /// The endpoint whose settings (transport, credentials, outbound proxy) apply.
        endpoint: String,
        /// The Request-URI.
        uri: String,
    },
}

/// One destination of a `Dial`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DialTarget {
    /// The technology.
    pub technology: Technology,
    /// Where to.
    pub destination: Destination,
    /// The target as written (after substitution), for logs and CDRs.
    pub raw: String,
}

impl DialTarget {
    /// Parses `Tech/resource`.
    pub fn parse(raw: &str) -> Result<DialTarget, ArgError> {
        let raw = raw.trim();
        let Some((technology, resource)) = raw.split_once('/') else {
            return Err(ArgError::BadTarget(raw.to_owned()));
        };
        let technology = match technology.to_ascii_uppercase().as_str() {
            "PJSIP" => Technology::Pjsip,
            "SIP" => Technology::Sip,
            _ => return Err(ArgError::Technology(technology.to_owned())),
        };
        let bad = || ArgError::BadTarget(raw.to_owned());
        let destination = if let Some((first, second)) = resource.split_once('/') {
            if first.is_empty() || second.is_empty() {
                return Err(bad());
            }
            let lower = second.to_ascii_lowercase();
            if lower.starts_with("sip:") || lower.starts_with("sips:") {
                Destination::Uri { endpoint: first.to_owned(), uri: second.to_owned() }
            } else {
                Destination::Number { number: second.to_owned(), gateway: first.to_owned() }
            }
        } else if let Some((number, gateway)) = resource.split_once('@') {
            if number.is_empty() || gateway.is_empty() {
                return Err(bad());
            }
            Destination::Number { number: number.to_owned(), gateway: gateway.to_owned() }
        } else if resource.is_empty() {
            return Err(bad());
        } else {
            Destination::Endpoint(resource.to_owned())
        };
        Ok(DialTarget { technology, destination, raw: raw.to_owned() })
    }
}

/// One Dial option: a letter and its parenthesised argument, if any (`L(60000:30000)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DialOption {
    /// The option letter (case matters: `t` and `T` differ).
    pub flag: char,
    /// The text in parentheses after it.
    pub argument: Option<String>,
}

/// Dial's options, kept as data for the B2BUA. The machine itself only acts on `g` (go on in
/// the dialplan after an answered call ends).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DialOptions {
    /// The options string as written (after substitution).
    pub raw: String,
    /// The options, in order.
    pub options: Vec<DialOption>,
}

impl DialOptions {
    /// Parses an options string such as `tTgL(60000:30000)`.
    pub fn parse(raw: &str) -> DialOptions {
        let mut options = Vec::new();
        let mut chars = raw.chars().peekable();
        while let Some(flag) = chars.next() {
            if flag.is_whitespace() {
                continue;
            }
            let mut argument = None;
            if chars.peek() == Some(&'(') {
                chars.next();
                let mut depth = 1;
                let mut text = String::new();
                for c in chars.by_ref() {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    text.push(c);
                }
                argument = Some(text);
            }
            options.push(DialOption { flag, argument });
        }
        DialOptions { raw: raw.to_owned(), options }
    }

    /// Whether the option letter is present.
    pub fn has(&self, flag: char) -> bool {
        self.options.iter().any(|o| o.flag == flag)
    }

    /// The argument of the option letter, when it has one.
    pub fn argument(&self, flag: char) -> Option<&str> {
        self.options.iter().find(|o| o.flag == flag)?.argument.as_deref()
    }
}

/// Seconds as written in `Dial`'s timeout or `Wait`: a non-negative decimal number.
pub(crate) fn seconds(s: &str) -> Result<Duration, ArgError> {
    let s = s.trim();
    s.parse::<f64>()
        .ok()
        .filter(|n| {
            n.is_finite() && *n >= 0.0 && !s.starts_with(['+', '-']) && !s.contains(['e', 'E'])
        })
        .map(Duration::from_secs_f64)
        .ok_or_else(|| ArgError::BadDuration(s.to_owned()))
}

/// How a call is ended: the Q.850 cause recorded for it and the status line an unanswered
/// caller gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HangupStatus {
    /// The cause (`HANGUPCAUSE`, the `Reason` header).
    pub cause: Q850Cause,
    /// The final response for a call not yet answered.
    pub line: StatusLine,
}

impl HangupStatus {
    /// A cause, answered as chan_pjsip does ([`status_for_cause`]).
    pub fn from_cause(cause: Q850Cause) -> HangupStatus {
        HangupStatus { cause, line: status_for_cause(cause) }
    }

    /// A catalog line, with the cause the catalog gives it.
    pub fn from_line(line: StatusLine) -> HangupStatus {
        let cause = catalog::entry(line)
            .map_or_else(|| ringway_sdk::cause::cause_for_status(line.code), |entry| entry.q850);
        HangupStatus { cause, line }
    }
}

/// `Hangup`'s argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum HangupArg {
    /// No argument: the channel's cause, else 16 (normal clearing).
    Default,
    /// A cause or a catalog line.
    Status(HangupStatus),
}

/// Reads `Hangup([cause])` or Ringway's `Hangup(code,reason phrase)`.
pub(crate) fn hangup_arg(data: &str) -> Result<HangupArg, ArgError> {
    let data = data.trim();
    if data.is_empty() {
        return Ok(HangupArg::Default);
    }
    if let Some((code, reason)) = data.split_once(',') {
        let (code_text, reason) = (code.trim(), reason.trim());
        let code: u16 = code_text
            .parse()
            .ok()
            .filter(|c| (400..700).contains(c))
            .ok_or_else(|| ArgError::BadStatusCode(code_text.to_owned()))?;
        return match catalog::exact(code, reason) {
            Some(line) => Ok(HangupArg::Status(HangupStatus::from_line(line))),
            None => Err(ArgError::NotInCatalog {
                code,
                reason: reason.to_owned(),
                known: catalog::variants(code).map(|e| e.line.reason).collect(),
            }),
        };
    }
    if let Some(cause) =
        (0..=127).map(Q850Cause).find(|c| c.name().is_some_and(|n| n.eq_ignore_ascii_case(data)))
    {
        return Ok(HangupArg::Status(HangupStatus::from_cause(cause)));
    }
    match data.parse::<i64>() {
        Ok(n @ 1..=127) => Ok(HangupArg::Status(HangupStatus::from_cause(Q850Cause(n as u8)))),
        Ok(n) if n > 127 => Err(ArgError::CauseOutOfRange(n)),
        _ => Err(ArgError::BadCause(data.to_owned())),
    }
}

/// A priority as a destination names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PriorityRef {
    Number(u32),
    /// `+N` / `-N` from the current priority.
    Relative(i64),
    Label(String),
}

/// A Goto/Gosub destination: `[[context,]extension,]priority`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub context: Option<String>,
    pub exten: Option<String>,
    pub priority: PriorityRef,
}

/// Reads `[[context,]extension,]priority` (split at plain commas, each part trimmed).
pub(crate) fn location(s: &str) -> Result<Location, ArgError> {
    let bad = || ArgError::BadLocation(s.to_owned());
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let (context, exten, priority) = match parts.as_slice() {
        [p] => (None, None, *p),
        [e, p] => (None, Some(*e), *p),
        [c, e, p] => (Some(*c), Some(*e), *p),
        _ => return Err(bad()),
    };
    if priority.is_empty() || exten.is_some_and(str::is_empty) || context.is_some_and(str::is_empty)
    {
        return Err(bad());
    }
    let priority = if let Some(n) = priority.strip_prefix('+').and_then(|n| n.parse::<i64>().ok()) {
        PriorityRef::Relative(n)
    } else if let Some(n) = priority.strip_prefix('-').and_then(|n| n.parse::<i64>().ok()) {
        PriorityRef::Relative(-n)
    } else if let Ok(n) = priority.parse::<u32>() {
        if n == 0 {
            return Err(bad());
        }
        PriorityRef::Number(n)
    } else {
        PriorityRef::Label(priority.to_owned())
    };
    Ok(Location { context: context.map(str::to_owned), exten: exten.map(str::to_owned), priority })
}

/// `Gosub([[context,]exten,]priority[(arg1[,...])])`: the destination and its arguments.
pub(crate) fn gosub_args(data: &str) -> Result<(Location, Vec<String>), ArgError> {
    let (place, args) = match data.find('(') {
        Some(open) => {
            let close = data.rfind(')').filter(|&c| c > open).unwrap_or(data.len());
            (&data[..open], separate_args(&data[open + 1..close], ',', false, usize::MAX))
        }
        None => (data, Vec::new()),
    };
    Ok((location(place)?, args))
}

/// `cond?[yes][:no]` → (cond, yes, no).
pub(crate) fn branches(data: &str) -> Result<(&str, &str, &str), ArgError> {
    let (condition, rest) = data.split_once('?').ok_or(ArgError::MissingQuestionMark)?;
    let (yes, no) = rest.split_once(':').unwrap_or((rest, ""));
    Ok((condition, yes.trim(), no.trim()))
}

/// A log level of `Log()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// `ERROR`
    Error,
    /// `WARNING`
    Warning,
    /// `NOTICE`
    Notice,
    /// `DEBUG`
    Debug,
    /// `VERBOSE`, and `Verbose()`.
    Verbose,
    /// `DTMF`
    Dtmf,
}

impl LogLevel {
    pub(crate) fn parse(s: &str) -> Result<LogLevel, ArgError> {
        Ok(match s.trim().to_ascii_uppercase().as_str() {
            "ERROR" => LogLevel::Error,
            "WARNING" => LogLevel::Warning,
            "NOTICE" => LogLevel::Notice,
            "DEBUG" => LogLevel::Debug,
            "VERBOSE" => LogLevel::Verbose,
            "DTMF" => LogLevel::Dtmf,
            _ => return Err(ArgError::BadLogLevel(s.trim().to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringway_sdk::catalog::{BUSY_HERE_486, EMPTY_ROUTE_SET_480};

    #[test]
    fn arguments_split_like_ast_app_separate_args() {
        let cases: &[(&str, bool, &[&str])] = &[
            ("", true, &[]),
            ("a,b,c", true, &["a", "b", "c"]),
            ("a,,c,", true, &["a", "", "c", ""]),
            ("\"a,b\",c", true, &["a,b", "c"]),
            ("\"a,b\",c", false, &["\"a,b\"", "c"]),
            ("f(x,y),z", true, &["f(x,y)", "z"]),
            ("[a,b],c", true, &["[a,b]", "c"]),
            ("a\\,b,c", true, &["a,b", "c"]),
            ("a\\,b,c", false, &["a\\,b", "c"]),
            ("Hi, James!", true, &["Hi", " James!"]),
        ];
        for &(input, remove, expected) in cases {
            assert_eq!(separate_args(input, ',', remove, usize::MAX), expected, "{input:?}");
        }
        assert_eq!(separate_args("ERROR,a,b \"c\"", ',', true, 2), ["ERROR", "a,b \"c\""]);
    }

    #[test]
    fn dial_targets_read_every_documented_form() {
        let number = |n: &str, g: &str| Destination::Number { number: n.into(), gateway: g.into() };
        let cases = [
            ("PJSIP/gw/74951234567", Technology::Pjsip, number("74951234567", "gw")),
            ("PJSIP/74951234567@gw", Technology::Pjsip, number("74951234567", "gw")),
            ("SIP/gw/100", Technology::Sip, number("100", "gw")),
            ("SIP/100@gw", Technology::Sip, number("100", "gw")),
            ("pjsip/1001", Technology::Pjsip, Destination::Endpoint("1001".into())),
            (
                "PJSIP/gw/sip:alice@example.com",
                Technology::Pjsip,
                Destination::Uri { endpoint: "gw".into(), uri: "sip:alice@example.com".into() },
            ),
        ];
        for (raw, technology, destination) in cases {
            let target = DialTarget::parse(raw).expect(raw);
            assert_eq!((target.technology, target.destination), (technology, destination), "{raw}");
            assert_eq!(target.raw, raw);
        }
        assert_eq!(DialTarget::parse("IAX2/peer"), Err(ArgError::Technology("IAX2".into())));
        assert_eq!(DialTarget::parse("PJSIP/"), Err(ArgError::BadTarget("PJSIP/".into())));
        assert_eq!(DialTarget::parse("1001"), Err(ArgError::BadTarget("1001".into())));
        assert_eq!(DialTarget::parse("PJSIP/@gw"), Err(ArgError::BadTarget("PJSIP/@gw".into())));
    }

    #[test]
    fn dial_options_keep_letters_and_arguments() {
        let options = DialOptions::parse("tTgL(60000:30000)U(sub^a(1))");
        let flags: Vec<char> = options.options.iter().map(|o| o.flag).collect();
        assert_eq!(flags, ['t', 'T', 'g', 'L', 'U']);
        assert!(options.has('g') && !options.has('G'));
        assert_eq!(options.argument('L'), Some("60000:30000"));
        assert_eq!(options.argument('U'), Some("sub^a(1)"));
        assert_eq!(options.raw, "tTgL(60000:30000)U(sub^a(1))");
    }

    #[test]
    fn hangup_reads_causes_names_and_catalog_lines() {
        let status = |data: &str| match hangup_arg(data) {
            Ok(HangupArg::Status(s)) => (s.cause.0, s.line.to_string()),
            other => panic!("{data}: {other:?}"),
        };
        assert_eq!(hangup_arg(""), Ok(HangupArg::Default));
        assert_eq!(status("17"), (17, "486 Busy Here".into()));
        assert_eq!(status("user_busy"), (17, "486 Busy Here".into()));
        assert_eq!(status("1"), (1, "404 Not found".into()));
        assert_eq!(status("34"), (34, "503 Service Unavailable".into()));
        assert_eq!(status("16"), (16, "603 Decline".into()));
        assert_eq!(status("480,Empty Route Set"), (3, EMPTY_ROUTE_SET_480.to_string()));
        assert_eq!(status("486, Busy Here"), (17, BUSY_HERE_486.to_string()));
        assert_eq!(hangup_arg("480"), Err(ArgError::CauseOutOfRange(480)));
        assert_eq!(hangup_arg("0"), Err(ArgError::BadCause("0".into())));
        assert_eq!(hangup_arg("busy"), Err(ArgError::BadCause("busy".into())));
        assert_eq!(hangup_arg("200,OK"), Err(ArgError::BadStatusCode("200".into())));
        let Err(ArgError::NotInCatalog { known, .. }) = hangup_arg("480,Empty route set") else {
            panic!("a phrase must match exactly");
        };
        assert!(known.contains(&"Empty Route Set"), "{known:?}");
    }

    #[test]
    fn locations_read_labels_numbers_and_offsets() {
        let loc = |c: Option<&str>, e: Option<&str>, p: PriorityRef| Location {
            context: c.map(Into::into),
            exten: e.map(Into::into),
            priority: p,
        };
        assert_eq!(location("5"), Ok(loc(None, None, PriorityRef::Number(5))));
        assert_eq!(location("busy"), Ok(loc(None, None, PriorityRef::Label("busy".into()))));
        assert_eq!(location("200,1"), Ok(loc(None, Some("200"), PriorityRef::Number(1))));
        assert_eq!(
            location(" ctx , s , start "),
            Ok(loc(Some("ctx"), Some("s"), PriorityRef::Label("start".into())))
        );
        assert_eq!(location("+2"), Ok(loc(None, None, PriorityRef::Relative(2))));
        assert_eq!(location("-1"), Ok(loc(None, None, PriorityRef::Relative(-1))));
        for bad in ["", "a,b,c,d", "ctx,,1", "0"] {
            assert!(location(bad).is_err(), "{bad:?}");
        }
        let (place, args) = gosub_args("sub,s,1(a,\"b,c\",)").expect("gosub");
        assert_eq!(place, loc(Some("sub"), Some("s"), PriorityRef::Number(1)));
        assert_eq!(args, ["a", "\"b,c\"", ""]);
    }

    #[test]
    fn application_names_are_case_insensitive_and_unknown_ones_get_suggestions() {
        assert_eq!(App::lookup("dial"), Ok(App::Dial));
        assert_eq!(App::lookup("GOTOIFTIME"), Ok(App::GotoIfTime));
        assert_eq!(
            App::lookup("Dail"),
            Err(LoadErrorKind::UnknownApplication {
                name: "Dail".into(),
                suggestion: Some("Dial")
            })
        );
        assert_eq!(
            App::lookup("Frobnicate"),
            Err(LoadErrorKind::UnknownApplication { name: "Frobnicate".into(), suggestion: None })
        );
        assert_eq!(App::lookup("Playback"), Err(LoadErrorKind::NeedsMedia("Playback".into())));
        assert_eq!(App::lookup("BackGround"), Err(LoadErrorKind::NeedsMedia("BackGround".into())));
        assert_eq!(
            App::lookup("Queue"),
            Err(LoadErrorKind::UnsupportedApplication("Queue".into()))
        );
    }
}
