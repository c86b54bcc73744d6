//! `$[ ... ]` expressions, with Asterisk's semantics (`main/ast_expr2.y`, `ast_expr2.fl`).
//!
//! Expressions are evaluated after `${...}` substitution, on the resulting text. Tokens:
//! operators (no spaces needed around them), double-quoted strings (**the quotes stay part of
//! the value**: `"abc" = abc` is false, `"${X}" = ""` is the idiom for "X is empty"), numbers
//! `123` and `1.5`, and words of letters, digits and `.';\_^#@`. A word that looks like a
//! number but is not exactly `[0-9]+(.[0-9]+)?` (`1.2.3`, `0x10`) is a string.
//!
//! | precedence (low → high) | operators | result |
//! |---|---|---|
//! | 1 | `a ? b :: c` | `b` if `a` is true, else `c` (all three are evaluated) |
//! | 2 | `a \| b` (`\|\|`) | `a` unless it is empty or zero, else `b` |
//! | 3 | `a & b` (`&&`) | `a` unless either is empty or zero, else `0` |
//! | 4 | `= == != < > <= >=` | `1`/`0`; numeric when neither side is a string, else byte-wise string comparison |
//! | 5 | `+ -` | numeric; a non-numeric side counts as absent (`abc + 1` is `1`, `abc - 1` is `-1`) |
//! | 6 | `* / %` | numeric; `/` is floating point (`7 / 2` is `3.5`); `x / 0` is `2147483647` |
//! | 7 | unary `-`, `!` (right-associative) | `!x` is `1` for empty, `0`, or text whose leading integer is 0 |
//! | 8 | `a : re`, `a =~ re`, `a ~~ b` | regex match (`:` must match at the start); `~~` concatenates |
//! | 9 | `( )`, `FUNC(args)` | grouping; math functions and dialplan functions |
//!
//! `:` and `=~` strip the double quotes from both sides and return the first capture group when
//! the regex has one and it took part, else the length of the match (`0` when nothing matched,
//! or the empty string when the regex has a group). A syntax error makes the whole expression
//! `0` with a warning, as in Asterisk; an empty expression is the empty string.
//!
//! **Differences.** Numbers are 64-bit floats printed like C's `%.16g` (Asterisk uses `long
//! double` and `%.18Lg` where the platform has it), so the digits of non-integral quotients
//! may differ far right of the point; integers up to 2^53 print exactly. Regular expressions
//! are the `regex` crate's, not POSIX: the same for ordinary patterns, but an alternation
//! prefers its first branch instead of the longest one, and POSIX back-references are not
//! supported. String comparison is byte-wise (Asterisk's `strcoll` in the C locale).

use regex::Regex;

/// Something Asterisk would log a warning for while evaluating; the result is still defined.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExprWarning {
    /// The expression does not parse; it evaluates to `0`.
    #[error("syntax error in expression '{expr}' at character {at}")]
    Syntax {
        /// The expression (after substitution).
        expr: String,
        /// 1-based character where parsing failed.
        at: usize,
    },
    /// An arithmetic operand is not a number.
    #[error("non-numeric argument in expression '{0}'")]
    NonNumeric(String),
    /// Division or remainder by zero.
    #[error("division by zero in expression '{0}'")]
    DivisionByZero(String),
    /// A regular expression that does not compile.
    #[error("invalid regular expression '{pattern}': {reason}")]
    BadRegex {
        /// The pattern.
        pattern: String,
        /// Why it does not compile.
        reason: String,
    },
    /// A function that is neither a math function nor a known dialplan function.
    #[error("unknown function '{0}' in expression")]
    UnknownFunction(String),
    /// A math function with the wrong number of arguments.
    #[error("wrong number of arguments to {0}() in expression")]
    WrongArguments(String),
}

/// Dialplan functions callable from inside an expression: `name`, `args` → value, or `None`
/// when there is no such function.
pub(crate) type Functions<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// Evaluates an expression; warnings are appended to `warnings`.
pub(crate) fn evaluate(
    expr: &str,
    functions: Functions<'_>,
    warnings: &mut Vec<ExprWarning>,
) -> String {
    let tokens = match lex(expr) {
        Ok(tokens) if tokens.is_empty() => return String::new(),
        Ok(tokens) => tokens,
        Err(at) => {
            warnings.push(ExprWarning::Syntax { expr: expr.to_owned(), at });
            return "0".into();
        }
    };
    let mut parser = Parser { tokens: &tokens, next: 0, expr, functions, warnings };
    match parser.expression(PREC_COND) {
        Ok(value) if parser.next == tokens.len() => value.into_string(),
        _ => {
            let at = tokens.get(parser.next).map_or(expr.chars().count() + 1, |t| t.at);
            parser.warnings.push(ExprWarning::Syntax { expr: expr.to_owned(), at });
            "0".into()
        }
    }
}

/// A value: a number, text that reads as a number, or a string.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Num(f64),
    NumStr(String),
    Str(String),
}

impl Val {
    /// Asterisk's `make_str`: text of digits and dots starting with a digit or dot is numeric.
    fn from_text(s: String) -> Val {
        let numeric = s.as_bytes().first().is_some_and(|b| b.is_ascii_digit() || *b == b'.')
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'.');
        if numeric { Val::NumStr(s) } else { Val::Str(s) }
    }

    fn is_string(&self) -> bool {
        matches!(self, Val::Str(_))
    }

    fn number(&self) -> Option<f64> {
        match self {
            Val::Num(n) => Some(*n),
            Val::NumStr(s) => Some(strtod(s)),
            Val::Str(_) => None,
        }
    }

    fn into_string(self) -> String {
        match self {
            Val::Num(n) => format_number(n),
            Val::NumStr(s) | Val::Str(s) => s,
        }
    }

    fn is_zero_or_null(&self) -> bool {
        match self {
            Val::Num(n) => *n == 0.0,
            Val::NumStr(s) | Val::Str(s) => s.is_empty() || self.number() == Some(0.0),
        }
    }

    /// The text with its double quotes removed, when it is quoted.
    fn unquoted(self) -> String {
        let s = self.into_string();
        if s.starts_with('"') && s.ends_with('"') { s.replace('"', "") } else { s }
    }
}

/// The leading decimal number of digits-and-dots text (`1.2.3` → 1.2, `.` → 0).
fn strtod(s: &str) -> f64 {
    let mut end = s.bytes().take_while(u8::is_ascii_digit).count();
    if s[end..].starts_with('.') {
        end += 1 + s[end + 1..].bytes().take_while(u8::is_ascii_digit).count();
    }
    s[..end].parse().unwrap_or(0.0)
}

/// C's `atoi`: optional spaces and sign, then digits; 0 when there are none.
fn atoi(s: &str) -> i64 {
    let s = s.trim_start();
    let (negative, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let value = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if negative { -value } else { value }
}

/// A number as C's `%.16g` prints it: integers without a point, at most 16 significant digits,
/// an exponent below 1e-4 and from 1e16.
pub(crate) fn format_number(n: f64) -> String {
    const PRECISION: i32 = 16;
    if n.is_nan() {
        return if n.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if n.is_infinite() {
        return if n < 0.0 { "-inf" } else { "inf" }.into();
    }
    if n == 0.0 {
        return if n.is_sign_negative() { "-0" } else { "0" }.into();
    }
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, n);
    let (mantissa, exponent) = scientific.split_once('e').expect("{:e} has an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} exponent is an integer");
    let trim = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_owned()
        } else {
            s.to_owned()
        }
    };
    if !(-4..PRECISION).contains(&exponent) {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mantissa), exponent.abs())
    } else {
        trim(&format!("{:.*}", (PRECISION - 1 - exponent) as usize, n))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    Plus,
    Minus,
    Times,
    Divide,
    Modulo,
    Cond,
    ColonColon,
    Colon,
    EqTilde,
    TildeTilde,
    Not,
    Open,
    Close,
    Comma,
}

const PREC_COND: u8 = 1;
const PREC_UNARY: u8 = 7;

impl Op {
    /// Binding strength of a binary operator; `None` for the others.
    fn precedence(self) -> Option<u8> {
        Some(match self {
            Op::Cond => PREC_COND,
            Op::Or => 2,
            Op::And => 3,
            Op::Eq | Op::Ne | Op::Lt | Op::Gt | Op::Le | Op::Ge => 4,
            Op::Plus | Op::Minus => 5,
            Op::Times | Op::Divide | Op::Modulo => 6,
            Op::Colon | Op::EqTilde | Op::TildeTilde => 8,
            Op::ColonColon | Op::Not | Op::Open | Op::Close | Op::Comma => return None,
        })
    }
}

#[derive(Clone, Debug)]
struct Token {
    kind: TokenKind,
    /// 1-based character position, for warnings.
    at: usize,
}

#[derive(Clone, Debug)]
enum TokenKind {
    Op(Op),
    Value(Val),
}

const TWO_CHAR_OPS: [(&str, Op); 9] = [
    ("||", Op::Or),
    ("&&", Op::And),
    ("==", Op::Eq),
    ("=~", Op::EqTilde),
    ("~~", Op::TildeTilde),
    (">=", Op::Ge),
    ("<=", Op::Le),
    ("!=", Op::Ne),
    ("::", Op::ColonColon),
];

fn single_char_op(c: u8) -> Option<Op> {
    Some(match c {
        b'|' => Op::Or,
        b'&' => Op::And,
        b'=' => Op::Eq,
        b'>' => Op::Gt,
        b'<' => Op::Lt,
        b'+' => Op::Plus,
        b',' => Op::Comma,
        b'-' => Op::Minus,
        b'*' => Op::Times,
        b'/' => Op::Divide,
        b'%' => Op::Modulo,
        b'?' => Op::Cond,
        b'!' => Op::Not,
        b':' => Op::Colon,
        b'(' => Op::Open,
        b')' => Op::Close,
        _ => return None,
    })
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".';\\_^#@".contains(&b) || b >= 0x80
}

/// Splits an expression into tokens; `Err` carries the 1-based character position of
/// something that is no token.
fn lex(expr: &str) -> Result<Vec<Token>, usize> {
    let bytes = expr.as_bytes();
    let at = |i: usize| expr[..i].chars().count() + 1;
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if matches!(c, b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        if let Some(&(text, op)) = TWO_CHAR_OPS.iter().find(|(text, _)| expr[i..].starts_with(text))
        {
            tokens.push(Token { kind: TokenKind::Op(op), at: at(i) });
            i += text.len();
            continue;
        }
        if let Some(op) = single_char_op(c) {
            tokens.push(Token { kind: TokenKind::Op(op), at: at(i) });
            i += 1;
            continue;
        }
        if c == b'"' {
            let close = expr[i + 1..].find('"').ok_or(at(i))?;
            let text = expr[i..i + close + 2].to_owned();
            tokens.push(Token { kind: TokenKind::Value(Val::Str(text)), at: at(i) });
            i += close + 2;
            continue;
        }
        let end = word_end(bytes, i);
        if end == i {
            return Err(at(i));
        }
        let digits = bytes[i..end].iter().take_while(|b| b.is_ascii_digit()).count();
        let mut number_end = i + digits;
        if digits > 0 && bytes.get(number_end) == Some(&b'.') {
            let fraction =
                bytes[number_end + 1..end].iter().take_while(|b| b.is_ascii_digit()).count();
            if fraction > 0 {
                number_end += 1 + fraction;
            }
        }
        let text = expr[i..end].to_owned();
        let value =
            if digits > 0 && number_end == end { Val::NumStr(text) } else { Val::Str(text) };
        tokens.push(Token { kind: TokenKind::Value(value), at: at(i) });
        i = end;
    }
    Ok(tokens)
}

/// The end of a word starting at `i`: word characters, `$` followed by anything but `{`, and
/// `${...}` references left unsubstituted.
fn word_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        match bytes[i] {
            b'$' if bytes.get(i + 1) == Some(&b'{') => {
                let mut depth = 0;
                while i < bytes.len() {
                    match bytes[i] {
                        b'{' => depth += 1,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    i += 1;
                    if depth == 0 {
                        break;
                    }
                }
            }
            b'$' if i + 1 < bytes.len() => i += 2,
            b if is_word_byte(b) => i += 1,
            _ => break,
        }
    }
    i
}

struct Parser<'t, 'w> {
    tokens: &'t [Token],
    next: usize,
    expr: &'t str,
    functions: Functions<'t>,
    warnings: &'w mut Vec<ExprWarning>,
}

/// A syntax error; the parser's position says where.
struct SyntaxError;

impl Parser<'_, '_> {
    fn peek_op(&self) -> Option<Op> {
        match self.tokens.get(self.next)?.kind {
            TokenKind::Op(op) => Some(op),
            TokenKind::Value(_) => None,
        }
    }

    fn expect(&mut self, op: Op) -> Result<(), SyntaxError> {
        if self.peek_op() == Some(op) {
            self.next += 1;
            Ok(())
        } else {
            Err(SyntaxError)
        }
    }

    fn expression(&mut self, min: u8) -> Result<Val, SyntaxError> {
        let mut left = self.prefix()?;
        while let Some(op) = self.peek_op() {
            let Some(precedence) = op.precedence().filter(|&p| p >= min) else { break };
            self.next += 1;
            left = if op == Op::Cond {
                let then = self.expression(PREC_COND)?;
                self.expect(Op::ColonColon)?;
                let otherwise = self.expression(precedence + 1)?;
                conditional(left, then, otherwise)
            } else {
                let right = self.expression(precedence + 1)?;
                self.binary(op, left, right)
            };
        }
        Ok(left)
    }

    fn prefix(&mut self) -> Result<Val, SyntaxError> {
        match self.peek_op() {
            Some(Op::Minus) => {
                self.next += 1;
                let operand = self.expression(PREC_UNARY)?;
                Ok(match operand.number() {
                    Some(n) => Val::Num(-n),
                    None => {
                        self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                        Val::Num(0.0)
                    }
                })
            }
            Some(Op::Not) => {
                self.next += 1;
                let operand = self.expression(PREC_UNARY)?;
                let true_ = match &operand {
                    Val::Num(n) => *n != 0.0,
                    Val::NumStr(s) | Val::Str(s) => !s.is_empty() && s != "0" && atoi(s) != 0,
                };
                Ok(Val::Num(if true_ { 0.0 } else { 1.0 }))
            }
            Some(Op::Open) => {
                self.next += 1;
                let value = self.expression(PREC_COND)?;
                self.expect(Op::Close)?;
                Ok(value)
            }
            Some(_) => Err(SyntaxError),
            None => {
                let Some(Token { kind: TokenKind::Value(value), .. }) = self.tokens.get(self.next)
                else {
                    return Err(SyntaxError);
                };
                self.next += 1;
                if self.peek_op() == Some(Op::Open) {
                    self.next += 1;
                    let name = value.clone().into_string();
                    let args = self.arguments()?;
                    return Ok(self.call(&name, args));
                }
                Ok(value.clone())
            }
        }
    }

    /// `expr[, expr…][,]` up to the closing parenthesis; a trailing comma adds an empty
    /// argument.
    fn arguments(&mut self) -> Result<Vec<Option<Val>>, SyntaxError> {
        let mut args = vec![Some(self.expression(PREC_COND)?)];
        loop {
            match self.peek_op() {
                Some(Op::Close) => {
                    self.next += 1;
                    return Ok(args);
                }
                Some(Op::Comma) => {
                    self.next += 1;
                    if self.peek_op() == Some(Op::Close) {
                        args.push(None);
                    } else {
                        args.push(Some(self.expression(PREC_COND)?));
                    }
                }
                _ => return Err(SyntaxError),
            }
        }
    }

    fn call(&mut self, name: &str, args: Vec<Option<Val>>) -> Val {
        let numbers: Vec<f64> =
            args.iter().map(|a| a.as_ref().and_then(Val::number).unwrap_or(0.0)).collect();
        let unary: Option<fn(f64) -> f64> = match name {
            "ABS" => Some(f64::abs),
            "CEIL" => Some(f64::ceil),
            "FLOOR" => Some(f64::floor),
            "ROUND" => Some(f64::round),
            "RINT" => Some(f64::round_ties_even),
            "TRUNC" => Some(f64::trunc),
            "SQRT" => Some(f64::sqrt),
            "EXP" => Some(f64::exp),
            "EXP2" => Some(f64::exp2),
            "LOG" => Some(f64::ln),
            "LOG2" => Some(f64::log2),
            "LOG10" => Some(f64::log10),
            "SIN" => Some(f64::sin),
            "COS" => Some(f64::cos),
            "TAN" => Some(f64::tan),
            "ASIN" => Some(f64::asin),
            "ACOS" => Some(f64::acos),
            "ATAN" => Some(f64::atan),
            _ => None,
        };
        let binary: Option<fn(f64, f64) -> f64> = match name {
            "POW" => Some(f64::powf),
            "ATAN2" => Some(f64::atan2),
            "REMAINDER" => Some(|a: f64, b: f64| a - b * (a / b).round_ties_even()),
            _ => None,
        };
        match (unary, binary, numbers.as_slice()) {
            (Some(f), _, &[x]) => return Val::Num(f(x)),
            (_, Some(f), &[x, y]) => return Val::Num(f(x, y)),
            (Some(_), _, _) | (_, Some(_), _) => {
                self.warnings.push(ExprWarning::WrongArguments(name.to_owned()));
                return Val::Num(0.0);
            }
            _ => {}
        }
        let valid_name =
            name.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
        let joined: Vec<String> =
            args.into_iter().map(|a| a.map(Val::into_string).unwrap_or_default()).collect();
        match valid_name.then(|| (self.functions)(name, &joined.join(","))).flatten() {
            Some(result) if result.bytes().all(|b| b"-0123456789. \t".contains(&b)) => {
                Val::Num(result.trim().parse().unwrap_or_else(|_| strtod(result.trim())))
            }
            Some(result) => Val::from_text(result),
            None => {
                self.warnings.push(ExprWarning::UnknownFunction(name.to_owned()));
                Val::Num(0.0)
            }
        }
    }

    fn binary(&mut self, op: Op, a: Val, b: Val) -> Val {
        let boolean = |b: bool| Val::Num(if b { 1.0 } else { 0.0 });
        match op {
            Op::Or => {
                if a.is_zero_or_null() {
                    b
                } else {
                    a
                }
            }
            Op::And => {
                if a.is_zero_or_null() || b.is_zero_or_null() {
                    Val::Num(0.0)
                } else {
                    a
                }
            }
            Op::Eq | Op::Ne | Op::Lt | Op::Gt | Op::Le | Op::Ge => {
                let ordering = if a.is_string() || b.is_string() {
                    Some(a.into_string().as_bytes().cmp(b.into_string().as_bytes()))
                } else {
                    a.number().unwrap_or(0.0).partial_cmp(&b.number().unwrap_or(0.0))
                };
                let holds = ordering.is_some_and(|o| match op {
                    Op::Eq => o.is_eq(),
                    Op::Ne => o.is_ne(),
                    Op::Lt => o.is_lt(),
                    Op::Gt => o.is_gt(),
                    Op::Le => o.is_le(),
                    _ => o.is_ge(),
                });
                // NaN compares unequal to everything.
                boolean(if ordering.is_none() { op == Op::Ne } else { holds })
            }
            Op::Plus | Op::Minus => {
                let (x, y) = (a.number(), b.number());
                if x.is_none() || y.is_none() {
                    self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                }
                let sign = if op == Op::Plus { 1.0 } else { -1.0 };
                Val::Num(x.unwrap_or(0.0) + sign * y.unwrap_or(0.0))
            }
            Op::Times => match (a.number(), b.number()) {
                (Some(x), Some(y)) => Val::Num(x * y),
                _ => {
                    self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                    Val::Num(0.0)
                }
            },
            Op::Divide => match (a.number(), b.number()) {
                (None, _) => {
                    self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                    Val::Num(0.0)
                }
                (Some(_), None) => {
                    self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                    Val::Num(f64::from(i32::MAX))
                }
                (Some(_), Some(0.0)) => {
                    self.warnings.push(ExprWarning::DivisionByZero(self.expr.to_owned()));
                    Val::Num(f64::from(i32::MAX))
                }
                (Some(x), Some(y)) => Val::Num(x / y),
            },
            Op::Modulo => match (a.number(), b.number()) {
                (Some(_), Some(0.0)) => {
                    self.warnings.push(ExprWarning::DivisionByZero(self.expr.to_owned()));
                    Val::Num(0.0)
                }
                (Some(x), Some(y)) => Val::Num(x % y),
                _ => {
                    self.warnings.push(ExprWarning::NonNumeric(self.expr.to_owned()));
                    Val::Num(0.0)
                }
            },
            Op::Colon | Op::EqTilde => self.regex(a.unquoted(), b.unquoted(), op == Op::Colon),
            Op::TildeTilde => Val::from_text(a.unquoted() + &b.unquoted()),
            Op::Cond | Op::ColonColon | Op::Not | Op::Open | Op::Close | Op::Comma => {
                unreachable!("not a binary operator: {op:?}")
            }
        }
    }

    fn regex(&mut self, text: String, pattern: String, at_start: bool) -> Val {
        let re = match Regex::new(&pattern) {
            Ok(re) => re,
            Err(e) => {
                let reason = e.to_string();
                self.warnings.push(ExprWarning::BadRegex { pattern, reason });
                return Val::Str(String::new());
            }
        };
        let has_group = re.captures_len() > 1;
        match re.captures(&text).filter(|c| !at_start || c.get(0).is_some_and(|m| m.start() == 0)) {
            Some(captures) => match captures.get(1) {
                Some(group) => Val::from_text(group.as_str().to_owned()),
                None => Val::Num(captures.get(0).map_or(0, |m| m.len()) as f64),
            },
            None if has_group => Val::Str(String::new()),
            None => Val::Num(0.0),
        }
    }
}

/// `a ? b :: c`: a string is true unless it is empty, `""` or `0`; a number unless it is 0.
fn conditional(a: Val, b: Val, c: Val) -> Val {
    let true_ = match &a {
        Val::Str(s) => !s.is_empty() && s != "\"\"" && s != "0",
        other => other.number().unwrap_or(0.0) != 0.0,
    };
    if true_ { b } else { c }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_functions(name: &str, args: &str) -> Option<String> {
        match name {
            "LEN" => Some(args.chars().count().to_string()),
            "UPPER" => Some(args.to_uppercase()),
            _ => None,
        }
    }

    fn eval(expr: &str) -> String {
        let mut warnings = Vec::new();
        evaluate(expr, &no_functions, &mut warnings)
    }

    fn eval_warned(expr: &str) -> (String, Vec<ExprWarning>) {
        let mut warnings = Vec::new();
        let result = evaluate(expr, &no_functions, &mut warnings);
        (result, warnings)
    }

    #[test]
    fn expressions_evaluate_as_in_asterisk() {
        let cases: &[(&str, &str)] = &[
            // Arithmetic, precedence, floating point.
            ("1 + 2 * 3", "7"),
            ("(1 + 2) * 3", "9"),
            ("1+2*3", "7"),
            ("10 - 2 - 3", "5"),
            ("7 / 2", "3.5"),
            ("10 / 3", "3.333333333333333"),
            ("6 / 3", "2"),
            ("7 % 3", "1"),
            ("-7 % 3", "-1"),
            ("7.5 % 2", "1.5"),
            ("- 5 + 3", "-2"),
            ("--5", "5"),
            ("2 * -3", "-6"),
            ("1.5 + 1.5", "3"),
            ("0.1 + 0.2", "0.3"),
            ("74951234567 + 1", "74951234568"),
            ("12345678901234567890 * 10", "1.234567890123457e+20"),
            ("1 / 100000", "1e-05"),
            ("0 * -1", "-0"),
            // Comparisons: numeric when both are numbers, else strings (quotes included).
            ("10 > 9", "1"),
            ("10 > 9a", "0"),
            ("010 = 10", "1"),
            ("1.0 == 1", "1"),
            ("abc = abc", "1"),
            ("abc != abd", "1"),
            ("abc < abd", "1"),
            ("\"abc\" = abc", "0"),
            ("\"abc\" = \"abc\"", "1"),
            ("\"\" = \"\"", "1"),
            ("\"5\" = 5", "0"),
            ("100 <= 100", "1"),
            ("99 >= 100", "0"),
            // Logic: | and & return operands.
            ("0 | 5", "5"),
            ("3 | 5", "3"),
            ("\"\" | x", "\"\""),
            ("\"${X}\" = \"\" | x", "x"),
            ("abc | x", "abc"),
            ("3 & 5", "3"),
            ("0 & 5", "0"),
            ("abc & 0", "0"),
            ("1 = 1 & 2 = 2", "1"),
            ("1 = 2 | 2 = 2", "1"),
            ("!0", "1"),
            ("!1", "0"),
            ("!abc", "1"),
            ("!12abc", "0"),
            ("!0.5", "1"),
            ("! \"\"", "1"),
            // Non-numeric arithmetic follows Asterisk's fallbacks.
            ("abc + 1", "1"),
            ("abc - 1", "-1"),
            ("5 - abc", "5"),
            ("abc * 3", "0"),
            ("abc / 3", "0"),
            ("3 / abc", "2147483647"),
            ("3 / 0", "2147483647"),
            ("3 % 0", "0"),
            ("\"5\" + 1", "1"),
            // Regex: ':' anchored at the start, '=~' anywhere; captures or lengths.
            ("abcde : abc", "3"),
            ("xabcde : abc", "0"),
            ("xabcde =~ abc", "3"),
            ("5551234 : \"555(.*)\"", "1234"),
            ("\"5551234\" : \"555(.*)\"", "1234"),
            ("abc : \"(x)\"", ""),
            ("abc =~ \"b(x)?\"", "1"),
            ("\"+74951234567\" =~ \"^\\+7(495|499)\"", "495"),
            ("a ~~ b", "ab"),
            ("\"a b\" ~~ \"c\"", "a bc"),
            ("1 ~~ 2 + 3", "15"),
            // Conditional.
            ("1 ? yes :: no", "yes"),
            ("0 ? yes :: no", "no"),
            ("\"\" ? yes :: no", "no"),
            ("abc ? yes :: no", "yes"),
            ("1 = 2 ? a :: b", "b"),
            ("1 ? 2 ? a :: b :: c", "a"),
            // Functions.
            ("ABS(-5)", "5"),
            ("FLOOR(2.7) + CEIL(2.2)", "5"),
            ("ROUND(2.5)", "3"),
            ("RINT(2.5)", "2"),
            ("TRUNC(10 / 3)", "3"),
            ("POW(2, 10)", "1024"),
            ("SQRT(16)", "4"),
            ("LEN(hello) * 2", "10"),
            ("UPPER(abc) = ABC", "1"),
            // Odd but valid.
            ("", ""),
            ("   ", ""),
            ("abc", "abc"),
            ("\"quoted\"", "\"quoted\""),
            ("1.2.3", "1.2.3"),
            ("1.2.3 + 1", "1"),
            ("a.b@c", "a.b@c"),
        ];
        for &(expr, expected) in cases {
            assert_eq!(eval(expr), expected, "$[{expr}]");
        }
    }

    #[test]
    fn syntax_errors_evaluate_to_zero_with_a_warning() {
        for expr in [
            "1 +",
            "(1",
            "1 )",
            "= 1",
            "1 ? 2",
            "a [ b",
            "\"open",
            "ABS()",
            "+7495 = 1",
            "5551234 : 555(.*)",
        ] {
            let (result, warnings) = eval_warned(expr);
            assert_eq!(result, "0", "$[{expr}]");
            assert!(
                matches!(warnings.last(), Some(ExprWarning::Syntax { .. })),
                "$[{expr}]: {warnings:?}"
            );
        }
    }

    #[test]
    fn questionable_arithmetic_is_defined_but_warned() {
        assert_eq!(eval_warned("3 / 0").1, [ExprWarning::DivisionByZero("3 / 0".into())]);
        assert_eq!(eval_warned("abc + 1").1, [ExprWarning::NonNumeric("abc + 1".into())]);
        assert_eq!(
            eval_warned("NOPE(1)"),
            ("0".into(), vec![ExprWarning::UnknownFunction("NOPE".into())])
        );
        let (result, warnings) = eval_warned("a : \"(\"");
        assert_eq!(result, "");
        assert!(matches!(warnings[..], [ExprWarning::BadRegex { .. }]));
    }

    #[test]
    fn numbers_print_like_c_percent_g() {
        let cases = [
            (0.0, "0"),
            (1.0, "1"),
            (-2.5, "-2.5"),
            (1e15, "1000000000000000"),
            (1e16, "1e+16"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456.789, "123456.789"),
            (f64::from(i32::MAX), "2147483647"),
        ];
        for (n, expected) in cases {
            assert_eq!(format_number(n), expected);
        }
    }
}
