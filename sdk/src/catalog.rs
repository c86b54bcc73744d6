//! The status catalog: the SIP status lines operators' tooling expects, byte-exact as the seed
//! (`seed/sip-gateways.txt`) writes them, including the operator variants that reuse a code with
//! another reason phrase (`480 Empty Route Set`, `403 Invalid Phone Number`).
//!
//! A [`StatusLine`] is a code and its exact reason phrase; the constants below are the lines the
//! built-in router, the B2BUA and plugins answer with.

use crate::StatusCode;
use std::fmt;

/// A status code with the exact reason phrase to send, e.g. `480 Empty Route Set`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StatusLine {
    /// The three-digit code.
    pub code: StatusCode,
    /// The reason phrase, byte-exact.
    pub reason: &'static str,
}

impl fmt::Display for StatusLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code.as_u16(), self.reason)
    }
}

macro_rules! lines {
    ($($name:ident = $code:literal, $reason:literal;)*) => {
        $(
            #[doc = concat!("`", stringify!($code), " ", $reason, "`")]
            pub const $name: StatusLine = StatusLine { code: StatusCode::from_u16_const($code), reason: $reason };
        )*
    };
}

lines! {
    NOT_FOUND_404 = 404, "Not found";
    TEMPORARILY_UNAVAILABLE_480 = 480, "Temporarily Unavailable";
    INVALID_PHONE_NUMBER_480 = 480, "Invalid Phone Number";
    INVALID_PHONE_NUMBER_403 = 403, "Invalid Phone Number";
    DESTINATION_NOT_FOUND_IN_CLIENT_PLAN_480 = 480, "Destination Not Found In Client Plan";
    EMPTY_ROUTE_SET_403 = 403, "Empty Route Set";
    EMPTY_ROUTE_SET_480 = 480, "Empty Route Set";
    NO_ROUTE_410 = 410, "No Route";
    OUT_OF_ORDER_404 = 404, "Out of Order";
    UNDEFINED_REASON_404 = 404, "Undefined Reason";
    OUT_OF_LOOK_AHEAD_RETRIES_403 = 403, "Out of Look-Ahead Retries";
    CODEC_MISMATCH_488 = 488, "Codec Mismatch";
    CODEC_MISMATCH_480 = 480, "Codec Mismatch";
    CODEC_MISMATCH_499 = 499, "Codec Mismatch";
    NO_CODECS_MATCH_406 = 406, "No codecs match";
    NO_MEDIA_415 = 415, "No Media";
    PRIVATE_IP_ADDRESS_488 = 488, "Private IP Address";
    NO_MONEY_LEFT_ON_RFC_ACCOUNT_403 = 403, "No Money Left on RFC Account";
    NO_MONEY_LEFT_480 = 480, "No money left";
    DB_TIMEOUT_480 = 480, "DB Timeout";
    DATABASE_ERROR_500 = 500, "Database Error";
    UNDEFINED_REASON_500 = 500, "Undefined Reason";
    SERVICE_UNAVAILABLE_503 = 503, "Service Unavailable";
    REQUEST_TERMINATED_487 = 487, "Request Terminated";
    BUSY_HERE_486 = 486, "Busy Here";
    REQUEST_TIMEOUT_408 = 408, "Request Timeout";
    REQUEST_PENDING_491 = 491, "Request Pending";
    CALL_LEG_TRANSACTION_DOES_NOT_EXIST_481 = 481, "Call Leg/Transaction Does Not Exist";
}
