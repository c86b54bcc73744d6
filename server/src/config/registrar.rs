//! `[registrar]`, `[auth]`, `[security]`, `[[accounts]]` and `[[trusted]]`: who may register and
//! call, how they prove it, and how Ringway defends itself against scanners and guessers.

use super::{Located, Problem, at, bounded, non_empty};
use ipnet::IpNet;
use serde::Deserialize;
use std::time::Duration;
use toml::Spanned;

/// `[registrar]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RegistrarTable {
    pub realm: Option<Spanned<String>>,
    pub min_expires: Option<Spanned<u64>>,
    pub max_expires: Option<Spanned<u64>>,
    pub default_expires: Option<Spanned<u64>>,
    pub max_contacts: Option<Spanned<u64>>,
    pub replace_oldest: Option<bool>,
    pub options_ping_secs: Option<Spanned<u64>>,
    pub options_ping_failures: Option<Spanned<u64>>,
    pub commit_timeout_ms: Option<Spanned<u64>>,
}

/// `[auth]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuthTable {
    pub nonce_lifetime_secs: Option<Spanned<u64>>,
    pub algorithms: Option<Vec<Spanned<String>>>,
    pub challenge_methods: Option<Vec<Spanned<String>>>,
    pub detailed_errors_networks: Option<Vec<Spanned<String>>>,
}

/// `[security]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SecurityTable {
    pub ban_after_failures: Option<Spanned<u64>>,
    pub failure_window_secs: Option<Spanned<u64>>,
    pub ban_secs: Option<Spanned<u64>>,
    pub rate_limit_requests: Option<Spanned<u64>>,
    pub rate_limit_window_secs: Option<Spanned<u64>>,
    pub drop_user_agents: Option<Vec<Spanned<String>>>,
    pub exempt_networks: Option<Vec<Spanned<String>>>,
}

/// One `[[accounts]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AccountTable {
    pub username: Spanned<String>,
    pub password: Option<Spanned<String>>,
    pub ha1_md5: Option<Spanned<String>>,
    pub ha1_sha256: Option<Spanned<String>>,
    pub realm: Option<Spanned<String>>,
    pub enabled: Option<bool>,
    pub max_contacts: Option<Spanned<u64>>,
    pub account_code: Option<String>,
    pub tariff_plan: Option<String>,
    pub caller_id_name: Option<String>,
    pub caller_id_number: Option<String>,
    pub allowed_networks: Option<Vec<Spanned<String>>>,
    pub max_calls: Option<Spanned<u64>>,
    pub codecs: Option<Vec<Spanned<String>>>,
    pub context: Option<Spanned<String>>,
}

/// One `[[trusted]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TrustedTable {
    pub name: Spanned<String>,
    pub networks: Spanned<Vec<Spanned<String>>>,
    pub account: Option<Spanned<String>>,
    pub context: Option<Spanned<String>>,
}

/// How the registrar treats bindings (RFC 3261 §10.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarSettings {
    /// Realm of challenges for accounts that name none.
    pub realm: String,
    /// Shorter expiries get `423 Interval Too Brief` with Min-Expires.
    pub min_expires: u32,
    /// Longer expiries are cut to this.
    pub max_expires: u32,
    /// Expiry when the request gives none.
    pub default_expires: u32,
    /// Contacts per account unless the account says otherwise.
    pub max_contacts: u32,
    /// At the contact limit: replace the binding that expires first (true) or answer
    /// `403 Conflict` (false).
    pub replace_oldest: bool,
    /// OPTIONS ping interval to each binding; `None` = off.
    pub options_ping: Option<Duration>,
    /// Unanswered pings after which a binding is removed.
    pub options_ping_failures: u32,
    /// A store commit slower than this answers `480 DB Timeout`.
    pub commit_timeout: Duration,
}

/// Digest authentication (RFC 3261 §22, RFC 8760).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    /// How long a nonce is good for; older ones get `stale=true`.
    pub nonce_lifetime: Duration,
    /// Algorithms offered, in order (`SHA-256`, `MD5`).
    pub algorithms: Vec<String>,
    /// Methods challenged when they come from an account (not a trusted peer).
    pub challenge_methods: Vec<String>,
    /// Sources that get the seed's detailed failure lines (`403 Wrong Guess`…) instead of the
    /// uniform answer that tells a scanner nothing.
    pub detailed_errors_networks: Vec<IpNet>,
}

/// Flood and guessing defence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecuritySettings {
    /// Authentication failures within the window that ban a source; 0 = never.
    pub ban_after_failures: u32,
    /// The window over which failures are counted.
    pub failure_window: Duration,
    /// How long a banned source gets silence.
    pub ban: Duration,
    /// Requests per source per window before a ban (pike-like); 0 = off.
    pub rate_limit_requests: u32,
    /// The rate-limit window.
    pub rate_limit_window: Duration,
    /// Case-insensitive User-Agent substrings dropped silently (known scanners).
    pub drop_user_agents: Vec<String>,
    /// Sources never banned nor rate-limited.
    pub exempt_networks: Vec<IpNet>,
}

/// A user who registers and calls with a password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The digest username and the user part of the account's AOR.
    pub username: String,
    /// Plain password, when given.
    pub password: Option<String>,
    /// Precomputed MD5 HA1, hex.
    pub ha1_md5: Option<String>,
    /// Precomputed SHA-256 HA1, hex.
    pub ha1_sha256: Option<String>,
    /// Realm of its challenges (the registrar's when absent).
    pub realm: String,
    /// A disabled account cannot register or call.
    pub enabled: bool,
    /// Contacts at most.
    pub max_contacts: u32,
    /// Asterisk's accountcode, for CDRs.
    pub account_code: String,
    /// The tariff plan that rates its calls.
    pub tariff_plan: String,
    /// Caller-ID name used when the phone sends none.
    pub caller_id_name: String,
    /// Caller-ID number used when the phone sends none.
    pub caller_id_number: String,
    /// Sources it may use; empty = anywhere.
    pub allowed_networks: Vec<IpNet>,
    /// Concurrent calls at most; 0 = unlimited (beyond: `503 Service Unavailable`).
    pub max_calls: u32,
    /// Codecs its calls may use, in preference order; empty = any.
    pub codecs: Vec<String>,
    /// The Asterisk dialplan context its calls start in (Asterisk's `context=`); `None`: the
    /// `[asterisk]` default.
    pub context: Option<String>,
}

/// A peer identified by its source address (like Asterisk's `identify`): never challenged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedPeer {
    /// A label for logs.
    pub name: String,
    /// Its source networks.
    pub networks: Vec<IpNet>,
    /// The account it acts as, if any.
    pub account: Option<String>,
    /// The Asterisk dialplan context its calls start in; `None`: its account's, else the
    /// `[asterisk]` default.
    pub context: Option<String>,
}

const DEFAULT_REALM: &str = "ringway";
const DEFAULT_CHALLENGE_METHODS: [&str; 4] = ["REGISTER", "INVITE", "SUBSCRIBE", "MESSAGE"];
const KNOWN_ALGORITHMS: [&str; 2] = ["SHA-256", "MD5"];
const CHALLENGEABLE: [&str; 8] = ["REGISTER", "INVITE", "SUBSCRIBE", "MESSAGE", "OPTIONS", "REFER", "PUBLISH", "NOTIFY"];

pub(super) fn validate_registrar(t: RegistrarTable) -> Result<RegistrarSettings, Located> {
    let realm = match t.realm {
        Some(realm) => {
            non_empty(&realm, "registrar.realm")?;
            realm.into_inner()
        }
        None => DEFAULT_REALM.to_owned(),
    };
    let min = bounded(&t.min_expires, "registrar.min_expires", 60, 1, u64::from(u32::MAX))?;
    let max = bounded(&t.max_expires, "registrar.max_expires", 3600, 1, u64::from(u32::MAX))?;
    let default = bounded(&t.default_expires, "registrar.default_expires", 3600, 1, u64::from(u32::MAX))?;
    if min > max || default < min || default > max {
        let span = t.min_expires.as_ref().or(t.default_expires.as_ref()).or(t.max_expires.as_ref()).map_or(0..0, Spanned::span);
        return Err(Located { span, problem: Problem::ExpiresOrder { min, default, max } });
    }
    let ping = bounded(&t.options_ping_secs, "registrar.options_ping_secs", 0, 0, 86_400)?;
    Ok(RegistrarSettings {
        realm,
        min_expires: min as u32,
        max_expires: max as u32,
        default_expires: default as u32,
        max_contacts: bounded(&t.max_contacts, "registrar.max_contacts", 10, 1, 1000)? as u32,
        replace_oldest: t.replace_oldest.unwrap_or(false),
        options_ping: (ping > 0).then(|| Duration::from_secs(ping)),
        options_ping_failures: bounded(&t.options_ping_failures, "registrar.options_ping_failures", 3, 1, 100)? as u32,
        commit_timeout: Duration::from_millis(bounded(&t.commit_timeout_ms, "registrar.commit_timeout_ms", 2000, 1, 60_000)?),
    })
}

pub(super) fn validate_auth(t: AuthTable) -> Result<AuthSettings, Located> {
    let algorithms = match t.algorithms {
        Some(list) => {
            let mut out = Vec::new();
            for alg in list {
                let Some(known) = KNOWN_ALGORITHMS.iter().find(|k| k.eq_ignore_ascii_case(alg.get_ref())) else {
                    return Err(at(&alg, Problem::Unknown { what: "digest algorithm", value: alg.get_ref().clone() }));
                };
                out.push((*known).to_owned());
            }
            if out.is_empty() {
                return Err(Located { span: 0..0, problem: Problem::Empty { key: "auth.algorithms" } });
            }
            out
        }
        None => KNOWN_ALGORITHMS.iter().map(|s| (*s).to_owned()).collect(),
    };
    let challenge_methods = match t.challenge_methods {
        Some(list) => {
            let mut out = Vec::new();
            for m in list {
                if !CHALLENGEABLE.contains(&m.get_ref().as_str()) {
                    return Err(at(&m, Problem::Unknown { what: "challengeable method", value: m.get_ref().clone() }));
                }
                out.push(m.into_inner());
            }
            out
        }
        None => DEFAULT_CHALLENGE_METHODS.iter().map(|s| (*s).to_owned()).collect(),
    };
    Ok(AuthSettings {
        nonce_lifetime: Duration::from_secs(bounded(&t.nonce_lifetime_secs, "auth.nonce_lifetime_secs", 300, 1, 86_400)?),
        algorithms,
        challenge_methods,
        detailed_errors_networks: networks(t.detailed_errors_networks)?,
    })
}

pub(super) fn validate_security(t: SecurityTable) -> Result<SecuritySettings, Located> {
    let mut drop_user_agents = Vec::new();
    for ua in t.drop_user_agents.unwrap_or_default() {
        non_empty(&ua, "security.drop_user_agents")?;
        drop_user_agents.push(ua.into_inner().to_ascii_lowercase());
    }
    Ok(SecuritySettings {
        ban_after_failures: bounded(&t.ban_after_failures, "security.ban_after_failures", 5, 0, 1_000_000)? as u32,
        failure_window: Duration::from_secs(bounded(&t.failure_window_secs, "security.failure_window_secs", 60, 1, 86_400)?),
        ban: Duration::from_secs(bounded(&t.ban_secs, "security.ban_secs", 300, 1, 30 * 86_400)?),
        rate_limit_requests: bounded(&t.rate_limit_requests, "security.rate_limit_requests", 0, 0, 10_000_000)? as u32,
        rate_limit_window: Duration::from_secs(bounded(&t.rate_limit_window_secs, "security.rate_limit_window_secs", 2, 1, 3600)?),
        drop_user_agents,
        exempt_networks: networks(t.exempt_networks)?,
    })
}

pub(super) fn validate_accounts(list: Vec<AccountTable>, registrar: &RegistrarSettings) -> Result<Vec<Account>, Located> {
    let mut accounts: Vec<Account> = Vec::with_capacity(list.len());
    let mut seen = std::collections::HashSet::with_capacity(list.len());
    for a in list {
        non_empty(&a.username, "accounts.username")?;
        let username = a.username.get_ref().clone();
        if username.contains(|c: char| c.is_whitespace() || c == '@' || c == ':' || c == '"') {
            return Err(at(&a.username, Problem::Unknown { what: "username (no spaces, '@', ':' or quotes)", value: username }));
        }
        if !seen.insert(username.clone()) {
            return Err(at(&a.username, Problem::DuplicateAccount { username }));
        }
        for (ha1, len, key) in [(&a.ha1_md5, 32, "accounts.ha1_md5"), (&a.ha1_sha256, 64, "accounts.ha1_sha256")] {
            if let Some(ha1) = ha1
                && (ha1.get_ref().len() != len || !ha1.get_ref().bytes().all(|b| b.is_ascii_hexdigit()))
            {
                return Err(at(ha1, Problem::Ha1 { key, hex_digits: len }));
            }
        }
        if a.password.is_none() && a.ha1_md5.is_none() && a.ha1_sha256.is_none() {
            return Err(at(&a.username, Problem::NoCredentials { username }));
        }
        let realm = match a.realm {
            Some(realm) => {
                non_empty(&realm, "accounts.realm")?;
                realm.into_inner()
            }
            None => registrar.realm.clone(),
        };
        accounts.push(Account {
            username,
            password: a.password.map(Spanned::into_inner),
            ha1_md5: a.ha1_md5.map(|h| h.into_inner().to_ascii_lowercase()),
            ha1_sha256: a.ha1_sha256.map(|h| h.into_inner().to_ascii_lowercase()),
            realm,
            enabled: a.enabled.unwrap_or(true),
            max_contacts: bounded(&a.max_contacts, "accounts.max_contacts", u64::from(registrar.max_contacts), 1, 1000)? as u32,
            account_code: a.account_code.unwrap_or_default(),
            tariff_plan: a.tariff_plan.unwrap_or_default(),
            caller_id_name: a.caller_id_name.unwrap_or_default(),
            caller_id_number: a.caller_id_number.unwrap_or_default(),
            allowed_networks: networks(a.allowed_networks)?,
            max_calls: bounded(&a.max_calls, "accounts.max_calls", 0, 0, 1_000_000)? as u32,
            codecs: codecs(a.codecs)?,
            context: context(a.context, "accounts.context")?,
        });
    }
    Ok(accounts)
}

/// A codec list: lower-case names the SDP layer knows.
fn codecs(list: Option<Vec<Spanned<String>>>) -> Result<Vec<String>, Located> {
    let mut out = Vec::new();
    for c in list.unwrap_or_default() {
        let name = c.get_ref().to_ascii_lowercase();
        if !ringway_dialplan::tables::KNOWN_CODECS.contains(&name.as_str()) {
            return Err(at(&c, Problem::Unknown { what: "codec", value: c.get_ref().clone() }));
        }
        out.push(name);
    }
    Ok(out)
}

pub(super) fn validate_trusted(list: Vec<TrustedTable>, accounts: &[Account]) -> Result<Vec<TrustedPeer>, Located> {
    let mut peers = Vec::with_capacity(list.len());
    for t in list {
        non_empty(&t.name, "trusted.name")?;
        if t.networks.get_ref().is_empty() {
            return Err(at(&t.networks, Problem::Empty { key: "trusted.networks" }));
        }
        let nets = networks(Some(t.networks.into_inner()))?;
        if let Some(account) = &t.account
            && !accounts.iter().any(|a| &a.username == account.get_ref())
        {
            return Err(at(account, Problem::Unknown { what: "account", value: account.get_ref().clone() }));
        }
        let context = context(t.context, "trusted.context")?;
        peers.push(TrustedPeer { name: t.name.into_inner(), networks: nets, account: t.account.map(Spanned::into_inner), context });
    }
    Ok(peers)
}

/// Parses CIDR networks; a bare address is a /32 or /128.
fn networks(list: Option<Vec<Spanned<String>>>) -> Result<Vec<IpNet>, Located> {
    let mut out = Vec::new();
    for entry in list.unwrap_or_default() {
        let text = entry.get_ref().trim();
        let net = text
            .parse::<IpNet>()
            .or_else(|_| text.parse::<std::net::IpAddr>().map(IpNet::from))
            .map_err(|_| at(&entry, Problem::Unknown { what: "network (CIDR such as 10.0.0.0/8)", value: text.to_owned() }))?;
        out.push(net.trunc());
    }
    Ok(out)
}

/// A dialplan context name: not empty, no brackets or separators (as in `[context]`).
fn context(value: Option<Spanned<String>>, key: &'static str) -> Result<Option<String>, Located> {
    let Some(value) = value else { return Ok(None) };
    non_empty(&value, key)?;
    if value.get_ref().chars().any(|c| c.is_whitespace() || matches!(c, '[' | ']' | ',' | ';')) {
        let problem = Problem::Unknown { what: "dialplan context name", value: value.get_ref().clone() };
        return Err(Located { span: value.span(), problem });
    }
    Ok(Some(value.into_inner()))
}
