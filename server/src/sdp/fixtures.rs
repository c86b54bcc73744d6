//! Realistic descriptions shared by the SDP unit tests.

/// SIPp's built-in UAC scenario offer (`m=audio 6000 RTP/AVP 0`).
pub const SIPP: &str = "v=0\r\n\
o=user1 53655765 2353687637 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 6000 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

/// A softphone offer: opus, PCMA, PCMU, G.722, telephone-event, with fmtp and rtcp-fb lines and
/// an attribute Ringway does not read.
pub const SOFTPHONE: &str = "v=0\r\n\
o=alice 2890844526 2890844527 IN IP4 203.0.113.10\r\n\
s=Talk\r\n\
c=IN IP4 203.0.113.10\r\n\
t=0 0\r\n\
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics\r\n\
m=audio 7078 RTP/AVP 111 8 0 9 101\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:0 PCMU/8000\r\n\
a=rtpmap:9 G722/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-16\r\n\
a=ptime:20\r\n\
a=sendrecv\r\n";

/// Audio and video; the video section has its own c= and a private-looking unknown line.
pub const AUDIO_VIDEO: &str = "v=0\r\n\
o=- 4611731400430051336 2 IN IP4 198.51.100.7\r\n\
s=-\r\n\
c=IN IP4 198.51.100.7\r\n\
t=0 0\r\n\
b=AS:2000\r\n\
m=audio 49170 RTP/AVP 0 8 13 97\r\n\
a=rtpmap:97 speex/16000\r\n\
a=ptime:20.0\r\n\
m=video 51372 RTP/AVP 96 31\r\n\
c=IN IP4 198.51.100.8\r\n\
a=rtpmap:96 H264/90000\r\n\
a=fmtp:96 profile-level-id=42e01f;packetization-mode=1\r\n\
a=rtcp-fb:96 nack pli\r\n\
a=recvonly\r\n";

/// A hold re-INVITE in both styles: RFC 2543's c=0.0.0.0 and RFC 3264's a=sendonly.
pub const HOLD: &str = "v=0\r\n\
o=bob 2808844564 2808844565 IN IP4 203.0.113.20\r\n\
s=-\r\n\
c=IN IP4 0.0.0.0\r\n\
t=0 0\r\n\
a=sendonly\r\n\
m=audio 49172 RTP/AVP 8 101\r\n\
a=rtpmap:8 PCMA/8000\r\n\
a=rtpmap:101 telephone-event/8000\r\n";

/// An IPv6 offer with a unique-local media address at media level.
pub const IPV6: &str = "v=0\r\n\
o=carol 1 1 IN IP6 2001:db8::1\r\n\
s=-\r\n\
c=IN IP6 2001:db8::1\r\n\
t=0 0\r\n\
m=audio 5004 RTP/AVP 9 0\r\n\
c=IN IP6 fd12:3456:789a::20\r\n\
a=rtpmap:9 G722/8000\r\n";

/// LF-only line ends, trailing whitespace, a blank line and an unknown line type.
pub const LF_ONLY: &str = "v=0\n\
o=dave 7 7 IN IP4 192.0.2.5 \n\
s=LF only\t\n\
c=IN IP4 192.0.2.5\n\
t=0 0\n\
\n\
y=unknown line type\n\
m=audio 4000 RTP/AVP 3 8 18\n\
a=rtpmap:18 G729/8000\n\
a=fmtp:18 annexb=no\n\
a=x-custom:keep me\n";

/// The audio stream rejected (port 0) beside an accepted video stream.
pub const AUDIO_PORT_0: &str = "v=0\r\n\
o=- 5 6 IN IP4 203.0.113.30\r\n\
s=-\r\n\
c=IN IP4 203.0.113.30\r\n\
t=0 0\r\n\
m=audio 0 RTP/AVP 0\r\n\
m=video 6002 RTP/AVP 31\r\n";

/// Video only.
pub const VIDEO_ONLY: &str = "v=0\r\n\
o=- 8 8 IN IP4 203.0.113.40\r\n\
s=-\r\n\
c=IN IP4 203.0.113.40\r\n\
t=0 0\r\n\
m=video 6004 RTP/AVP 96\r\n\
a=rtpmap:96 VP8/90000\r\n";

/// A phone behind a NAT that did not rewrite its SDP.
pub const PRIVATE: &str = "v=0\r\n\
o=erin 3 3 IN IP4 192.168.1.20\r\n\
s=-\r\n\
c=IN IP4 192.168.1.20\r\n\
t=0 0\r\n\
m=audio 16384 RTP/AVP 8 0 13 101\r\n\
a=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\n";

/// Every fixture, for properties that hold on all of them.
pub const ALL: &[&str] =
    &[SIPP, SOFTPHONE, AUDIO_VIDEO, HOLD, IPV6, LF_ONLY, AUDIO_PORT_0, VIDEO_ONLY, PRIVATE];

/// A codec preference list as the configuration gives it.
pub fn allowed(list: &str) -> Vec<String> {
    list.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// A small deterministic generator (xorshift) for property tests: the same cases on every run.
pub struct Cases(u64);

impl Cases {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Cases {
        Cases(seed | 1)
    }

    /// A number below `bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % bound as u64) as usize
    }
}
