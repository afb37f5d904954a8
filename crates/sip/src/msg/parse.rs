use super::headers::Headers;
use super::message::{Message, Request, Response};
use super::method::{is_token_byte, Method};
use super::uri::Uri;
use super::ParseError;

/// Largest message we accept, by default: far above any real SIP message (RFC 3261 §18.1.1
/// expects about 1300 bytes on UDP) and small enough that a hostile peer cannot make us hold
/// much.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// More header fields than any honest message has; bounds the work per message.
const MAX_HEADER_FIELDS: usize = 256;

/// How a message arrived: a datagram's body is the rest of the datagram when there is no
/// Content-Length; a stream needs Content-Length to find the end (RFC 3261 §18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Datagram,
    Stream,
}

impl Message {
    /// Parses one datagram.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        parse_message(bytes, Framing::Datagram, DEFAULT_MAX_MESSAGE_SIZE)
    }
}

/// Parses one message. A request whose head parsed but whose body is inconsistent comes back in
/// [`ParseError::request`], so that it can still be answered with `400`.
pub fn parse_message(bytes: &[u8], framing: Framing, max: usize) -> Result<Message, ParseError> {
    if bytes.len() > max {
        return Err(ParseError::with_status(513, "message too large"));
    }
    // RFC 3261 §7.5: empty lines before the start line are ignored.
    let start = bytes
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .ok_or_else(|| ParseError::new("empty message"))?;
    let bytes = &bytes[start..];
    let (head_len, body_start) =
        find_head_end(bytes).ok_or_else(|| ParseError::new("no end of headers"))?;
    let head = std::str::from_utf8(&bytes[..head_len])
        .map_err(|_| ParseError::new("headers are not UTF-8"))?;
    let rest = &bytes[body_start..];

    let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let start_line = lines.next().unwrap_or("");
    let headers = parse_headers(lines)?;
    let body = match headers.get("Content-Length") {
        Some(v) => {
            let len: usize = v
                .trim()
                .parse()
                .map_err(|_| ParseError::new("bad Content-Length"))?;
            if len > rest.len() {
                Err(ParseError::new("body shorter than Content-Length"))
            } else {
                // Extra bytes after the body in a datagram are discarded (RFC 3261 §18.3).
                Ok(rest[..len].to_vec())
            }
        }
        None if framing == Framing::Stream => Err(ParseError::new("missing Content-Length")),
        None => Ok(rest.to_vec()),
    };

    if let Some(status_line) = start_line.strip_prefix("SIP/2.0 ") {
        let (code, reason) = status_line.split_once(' ').unwrap_or((status_line, ""));
        let status = code
            .parse::<u16>()
            .ok()
            .filter(|c| code.len() == 3 && (100..700).contains(c))
            .ok_or_else(|| ParseError::new(format!("bad status code {code:?}")))?;
        return Ok(Message::Response(Response {
            status,
            reason: reason.to_owned(),
            headers,
            body: body?,
        }));
    }

    let mut parts = start_line.split(' ');
    let (Some(m), Some(u), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::new(format!("bad start line {start_line:?}")));
    };
    let method = Method::parse(m).ok_or_else(|| ParseError::new(format!("bad method {m:?}")))?;
    let uri = Uri::parse(u)?;
    let mut request = Request {
        method,
        uri,
        headers,
        body: Vec::new(),
    };
    if v != "SIP/2.0" {
        return Err(ParseError::with_status(505, "version not supported").for_request(request));
    }
    match body {
        Ok(b) => {
            request.body = b;
            Ok(Message::Request(request))
        }
        Err(e) => Err(e.for_request(request)),
    }
}

/// Offset of the end of the head, and of the body. Bare-LF line ends are accepted because
/// enough old software sends them.
pub(crate) fn find_head_end(b: &[u8]) -> Option<(usize, usize)> {
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\n' {
            if b.get(i + 1) == Some(&b'\n') {
                return Some((i, i + 2));
            }
            if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') {
                let end = if i > 0 && b[i - 1] == b'\r' { i - 1 } else { i };
                return Some((end, i + 3));
            }
        }
        i += 1;
    }
    None
}

fn parse_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Result<Headers, ParseError> {
    // Unfold first: a line starting with whitespace continues the previous one (RFC 3261 §7.3.1).
    let mut fields: Vec<(&str, String)> = Vec::new();
    for line in lines {
        if line.starts_with([' ', '\t']) {
            let (_, value) = fields
                .last_mut()
                .ok_or_else(|| ParseError::new("continuation line before any header"))?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        if fields.len() == MAX_HEADER_FIELDS {
            return Err(ParseError::new("too many header fields"));
        }
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| ParseError::new(format!("header line without colon: {line:?}")))?;
        let name = name.trim_end();
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(ParseError::new(format!("bad header name {name:?}")));
        }
        fields.push((name, value.trim().to_owned()));
    }
    let mut headers = Headers::new();
    for (name, value) in fields {
        headers.push_wire(name, value);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::SipMessage;

    const REGISTER: &str = "REGISTER sip:example.test SIP/2.0\r\n\
v: SIP/2.0/UDP 127.0.0.1:5062;rport;branch=z9hG4bK776asdhds\r\n\
Max-Forwards: 70\r\n\
t: Alice <sip:alice@example.test>\r\n\
f: Alice <sip:alice@example.test>;tag=1928301774\r\n\
i: a84b4c76e66710@pc33\r\n\
CSeq: 1 REGISTER\r\n\
m: <sip:alice@127.0.0.1:5062>;expires=60,\r\n <sip:alice@127.0.0.1:5064>;q=0.5\r\n\
Subject: a header\r\n  folded over\r\n\tthree lines\r\n\
l: 4\r\n\r\nbodyEXTRA";

    #[test]
    fn compact_folded_and_multi_value_headers() {
        let Message::Request(r) = Message::parse(REGISTER.as_bytes()).unwrap() else {
            panic!("not a request")
        };
        r.validate().unwrap();
        assert_eq!(r.method, Method::Register);
        assert_eq!(r.contacts().unwrap().len(), 2);
        assert_eq!(
            r.header("subject"),
            Some("a header folded over three lines")
        );
        assert_eq!(r.body, b"body");
        assert_eq!(r.from_header().unwrap().tag(), Some("1928301774"));
        let again = Message::parse(&r.to_bytes()).unwrap();
        assert_eq!(again, Message::Request(r));
    }

    #[test]
    fn stream_framing_requires_content_length() {
        let msg = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n";
        let err = parse_message(msg, Framing::Stream, 1000).unwrap_err();
        assert!(err.request.is_some(), "head parsed, so it can be answered");
        assert!(parse_message(msg, Framing::Datagram, 1000).is_ok());
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for bad in [
            &b""[..],
            b"\r\n\r\n",
            b"INVITE\r\n\r\n",
            b"SIP/2.0 99 Low\r\n\r\n",
            b"SIP/2.0 abc X\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\n no colon first\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\nContent-Length: 10\r\n\r\nshort",
            b"INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n",
            b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n",
        ] {
            assert!(
                Message::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        let err = Message::parse(b"INVITE sip:a@b SIP/3.0\r\nVia: x\r\n\r\n").unwrap_err();
        assert_eq!(err.status, 505);
    }

    #[test]
    fn response_parses() {
        let m = Message::parse(b"SIP/2.0 180 Ringing Now\r\nl: 0\r\n\r\n").unwrap();
        let Message::Response(r) = m else { panic!() };
        assert_eq!((r.status, r.reason.as_str()), (180, "Ringing Now"));
    }
}
