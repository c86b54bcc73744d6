//! The codec model: what an audio `m=` line offers, named the way the configuration names codecs.
//!
//! A payload type is resolved from its `a=rtpmap` when there is one, else from the static table
//! of RFC 3551 §6 (0 PCMU, 3 GSM, 4 G723, 8 PCMA, 9 G722, 13 CN, 18 G729, ...). A dynamic payload
//! type (96..=127) without an `a=rtpmap` cannot be named and is left out of [`Codec`] lists
//! (so a codec policy removes it). Names are canonical: lowercase, with the usual aliases folded
//! (see [`canonical_name`]), so the configuration's `AudioCodec=pcma,pcmu,speex,gsm` matches
//! `PCMA/8000` or `speex/16000` in an offer.
//!
//! Telephone events (RFC 4733) and comfort noise (RFC 3389) are not voice codecs: they never make
//! a match on their own and are kept beside whatever voice codecs a policy keeps
//! ([`Codec::is_auxiliary`]).

use super::{MediaDescription, SessionDescription};

/// One payload type of an `m=` line, resolved to a named codec.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Codec {
    /// The RTP payload type number as offered.
    pub payload_type: u8,
    /// The canonical name: lowercase (`pcmu`, `pcma`, `gsm`, `g722`, `g729`, `speex`, `opus`,
    /// `ilbc`, `telephone-event`, `cn`, or any other rtpmap name lowercased); see
    /// [`canonical_name`].
    pub name: String,
    /// The RTP clock rate in Hz (8000 for G.722 by RFC 3551's historical convention).
    pub clock_rate: u32,
    /// The channel count when the rtpmap (or the static table) states one; `None` means one.
    pub channels: Option<u8>,
}

/// The name of RFC 4733 telephone events (DTMF).
pub const TELEPHONE_EVENT: &str = "telephone-event";

/// The name of RFC 3389 comfort noise.
pub const COMFORT_NOISE: &str = "cn";

impl Codec {
    /// True for telephone events and comfort noise: payloads that accompany a voice codec and are
    /// kept by every policy when offered.
    pub fn is_auxiliary(&self) -> bool {
        self.name == TELEPHONE_EVENT || self.name == COMFORT_NOISE
    }

    /// The codec a static payload type stands for without an rtpmap (RFC 3551 §6, tables 4 and
    /// 5); `None` for dynamic or unassigned numbers.
    pub fn from_static(payload_type: u8) -> Option<Codec> {
        let (name, clock_rate, channels) = match payload_type {
            0 => ("pcmu", 8000, None),
            3 => ("gsm", 8000, None),
            4 => ("g723", 8000, None),
            5 => ("dvi4", 8000, None),
            6 => ("dvi4", 16000, None),
            7 => ("lpc", 8000, None),
            8 => ("pcma", 8000, None),
            9 => ("g722", 8000, None),
            10 => ("l16", 44100, Some(2)),
            11 => ("l16", 44100, None),
            12 => ("qcelp", 8000, None),
            13 => (COMFORT_NOISE, 8000, None),
            14 => ("mpa", 90000, None),
            15 => ("g728", 8000, None),
            16 => ("dvi4", 11025, None),
            17 => ("dvi4", 22050, None),
            18 => ("g729", 8000, None),
            25 => ("celb", 90000, None),
            26 => ("jpeg", 90000, None),
            28 => ("nv", 90000, None),
            31 => ("h261", 90000, None),
            32 => ("mpv", 90000, None),
            33 => ("mp2t", 90000, None),
            34 => ("h263", 90000, None),
            _ => return None,
        };
        Some(Codec { payload_type, name: name.to_owned(), clock_rate, channels })
    }
}

/// The canonical form of a codec name from an rtpmap or the configuration: trimmed, lowercase,
/// with aliases folded: `ulaw`/`mulaw`/`g711u` → `pcmu`, `alaw`/`g711a` → `pcma`, `g729a` →
/// `g729` (Annex A is bitstream-compatible with G.729).
pub fn canonical_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "ulaw" | "mulaw" | "g711u" => "pcmu".to_owned(),
        "alaw" | "g711a" => "pcma".to_owned(),
        "g729a" => "g729".to_owned(),
        _ => lower,
    }
}

/// The offered codecs that `allowed` permits, ordered by `allowed` (a preference list of codec
/// names, most preferred first; aliases are folded by [`canonical_name`]).
///
/// - `allowed` empty: no policy; `offered` comes back as it is.
/// - Otherwise the voice codecs whose name is allowed, in the order of `allowed` (offer order
///   among payload types of the same name), then the offered telephone-event and comfort noise
///   payload types in offer order. A payload type listed twice in the offer appears once.
/// - No allowed voice codec offered: empty (telephone events alone are not a common codec).
pub fn intersect(offered: &[Codec], allowed: &[String]) -> Vec<Codec> {
    if allowed.is_empty() {
        return offered.to_vec();
    }
    let mut kept: Vec<Codec> = Vec::new();
    let push = |kept: &mut Vec<Codec>, codec: &Codec| {
        if !kept.iter().any(|k| k.payload_type == codec.payload_type) {
            kept.push(codec.clone());
        }
    };
    for name in allowed.iter().map(|n| canonical_name(n)) {
        for codec in offered.iter().filter(|c| c.name == name && !c.is_auxiliary()) {
            push(&mut kept, codec);
        }
    }
    if kept.is_empty() {
        return kept;
    }
    for codec in offered.iter().filter(|c| c.is_auxiliary()) {
        push(&mut kept, codec);
    }
    kept
}

/// The voice codec names of a list, in its order, each once; telephone-event and comfort noise
/// are left out. This is what the B2BUA logs, puts in CDRs and offers the other leg as
/// preferences.
pub fn codec_names(list: &[Codec]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for codec in list.iter().filter(|c| !c.is_auxiliary()) {
        if !names.contains(&codec.name) {
            names.push(codec.name.clone());
        }
    }
    names
}

impl MediaDescription {
    /// The section's formats resolved to codecs, in offer order. Formats that are not payload
    /// type numbers, and dynamic payload types without an rtpmap, are skipped.
    pub fn codecs(&self) -> Vec<Codec> {
        self.formats
            .iter()
            .filter_map(|format| format.parse::<u8>().ok().filter(|pt| *pt <= 127))
            .filter_map(|pt| match self.rtpmap(pt) {
                Some(map) => Some(Codec {
                    payload_type: pt,
                    name: canonical_name(&map.encoding),
                    clock_rate: map.clock_rate,
                    channels: map.channels,
                }),
                None => Codec::from_static(pt),
            })
            .collect()
    }
}

impl SessionDescription {
    /// The audio section codec policy applies to: the first `m=audio` with a port other than 0.
    /// Later audio sections (rare) are left alone by policy.
    pub fn audio_section(&self) -> Option<&MediaDescription> {
        self.media().iter().find(|m| m.is_audio() && m.is_active())
    }

    /// True when the description has an active audio stream (`m=audio` with a port other than 0).
    pub fn has_audio(&self) -> bool {
        self.audio_section().is_some()
    }

    /// The codecs of the audio section ([`Self::audio_section`]) in offer order; empty when there
    /// is none.
    pub fn audio_codecs(&self) -> Vec<Codec> {
        self.audio_section().map(MediaDescription::codecs).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::fixtures::{self, allowed};

    fn codecs(text: &str) -> Vec<Codec> {
        SessionDescription::parse(text.as_bytes()).unwrap().audio_codecs()
    }

    fn names(list: &[Codec]) -> Vec<&str> {
        list.iter().map(|c| c.name.as_str()).collect()
    }

    fn payload_types(list: &[Codec]) -> Vec<u8> {
        list.iter().map(|c| c.payload_type).collect()
    }

    #[test]
    fn static_payload_types_resolve_without_rtpmap_per_rfc3551_section_6() {
        let list = codecs("v=0\r\nm=audio 4000 RTP/AVP 0 3 4 8 9 13 18\r\n");
        assert_eq!(names(&list), ["pcmu", "gsm", "g723", "pcma", "g722", "cn", "g729"]);
        assert!(list.iter().all(|c| c.clock_rate == 8000 && c.channels.is_none()));
        assert_eq!(Codec::from_static(10).unwrap().channels, Some(2));
        assert_eq!(Codec::from_static(96), None);
        assert_eq!(Codec::from_static(2), None, "2 was G721, withdrawn");
    }

    #[test]
    fn dynamic_payload_types_resolve_via_rtpmap_with_canonical_lowercase_names() {
        let list = codecs(fixtures::SOFTPHONE);
        assert_eq!(names(&list), ["opus", "pcma", "pcmu", "g722", "telephone-event"]);
        assert_eq!(payload_types(&list), [111, 8, 0, 9, 101]);
        assert_eq!(
            list[0],
            Codec { payload_type: 111, name: "opus".into(), clock_rate: 48000, channels: Some(2) }
        );
        let speex = &codecs(fixtures::AUDIO_VIDEO)[3];
        assert_eq!((speex.name.as_str(), speex.clock_rate), ("speex", 16000));
    }

    #[test]
    fn dynamic_payload_type_without_rtpmap_and_non_numeric_formats_are_skipped() {
        let list = codecs("v=0\r\nm=audio 4000 RTP/AVP 96 0 x 200\r\n");
        assert_eq!(payload_types(&list), [0]);
    }

    #[test]
    fn an_rtpmap_for_a_static_payload_type_wins_over_the_table() {
        let list = codecs("v=0\r\nm=audio 4000 RTP/AVP 3\r\na=rtpmap:3 GSM/8000/1\r\n");
        assert_eq!(list[0].channels, Some(1));
        assert_eq!(list[0].name, "gsm");
    }

    #[test]
    fn audio_codecs_come_from_the_first_active_audio_section_only() {
        assert_eq!(names(&codecs(fixtures::AUDIO_VIDEO)), ["pcmu", "pcma", "cn", "speex"]);
        assert!(codecs(fixtures::VIDEO_ONLY).is_empty());
        assert!(codecs(fixtures::AUDIO_PORT_0).is_empty());
        let two =
            "v=0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 4000 RTP/AVP 8\r\nm=audio 4002 RTP/AVP 3\r\n";
        assert_eq!(names(&codecs(two)), ["pcma"]);
    }

    #[test]
    fn has_audio_needs_an_audio_section_with_a_port_other_than_zero() {
        let has = |text: &str| SessionDescription::parse(text.as_bytes()).unwrap().has_audio();
        assert!(has(fixtures::SIPP));
        assert!(has(fixtures::HOLD), "held audio is still audio");
        assert!(!has(fixtures::AUDIO_PORT_0));
        assert!(!has(fixtures::VIDEO_ONLY));
        assert!(!has("v=0\r\n"));
        assert!(has("v=0\r\nm=AUDIO 4000 RTP/AVP 0\r\n"));
    }

    #[test]
    fn canonical_names_fold_case_and_the_usual_aliases() {
        assert_eq!(canonical_name(" PCMA "), "pcma");
        assert_eq!(canonical_name("iLBC"), "ilbc");
        assert_eq!(canonical_name("ulaw"), "pcmu");
        assert_eq!(canonical_name("alaw"), "pcma");
        assert_eq!(canonical_name("G729a"), "g729");
        assert_eq!(canonical_name("G7221"), "g7221", "G.722.1 is not G.722");
    }

    #[test]
    fn intersect_orders_by_preference_and_keeps_telephone_event_last() {
        let offered = codecs(fixtures::SOFTPHONE);
        let kept = intersect(&offered, &allowed("pcma,pcmu,speex,gsm"));
        assert_eq!(names(&kept), ["pcma", "pcmu", "telephone-event"]);
        let kept = intersect(&offered, &allowed("G722,PCMU,ulaw"));
        assert_eq!(payload_types(&kept), [9, 0, 101], "aliases and duplicates collapse");
    }

    #[test]
    fn intersect_keeps_comfort_noise_when_offered_per_rfc3389() {
        let kept = intersect(&codecs(fixtures::AUDIO_VIDEO), &allowed("speex,pcma"));
        assert_eq!(names(&kept), ["speex", "pcma", "cn"]);
    }

    #[test]
    fn intersect_with_no_policy_returns_the_offer_unchanged() {
        let offered = codecs(fixtures::SOFTPHONE);
        assert_eq!(intersect(&offered, &[]), offered);
    }

    #[test]
    fn telephone_event_alone_is_not_a_common_codec() {
        let offered = codecs(fixtures::SOFTPHONE);
        assert!(intersect(&offered, &allowed("gsm,telephone-event")).is_empty());
        assert!(intersect(&[], &allowed("pcmu")).is_empty());
    }

    #[test]
    fn codec_names_leave_out_telephone_event_and_comfort_noise_and_repeat_nothing() {
        let list = codecs(
            "v=0\r\nm=audio 4000 RTP/AVP 96 97 13 0 101\r\na=rtpmap:96 opus/48000/2\r\n\
             a=rtpmap:97 OPUS/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n",
        );
        assert_eq!(codec_names(&list), ["opus", "pcmu"]);
    }
}
