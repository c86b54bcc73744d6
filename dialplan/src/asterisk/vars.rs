//! Channel variables, globals and `${...}` / `$[...]` substitution.
//!
//! Substitution follows Asterisk's `pbx_substitute_variables_helper`: the text is scanned for
//! `${` and `$[`; the matching `}` or `]` is found by counting braces (or brackets); the inside
//! is substituted first (so `${${NAME}}` and `${EXTEN:${SKIP}}` work), then looked up: a
//! function when it contains `(` ([`functions`](super::functions)), else a variable; a
//! `$[...]` is evaluated as an expression ([`expr`](super::expr)). A substituted value is never
//! substituted again. A missing `}` or `]` takes the rest of the text, with a warning.
//!
//! `${NAME:offset:length}` takes a substring: a negative offset counts from the end, a
//! negative length leaves that many characters off the end, an offset past the end gives the
//! empty string; as in Asterisk, `${NAME::3}` (no offset) is the whole value, and substrings
//! apply to function results too (`${CALLERID(num):1}`). **Difference:** offsets count
//! characters, not bytes (the same for the digits and ASCII names dialplans slice).
//!
//! Lookup order: the built-ins `EXTEN`, `CONTEXT`, `PRIORITY`, `CHANNEL`, `UNIQUEID`,
//! `HANGUPCAUSE`, then channel variables, then globals. Names are case-sensitive (Asterisk 12
//! and later). `Set(_NAME=…)` and `Set(__NAME=…)` set `NAME` (inheritance into dialed channels
//! is the B2BUA's business); setting the empty string removes a channel variable, so a global
//! of the same name shows through again, as in Asterisk.
//!
//! **Difference:** globals are a per-call copy. `Set(GLOBAL(X)=…)` changes `X` for the rest of
//! this call only; Asterisk shares globals between all calls, which would make one call's
//! routing depend on another's timing.

use super::expr::{self, ExprWarning};
use super::time::TimeSpecProblem;
use crate::RouteRequest;
use std::collections::BTreeMap;

/// What the dialplan knows about the calling channel when it starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Channel {
    /// `${CALLERID(num)}`: the calling number (the From user).
    pub caller_number: String,
    /// `${CALLERID(name)}`: the calling name (the From display name).
    pub caller_name: String,
    /// `${CHANNEL}`, `${CHANNEL(name)}`, e.g. `PJSIP/alice`.
    pub name: String,
    /// `${UNIQUEID}`.
    pub unique_id: String,
    /// `${CHANNEL(pjsip,call-id)}`.
    pub call_id: String,
    /// `${CHANNEL(pjsip,remote_addr)}`: `ip:port` of the caller.
    pub remote_addr: String,
    /// `${CHANNEL(pjsip,transport)}`: `udp`, `tcp` or `tls`.
    pub transport: String,
    /// The request's headers, read by `${PJSIP_HEADER(read,Name)}` (names compared without
    /// regard to case).
    pub headers: Vec<(String, String)>,
    /// Channel variables set before the dialplan starts.
    pub variables: Vec<(String, String)>,
}

impl Channel {
    /// The channel of a routed request: caller, headers, variables, Call-ID and source.
    pub fn from_request(request: &RouteRequest) -> Channel {
        let endpoint =
            request.account.as_deref().or(request.caller.as_deref()).unwrap_or("anonymous");
        Channel {
            caller_number: request.caller.clone().unwrap_or_default(),
            caller_name: request.caller_name.clone().unwrap_or_default(),
            name: format!("PJSIP/{endpoint}"),
            unique_id: request.call_id.clone(),
            call_id: request.call_id.clone(),
            remote_addr: request.source.map(|a| a.to_string()).unwrap_or_default(),
            transport: match request.transport {
                Some(crate::RequestTransport::Udp) => "udp",
                Some(crate::RequestTransport::Tcp) => "tcp",
                Some(crate::RequestTransport::Tls) => "tls",
                None => "",
            }
            .to_owned(),
            headers: request.headers.clone(),
            variables: request.variables.clone(),
        }
    }
}

/// Something Asterisk would log a warning for while running the dialplan; the call goes on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Warning {
    /// From a `$[...]` expression.
    #[error(transparent)]
    Expression(#[from] ExprWarning),
    /// `${` without its `}`.
    #[error("missing '}}' in '{0}'")]
    MissingBrace(String),
    /// `$[` without its `]`.
    #[error("missing ']' in '{0}'")]
    MissingBracket(String),
    /// `${FUNC(args}` without the `)`.
    #[error("missing ')' after the arguments of {0}")]
    MissingParenthesis(String),
    /// A function Ringway does not know.
    #[error("unknown function '{0}'")]
    UnknownFunction(String),
    /// A function called with arguments it cannot use.
    #[error("{function}: {problem}")]
    Function {
        /// The function.
        function: &'static str,
        /// What is wrong.
        problem: FunctionProblem,
    },
    /// A time specification element that is skipped.
    #[error(transparent)]
    TimeSpec(#[from] TimeSpecProblem),
    /// An invalid Dial target, skipped.
    #[error("Dial: skipping '{target}': {problem}")]
    DialTarget {
        /// The target as written.
        target: String,
        /// Why it was skipped.
        problem: super::apps::ArgError,
    },
    /// Arguments an application ignores or replaces with a default.
    #[error("{app}: {problem}")]
    Application {
        /// The application.
        app: &'static str,
        /// What was wrong and what was done instead.
        problem: super::apps::ArgError,
    },
}

/// What is wrong with a function call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FunctionProblem {
    /// An item the function does not have, e.g. `CALLERID(ani)`.
    #[error("unsupported item '{0}'")]
    UnknownItem(String),
    /// Arguments that do not fit the syntax.
    #[error("expected {0}")]
    Syntax(&'static str),
    /// A regular expression that does not compile.
    #[error("invalid regular expression: {0}")]
    BadRegex(String),
    /// `LOCAL()` outside a Gosub.
    #[error("not inside a Gosub")]
    NoGosub,
    /// Assigning to a function that can only be read.
    #[error("cannot be written")]
    ReadOnly,
}

/// Where a `Return` goes: context, extension, priority.
pub(crate) type ReturnAddress = (String, String, u32);

/// A Gosub frame: where to return, and the variables it made local.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frame {
    pub return_to: ReturnAddress,
    /// The values local variables had before the frame set them (`None`: unset).
    pub saved: BTreeMap<String, Option<String>>,
}

/// The variables of one call and where it is in the dialplan.
#[derive(Clone, Debug)]
pub(crate) struct Env {
    pub channel: Channel,
    pub vars: BTreeMap<String, String>,
    pub globals: BTreeMap<String, String>,
    pub frames: Vec<Frame>,
    pub context: String,
    pub exten: String,
    pub priority: u32,
    /// The channel's hangup cause (0 until a Dial fails or a Hangup sets it).
    pub hangup_cause: u8,
}

impl Env {
    pub fn new(
        channel: Channel,
        globals: BTreeMap<String, String>,
        context: &str,
        exten: &str,
    ) -> Env {
        let mut env = Env {
            vars: BTreeMap::new(),
            globals,
            frames: Vec::new(),
            context: context.to_owned(),
            exten: exten.to_owned(),
            priority: 1,
            hangup_cause: 0,
            channel: Channel::default(),
        };
        for (name, value) in &channel.variables {
            env.set_variable(name, value);
        }
        env.channel = channel;
        env
    }

    /// A variable's value: built-ins, then channel variables, then globals.
    pub fn variable(&self, name: &str) -> Option<String> {
        Some(match name {
            "EXTEN" => self.exten.clone(),
            "CONTEXT" => self.context.clone(),
            "PRIORITY" => self.priority.to_string(),
            "CHANNEL" => self.channel.name.clone(),
            "UNIQUEID" => self.channel.unique_id.clone(),
            "HANGUPCAUSE" => self.hangup_cause.to_string(),
            _ => return self.vars.get(name).or_else(|| self.globals.get(name)).cloned(),
        })
    }

    /// Sets (or, with the empty string, removes) a channel variable; `_`/`__` prefixes are
    /// dropped.
    pub fn set_variable(&mut self, name: &str, value: &str) {
        let name = name.trim_start_matches('_');
        if value.is_empty() {
            self.vars.remove(name);
        } else {
            self.vars.insert(name.to_owned(), value.to_owned());
        }
    }

    /// `text` with every `${...}` and `$[...]` replaced.
    pub fn substitute(&self, text: &str, warnings: &mut Vec<Warning>) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(dollar) = find_reference(rest) {
            out.push_str(&rest[..dollar]);
            let (open, close) =
                if rest[dollar + 1..].starts_with('{') { (b'{', b'}') } else { (b'[', b']') };
            let inner_start = dollar + 2;
            let bytes = rest.as_bytes();
            let mut depth = 1;
            let mut nested = false;
            let mut end = inner_start;
            while end < bytes.len() && depth > 0 {
                match bytes[end] {
                    b'$' if matches!(bytes.get(end + 1), Some(b'{' | b'[')) => nested = true,
                    c if c == open => depth += 1,
                    c if c == close => depth -= 1,
                    _ => {}
                }
                end += 1;
            }
            let inner = if depth > 0 {
                warnings.push(if open == b'{' {
                    Warning::MissingBrace(text.to_owned())
                } else {
                    Warning::MissingBracket(text.to_owned())
                });
                &rest[inner_start..]
            } else {
                &rest[inner_start..end - 1]
            };
            let inner = if nested { self.substitute(inner, warnings) } else { inner.to_owned() };
            if open == b'{' {
                out.push_str(&self.reference(&inner, warnings));
            } else {
                let functions = |name: &str, args: &str| {
                    super::functions::is_readable(name)
                        .then(|| self.read_function(name, args, &mut Vec::new()))
                };
                let mut expr_warnings = Vec::new();
                out.push_str(&expr::evaluate(&inner, &functions, &mut expr_warnings));
                warnings.extend(expr_warnings.into_iter().map(Warning::from));
            }
            rest = &rest[end.min(rest.len())..];
        }
        out.push_str(rest);
        out
    }

    /// The value of `NAME`, `NAME:offset:length`, `FUNC(args)` or `FUNC(args):offset:length`.
    fn reference(&self, reference: &str, warnings: &mut Vec<Warning>) -> String {
        let (name, substring) = split_substring(reference);
        let value = match name.find('(') {
            Some(open) => {
                let function = &name[..open];
                let args = match name.rfind(')').filter(|&close| close > open) {
                    Some(close) => &name[open + 1..close],
                    None => {
                        warnings.push(Warning::MissingParenthesis(function.to_owned()));
                        &name[open + 1..]
                    }
                };
                self.read_function(function, args, warnings)
            }
            None => self.variable(name).unwrap_or_default(),
        };
        match substring {
            Some((offset, length)) => self::substring(&value, offset, length),
            None => value,
        }
    }
}

/// The byte index of the next `${` or `$[`.
fn find_reference(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(1))
        .find(|&i| bytes[i] == b'$' && matches!(bytes[i + 1], b'{' | b'['))
}

/// Splits `NAME:offset:length` at the first `:` outside parentheses. As with Asterisk's
/// `sscanf("%d:%d")`, an offset that does not parse leaves both at their defaults.
fn split_substring(reference: &str) -> (&str, Option<(i64, i64)>) {
    let mut depth = 0i32;
    for (i, c) in reference.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ':' if depth == 0 => {
                let spec = &reference[i + 1..];
                let (offset, rest) = scan_int(spec).unwrap_or((0, ""));
                let length = rest.strip_prefix(':').and_then(scan_int).map_or(i64::MAX, |(n, _)| n);
                return (&reference[..i], Some((offset, length)));
            }
            _ => {}
        }
    }
    (reference, None)
}

/// C's `%d`: optional whitespace, sign and digits; the rest of the text after them.
pub(crate) fn scan_int(s: &str) -> Option<(i64, &str)> {
    let trimmed = s.trim_start();
    let sign_len = usize::from(trimmed.starts_with(['-', '+']));
    let digits = trimmed[sign_len..].bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let end = sign_len + digits;
    let n = trimmed[..end].parse::<i64>().unwrap_or(if trimmed.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    });
    Some((n, &trimmed[end..]))
}

/// Asterisk's substring rules, counted in characters.
pub(crate) fn substring(value: &str, offset: i64, length: i64) -> String {
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len() as i64;
    let mut start = if offset < 0 { (len + offset).max(0) } else { offset };
    if start >= len {
        return String::new();
    }
    let end = if length >= 0 {
        start.saturating_add(length).min(len)
    } else if len > start - length {
        len + length
    } else {
        start = len;
        len
    };
    chars[start as usize..end.max(start) as usize].iter().collect()
}

/// Asterisk's `pbx_checkcondition`: empty is false, a leading integer is its value, any other
/// text is true.
pub(crate) fn is_true(condition: &str) -> bool {
    if condition.is_empty() {
        return false;
    }
    match scan_int(condition) {
        Some((n, _)) => n != 0,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Env {
        let channel = Channel {
            caller_number: "+74951234567".into(),
            caller_name: "Alice".into(),
            name: "PJSIP/alice".into(),
            variables: vec![
                ("GREETING".into(), "hello world".into()),
                ("NAME".into(), "GREETING".into()),
            ],
            ..Channel::default()
        };
        let globals =
            BTreeMap::from([("TRUNK".into(), "gw1".into()), ("GREETING".into(), "global".into())]);
        Env::new(channel, globals, "default", "5551234")
    }

    fn sub(text: &str) -> String {
        env().substitute(text, &mut Vec::new())
    }

    #[test]
    fn variables_and_substrings_substitute_as_in_asterisk() {
        let cases = [
            ("${EXTEN}", "5551234"),
            ("${EXTEN:1}", "551234"),
            ("${EXTEN:-4}", "1234"),
            ("${EXTEN:0:3}", "555"),
            ("${EXTEN:1:3}", "551"),
            ("${EXTEN:-4:2}", "12"),
            ("${EXTEN:2:-2}", "512"),
            ("${EXTEN:-20}", "5551234"),
            ("${EXTEN:20}", ""),
            ("${EXTEN:3:0}", ""),
            ("${EXTEN:5:-3}", ""),
            ("${EXTEN::3}", "5551234"),
            ("${EXTEN:1:}", "551234"),
            ("${EXTEN:x}", "5551234"),
            ("${GREETING}", "hello world"),
            ("${${NAME}}", "hello world"),
            ("${GREETING:${PRIORITY}:4}", "ello"),
            ("${TRUNK}", "gw1"),
            ("${NOPE}", ""),
            ("${greeting}", ""),
            ("${CONTEXT},${PRIORITY},${CHANNEL},${HANGUPCAUSE}", "default,1,PJSIP/alice,0"),
            ("PJSIP/${EXTEN:1}@${TRUNK}", "PJSIP/551234@gw1"),
            ("$5 and $ alone", "$5 and $ alone"),
            ("${CALLERID(num):2}", "4951234567"),
            ("$[${EXTEN:0:3} + 1]", "556"),
            ("$[$[1 + 1] * 3]", "6"),
            ("${LEN(${EXTEN})}", "7"),
            ("$[\"${NOPE}\" = \"\"]", "1"),
        ];
        for (text, expected) in cases {
            assert_eq!(sub(text), expected, "{text}");
        }
    }

    #[test]
    fn setting_empty_removes_the_channel_variable_and_prefixes_are_dropped() {
        let mut env = env();
        env.set_variable("__FOO", "bar");
        assert_eq!(env.variable("FOO").as_deref(), Some("bar"));
        env.set_variable("GREETING", "");
        assert_eq!(env.variable("GREETING").as_deref(), Some("global"));
    }

    #[test]
    fn unterminated_references_take_the_rest_with_a_warning() {
        let mut warnings = Vec::new();
        assert_eq!(env().substitute("a${EXTEN", &mut warnings), "a5551234");
        assert_eq!(env().substitute("$[1 + 2", &mut warnings), "3");
        assert_eq!(
            warnings,
            [Warning::MissingBrace("a${EXTEN".into()), Warning::MissingBracket("$[1 + 2".into())]
        );
    }

    #[test]
    fn conditions_are_true_unless_empty_or_a_zero_integer() {
        for (condition, expected) in [
            ("", false),
            ("0", false),
            ("00", false),
            (" 0", false),
            ("-0", false),
            ("0abc", false),
            ("1", true),
            ("-1", true),
            ("abc", true),
            (" ", true),
            ("\"\"", true),
        ] {
            assert_eq!(is_true(condition), expected, "{condition:?}");
        }
    }
}
