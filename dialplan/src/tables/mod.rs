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
#[cfg(test)]
mod fixture;
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
        self.route_in(request, None, status, seed)
    }

    /// [`route`](Self::route) in the route table `table` instead of the one the request's
    /// tariff plan (or the default) names; a table that does not exist routes nothing
    /// (`403 Invalid Phone Number`, as a number no prefix covers).
    pub fn route_in(
        &self,
        request: &RouteRequest,
        table: Option<&str>,
        status: &dyn GatewayStatus,
        seed: u64,
    ) -> Decision {
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
        let table = table
            .or(tariff.and_then(|t| t.route_table.as_deref()))
            .unwrap_or(&self.default_table);
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

    /// Whether a route table called `name` exists.
    pub fn has_table(&self, name: &str) -> bool {
        self.tables.contains_key(name)
    }

    /// The gateway called `name`.
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

    /// The default fail-over policy (`[routing] failover_statuses`).
    pub fn failover(&self) -> &FailoverPolicy {
        &self.failover
    }

    /// The dialed string as a normalized phone number (E.164 with `+` where the numbering
    /// settings allow) and whether it matches the numbering plans (always, when none are
    /// configured); `None` when it is not a phone number at all.
    pub fn check_number(&self, dialed: &str) -> Option<(String, bool)> {
        let number = self.numbering.normalize(&number::phone_number(dialed)?, &self.plans);
        let valid = self.plans.is_empty() || self.plans.iter().any(|p| p.matches(&number));
        Some((number, valid))
    }

    /// The number-rewriting settings, for [`format_number`].
    pub fn numbering(&self) -> &Numbering {
        &self.numbering
    }
}

#[cfg(test)]
mod tests {
    use super::fixture::tables;
    use super::*;

    /// A server file with every kind of routing entry.
    const FILE: &str = r#"
[sip]
listen = "127.0.0.1:5060"

[routing]
look_ahead = 2
country_code = "7"
national_prefix = "8"
international_prefix = "810"

[[numbering_plans]]
name = "ru"
country_code = "7"
digits = [11, 11]
area_codes = ["495", "499", "9"]

[[numbering_plans]]
name = "uk"
country_code = "44"
digits = [12, 12]

[[numbering_plans]]
name = "us"
country_code = "1"
digits = [11, 11]

[[tariff_plans]]
name = "local"
destinations = ["+7"]

[[tariff_plans]]
name = "premium"
route_table = "premium"

[[tariff_plans]]
name = "weighted"
route_table = "weighted"

[[gateways]]
name = "carrier-a"
address = "192.0.2.1:5060"
codecs = ["pcma", "pcmu", "telephone-event"]
caller_id = "74950000000"
strip_headers = ["X-Internal"]

[[gateways]]
name = "carrier-b"
address = "[2001:db8::2]:5061"
transport = "tcp"
number_format = "national"
username = "ringway"
password = "secret"

[[gateways]]
name = "carrier-c"
address = "sip.carrier-c.example"
number_format = "e164-no-plus"
add_prefix = "00"
codecs = ["g722", "pcma"]
failover_statuses = ["timeout", "480"]

[[gateways]]
name = "off"
address = "192.0.2.9"
enabled = false

[[gateway_groups]]
name = "moscow"
codecs = ["pcma", "pcmu", "g722"]
failover_statuses = ["timeout", "503"]
members = [
  { gateway = "carrier-a", priority = 1 },
  { gateway = "carrier-b", priority = 2 },
  { gateway = "carrier-c", priority = 3 },
]

[[gateway_groups]]
name = "split"
members = [
  { gateway = "carrier-a", priority = 1, weight = 70 },
  { gateway = "carrier-b", priority = 1, weight = 30 },
  { gateway = "carrier-c", priority = 2 },
]

[[gateway_groups]]
name = "empty"

[[gateway_groups]]
name = "disabled-only"
members = [{ gateway = "off" }]

[[routes]]
prefix = "+7495"
group = "moscow"

[[routes]]
prefix = "+7499"
group = "moscow"
out_of_order = true

[[routes]]
table = "default"
prefix = "+7"

[[routes]]
prefix = "+44"
group = "empty"

[[routes]]
prefix = "+4420"
group = "disabled-only"

[[routes]]
table = "premium"
prefix = ""
group = "moscow"

[[routes]]
table = "weighted"
prefix = "+"
group = "split"
"#;

    /// A decision in a few words: `continue`, the status line, or the target gateways in order.
    fn summary(decision: &Decision) -> String {
        match decision {
            Decision::Continue => "continue".into(),
            Decision::Reject(line) => line.to_string(),
            Decision::Targets(targets) => {
                let names: Vec<&str> =
                    targets.iter().filter_map(|t| t.gateway.as_deref()).collect();
                names.join(",")
            }
        }
    }

    fn request(uri: &str, plan: &str, offered: &[&str], account: &[&str]) -> RouteRequest {
        let request = RouteRequest::new(uri)
            .with_offered_codecs(offered.iter().copied())
            .with_account_codecs(account.iter().copied());
        if plan.is_empty() { request } else { request.with_tariff_plan(plan) }
    }

    fn targets(decision: Decision) -> Vec<Target> {
        match decision {
            Decision::Targets(targets) => targets,
            other => panic!("expected targets, got {other:?}"),
        }
    }

    #[test]
    fn each_decision_line_answers_with_its_catalog_status() {
        let tables = tables(FILE);
        // Request-URI, tariff plan, offered codecs, account codecs, expected decision.
        type Case = (
            &'static str,
            &'static str,
            &'static [&'static str],
            &'static [&'static str],
            &'static str,
        );
        let cases: &[Case] = &[
            ("sip:alice@pbx", "", &[], &[], "continue"),
            ("sip:pbx.example.net", "", &[], &[], "continue"),
            ("sip:+7-812-123-45-67@pbx", "", &[], &[], "480 Invalid Phone Number"),
            ("sip:8495123@pbx", "", &[], &[], "480 Invalid Phone Number"),
            ("sip:100@pbx", "", &[], &[], "480 Invalid Phone Number"),
            ("sip:+12125551212@pbx", "", &[], &[], "403 Invalid Phone Number"),
            ("sip:+12125551212@pbx", "premium", &[], &[], "carrier-a,carrier-b"),
            (
                "sip:+441611234567@pbx",
                "local",
                &[],
                &[],
                "480 Destination Not Found In Client Plan",
            ),
            ("sip:+74991234567@pbx", "", &[], &[], "404 Out of Order"),
            ("sip:89161234567@pbx", "", &[], &[], "403 Empty Route Set"),
            ("sip:+441611234567@pbx", "", &[], &[], "403 Empty Route Set"),
            ("sip:+442079460000@pbx", "", &[], &[], "480 Empty Route Set"),
            ("sip:+74951234567@pbx", "", &["g729"], &[], "488 Codec Mismatch"),
            ("sip:+74951234567@pbx", "", &["telephone-event"], &[], "488 Codec Mismatch"),
            ("sip:+74951234567@pbx", "", &["pcma"], &["pcmu"], "488 Codec Mismatch"),
            ("sip:+74951234567@pbx", "", &["g722", "telephone-event"], &[], "carrier-b,carrier-c"),
            ("sip:+74951234567@pbx", "", &["pcmu"], &[], "carrier-a,carrier-b"),
            ("sip:84951234567@pbx", "local", &[], &[], "carrier-a,carrier-b"),
            ("tel:8-495-123-45-67", "no-such-plan", &[], &[], "carrier-a,carrier-b"),
        ];
        for &(uri, plan, offered, account, expected) in cases {
            let decision = tables.route(&request(uri, plan, offered, account), &AllAvailable, 7);
            assert_eq!(summary(&decision), expected, "{uri} plan={plan:?} offered={offered:?}");
        }
    }

    #[test]
    fn national_number_with_8_is_routed_as_plus_7_and_formatted_per_gateway() {
        let tables = tables(FILE);
        let decision = tables.route(&RouteRequest::new("sip:84951234567@pbx"), &AllAvailable, 0);
        let [a, b] = <[Target; 2]>::try_from(targets(decision)).expect("two targets");
        assert_eq!(a.number, "+74951234567");
        assert_eq!(a.uri, "sip:+74951234567@192.0.2.1:5060");
        assert_eq!(a.codecs, ["pcma", "pcmu"], "gateway order, group filter, no DTMF in group");
        assert_eq!(a.ring_timeout, Some(Duration::from_secs(60)));
        assert_eq!(a.headers.caller_id.as_deref(), Some("74950000000"));
        assert!(!a.headers.allows("x-internal"));
        assert_eq!(b.uri, "sip:84951234567@[2001:db8::2]:5061;transport=tcp");
        assert_eq!(b.codecs, ["pcma", "pcmu", "g722"], "group list when the gateway allows any");
    }

    #[test]
    fn failover_policy_comes_from_the_gateway_then_the_group_then_routing() {
        let tables = tables(FILE);
        let all_down_but_c = |gateway: &str| match gateway {
            "carrier-c" => Availability::Available,
            _ => Availability::Down,
        };
        let moscow = RouteRequest::new("sip:+74951234567@pbx");
        let c = targets(tables.route(&moscow, &all_down_but_c, 0)).remove(0);
        assert_eq!(c.uri, "sip:0074951234567@sip.carrier-c.example");
        assert!(c.failover.fails_over(Outcome::Status(480)), "gateway override");
        assert!(!c.failover.fails_over(Outcome::Status(503)));

        let a = targets(tables.route(&moscow, &AllAvailable, 0)).remove(0);
        assert!(a.failover.fails_over(Outcome::Status(503)), "group override");
        assert!(!a.failover.fails_over(Outcome::Status(500)));

        let split = request("sip:+74951234567@pbx", "weighted", &[], &[]);
        for target in targets(tables.route(&split, &AllAvailable, 0)) {
            let policy = &target.failover;
            let expected = target.gateway.as_deref() != Some("carrier-c");
            assert_eq!(policy == &FailoverPolicy::default(), expected, "{:?}", target.gateway);
        }
    }

    #[test]
    fn down_and_full_gateways_are_skipped_and_none_left_is_480_empty_route_set() {
        let tables = tables(FILE);
        let request = RouteRequest::new("sip:+74951234567@pbx");
        let a_down_b_full = |gateway: &str| match gateway {
            "carrier-a" => Availability::Down,
            "carrier-b" => Availability::AtLimit,
            _ => Availability::Available,
        };
        assert_eq!(summary(&tables.route(&request, &a_down_b_full, 0)), "carrier-c");
        let all_down = |_: &str| Availability::Down;
        assert_eq!(summary(&tables.route(&request, &all_down, 0)), "480 Empty Route Set");
    }

    #[test]
    fn look_ahead_truncates_the_ordered_targets() {
        let tables = tables(FILE);
        assert_eq!(tables.look_ahead(), 2);
        let request = request("sip:+74951234567@pbx", "premium", &[], &[]);
        assert_eq!(summary(&tables.route(&request, &AllAvailable, 0)), "carrier-a,carrier-b");
    }

    #[test]
    fn weights_70_30_decide_the_first_gateway_in_about_70_percent_of_seeds() {
        let tables = tables(FILE);
        let request = request("sip:+74951234567@pbx", "weighted", &[], &[]);
        let mut first_a = 0;
        for seed in 0..10_000 {
            let targets = targets(tables.route(&request, &AllAvailable, seed));
            assert_eq!(targets.len(), 2);
            assert_ne!(targets[0].gateway.as_deref(), Some("carrier-c"), "priority 2 is last");
            first_a += usize::from(targets[0].gateway.as_deref() == Some("carrier-a"));
        }
        assert!((6_700..=7_300).contains(&first_a), "carrier-a first in {first_a} of 10000");
    }

    #[test]
    fn the_same_seed_gives_the_same_targets() {
        let tables = tables(FILE);
        let request = request("sip:+74951234567@pbx", "weighted", &[], &[]);
        for seed in [1, 2, 3, 99] {
            let once = tables.route(&request, &AllAvailable, seed);
            assert_eq!(once, tables.route(&request, &AllAvailable, seed));
        }
    }

    #[test]
    fn longest_prefix_wins_and_empty_prefix_catches_the_rest() {
        let tables = tables(
            r#"
[[gateways]]
name = "short"
address = "192.0.2.1"
[[gateways]]
name = "long"
address = "192.0.2.2"
[[gateways]]
name = "any"
address = "192.0.2.3"
[[gateway_groups]]
name = "short"
members = [{ gateway = "short" }]
[[gateway_groups]]
name = "long"
members = [{ gateway = "long" }]
[[gateway_groups]]
name = "any"
members = [{ gateway = "any" }]
[[routes]]
prefix = "+7"
group = "short"
[[routes]]
prefix = "+7495"
group = "long"
[[routes]]
prefix = ""
group = "any"
"#,
        );
        let cases = [
            ("+74951234567", "long"),
            ("+7495", "long"),
            ("+749", "short"),
            ("+1212", "any"),
            ("100", "any"),
            ("*21#", "any"),
        ];
        for (number, expected) in cases {
            let request = RouteRequest::new(format!("sip:{number}@pbx"));
            assert_eq!(summary(&tables.route(&request, &AllAvailable, 0)), expected, "{number}");
        }
    }

    #[test]
    fn without_routes_every_request_continues_to_the_next_router() {
        let tables = Tables::default();
        let request = RouteRequest::new("sip:+74951234567@pbx");
        assert_eq!(tables.route(&request, &AllAvailable, 0), Decision::Continue);
        assert_eq!(tables.look_ahead(), 3);
        assert_eq!(tables.ring_timeout(), Some(Duration::from_secs(60)));
        assert!(tables.gateways().is_empty());
    }

    #[test]
    fn gateways_are_looked_up_by_name_with_their_settings() {
        let tables = tables(FILE);
        let b = tables.gateway("carrier-b").expect("carrier-b");
        assert_eq!(b.transport, Transport::Tcp);
        assert_eq!(b.credentials.as_ref().map(|c| c.username.as_str()), Some("ringway"));
        assert!(!tables.gateway("off").expect("off").enabled);
        assert!(tables.gateway("nope").is_none());
        let names: Vec<&str> = tables.gateways().iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["carrier-a", "carrier-b", "carrier-c", "off"]);
    }

    #[test]
    fn tables_are_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<Tables>();
    }
}
