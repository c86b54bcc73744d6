//! Test support: parsing routing configuration out of a whole server-style TOML file, the way
//! the server will, so that spans are offsets into that file.

use super::config::{
    DialplanConfig, GatewayConfig, GatewayGroupConfig, NumberingPlanConfig, RouteConfig,
    RoutingConfig, TariffPlanConfig,
};
use super::{ConfigError, Tables};
use serde::Deserialize;

/// A server config file: the routing keys next to keys that belong to the server.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServerFile {
    #[serde(default)]
    #[allow(dead_code)]
    sip: Option<toml::Table>,
    #[serde(default)]
    routing: RoutingConfig,
    #[serde(default)]
    numbering_plans: Vec<NumberingPlanConfig>,
    #[serde(default)]
    tariff_plans: Vec<TariffPlanConfig>,
    #[serde(default)]
    gateways: Vec<GatewayConfig>,
    #[serde(default)]
    gateway_groups: Vec<GatewayGroupConfig>,
    #[serde(default)]
    routes: Vec<RouteConfig>,
}

/// The routing part of a server config file.
pub(crate) fn parse(text: &str) -> DialplanConfig {
    let file: ServerFile = toml::from_str(text).expect("fixture parses");
    DialplanConfig {
        routing: file.routing,
        numbering_plans: file.numbering_plans,
        tariff_plans: file.tariff_plans,
        gateways: file.gateways,
        gateway_groups: file.gateway_groups,
        routes: file.routes,
    }
}

/// Tables from a server config file; panics with the problems if it is invalid.
pub(crate) fn tables(text: &str) -> Tables {
    Tables::new(&parse(text)).unwrap_or_else(|e| panic!("fixture is valid: {e:#?}"))
}

/// The problems of a server config file, each with the text its span covers.
pub(crate) fn problems(text: &str) -> Vec<(ConfigError, Option<&str>)> {
    let errors = Tables::new(&parse(text)).expect_err("fixture is invalid");
    errors
        .into_iter()
        .map(|e| {
            let covered = e.span.clone().map(|s| &text[s]);
            (e, covered)
        })
        .collect()
}
