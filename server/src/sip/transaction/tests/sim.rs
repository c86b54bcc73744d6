//! A deterministic two-party simulator: a UAC-side and a UAS-side [`TransactionLayer`] joined by
//! a fake network that can drop, duplicate or delay (reorder) any message, driven by a fake clock
//! that jumps to the next deadline. Every message crosses the network as bytes: `to_bytes()` on
//! the way out, `parse_datagram` on the way in. Delivery is instant unless a message is delayed.

use super::super::{
    ClientTransactionId, Event, ServerTransactionId, TimerConfig, TransactionLayer,
};
use crate::sip::message::{HeaderName, Message, Method, Request, Response, parse_datagram};
use crate::sip::{Flow, Transport};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Which party.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Uac,
    Uas,
}

/// A message a layer handed to the network.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    /// Virtual time since the start.
    pub(crate) at: Duration,
    pub(crate) from: Side,
    /// The start line.
    pub(crate) line: String,
    pub(crate) retransmission: bool,
    pub(crate) payload: Bytes,
}

/// What the network does with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    Deliver,
    Drop,
    Duplicate,
    Delay(Duration),
}

type Filter = Box<dyn FnMut(&Sent) -> Fate>;

pub(crate) struct Sim {
    pub(crate) start: Instant,
    pub(crate) now: Instant,
    pub(crate) uac: TransactionLayer,
    pub(crate) uas: TransactionLayer,
    pub(crate) transport: Transport,
    pub(crate) sent: Vec<Sent>,
    pub(crate) uac_events: Vec<(Duration, Event)>,
    pub(crate) uas_events: Vec<(Duration, Event)>,
    in_flight: Vec<(Instant, u64, Side, Bytes)>,
    next_seq: u64,
    filter: Filter,
}

pub(crate) const UAC_ADDR: &str = "192.0.2.10:5060";
pub(crate) const UAS_ADDR: &str = "192.0.2.20:5060";

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

impl Sim {
    pub(crate) fn new(transport: Transport) -> Sim {
        Sim::with_config(transport, TimerConfig::default())
    }

    pub(crate) fn with_config(transport: Transport, config: TimerConfig) -> Sim {
        #[allow(clippy::disallowed_methods)] // the fake clock needs an origin; only offsets matter
        let start = Instant::now();
        Sim {
            start,
            now: start,
            uac: TransactionLayer::new(config),
            uas: TransactionLayer::new(config),
            transport,
            sent: Vec::new(),
            uac_events: Vec::new(),
            uas_events: Vec::new(),
            in_flight: Vec::new(),
            next_seq: 0,
            filter: Box::new(|_| Fate::Deliver),
        }
    }

    /// Decides the fate of every message from now on.
    pub(crate) fn network(&mut self, filter: impl FnMut(&Sent) -> Fate + 'static) {
        self.filter = Box::new(filter);
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// How the UAC reaches the UAS.
    pub(crate) fn uac_flow(&self) -> Flow {
        Flow { transport: self.transport, local: addr(UAC_ADDR), remote: addr(UAS_ADDR) }
    }

    /// How the UAS reaches the UAC.
    pub(crate) fn uas_flow(&self) -> Flow {
        Flow { transport: self.transport, local: addr(UAS_ADDR), remote: addr(UAC_ADDR) }
    }

    /// A request from the UAC's TU, with `branch` on its Via.
    pub(crate) fn request(&self, method: Method, branch: &str) -> Request {
        request(method, branch, self.transport)
    }

    /// The UAC's TU sends a request; the network carries what follows at this instant.
    pub(crate) fn send(&mut self, request: Request) -> ClientTransactionId {
        let tx = self.uac.send_request(self.now, request, self.uac_flow()).expect("request accepted");
        self.settle();
        tx
    }

    /// Every request the UAS's TU was given.
    pub(crate) fn uas_requests(&self) -> Vec<(ServerTransactionId, Request)> {
        self.uas_events
            .iter()
            .filter_map(|(_, e)| match e {
                Event::Request { tx, request, .. } => Some((*tx, request.clone())),
                _ => None,
            })
            .collect()
    }

    /// The UAS's TU answers its only (or latest) request with `code`, a To tag on anything but 100.
    pub(crate) fn answer(&mut self, code: u16) -> Result<(), super::super::RespondError> {
        let (tx, request) = self.uas_requests().pop().expect("a request reached the UAS");
        self.answer_tx(tx, &request, code)
    }

    pub(crate) fn answer_tx(&mut self, tx: ServerTransactionId, request: &Request, code: u16) -> Result<(), super::super::RespondError> {
        let response = response_to(request, code);
        let result = self.uas.respond(self.now, tx, response);
        self.settle();
        result
    }

    /// Start lines sent by `from` beginning with `prefix`, as milliseconds since the start.
    pub(crate) fn times(&self, from: Side, prefix: &str) -> Vec<u64> {
        self.sent.iter().filter(|s| s.from == from && s.line.starts_with(prefix)).map(|s| s.at.as_millis() as u64).collect()
    }

    /// Runs the clock to `t` after the start, firing every timer and delivery on the way.
    pub(crate) fn run_until(&mut self, t: Duration) {
        let end = self.start + t;
        self.settle();
        while let Some(at) = self.next_deadline().filter(|at| *at <= end) {
            self.now = self.now.max(at);
            self.uac.handle_timeout(self.now);
            self.uas.handle_timeout(self.now);
            self.settle();
        }
        self.now = self.now.max(end);
        self.settle();
    }

    fn next_deadline(&self) -> Option<Instant> {
        let flight = self.in_flight.iter().map(|f| f.0).min();
        [self.uac.poll_timeout(), self.uas.poll_timeout(), flight].into_iter().flatten().min()
    }

    /// Moves every output of both layers and every due delivery until nothing happens at `now`.
    pub(crate) fn settle(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(t) = self.uac.poll_transmit() {
                assert_eq!(t.flow, self.uac_flow(), "the UAC sends to the UAS");
                self.put_on_wire(Side::Uac, t.payload, t.retransmission);
                progressed = true;
            }
            while let Some(t) = self.uas.poll_transmit() {
                assert_eq!(t.flow, self.uas_flow(), "the UAS answers the UAC");
                self.put_on_wire(Side::Uas, t.payload, t.retransmission);
                progressed = true;
            }
            let at = self.elapsed();
            while let Some(e) = self.uac.poll_event() {
                self.uac_events.push((at, e));
            }
            while let Some(e) = self.uas.poll_event() {
                self.uas_events.push((at, e));
            }
            self.in_flight.sort_by_key(|f| (f.0, f.1));
            let due = self.in_flight.iter().take_while(|f| f.0 <= self.now).count();
            let arriving: Vec<_> = self.in_flight.drain(..due).collect();
            for (_, _, to, payload) in arriving {
                self.deliver(to, payload);
                progressed = true;
            }
            if !progressed {
                break;
            }
        }
    }

    fn put_on_wire(&mut self, from: Side, payload: Bytes, retransmission: bool) {
        let line = String::from_utf8_lossy(payload.split(|&b| b == b'\r').next().unwrap_or_default()).into_owned();
        let sent = Sent { at: self.elapsed(), from, line, retransmission, payload: payload.clone() };
        let fate = (self.filter)(&sent);
        self.sent.push(sent);
        let to = if from == Side::Uac { Side::Uas } else { Side::Uac };
        let copies = match fate {
            Fate::Deliver => vec![self.now],
            Fate::Drop => vec![],
            Fate::Duplicate => vec![self.now, self.now],
            Fate::Delay(d) => vec![self.now + d],
        };
        for at in copies {
            self.next_seq += 1;
            self.in_flight.push((at, self.next_seq, to, payload.clone()));
        }
    }

    fn deliver(&mut self, to: Side, payload: Bytes) {
        let message = parse_datagram(payload).expect("the layer's output parses");
        let now = self.now;
        match (to, message) {
            (Side::Uas, Message::Request(r)) => {
                let flow = self.uas_flow();
                self.uas.handle_request(now, r, flow, flow);
            }
            (Side::Uas, Message::Response(r)) => {
                let flow = self.uas_flow();
                self.uas.handle_response(now, r, flow);
            }
            (Side::Uac, Message::Request(r)) => {
                let flow = self.uac_flow();
                self.uac.handle_request(now, r, flow, flow);
            }
            (Side::Uac, Message::Response(r)) => {
                let flow = self.uac_flow();
                self.uac.handle_response(now, r, flow);
            }
        }
    }
}

pub(crate) fn addr(s: &str) -> SocketAddr {
    s.parse().expect("literal address")
}

/// A request as a UA would send it, top Via branch `branch`.
pub(crate) fn request(method: Method, branch: &str, transport: Transport) -> Request {
    let mut r = Request::new(method.clone(), "sip:bob@192.0.2.20");
    r.headers.push(HeaderName::Via, format!("SIP/2.0/{} {UAC_ADDR};branch={branch}", transport.via_name()));
    r.headers.push(HeaderName::MaxForwards, "70");
    r.headers.push(HeaderName::From, "\"Alice\" <sip:alice@example.com>;tag=a1");
    r.headers.push(HeaderName::To, "<sip:bob@example.com>");
    r.headers.push(HeaderName::CallId, format!("{branch}@192.0.2.10"));
    r.headers.push(HeaderName::CSeq, format!("1 {method}"));
    if method == Method::Invite {
        r.headers.push(HeaderName::Contact, format!("<sip:alice@{UAC_ADDR}>"));
    }
    r
}

/// A response as the UAS's TU builds it: a To tag on anything but 100.
pub(crate) fn response_to(request: &Request, code: u16) -> Response {
    let mut response = Response::to_request(&request.headers, StatusCode::new(code).expect("valid code"), None);
    if code > 100 {
        crate::sip::ident::ensure_to_tag(&mut response, &crate::sip::ident::tag_for_request(&request.headers));
    }
    response
}

/// The kinds of events, for compact assertions: `(ms, "Response 486")`, `(ms, "Timeout")`…
pub(crate) fn kinds(events: &[(Duration, Event)]) -> Vec<(u64, String)> {
    events
        .iter()
        .map(|(at, e)| {
            let kind = match e {
                Event::Request { request, .. } => format!("Request {}", request.method),
                Event::Ack { .. } => "Ack".to_owned(),
                Event::Cancelled { .. } => "Cancelled".to_owned(),
                Event::Response { response, .. } => format!("Response {}", response.status),
                Event::Timeout { .. } => "Timeout".to_owned(),
                Event::TransportError { .. } => "TransportError".to_owned(),
                Event::ServerTerminated { .. } => "ServerTerminated".to_owned(),
                Event::ClientTerminated { .. } => "ClientTerminated".to_owned(),
            };
            (at.as_millis() as u64, kind)
        })
        .collect()
}

/// Shorthand for expected event lists.
pub(crate) fn ev(list: &[(u64, &str)]) -> Vec<(u64, String)> {
    list.iter().map(|(t, k)| (*t, (*k).to_owned())).collect()
}
