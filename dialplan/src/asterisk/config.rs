//! Reading `extensions.conf` as an Asterisk configuration file: sections, `name => value`
//! lines, comments and `#include`, before any dialplan meaning is given to them (that is
//! `parse`).
//!
//! The rules are those of Asterisk's config reader (`main/config.c`):
//!
//! - `;` starts a comment to the end of the line; `\;` is a literal semicolon (the backslash is
//!   dropped, every other backslash is kept for the application to interpret).
//! - `;--` starts a block comment that may span lines and nest; `--;` ends it (`;---` is an
//!   ordinary line comment).
//! - `[name]` starts a section; `[name](!)` is a template (not a context of its own),
//!   `[name](tmpl1,tmpl2)` starts with copies of those templates' lines, `[name](+)` adds to a
//!   section defined earlier (sections of the same name are merged anyway).
//! - `name => value` and `name = value` are the same line (`=>` is Asterisk's "object" flavour,
//!   which the dialplan does not distinguish); surrounding whitespace is trimmed.
//! - `#include "file"` (also `#include file` and `#include <file>`) reads another file in place;
//!   `#tryinclude` does the same but a missing file is not an error. **Difference:** Asterisk
//!   resolves a relative path against its configuration directory; Ringway resolves it against
//!   the directory of the including file, which is the same thing for files that live together
//!   in `/etc/asterisk`. Wildcards and `#exec` are load errors.
//!
//! **Line continuation.** Asterisk's reader has none: it reads one physical line at a time and
//! a trailing backslash stays in the value. Ringway accepts one as an extension: a line whose
//! last character is a backslash (an odd number of them, outside any comment) continues on the
//! next line, the backslash and the line break removed. A backslash at the end of a comment
//! (`; see C:\`) continues nothing. Since Asterisk would keep such a backslash in the value,
//! where no application can use it, a dialplan written for Asterisk is read the same.
//!
//! Every character keeps its file, line and column ([`Text`]), so later stages report errors
//! at the exact place.

use super::error::{LoadErrorKind, Pos};
use std::collections::HashMap;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// `#include`s nest at most this deep.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// Where the loader gets file contents: the file system in the server, memory in tests.
pub trait FileResolver {
    /// The contents of `path`: the top file's path as given to [`Dialplan::load`], or an
    /// `#include`d path joined to the including file's directory.
    ///
    /// [`Dialplan::load`]: super::Dialplan::load
    fn read(&self, path: &Path) -> io::Result<String>;
}

/// Reads files from the file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct FsResolver;

impl FileResolver for FsResolver {
    fn read(&self, path: &Path) -> io::Result<String> {
        std::fs::read_to_string(path)
    }
}

/// Files held in memory, by path: for tests and for tools that assemble a dialplan.
#[derive(Clone, Debug, Default)]
pub struct MemoryFiles {
    files: HashMap<PathBuf, String>,
}

impl MemoryFiles {
    /// No files.
    pub fn new() -> Self {
        MemoryFiles::default()
    }

    /// Adds (or replaces) a file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.insert(path, text);
        self
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<PathBuf>, text: impl Into<String>) {
        self.files.insert(path.into(), text.into());
    }
}

impl FileResolver for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<String> {
        self.files.get(path).cloned().ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }
}

/// Text from a source file that remembers where each of its bytes came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Text {
    s: String,
    /// `(byte offset, position of that byte)`; each segment is contiguous on one physical line.
    segs: Vec<(usize, Pos)>,
}

impl Text {
    fn push(&mut self, c: char, pos: Pos) {
        let contiguous = self.segs.last().is_some_and(|&(start, p)| {
            p.file == pos.file
                && p.line == pos.line
                && p.col as usize + self.s[start..].chars().count() == pos.col as usize
        });
        if !contiguous {
            self.segs.push((self.s.len(), pos));
        }
        self.s.push(c);
    }

    fn append(&mut self, other: Text) {
        let base = self.s.len();
        self.s.push_str(&other.s);
        self.segs.extend(other.segs.into_iter().map(|(start, pos)| (base + start, pos)));
    }

    pub fn as_str(&self) -> &str {
        &self.s
    }

    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// Where the byte at `offset` came from (the end of the text: just after its last char).
    pub fn pos_at(&self, offset: usize) -> Pos {
        let i = self.segs.partition_point(|&(start, _)| start <= offset).saturating_sub(1);
        let Some(&(start, pos)) = self.segs.get(i) else {
            return Pos::default();
        };
        let offset = offset.min(self.s.len());
        let chars = self.s.get(start..offset).map_or(0, |s| s.chars().count());
        Pos { col: pos.col + chars as u32, ..pos }
    }

    /// Where the text starts.
    pub fn pos(&self) -> Pos {
        self.pos_at(0)
    }

    /// The bytes in `range` with their positions.
    pub fn slice(&self, range: Range<usize>) -> Text {
        let mut segs = vec![(0, self.pos_at(range.start))];
        segs.extend(
            self.segs
                .iter()
                .filter(|&&(start, _)| start > range.start && start < range.end)
                .map(|&(start, pos)| (start - range.start, pos)),
        );
        Text { s: self.s[range].to_owned(), segs }
    }

    /// Without leading and trailing whitespace.
    pub fn trim(&self) -> Text {
        let start = self.s.len() - self.s.trim_start().len();
        let end = self.s.trim_end().len().max(start);
        self.slice(start..end)
    }
}

/// A `[section]` and its lines.
#[derive(Clone, Debug)]
pub(crate) struct Category {
    pub name: String,
    /// `(!)`: a template, not a section of its own.
    pub template: bool,
    pub lines: Vec<Line>,
}

/// A `key => value` or `key = value` line.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub key: Text,
    pub value: Text,
}

/// Everything read from the top file and its includes.
pub(crate) struct Config {
    /// File names as errors show them; `Pos::file` indexes this.
    pub files: Vec<String>,
    pub categories: Vec<Category>,
    pub errors: Vec<(Pos, LoadErrorKind)>,
}

/// Reads `path` and everything it includes.
pub(crate) fn read(path: &Path, resolver: &dyn FileResolver) -> Config {
    let mut reader = Reader {
        resolver,
        config: Config { files: Vec::new(), categories: Vec::new(), errors: Vec::new() },
        stack: Vec::new(),
        current: None,
    };
    reader.file(normalize(path), None, false);
    reader.config
}

struct Reader<'r> {
    resolver: &'r dyn FileResolver,
    config: Config,
    /// Files being read, outermost first.
    stack: Vec<PathBuf>,
    /// Index of the section lines go to (shared across includes, as in Asterisk).
    current: Option<usize>,
}

impl Reader<'_> {
    fn error(&mut self, pos: Pos, kind: LoadErrorKind) {
        self.config.errors.push((pos, kind));
    }

    fn file(&mut self, path: PathBuf, included_at: Option<Pos>, optional: bool) {
        let at = included_at.unwrap_or(Pos { file: 0, line: 1, col: 1 });
        let shown = path.display().to_string();
        if self.stack.contains(&path) {
            return self.error(at, LoadErrorKind::IncludeLoop(shown));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return self.error(at, LoadErrorKind::IncludeTooDeep(MAX_INCLUDE_DEPTH));
        }
        let text = match self.resolver.read(&path) {
            Ok(text) => text,
            Err(e) if optional && e.kind() == io::ErrorKind::NotFound => return,
            Err(e) => {
                if included_at.is_none() {
                    self.config.files.push(shown.clone());
                }
                let reason = e.to_string();
                return self.error(at, LoadErrorKind::Read { path: shown, reason });
            }
        };
        let file = self.config.files.len() as u32;
        self.config.files.push(shown);
        self.stack.push(path);
        let mut comments = Comments::default();
        let mut logical = Text::default();
        for (index, raw) in text.lines().enumerate() {
            let (content, continues) = comments.strip(raw, file, index as u32 + 1);
            logical.append(content);
            if continues {
                continue;
            }
            let line = std::mem::take(&mut logical).trim();
            if !line.is_empty() {
                self.line(line);
            }
        }
        let line = logical.trim();
        if !line.is_empty() {
            self.line(line);
        }
        if let Some(start) = comments.opened.first() {
            self.error(*start, LoadErrorKind::UnterminatedComment);
        }
        self.stack.pop();
    }

    fn line(&mut self, line: Text) {
        match line.as_str().as_bytes()[0] {
            b'[' => self.section(&line),
            b'#' => self.directive(&line),
            _ => self.assignment(line),
        }
    }

    fn section(&mut self, line: &Text) {
        let s = line.as_str();
        let Some(close) = s.find(']') else {
            return self.error(line.pos(), LoadErrorKind::BadSection);
        };
        let name = s[1..close].trim();
        let rest = s[close + 1..].trim();
        let options = if rest.is_empty() {
            Vec::new()
        } else if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
            inner.split(',').map(str::trim).collect()
        } else {
            return self.error(line.pos_at(close + 1), LoadErrorKind::BadSection);
        };
        if name.is_empty() {
            return self.error(line.pos(), LoadErrorKind::BadSection);
        }
        let mut category = Category { name: name.to_owned(), template: false, lines: Vec::new() };
        for option in options {
            match option {
                "!" => category.template = true,
                "+" | "" => {}
                template => {
                    let found = self.config.categories.iter().rev().find(|c| c.name == template);
                    match found {
                        Some(t) => category.lines.extend(t.lines.iter().cloned()),
                        None => {
                            let pos = line.pos_at(s.find(template).unwrap_or(0));
                            self.error(pos, LoadErrorKind::UnknownTemplate(template.to_owned()));
                        }
                    }
                }
            }
        }
        self.config.categories.push(category);
        self.current = Some(self.config.categories.len() - 1);
    }

    fn directive(&mut self, line: &Text) {
        let s = line.as_str();
        let word_end =
            s.find(|c: char| c.is_whitespace() || c == '"' || c == '<').unwrap_or(s.len());
        let word = &s[1..word_end];
        let optional = match word.to_ascii_lowercase().as_str() {
            "include" => false,
            "tryinclude" => true,
            _ => {
                let kind = LoadErrorKind::UnsupportedDirective(format!("#{word}"));
                return self.error(line.pos(), kind);
            }
        };
        let arg = s[word_end..].trim();
        let arg = strip_delimiters(arg, '"', '"').or_else(|| strip_delimiters(arg, '<', '>'));
        let arg = arg.unwrap_or(s[word_end..].trim());
        let at = line.pos_at(word_end + (s[word_end..].len() - s[word_end..].trim_start().len()));
        if arg.is_empty() {
            return self.error(line.pos(), LoadErrorKind::MissingIncludeFile);
        }
        if arg.contains(['*', '?', '[']) {
            let kind = LoadErrorKind::UnsupportedDirective(format!("#{word} with a wildcard"));
            return self.error(at, kind);
        }
        let including = self.stack.last().cloned().unwrap_or_default();
        let path = normalize(&including.parent().unwrap_or(Path::new("")).join(arg));
        self.file(path, Some(at), optional);
    }

    fn assignment(&mut self, line: Text) {
        let s = line.as_str();
        let Some(eq) = s.find('=') else {
            return self.error(line.pos(), LoadErrorKind::ExpectedAssignment);
        };
        let key = line.slice(0..eq).trim();
        let value_start = if s[eq + 1..].starts_with('>') { eq + 2 } else { eq + 1 };
        let value = line.slice(value_start..s.len()).trim();
        if key.is_empty() {
            return self.error(line.pos(), LoadErrorKind::ExpectedAssignment);
        }
        match self.current {
            Some(i) => self.config.categories[i].lines.push(Line { key, value }),
            None => {
                let kind = LoadErrorKind::OutsideSection(key.as_str().to_owned());
                self.error(line.pos(), kind);
            }
        }
    }
}

/// `a/b/../c` → `a/c`, `./a` → `a`: lexically, so include loops are recognised.
fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn strip_delimiters(s: &str, open: char, close: char) -> Option<&str> {
    s.strip_prefix(open)?.strip_suffix(close)
}

/// Comment state across the lines of one file.
#[derive(Default)]
struct Comments {
    /// Where each open `;--` block comment started, outermost first.
    opened: Vec<Pos>,
}

impl Comments {
    /// The content of one physical line without comments, and whether it continues on the next
    /// line (see the module docs).
    fn strip(&mut self, raw: &str, file: u32, line: u32) -> (Text, bool) {
        let chars: Vec<char> = raw.chars().collect();
        let at = |i: usize| chars.get(i).copied();
        let pos = |i: usize| Pos { file, line, col: i as u32 + 1 };
        let block_start =
            |i: usize| at(i + 1) == Some('-') && at(i + 2) == Some('-') && at(i + 3) != Some('-');
        let mut out = Text::default();
        let mut cut = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !self.opened.is_empty() {
                if c == '-' && at(i + 1) == Some('-') && at(i + 2) == Some(';') {
                    self.opened.pop();
                    i += 3;
                } else if c == ';' && block_start(i) {
                    self.opened.push(pos(i));
                    i += 3;
                } else {
                    i += 1;
                }
                continue;
            }
            match c {
                '\\' if at(i + 1) == Some(';') => {
                    out.push(';', pos(i + 1));
                    i += 2;
                }
                ';' if block_start(i) => {
                    self.opened.push(pos(i));
                    i += 3;
                }
                ';' => {
                    cut = true;
                    break;
                }
                _ => {
                    out.push(c, pos(i));
                    i += 1;
                }
            }
        }
        let trailing = chars.iter().rev().take_while(|&&c| c == '\\').count();
        let continues = !cut && self.opened.is_empty() && trailing % 2 == 1;
        if continues {
            out.s.pop();
        }
        (out, continues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(files: &[(&str, &str)]) -> Config {
        let mut memory = MemoryFiles::new();
        for (path, text) in files {
            memory.insert(*path, *text);
        }
        read(Path::new(files[0].0), &memory)
    }

    fn values(config: &Config) -> Vec<String> {
        let lines = config.categories.iter().flat_map(|c| &c.lines);
        lines.map(|l| format!("{}={}", l.key.as_str(), l.value.as_str())).collect()
    }

    #[test]
    fn comments_escapes_and_both_assignment_forms_are_read_as_asterisk_does() {
        let config = config(&[(
            "e.conf",
            "[a] ; ctx\nexten => 1,1,NoOp(x\\;y) ; comment\nexten = 2,1,NoOp(b)\n\
             ;-- block\n still comment --; same => n,NoOp(after)\n;--- not a block\nk=v\n",
        )]);
        assert!(config.errors.is_empty(), "{:?}", config.errors);
        assert_eq!(
            values(&config),
            ["exten=1,1,NoOp(x;y)", "exten=2,1,NoOp(b)", "same=n,NoOp(after)", "k=v"]
        );
    }

    #[test]
    fn a_trailing_backslash_continues_the_line_but_not_inside_a_comment() {
        let config = config(&[(
            "e.conf",
            "[a]\nexten => 1,1,Set(X=a\\\n  b)\n; path C:\\\nexten => 2,1,NoOp(\\\\)\n",
        )]);
        assert_eq!(values(&config), ["exten=1,1,Set(X=a  b)", "exten=2,1,NoOp(\\\\)"]);
        let b = &config.categories[0].lines[0].value;
        let offset = b.as_str().find('b').unwrap();
        assert_eq!(b.pos_at(offset), Pos { file: 0, line: 3, col: 3 });
    }

    #[test]
    fn positions_survive_escapes_and_trimming() {
        let config = config(&[("e.conf", "[a]\n  exten  =>  1,1,NoOp(a\\;b)\n")]);
        let value = &config.categories[0].lines[0].value;
        assert_eq!(value.pos(), Pos { file: 0, line: 2, col: 14 });
        let b = value.as_str().find('b').unwrap();
        assert_eq!(value.pos_at(b), Pos { file: 0, line: 2, col: 26 });
    }

    #[test]
    fn includes_resolve_against_the_including_file_and_loops_are_errors() {
        let config = config(&[
            ("etc/extensions.conf", "[a]\n#include \"sub/more.conf\"\nx=1\n"),
            ("etc/sub/more.conf", "y=2\n#include <last.conf>\n#tryinclude missing.conf\n"),
            ("etc/sub/last.conf", "[b]\nz=3\n#include \"../extensions.conf\"\n"),
        ]);
        assert_eq!(config.files, ["etc/extensions.conf", "etc/sub/more.conf", "etc/sub/last.conf"]);
        // x=1 lands in [b]: the section in force continues after an include, as in Asterisk.
        assert_eq!(values(&config), ["y=2", "z=3", "x=1"]);
        assert_eq!(config.errors.len(), 1);
        let (pos, kind) = &config.errors[0];
        assert_eq!((pos.file, pos.line, pos.col), (2, 3, 10));
        assert_eq!(kind, &LoadErrorKind::IncludeLoop("etc/extensions.conf".into()));
    }

    #[test]
    fn templates_copy_lines_and_are_marked() {
        let config = config(&[("e.conf", "[t](!)\na=1\n[c](t)\nb=2\n[c](+)\nc=3\n")]);
        let names: Vec<(&str, bool, usize)> = config
            .categories
            .iter()
            .map(|c| (c.name.as_str(), c.template, c.lines.len()))
            .collect();
        assert_eq!(names, [("t", true, 1), ("c", false, 2), ("c", false, 1)]);
    }

    #[test]
    fn malformed_lines_are_reported_with_their_position() {
        let config = config(&[(
            "e.conf",
            "x=1\n[a\n[b]junk\n[c](nope)\nno equals here\n#exec foo\n#include\n;-- open\n",
        )]);
        let errors: Vec<String> =
            config.errors.iter().map(|(p, k)| format!("{}:{}: {k}", p.line, p.col)).collect();
        assert_eq!(
            errors,
            [
                "1:1: 'x' is outside any [section]",
                "2:1: malformed section header: expected '[name]' or '[name](options)'",
                "3:4: malformed section header: expected '[name]' or '[name](options)'",
                "4:5: template 'nope' is not defined above",
                "5:1: expected 'name => value' or 'name = value'",
                "6:1: '#exec' is not supported",
                "7:1: #include needs a file name",
                "8:1: block comment ';--' is never closed with '--;'",
            ]
        );
    }
}
