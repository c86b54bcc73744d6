//! The guest side of the plugin contract (cargo feature `guest`, built for a wasm32 target):
//! the `wit-bindgen` bindings of `sdk/wit/ringway.wit`, hidden behind the types of
//! [`plugin`](crate::plugin), the host's imports as plain functions ([`crate::host`]), and the
//! glue that [`export_plugin!`](crate::export_plugin) expands to.
//!
//! Nothing here is needed by the server; the feature keeps `wit-bindgen` out of native builds.

use crate::plugin::{
    Answer, Attempt, Call, Decision, Destination, Hangup, HeaderEdit, NumberCheck, Outcome, Party,
    Plugin, Target, Transport,
};
use crate::{StatusCode, StatusLine, catalog};
use std::time::Duration;

/// The generated bindings. Not part of the SDK's API: use [`crate::plugin`] and [`crate::host`].
#[doc(hidden)]
#[allow(missing_docs, clippy::all, unsafe_code)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "router",
        pub_export_macro: true,
        default_bindings_module: "ringway_sdk::guest::bindings",
        runtime_path: "ringway_sdk::guest::wit_bindgen::rt",
    });
}

#[doc(hidden)]
pub use wit_bindgen;

use bindings::ringway::plugin::types as wit;

/// Sends a panic's message to the host before the plugin traps (a fresh instance starts with
/// the standard hook, which has nowhere to write it), 32 bytes per call: see `panicked` in the
/// WIT for why it takes integers.
fn report_panics() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        for piece in message.as_bytes().chunks(32).take(32) {
            let mut bytes = [0u8; 32];
            bytes[..piece.len()].copy_from_slice(piece);
            let word = |i: usize| {
                let mut w = [0u8; 8];
                w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
                u64::from_le_bytes(w)
            };
            // At most 32 bytes: the length fits.
            let len = piece.len() as u8;
            bindings::ringway::plugin::host::panicked((word(0), word(1), word(2), word(3)), len);
        }
    }));
}

/// The glue behind `route`.
#[doc(hidden)]
pub fn route<P: Plugin>(call: wit::Call) -> wit::Decision {
    report_panics();
    P::route(&call_from(call)).into()
}

/// The glue behind `on-failure`.
#[doc(hidden)]
pub fn on_failure<P: Plugin>(call: wit::Call, attempts: Vec<wit::Attempt>) -> wit::Decision {
    report_panics();
    let attempts: Vec<Attempt> = attempts.into_iter().map(attempt_from).collect();
    P::on_failure(&call_from(call), &attempts).into()
}

/// The glue behind `on-answer`.
#[doc(hidden)]
pub fn on_answer<P: Plugin>(call: wit::Call, answer: wit::Answer) {
    report_panics();
    let answer = Answer {
        gateway: answer.gateway,
        uri: answer.uri,
        setup: Duration::from_millis(answer.setup_ms),
    };
    P::on_answer(&call_from(call), &answer);
}

/// The glue behind `on-hangup`.
#[doc(hidden)]
pub fn on_hangup<P: Plugin>(call: wit::Call, hangup: wit::Hangup) {
    report_panics();
    let hangup = Hangup {
        answered: hangup.answered,
        talk: Duration::from_millis(hangup.talk_ms),
        status: (hangup.status.code, hangup.status.reason),
        by_caller: hangup.by_caller,
    };
    P::on_hangup(&call_from(call), &hangup);
}

/// The host's number check in the SDK's terms.
pub(crate) fn number_check_from(check: wit::NumberCheck) -> NumberCheck {
    match check {
        wit::NumberCheck::NotANumber => NumberCheck::NotANumber,
        wit::NumberCheck::Invalid(n) => NumberCheck::Invalid(n),
        wit::NumberCheck::Valid(n) => NumberCheck::Valid(n),
    }
}

fn pairs(pairs: Vec<wit::Pair>) -> Vec<(String, String)> {
    pairs.into_iter().map(|p| (p.name, p.value)).collect()
}

fn party(p: wit::Party) -> Party {
    Party { number: p.number, display_name: p.display_name }
}

fn attempt_from(a: wit::Attempt) -> Attempt {
    let outcome = match a.outcome {
        wit::Outcome::Timeout => Outcome::Timeout,
        wit::Outcome::Status(line) => Outcome::Status(line.code, line.reason),
    };
    Attempt { gateway: a.gateway, uri: a.uri, outcome }
}

fn call_from(c: wit::Call) -> Call {
    Call {
        call_id: c.call_id,
        request_uri: c.request_uri,
        caller: party(c.caller),
        callee: party(c.callee),
        dialed_number: number_check_from(c.dialed),
        account: c.account,
        tariff_plan: c.tariff_plan,
        source: c.source,
        transport: c.transport.map(|t| match t {
            wit::Transport::Udp => Transport::Udp,
            wit::Transport::Tcp => Transport::Tcp,
            wit::Transport::Tls => Transport::Tls,
        }),
        headers: pairs(c.headers),
        offered_codecs: c.offered_codecs,
        variables: pairs(c.variables),
        attempts: c.attempts.into_iter().map(attempt_from).collect(),
        settings: pairs(c.settings),
    }
}

impl From<Decision> for wit::Decision {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Continue => wit::Decision::Continue,
            Decision::Reject(line) => wit::Decision::Reject(wit::StatusLine {
                code: line.code.as_u16(),
                reason: line.reason.to_owned(),
            }),
            Decision::Targets(targets) => {
                wit::Decision::Targets(targets.into_iter().map(target_to).collect())
            }
        }
    }
}

fn target_to(t: Target) -> wit::Target {
    wit::Target {
        destination: match t.destination {
            Destination::Gateway(name) => wit::Destination::Gateway(name),
            Destination::Uri(uri) => wit::Destination::Uri(uri),
        },
        number: t.number,
        caller_id: t.caller_id,
        codecs: t.codecs,
        headers: t
            .headers
            .into_iter()
            .map(|h| match h {
                HeaderEdit::Set(name, value) => wit::HeaderEdit::Set(wit::Pair { name, value }),
                HeaderEdit::Remove(name) => wit::HeaderEdit::Remove(name),
            })
            .collect(),
        ring_timeout_ms: t.ring_timeout.map(|d| u32::try_from(d.as_millis()).unwrap_or(u32::MAX)),
    }
}

fn target_from(t: wit::Target) -> Target {
    Target {
        destination: match t.destination {
            wit::Destination::Gateway(name) => Destination::Gateway(name),
            wit::Destination::Uri(uri) => Destination::Uri(uri),
        },
        number: t.number,
        caller_id: t.caller_id,
        codecs: t.codecs,
        headers: t
            .headers
            .into_iter()
            .map(|h| match h {
                wit::HeaderEdit::Set(p) => HeaderEdit::Set(p.name, p.value),
                wit::HeaderEdit::Remove(name) => HeaderEdit::Remove(name),
            })
            .collect(),
        ring_timeout: t.ring_timeout_ms.map(|ms| Duration::from_millis(ms.into())),
    }
}

/// A status line that came back from the host: the catalog's constant when it is one, else
/// the code's plain line.
fn line_from(line: wit::StatusLine) -> StatusLine {
    catalog::exact(line.code, &line.reason).unwrap_or_else(|| {
        StatusLine::plain(StatusCode::new(line.code).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR))
    })
}

pub(crate) fn decision_from(d: wit::Decision) -> Decision {
    match d {
        wit::Decision::Continue => Decision::Continue,
        wit::Decision::Reject(line) => Decision::Reject(line_from(line)),
        wit::Decision::Targets(targets) => {
            Decision::Targets(targets.into_iter().map(target_from).collect())
        }
    }
}

pub(crate) use bindings::ringway::plugin::host as imports;

/// Exports a [`Plugin`](crate::plugin::Plugin) implementation as the component's `router`
/// world. Invoke once, at the crate root of a `cdylib` built for `wasm32-unknown-unknown` (then
/// made a component, as `make plugins` does) or `wasm32-wasip2`:
///
/// ```ignore
/// struct Lcr;
/// impl ringway_sdk::plugin::Plugin for Lcr { /* ... */ }
/// ringway_sdk::export_plugin!(Lcr);
/// ```
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        #[doc(hidden)]
        struct __RingwayPluginExport;

        impl $crate::guest::bindings::Guest for __RingwayPluginExport {
            fn route(
                call: $crate::guest::bindings::Call,
            ) -> $crate::guest::bindings::Decision {
                $crate::guest::route::<$plugin>(call)
            }

            fn on_failure(
                call: $crate::guest::bindings::Call,
                attempts: ::std::vec::Vec<$crate::guest::bindings::Attempt>,
            ) -> $crate::guest::bindings::Decision {
                $crate::guest::on_failure::<$plugin>(call, attempts)
            }

            fn on_answer(
                call: $crate::guest::bindings::Call,
                answer: $crate::guest::bindings::Answer,
            ) {
                $crate::guest::on_answer::<$plugin>(call, answer)
            }

            fn on_hangup(
                call: $crate::guest::bindings::Call,
                hangup: $crate::guest::bindings::Hangup,
            ) {
                $crate::guest::on_hangup::<$plugin>(call, hangup)
            }
        }

        $crate::guest::bindings::export!(
            __RingwayPluginExport with_types_in $crate::guest::bindings
        );
    };
}
