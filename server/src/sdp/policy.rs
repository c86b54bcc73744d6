//! The codec policy at the SDP level: filter and reorder the audio `m=` line of an offer to the
//! codecs a trunk or account permits (the seed's `AudioCodec=pcma,pcmu,speex,gsm`).
//!
//! The edit is a splice of the received bytes: the format list of the audio section's `m=` line
//! is replaced, and the `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` lines of removed payload types are
//! deleted, with everything else (line ends, unknown lines, other media sections, `o=` with its
//! session version) left byte-exact. Whoever sends the result as a new version of a description
//! already sent in the dialog owns the `o=` version bump (RFC 3264 §8); the B2BUA does that.
//!
//! Not here: transcoding decisions (whether a relay can bridge two codec sets) and the answer
//! side of offer/answer.

use super::codec::intersect;
use super::SessionDescription;
use bytes::Bytes;
use std::ops::Range;

/// What the codec policy did to a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Restriction {
    /// Nothing to do: no policy (empty allowed list), no active audio section, or the audio
    /// format list is already exactly the allowed codecs in preference order. Send the
    /// description as received.
    Unchanged,
    /// The description with the audio section restricted and reordered; send this instead.
    Rewritten(Bytes),
    /// The audio section offers none of the allowed voice codecs (`488 Codec Mismatch` unless a
    /// transcoding path exists).
    NoCommonCodec,
}

impl SessionDescription {
    /// Restricts the audio section ([`Self::audio_section`]) to `allowed`, a preference-ordered
    /// list of codec names; an empty list means any codec and changes nothing.
    ///
    /// The new format list is [`intersect`]'s order: allowed voice codecs by preference, then the
    /// offered telephone-event and comfort noise payload types. Formats Ringway cannot name (a
    /// dynamic payload type without an rtpmap) are removed.
    pub fn restrict_audio(&self, allowed: &[String]) -> Restriction {
        let Some(audio) = self.audio_section() else { return Restriction::Unchanged };
        if allowed.is_empty() {
            return Restriction::Unchanged;
        }
        let kept = intersect(&audio.codecs(), allowed);
        if kept.is_empty() {
            return Restriction::NoCommonCodec;
        }
        let formats: Vec<String> = kept.iter().map(|c| c.payload_type.to_string()).collect();
        if formats == audio.formats {
            return Restriction::Unchanged;
        }
        let mut edits: Vec<(Range<usize>, Vec<u8>)> =
            vec![(audio.spans.formats.clone(), formats.join(" ").into_bytes())];
        let removed = |format: &str| !formats.iter().any(|f| f == format);
        for (format, line) in &audio.spans.format_lines {
            // A format written with leading zeros ("08") is compared by number.
            let format = format.parse::<u8>().map_or_else(|_| format.clone(), |n| n.to_string());
            if removed(&format) {
                edits.push((line.clone(), Vec::new()));
            }
        }
        Restriction::Rewritten(splice(self.as_bytes(), edits))
    }
}

/// Applies non-overlapping edits (replace this range with these bytes) to `raw`.
fn splice(raw: &[u8], mut edits: Vec<(Range<usize>, Vec<u8>)>) -> Bytes {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = Vec::with_capacity(raw.len());
    let mut at = 0;
    for (range, replacement) in edits {
        out.extend_from_slice(&raw[at..range.start]);
        out.extend_from_slice(&replacement);
        at = range.end;
    }
    out.extend_from_slice(&raw[at..]);
    Bytes::from(out)
}
