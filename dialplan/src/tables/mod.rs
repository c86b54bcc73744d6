//! The built-in routing tables: the first router of the chain.
//!
//! [`Tables::new`] validates a [`DialplanConfig`] once (all problems at once, with spans) and
//! builds immutable lookup tables that every call then reads concurrently. [`Tables::route`]
//! answers a [`RouteRequest`] with a [`Decision`], in this order (DESIGN.md, "Decisions: the
//! built-in router and the status catalog"):
//!
//! | step | check | answer |
//! |---|---|---|
//! | 0 | no `[[routes]]` configured at all | [`Decision::Continue`] |
//! | 1 | dialed user missing or not `+?[0-9*#]+` (separators `-. ()` removed) | [`Decision::Continue`] |
//! | 2 | normalized number matches none of the numbering plans (if any) | `480 Invalid Phone Number` |
//! | 3 | no prefix of the route table (tariff plan's, else default) covers it | `403 Invalid Phone Number` |
//! | 4 | the request's tariff plan has destinations and none covers it | `480 Destination Not Found In Client Plan` |
//! | 5 | the route is out of order | `404 Out of Order` |
//! | 5 | the route has no group, or the group no members | `403 Empty Route Set` |
//! | 6 | no enabled member can carry the offered codecs | `488 Codec Mismatch` |
//! | 7 | every member disabled, down, at its call limit or codec-incompatible | `480 Empty Route Set` |
//! | 8 | otherwise: priority ascending, weighted order by `seed`, at most `look_ahead` | [`Decision::Targets`] |
//!
//! Step 0 keeps a server without routing configuration behaving as before: the tables are not
//! in the business of answering at all. Normalisation (step 2) is described in the `number`
//! module: international prefix → `+`, national prefix → `+<country_code>`, bare digits of a
//! plan's country code and length → `+`.
//!
//! Step 6 intersects, per gateway, the gateway's, the group's and the account's codec lists
//! (empty = any; the most specific list's order is the preference) and needs an audio codec
//! (`telephone-event` does not count) shared with the offer. A gateway whose intersection holds
//! no audio codec at all cannot carry any call and counts as a mismatch even without an offer.
//!
//! Layout: `config` (the serde shape), `build` (validation and construction), `error`
//! ([`ConfigError`]), `number` (recognition, normalisation, plans, [`format_number`]), `gateway`
//! ([`Gateway`]), `policy` (fail-over, headers, codecs), `select` (weighted ordering).
//!
//! What the tables do not do: count calls, probe gateways or time anything. The server does
//! that and reports it through [`GatewayStatus`]; the B2BUA walks the targets, applying each
//! target's [`FailoverPolicy`], and answers [`exhausted`] when they run out.

mod build;
mod config;
mod error;
mod gateway;
mod number;
mod policy;
mod select;

pub use config::{
    DEFAULT_TABLE, DialplanConfig, GatewayConfig, GatewayGroupConfig, MemberConfig,
    NumberingPlanConfig, RouteConfig, RoutingConfig, TariffPlanConfig,
};
pub use error::{ConfigError, ConfigErrorKind};
pub use gateway::{AddressError, Credentials, Gateway, NumberFormat, Transport};
pub use number::{Numbering, format_number};
pub use policy::{
    DEFAULT_FAILOVER_STATUSES, FailoverPolicy, HeaderPolicy, KNOWN_CODECS, NEVER_FAIL_OVER,
    Outcome, exhausted,
};

use crate::RouteRequest;
use number::NumberingPlan;
use ringway_sdk::StatusLine;
use ringway_sdk::catalog::{
    CODEC_MISMATCH_488, DESTINATION_NOT_FOUND_IN_CLIENT_PLAN_480, EMPTY_ROUTE_SET_403,
    EMPTY_ROUTE_SET_480, INVALID_PHONE_NUMBER_403, INVALID_PHONE_NUMBER_480, OUT_OF_ORDER_404,
};
use select::Candidate;
use std::collections::HashMap;
use std::time::Duration;

/// Whether a gateway can take a call right now, as the server knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Availability {
    /// Up and below its call limit.
    Available,
    /// Its health probe failed (or it was marked down).
    Down,
    /// At its `max_calls` limit.
    AtLimit,
}

/// The server's live view of its gateways. Disabled gateways are known from the configuration;
/// this reports only what changes at runtime.
pub trait GatewayStatus {
    /// The gateway's availability now.
    fn availability(&self, gateway: &str) -> Availability;
}

/// Every gateway reported available: for tests, tools, and a server that does not probe.
#[derive(Clone, Copy, Debug, Default)]
pub struct AllAvailable;

impl GatewayStatus for AllAvailable {
    fn availability(&self, _gateway: &str) -> Availability {
        Availability::Available
    }
}

impl<F: Fn(&str) -> Availability> GatewayStatus for F {
    fn availability(&self, gateway: &str) -> Availability {
        self(gateway)
    }
}

/// A router's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Try these targets in order, moving on as each target's fail-over policy says.
    Targets(Vec<Target>),
    /// Answer the caller with this status line.
    Reject(StatusLine),
    /// Not this router's business: ask the next router (or try local users).
    Continue,
}

/// One place to send the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The gateway's name, for gateway targets.
    pub gateway: Option<String>,
    /// The B-leg Request-URI: `sip:<formatted number>@<address>`, `;transport=tcp` over TCP.
    pub uri: String,
    /// The normalized number (E.164 when it could be normalized), for CDRs and billing.
    pub number: String,
    /// The codecs permitted on this leg, in preference order; empty = any.
    pub codecs: Vec<String>,
    /// How long the target may ring; `None` = no limit.
    pub ring_timeout: Option<Duration>,
    /// Which outcomes move on to the next target.
    pub failover: FailoverPolicy,
    /// Header edits for the B-leg INVITE.
    pub headers: HeaderPolicy,
}

/// The built-in routing tables: immutable once built, shared by every call.
#[derive(Debug)]
pub struct Tables {
    numbering: Numbering,
    plans: Vec<NumberingPlan>,
    tariffs: HashMap<String, Tariff>,
    gateways: Vec<Gateway>,
    gateway_index: HashMap<String, usize>,
    groups: Vec<Group>,
    /// Table name → prefix → route.
    tables: HashMap<String, HashMap<String, Route>>,
    default_table: String,
    look_ahead: usize,
    ring_timeout: Option<Duration>,
    failover: FailoverPolicy,
}

/// A validated tariff plan.
#[derive(Debug)]
struct Tariff {
    destinations: Vec<String>,
    route_table: Option<String>,
}

/// A validated gateway group; members index [`Tables::gateways`].
#[derive(Debug)]
struct Group {
    members: Vec<Member>,
    codecs: Vec<String>,
    failover: Option<FailoverPolicy>,
}

#[derive(Debug)]
struct Member {
    gateway: usize,
    priority: u32,
    weight: u32,
}

/// A validated route entry; `group` indexes `Tables::groups`.
#[derive(Debug)]
struct Route {
    group: Option<usize>,
    out_of_order: bool,
}

impl Default for Tables {
    /// Empty tables: every request is answered [`Decision::Continue`].
    fn default() -> Self {
        build::build(&DialplanConfig::default()).expect("the empty configuration is valid")
    }
}

impl Tables {
    /// Validates the configuration and builds the tables, or returns every problem found, in
    /// file order.
    pub fn new(config: &DialplanConfig) -> Result<Tables, Vec<ConfigError>> {
        build::build(config)
    }

    /// Decides where a call goes (see the module docs for the order of checks). `status` is
    /// asked about each candidate gateway; `seed` orders members of equal priority, and the
    /// same seed always gives the same order.
    pub fn route(&self, request: &RouteRequest, status: &dyn GatewayStatus, seed: u64) -> Decision {
        if self.tables.is_empty() {
            return Decision::Continue;
        }
        let Some(number) = request.dialed.as_deref().and_then(number::phone_number) else {
            return Decision::Continue;
        };
        let number = self.numbering.normalize(&number, &self.plans);
        if !self.plans.is_empty() && !self.plans.iter().any(|p| p.matches(&number)) {
            return Decision::Reject(INVALID_PHONE_NUMBER_480);
        }
        let tariff = request.tariff_plan.as_deref().and_then(|name| self.tariffs.get(name));
        let table = tariff.and_then(|t| t.route_table.as_deref()).unwrap_or(&self.default_table);
        let Some(route) = self.lookup(table, &number) else {
            return Decision::Reject(INVALID_PHONE_NUMBER_403);
        };
        if let Some(tariff) = tariff
            && !tariff.destinations.is_empty()
            && !tariff.destinations.iter().any(|d| number.starts_with(d.as_str()))
        {
            return Decision::Reject(DESTINATION_NOT_FOUND_IN_CLIENT_PLAN_480);
        }
        if route.out_of_order {
            return Decision::Reject(OUT_OF_ORDER_404);
        }
        let Some(group) = route.group.map(|g| &self.groups[g]).filter(|g| !g.members.is_empty())
        else {
            return Decision::Reject(EMPTY_ROUTE_SET_403);
        };
        self.targets(group, request, &number, status, seed)
    }

    /// Steps 6–8: codecs, availability, order.
    fn targets(
        &self,
        group: &Group,
        request: &RouteRequest,
        number: &str,
        status: &dyn GatewayStatus,
        seed: u64,
    ) -> Decision {
        let enabled = group.members.iter().filter(|m| self.gateways[m.gateway].enabled);
        let mut any_enabled = false;
        let mut candidates = Vec::new();
        for member in enabled {
            any_enabled = true;
            let gateway = &self.gateways[member.gateway];
            let lists = [&gateway.codecs[..], &group.codecs[..], &request.account_codecs[..]];
            let codecs = policy::permitted(&lists);
            if !policy::carries(codecs.as_deref(), &request.offered_codecs) {
                continue;
            }
            let item = (gateway, group, codecs.unwrap_or_default());
            candidates.push(Candidate { item, priority: member.priority, weight: member.weight });
        }
        if any_enabled && candidates.is_empty() {
            return Decision::Reject(CODEC_MISMATCH_488);
        }
        candidates.retain(|c| status.availability(&c.item.0.name) == Availability::Available);
        if candidates.is_empty() {
            return Decision::Reject(EMPTY_ROUTE_SET_480);
        }
        let mut ordered = select::order(candidates, seed);
        ordered.truncate(self.look_ahead);
        let targets = ordered.into_iter().map(|(gateway, group, codecs)| Target {
            gateway: Some(gateway.name.clone()),
            uri: gateway.uri_for(&format_number(number, gateway, &self.numbering)),
            number: number.to_owned(),
            codecs,
            ring_timeout: self.ring_timeout,
            failover: gateway
                .failover
                .as_ref()
                .or(group.failover.as_ref())
                .unwrap_or(&self.failover)
                .clone(),
            headers: gateway.headers.clone(),
        });
        Decision::Targets(targets.collect())
    }

    /// The longest prefix of `number` that `table` has a route for.
    fn lookup(&self, table: &str, number: &str) -> Option<&Route> {
        let routes = self.tables.get(table)?;
        // Phone numbers are ASCII, so every byte index is a char boundary.
        (0..=number.len()).rev().find_map(|len| routes.get(&number[..len]))
    }

    /// The gateway with this name.
    pub fn gateway(&self, name: &str) -> Option<&Gateway> {
        self.gateway_index.get(name).map(|&i| &self.gateways[i])
    }

    /// Every configured gateway, in configuration order (for probing and call counting).
    pub fn gateways(&self) -> &[Gateway] {
        &self.gateways
    }

    /// At most this many targets are returned per call.
    pub fn look_ahead(&self) -> usize {
        self.look_ahead
    }

    /// The default per-target ring timeout; `None` = no limit.
    pub fn ring_timeout(&self) -> Option<Duration> {
        self.ring_timeout
    }

    /// The number-rewriting settings, for [`format_number`].
    pub fn numbering(&self) -> &Numbering {
        &self.numbering
    }
}
