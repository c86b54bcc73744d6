//! The checks a message passes before the transaction layer sees it (RFC 3261 §8.1.3.3, §8.2,
//! §16.3 step 1; RFC 4475 §3.1.2 and §3.3).
//!
//! Syntax only: whether the method is supported, the URI scheme served or the extensions known is
//! for the core to decide, because the answers differ (501, 416, 420…), not 400.

use super::{ParseError, Request, Response, Scheme};

/// Checks a request: mandatory headers present once, every header the core reads well-formed,
/// CSeq's method equal to the request's, and a Request-URI without `<>` or escaped headers.
pub fn validate_request(req: &Request) -> Result<(), ParseError> {
    let uri = req.uri()?;
    if uri.headers.is_some() && matches!(uri.scheme, Scheme::Sip | Scheme::Sips) {
        // RFC 4475 §3.1.2.11: headers in a Request-URI are refused, never turned into headers.
        return Err(ParseError::BadUri("Request-URI (it carries headers)"));
    }
    validate_common(&req.headers)?;
    if req.headers.cseq()?.method != req.method {
        return Err(ParseError::CSeqMethodMismatch);
    }
    for contact in req.headers.contacts() {
        contact?;
    }
    Ok(())
}

/// Checks a response the same way; a response that fails is dropped (RFC 4475 §3.1.2.19).
pub fn validate_response(resp: &Response) -> Result<(), ParseError> {
    validate_common(&resp.headers)
}

fn validate_common(headers: &super::Headers) -> Result<(), ParseError> {
    let mut vias = 0;
    for via in headers.vias() {
        via?;
        vias += 1;
    }
    if vias == 0 {
        return Err(ParseError::MissingHeader("Via"));
    }
    headers.from_addr()?;
    headers.to_addr()?;
    headers.call_id()?;
    headers.cseq()?;
    headers.max_forwards()?;
    headers.content_type()?;
    headers.expires()?;
    for route in headers.routes() {
        route?;
    }
    for route in headers.record_routes() {
        route?;
    }
    Ok(())
}
