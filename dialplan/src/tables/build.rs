//! Turning a [`DialplanConfig`] into [`Tables`]: every semantic check, collecting all problems
//! instead of stopping at the first, and the lookup structures routing needs.
//!
//! Checks: names unique and non-empty per kind; every reference (member → gateway, route →
//! group, tariff plan / default table → route table) resolves; one route per (table, prefix);
//! addresses are `host[:port]`; codecs are known names and a group shares an audio codec with
//! each of its gateways; fail-over lists hold `"timeout"` or 300–699 but never 486, 600, 603,
//! 404, 484; `look_ahead` ≥ 1; number settings are digit strings; credentials come in pairs.

use super::config::{
    DialplanConfig, GatewayConfig, GatewayGroupConfig, NumberingPlanConfig, RouteConfig,
    RoutingConfig, TariffPlanConfig,
};
use super::error::{ConfigError, ConfigErrorKind as Kind};
use super::gateway::{Credentials, Gateway, NumberFormat, check_address};
use super::number::{Numbering, NumberingPlan, is_digits};
use super::policy::{FailoverPolicy, HeaderPolicy, KNOWN_CODECS, NEVER_FAIL_OVER};
use super::policy::{carries, permitted};
use super::{Group, Member, Route, Tables, Tariff};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;
use toml::Spanned;

/// Builds the tables, or returns every problem found.
pub(super) fn build(config: &DialplanConfig) -> Result<Tables, Vec<ConfigError>> {
    let mut b = Builder::default();
    let routing = &config.routing;
    if routing.look_ahead == 0 {
        b.error(None, Kind::ZeroLookAhead);
    }
    let failover = match &routing.failover_statuses {
        Some(list) => b.failover(list).unwrap_or_else(|| FailoverPolicy::new(false, [])),
        None => FailoverPolicy::default(),
    };
    let numbering = b.numbering(routing);
    let plans = config.numbering_plans.iter().map(|p| b.plan(p)).collect();
    b.unique("numbering plan", config.numbering_plans.iter().map(|p| &p.name));

    let gateway_index = b.unique("gateway", config.gateways.iter().map(|g| &g.name));
    let gateways: Vec<Gateway> = config.gateways.iter().map(|g| b.gateway(g, &numbering)).collect();
    let group_index = b.unique("gateway group", config.gateway_groups.iter().map(|g| &g.name));
    let groups = config.gateway_groups.iter().map(|g| b.group(g, &gateway_index, &gateways));
    let groups: Vec<Group> = groups.collect();

    let default_table = routing.default_table().to_owned();
    let mut tables: HashMap<String, HashMap<String, Route>> = HashMap::new();
    for route in &config.routes {
        b.route(route, &default_table, &group_index, &mut tables);
    }
    b.default_table(routing, &config.routes, &tables);
    let tariffs = b.tariffs(&config.tariff_plans, &tables);

    if !b.errors.is_empty() {
        // In file order, problems without a place last.
        b.errors.sort_by_key(|e| e.span.as_ref().map_or(usize::MAX, |s| s.start));
        return Err(b.errors);
    }
    Ok(Tables {
        numbering,
        plans,
        tariffs,
        gateways,
        gateway_index,
        groups,
        tables,
        default_table,
        look_ahead: routing.look_ahead,
        ring_timeout: (routing.ring_timeout_secs > 0)
            .then(|| Duration::from_secs(routing.ring_timeout_secs)),
        failover,
    })
}

/// Collects problems while the tables are assembled.
#[derive(Default)]
struct Builder {
    errors: Vec<ConfigError>,
}

impl Builder {
    fn error(&mut self, span: Option<std::ops::Range<usize>>, kind: Kind) {
        self.errors.push(ConfigError::new(span, kind));
    }

    fn at<T>(&mut self, value: &Spanned<T>, kind: Kind) {
        self.error(Some(value.span()), kind);
    }

    /// Index of each name; the first of duplicates wins, the others are reported.
    fn unique<'a>(
        &mut self,
        what: &'static str,
        names: impl Iterator<Item = &'a Spanned<String>>,
    ) -> HashMap<String, usize> {
        let mut index = HashMap::new();
        for (i, name) in names.enumerate() {
            if name.get_ref().is_empty() {
                self.at(name, Kind::EmptyName { what });
            } else if let Entry::Vacant(slot) = index.entry(name.get_ref().clone()) {
                slot.insert(i);
            } else {
                self.at(name, Kind::DuplicateName { what, name: name.get_ref().clone() });
            }
        }
        index
    }

    /// A digit string, reported as `what` otherwise.
    fn digits(&mut self, value: &Spanned<String>, what: &'static str, max_len: usize) -> String {
        let v = value.get_ref();
        if !is_digits(v) || v.len() > max_len {
            let expected = if max_len == 3 { "1 to 3 digits" } else { "digits" };
            self.at(value, Kind::BadNumber { what, value: v.clone(), expected });
        }
        v.clone()
    }

    /// A number prefix: `+?[0-9*#]*`, possibly empty.
    fn prefix(&mut self, value: &Spanned<String>, what: &'static str) -> String {
        let v = value.get_ref();
        let body = v.strip_prefix('+').unwrap_or(v);
        if !body.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'#') {
            let expected = "a number prefix: optional + then digits, * or #";
            self.at(value, Kind::BadNumber { what, value: v.clone(), expected });
        }
        v.clone()
    }

    /// A fail-over list; `None` when empty (inherit).
    fn failover(&mut self, list: &[Spanned<String>]) -> Option<FailoverPolicy> {
        let mut timeout = false;
        let mut codes = Vec::new();
        for entry in list {
            let value = entry.get_ref().trim();
            if value.eq_ignore_ascii_case("timeout") {
                timeout = true;
                continue;
            }
            match value.parse::<u16>() {
                Ok(code) if NEVER_FAIL_OVER.contains(&code) => {
                    self.at(entry, Kind::ForbiddenFailoverStatus(code));
                }
                Ok(code @ 300..=699) => codes.push(code),
                _ => self.at(entry, Kind::BadFailoverStatus(value.to_owned())),
            }
        }
        (!list.is_empty()).then(|| FailoverPolicy::new(timeout, codes))
    }

    /// A codec list, each name known.
    fn codecs(&mut self, list: &[Spanned<String>]) -> Vec<String> {
        for codec in list {
            if !KNOWN_CODECS.contains(&codec.get_ref().as_str()) {
                self.at(codec, Kind::UnknownCodec(codec.get_ref().clone()));
            }
        }
        list.iter().map(|c| c.get_ref().clone()).collect()
    }

    /// Header names, each an RFC 3261 token, lowercased.
    fn headers(&mut self, list: &[Spanned<String>]) -> Vec<String> {
        let token = |b: u8| b.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&b);
        for name in list {
            if name.get_ref().is_empty() || !name.get_ref().bytes().all(token) {
                self.at(name, Kind::BadHeaderName(name.get_ref().clone()));
            }
        }
        list.iter().map(|h| h.get_ref().to_ascii_lowercase()).collect()
    }

    fn numbering(&mut self, routing: &RoutingConfig) -> Numbering {
        let country_code = routing.country_code.as_ref().map(|c| self.digits(c, "country_code", 3));
        let national_prefix =
            routing.national_prefix.as_ref().map(|p| self.digits(p, "national_prefix", 15));
        let international_prefix = routing
            .international_prefix
            .as_ref()
            .map(|p| self.digits(p, "international_prefix", 15));
        if let (Some(prefix), None) = (&routing.national_prefix, &country_code) {
            self.at(prefix, Kind::NationalPrefixWithoutCountryCode);
        }
        Numbering { country_code, national_prefix, international_prefix }
    }

    fn plan(&mut self, plan: &NumberingPlanConfig) -> NumberingPlan {
        let country_code = self.digits(&plan.country_code, "country_code", 3);
        let [min, max] = *plan.digits.get_ref();
        if !(1 <= min && min <= max && max <= 15) {
            self.at(&plan.digits, Kind::BadDigitRange { min, max });
        }
        let area_codes =
            plan.area_codes.iter().map(|a| self.digits(a, "area code", usize::MAX)).collect();
        NumberingPlan {
            country_code,
            min_digits: min as usize,
            max_digits: max as usize,
            area_codes,
        }
    }

    fn gateway(&mut self, config: &GatewayConfig, numbering: &Numbering) -> Gateway {
        let name = config.name.get_ref().clone();
        if let Err(reason) = check_address(config.address.get_ref()) {
            let address = config.address.get_ref().clone();
            self.at(&config.address, Kind::BadAddress { address, reason });
        }
        let credentials = match (&config.username, &config.password) {
            (Some(username), Some(password)) => Some(Credentials {
                username: username.clone(),
                password: password.clone(),
                realm: config.realm.clone(),
            }),
            (None, None) => None,
            _ => {
                self.at(&config.name, Kind::IncompleteCredentials(name.clone()));
                None
            }
        };
        let national_ready =
            numbering.country_code.is_some() && numbering.national_prefix.is_some();
        if config.number_format == NumberFormat::National && !national_ready {
            self.at(&config.name, Kind::NationalFormatUnconfigured(name.clone()));
        }
        let add_prefix = config.add_prefix.as_ref().map(|p| self.prefix(p, "add_prefix"));
        if let Some(pai) = &config.pai {
            let uri = pai.get_ref().to_ascii_lowercase();
            let scheme_ok = ["sip:", "sips:", "tel:"].iter().any(|s| uri.starts_with(s));
            if !scheme_ok || uri.len() <= 4 {
                self.at(pai, Kind::BadPai(pai.get_ref().clone()));
            }
        }
        let headers = HeaderPolicy {
            caller_id: config.caller_id.clone().filter(|c| !c.is_empty()),
            pai: config.pai.as_ref().map(|p| p.get_ref().clone()).filter(|p| !p.is_empty()),
            privacy: config.privacy,
            strip: self.headers(&config.strip_headers),
            pass: self.headers(&config.pass_headers),
            set: Vec::new(),
        };
        Gateway {
            name,
            address: config.address.get_ref().clone(),
            transport: config.transport,
            enabled: config.enabled,
            max_calls: config.max_calls,
            probe: (config.probe_secs > 0).then(|| Duration::from_secs(config.probe_secs)),
            credentials,
            number_format: config.number_format,
            strip_digits: config.strip_digits,
            add_prefix: add_prefix.unwrap_or_default(),
            codecs: self.codecs(&config.codecs),
            headers,
            failover: self.failover(&config.failover_statuses),
        }
    }

    fn group(
        &mut self,
        config: &GatewayGroupConfig,
        gateway_index: &HashMap<String, usize>,
        gateways: &[Gateway],
    ) -> Group {
        let name = config.name.get_ref().clone();
        let codecs = self.codecs(&config.codecs);
        let mut members: Vec<Member> = Vec::with_capacity(config.members.len());
        for member in &config.members {
            let gateway_name = member.gateway.get_ref();
            let Some(&gateway) = gateway_index.get(gateway_name) else {
                self.at(&member.gateway, Kind::UnknownGateway(gateway_name.clone()));
                continue;
            };
            if members.iter().any(|m| m.gateway == gateway) {
                let kind =
                    Kind::DuplicateMember { group: name.clone(), gateway: gateway_name.clone() };
                self.at(&member.gateway, kind);
                continue;
            }
            if member.weight == 0 {
                self.at(&member.gateway, Kind::ZeroWeight(gateway_name.clone()));
            }
            let both = permitted(&[&gateways[gateway].codecs, &codecs]);
            if !carries(both.as_deref(), &[]) {
                let kind =
                    Kind::NoCommonCodec { group: name.clone(), gateway: gateway_name.clone() };
                self.at(&member.gateway, kind);
            }
            members.push(Member { gateway, priority: member.priority, weight: member.weight });
        }
        Group { members, codecs, failover: self.failover(&config.failover_statuses) }
    }

    fn route(
        &mut self,
        config: &RouteConfig,
        default_table: &str,
        group_index: &HashMap<String, usize>,
        tables: &mut HashMap<String, HashMap<String, Route>>,
    ) {
        let table = config.table.as_ref().map_or(default_table, |t| t.get_ref().as_str());
        if table.is_empty() {
            self.error(config.table.as_ref().map(Spanned::span), Kind::EmptyName { what: "table" });
        }
        let prefix = self.prefix(&config.prefix, "route prefix");
        let group = config.group.as_ref().and_then(|g| {
            let found = group_index.get(g.get_ref()).copied();
            if found.is_none() {
                self.at(g, Kind::UnknownGroup(g.get_ref().clone()));
            }
            found
        });
        let route = Route { group, out_of_order: config.out_of_order };
        match tables.entry(table.to_owned()).or_default().entry(prefix) {
            Entry::Vacant(slot) => {
                slot.insert(route);
            }
            Entry::Occupied(slot) => {
                let kind =
                    Kind::DuplicateRoute { table: table.to_owned(), prefix: slot.key().clone() };
                self.at(&config.prefix, kind);
            }
        }
    }

    /// The default table must have routes when it is named explicitly, or when routes exist at
    /// all (a config whose routes all live in other tables would refuse every plan-less call).
    fn default_table(
        &mut self,
        routing: &RoutingConfig,
        routes: &[RouteConfig],
        tables: &HashMap<String, HashMap<String, Route>>,
    ) {
        let name = routing.default_table();
        if tables.contains_key(name) {
            return;
        }
        match &routing.default_table {
            Some(explicit) => self.at(explicit, Kind::UnknownTable(name.to_owned())),
            None if !routes.is_empty() => {
                self.error(None, Kind::EmptyDefaultTable(name.to_owned()));
            }
            None => {}
        }
    }

    fn tariffs(
        &mut self,
        plans: &[TariffPlanConfig],
        tables: &HashMap<String, HashMap<String, Route>>,
    ) -> HashMap<String, Tariff> {
        let index = self.unique("tariff plan", plans.iter().map(|p| &p.name));
        let mut tariffs = HashMap::with_capacity(index.len());
        for (i, plan) in plans.iter().enumerate() {
            let name = plan.name.get_ref();
            if index.get(name) != Some(&i) {
                continue;
            }
            let destinations =
                plan.destinations.iter().map(|d| self.prefix(d, "tariff destination")).collect();
            let route_table = plan.route_table.as_ref().map(|t| {
                if !tables.contains_key(t.get_ref()) {
                    self.at(t, Kind::UnknownTable(t.get_ref().clone()));
                }
                t.get_ref().clone()
            });
            tariffs.insert(name.clone(), Tariff { destinations, route_table });
        }
        tariffs
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{parse, problems};
    use super::*;
    use crate::tables::AddressError;

    /// Asserts that `text` has exactly these problems, each pointing at this text (or nowhere).
    fn assert_problems(text: &str, expected: &[(Kind, Option<&str>)]) {
        let found: Vec<(Kind, Option<&str>)> =
            problems(text).into_iter().map(|(e, covered)| (e.kind, covered)).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn every_problem_is_reported_at_once_with_the_span_of_the_value_at_fault() {
        let text = r#"
[routing]
look_ahead = 0
failover_statuses = ["timeout", "486", "abc", "200"]
default_table = "nowhere"

[[gateways]]
name = "a"
address = "2001:db8::1"
codecs = ["PCMA", "opus"]

[[gateways]]
name = "a"
address = "gw.example:99999"

[[gateway_groups]]
name = "g"
failover_statuses = ["603"]
members = [{ gateway = "a" }, { gateway = "b" }, { gateway = "a" }]

[[routes]]
table = "t"
prefix = "+7"
group = "h"

[[routes]]
table = "t"
prefix = "+7"
group = "g"

[[tariff_plans]]
name = "p"
route_table = "missing"
"#;
        let port = AddressError::BadPort;
        assert_problems(
            text,
            &[
                (Kind::ForbiddenFailoverStatus(486), Some(r#""486""#)),
                (Kind::BadFailoverStatus("abc".into()), Some(r#""abc""#)),
                (Kind::BadFailoverStatus("200".into()), Some(r#""200""#)),
                (Kind::UnknownTable("nowhere".into()), Some(r#""nowhere""#)),
                (
                    Kind::BadAddress {
                        address: "2001:db8::1".into(),
                        reason: AddressError::UnbracketedIpv6,
                    },
                    Some(r#""2001:db8::1""#),
                ),
                (Kind::UnknownCodec("PCMA".into()), Some(r#""PCMA""#)),
                (Kind::DuplicateName { what: "gateway", name: "a".into() }, Some(r#""a""#)),
                (
                    Kind::BadAddress { address: "gw.example:99999".into(), reason: port },
                    Some(r#""gw.example:99999""#),
                ),
                (Kind::ForbiddenFailoverStatus(603), Some(r#""603""#)),
                (Kind::UnknownGateway("b".into()), Some(r#""b""#)),
                (Kind::DuplicateMember { group: "g".into(), gateway: "a".into() }, Some(r#""a""#)),
                (Kind::UnknownGroup("h".into()), Some(r#""h""#)),
                (Kind::DuplicateRoute { table: "t".into(), prefix: "+7".into() }, Some(r#""+7""#)),
                (Kind::UnknownTable("missing".into()), Some(r#""missing""#)),
                (Kind::ZeroLookAhead, None),
            ],
        );
    }

    #[test]
    fn spans_point_into_the_whole_server_file() {
        let text = "[sip]\nlisten = \"x\"\n\n[[gateways]]\nname = \"gw\"\naddress = \"bad host\"\n";
        let (error, covered) = problems(text).remove(0);
        assert_eq!(covered, Some("\"bad host\""));
        let line = text[..error.span.expect("span").start].lines().count();
        assert_eq!(line, 6);
        assert_eq!(
            error.message,
            "bad gateway address \"bad host\": not an IPv4 address or DNS name"
        );
    }

    #[test]
    fn each_callee_status_is_forbidden_as_a_failover_status() {
        for code in NEVER_FAIL_OVER {
            let text = format!("[routing]\nfailover_statuses = [\"{code}\"]\n");
            let quoted = format!("\"{code}\"");
            assert_problems(&text, &[(Kind::ForbiddenFailoverStatus(code), Some(&quoted))]);
        }
    }

    #[test]
    fn number_settings_and_plans_must_be_digits_in_range() {
        let text = r#"
[routing]
country_code = "+7"
national_prefix = "8"
international_prefix = "oo"

[[numbering_plans]]
name = "ru"
country_code = "7"
digits = [12, 11]
area_codes = ["49x"]

[[numbering_plans]]
name = "ru"
country_code = "1234"
digits = [1, 15]

[[gateways]]
name = "gw"
address = "192.0.2.1"
number_format = "national"
add_prefix = "9a"
pai = "mailto:x@y"
strip_headers = ["X Bad"]
username = "u"
"#;
        let bad =
            |what, value: &str, expected| Kind::BadNumber { what, value: value.into(), expected };
        let prefix = "a number prefix: optional + then digits, * or #";
        assert_problems(
            text,
            &[
                (bad("country_code", "+7", "1 to 3 digits"), Some(r#""+7""#)),
                (bad("international_prefix", "oo", "digits"), Some(r#""oo""#)),
                (Kind::BadDigitRange { min: 12, max: 11 }, Some("[12, 11]")),
                (bad("area code", "49x", "digits"), Some(r#""49x""#)),
                (
                    Kind::DuplicateName { what: "numbering plan", name: "ru".into() },
                    Some(r#""ru""#),
                ),
                (bad("country_code", "1234", "1 to 3 digits"), Some(r#""1234""#)),
                (Kind::IncompleteCredentials("gw".into()), Some(r#""gw""#)),
                (bad("add_prefix", "9a", prefix), Some(r#""9a""#)),
                (Kind::BadPai("mailto:x@y".into()), Some(r#""mailto:x@y""#)),
                (Kind::BadHeaderName("X Bad".into()), Some(r#""X Bad""#)),
            ],
        );
    }

    #[test]
    fn national_numbers_need_a_country_code() {
        let text = r#"
[routing]
national_prefix = "8"

[[gateways]]
name = "gw"
address = "192.0.2.1"
number_format = "national"
"#;
        assert_problems(
            text,
            &[
                (Kind::NationalPrefixWithoutCountryCode, Some(r#""8""#)),
                (Kind::NationalFormatUnconfigured("gw".into()), Some(r#""gw""#)),
            ],
        );
    }

    #[test]
    fn a_group_and_its_gateway_must_share_an_audio_codec() {
        let text = r#"
[[gateways]]
name = "g729-only"
address = "192.0.2.1"
codecs = ["g729", "telephone-event"]

[[gateway_groups]]
name = "alaw"
codecs = ["pcma", "telephone-event"]
members = [{ gateway = "g729-only", weight = 0 }]
"#;
        let group = "alaw".to_owned();
        let gateway = "g729-only".to_owned();
        assert_problems(
            text,
            &[
                (Kind::ZeroWeight(gateway.clone()), Some(r#""g729-only""#)),
                (Kind::NoCommonCodec { group, gateway }, Some(r#""g729-only""#)),
            ],
        );
    }

    #[test]
    fn routes_outside_the_default_table_need_default_table_set() {
        let text = "[[routes]]\ntable = \"main\"\nprefix = \"\"\n";
        assert_problems(text, &[(Kind::EmptyDefaultTable("default".into()), None)]);
        let fixed = format!("[routing]\ndefault_table = \"main\"\n{text}");
        assert!(Tables::new(&parse(&fixed)).is_ok());
    }

    #[test]
    fn unknown_keys_are_rejected_by_the_parser() {
        let text = "[[gateways]]\nname = \"gw\"\naddress = \"192.0.2.1\"\nadress = \"typo\"\n";
        let file: Result<DialplanConfig, _> = toml::from_str(text);
        let error = file.expect_err("unknown key");
        assert!(error.message().contains("adress"), "{error}");
        assert!(error.span().is_some());
    }

    #[test]
    fn defaults_match_the_documented_ones() {
        let config = parse("[[gateways]]\nname = \"gw\"\naddress = \"192.0.2.1\"\n");
        assert_eq!(config.routing, RoutingConfig::default());
        assert_eq!(config.routing.default_table(), "default");
        let tables = Tables::new(&config).expect("valid");
        let gw = tables.gateway("gw").expect("gw");
        assert!(gw.enabled);
        assert_eq!((gw.max_calls, gw.probe, gw.strip_digits), (0, None, 0));
        assert_eq!(gw.number_format, NumberFormat::E164);
        assert_eq!(tables.look_ahead(), 3);
        assert_eq!(tables.ring_timeout(), Some(Duration::from_secs(60)));
        assert_eq!(tables.failover, FailoverPolicy::default());
    }
}
