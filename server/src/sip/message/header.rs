//! Header names (with RFC 3261 §7.3.3 compact forms) and the ordered header list of a message.
//!
//! Values are kept as the bytes received (a [`Bytes`] slice of the datagram, so parsing copies
//! nothing); only folded values are rewritten, with each fold turned into one space as RFC 3261
//! §7.3.1 makes them equivalent. Headers Ringway does not know are carried with their name spelt
//! as received.

use bytes::Bytes;

macro_rules! header_names {
    (@compact $compact:literal) => { Some($compact) };
    (@compact) => { None };
    ($( $variant:ident = $canonical:literal $(, $compact:literal)? ;)*) => {
        /// A header field name. Known names compare case-insensitively and by compact form;
        /// every other name is kept as received in [`HeaderName::Other`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum HeaderName {
            $(
                #[doc = concat!("`", $canonical, "`")]
                $variant,
            )*
            /// A header Ringway has no typed access for, spelt as received.
            Other(Bytes),
        }

        impl HeaderName {
            /// The known header this name spells, long or compact form, ignoring case.
            pub fn known(name: &[u8]) -> Option<HeaderName> {
                // Compact forms are one letter: a single comparison each.
                if let [letter] = name {
                    let letter = letter.to_ascii_lowercase();
                    $($(
                        if letter == $compact.as_bytes()[0] {
                            return Some(HeaderName::$variant);
                        }
                    )?)*
                    return None;
                }
                let candidate = long_form_candidate(name)?;
                eq_ignore_case(name, candidate.as_bytes()).then_some(candidate)
            }

            /// Every known name, for tests.
            #[cfg(test)]
            const ALL_KNOWN: &'static [(HeaderName, &'static str, Option<&'static str>)] = &[
                $((HeaderName::$variant, $canonical, header_names!(@compact $($compact)?)),)*
            ];

            /// The name as Ringway writes it: the canonical long form, or the received spelling.
            pub fn as_bytes(&self) -> &[u8] {
                match self {
                    $(HeaderName::$variant => $canonical.as_bytes(),)*
                    HeaderName::Other(name) => name,
                }
            }

            /// The canonical long form for known names (for messages and metrics labels).
            pub fn as_str(&self) -> &str {
                match self {
                    $(HeaderName::$variant => $canonical,)*
                    HeaderName::Other(name) => std::str::from_utf8(name).unwrap_or("?"),
                }
            }
        }
    };
}

header_names! {
    Via = "Via", "v";
    From = "From", "f";
    To = "To", "t";
    CallId = "Call-ID", "i";
    CSeq = "CSeq";
    Contact = "Contact", "m";
    MaxForwards = "Max-Forwards";
    ContentLength = "Content-Length", "l";
    ContentType = "Content-Type", "c";
    ContentEncoding = "Content-Encoding", "e";
    Route = "Route";
    RecordRoute = "Record-Route";
    Expires = "Expires";
    MinExpires = "Min-Expires";
    Require = "Require";
    Supported = "Supported", "k";
    ProxyRequire = "Proxy-Require";
    Unsupported = "Unsupported";
    Allow = "Allow";
    Accept = "Accept";
    WwwAuthenticate = "WWW-Authenticate";
    ProxyAuthenticate = "Proxy-Authenticate";
    Authorization = "Authorization";
    ProxyAuthorization = "Proxy-Authorization";
    Path = "Path";
    Subject = "Subject", "s";
    Event = "Event", "o";
    AllowEvents = "Allow-Events", "u";
    ReferTo = "Refer-To", "r";
    ReferredBy = "Referred-By", "b";
    SessionExpires = "Session-Expires", "x";
    AcceptContact = "Accept-Contact", "a";
    RejectContact = "Reject-Contact", "j";
    RequestDisposition = "Request-Disposition", "d";
    Identity = "Identity", "y";
    Server = "Server";
    UserAgent = "User-Agent";
    Warning = "Warning";
    Reason = "Reason";
    Date = "Date";
    Timestamp = "Timestamp";
    RetryAfter = "Retry-After";
}

/// The only known header a long name of this length and first letter can be (the caller still
/// compares the whole name): a jump on two octets instead of a chain of comparisons, because
/// every message has a dozen header lines. Keep in step with `header_names!`; the
/// `every_known_name_is_found_by_the_dispatch` test checks it.
/// `eq_ignore_ascii_case` without early exit, which the compiler vectorises: header names are
/// compared once per line of every message.
fn eq_ignore_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).fold(true, |eq, (x, y)| eq & x.eq_ignore_ascii_case(y))
}

fn long_form_candidate(name: &[u8]) -> Option<HeaderName> {
    use HeaderName as H;
    let lower = |i: usize| name.get(i).map_or(0, u8::to_ascii_lowercase);
    Some(match (name.len(), lower(0)) {
        (2, b't') => H::To,
        (3, b'v') => H::Via,
        (4, b'f') => H::From,
        (4, b'c') => H::CSeq,
        (4, b'p') => H::Path,
        (4, b'd') => H::Date,
        (5, b'r') => H::Route,
        (5, b'a') => H::Allow,
        (5, b'e') => H::Event,
        (6, b'a') => H::Accept,
        (6, b's') => H::Server,
        (6, b'r') => H::Reason,
        (7, b'c') if lower(2) == b'l' => H::CallId,
        (7, b'c') => H::Contact,
        (7, b'e') => H::Expires,
        (7, b'r') => H::Require,
        (7, b's') => H::Subject,
        (7, b'w') => H::Warning,
        (8, b'r') => H::ReferTo,
        (8, b'i') => H::Identity,
        (9, b's') => H::Supported,
        (9, b't') => H::Timestamp,
        (10, b'u') => H::UserAgent,
        (11, b'm') => H::MinExpires,
        (11, b'u') => H::Unsupported,
        (11, b'r') if lower(2) == b'f' => H::ReferredBy,
        (11, b'r') => H::RetryAfter,
        (12, b'm') => H::MaxForwards,
        (12, b'c') => H::ContentType,
        (12, b'r') => H::RecordRoute,
        (12, b'a') => H::AllowEvents,
        (13, b'p') => H::ProxyRequire,
        (13, b'a') => H::Authorization,
        (14, b'c') => H::ContentLength,
        (14, b'a') => H::AcceptContact,
        (14, b'r') => H::RejectContact,
        (15, b's') => H::SessionExpires,
        (16, b'c') => H::ContentEncoding,
        (16, b'w') => H::WwwAuthenticate,
        (18, b'p') => H::ProxyAuthenticate,
        (19, b'p') => H::ProxyAuthorization,
        (19, b'r') => H::RequestDisposition,
        _ => return None,
    })
}

impl HeaderName {
    /// Recognises a header name, long or compact form, ignoring case; copies unknown names.
    pub fn from_bytes(name: &[u8]) -> HeaderName {
        HeaderName::known(name).unwrap_or_else(|| HeaderName::Other(Bytes::copy_from_slice(name)))
    }

    /// Like [`HeaderName::from_bytes`], but an unknown name shares the buffer it came from.
    pub fn from_shared(name: Bytes) -> HeaderName {
        HeaderName::known(&name).unwrap_or(HeaderName::Other(name))
    }

    /// Whether a header's value is a comma-separated list whose elements may also be written as
    /// separate header lines (RFC 3261 §7.3.1). Challenges and credentials are not: their commas
    /// separate parameters of one value.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            HeaderName::Via
                | HeaderName::Contact
                | HeaderName::Route
                | HeaderName::RecordRoute
                | HeaderName::Require
                | HeaderName::Supported
                | HeaderName::ProxyRequire
                | HeaderName::Unsupported
                | HeaderName::Allow
                | HeaderName::Accept
                | HeaderName::Path
                | HeaderName::AllowEvents
                | HeaderName::ContentEncoding
        )
    }
}

/// One header field line: a name and its value with surrounding whitespace removed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The field name.
    pub name: HeaderName,
    /// The value, byte-exact as received apart from unfolding.
    pub value: Bytes,
}

/// The header fields of a message, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Headers {
    list: Vec<Header>,
}

impl Headers {
    /// An empty list with room for `n` headers.
    pub fn with_capacity(n: usize) -> Self {
        Headers { list: Vec::with_capacity(n) }
    }

    /// All header fields in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Header> {
        self.list.iter()
    }

    /// How many header lines the message has.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are no header lines.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The value of the first header line with this name.
    pub fn get(&self, name: &HeaderName) -> Option<&Bytes> {
        self.list.iter().find(|h| &h.name == name).map(|h| &h.value)
    }

    /// The values of every header line with this name, in order (list elements not split).
    pub fn get_all<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a Bytes> + 'a {
        self.list.iter().filter(move |h| &h.name == name).map(|h| &h.value)
    }

    /// How many header lines carry this name.
    pub fn count(&self, name: &HeaderName) -> usize {
        self.list.iter().filter(|h| &h.name == name).count()
    }

    /// Every element of a list header across all its lines, split at top-level commas (commas
    /// inside quotes or `<...>` do not split), trimmed.
    pub fn elements<'a>(&'a self, name: &'a HeaderName) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.get_all(name).flat_map(|v| split_list(v))
    }

    /// Appends a header line.
    pub fn push(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        self.list.push(Header { name, value: value.into() });
    }

    /// Inserts a header line before the first line of the same name, or first of all when there
    /// is none: how a Via or a Route is prepended.
    pub fn prepend(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let at = self.list.iter().position(|h| h.name == name).unwrap_or(0);
        self.list.insert(at, Header { name, value: value.into() });
    }

    /// Removes the first element of a list header (the top Via, the first Route) and returns it.
    /// When the first line holds several comma-separated elements only the first is removed.
    pub fn remove_first(&mut self, name: &HeaderName) -> Option<Bytes> {
        let at = self.list.iter().position(|h| &h.name == name)?;
        let value = self.list[at].value.clone();
        match first_split(&value) {
            Some((first, rest_start)) => {
                let first = value.slice_ref(first);
                self.list[at].value = value.slice(rest_start..);
                Some(first)
            }
            None => Some(self.list.remove(at).value),
        }
    }

    /// Removes every line with this name.
    pub fn remove_all(&mut self, name: &HeaderName) {
        self.list.retain(|h| &h.name != name);
    }

    /// Replaces every line with this name by one line with this value (appended if absent).
    pub fn set(&mut self, name: HeaderName, value: impl Into<Bytes>) {
        let value = value.into();
        match self.list.iter().position(|h| h.name == name) {
            Some(at) => {
                self.list[at].value = value;
                let mut i = at + 1;
                while i < self.list.len() {
                    if self.list[i].name == name {
                        self.list.remove(i);
                    } else {
                        i += 1;
                    }
                }
            }
            None => self.push(name, value),
        }
    }
}

impl<'a> IntoIterator for &'a Headers {
    type Item = &'a Header;
    type IntoIter = std::slice::Iter<'a, Header>;
    fn into_iter(self) -> Self::IntoIter {
        self.list.iter()
    }
}

/// Splits a list value at commas outside quoted strings and angle brackets.
pub fn split_list(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(value);
    std::iter::from_fn(move || {
        loop {
            let current = rest?;
            let (element, next) = match first_split(current) {
                Some((first, next_start)) => (first, Some(&current[next_start..])),
                None => (trim(current), None),
            };
            rest = next;
            if !element.is_empty() || rest.is_none() {
                return (!element.is_empty()).then_some(element);
            }
        }
    })
}

/// The first element of a list value and where the rest starts, when there is a top-level comma.
fn first_split(value: &[u8]) -> Option<(&[u8], usize)> {
    // Most list values hold one element: no comma at all means nothing to split.
    memchr::memchr(b',', value)?;
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' if in_quotes => i += 1,
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => in_angle = true,
            b'>' if !in_quotes => in_angle = false,
            b',' if !in_quotes && !in_angle => {
                let mut next = i + 1;
                while next < value.len() && is_wsp(value[next]) {
                    next += 1;
                }
                return Some((trim(&value[..i]), next));
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Space or horizontal tab.
pub(crate) fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// Trims spaces, tabs and line ends on both sides.
pub(crate) fn trim(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if is_wsp(*first) || *first == b'\r' || *first == b'\n' {
            s = rest;
        } else {
            break;
        }
    }
    while let [rest @ .., last] = s {
        if is_wsp(*last) || *last == b'\r' || *last == b'\n' {
            s = rest;
        } else {
            break;
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_name_the_same_header_per_rfc3261_section_7_3_3() {
        assert_eq!(HeaderName::from_bytes(b"v"), HeaderName::Via);
        assert_eq!(HeaderName::from_bytes(b"CALL-id"), HeaderName::CallId);
        assert_eq!(HeaderName::from_bytes(b"l"), HeaderName::ContentLength);
        assert_eq!(HeaderName::from_bytes(b"X-Foo").as_bytes(), b"X-Foo");
    }

    #[test]
    fn every_known_name_is_found_by_the_dispatch() {
        for (variant, canonical, compact) in HeaderName::ALL_KNOWN {
            for spelling in [canonical.to_string(), canonical.to_ascii_lowercase(), canonical.to_ascii_uppercase()] {
                assert_eq!(HeaderName::known(spelling.as_bytes()).as_ref(), Some(variant), "{spelling}");
            }
            if let Some(c) = compact {
                assert_eq!(HeaderName::known(c.to_ascii_uppercase().as_bytes()).as_ref(), Some(variant));
            }
        }
        for unknown in ["Call-IE", "Contacts", "q", "Toe", "Retry-Afteq", "Referred-Bx", "", "z"] {
            assert_eq!(HeaderName::known(unknown.as_bytes()), None, "{unknown}");
        }
    }

    #[test]
    fn list_elements_split_only_at_top_level_commas() {
        let v = br#""Doe, John" <sip:a@b;x=1,2>;q=0.5 , <sip:c@d>,,"#;
        let parts: Vec<_> = split_list(v).collect();
        assert_eq!(parts, vec![&br#""Doe, John" <sip:a@b;x=1,2>;q=0.5"#[..], b"<sip:c@d>"]);
    }

    #[test]
    fn prepend_puts_a_via_on_top_and_remove_first_takes_one_element() {
        let mut h = Headers::default();
        h.push(HeaderName::CallId, "x");
        h.push(HeaderName::Via, "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/UDP b");
        h.prepend(HeaderName::Via, "SIP/2.0/UDP me;branch=z9hG4bK2");
        let vias: Vec<_> = h.elements(&HeaderName::Via).collect();
        assert_eq!(vias.len(), 3);
        assert_eq!(vias[0], b"SIP/2.0/UDP me;branch=z9hG4bK2");
        assert_eq!(&h.remove_first(&HeaderName::Via).unwrap()[..], b"SIP/2.0/UDP me;branch=z9hG4bK2");
        assert_eq!(&h.remove_first(&HeaderName::Via).unwrap()[..], b"SIP/2.0/UDP a;branch=z9hG4bK1");
        assert_eq!(h.elements(&HeaderName::Via).collect::<Vec<_>>(), vec![b"SIP/2.0/UDP b"]);
    }
}
