//! [`ConfigError`]: one semantic problem of the routing configuration, with the byte range of
//! the value at fault so the server can print `file:line:column`.

use std::ops::Range;

/// One problem found by [`Tables::new`](super::Tables::new). All problems are reported at once.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ConfigError {
    /// Byte range of the offending value in the parsed TOML text, when the value came from the
    /// text (defaults and whole-config problems have none).
    pub span: Option<Range<usize>>,
    /// What is wrong, as a value tests and tools can match on.
    pub kind: ConfigErrorKind,
    /// What is wrong, for people: `kind` rendered.
    pub message: String,
}

impl ConfigError {
    /// A problem at `span`.
    pub fn new(span: Option<Range<usize>>, kind: ConfigErrorKind) -> Self {
        ConfigError { span, message: kind.to_string(), kind }
    }
}

/// What is wrong with the routing configuration.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigErrorKind {
    /// Two entries of one kind share a name.
    #[error("duplicate {what} name {name:?}")]
    DuplicateName {
        /// `gateway`, `gateway group`, `numbering plan` or `tariff plan`.
        what: &'static str,
        /// The repeated name.
        name: String,
    },
    /// A name is the empty string.
    #[error("{what} name must not be empty")]
    EmptyName {
        /// What is unnamed.
        what: &'static str,
    },
    /// A group member names no `[[gateways]]` entry.
    #[error("unknown gateway {0:?}")]
    UnknownGateway(String),
    /// A route names no `[[gateway_groups]]` entry.
    #[error("unknown gateway group {0:?}")]
    UnknownGroup(String),
    /// A table is referred to that no route belongs to.
    #[error("unknown route table {0:?}: no [[routes]] entry has this table")]
    UnknownTable(String),
    /// Routes exist, but none in the default table, which requests without a tariff plan use.
    #[error("the default route table {0:?} has no routes; set routing.default_table")]
    EmptyDefaultTable(String),
    /// Two routes of one table have the same prefix.
    #[error("duplicate route: table {table:?} already has prefix {prefix:?}")]
    DuplicateRoute {
        /// The table.
        table: String,
        /// The repeated prefix.
        prefix: String,
    },
    /// A gateway appears twice in one group.
    #[error("gateway {gateway:?} is listed twice in group {group:?}")]
    DuplicateMember {
        /// The group.
        group: String,
        /// The repeated gateway.
        gateway: String,
    },
    /// A member's weight is 0.
    #[error("weight of gateway {0:?} must be at least 1")]
    ZeroWeight(String),
    /// A gateway address is not `host[:port]`.
    #[error("bad gateway address {address:?}: {reason}")]
    BadAddress {
        /// The address as written.
        address: String,
        /// What is wrong with it.
        reason: super::gateway::AddressError,
    },
    /// A fail-over status that describes the callee (486, 600, 603, 404, 484).
    #[error("status {0} may never be a failover status: it is about the callee, not the gateway")]
    ForbiddenFailoverStatus(u16),
    /// A fail-over entry that is neither `"timeout"` nor a code 300–699.
    #[error("bad failover status {0:?}: expected \"timeout\" or a status code 300-699")]
    BadFailoverStatus(String),
    /// `look_ahead = 0` would never try a gateway.
    #[error("routing.look_ahead must be at least 1")]
    ZeroLookAhead,
    /// A codec name outside the known list.
    #[error(
        "unknown codec {0:?}: expected pcma, pcmu, g722, gsm, speex, opus, g729, ilbc or telephone-event"
    )]
    UnknownCodec(String),
    /// A group and one of its gateways permit no common audio codec, so the gateway could never
    /// carry a call through the group.
    #[error("gateway {gateway:?} shares no audio codec with group {group:?}")]
    NoCommonCodec {
        /// The group.
        group: String,
        /// The gateway.
        gateway: String,
    },
    /// A value that must be a digit string (or a number prefix) is not.
    #[error("{what} {value:?} must be {expected}")]
    BadNumber {
        /// Which setting.
        what: &'static str,
        /// The value as written.
        value: String,
        /// What it should look like.
        expected: &'static str,
    },
    /// A numbering plan's `digits = [min, max]` is out of order or out of E.164's 1–15.
    #[error("digits [{min}, {max}] must satisfy 1 <= min <= max <= 15")]
    BadDigitRange {
        /// The minimum as written.
        min: u32,
        /// The maximum as written.
        max: u32,
    },
    /// `national_prefix` without `country_code` cannot build a number.
    #[error("routing.national_prefix needs routing.country_code")]
    NationalPrefixWithoutCountryCode,
    /// A gateway wants national numbers but `[routing]` does not say how to write them.
    #[error(
        "gateway {0:?} uses number_format = \"national\", which needs routing.country_code and routing.national_prefix"
    )]
    NationalFormatUnconfigured(String),
    /// `username` without `password` or the other way round.
    #[error("gateway {0:?}: username and password go together")]
    IncompleteCredentials(String),
    /// A header name that is not an RFC 3261 token.
    #[error("bad header name {0:?}")]
    BadHeaderName(String),
    /// A P-Asserted-Identity that is not a `sip:`, `sips:` or `tel:` URI.
    #[error("bad pai {0:?}: expected a sip:, sips: or tel: URI")]
    BadPai(String),
}
