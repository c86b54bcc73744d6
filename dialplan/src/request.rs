//! [`RouteRequest`]: what every router in the chain is asked.
//!
//! The B2BUA fills one per dialog-creating request from the INVITE (Request-URI, From user, SDP
//! offer) and from the authenticated account (tariff plan, allowed codecs). Routers only read it.

use crate::tables::Outcome;
use std::net::SocketAddr;

/// What a router is asked: the parts of an INVITE (or other dialog-creating request) that a
/// routing decision may depend on, and what happened to the call so far (attempts). WASM plugins
/// see all of it (`wasm` module); the built-in tables read the number, plan and codecs.
///
/// [`RouteRequest::new`] reads the dialed number out of the Request-URI and leaves everything
/// else empty; the `with_*` methods fill the rest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteRequest {
    /// The Request-URI as received, e.g. `sip:+74951234567@gw.example.net`.
    pub request_uri: String,
    /// The user part of the Request-URI (the dialed number), when it has one.
    pub dialed: Option<String>,
    /// The user part of the From URI (the calling party), when it has one.
    pub caller: Option<String>,
    /// The authenticated account placing the call, when the caller authenticated.
    pub account: Option<String>,
    /// The name of the account's tariff plan (`[[tariff_plans]]`), when it has one.
    pub tariff_plan: Option<String>,
    /// Codec names of the SDP offer's audio stream, lowercase (`pcma`, `opus`,
    /// `telephone-event`), in the offer's order; empty when the INVITE carried no SDP.
    pub offered_codecs: Vec<String>,
    /// The codecs the account may use, lowercase, in preference order; empty means any.
    pub account_codecs: Vec<String>,
    /// The A-leg Call-ID.
    pub call_id: String,
    /// The From display name, when it has one.
    pub caller_name: Option<String>,
    /// The To display name, when it has one.
    pub callee_name: Option<String>,
    /// Where the request came from.
    pub source: Option<SocketAddr>,
    /// The transport it came over.
    pub transport: Option<RequestTransport>,
    /// The headers routers may see (the server chooses which), names lowercase, message order.
    pub headers: Vec<(String, String)>,
    /// Channel variables set so far.
    pub variables: Vec<(String, String)>,
    /// Every attempt made for this call so far, oldest first.
    pub attempts: Vec<Attempt>,
}

/// The transport a request arrived over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestTransport {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS.
    Tls,
}

/// One attempt at a target that did not answer the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    /// The gateway tried, for gateway targets.
    pub gateway: Option<String>,
    /// The Request-URI of the attempt.
    pub uri: String,
    /// How it ended.
    pub outcome: Outcome,
    /// The reason phrase received with a status outcome (`None`: the code's plain phrase).
    pub reason: Option<String>,
}

impl RouteRequest {
    /// Reads the dialed number out of a `sip:`/`sips:`/`tel:` Request-URI.
    pub fn new(request_uri: impl Into<String>) -> Self {
        let request_uri = request_uri.into();
        let dialed = dialed_number(&request_uri).map(str::to_owned);
        RouteRequest { request_uri, dialed, ..RouteRequest::default() }
    }

    /// Sets the calling party (the From user).
    pub fn with_caller(mut self, caller: impl Into<String>) -> Self {
        self.caller = Some(caller.into());
        self
    }

    /// Sets the authenticated account.
    pub fn with_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Sets the account's tariff plan.
    pub fn with_tariff_plan(mut self, plan: impl Into<String>) -> Self {
        self.tariff_plan = Some(plan.into());
        self
    }

    /// Sets the A-leg Call-ID.
    pub fn with_call_id(mut self, call_id: impl Into<String>) -> Self {
        self.call_id = call_id.into();
        self
    }

    /// Sets where the request came from and over which transport.
    pub fn with_source(mut self, source: SocketAddr, transport: RequestTransport) -> Self {
        self.source = Some(source);
        self.transport = Some(transport);
        self
    }

    /// Adds a header routers may see (name lowercased).
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets a channel variable.
    pub fn with_variable(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }

    /// Sets the codecs of the SDP offer (lowercase names, offer order).
    pub fn with_offered_codecs<I, S>(mut self, codecs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.offered_codecs = codecs.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the account's allowed codecs (lowercase names, preference order; empty = any).
    pub fn with_account_codecs<I, S>(mut self, codecs: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.account_codecs = codecs.into_iter().map(Into::into).collect();
        self
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

    #[test]
    fn builder_methods_fill_the_caller_account_and_codecs() {
        let request = RouteRequest::new("sip:100@pbx")
            .with_caller("alice")
            .with_account("acme")
            .with_tariff_plan("gold")
            .with_offered_codecs(["pcma", "telephone-event"])
            .with_account_codecs(["pcma"]);
        assert_eq!(request.caller.as_deref(), Some("alice"));
        assert_eq!(request.account.as_deref(), Some("acme"));
        assert_eq!(request.tariff_plan.as_deref(), Some("gold"));
        assert_eq!(request.offered_codecs, ["pcma", "telephone-event"]);
        assert_eq!(request.account_codecs, ["pcma"]);
    }
}
