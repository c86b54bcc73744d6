//! The call's media decisions at the SDP level (DESIGN.md's table): what the caller offered,
//! what each target may be offered, and which status line a failed call gets.
//!
//! Media is not relayed yet (the media issue adds the relay and transcoding); so an offer whose
//! media address is private cannot reach a gateway, and no codec can be translated. The seam for
//! the relay: [`offer_for`] is where a relayed call would substitute the relay's address and add
//! transcodable codecs.

use super::build::Verdict;
use super::call::{AttemptOutcome, Leg, Target};
use crate::sdp::{Restriction, SessionDescription};
use crate::sip::message::{HeaderName, Request};
use bytes::Bytes;
use ringway_sdk::{StatusCode, StatusLine, catalog};

/// An offer that does not parse is an unacceptable session description (RFC 3261 §21.4.26).
const BAD_SDP: StatusLine = StatusLine { code: StatusCode::NOT_ACCEPTABLE_HERE, reason: "Not Acceptable Here" };

fn is_sdp(request: &Request) -> bool {
    request
        .headers
        .get(&HeaderName::ContentType)
        .is_some_and(|ct| String::from_utf8_lossy(ct).trim().to_ascii_lowercase().starts_with("application/sdp"))
}

/// The caller's offer, read once per call: the description (`None` without an SDP offer: a late
/// offer, or a body of another type the core already let through) and its audio codec names.
pub struct Offer {
    /// The parsed offer.
    pub sdp: Option<SessionDescription>,
    /// Audio codec names in offer order.
    pub codecs: Vec<String>,
}

/// Reads the caller's offer, or the line that refuses it: no audio → `415 No Media`,
/// unreadable → `488 Not Acceptable Here`.
pub fn read_offer(invite: &Request) -> Result<Offer, StatusLine> {
    if invite.body.is_empty() || !is_sdp(invite) {
        return Ok(Offer { sdp: None, codecs: Vec::new() });
    }
    let sdp = SessionDescription::parse_bytes(invite.body.clone()).map_err(|_| BAD_SDP)?;
    if !sdp.has_audio() {
        return Err(catalog::NO_MEDIA_415);
    }
    let codecs = crate::sdp::codec_names(&sdp.audio_codecs());
    Ok(Offer { sdp: Some(sdp), codecs })
}

/// Checks that need the targets: media from a private address cannot reach a gateway without
/// the relay → `488 Private IP Address`.
pub fn precheck(offer: Option<&SessionDescription>, targets: &[Target]) -> Option<StatusLine> {
    let sdp = offer?;
    if !targets.iter().any(|t| t.gateway.is_some()) {
        return None;
    }
    sdp.private_media_address().map(|_| catalog::PRIVATE_IP_ADDRESS_488)
}

/// The body to offer a target: the caller's offer restricted to the target's codecs (`None` for
/// a late offer), or [`AttemptOutcome::CodecRefused`] when they share none. A body that is not
/// SDP passes as it is.
pub fn offer_for(body: &Bytes, offer: Option<&SessionDescription>, codecs: &[String]) -> Result<Option<Bytes>, AttemptOutcome> {
    if body.is_empty() {
        return Ok(None);
    }
    let Some(sdp) = offer else { return Ok(Some(body.clone())) };
    match sdp.restrict_audio(codecs) {
        Restriction::Unchanged => Ok(Some(body.clone())),
        Restriction::Rewritten(rewritten) => Ok(Some(rewritten)),
        Restriction::NoCommonCodec => Err(AttemptOutcome::CodecRefused),
    }
}

/// The caller's answer when every attempt is over and none answered; `decisive` is the attempt
/// whose non-failover answer ended a sequential plan.
pub fn verdict(legs: &[Leg], parallel: bool, decisive: Option<usize>) -> (Verdict, Option<Bytes>) {
    let outcomes: Vec<&AttemptOutcome> = legs.iter().filter_map(|l| l.outcome.as_ref()).collect();
    let codec = |o: &&AttemptOutcome| matches!(o, AttemptOutcome::CodecRefused | AttemptOutcome::Failed { status: 488 | 415 | 406, .. });
    if !outcomes.is_empty() && outcomes.iter().all(|o| matches!(o, AttemptOutcome::CodecRefused)) {
        return (Verdict::Line(catalog::CODEC_MISMATCH_488), None);
    }
    if !outcomes.is_empty() && outcomes.iter().all(codec) {
        return (Verdict::Line(catalog::CODEC_MISMATCH_480), None);
    }
    let passed = |o: &AttemptOutcome| match o {
        AttemptOutcome::Failed { status, reason, reason_header } => Some((
            Verdict::Passed {
                status: StatusCode::new(*status).unwrap_or(StatusCode::SERVER_INTERNAL_ERROR),
                reason: String::from_utf8_lossy(reason).into_owned(),
            },
            reason_header.clone(),
        )),
        AttemptOutcome::NoAnswer => Some((Verdict::Line(catalog::TEMPORARILY_UNAVAILABLE_480), None)),
        AttemptOutcome::Cancelled => Some((Verdict::Line(catalog::REQUEST_TERMINATED_487), None)),
        _ => None,
    };
    if !parallel {
        if let Some(found) = decisive.and_then(|i| legs.get(i)).and_then(|l| l.outcome.as_ref()).and_then(passed) {
            return found;
        }
        return (Verdict::Line(catalog::OUT_OF_LOOK_AHEAD_RETRIES_403), None);
    }
    // Forked to registered contacts: the best answer of RFC 3261 §16.7 — a 6xx, else a busy,
    // else the lowest failure; nobody answering at all is "temporarily unavailable".
    let failed = |pred: &dyn Fn(u16) -> bool| {
        outcomes.iter().find(|o| matches!(o, AttemptOutcome::Failed { status, .. } if pred(*status))).and_then(|o| passed(o))
    };
    failed(&|s| s >= 600)
        .or_else(|| failed(&|s| s == 486))
        .or_else(|| {
            let mut fails: Vec<&&AttemptOutcome> = outcomes.iter().filter(|o| matches!(o, AttemptOutcome::Failed { .. })).collect();
            fails.sort_by_key(|o| match o {
                AttemptOutcome::Failed { status, .. } => *status,
                _ => 0,
            });
            fails.first().and_then(|o| passed(o))
        })
        .unwrap_or((Verdict::Line(catalog::TEMPORARILY_UNAVAILABLE_480), None))
}

/// An attempt as routers see it (the `on-failure` history).
pub fn attempt_of(leg: &Leg) -> ringway_dialplan::Attempt {
    let (outcome, reason) = match &leg.outcome {
        Some(AttemptOutcome::Failed { status, reason, .. }) => {
            (ringway_dialplan::Outcome::Status(*status), Some(String::from_utf8_lossy(reason).into_owned()))
        }
        Some(AttemptOutcome::CodecRefused) => (ringway_dialplan::Outcome::Status(488), Some("Codec Mismatch".to_owned())),
        Some(AttemptOutcome::Cancelled) => (ringway_dialplan::Outcome::Status(487), None),
        Some(AttemptOutcome::NoAnswer) => (ringway_dialplan::Outcome::Status(480), None),
        Some(AttemptOutcome::Answered) => (ringway_dialplan::Outcome::Status(200), None),
        Some(AttemptOutcome::Timeout) | None => (ringway_dialplan::Outcome::Timeout, None),
    };
    ringway_dialplan::Attempt { gateway: leg.target.gateway.clone(), uri: leg.target.uri.clone(), outcome, reason }
}
