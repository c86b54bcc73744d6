//! Dialplan functions: `${NAME(args)}` to read, `Set(NAME(args)=value)` to write.
//!
//! | function | reads | writes |
//! |---|---|---|
//! | `CALLERID(num\|name\|all)` | the caller's number, name, or `"Name" <num>` | yes |
//! | `LEN(text)` | the length in characters | – |
//! | `IF(cond?a:b)` | `a` when `cond` is true (non-empty, not a zero integer), else `b` | – |
//! | `CUT(var,delim,fields)` | fields (`2`, `2-4`, `2-`, `-3`, `1&3`) of variable `var` split at `delim` (default `-`) | – |
//! | `REGEX("re" text)` | `1` when `re` matches somewhere in `text`, else `0` | – |
//! | `PJSIP_HEADER(read,Name[,n])` | the `n`th (default first) request header `Name` | – |
//! | `CHANNEL(item)` | `name`, `channeltype` (`PJSIP`), `language` (`en`), `uniqueid`, `pjsip,call-id`, `pjsip,remote_addr`, `pjsip,transport` | – |
//! | `GLOBAL(var)` | the global `var` | yes (for this call only) |
//! | `LOCAL(var)` | `var` | yes, restored by `Return` |
//! | `ISNULL(text)`, `EXISTS(text)` | `1`/`0`: empty / non-empty | – |
//! | `TOUPPER(text)`, `TOLOWER(text)` | the text in upper / lower case | – |
//!
//! Function names are case-sensitive, as Asterisk registers them. A function Ringway does not
//! implement is a load error when its name is written literally (`${DB(...)}`), and reads as
//! the empty string with a warning when the name comes from a variable.

use super::apps::separate_args;
use super::vars::{Env, Frame, FunctionProblem, ReturnAddress, Warning};

/// Functions that can be read.
pub(crate) const READABLE: &[&str] = &[
    "CALLERID",
    "LEN",
    "IF",
    "CUT",
    "REGEX",
    "PJSIP_HEADER",
    "CHANNEL",
    "GLOBAL",
    "LOCAL",
    "ISNULL",
    "EXISTS",
    "TOUPPER",
    "TOLOWER",
];

/// Functions that can be written with `Set(NAME(args)=value)`.
pub(crate) const WRITABLE: &[&str] = &["CALLERID", "GLOBAL", "LOCAL"];

/// Whether `name` is a readable function.
pub(crate) fn is_readable(name: &str) -> bool {
    READABLE.contains(&name)
}

/// Whether `name` is a writable function.
pub(crate) fn is_writable(name: &str) -> bool {
    WRITABLE.contains(&name)
}

fn problem(function: &'static str, problem: FunctionProblem) -> Warning {
    Warning::Function { function, problem }
}

impl Env {
    /// `${name(args)}`; unknown functions and bad arguments read as the empty string with a
    /// warning.
    pub fn read_function(&self, name: &str, args: &str, warnings: &mut Vec<Warning>) -> String {
        match name {
            "CALLERID" => match args.trim().to_ascii_lowercase().as_str() {
                "num" | "number" => self.channel.caller_number.clone(),
                "name" => self.channel.caller_name.clone(),
                "all" => {
                    let (name, number) = (&self.channel.caller_name, &self.channel.caller_number);
                    match (name.is_empty(), number.is_empty()) {
                        (false, false) => format!("\"{name}\" <{number}>"),
                        (false, true) => name.clone(),
                        (true, _) => number.clone(),
                    }
                }
                other => {
                    warnings
                        .push(problem("CALLERID", FunctionProblem::UnknownItem(other.to_owned())));
                    String::new()
                }
            },
            "LEN" => args.chars().count().to_string(),
            "IF" => {
                let Some((condition, branches)) = args.split_once('?') else {
                    warnings.push(problem(
                        "IF",
                        FunctionProblem::Syntax("IF(condition?[true][:false])"),
                    ));
                    return String::new();
                };
                let (yes, no) = branches.split_once(':').unwrap_or((branches, ""));
                let chosen = if super::vars::is_true(condition.trim()) { yes } else { no };
                strip_quotes(chosen.trim()).to_owned()
            }
            "CUT" => self.cut(args, warnings),
            "REGEX" => regex_function(args, warnings),
            "PJSIP_HEADER" => {
                let parts = separate_args(args, ',', true, usize::MAX);
                let [action, header, rest @ ..] = parts.as_slice() else {
                    warnings.push(problem(
                        "PJSIP_HEADER",
                        FunctionProblem::Syntax("PJSIP_HEADER(read,name[,number])"),
                    ));
                    return String::new();
                };
                if !action.trim().eq_ignore_ascii_case("read") {
                    warnings.push(problem(
                        "PJSIP_HEADER",
                        FunctionProblem::UnknownItem(action.clone()),
                    ));
                    return String::new();
                }
                let nth =
                    rest.first().and_then(|n| n.trim().parse::<usize>().ok()).unwrap_or(1).max(1);
                let header = header.trim();
                let mut matching =
                    self.channel.headers.iter().filter(|(n, _)| n.eq_ignore_ascii_case(header));
                matching.nth(nth - 1).map(|(_, v)| v.clone()).unwrap_or_default()
            }
            "CHANNEL" => {
                let item: Vec<String> = separate_args(args, ',', true, usize::MAX)
                    .iter()
                    .map(|s| s.trim().to_ascii_lowercase())
                    .collect();
                let item: Vec<&str> = item.iter().map(String::as_str).collect();
                match item.as_slice() {
                    ["name"] => self.channel.name.clone(),
                    ["channeltype"] => "PJSIP".into(),
                    ["language"] => "en".into(),
                    ["uniqueid"] => self.channel.unique_id.clone(),
                    ["pjsip", "call-id"] => self.channel.call_id.clone(),
                    ["pjsip", "remote_addr"] => self.channel.remote_addr.clone(),
                    ["pjsip", "transport"] => self.channel.transport.clone(),
                    _ => {
                        warnings.push(problem(
                            "CHANNEL",
                            FunctionProblem::UnknownItem(args.to_owned()),
                        ));
                        String::new()
                    }
                }
            }
            "GLOBAL" => self.globals.get(args.trim()).cloned().unwrap_or_default(),
            "LOCAL" => self.vars.get(args.trim()).cloned().unwrap_or_default(),
            "ISNULL" => if args.is_empty() { "1" } else { "0" }.into(),
            "EXISTS" => if args.is_empty() { "0" } else { "1" }.into(),
            "TOUPPER" => args.to_uppercase(),
            "TOLOWER" => args.to_lowercase(),
            _ => {
                warnings.push(Warning::UnknownFunction(name.to_owned()));
                String::new()
            }
        }
    }

    /// `Set(name(args)=value)`.
    pub fn write_function(
        &mut self,
        name: &str,
        args: &str,
        value: &str,
        warnings: &mut Vec<Warning>,
    ) {
        match name {
            "CALLERID" => match args.trim().to_ascii_lowercase().as_str() {
                "num" | "number" => self.channel.caller_number = value.to_owned(),
                "name" => self.channel.caller_name = value.to_owned(),
                "all" => {
                    let (name, number) = split_caller_id(value);
                    self.channel.caller_name = name;
                    self.channel.caller_number = number;
                }
                other => warnings
                    .push(problem("CALLERID", FunctionProblem::UnknownItem(other.to_owned()))),
            },
            "GLOBAL" => {
                let name = args.trim().to_owned();
                if value.is_empty() {
                    self.globals.remove(&name);
                } else {
                    self.globals.insert(name, value.to_owned());
                }
            }
            "LOCAL" => {
                let name = args.trim().to_owned();
                let previous = self.vars.get(&name).cloned();
                let Some(frame) = self.frames.last_mut() else {
                    return warnings.push(problem("LOCAL", FunctionProblem::NoGosub));
                };
                frame.saved.entry(name.clone()).or_insert(previous);
                self.set_variable(&name, value);
            }
            _ if is_readable(name) => {
                let function = READABLE.iter().find(|f| **f == name).copied().unwrap_or("function");
                warnings.push(problem(function, FunctionProblem::ReadOnly));
            }
            _ => warnings.push(Warning::UnknownFunction(name.to_owned())),
        }
    }

    /// Enters a Gosub: `ARG1`…`ARGn` and `ARGC` become local, and so do the higher `ARGn` of
    /// the caller's frame (set empty), as Asterisk's `app_stack` does.
    pub fn push_frame(&mut self, args: &[String], return_to: ReturnAddress) {
        let previous_argc =
            self.vars.get("ARGC").and_then(|n| n.parse::<usize>().ok()).unwrap_or(0);
        self.frames.push(Frame { return_to, saved: Default::default() });
        let mut warnings = Vec::new();
        for i in 0..args.len().max(previous_argc) {
            let value = args.get(i).map_or("", String::as_str);
            self.write_function("LOCAL", &format!("ARG{}", i + 1), value, &mut warnings);
        }
        self.write_function("LOCAL", "ARGC", &args.len().to_string(), &mut warnings);
    }

    /// Leaves a Gosub, restoring the variables it made local; `None` when not in one.
    pub fn pop_frame(&mut self) -> Option<ReturnAddress> {
        let frame = self.frames.pop()?;
        for (name, value) in frame.saved {
            match value {
                Some(value) => self.vars.insert(name, value),
                None => self.vars.remove(&name),
            };
        }
        Some(frame.return_to)
    }

    fn cut(&self, args: &str, warnings: &mut Vec<Warning>) -> String {
        let parts = separate_args(args, ',', true, 3);
        let [variable, rest @ ..] = parts.as_slice() else {
            warnings
                .push(problem("CUT", FunctionProblem::Syntax("CUT(variable,delimiter,fields)")));
            return String::new();
        };
        let delimiter = rest.first().and_then(|d| d.chars().next()).unwrap_or('-');
        let fields = rest.get(1).map_or("1", String::as_str);
        let value = self.substitute(&format!("${{{}}}", variable.trim()), warnings);
        let pieces: Vec<&str> = value.split(delimiter).collect();
        let count = pieces.len();
        let mut out: Vec<&str> = Vec::new();
        for spec in fields.split('&') {
            let spec = spec.trim();
            let (first, last) = match spec.split_once('-') {
                Some((a, b)) => (a.trim().parse().unwrap_or(1), b.trim().parse().unwrap_or(count)),
                None => match spec.parse::<usize>() {
                    Ok(n) => (n, n),
                    Err(_) => {
                        warnings.push(problem(
                            "CUT",
                            FunctionProblem::Syntax("fields like 2, 2-4, 2- or 1&3"),
                        ));
                        return String::new();
                    }
                },
            };
            let first = first.max(1);
            out.extend(pieces.iter().take(last.min(count)).skip(first - 1));
        }
        out.join(&delimiter.to_string())
    }
}

/// `REGEX("re" text)`: whether `re` matches anywhere in `text`.
fn regex_function(args: &str, warnings: &mut Vec<Warning>) -> String {
    let syntax = || problem("REGEX", FunctionProblem::Syntax("REGEX(\"regular expression\" text)"));
    let Some(after) = args.trim_start().strip_prefix('"') else {
        warnings.push(syntax());
        return "0".into();
    };
    let Some((pattern, text)) = after.split_once('"') else {
        warnings.push(syntax());
        return "0".into();
    };
    let text = text.strip_prefix([' ', '\t']).unwrap_or(text);
    match regex::Regex::new(pattern) {
        Ok(re) => if re.is_match(text) { "1" } else { "0" }.into(),
        Err(e) => {
            warnings.push(problem("REGEX", FunctionProblem::BadRegex(e.to_string())));
            "0".into()
        }
    }
}

fn strip_quotes(s: &str) -> &str {
    s.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(s)
}

/// `"Name" <number>`, `Name <number>`, `<number>` or a bare number or name.
fn split_caller_id(value: &str) -> (String, String) {
    let value = value.trim();
    if let (Some(open), Some(close)) = (value.rfind('<'), value.rfind('>'))
        && open < close
    {
        let name = strip_quotes(value[..open].trim()).to_owned();
        return (name, value[open + 1..close].trim().to_owned());
    }
    let looks_like_number =
        !value.is_empty() && value.chars().all(|c| c.is_ascii_digit() || "+*#-() ".contains(c));
    if looks_like_number {
        (String::new(), value.to_owned())
    } else {
        (strip_quotes(value).to_owned(), String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::super::vars::Channel;
    use super::*;
    use std::collections::BTreeMap;

    fn env() -> Env {
        let channel = Channel {
            caller_number: "+74951234567".into(),
            caller_name: "Alice".into(),
            name: "PJSIP/alice".into(),
            call_id: "abc@host".into(),
            remote_addr: "192.0.2.10:5060".into(),
            transport: "udp".into(),
            headers: vec![
                ("X-Account".into(), "acme".into()),
                ("x-account".into(), "second".into()),
                ("P-Asserted-Identity".into(), "<sip:100@pbx>".into()),
            ],
            variables: vec![("LIST".into(), "a-b-c-d".into()), ("CSV".into(), "x,y,z".into())],
            ..Channel::default()
        };
        Env::new(channel, BTreeMap::from([("TRUNK".into(), "gw1".into())]), "default", "100")
    }

    #[test]
    fn functions_read_as_documented() {
        let env = env();
        let cases = [
            ("${CALLERID(num)}", "+74951234567"),
            ("${CALLERID(name)}", "Alice"),
            ("${CALLERID(all)}", "\"Alice\" <+74951234567>"),
            ("${LEN(hello)}", "5"),
            ("${LEN()}", "0"),
            ("${LEN(${CALLERID(num)})}", "12"),
            ("${IF($[1 = 1]?yes:no)}", "yes"),
            ("${IF($[1 = 2]?yes:no)}", "no"),
            ("${IF(0?yes)}", ""),
            ("${IF(abc?\"a b\":c)}", "a b"),
            ("${CUT(LIST,-,2)}", "b"),
            ("${CUT(LIST,-,2-3)}", "b-c"),
            ("${CUT(LIST,-,3-)}", "c-d"),
            ("${CUT(LIST,-,-2)}", "a-b"),
            ("${CUT(LIST,-,1&4)}", "a-d"),
            ("${CUT(LIST,,2)}", "b"),
            ("${CUT(LIST,-,9)}", ""),
            ("${CUT(CSV,\\,,2)}", "y"),
            ("${CUT(EXTEN,0,1)}", "1"),
            ("${REGEX(\"^\\+7\" ${CALLERID(num)})}", "1"),
            ("${REGEX(\"^8\" ${CALLERID(num)})}", "0"),
            ("${REGEX(\"[0-9]{3}\" a123)}", "1"),
            ("${PJSIP_HEADER(read,X-Account)}", "acme"),
            ("${PJSIP_HEADER(read,x-account,2)}", "second"),
            ("${PJSIP_HEADER(read,X-Missing)}", ""),
            ("${CHANNEL(name)}", "PJSIP/alice"),
            ("${CHANNEL(channeltype)}", "PJSIP"),
            ("${CHANNEL(pjsip,call-id)}", "abc@host"),
            ("${CHANNEL(pjsip,remote_addr)}", "192.0.2.10:5060"),
            ("${CHANNEL(pjsip,transport)}", "udp"),
            ("${GLOBAL(TRUNK)}", "gw1"),
            ("${ISNULL()}${ISNULL(x)}${EXISTS()}${EXISTS(x)}", "1001"),
            ("${TOUPPER(abc)}${TOLOWER(DEF)}", "ABCdef"),
        ];
        for (text, expected) in cases {
            let mut warnings = Vec::new();
            assert_eq!(env.substitute(text, &mut warnings), expected, "{text}");
            assert!(warnings.is_empty(), "{text}: {warnings:?}");
        }
    }

    #[test]
    fn unknown_functions_and_items_read_empty_with_a_warning() {
        let env = env();
        for (text, warning) in [
            ("${DB(foo/bar)}", Warning::UnknownFunction("DB".into())),
            ("${CALLERID(ani)}", problem("CALLERID", FunctionProblem::UnknownItem("ani".into()))),
            (
                "${PJSIP_HEADER(add,X-Foo)}",
                problem("PJSIP_HEADER", FunctionProblem::UnknownItem("add".into())),
            ),
        ] {
            let mut warnings = Vec::new();
            assert_eq!(env.substitute(text, &mut warnings), "", "{text}");
            assert_eq!(warnings, [warning], "{text}");
        }
    }

    #[test]
    fn callerid_writes_parse_the_all_form() {
        let mut env = env();
        let mut warnings = Vec::new();
        env.write_function("CALLERID", "all", "\"Bob Smith\" <2001>", &mut warnings);
        assert_eq!(
            (env.channel.caller_name.as_str(), env.channel.caller_number.as_str()),
            ("Bob Smith", "2001")
        );
        env.write_function("CALLERID", "num", "+15551234", &mut warnings);
        env.write_function("CALLERID", "name", "Carol", &mut warnings);
        assert_eq!(env.substitute("${CALLERID(all)}", &mut warnings), "\"Carol\" <+15551234>");
        env.write_function("CALLERID", "all", "5550000", &mut warnings);
        assert_eq!(env.substitute("${CALLERID(all)}", &mut warnings), "5550000");
        assert!(warnings.is_empty());
    }

    #[test]
    fn gosub_frames_make_args_and_locals_local() {
        let mut env = env();
        let mut warnings = Vec::new();
        env.set_variable("X", "outer");
        let back = || ("default".to_owned(), "100".to_owned(), 2);
        env.push_frame(&["a".into(), "b".into()], back());
        env.write_function("LOCAL", "X", "inner", &mut warnings);
        assert_eq!(env.substitute("${ARG1}${ARG2}${ARGC}${X}", &mut warnings), "ab2inner");
        env.push_frame(&["c".into()], back());
        assert_eq!(env.substitute("${ARG1}|${ARG2}|${ARGC}", &mut warnings), "c||1");
        assert_eq!(env.pop_frame(), Some(back()));
        assert_eq!(env.substitute("${ARG1}${ARG2}${ARGC}", &mut warnings), "ab2");
        assert_eq!(env.pop_frame(), Some(back()));
        assert_eq!(env.substitute("${ARG1}${ARGC}${X}", &mut warnings), "outer");
        assert_eq!(env.pop_frame(), None);
        env.write_function("LOCAL", "Y", "1", &mut warnings);
        assert_eq!(warnings, [problem("LOCAL", FunctionProblem::NoGosub)]);
    }
}
