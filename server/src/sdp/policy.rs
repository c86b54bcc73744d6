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

use super::SessionDescription;
use super::codec::intersect;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::Codec;
    use crate::sdp::fixtures::{self, Cases, allowed};

    fn sdp(text: &str) -> SessionDescription {
        SessionDescription::parse(text.as_bytes()).unwrap()
    }

    fn rewritten(text: &str, list: &str) -> String {
        match sdp(text).restrict_audio(&allowed(list)) {
            Restriction::Rewritten(bytes) => String::from_utf8(bytes.to_vec()).unwrap(),
            other => panic!("expected a rewrite, got {other:?}"),
        }
    }

    #[test]
    fn softphone_offer_is_restricted_to_the_seed_list_in_its_order_with_telephone_event_kept() {
        let out = rewritten(fixtures::SOFTPHONE, "pcma,pcmu,speex,gsm");
        let expected = fixtures::SOFTPHONE
            .replace("RTP/AVP 111 8 0 9 101", "RTP/AVP 8 0 101")
            .replace("a=rtpmap:111 opus/48000/2\r\n", "")
            .replace("a=fmtp:111 minptime=10;useinbandfec=1\r\n", "")
            .replace("a=rtcp-fb:111 transport-cc\r\n", "")
            .replace("a=rtpmap:9 G722/8000\r\n", "");
        assert_eq!(out, expected);
        let again = sdp(&out);
        assert_eq!(again.origin(), sdp(fixtures::SOFTPHONE).origin(), "o= is left alone");
        assert_eq!(again.media()[0].fmtp("101"), Some("0-16"));
    }

    #[test]
    fn preference_order_wins_over_offer_order() {
        let out = rewritten(fixtures::SOFTPHONE, "g722,opus");
        assert!(out.contains("m=audio 7078 RTP/AVP 9 111 101\r\n"), "{out}");
        assert!(out.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
        assert!(!out.contains("PCMA") && !out.contains("PCMU"));
    }

    #[test]
    fn reordering_alone_is_a_rewrite() {
        let out = rewritten(fixtures::PRIVATE, "pcmu,pcma");
        let expected = fixtures::PRIVATE.replace("RTP/AVP 8 0 13 101", "RTP/AVP 0 8 13 101");
        assert_eq!(out, expected);
    }

    #[test]
    fn comfort_noise_is_kept_when_offered_per_rfc3389() {
        let out = rewritten(fixtures::PRIVATE, "pcma");
        assert!(out.contains("m=audio 16384 RTP/AVP 8 13 101\r\n"), "{out}");
        assert!(out.contains("a=fmtp:101 0-15\r\n"));
    }

    #[test]
    fn other_media_sections_are_untouched() {
        let out = rewritten(fixtures::AUDIO_VIDEO, "speex");
        let video_at = fixtures::AUDIO_VIDEO.find("m=video").unwrap();
        assert!(out.ends_with(&fixtures::AUDIO_VIDEO[video_at..]));
        assert!(out.contains("m=audio 49170 RTP/AVP 97 13\r\na=rtpmap:97 speex/16000\r\n"));
    }

    #[test]
    fn lf_line_ends_and_unknown_lines_survive_a_rewrite() {
        let out = rewritten(fixtures::LF_ONLY, "pcma,gsm");
        let expected = fixtures::LF_ONLY
            .replace("RTP/AVP 3 8 18", "RTP/AVP 8 3")
            .replace("a=rtpmap:18 G729/8000\n", "")
            .replace("a=fmtp:18 annexb=no\n", "");
        assert_eq!(out, expected);
    }

    #[test]
    fn nothing_to_remove_or_reorder_leaves_the_description_unchanged() {
        assert_eq!(
            sdp(fixtures::SIPP).restrict_audio(&allowed("pcmu,pcma")),
            Restriction::Unchanged
        );
        assert_eq!(sdp(fixtures::HOLD).restrict_audio(&allowed("pcma")), Restriction::Unchanged);
    }

    #[test]
    fn an_empty_allowed_list_means_any_codec() {
        for text in fixtures::ALL {
            assert_eq!(sdp(text).restrict_audio(&[]), Restriction::Unchanged);
        }
    }

    #[test]
    fn no_allowed_voice_codec_is_no_common_codec() {
        let restriction = sdp(fixtures::SIPP).restrict_audio(&allowed("pcma,gsm"));
        assert_eq!(restriction, Restriction::NoCommonCodec);
        let restriction = sdp(fixtures::HOLD).restrict_audio(&allowed("telephone-event"));
        assert_eq!(restriction, Restriction::NoCommonCodec);
    }

    #[test]
    fn descriptions_without_active_audio_have_nothing_to_restrict() {
        assert_eq!(
            sdp(fixtures::VIDEO_ONLY).restrict_audio(&allowed("pcma")),
            Restriction::Unchanged
        );
        let port_0 = sdp(fixtures::AUDIO_PORT_0);
        assert_eq!(port_0.restrict_audio(&allowed("pcma")), Restriction::Unchanged);
    }

    #[test]
    fn unnamed_dynamic_payload_types_and_orphan_rtpmaps_are_removed() {
        let text =
            "v=0\r\nm=audio 4000 RTP/AVP 96 0\r\na=fmtp:96 mode=30\r\na=rtpmap:98 iLBC/8000\r\n";
        assert_eq!(rewritten(text, "pcmu,ilbc"), "v=0\r\nm=audio 4000 RTP/AVP 0\r\n");
    }

    /// Properties over every fixture and random preference lists: a rewrite parses, offers exactly
    /// the allowed voice codecs in preference order followed by the offered telephone-event and
    /// comfort noise, keeps every line not bound to a removed payload type, and restricting it
    /// again changes nothing.
    #[test]
    fn restriction_keeps_telephone_event_orders_by_preference_and_is_idempotent() {
        const NAMES: &[&str] = &["pcma", "pcmu", "speex", "gsm", "g722", "opus", "g729", "ilbc"];
        let mut cases = Cases::new(7);
        for _ in 0..400 {
            let text = fixtures::ALL[cases.below(fixtures::ALL.len())];
            let list: Vec<String> = (0..cases.below(4) + 1)
                .map(|_| NAMES[cases.below(NAMES.len())].to_owned())
                .collect();
            let original = sdp(text);
            let offered = original.audio_codecs();
            match original.restrict_audio(&list) {
                Restriction::NoCommonCodec => {
                    assert!(offered.iter().all(|c| c.is_auxiliary() || !list.contains(&c.name)));
                }
                Restriction::Unchanged => {
                    let formats = &original.audio_section().map(|a| a.formats.clone());
                    let kept = intersect(&offered, &list);
                    let kept: Vec<String> =
                        kept.iter().map(|c| c.payload_type.to_string()).collect();
                    assert!(formats.is_none() || formats.as_ref() == Some(&kept), "{text}");
                }
                Restriction::Rewritten(bytes) => {
                    let restricted = SessionDescription::parse(&bytes).unwrap();
                    let codecs = restricted.audio_codecs();
                    let voice: Vec<&String> =
                        codecs.iter().filter(|c| !c.is_auxiliary()).map(|c| &c.name).collect();
                    let mut by_preference = voice.clone();
                    by_preference.sort_by_key(|n| list.iter().position(|l| l == *n));
                    assert_eq!(voice, by_preference);
                    assert!(voice.iter().all(|n| list.contains(n)));
                    let aux = |l: &[Codec]| -> Vec<u8> {
                        l.iter().filter(|c| c.is_auxiliary()).map(|c| c.payload_type).collect()
                    };
                    assert_eq!(aux(&codecs), aux(&offered), "telephone-event and CN kept");
                    assert_eq!(restricted.media().len(), original.media().len());
                    assert_eq!(restricted.restrict_audio(&list), Restriction::Unchanged);
                }
            }
        }
    }
}
