//! Message builders shared by the dialog, event and publication tests.

use std::time::{Duration, Instant};

use crate::msg::{Method, NameAddr, Request, Response, SipMessage, Uri};

pub(crate) fn uri(s: &str) -> Uri {
    Uri::parse(s).expect("test URIs are valid")
}

pub(crate) fn na(s: &str) -> NameAddr {
    NameAddr::parse(s).expect("test name-addrs are valid")
}

pub(crate) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

pub(crate) fn request(method: Method, r_uri: &str, headers: &[(&str, &str)]) -> Request {
    let mut req = Request::new(method, uri(r_uri));
    for (n, v) in headers {
        req.headers.push(n, *v);
    }
    req
}

/// A response to `req`, with `to_tag` added to its To and `extra` headers appended.
pub(crate) fn reply(
    req: &Request,
    status: u16,
    to_tag: Option<&str>,
    extra: &[(&str, &str)],
) -> Response {
    let mut resp = Response::to_request(req, status, "Test");
    if let Some(tag) = to_tag {
        let mut to = req.to_header().expect("test requests have a To");
        to.set_tag(tag);
        resp.headers.set("To", to.to_string());
    }
    for (n, v) in extra {
        resp.headers.push(n, *v);
    }
    resp
}

/// Round-trips through the wire format with a Via added, as the transaction layer would,
/// to prove what the machines build is well-formed SIP.
pub(crate) fn on_the_wire(req: &Request) -> Request {
    let mut req = req.clone();
    req.headers
        .push_front("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKtest");
    match crate::msg::Message::parse(&req.to_bytes()) {
        Ok(crate::msg::Message::Request(parsed)) => {
            parsed.validate().expect("built requests validate");
            parsed
        }
        other => panic!("not a request: {other:?}"),
    }
}

pub(crate) fn start() -> Instant {
    Instant::now()
}

pub(crate) fn assert_send<T: Send>() {}
