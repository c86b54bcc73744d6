//! The one call the B2BUA makes when a body with SDP crosses it (INVITE, re-INVITE, UPDATE, or a
//! 183/200 carrying the answer): [`check_offer`] reads it, applies the codec policy and the
//! private-address rule, and says what to forward or how to refuse.

use super::{SdpError, SessionDescription, codec_names, intersect, Restriction};
use bytes::Bytes;
use ringway_sdk::catalog::{self, StatusLine};
use ringway_sdk::StatusCode;
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
