//! Giving the lines of `extensions.conf` their dialplan meaning (Asterisk's `pbx_config`):
//! `[general]`, `[globals]`, and contexts of `exten =>`, `same =>` and `include =>` lines.
//!
//! An extension line is `exten => name[/callerid],priority,Application(arguments)`; `same =>`
//! leaves out the name and continues the previous extension of the context. Priorities are a
//! number, `n` (the previous line's priority plus one, whichever extension that line was
//! for), `s` (the previous line's priority again), or a label already defined in the same
//! extension, each optionally followed by `+N`, then optionally by `(label)`; `hint` lines are
//! ignored (Ringway serves presence elsewhere). Extensions whose names compare equal in
//! Asterisk's order are one extension; each context keeps its extensions in that order
//! ([`pattern`](super::pattern)).
//!
//! Everything that can be checked without a call is checked here, and every problem is
//! reported: unknown or unsupported applications, duplicate priorities and labels, and the
//! literal arguments of applications (a `Hangup(480,Empty route set)` that names no catalog
//! line, `Dial(IAX2/...)`, a `GotoIfTime` with a bad time, `Goto` to a label that no extension
//! of the target context has, a `${FUNC(...)}` Ringway does not implement). Arguments that
//! come from variables are checked when they run.

use super::apps::{self, App, ArgError, DialTarget, LogLevel, PriorityRef};
use super::config::{Category, Config, Line, Text};
use super::error::{LoadErrorKind, Pos};
use super::functions;
use super::pattern::ExtenName;
use super::time::TimeSpec;
use super::vars::{Channel, Env};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};

/// `[general]` settings Asterisk knows; only `autofallthrough` changes anything in Ringway.
const GENERAL_KEYS: &[&str] = &[
    "static",
    "writeprotect",
    "autofallthrough",
    "clearglobalvars",
    "extenpatternmatchnew",
    "userscontext",
    "priorityjumping",
];

/// One priority of an extension.
#[derive(Clone, Debug)]
pub(crate) struct Step {
    pub app: App,
    /// The arguments as written (comments and `\;` escapes already handled).
    pub data: String,
    /// Where the application name is.
    pub pos: Pos,
}

/// An extension: a name (and optional caller-ID match) and its priorities.
#[derive(Clone, Debug)]
pub(crate) struct Extension {
    pub name: ExtenName,
    pub caller: Option<ExtenName>,
    pub priorities: BTreeMap<u32, Step>,
    pub labels: HashMap<String, u32>,
}

impl Extension {
    /// Asterisk's order; `Equal` means the same extension.
    fn cmp_asterisk(&self, other: &Extension) -> Ordering {
        self.name.cmp_asterisk(&other.name).then_with(|| match (&self.caller, &other.caller) {
            (None, None) => Ordering::Equal,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp_asterisk(b),
        })
    }

    /// Whether this extension is the one for `exten` dialed by `caller`.
    pub fn matches(&self, exten: &str, caller: &str) -> bool {
        self.name.matches(exten)
            && self.caller.as_ref().is_none_or(|cid| !caller.is_empty() && cid.matches(caller))
    }
}

/// `include => context[,times,weekdays,mdays,months]`.
#[derive(Clone, Debug)]
pub(crate) struct Include {
    pub context: String,
    pub time: Option<TimeSpec>,
}

/// A context: extensions in Asterisk's order, then includes in file order.
#[derive(Clone, Debug, Default)]
pub(crate) struct Context {
    pub extensions: Vec<Extension>,
    pub includes: Vec<Include>,
}

/// A loaded dialplan, before it is wrapped for sharing.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub files: Vec<String>,
    pub contexts: HashMap<String, Context>,
    pub globals: BTreeMap<String, String>,
    pub autofallthrough: bool,
}

/// What a `find` is looking for.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Want<'a> {
    Priority(u32),
    Label(&'a str),
}

/// How deep includes are followed (Asterisk's `AST_PBX_MAX_STACK`).
const MAX_INCLUDE_NESTING: usize = 128;

impl Plan {
    /// The step for `exten` dialed by `caller` in `context`: the first extension in Asterisk's
    /// order that matches and has the priority (or label), then the includes in order.
    pub fn find(
        &self,
        context: &str,
        exten: &str,
        caller: &str,
        want: Want<'_>,
        now: super::CivilTime,
    ) -> Option<(&Step, u32)> {
        let mut visited = Vec::new();
        self.find_in(context, exten, caller, want, now, &mut visited)
    }

    fn find_in<'p>(
        &'p self,
        context: &str,
        exten: &str,
        caller: &str,
        want: Want<'_>,
        now: super::CivilTime,
        visited: &mut Vec<String>,
    ) -> Option<(&'p Step, u32)> {
        if visited.iter().any(|v| v == context) || visited.len() >= MAX_INCLUDE_NESTING {
            return None;
        }
        visited.push(context.to_owned());
        let found = self.contexts.get(context)?;
        for extension in found.extensions.iter().filter(|e| e.matches(exten, caller)) {
            let priority = match want {
                Want::Priority(p) => p,
                Want::Label(label) => match extension.labels.get(label) {
                    Some(&p) => p,
                    None => continue,
                },
            };
            if let Some(step) = extension.priorities.get(&priority) {
                return Some((step, priority));
            }
        }
        for include in &found.includes {
            if include.time.as_ref().is_some_and(|t| !t.matches(now)) {
                continue;
            }
            if let Some(hit) = self.find_in(&include.context, exten, caller, want, now, visited) {
                return Some(hit);
            }
        }
        None
    }
}

impl Plan {
    /// Whether some extension of `context` (or of a context it includes) matching `exten`
    /// (any extension when `None`) has `label`. An included context that does not exist
    /// might define it (it comes from elsewhere), so it counts as yes.
    fn label_exists(
        &self,
        context: &str,
        exten: Option<&str>,
        label: &str,
        visited: &mut Vec<String>,
    ) -> bool {
        if visited.iter().any(|v| v == context) {
            return false;
        }
        visited.push(context.to_owned());
        let Some(found) = self.contexts.get(context) else { return true };
        found
            .extensions
            .iter()
            .any(|e| e.labels.contains_key(label) && exten.is_none_or(|x| e.name.matches(x)))
            || found.includes.iter().any(|i| self.label_exists(&i.context, exten, label, visited))
    }
}

/// Problems with where they are.
pub(crate) type Located = Vec<(Pos, LoadErrorKind)>;

/// Builds the dialplan from what the config reader found; errors and warnings sorted by
/// position.
pub(crate) fn build(config: Config) -> (Plan, Located, Located) {
    let mut builder = Builder {
        plan: Plan { files: config.files, autofallthrough: true, ..Plan::default() },
        errors: config.errors,
        warnings: Vec::new(),
        jumps: Vec::new(),
    };
    for category in &config.categories {
        if category.template {
            continue;
        }
        match category.name.as_str() {
            "general" => builder.general(category),
            "globals" => builder.globals(category),
            _ => builder.context(category),
        }
    }
    builder.check_jumps();
    builder.errors.sort_by_key(|(pos, _)| *pos);
    builder.warnings.sort_by_key(|(pos, _)| *pos);
    (builder.plan, builder.errors, builder.warnings)
}

/// A literal Goto/Gosub destination, checked once every context is known.
struct Jump {
    pos: Pos,
    app: &'static str,
    context: String,
    exten: Option<String>,
    label: Option<String>,
}

struct Builder {
    plan: Plan,
    errors: Located,
    warnings: Located,
    jumps: Vec<Jump>,
}

/// The `n`/`s`/`same` memory of one section.
#[derive(Default)]
struct Section {
    exten: Option<Text>,
    priority: Option<u32>,
}

impl Builder {
    fn error(&mut self, pos: Pos, kind: LoadErrorKind) {
        self.errors.push((pos, kind));
    }

    fn general(&mut self, category: &Category) {
        for line in &category.lines {
            let key = line.key.as_str().to_ascii_lowercase();
            if !GENERAL_KEYS.contains(&key.as_str()) {
                self.error(line.key.pos(), LoadErrorKind::UnknownGeneralSetting(key));
                continue;
            }
            let value = line.value.as_str();
            let flag = match value.to_ascii_lowercase().as_str() {
                "yes" | "true" | "y" | "t" | "1" | "on" => Some(true),
                "no" | "false" | "n" | "f" | "0" | "off" => Some(false),
                _ => None,
            };
            if key == "autofallthrough" {
                match flag {
                    Some(flag) => self.plan.autofallthrough = flag,
                    None => {
                        let kind = LoadErrorKind::BadBoolean { key, value: value.to_owned() };
                        self.error(line.value.pos(), kind);
                    }
                }
            }
        }
    }

    fn globals(&mut self, category: &Category) {
        for line in &category.lines {
            let env = Env::new(Channel::default(), self.plan.globals.clone(), "", "");
            let value = env.substitute(line.value.as_str(), &mut Vec::new());
            self.plan.globals.insert(line.key.as_str().to_owned(), value);
        }
    }

    fn context(&mut self, category: &Category) {
        self.plan.contexts.entry(category.name.clone()).or_default();
        let mut section = Section::default();
        for line in &category.lines {
            let keyword = line.key.as_str().to_ascii_lowercase();
            match keyword.as_str() {
                "exten" => self.extension(&category.name, line, &mut section, false),
                "same" => self.extension(&category.name, line, &mut section, true),
                "include" => self.include(&category.name, line),
                "ignorepat" => {
                    self.warnings.push((line.key.pos(), LoadErrorKind::IgnorepatIgnored))
                }
                "switch" | "eswitch" | "lswitch" => {
                    self.error(line.key.pos(), LoadErrorKind::UnsupportedKeyword(keyword));
                }
                _ => self.error(
                    line.key.pos(),
                    LoadErrorKind::UnknownKeyword(line.key.as_str().to_owned()),
                ),
            }
        }
    }

    fn include(&mut self, context: &str, line: &Line) {
        let value = line.value.as_str();
        let (name, time) = match value.split_once([',', '|']) {
            Some((name, spec)) => {
                let (time, problems) = TimeSpec::parse(spec);
                let at = line.value.pos_at(name.len() + 1);
                for problem in problems {
                    self.error(
                        at,
                        LoadErrorKind::Arguments { app: "include", error: problem.into() },
                    );
                }
                (name.trim(), Some(time))
            }
            None => (value.trim(), None),
        };
        if name.is_empty() {
            return self.error(line.value.pos(), LoadErrorKind::MissingExtension);
        }
        let include = Include { context: name.to_owned(), time };
        self.plan.contexts.entry(context.to_owned()).or_default().includes.push(include);
        self.jumps.push(Jump {
            pos: line.value.pos(),
            app: "include",
            context: name.to_owned(),
            exten: None,
            label: None,
        });
    }

    fn extension(&mut self, context: &str, line: &Line, section: &mut Section, same: bool) {
        let value = &line.value;
        let text = value.as_str();
        let (exten, rest_start) = if same {
            let Some(exten) = section.exten.clone() else {
                return self.error(line.key.pos(), LoadErrorKind::SameWithoutExten);
            };
            (exten, 0)
        } else {
            let comma = top_level_comma(text).or_else(|| text.find(',')).unwrap_or(text.len());
            (value.slice(0..comma).trim(), (comma + 1).min(text.len()))
        };
        let rest = value.slice(rest_start..text.len());
        let (priority_end, app_start) = match rest.as_str().find(',') {
            Some(comma) => (comma, comma + 1),
            None => (rest.as_str().len(), rest.as_str().len()),
        };
        let priority = rest.slice(0..priority_end).trim();
        let application = rest.slice(app_start..rest.as_str().len()).trim();

        if exten.is_empty() {
            return self.error(value.pos(), LoadErrorKind::MissingExtension);
        }
        let (name_text, caller_text) = match exten.as_str().find('/') {
            Some(slash) => (
                exten.slice(0..slash).trim(),
                Some(exten.slice(slash + 1..exten.as_str().len()).trim()),
            ),
            None => (exten.clone(), None),
        };
        let Ok(name) = ExtenName::new(name_text.as_str()) else {
            return self
                .error(name_text.pos(), LoadErrorKind::BadPattern(name_text.as_str().to_owned()));
        };
        let caller = match caller_text.as_ref().map(|c| ExtenName::new(c.as_str())) {
            None => None,
            Some(Ok(caller)) => Some(caller),
            Some(Err(_)) => {
                let c = caller_text.expect("caller text was parsed");
                return self.error(c.pos(), LoadErrorKind::BadPattern(c.as_str().to_owned()));
            }
        };
        if !same {
            section.exten = Some(exten.clone());
        }
        if priority.is_empty() {
            return self.error(value.pos_at(value.as_str().len()), LoadErrorKind::MissingPriority);
        }
        if priority.as_str().eq_ignore_ascii_case("hint") {
            return; // Presence is served elsewhere; a hint alone does not make an extension.
        }
        if matches!(name.as_str(), "h" | "t" | "T") && !same && priority.as_str() == "1" {
            let kind = LoadErrorKind::SpecialExtensionIgnored(name.as_str().to_owned());
            self.warnings.push((name_text.pos(), kind));
        }
        let extension =
            Extension { name, caller, priorities: BTreeMap::new(), labels: HashMap::new() };
        let contexts = &mut self.plan.contexts;
        let extensions = &mut contexts.entry(context.to_owned()).or_default().extensions;
        let index = match extensions.binary_search_by(|e| e.cmp_asterisk(&extension)) {
            Ok(index) => index,
            Err(index) => {
                extensions.insert(index, extension);
                index
            }
        };
        let (number, label) = match self.priority(context, index, &priority, section) {
            Ok(Some(parsed)) => parsed,
            Ok(None) => return, // a hint
            Err(kind) => return self.error(priority.pos(), kind),
        };
        section.priority = Some(number);
        let Some(step) = self.application(context, &application) else { return };
        let extension =
            &mut self.plan.contexts.get_mut(context).expect("context exists").extensions[index];
        if let Some(label) = label {
            if extension.labels.contains_key(&label) {
                let kind =
                    LoadErrorKind::DuplicateLabel { exten: exten.as_str().to_owned(), label };
                return self.error(priority.pos(), kind);
            }
            extension.labels.insert(label, number);
        }
        if let Some(first) = extension.priorities.get(&number) {
            let kind = LoadErrorKind::DuplicatePriority {
                exten: exten.as_str().to_owned(),
                priority: number,
                first_line: first.pos.line,
            };
            return self.error(priority.pos(), kind);
        }
        extension.priorities.insert(number, step);
    }

    /// The priority number and label of a line; `None` for a hint.
    fn priority(
        &self,
        context: &str,
        extension: usize,
        text: &Text,
        section: &Section,
    ) -> Result<Option<(u32, Option<String>)>, LoadErrorKind> {
        let s = text.as_str();
        let bad = || LoadErrorKind::BadPriority(s.to_owned());
        let (head, label) = match s.find('(') {
            Some(open) => {
                let label = s[open + 1..].strip_suffix(')').ok_or_else(bad)?.trim();
                if label.is_empty() {
                    return Err(bad());
                }
                (s[..open].trim(), Some(label.to_owned()))
            }
            None => (s, None),
        };
        let (base, offset) = match head.split_once('+') {
            Some((base, offset)) => (base.trim(), offset.trim().parse::<u32>().map_err(|_| bad())?),
            None => (head, 0),
        };
        let previous =
            || section.priority.ok_or_else(|| LoadErrorKind::NoPreviousPriority(base.to_owned()));
        let number = match base.to_ascii_lowercase().as_str() {
            "hint" => return Ok(None),
            "n" | "next" => previous()? + 1,
            "s" | "same" => previous()?,
            _ => match base.parse::<u32>() {
                Ok(n) if n >= 1 => n,
                Ok(_) => return Err(bad()),
                Err(_) => {
                    let extension = &self.plan.contexts[context].extensions[extension];
                    *extension.labels.get(base).ok_or_else(bad)?
                }
            },
        };
        Ok(Some((number + offset, label)))
    }

    /// The application of a line, with its literal arguments checked.
    fn application(&mut self, context: &str, text: &Text) -> Option<Step> {
        let s = text.as_str();
        if s.is_empty() {
            self.error(text.pos(), LoadErrorKind::MissingApplication);
            return None;
        }
        let (name, data) = match s.find('(') {
            Some(open) => {
                let name = s[..open].trim();
                let Some(close) = s.rfind(')').filter(|&c| c > open) else {
                    self.error(
                        text.pos_at(open),
                        LoadErrorKind::UnclosedArguments(name.to_owned()),
                    );
                    return None;
                };
                if !s[close + 1..].trim().is_empty() {
                    self.error(
                        text.pos_at(close + 1),
                        LoadErrorKind::TrailingText(name.to_owned()),
                    );
                    return None;
                }
                (name, text.slice(open + 1..close))
            }
            None => {
                if let Some(comma) = s.find(',') {
                    let name = s[..comma].trim().to_owned();
                    self.error(text.pos(), LoadErrorKind::ArgumentsWithoutParentheses(name));
                    return None;
                }
                (s, text.slice(s.len()..s.len()))
            }
        };
        if name.is_empty() {
            self.error(text.pos(), LoadErrorKind::MissingApplication);
            return None;
        }
        let app = match App::lookup(name) {
            Ok(app) => app,
            Err(kind) => {
                self.error(text.pos(), kind);
                return None;
            }
        };
        self.check_functions(&data);
        self.check_arguments(context, app, &data);
        Some(Step { app, data: data.as_str().to_owned(), pos: text.pos() })
    }

    /// Every literal `${NAME(` must name a function Ringway implements.
    fn check_functions(&mut self, data: &Text) {
        let s = data.as_str();
        let mut from = 0;
        while let Some(found) = s[from..].find("${") {
            let start = from + found + 2;
            let len =
                s[start..].bytes().take_while(|b| b.is_ascii_alphanumeric() || *b == b'_').count();
            let name = &s[start..start + len];
            if s[start + len..].starts_with('(') && !functions::is_readable(name) {
                self.error(data.pos_at(start), LoadErrorKind::UnknownFunction(name.to_owned()));
            }
            from = start;
        }
    }

    fn check_arguments(&mut self, context: &str, app: App, data: &Text) {
        let s = data.as_str();
        let literal = !s.contains('$');
        let mut problems: Vec<ArgError> = Vec::new();
        match app {
            App::Dial => {
                let parts = apps::separate_args(s, ',', true, 4);
                let targets = parts.first().map_or("", |t| t.trim());
                if targets.is_empty() {
                    problems.push(ArgError::NoTargets);
                }
                for target in targets.split('&').map(str::trim).filter(|t| !t.is_empty()) {
                    if !target.contains('$') {
                        problems.extend(DialTarget::parse(target).err());
                    } else if let Some((technology, _)) = target.split_once('/')
                        && !technology.contains('$')
                        && !["PJSIP", "SIP"].contains(&technology.to_ascii_uppercase().as_str())
                    {
                        problems.push(ArgError::Technology(technology.to_owned()));
                    }
                }
                if let Some(timeout) =
                    parts.get(1).map(|t| t.trim()).filter(|t| !t.is_empty() && !t.contains('$'))
                {
                    problems.extend(apps::seconds(timeout).err());
                }
            }
            App::Hangup if literal => problems.extend(apps::hangup_arg(s).err()),
            App::Goto if literal => match apps::location(s) {
                Ok(location) => self.jump(data.pos(), "Goto", context, location),
                Err(e) => problems.push(e),
            },
            App::Gosub if literal => match apps::gosub_args(s) {
                Ok((location, _)) => self.jump(data.pos(), "Gosub", context, location),
                Err(e) => problems.push(e),
            },
            App::GotoIf | App::GotoIfTime => match unsubstituted_branches(s) {
                Ok((condition, yes, no)) => {
                    if app == App::GotoIfTime && !condition.contains('$') {
                        let (_, time) = TimeSpec::parse(condition);
                        problems.extend(time.into_iter().map(ArgError::from));
                    }
                    for branch in
                        [yes, no].into_iter().filter(|b| !b.is_empty() && !b.contains('$'))
                    {
                        match apps::location(branch) {
                            Ok(location) => self.jump(data.pos(), app.name(), context, location),
                            Err(e) => problems.push(e),
                        }
                    }
                }
                Err(e) if literal => problems.push(e),
                Err(_) => {}
            },
            App::Set => match s.split_once('=') {
                None if literal => problems.push(ArgError::MissingEquals),
                None => {}
                Some((name, _)) => {
                    if let Some(open) = name.find('(') {
                        let function = name[..open].trim();
                        if !function.contains('$') && !functions::is_writable(function) {
                            problems.push(if functions::is_readable(function) {
                                ArgError::NotWritable(function.to_owned())
                            } else {
                                let kind = LoadErrorKind::UnknownFunction(function.to_owned());
                                return self.error(data.pos(), kind);
                            });
                        }
                    }
                }
            },
            App::Log => {
                let level =
                    apps::separate_args(s, ',', true, 2).into_iter().next().unwrap_or_default();
                if !level.contains('$') {
                    problems.extend(LogLevel::parse(&level).err());
                }
            }
            App::Wait if literal => problems.extend(apps::seconds(s).err()),
            App::Answer if literal && !s.trim().is_empty() && s.trim().parse::<u64>().is_err() => {
                problems.push(ArgError::BadDuration(s.trim().to_owned()));
            }
            App::Wasm => {
                let plugin = apps::separate_args(s, ',', true, usize::MAX)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                if plugin.trim().is_empty() {
                    problems.push(ArgError::MissingPlugin);
                }
            }
            _ => {}
        }
        for error in problems {
            self.error(data.pos(), LoadErrorKind::Arguments { app: app.name(), error });
        }
    }

    fn jump(&mut self, pos: Pos, app: &'static str, context: &str, location: apps::Location) {
        let label = match location.priority {
            PriorityRef::Label(label) => Some(label),
            _ => None,
        };
        let context = location.context.unwrap_or_else(|| context.to_owned());
        self.jumps.push(Jump { pos, app, context, exten: location.exten, label });
    }

    /// Destinations in contexts that do not exist are warnings (Asterisk modules define some,
    /// such as `parkedcalls`); a label that no matching extension of an existing context has
    /// is an error.
    fn check_jumps(&mut self) {
        for jump in std::mem::take(&mut self.jumps) {
            if !self.plan.contexts.contains_key(&jump.context) {
                let kind = if jump.app == "include" {
                    LoadErrorKind::UnknownInclude(jump.context)
                } else {
                    LoadErrorKind::UnknownContext(jump.context)
                };
                self.warnings.push((jump.pos, kind));
                continue;
            }
            let Some(label) = jump.label else { continue };
            if !self.plan.label_exists(
                &jump.context,
                jump.exten.as_deref(),
                &label,
                &mut Vec::new(),
            ) {
                let exten = jump.exten.unwrap_or_else(|| "<this extension>".into());
                let error = ArgError::NoSuchLabel { context: jump.context, exten, label };
                self.errors.push((jump.pos, LoadErrorKind::Arguments { app: jump.app, error }));
            }
        }
    }
}

/// `cond?yes:no` of arguments not yet substituted: the `?` and `:` that separate them are the
/// first ones outside `${...}` and `$[...]`, whose insides may hold their own (`$[a ? b :: c]`,
/// `$["${X}" : "re"]`).
fn unsubstituted_branches(s: &str) -> Result<(&str, &str, &str), ArgError> {
    let outside = |text: &str, wanted: u8| -> Option<usize> {
        let bytes = text.as_bytes();
        let mut closers = Vec::new();
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'{' | b'[' if i > 0 && bytes[i - 1] == b'$' => {
                    closers.push(if b == b'{' { b'}' } else { b']' });
                }
                b if closers.last() == Some(&b) => {
                    closers.pop();
                }
                b if b == wanted && closers.is_empty() => return Some(i),
                _ => {}
            }
        }
        None
    };
    let question = outside(s, b'?').ok_or(ArgError::MissingQuestionMark)?;
    let rest = &s[question + 1..];
    let (yes, no) = match outside(rest, b':') {
        Some(colon) => (&rest[..colon], &rest[colon + 1..]),
        None => (rest, ""),
    };
    Ok((&s[..question], yes.trim(), no.trim()))
}

/// The first comma outside square brackets (extension names may hold `[1,2]`).
fn top_level_comma(s: &str) -> Option<usize> {
    let mut depth = 0u32;
    for (i, c) in s.char_indices() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}
