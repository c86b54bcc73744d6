//! The configuration shape of the built-in routing tables: serde structs that mirror the TOML
//! file's top-level keys `[routing]`, `[[numbering_plans]]`, `[[tariff_plans]]`, `[[gateways]]`,
//! `[[gateway_groups]]` and `[[routes]]`.
//!
//! These structs only hold what the file says. Every semantic check (references between tables,
//! duplicates, addresses, codec names, failover statuses) happens in [`Tables::new`], which
//! reports all problems at once with the byte range of the offending value. Names, references and
//! other checked strings are therefore [`Spanned`]; the spans are offsets into the text that was
//! parsed, so the server must deserialize these keys as ordinary fields of its own config struct
//! (not through `#[serde(flatten)]`, which buffers values and loses the spans).
//!
//! Unknown keys are rejected everywhere (`deny_unknown_fields`).
//!
//! [`Tables::new`]: super::Tables::new

use super::gateway::{NumberFormat, Transport};
use serde::Deserialize;
use toml::Spanned;

/// Everything the built-in router is configured with: the six top-level keys of the TOML file.
/// The default is empty tables, with which the router answers every request with
/// [`Decision::Continue`](super::Decision::Continue).
#[derive(Deserialize, Debug, Clone, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct DialplanConfig {
    /// `[routing]`: defaults for every call and number normalisation.
    #[serde(default)]
    pub routing: RoutingConfig,
    /// `[[numbering_plans]]`: the numbers that are well formed. None means every number is.
    #[serde(default)]
    pub numbering_plans: Vec<NumberingPlanConfig>,
    /// `[[tariff_plans]]`: which destinations an account may call and which route table it uses.
    #[serde(default)]
    pub tariff_plans: Vec<TariffPlanConfig>,
    /// `[[gateways]]`: the carrier trunks calls go out to.
    #[serde(default)]
    pub gateways: Vec<GatewayConfig>,
    /// `[[gateway_groups]]`: gateways with priorities and weights that a route sends calls to.
    #[serde(default)]
    pub gateway_groups: Vec<GatewayGroupConfig>,
    /// `[[routes]]`: prefix → gateway group entries, grouped into named tables.
    #[serde(default)]
    pub routes: Vec<RouteConfig>,
}

/// `[routing]`: defaults for every call, and the rules that turn dialed digits into E.164.
///
/// ```toml
/// [routing]
/// failover_statuses = ["timeout", "408", "500", "502", "503", "504"]
/// look_ahead = 3
/// ring_timeout_secs = 60
/// country_code = "7"
/// national_prefix = "8"
/// international_prefix = "810"
/// default_table = "default"
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// `failover_statuses`: the outcomes of a gateway attempt after which the next target is
    /// tried: `"timeout"` (no final answer in time, or a transport error) and status codes
    /// 300–699 written as strings. Absent means `["timeout", "408", "500", "502", "503",
    /// "504"]`; an empty list means never fail over. 486, 600, 603, 404 and 484 are answers about
    /// the callee, not the gateway, and may never be listed. Groups and gateways may override.
    #[serde(default)]
    pub failover_statuses: Option<Vec<Spanned<String>>>,
    /// `look_ahead`: at most this many gateways are tried per call (default 3, at least 1).
    #[serde(default = "default_look_ahead")]
    pub look_ahead: usize,
    /// `ring_timeout_secs`: how long each target may ring before it counts as a timeout
    /// (default 60; 0 = no limit).
    #[serde(default = "default_ring_timeout_secs")]
    pub ring_timeout_secs: u64,
    /// `country_code`: the home country code (digits, e.g. `"7"`), for turning national numbers
    /// into E.164. Absent: national numbers are not converted.
    #[serde(default)]
    pub country_code: Option<Spanned<String>>,
    /// `national_prefix`: the trunk prefix of national numbers (digits, e.g. `"8"` or `"0"`);
    /// `8 916 123-45-67` becomes `+79161234567`. Needs `country_code`.
    #[serde(default)]
    pub national_prefix: Option<Spanned<String>>,
    /// `international_prefix`: the prefix that dials abroad (digits, e.g. `"810"` or `"00"`);
    /// `810 44 20 7946 0000` becomes `+442079460000`.
    #[serde(default)]
    pub international_prefix: Option<Spanned<String>>,
    /// `default_table`: the route table for callers whose tariff plan names none (default
    /// `"default"`).
    #[serde(default)]
    pub default_table: Option<Spanned<String>>,
}

/// The route table used when `default_table` is not set.
pub const DEFAULT_TABLE: &str = "default";

fn default_look_ahead() -> usize {
    3
}

fn default_ring_timeout_secs() -> u64 {
    60
}

fn default_true() -> bool {
    true
}

fn default_priority() -> u32 {
    1
}

fn default_weight() -> u32 {
    1
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            failover_statuses: None,
            look_ahead: default_look_ahead(),
            ring_timeout_secs: default_ring_timeout_secs(),
            country_code: None,
            national_prefix: None,
            international_prefix: None,
            default_table: None,
        }
    }
}

impl RoutingConfig {
    /// The name of the default route table: `default_table`, or `"default"`.
    pub fn default_table(&self) -> &str {
        self.default_table.as_ref().map_or(DEFAULT_TABLE, |t| t.get_ref().as_str())
    }
}

/// `[[numbering_plans]]`: one shape of well-formed number. When any plan exists, a normalized
/// number must match one of them, or the call is answered `480 Invalid Phone Number`.
///
/// ```toml
/// [[numbering_plans]]
/// name = "ru"
/// country_code = "7"
/// digits = [11, 11]
/// area_codes = ["495", "499", "9"]
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct NumberingPlanConfig {
    /// `name`: unique among numbering plans; appears in error messages only.
    pub name: Spanned<String>,
    /// `country_code`: the E.164 country code the plan covers (1–3 digits, no `+`).
    pub country_code: Spanned<String>,
    /// `digits`: `[min, max]` total E.164 digits, country code included, `+` excluded
    /// (1 ≤ min ≤ max ≤ 15).
    pub digits: Spanned<[u32; 2]>,
    /// `area_codes`: if non-empty, the digits after the country code must start with one of
    /// these (default: any).
    #[serde(default)]
    pub area_codes: Vec<Spanned<String>>,
}

/// `[[tariff_plans]]`: what the accounts on a plan may call, and through which route table.
/// A request that names no plan (or a plan that does not exist) may call everything the route
/// table covers.
///
/// ```toml
/// [[tariff_plans]]
/// name = "default"
/// destinations = ["+7", "+1"]
/// route_table = "default"
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TariffPlanConfig {
    /// `name`: unique among tariff plans; what a request's `tariff_plan` names.
    pub name: Spanned<String>,
    /// `destinations`: E.164 prefixes the plan includes; a routed number outside them is
    /// answered `480 Destination Not Found In Client Plan`. Empty (default): all destinations.
    #[serde(default)]
    pub destinations: Vec<Spanned<String>>,
    /// `route_table`: the route table for the plan's accounts (default: `routing.default_table`).
    #[serde(default)]
    pub route_table: Option<Spanned<String>>,
}

/// `[[gateways]]`: one carrier trunk.
///
/// ```toml
/// [[gateways]]
/// name = "carrier-a"
/// address = "127.0.0.1:5070"
/// transport = "udp"
/// number_format = "e164"
/// codecs = ["pcma", "pcmu"]
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// `name`: unique among gateways; what group members refer to.
    pub name: Spanned<String>,
    /// `address`: `host:port`, where host is an IPv4 address, an IPv6 address in brackets
    /// (`[2001:db8::1]:5060`) or a DNS name. The port may be omitted (`sip.carrier.net`), which
    /// leaves it to RFC 3263 resolution.
    pub address: Spanned<String>,
    /// `transport`: `"udp"` (default) or `"tcp"`.
    #[serde(default)]
    pub transport: Transport,
    /// `enabled`: `false` takes the gateway out of every route (default `true`).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// `max_calls`: concurrent calls the gateway accepts; 0 (default) = unlimited.
    #[serde(default)]
    pub max_calls: u32,
    /// `probe_secs`: interval of the OPTIONS health probe; 0 (default) = no probing.
    #[serde(default)]
    pub probe_secs: u64,
    /// `username`: user name to answer the gateway's 401/407 challenges with.
    #[serde(default)]
    pub username: Option<String>,
    /// `password`: password for the challenges; required with `username`.
    #[serde(default)]
    pub password: Option<String>,
    /// `realm`: answer challenges of this realm only (default: any realm).
    #[serde(default)]
    pub realm: Option<String>,
    /// `number_format`: how the E.164 number is written in the Request-URI: `"e164"` (default,
    /// `+74951234567`), `"e164-no-plus"` (`74951234567`) or `"national"` (`84951234567`, needs
    /// `routing.country_code` and `routing.national_prefix`).
    #[serde(default)]
    pub number_format: NumberFormat,
    /// `strip_digits`: characters removed from the front after formatting (default 0).
    #[serde(default)]
    pub strip_digits: usize,
    /// `add_prefix`: digits prepended after stripping (default none); `0-9`, `*`, `#`, `+`.
    #[serde(default)]
    pub add_prefix: Option<Spanned<String>>,
    /// `codecs`: codecs the gateway accepts, in preference order (`pcma`, `pcmu`, `g722`, `gsm`,
    /// `speex`, `opus`, `g729`, `ilbc`, `telephone-event`); empty (default) = any.
    #[serde(default)]
    pub codecs: Vec<Spanned<String>>,
    /// `caller_id`: the From user to send instead of the caller's (default: keep it).
    #[serde(default)]
    pub caller_id: Option<String>,
    /// `pai`: a P-Asserted-Identity URI (`sip:`, `sips:` or `tel:`) to add (default none).
    #[serde(default)]
    pub pai: Option<Spanned<String>>,
    /// `privacy`: add `Privacy: id` and send an anonymous From (default `false`).
    #[serde(default)]
    pub privacy: bool,
    /// `strip_headers`: header names removed from the B-leg INVITE.
    #[serde(default)]
    pub strip_headers: Vec<Spanned<String>>,
    /// `pass_headers`: if non-empty, only these non-core headers are copied to the B-leg.
    #[serde(default)]
    pub pass_headers: Vec<Spanned<String>>,
    /// `failover_statuses`: overrides the group's and `[routing]`'s list for this gateway, same
    /// syntax; empty (default) = inherit.
    #[serde(default)]
    pub failover_statuses: Vec<Spanned<String>>,
}

/// `[[gateway_groups]]`: the gateways a route sends calls to.
///
/// ```toml
/// [[gateway_groups]]
/// name = "intl"
/// members = [
///   { gateway = "carrier-a", priority = 1, weight = 70 },
///   { gateway = "carrier-b", priority = 1, weight = 30 },
///   { gateway = "carrier-c", priority = 2 },
/// ]
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GatewayGroupConfig {
    /// `name`: unique among groups; what routes refer to.
    pub name: Spanned<String>,
    /// `members`: the group's gateways. A group with no members answers `403 Empty Route Set`.
    #[serde(default)]
    pub members: Vec<MemberConfig>,
    /// `codecs`: codecs allowed through this group, in preference order; empty (default) = any.
    /// Intersected with each gateway's and the account's lists.
    #[serde(default)]
    pub codecs: Vec<Spanned<String>>,
    /// `failover_statuses`: overrides `[routing]`'s list for this group, same syntax; empty
    /// (default) = inherit.
    #[serde(default)]
    pub failover_statuses: Vec<Spanned<String>>,
}

/// One entry of a group's `members`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MemberConfig {
    /// `gateway`: the name of a `[[gateways]]` entry.
    pub gateway: Spanned<String>,
    /// `priority`: lower is tried first (default 1).
    #[serde(default = "default_priority")]
    pub priority: u32,
    /// `weight`: share of first attempts among members of the same priority (default 1, at
    /// least 1): weights 70 and 30 put the first member first in about 70% of calls.
    #[serde(default = "default_weight")]
    pub weight: u32,
}

/// `[[routes]]`: one prefix of one route table.
///
/// ```toml
/// [[routes]]
/// table = "default"
/// prefix = "+7495"
/// group = "intl"
/// ```
#[derive(Deserialize, Debug, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// `table`: the route table this entry belongs to (default: `routing.default_table`).
    /// Tables exist by being named here.
    #[serde(default)]
    pub table: Option<Spanned<String>>,
    /// `prefix`: the number prefix this entry covers, matched against the normalized number
    /// (`+7495`); the longest matching prefix wins; `""` matches every number.
    pub prefix: Spanned<String>,
    /// `group`: the gateway group calls go to. Absent: a route with no gateways, answered
    /// `403 Empty Route Set`.
    #[serde(default)]
    pub group: Option<Spanned<String>>,
    /// `out_of_order`: answer `404 Out of Order` instead of routing (default `false`).
    #[serde(default)]
    pub out_of_order: bool,
}
