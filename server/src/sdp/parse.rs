//! Reading a session description (RFC 8866 §5, §6; RFC 4566 is the same grammar) into a
//! [`SessionDescription`] that keeps the received bytes.
//!
//! The parser is tolerant where real endpoints are sloppy and strict where Ringway needs the
//! value: CRLF or bare LF line ends, trailing spaces and tabs, blank lines, unknown line types and
//! unknown attributes are all accepted and kept byte-exact; `v=`, `o=`, `c=`, `t=`, `m=`,
//! `a=rtpmap`, `a=fmtp` and `a=ptime` must follow their grammar or the whole description is
//! refused with an [`SdpError`] naming the line. `o=` and `s=` are required by the RFC but some
//! gateways omit them; their absence is tolerated (the fields are `None`).
//!
//! Every line is read for what Ringway uses and otherwise left alone:
//! [`SessionDescription::to_bytes`] returns the received octets, so a description that policy did
//! not change crosses the B2BUA byte-identical. Edits ([`super::policy`]) splice the received
//! bytes instead of re-serializing.

use super::SdpError;
use bytes::Bytes;
use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::ops::Range;

/// A parsed session description and the exact bytes it was read from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionDescription {
    raw: Bytes,
    origin: Option<Origin>,
    session_name: Option<String>,
    connection: Option<Connection>,
    timings: Vec<Timing>,
    direction: Option<Direction>,
    media: Vec<MediaDescription>,
}

/// `o=`: who made the description and which version of it this is (RFC 8866 §5.2).
///
/// The numeric fields are kept as text: some endpoints send session ids longer than any integer
/// type, and Ringway only compares or copies them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `<username>`; `-` when the endpoint has none. Spaces are tolerated here (some phones send
    /// a display name): every field before the last five belongs to the username.
    pub username: String,
    /// `<sess-id>`.
    pub session_id: String,
    /// `<sess-version>`: RFC 3264 §8 says a changed description carries a higher version.
    pub session_version: String,
    /// `<nettype>`, `IN` in practice.
    pub net_type: String,
    /// `<addrtype>`, `IP4` or `IP6`.
    pub addr_type: String,
    /// `<unicast-address>`, as written.
    pub address: String,
}

/// `c=`: where media is to be sent (RFC 8866 §5.7). Multicast TTL and address counts stay in the
/// bytes; only the base address is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection {
    /// `<nettype>`, `IN` in practice.
    pub net_type: String,
    /// `<addrtype>`, `IP4` or `IP6`.
    pub addr_type: String,
    /// The connection address.
    pub address: ConnectionAddress,
}

/// The address of a `c=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectionAddress {
    /// A literal address. `0.0.0.0` is the RFC 2543 way of putting a stream on hold, still sent by
    /// many endpoints (RFC 3264 §8.4 prefers `a=sendonly`).
    Ip(IpAddr),
    /// A host name (allowed by the grammar, rare in practice), or the address of a network type
    /// other than `IN`.
    Name(String),
}

/// `t=`: start and stop times, NTP seconds; `0 0` means unbounded (RFC 8866 §5.9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timing {
    /// Start time, 0 for "now".
    pub start: u64,
    /// Stop time, 0 for "never".
    pub stop: u64,
}

/// The direction attributes of RFC 8866 §6.7 (RFC 3264 §5.1, §8.4 for hold).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// `a=sendrecv`, the default.
    SendRecv,
    /// `a=sendonly`: the sender puts the other side on hold.
    SendOnly,
    /// `a=recvonly`.
    RecvOnly,
    /// `a=inactive`.
    Inactive,
}

impl Direction {
    fn from_attribute(name: &str) -> Option<Direction> {
        match name.to_ascii_lowercase().as_str() {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }
}

/// One media section: the `m=` line and the lines after it up to the next `m=` (RFC 8866 §5.14).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaDescription {
    /// `<media>` as written: `audio`, `video`, `image`, `application`, `text`, `message`...
    pub media: String,
    /// `<port>`; 0 means the stream is rejected or removed (RFC 3264 §5.1, §8.2).
    pub port: u16,
    /// The `/<number of ports>` suffix, if any.
    pub port_count: Option<u16>,
    /// `<proto>`: `RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, `udptl`...
    pub proto: String,
    /// The `<fmt>` list in offer order: RTP payload type numbers for RTP profiles.
    pub formats: Vec<String>,
    /// The media-level `c=` (the first one when several are given), overriding the session's.
    pub connection: Option<Connection>,
    /// The media-level direction attribute (the last one when several are given); see
    /// [`SessionDescription::effective_direction`] for the one that applies.
    pub direction: Option<Direction>,
    /// `a=ptime` in whole milliseconds; a fractional value (`20.0`) is truncated.
    pub ptime: Option<u32>,
    /// The `a=rtpmap` lines, in order.
    pub rtpmaps: Vec<RtpMap>,
    /// The `a=fmtp` lines, in order.
    pub fmtps: Vec<Fmtp>,
    /// Where this section's parts lie in the received bytes, for editing.
    pub(super) spans: MediaSpans,
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]` (RFC 8866 §6.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpMap {
    /// The payload type it names, 0..=127.
    pub payload_type: u8,
    /// The encoding name as written (`PCMU`, `opus`, `telephone-event`).
    pub encoding: String,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters: the channel count for audio; `None` when absent (one channel).
    pub channels: Option<u8>,
}

/// `a=fmtp:<format> <format specific parameters>` (RFC 8866 §6.15).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fmtp {
    /// The format it applies to, as written in the `m=` line.
    pub format: String,
    /// The parameters, as written (may be empty).
    pub params: String,
}

/// Byte positions inside the received description, private to the editing code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct MediaSpans {
    /// The `<fmt>` list of the `m=` line, first format to last (empty range after the proto when
    /// the list is empty).
    pub(super) formats: Range<usize>,
    /// Lines bound to one format (`a=rtpmap`, `a=fmtp`, `a=rtcp-fb`): the format and the whole
    /// line including its line end.
    pub(super) format_lines: Vec<(String, Range<usize>)>,
}

impl SessionDescription {
    /// Parses a body, copying it once.
    pub fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
        SessionDescription::parse_bytes(Bytes::copy_from_slice(body))
    }

    /// Parses a body without copying it (a SIP message body is already [`Bytes`]).
    pub fn parse_bytes(body: Bytes) -> Result<SessionDescription, SdpError> {
        Parser::new(body).run()
    }

    /// The description as received, byte-exact.
    pub fn to_bytes(&self) -> Bytes {
        self.raw.clone()
    }

    /// The description as received, byte-exact.
    pub fn as_bytes(&self) -> &[u8] {
        &self.raw
    }

    /// `o=`, if present.
    pub fn origin(&self) -> Option<&Origin> {
        self.origin.as_ref()
    }

    /// `s=`, if present (decoded lossily: RFC 8866 allows other charsets via `a=charset`).
    pub fn session_name(&self) -> Option<&str> {
        self.session_name.as_deref()
    }

    /// The session-level `c=`, the fallback for media sections without their own.
    pub fn connection(&self) -> Option<&Connection> {
        self.connection.as_ref()
    }

    /// The `t=` lines, in order.
    pub fn timings(&self) -> &[Timing] {
        &self.timings
    }

    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        self.direction
    }

    /// The media sections, in order.
    pub fn media(&self) -> &[MediaDescription] {
        &self.media
    }

    /// The direction that applies to `media`: its own attribute, else the session's, else
    /// `sendrecv` (RFC 8866 §6.7).
    pub fn effective_direction(&self, media: &MediaDescription) -> Direction {
        media.direction.or(self.direction).unwrap_or(Direction::SendRecv)
    }

    /// The connection that applies to `media`: its own `c=`, else the session's.
    pub fn effective_connection<'a>(
        &'a self,
        media: &'a MediaDescription,
    ) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }
}

impl MediaDescription {
    /// True when the port is not 0: the stream is offered or accepted, not rejected or removed.
    pub fn is_active(&self) -> bool {
        self.port != 0
    }

    /// True for `m=audio` (compared without regard to case).
    pub fn is_audio(&self) -> bool {
        self.media.eq_ignore_ascii_case("audio")
    }

    /// The `a=rtpmap` for a payload type, if the section has one.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|r| r.payload_type == payload_type)
    }

    /// The `a=fmtp` parameters for a format, if the section has them.
    pub fn fmtp(&self, format: &str) -> Option<&str> {
        self.fmtps.iter().find(|f| f.format == format).map(|f| f.params.as_str())
    }
}

impl Connection {
    /// The literal address, if the connection has one.
    pub fn ip(&self) -> Option<IpAddr> {
        match self.address {
            ConnectionAddress::Ip(ip) => Some(ip),
            ConnectionAddress::Name(_) => None,
        }
    }
}

/// One non-blank line: its type letter, where its value lies, where the whole line lies.
struct Line {
    number: usize,
    kind: u8,
    value: Range<usize>,
    whole: Range<usize>,
}

struct Parser {
    raw: Bytes,
    description: SessionDescription,
}

impl Parser {
    fn new(raw: Bytes) -> Parser {
        let description = SessionDescription {
            raw: raw.clone(),
            origin: None,
            session_name: None,
            connection: None,
            timings: Vec::new(),
            direction: None,
            media: Vec::new(),
        };
        Parser { raw, description }
    }

    fn run(mut self) -> Result<SessionDescription, SdpError> {
        let lines = split_lines(&self.raw)?;
        let Some(first) = lines.first() else { return Err(SdpError::Empty) };
        if first.kind != b'v' {
            return Err(SdpError::MissingVersion);
        }
        if self.text(&first.value) != "0" {
            return Err(SdpError::UnsupportedVersion { line: first.number });
        }
        for line in &lines[1..] {
            self.line(line)?;
        }
        Ok(self.description)
    }

    fn text(&self, range: &Range<usize>) -> Cow<'_, str> {
        // Fields Ringway interprets are ASCII; a stray non-UTF-8 octet becomes U+FFFD, which then
        // fails the field's grammar (or, in an attribute Ringway does not read, changes nothing).
        String::from_utf8_lossy(&self.raw[range.clone()])
    }

    fn line(&mut self, line: &Line) -> Result<(), SdpError> {
        let number = line.number;
        let in_media = !self.description.media.is_empty();
        match line.kind {
            b'v' => return Err(SdpError::MisplacedVersion { line: number }),
            b'o' if !in_media => {
                let origin = parse_origin(&self.text(&line.value));
                self.description.origin = Some(origin.ok_or(SdpError::BadOrigin { line: number })?);
            }
            b's' if !in_media => {
                self.description.session_name = Some(self.text(&line.value).into_owned());
            }
            b't' if !in_media => {
                let timing = parse_timing(&self.text(&line.value));
                self.description.timings.push(timing.ok_or(SdpError::BadTiming { line: number })?);
            }
            b'c' => {
                let c = parse_connection(&self.text(&line.value))
                    .ok_or(SdpError::BadConnection { line: number })?;
                let slot = match self.description.media.last_mut() {
                    Some(m) => &mut m.connection,
                    None => &mut self.description.connection,
                };
                slot.get_or_insert(c);
            }
            b'm' => {
                let media = parse_media(&self.raw, line.value.clone())
                    .ok_or(SdpError::BadMedia { line: number })?;
                self.description.media.push(media);
            }
            b'a' => self.attribute(line)?,
            // Every other line (i=, u=, e=, p=, b=, r=, z=, k=, unknown letters) is kept as bytes.
            _ => {}
        }
        Ok(())
    }

    fn attribute(&mut self, line: &Line) -> Result<(), SdpError> {
        let number = line.number;
        let raw = self.raw.clone();
        let value = String::from_utf8_lossy(&raw[line.value.clone()]);
        let (name, rest) = match value.split_once(':') {
            Some((name, rest)) => (name, Some(rest.trim())),
            None => (&*value, None),
        };
        if let Some(direction) = Direction::from_attribute(name).filter(|_| rest.is_none()) {
            match self.description.media.last_mut() {
                Some(m) => m.direction = Some(direction),
                None => self.description.direction = Some(direction),
            }
            return Ok(());
        }
        // The remaining attributes Ringway reads are media-level only.
        let (Some(media), Some(rest)) = (self.description.media.last_mut(), rest) else {
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "rtpmap" => {
                let map = parse_rtpmap(rest).ok_or(SdpError::BadRtpmap { line: number })?;
                let format = map.payload_type.to_string();
                media.spans.format_lines.push((format, line.whole.clone()));
                media.rtpmaps.push(map);
            }
            "fmtp" => {
                let (format, params) = rest.split_once([' ', '\t']).unwrap_or((rest, ""));
                if format.is_empty() {
                    return Err(SdpError::BadFmtp { line: number });
                }
                media.spans.format_lines.push((format.to_owned(), line.whole.clone()));
                media
                    .fmtps
                    .push(Fmtp { format: format.to_owned(), params: params.trim().to_owned() });
            }
            "rtcp-fb" => {
                let format = rest.split([' ', '\t']).next().unwrap_or_default();
                if format != "*" {
                    media.spans.format_lines.push((format.to_owned(), line.whole.clone()));
                }
            }
            "ptime" => {
                media.ptime = Some(parse_ptime(rest).ok_or(SdpError::BadPtime { line: number })?);
            }
            _ => {}
        }
        Ok(())
    }
}

/// Splits the body into its non-blank lines. A line ends at LF; a CR before it and any trailing
/// spaces or tabs are not part of the value.
fn split_lines(raw: &[u8]) -> Result<Vec<Line>, SdpError> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut number = 0;
    while start < raw.len() {
        number += 1;
        let (content_end, next) = match memchr::memchr(b'\n', &raw[start..]) {
            Some(off) => (start + off, start + off + 1),
            None => (raw.len(), raw.len()),
        };
        let mut end = content_end;
        while end > start && matches!(raw[end - 1], b'\r' | b' ' | b'\t') {
            end -= 1;
        }
        if end > start {
            if end - start < 2 || raw[start + 1] != b'=' || !raw[start].is_ascii_alphabetic() {
                return Err(SdpError::BadLine { line: number });
            }
            lines.push(Line {
                number,
                kind: raw[start],
                value: start + 2..end,
                whole: start..next,
            });
        }
        start = next;
    }
    Ok(lines)
}

fn parse_origin(value: &str) -> Option<Origin> {
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let n = fields.len();
    if n < 6 {
        return None;
    }
    Some(Origin {
        username: fields[..n - 5].join(" "),
        session_id: fields[n - 5].to_owned(),
        session_version: fields[n - 4].to_owned(),
        net_type: fields[n - 3].to_owned(),
        addr_type: fields[n - 2].to_owned(),
        address: fields[n - 1].to_owned(),
    })
}

fn parse_timing(value: &str) -> Option<Timing> {
    let mut fields = value.split_ascii_whitespace();
    let start = fields.next()?.parse().ok()?;
    let stop = fields.next()?.parse().ok()?;
    fields.next().is_none().then_some(Timing { start, stop })
}

fn parse_connection(value: &str) -> Option<Connection> {
    let mut fields = value.split_ascii_whitespace();
    let (net_type, addr_type, address) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() {
        return None;
    }
    // Multicast suffixes: `/<ttl>[/<count>]` for IP4, `/<count>` for IP6.
    let base = address.split('/').next().unwrap_or_default();
    if base.is_empty() {
        return None;
    }
    let address = if !net_type.eq_ignore_ascii_case("IN") {
        ConnectionAddress::Name(address.to_owned())
    } else if addr_type.eq_ignore_ascii_case("IP4") {
        match base.parse::<Ipv4Addr>() {
            Ok(ip) => ConnectionAddress::Ip(IpAddr::V4(ip)),
            Err(_) if base.contains(':') => return None,
            Err(_) => ConnectionAddress::Name(base.to_owned()),
        }
    } else if addr_type.eq_ignore_ascii_case("IP6") {
        match base.parse::<Ipv6Addr>() {
            Ok(ip) => ConnectionAddress::Ip(IpAddr::V6(ip)),
            Err(_) if base.parse::<Ipv4Addr>().is_ok() || base.contains(':') => return None,
            Err(_) => ConnectionAddress::Name(base.to_owned()),
        }
    } else {
        ConnectionAddress::Name(base.to_owned())
    };
    Some(Connection { net_type: net_type.to_owned(), addr_type: addr_type.to_owned(), address })
}

/// Reads `m=<media> <port>[/<count>] <proto> <fmt> ...`, recording where the format list lies.
fn parse_media(raw: &[u8], value: Range<usize>) -> Option<MediaDescription> {
    let text = std::str::from_utf8(&raw[value.clone()]).ok()?;
    let mut tokens = tokens_with_offsets(text);
    let (_, media) = tokens.next()?;
    let (_, port_field) = tokens.next()?;
    let (proto_at, proto) = tokens.next()?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((port, count)) => (port, Some(parse_decimal::<u16>(count)?)),
        None => (port_field, None),
    };
    let port = parse_decimal::<u16>(port)?;
    let mut formats = Vec::new();
    let mut span = None::<Range<usize>>;
    for (at, format) in tokens {
        let end = at + format.len();
        span = Some(span.map_or(at..end, |s| s.start..end));
        formats.push(format.to_owned());
    }
    if formats.is_empty() && port != 0 {
        return None;
    }
    let after_proto = proto_at + proto.len();
    let span = span.unwrap_or(after_proto..after_proto);
    Some(MediaDescription {
        media: media.to_owned(),
        port,
        port_count,
        proto: proto.to_owned(),
        formats,
        connection: None,
        direction: None,
        ptime: None,
        rtpmaps: Vec::new(),
        fmtps: Vec::new(),
        spans: MediaSpans {
            formats: value.start + span.start..value.start + span.end,
            format_lines: Vec::new(),
        },
    })
}

/// Whitespace-separated tokens with their byte offsets in `text`.
fn tokens_with_offsets(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split([' ', '\t'])
        .filter(|t| !t.is_empty())
        .map(move |t| (t.as_ptr() as usize - text.as_ptr() as usize, t))
}

fn parse_rtpmap(value: &str) -> Option<RtpMap> {
    let (payload_type, encoding) = value.split_once([' ', '\t'])?;
    let payload_type = parse_decimal::<u8>(payload_type).filter(|pt| *pt <= 127)?;
    let mut parts = encoding.trim().split('/');
    let name = parts.next().filter(|n| !n.is_empty())?;
    let clock_rate = parse_decimal::<u32>(parts.next()?)?;
    let channels = parts.next().map(parse_decimal::<u8>);
    if parts.next().is_some() {
        return None;
    }
    Some(RtpMap {
        payload_type,
        encoding: name.to_owned(),
        clock_rate,
        channels: match channels {
            Some(c) => Some(c?),
            None => None,
        },
    })
}

fn parse_ptime(value: &str) -> Option<u32> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, "0"));
    if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    parse_decimal(whole)
}

/// A decimal number made of ASCII digits only (no sign, no spaces).
fn parse_decimal<T: std::str::FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sdp::fixtures::{self, Cases};

    fn parse(text: &str) -> SessionDescription {
        SessionDescription::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn sipp_default_offer_reads_every_field_per_rfc8866_section_5() {
        let sdp = parse(fixtures::SIPP);
        let origin = sdp.origin().unwrap();
        assert_eq!(origin.username, "user1");
        assert_eq!(origin.session_id, "53655765");
        assert_eq!(origin.session_version, "2353687637");
        assert_eq!((origin.net_type.as_str(), origin.addr_type.as_str()), ("IN", "IP4"));
        assert_eq!(origin.address, "127.0.0.1");
        assert_eq!(sdp.session_name(), Some("-"));
        assert_eq!(sdp.connection().unwrap().ip(), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(sdp.timings(), &[Timing { start: 0, stop: 0 }]);
        let [audio] = sdp.media() else { panic!("one media section") };
        assert!(audio.is_audio() && audio.is_active());
        assert_eq!((audio.port, audio.port_count, audio.proto.as_str()), (6000, None, "RTP/AVP"));
        assert_eq!(audio.formats, ["0"]);
        assert_eq!(
            audio.rtpmap(0),
            Some(&RtpMap {
                payload_type: 0,
                encoding: "PCMU".into(),
                clock_rate: 8000,
                channels: None
            })
        );
        assert_eq!(sdp.effective_direction(audio), Direction::SendRecv);
    }

    #[test]
    fn softphone_offer_reads_rtpmap_fmtp_ptime_and_direction_per_rfc8866_section_6() {
        let sdp = parse(fixtures::SOFTPHONE);
        let audio = &sdp.media()[0];
        assert_eq!(audio.formats, ["111", "8", "0", "9", "101"]);
        assert_eq!(audio.rtpmap(111).unwrap().channels, Some(2));
        assert_eq!(audio.rtpmap(111).unwrap().clock_rate, 48000);
        assert_eq!(audio.fmtp("111"), Some("minptime=10;useinbandfec=1"));
        assert_eq!(audio.fmtp("101"), Some("0-16"));
        assert_eq!(audio.ptime, Some(20));
        assert_eq!(audio.direction, Some(Direction::SendRecv));
        assert_eq!(audio.spans.format_lines.len(), 8, "7 rtpmap/fmtp lines and one rtcp-fb");
    }

    #[test]
    fn media_level_connection_overrides_the_session_one_per_rfc8866_section_5_7() {
        let sdp = parse(fixtures::AUDIO_VIDEO);
        let [audio, video] = sdp.media() else { panic!("two media sections") };
        assert_eq!(audio.connection, None);
        let session: IpAddr = "198.51.100.7".parse().unwrap();
        assert_eq!(sdp.effective_connection(audio).unwrap().ip(), Some(session));
        assert_eq!(video.connection.as_ref().unwrap().ip(), Some("198.51.100.8".parse().unwrap()));
        assert_eq!(video.media, "video");
        assert_eq!(audio.ptime, Some(20), "a fractional ptime is read in whole milliseconds");
        assert_eq!(sdp.effective_direction(video), Direction::RecvOnly);
    }

    #[test]
    fn hold_offer_reads_the_zero_address_and_a_session_level_sendonly_per_rfc3264_section_8_4() {
        let sdp = parse(fixtures::HOLD);
        let address = &sdp.connection().unwrap().address;
        assert_eq!(address, &ConnectionAddress::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
        assert_eq!(sdp.direction(), Some(Direction::SendOnly));
        let audio = &sdp.media()[0];
        assert_eq!(audio.direction, None);
        assert_eq!(sdp.effective_direction(audio), Direction::SendOnly);
    }

    #[test]
    fn ipv6_connection_addresses_are_read_per_rfc8866_section_5_7() {
        let sdp = parse(fixtures::IPV6);
        assert_eq!(sdp.connection().unwrap().ip(), Some("2001:db8::1".parse().unwrap()));
        let media = sdp.media()[0].connection.as_ref().unwrap();
        assert_eq!(media.addr_type, "IP6");
        assert_eq!(media.ip(), Some("fd12:3456:789a::20".parse().unwrap()));
    }

    #[test]
    fn lf_only_line_ends_trailing_whitespace_and_blank_lines_are_tolerated() {
        let sdp = parse(fixtures::LF_ONLY);
        assert_eq!(sdp.origin().unwrap().address, "192.0.2.5");
        assert_eq!(sdp.session_name(), Some("LF only"));
        assert_eq!(sdp.media()[0].formats, ["3", "8", "18"]);
        assert_eq!(sdp.media()[0].fmtp("18"), Some("annexb=no"));
        assert_eq!(sdp.as_bytes(), fixtures::LF_ONLY.as_bytes());
    }

    #[test]
    fn multicast_suffixes_host_names_and_port_counts_are_read() {
        let sdp = parse(
            "v=0\r\nc=IN IP4 224.2.1.1/127/3\r\n\
             m=audio 49170/2 RTP/AVP 0\r\nc=IN IP4 media.example.com\r\n",
        );
        assert_eq!(sdp.connection().unwrap().ip(), Some("224.2.1.1".parse().unwrap()));
        let audio = &sdp.media()[0];
        assert_eq!((audio.port, audio.port_count), (49170, Some(2)));
        let name = &audio.connection.as_ref().unwrap().address;
        assert_eq!(name, &ConnectionAddress::Name("media.example.com".into()));
        assert_eq!(sdp.origin(), None, "o= is required by the RFC but tolerated when absent");
    }

    #[test]
    fn origin_username_with_spaces_keeps_the_last_five_fields_in_place() {
        let sdp = parse("v=0\r\no=Polycom User 123 456 IN IP4 192.0.2.1\r\n");
        let origin = sdp.origin().unwrap();
        assert_eq!(origin.username, "Polycom User");
        assert_eq!((origin.session_id.as_str(), origin.session_version.as_str()), ("123", "456"));
    }

    #[test]
    fn rejected_stream_may_have_no_formats_but_an_active_one_must_per_rfc8866_section_5_14() {
        let sdp = parse("v=0\r\nm=audio 0 RTP/AVP\r\n");
        assert!(sdp.media()[0].formats.is_empty() && !sdp.media()[0].is_active());
        let err = SessionDescription::parse(b"v=0\r\nm=audio 4000 RTP/AVP\r\n").unwrap_err();
        assert_eq!(err, SdpError::BadMedia { line: 2 });
    }

    #[test]
    fn each_malformed_line_is_named_with_its_line_number() {
        let cases: &[(&str, SdpError)] = &[
            ("", SdpError::Empty),
            ("\r\n  \r\n", SdpError::Empty),
            ("o=- 1 1 IN IP4 192.0.2.1\r\nv=0\r\n", SdpError::MissingVersion),
            ("v=1\r\n", SdpError::UnsupportedVersion { line: 1 }),
            ("v=0\r\nv=0\r\n", SdpError::MisplacedVersion { line: 2 }),
            ("v=0\r\nthis is not sdp\r\n", SdpError::BadLine { line: 2 }),
            ("v=0\r\n=x\r\n", SdpError::BadLine { line: 2 }),
            ("v=0\r\no=- 1 IN IP4 192.0.2.1\r\n", SdpError::BadOrigin { line: 2 }),
            ("v=0\r\nc=IN IP4\r\n", SdpError::BadConnection { line: 2 }),
            ("v=0\r\nc=IN IP4 2001:db8::1\r\n", SdpError::BadConnection { line: 2 }),
            ("v=0\r\nc=IN IP6 192.0.2.1\r\n", SdpError::BadConnection { line: 2 }),
            ("v=0\r\nt=now 0\r\n", SdpError::BadTiming { line: 2 }),
            ("v=0\n\nm=audio\n", SdpError::BadMedia { line: 3 }),
            ("v=0\r\nm=audio 70000 RTP/AVP 0\r\n", SdpError::BadMedia { line: 2 }),
            ("v=0\r\nm=audio -1 RTP/AVP 0\r\n", SdpError::BadMedia { line: 2 }),
            (
                "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n",
                SdpError::BadRtpmap { line: 3 },
            ),
            (
                "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n",
                SdpError::BadRtpmap { line: 3 },
            ),
            (
                "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=rtpmap:0 opus/48000/two\r\n",
                SdpError::BadRtpmap { line: 3 },
            ),
            ("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=fmtp: \r\n", SdpError::BadFmtp { line: 3 }),
            ("v=0\r\nm=audio 4000 RTP/AVP 0\r\na=ptime:twenty\r\n", SdpError::BadPtime { line: 3 }),
        ];
        for (text, expected) in cases {
            assert_eq!(SessionDescription::parse(text.as_bytes()), Err(*expected), "{text:?}");
        }
    }

    #[test]
    fn session_level_rtpmap_and_unknown_attributes_are_kept_but_not_read() {
        let text =
            "v=0\r\na=rtpmap:96 junk\r\na=tool:x\r\nm=audio 1 RTP/AVP 0\r\na=foo\r\na=bar:baz\r\n";
        let sdp = parse(text);
        assert!(sdp.media()[0].rtpmaps.is_empty());
        assert_eq!(sdp.to_bytes(), text.as_bytes());
    }

    #[test]
    fn untouched_descriptions_serialize_byte_identical() {
        for text in fixtures::ALL {
            assert_eq!(parse(text).to_bytes(), text.as_bytes());
        }
    }

    /// Property: for descriptions built from random choices of line ends, trailing whitespace,
    /// blank lines, unknown lines and non-UTF-8 text in fields Ringway does not read,
    /// serialize(parse(x)) == x.
    #[test]
    fn serialize_of_parse_is_the_identity_on_generated_descriptions() {
        const ENDS: &[&str] = &["\r\n", "\n", " \r\n", "\t\n", "  \n"];
        const EXTRA: &[&[u8]] = &[
            b"i=session info",
            b"u=http://www.example.com/seminars/sdp.pdf",
            b"b=AS:64",
            b"k=prompt",
            b"a=x-unknown:\xff\xfe latin-1 \xe9t\xe9",
            b"a=rtcp:9 IN IP4 0.0.0.0",
            b"a=ssrc:1 cname:x",
            b"z=unknown-letter",
            b"",
        ];
        let mut cases = Cases::new(0x5d9);
        for _ in 0..500 {
            let mut body = Vec::new();
            let base = fixtures::ALL[cases.below(fixtures::ALL.len())];
            for (i, line) in base.lines().enumerate() {
                if i > 0 && cases.below(4) == 0 {
                    body.extend_from_slice(EXTRA[cases.below(EXTRA.len())]);
                    body.extend_from_slice(ENDS[cases.below(ENDS.len())].as_bytes());
                }
                body.extend_from_slice(line.trim_end().as_bytes());
                body.extend_from_slice(ENDS[cases.below(ENDS.len())].as_bytes());
            }
            if cases.below(2) == 0 {
                body.truncate(body.len() - 1); // no final line end
            }
            let sdp = SessionDescription::parse(&body)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&body)));
            assert_eq!(sdp.to_bytes(), body);
            assert_eq!(
                sdp.media().len(),
                SessionDescription::parse(base.as_bytes()).unwrap().media().len()
            );
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_parser() {
        let mut cases = Cases::new(42);
        let alphabet = b"vocmta=: \r\n/0123456789INIP4.rtpmapfmtp\xff";
        for _ in 0..2000 {
            let len = cases.below(80);
            let mut body = b"v=0\n".to_vec();
            body.extend((0..len).map(|_| alphabet[cases.below(alphabet.len())]));
            if let Ok(sdp) = SessionDescription::parse(&body) {
                assert_eq!(sdp.as_bytes(), &body[..]);
            }
        }
    }
}
