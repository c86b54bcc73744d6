//! The one call the B2BUA makes when a body with SDP crosses it (INVITE, re-INVITE, UPDATE, or a
//! 183/200 carrying the answer): [`check_offer`] reads it, applies the codec policy and the
//! private-address rule, and says what to forward or how to refuse.

use super::{Restriction, SdpError, SessionDescription, codec_names, intersect};
use bytes::Bytes;
use ringway_sdk::StatusCode;
use ringway_sdk::catalog::{self, StatusLine};
use std::net::IpAddr;

/// The verdict on a description crossing the B2BUA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfferCheck {
    /// Forward it.
    Ok {
        /// The rewritten description to send instead, or `None` to pass the received one
        /// unchanged.
        body: Option<Bytes>,
        /// The voice codec names the forwarded audio section carries, in its order
        /// ([`codec_names`]); with no policy, every nameable voice codec offered.
        codecs: Vec<String>,
    },
    /// No active audio stream (none at all, all ports 0, or video only).
    NoMedia,
    /// The audio section offers no allowed voice codec.
    NoCommonCodec,
    /// Media would go to this private address and is not relayed.
    PrivateAddress(IpAddr),
    /// The body is not a session description Ringway can read.
    Malformed(SdpError),
}

impl OfferCheck {
    /// The status line the B2BUA refuses with, or `None` for [`OfferCheck::Ok`].
    ///
    /// | verdict | status |
    /// |---|---|
    /// | `NoMedia` | `415 No Media` |
    /// | `NoCommonCodec` | `488 Codec Mismatch` |
    /// | `PrivateAddress` | `488 Private IP Address` |
    /// | `Malformed` | `488 Not Acceptable Here` |
    ///
    /// A malformed description gets 488 rather than 400: the SIP message itself parsed and
    /// passed validation, and RFC 3261 §21.4.26 makes 488 the answer to a session description
    /// that cannot be accepted; a UA seeing it retries with another offer, not another request
    /// syntax. (The transaction layer already answered 415/406 for bodies that are not SDP.)
    /// `NoCommonCodec` is only final when no transcoding path exists; the B2BUA decides that.
    pub fn rejection(&self) -> Option<StatusLine> {
        match self {
            OfferCheck::Ok { .. } => None,
            OfferCheck::NoMedia => Some(catalog::NO_MEDIA_415),
            OfferCheck::NoCommonCodec => Some(catalog::CODEC_MISMATCH_488),
            OfferCheck::PrivateAddress(_) => Some(catalog::PRIVATE_IP_ADDRESS_488),
            OfferCheck::Malformed(_) => Some(StatusLine {
                code: StatusCode::NOT_ACCEPTABLE_HERE,
                reason: "Not Acceptable Here",
            }),
        }
    }
}

/// Checks a description crossing the B2BUA, in this order: it parses (else
/// [`OfferCheck::Malformed`]), it has an active audio stream (else [`OfferCheck::NoMedia`]), its
/// audio shares a voice codec with `allowed` (else [`OfferCheck::NoCommonCodec`]; an empty
/// `allowed` permits any codec), and, when `relay_media` is false, no active media section points
/// at a private address (else [`OfferCheck::PrivateAddress`] with the first such address; see
/// [`super::is_private`]). With `relay_media` true the relay latches onto where RTP really comes
/// from, so the address is not checked.
///
/// On success the body is rewritten only when the codec policy removed or reordered formats
/// ([`SessionDescription::restrict_audio`]).
pub fn check_offer(body: &[u8], allowed: &[String], relay_media: bool) -> OfferCheck {
    let description = match SessionDescription::parse(body) {
        Ok(description) => description,
        Err(error) => return OfferCheck::Malformed(error),
    };
    if !description.has_audio() {
        return OfferCheck::NoMedia;
    }
    let body = match description.restrict_audio(allowed) {
        Restriction::NoCommonCodec => return OfferCheck::NoCommonCodec,
        Restriction::Unchanged => None,
        Restriction::Rewritten(bytes) => Some(bytes),
    };
    if !relay_media && let Some(ip) = description.private_media_address() {
        return OfferCheck::PrivateAddress(ip);
    }
    let codecs = codec_names(&intersect(&description.audio_codecs(), allowed));
    OfferCheck::Ok { body, codecs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::fixtures::{self, allowed};

    fn check(text: &str, list: &str, relay_media: bool) -> OfferCheck {
        check_offer(text.as_bytes(), &allowed(list), relay_media)
    }

    #[test]
    fn sipp_offer_passes_unchanged_without_a_policy() {
        let expected = OfferCheck::Ok { body: None, codecs: vec!["pcmu".into()] };
        assert_eq!(check(fixtures::SIPP, "", false), expected);
        assert_eq!(check(fixtures::SIPP, "pcmu", false), expected);
    }

    #[test]
    fn softphone_offer_is_rewritten_to_the_allowed_codecs() {
        let OfferCheck::Ok { body: Some(body), codecs } =
            check(fixtures::SOFTPHONE, "pcma,pcmu,speex,gsm", false)
        else {
            panic!("expected a rewritten offer");
        };
        assert_eq!(codecs, ["pcma", "pcmu"]);
        let restricted = SessionDescription::parse(&body).unwrap();
        assert_eq!(restricted.media()[0].formats, ["8", "0", "101"]);
    }

    #[test]
    fn no_policy_reports_every_offered_voice_codec_in_offer_order() {
        let OfferCheck::Ok { body: None, codecs } = check(fixtures::SOFTPHONE, "", false) else {
            panic!("expected the offer unchanged");
        };
        assert_eq!(codecs, ["opus", "pcma", "pcmu", "g722"]);
    }

    #[test]
    fn offers_without_active_audio_are_no_media() {
        assert_eq!(check(fixtures::VIDEO_ONLY, "", false), OfferCheck::NoMedia);
        assert_eq!(check(fixtures::AUDIO_PORT_0, "pcmu", false), OfferCheck::NoMedia);
    }

    #[test]
    fn codec_mismatch_is_reported_before_a_private_address() {
        assert_eq!(check(fixtures::PRIVATE, "g729", false), OfferCheck::NoCommonCodec);
        assert_eq!(check(fixtures::SIPP, "opus", true), OfferCheck::NoCommonCodec);
    }

    #[test]
    fn private_media_address_is_refused_only_when_media_is_not_relayed() {
        let private = "192.168.1.20".parse().unwrap();
        assert_eq!(check(fixtures::PRIVATE, "pcma", false), OfferCheck::PrivateAddress(private));
        let ipv6 = "fd12:3456:789a::20".parse().unwrap();
        assert_eq!(check(fixtures::IPV6, "", false), OfferCheck::PrivateAddress(ipv6));
        assert!(matches!(check(fixtures::PRIVATE, "pcma", true), OfferCheck::Ok { .. }));
    }

    #[test]
    fn loopback_and_hold_offers_are_accepted_with_relay_off() {
        assert!(matches!(check(fixtures::SIPP, "", false), OfferCheck::Ok { .. }));
        let OfferCheck::Ok { body: None, codecs } = check(fixtures::HOLD, "pcma,pcmu", false)
        else {
            panic!("hold must pass unchanged");
        };
        assert_eq!(codecs, ["pcma"]);
    }

    #[test]
    fn malformed_description_is_reported_before_anything_else() {
        let outcome = check_offer(b"v=0\r\nm=audio x RTP/AVP 0\r\n", &[], false);
        assert_eq!(outcome, OfferCheck::Malformed(SdpError::BadMedia { line: 2 }));
        assert_eq!(check_offer(b"", &[], true), OfferCheck::Malformed(SdpError::Empty));
    }

    #[test]
    fn each_refusal_maps_to_exactly_one_status_line() {
        let line = |check: OfferCheck| check.rejection().map(|l| l.to_string());
        assert_eq!(line(OfferCheck::Ok { body: None, codecs: Vec::new() }), None);
        assert_eq!(line(OfferCheck::NoMedia).unwrap(), "415 No Media");
        assert_eq!(line(OfferCheck::NoCommonCodec).unwrap(), "488 Codec Mismatch");
        let private = OfferCheck::PrivateAddress("10.0.0.1".parse().unwrap());
        assert_eq!(line(private).unwrap(), "488 Private IP Address");
        let malformed = OfferCheck::Malformed(SdpError::MissingVersion);
        assert_eq!(line(malformed).unwrap(), "488 Not Acceptable Here");
    }
}
