//! Which transaction a message belongs to (RFC 3261 §17.1.3, §17.2.3).

use crate::msg::{Method, ParseError, Request, Response, SipMessage, Via, BRANCH_COOKIE};

/// A client transaction is named by the branch of the Via we put on top and the method: a
/// CANCEL reuses its INVITE's branch, so the method tells them apart (RFC 3261 §17.1.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct ClientKey {
    branch: String,
    method: Method,
}

impl ClientKey {
    /// The key of a request we send; `None` when its top Via has no branch.
    pub(crate) fn for_request(req: &Request) -> Option<ClientKey> {
        let via = req.top_via().ok()?;
        Some(ClientKey {
            branch: via.branch()?.to_owned(),
            method: req.method.clone(),
        })
    }

    /// The key a response answers: its top Via branch and its CSeq method.
    pub(crate) fn for_response(resp: &Response) -> Result<ClientKey, ParseError> {
        let via = resp.top_via()?;
        let branch = via
            .branch()
            .ok_or_else(|| ParseError::new("response Via without branch"))?;
        Ok(ClientKey {
            branch: branch.to_owned(),
            method: resp.cseq()?.method,
        })
    }
}

/// A server transaction's name. RFC 3261 peers are matched by branch, sent-by and method
/// (§17.2.3); RFC 2543 peers, whose branch lacks the magic cookie, by the request's identity
/// (§17.2.3, last paragraphs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ServerKey {
    Rfc3261 {
        branch: String,
        sent_by: String,
        method: Method,
    },
    /// Simplified: the To tag is left out, because the ACK of a non-2xx carries the tag of the
    /// response while the INVITE had none; R-URI, From tag, Call-ID, CSeq number and the top
    /// Via's sent-by still have to match.
    Rfc2543 {
        uri: String,
        from_tag: Option<String>,
        call_id: String,
        seq: u32,
        sent_by: String,
        method: Method,
    },
}

impl ServerKey {
    /// The key of a received request; an ACK gets the key of the INVITE it acknowledges.
    /// Fails only on requests that [`Request::validate`] rejects.
    /// `via` is the request's top Via, which the caller has already parsed.
    pub(crate) fn for_request(req: &Request, via: &Via) -> Result<ServerKey, ParseError> {
        let sent_by = format!(
            "{}:{}",
            via.host.to_ascii_lowercase(),
            via.port.unwrap_or_else(|| via.default_port())
        );
        let method = match req.method {
            Method::Ack => Method::Invite,
            ref m => m.clone(),
        };
        if let Some(branch) = via.branch().filter(|b| b.starts_with(BRANCH_COOKIE)) {
            return Ok(ServerKey::Rfc3261 {
                branch: branch.to_owned(),
                sent_by,
                method,
            });
        }
        Ok(ServerKey::Rfc2543 {
            uri: req.uri.to_string(),
            from_tag: req.from_header()?.tag().map(str::to_owned),
            call_id: req.call_id()?.to_owned(),
            seq: req.cseq()?.seq,
            sent_by,
            method,
        })
    }

    /// The same request identity with another method: a CANCEL looks up its INVITE this way
    /// (RFC 3261 §9.2: same branch and sent-by, or same identity for RFC 2543 peers).
    pub(crate) fn with_method(&self, method: Method) -> ServerKey {
        let mut key = self.clone();
        match &mut key {
            ServerKey::Rfc3261 { method: m, .. } | ServerKey::Rfc2543 { method: m, .. } => {
                *m = method
            }
        }
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::Message;

    fn request(method: &str, via: &str, to_tag: &str) -> Request {
        let text = format!(
            "{method} sip:bob@b.test SIP/2.0\r\nVia: {via}\r\nFrom: <sip:a@a.test>;tag=f1\r\n\
             To: <sip:bob@b.test>{to_tag}\r\nCall-ID: c1\r\nCSeq: 7 {method}\r\nContent-Length: 0\r\n\r\n"
        );
        match Message::parse(text.as_bytes()).unwrap() {
            Message::Request(r) => r,
            Message::Response(_) => unreachable!("a request was written"),
        }
    }

    fn key(req: &Request) -> ServerKey {
        ServerKey::for_request(req, &req.top_via().unwrap()).unwrap()
    }

    #[test]
    fn ack_and_cancel_find_their_invite() {
        for via in [
            "SIP/2.0/UDP h.test:5060;branch=z9hG4bKx",
            "SIP/2.0/UDP h.test;branch=1234",
            "SIP/2.0/UDP h.test",
        ] {
            let invite = key(&request("INVITE", via, ""));
            let ack = key(&request("ACK", via, ";tag=t"));
            assert_eq!(ack, invite, "{via}");
            let cancel = key(&request("CANCEL", via, ""));
            assert_ne!(cancel, invite);
            assert_eq!(cancel.with_method(Method::Invite), invite);
        }
    }

    #[test]
    fn sent_by_separates_equal_branches() {
        let a = request("INVITE", "SIP/2.0/UDP a.test;branch=z9hG4bKx", "");
        let b = request("INVITE", "SIP/2.0/UDP b.test;branch=z9hG4bKx", "");
        assert_ne!(key(&a), key(&b));
    }
}
