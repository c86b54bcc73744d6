//! What can be wrong with a SIP message, as values that name the fault.
//!
//! A [`ParseError`] never carries the offending bytes (they may be huge or hostile); it names the
//! element and the rule broken, so that a 400 reason phrase and a log line can say what was wrong.

use std::fmt;

/// Where a fault was found and what rule it broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The message has no empty line ending its header section (datagram) or it ended early.
    Incomplete,
    /// The first line is neither `Method SP Request-URI SP SIP-Version` nor a status line.
    BadStartLine(&'static str),
    /// A header line without a colon, with an empty name or with non-token characters in the name.
    BadHeaderLine,
    /// A header a message must carry is absent.
    MissingHeader(&'static str),
    /// A header that may appear once appears more than once (RFC 4475 §3.3.8).
    DuplicateHeader(&'static str),
    /// A header's value does not follow its grammar.
    BadHeaderValue(&'static str),
    /// Content-Length is not a non-negative decimal number.
    BadContentLength,
    /// Content-Length claims more octets than the datagram holds (RFC 4475 §3.1.2.2).
    BodyTruncated,
    /// The message is larger than the configured maximum.
    TooLarge,
    /// CSeq's method differs from the request method (RFC 4475 §3.1.2.17).
    CSeqMethodMismatch,
    /// A URI does not follow RFC 3261 §25 / RFC 5118.
    BadUri(&'static str),
    /// A header value is not valid UTF-8 where the grammar needs text.
    NotUtf8(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Incomplete => f.write_str("incomplete message"),
            ParseError::BadStartLine(why) => write!(f, "malformed start line: {why}"),
            ParseError::BadHeaderLine => f.write_str("malformed header line"),
            ParseError::MissingHeader(name) => write!(f, "missing {name} header"),
            ParseError::DuplicateHeader(name) => write!(f, "more than one {name} header"),
            ParseError::BadHeaderValue(name) => write!(f, "malformed {name} header"),
            ParseError::BadContentLength => f.write_str("malformed Content-Length"),
            ParseError::BodyTruncated => f.write_str("Content-Length larger than message"),
            ParseError::TooLarge => f.write_str("message too large"),
            ParseError::CSeqMethodMismatch => f.write_str("CSeq method does not match request"),
            ParseError::BadUri(what) => write!(f, "malformed {what}"),
            ParseError::NotUtf8(name) => write!(f, "{name} header is not UTF-8"),
        }
    }
}

impl std::error::Error for ParseError {}
