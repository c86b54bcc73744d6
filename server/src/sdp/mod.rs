//! SDP (RFC 8866, formerly RFC 4566) as the B2BUA needs it: reading offers and answers, naming
//! their audio codecs, applying the codec policy, and finding the media addresses. Pure: no I/O,
//! no clock.
//!
//! - [`parse`](mod@parse): [`SessionDescription::parse`], tolerant of LF line ends, trailing
//!   whitespace and unknown lines, and byte-exact on the way out
//!   ([`SessionDescription::to_bytes`]).
//! - [`codec`]: [`Codec`], payload types resolved by rtpmap or RFC 3551's static table,
//!   [`intersect`] and [`codec_names`].
//! - [`policy`]: [`SessionDescription::restrict_audio`], the audio `m=` line filtered to and
//!   ordered by a preference list, telephone-event (RFC 4733) and comfort noise kept.
//! - [`address`]: [`SessionDescription::media_addresses`] and [`is_private`] (RFC 1918, fc00::/7).
//! - [`offer`]: [`check_offer`], the B2BUA's one call, and the status each refusal maps to
//!   ([`OfferCheck::rejection`]).
//!
//! Deliberately not here: the offer/answer state machine of RFC 3264 (which description answers
//! which, `o=` version bumps), building answers, media relay port rewriting, ICE, crypto
//! attributes, and codec policy on any stream but the first active audio one.

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
