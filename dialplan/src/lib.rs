//! # ringway-dialplan
//!
//! The decision engine of Ringway: given a call, decide where it goes.
//!
//! Routers form a chain; each answers a [`RouteRequest`] with a decision: an ordered list of
//! targets, a rejection with a catalog status, or "continue" to the next router. The built-in
//! prefix tables, the `extensions.conf` interpreter and the WASM plugin host arrive as the routing,
//! dialplan and plugin issues land; this crate is where they live, so that the server only ever
//! talks to the chain. Today it holds the chain's vocabulary and nothing that decides.

/// What a router is asked: the parts of an INVITE (or other dialog-creating request) that a
/// routing decision may depend on. Grows as routers need more (codecs, account, variables).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteRequest {
    /// The Request-URI as received, e.g. `sip:+74951234567@gw.example.net`.
    pub request_uri: String,
    /// The user part of the Request-URI (the dialed number), when it has one.
    pub dialed: Option<String>,
}

impl RouteRequest {
    /// Reads the dialed number out of a `sip:`/`sips:`/`tel:` Request-URI.
    pub fn new(request_uri: impl Into<String>) -> Self {
        let request_uri = request_uri.into();
        let dialed = dialed_number(&request_uri).map(str::to_owned);
        RouteRequest { request_uri, dialed }
    }
}

/// The user part of a `sip:`/`sips:` URI, or the number of a `tel:` URI, without parameters.
fn dialed_number(uri: &str) -> Option<&str> {
    let (scheme, rest) = uri.split_once(':')?;
    let user = match scheme.to_ascii_lowercase().as_str() {
        "sip" | "sips" => rest.split_once('@')?.0,
        "tel" => rest,
        _ => return None,
    };
    let user = user.split(';').next().unwrap_or(user);
    (!user.is_empty()).then_some(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialed_number_is_the_user_part_without_parameters() {
        assert_eq!(RouteRequest::new("sip:+7495;npdi@gw").dialed.as_deref(), Some("+7495"));
        assert_eq!(RouteRequest::new("tel:+12125551212").dialed.as_deref(), Some("+12125551212"));
        assert_eq!(RouteRequest::new("sip:gw.example.net").dialed, None);
        assert_eq!(RouteRequest::new("im:user@host").dialed, None);
    }
}
