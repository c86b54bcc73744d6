//! SDP (RFC 8866, formerly RFC 4566) as the B2BUA needs it: reading offers and answers, naming
//! their audio codecs, applying the codec policy, and finding the media addresses. Pure: no I/O,
//! no clock.
//!
//! - [`parse`][parse]: [`SessionDescription::parse`][parse-fn], tolerant of LF line ends,
//!   trailing whitespace and unknown lines, and byte-exact on the way out ([`to_bytes`][bytes]).
//! - [`codec`][codec]: [`Codec`][Codec], payload types resolved by rtpmap or RFC 3551's static
//!   table, [`intersect`][intersect] and [`codec_names`][names].
//! - [`policy`][policy]: [`restrict_audio`][restrict], the audio `m=` line filtered to and
//!   ordered by a preference list, telephone-event (RFC 4733) and comfort noise kept.
//! - [`address`][address]: [`media_addresses`][addresses] and [`is_private`][private]
//!   (RFC 1918, fc00::/7).
//! - [`offer`][offer]: [`check_offer`][check], the B2BUA's one call, and the status each refusal
//!   maps to ([`OfferCheck::rejection`][rejection]).
//!
//! Deliberately not here: the offer/answer state machine of RFC 3264 (which description answers
//! which, `o=` version bumps), building answers, media relay port rewriting, ICE, crypto
//! attributes, and codec policy on any stream but the first active audio one.
//!
//! (The links spell `crate::sdp::` because this module also has an outer doc line in `lib.rs`, and
//! rustdoc resolves the merged docs from there.)
//!
//! [parse]: crate::sdp::parse
//! [parse-fn]: crate::sdp::SessionDescription::parse
//! [bytes]: crate::sdp::SessionDescription::to_bytes
//! [codec]: crate::sdp::codec
//! [Codec]: crate::sdp::Codec
//! [intersect]: crate::sdp::intersect
//! [names]: crate::sdp::codec_names
//! [policy]: crate::sdp::policy
//! [restrict]: crate::sdp::SessionDescription::restrict_audio
//! [address]: crate::sdp::address
//! [addresses]: crate::sdp::SessionDescription::media_addresses
//! [private]: crate::sdp::is_private
//! [offer]: crate::sdp::offer
//! [check]: crate::sdp::check_offer
//! [rejection]: crate::sdp::OfferCheck::rejection

pub mod address;
pub mod codec;
mod error;
#[cfg(test)]
mod fixtures;
pub mod offer;
pub mod parse;
pub mod policy;

pub use address::is_private;
pub use codec::{Codec, canonical_name, codec_names, intersect};
pub use error::SdpError;
pub use offer::{OfferCheck, check_offer};
pub use parse::{
    Connection, ConnectionAddress, Direction, Fmtp, MediaDescription, Origin, RtpMap,
    SessionDescription, Timing,
};
pub use policy::Restriction;
