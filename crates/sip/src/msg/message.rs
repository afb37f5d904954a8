use std::fmt;

use super::headers::Headers;
use super::method::Method;
use super::name_addr::NameAddr;
use super::typed::{parse_delta_seconds, Accept, AllowEvents, CSeq, EntityTag};
use super::uri::Uri;
use super::via::Via;
use super::ParseError;

/// A SIP request. The body is bytes; `Content-Length` is always written from its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub uri: Uri,
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// A SIP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Request(Request),
    Response(Response),
}

/// Read access to the headers every message carries; typed accessors fail with a
/// [`ParseError`] that a UAS turns into `400 Bad Request` (RFC 3261 §8.2).
pub trait SipMessage {
    fn headers(&self) -> &Headers;
    fn headers_mut(&mut self) -> &mut Headers;
    fn body(&self) -> &[u8];

    fn header(&self, name: &str) -> Option<&str> {
        self.headers().get(name)
    }

    fn top_via(&self) -> Result<Via, ParseError> {
        Via::parse(required(self.headers(), "Via")?)
    }

    fn vias(&self) -> Result<Vec<Via>, ParseError> {
        self.headers().get_all("Via").map(Via::parse).collect()
    }

    // The header is called From; `from_*` reads as a constructor only to clippy.
    #[allow(clippy::wrong_self_convention)]
    fn from_header(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(required(self.headers(), "From")?)
    }

    fn to_header(&self) -> Result<NameAddr, ParseError> {
        NameAddr::parse(required(self.headers(), "To")?)
    }

    fn call_id(&self) -> Result<&str, ParseError> {
        let v = required(self.headers(), "Call-ID")?;
        if v.is_empty() || v.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err(ParseError::new("bad Call-ID"));
        }
        Ok(v)
    }

    fn cseq(&self) -> Result<CSeq, ParseError> {
        CSeq::parse(required(self.headers(), "CSeq")?)
    }

    fn contacts(&self) -> Result<Vec<NameAddr>, ParseError> {
        self.headers()
            .get_all("Contact")
            .map(NameAddr::parse)
            .collect()
    }

    /// The `Expires` header, if present and valid.
    fn expires(&self) -> Option<u32> {
        self.header("Expires")
            .and_then(|v| parse_delta_seconds(v).ok())
    }

    fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }

    /// `SIP-ETag` (RFC 3903 §11.3.1); `None` when absent or no token, which names nothing.
    fn sip_etag(&self) -> Option<EntityTag> {
        self.header("SIP-ETag")
            .and_then(|v| EntityTag::parse(v).ok())
    }

    /// `SIP-If-Match` (RFC 3903 §11.3.2); `None` when absent or no token, which names nothing.
    fn sip_if_match(&self) -> Option<EntityTag> {
        self.header("SIP-If-Match")
            .and_then(|v| EntityTag::parse(v).ok())
    }

    /// `Allow-Events` over every line; `None` when absent.
    fn allow_events(&self) -> Result<Option<AllowEvents>, ParseError> {
        if !self.headers().contains("Allow-Events") {
            return Ok(None);
        }
        AllowEvents::parse(self.headers().get_all("Allow-Events")).map(Some)
    }

    /// `Accept` over every line; `None` when absent, which RFC 3261 §20.1 reads as
    /// `application/sdp`.
    fn accept_header(&self) -> Result<Option<Accept>, ParseError> {
        if !self.headers().contains("Accept") {
            return Ok(None);
        }
        Accept::parse(self.headers().get_all("Accept")).map(Some)
    }

    /// Serialises with a `Content-Length` computed from the body.
    fn to_bytes(&self) -> Vec<u8>;
}

fn required<'a>(h: &'a Headers, name: &str) -> Result<&'a str, ParseError> {
    h.get(name)
        .ok_or_else(|| ParseError::new(format!("missing {name} header")))
}

impl Request {
    pub fn new(method: Method, uri: Uri) -> Request {
        Request {
            method,
            uri,
            headers: Headers::new(),
            body: Vec::new(),
        }
    }

    /// Checks what RFC 3261 §8.1.1 requires of every request, so that a transaction can rely on
    /// it: Via, From, To, Call-ID, CSeq whose method equals the request's, Max-Forwards if
    /// present numeric. The error text is the reason phrase of the `400`.
    pub fn validate(&self) -> Result<(), ParseError> {
        self.validated_top_via().map(drop)
    }

    /// [`validate`](Self::validate), returning the top Via it parsed: the endpoint needs it
    /// next, and parsing every Via of every request twice over was a tenth of its work.
    pub(crate) fn validated_top_via(&self) -> Result<Via, ParseError> {
        let via = self.top_via()?;
        for other in self.headers.get_all("Via").skip(1) {
            Via::parse(other)?;
        }
        self.from_header()?;
        self.to_header()?;
        self.call_id()?;
        let cseq = self.cseq()?;
        if cseq.method != self.method {
            return Err(ParseError::new("CSeq method does not match"));
        }
        if let Some(mf) = self.header("Max-Forwards") {
            mf.trim()
                .parse::<u8>()
                .map_err(|_| ParseError::new("bad Max-Forwards"))?;
        }
        if via.branch().is_none_or(str::is_empty) && via.transport.is_empty() {
            return Err(ParseError::new("bad Via"));
        }
        Ok(via)
    }
}

impl Response {
    /// A response to `req` with the headers RFC 3261 §8.2.6.2 copies (Via, From, To, Call-ID,
    /// CSeq) and no body. Copying is verbatim, so this also works for requests that failed
    /// validation, as long as the headers exist.
    pub fn to_request(req: &Request, status: u16, reason: &str) -> Response {
        let mut headers = Headers::new();
        for name in ["Via", "From", "To", "Call-ID", "CSeq"] {
            for v in req.headers.get_all(name) {
                headers.push(name, v);
            }
        }
        if status == 100 {
            // RFC 3261 §8.2.6.1: a 100 echoes the request's Timestamp.
            if let Some(ts) = req.headers.get("Timestamp") {
                headers.push("Timestamp", ts);
            }
        }
        Response {
            status,
            reason: reason.to_owned(),
            headers,
            body: Vec::new(),
        }
    }

    pub fn is_provisional(&self) -> bool {
        self.status < 200
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl SipMessage for Request {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} SIP/2.0\r\n", self.method, self.uri).into_bytes();
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl SipMessage for Response {
    fn headers(&self) -> &Headers {
        &self.headers
    }
    fn headers_mut(&mut self) -> &mut Headers {
        &mut self.headers
    }
    fn body(&self) -> &[u8] {
        &self.body
    }
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {} {}\r\n", self.status, self.reason).into_bytes();
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

fn write_rest(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    // Plain byte copies: going through `fmt` for every header costs more than the copying.
    for (n, v) in headers.iter() {
        if n == "Content-Length" {
            continue;
        }
        out.reserve(n.len() + v.len() + 4);
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(v.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"Content-Length: ");
    out.extend_from_slice(body.len().to_string().as_bytes());
    out.extend_from_slice(b"\r\n\r\n");
    out.extend_from_slice(body);
}

impl Message {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }

    pub fn headers(&self) -> &Headers {
        match self {
            Message::Request(r) => &r.headers,
            Message::Response(r) => &r.headers,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

impl fmt::Display for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.to_bytes()))
    }
}

/// The standard reason phrase for a status code (RFC 3261 §21 and extensions we emit).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        204 => "No Notification",
        301 => "Moved Permanently",
        302 => "Moved Temporarily",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        412 => "Conditional Request Failed",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        489 => "Bad Event",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Unknown",
    }
}
