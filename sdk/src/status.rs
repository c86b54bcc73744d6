//! SIP status codes (RFC 3261 §7.2, §21 and the extension RFCs) and their standard reason phrases.
//!
//! A [`StatusCode`] is the three-digit number only; the reason phrase travels separately because
//! Ringway answers with operator-specific phrases (`480 Empty Route Set`) as often as with the
//! plain one. [`StatusCode::canonical_reason`] gives the plain phrase operators' tooling expects:
//! where the seed catalog (`seed/sip-gateways.txt`) spells a code's plain line, its spelling
//! byte-exact (`501 Method Not Supported Here`, `513 Message too big`, even `493 Undeciperable`);
//! otherwise the phrase of the RFC that registered the code.

use std::fmt;

/// A SIP status code, 100–699.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusCode(u16);

/// Why a number is not a SIP status code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidStatusCode(pub u16);

impl fmt::Display for InvalidStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "status code {} is outside 100-699", self.0)
    }
}

impl std::error::Error for InvalidStatusCode {}

macro_rules! codes {
    ($($name:ident = $code:literal, $reason:literal;)*) => {
        impl StatusCode {
            $(
                #[doc = concat!("`", stringify!($code), " ", $reason, "`")]
                pub const $name: StatusCode = StatusCode($code);
            )*

            /// The standard reason phrase for this code, if the code is a registered one.
            pub fn canonical_reason(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($reason),)*
                    _ => None,
                }
            }
        }
    };
}

codes! {
    TRYING = 100, "Trying";
    RINGING = 180, "Ringing";
    CALL_IS_BEING_FORWARDED = 181, "Call is Being Forwarded";
    QUEUED = 182, "Call is Queued";
    SESSION_PROGRESS = 183, "Session Progress";
    EARLY_DIALOG_TERMINATED = 199, "Early Dialog Terminated";
    OK = 200, "OK";
    ACCEPTED = 202, "Accepted";
    NO_NOTIFICATION = 204, "No Notification";
    MULTIPLE_CHOICES = 300, "Multiple Choices";
    MOVED_PERMANENTLY = 301, "Moved Permanently";
    MOVED_TEMPORARILY = 302, "Moved Temporarily";
    USE_PROXY = 305, "Use Proxy";
    ALTERNATIVE_SERVICE = 380, "Alternative Service";
    BAD_REQUEST = 400, "Bad Request";
    UNAUTHORIZED = 401, "Unauthorized";
    PAYMENT_REQUIRED = 402, "Payment Required";
    FORBIDDEN = 403, "Forbidden";
    NOT_FOUND = 404, "Not found";
    METHOD_NOT_ALLOWED = 405, "Method Not Allowed";
    NOT_ACCEPTABLE = 406, "Not Acceptable";
    PROXY_AUTHENTICATION_REQUIRED = 407, "Proxy Authentication Required";
    REQUEST_TIMEOUT = 408, "Request Timeout";
    GONE = 410, "Gone";
    CONDITIONAL_REQUEST_FAILED = 412, "Conditional Request Failed";
    REQUEST_ENTITY_TOO_LARGE = 413, "Request Entity Too Large";
    REQUEST_URI_TOO_LONG = 414, "Request-URI Too Long";
    UNSUPPORTED_MEDIA_TYPE = 415, "Unsupported Media Type";
    UNSUPPORTED_URI_SCHEME = 416, "Unsupported Scheme";
    UNKNOWN_RESOURCE_PRIORITY = 417, "Unknown Resource-Priority";
    BAD_EXTENSION = 420, "Bad extension";
    EXTENSION_REQUIRED = 421, "Extension Required";
    SESSION_INTERVAL_TOO_SMALL = 422, "Session Interval Too Small";
    INTERVAL_TOO_BRIEF = 423, "Interval Too Brief";
    BAD_LOCATION_INFORMATION = 424, "Bad Location Information";
    USE_IDENTITY_HEADER = 428, "Use Identity Header";
    PROVIDE_REFERRER_IDENTITY = 429, "Provide Referrer Identity";
    FLOW_FAILED = 430, "Flow Failed";
    ANONYMITY_DISALLOWED = 433, "Anonymity Disallowed";
    BAD_IDENTITY_INFO = 436, "Bad Identity-Info";
    UNSUPPORTED_CERTIFICATE = 437, "Unsupported Certificate";
    INVALID_IDENTITY_HEADER = 438, "Invalid Identity Header";
    FIRST_HOP_LACKS_OUTBOUND_SUPPORT = 439, "First Hop Lacks Outbound Support";
    MAX_BREADTH_EXCEEDED = 440, "Max-Breadth Exceeded";
    BAD_INFO_PACKAGE = 469, "Bad Info Package";
    CONSENT_NEEDED = 470, "Consent Needed";
    TEMPORARILY_UNAVAILABLE = 480, "Temporarily Unavailable";
    CALL_OR_TRANSACTION_DOES_NOT_EXIST = 481, "Call Leg/Transaction Does Not Exist";
    LOOP_DETECTED = 482, "Loop Detected";
    TOO_MANY_HOPS = 483, "Too Many Hops";
    ADDRESS_INCOMPLETE = 484, "Address Incomplete";
    AMBIGUOUS = 485, "Ambiguous";
    BUSY_HERE = 486, "Busy Here";
    REQUEST_TERMINATED = 487, "Request Terminated";
    NOT_ACCEPTABLE_HERE = 488, "Not Acceptable Here";
    BAD_EVENT = 489, "Bad Event";
    REQUEST_PENDING = 491, "Request Pending";
    UNDECIPHERABLE = 493, "Undeciperable";
    SECURITY_AGREEMENT_REQUIRED = 494, "Security Agreement Required";
    SERVER_INTERNAL_ERROR = 500, "Internal Server Error";
    NOT_IMPLEMENTED = 501, "Method Not Supported Here";
    BAD_GATEWAY = 502, "Bad Gateway";
    SERVICE_UNAVAILABLE = 503, "Service Unavailable";
    SERVER_TIMEOUT = 504, "Server time-out";
    VERSION_NOT_SUPPORTED = 505, "SIP Version not supported";
    MESSAGE_TOO_LARGE = 513, "Message too big";
    PRECONDITION_FAILURE = 580, "Precondition Failure";
    BUSY_EVERYWHERE = 600, "Busy everywhere";
    DECLINE = 603, "Decline";
    DOES_NOT_EXIST_ANYWHERE = 604, "Does Not Exist Anywhere";
    NOT_ACCEPTABLE_GLOBAL = 606, "Not Acceptable";
    UNWANTED = 607, "Unwanted";
    REJECTED = 608, "Rejected";
}

impl StatusCode {
    /// Makes a status code from a number in 100–699.
    pub const fn new(code: u16) -> Result<Self, InvalidStatusCode> {
        if code >= 100 && code <= 699 { Ok(StatusCode(code)) } else { Err(InvalidStatusCode(code)) }
    }

    /// A code known at compile time to be in range; out of range fails the build (const
    /// evaluation panics), so catalog constants cannot hold a bad code.
    pub const fn from_u16_const(code: u16) -> Self {
        match Self::new(code) {
            Ok(c) => c,
            Err(_) => panic!("status code outside 100-699"),
        }
    }

    /// The number, e.g. `480`.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// The class digit: 1 for provisional, 2 for success, … 6 for global failure.
    pub const fn class(self) -> u16 {
        self.0 / 100
    }

    /// 1xx: the request is being processed; more responses follow.
    pub const fn is_provisional(self) -> bool {
        self.0 < 200
    }

    /// 2xx.
    pub const fn is_success(self) -> bool {
        self.0 >= 200 && self.0 < 300
    }

    /// Any response of class 2–6 ends a transaction.
    pub const fn is_final(self) -> bool {
        self.0 >= 200
    }

    /// The reason phrase to use when no better one is known: the standard one, or a generic
    /// phrase for the class (RFC 3261 §21: an unknown code is treated as x00 of its class).
    pub fn reason_or_class_default(self) -> &'static str {
        self.canonical_reason().unwrap_or(match self.class() {
            1 => "Trying",
            2 => "OK",
            3 => "Multiple Choices",
            4 => "Bad Request",
            5 => "Internal Server Error",
            _ => "Busy everywhere",
        })
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = InvalidStatusCode;
    fn try_from(code: u16) -> Result<Self, Self::Error> {
        StatusCode::new(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_outside_100_to_699_are_rejected_per_rfc3261_section_7_2() {
        assert!(StatusCode::new(99).is_err());
        assert!(StatusCode::new(700).is_err());
        assert_eq!(StatusCode::new(699).unwrap().class(), 6);
    }

    #[test]
    fn unknown_code_reads_as_x00_of_its_class_per_rfc3261_section_21() {
        let code = StatusCode::new(499).unwrap();
        assert_eq!(code.canonical_reason(), None);
        assert_eq!(code.reason_or_class_default(), "Bad Request");
        assert_eq!(StatusCode::TOO_MANY_HOPS.canonical_reason(), Some("Too Many Hops"));
    }

    #[test]
    fn provisional_and_final_classes_are_told_apart() {
        assert!(StatusCode::RINGING.is_provisional());
        assert!(!StatusCode::RINGING.is_final());
        assert!(StatusCode::OK.is_success() && StatusCode::OK.is_final());
        assert!(StatusCode::BUSY_HERE.is_final() && !StatusCode::BUSY_HERE.is_success());
    }
}
