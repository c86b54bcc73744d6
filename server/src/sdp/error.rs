//! What can be wrong with a session description, as values that name the fault.
//!
//! Like the SIP layer's `ParseError`, an [`SdpError`] never carries the offending bytes (they are
//! the peer's and may be hostile); it names the line (1-based, counting every line of the body)
//! and the rule broken, so that a log line can say what was wrong.

/// Why a body could not be read as SDP (RFC 8866 §5, §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    /// The body holds no line at all (empty or only whitespace).
    #[error("empty session description")]
    Empty,
    /// The first line is not `v=` (RFC 8866 §5: a description starts with its version).
    #[error("session description does not start with v=")]
    MissingVersion,
    /// `v=` holds something other than `0`, the only version defined.
    #[error("line {line}: unsupported SDP version")]
    UnsupportedVersion {
        /// The offending line, 1-based.
        line: usize,
    },
    /// A second `v=` after the first line (two descriptions glued together).
    #[error("line {line}: v= after the first line")]
    MisplacedVersion {
        /// The offending line, 1-based.
        line: usize,
    },
    /// A line that is not `<letter>=<value>`.
    #[error("line {line}: not a <type>=<value> line")]
    BadLine {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `o=` without its six fields (RFC 8866 §5.2).
    #[error("line {line}: malformed o= line")]
    BadOrigin {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `c=` that is not `<nettype> <addrtype> <address>`, or whose address does not match its
    /// address type (RFC 8866 §5.7).
    #[error("line {line}: malformed c= line")]
    BadConnection {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `t=` that is not two decimal times (RFC 8866 §5.9).
    #[error("line {line}: malformed t= line")]
    BadTiming {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `m=` that is not `<media> <port>[/<count>] <proto> <fmt> ...`, or an active stream
    /// without formats (RFC 8866 §5.14).
    #[error("line {line}: malformed m= line")]
    BadMedia {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `a=rtpmap` that is not `<payload type> <encoding>/<clock rate>[/<channels>]`
    /// (RFC 8866 §6.6).
    #[error("line {line}: malformed a=rtpmap")]
    BadRtpmap {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `a=fmtp` without a format (RFC 8866 §6.15).
    #[error("line {line}: malformed a=fmtp")]
    BadFmtp {
        /// The offending line, 1-based.
        line: usize,
    },
    /// `a=ptime` that is not a decimal number of milliseconds (RFC 8866 §6.4).
    #[error("line {line}: malformed a=ptime")]
    BadPtime {
        /// The offending line, 1-based.
        line: usize,
    },
}
