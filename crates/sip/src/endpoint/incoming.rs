//! Everything that arrives from the network: parsing, validation, RFC 3581 stamping, and
//! matching to transactions (RFC 3261 §17.1.3, §17.2.3).

use std::net::IpAddr;
use std::time::Instant;

use super::{Endpoint, EndpointEvent};
use crate::msg::{parse_message, reason_phrase, Framing, Message, Method, ParseError};
use crate::msg::{Request, Response, SipMessage, Via};
use crate::transport::Remote;
use crate::txn::{ClientKey, ClientState, ServerKey, ServerTxn, TxnId};

impl Endpoint {
    /// A datagram (UDP), or the bytes of one complete message framed from a stream.
    pub fn handle_input(&mut self, now: Instant, from: Remote, bytes: &[u8]) {
        // Bare CRLFs are keep-alives (RFC 5626 §3.5.1; common over UDP too), not messages.
        if bytes.iter().all(|&b| b == b'\r' || b == b'\n') {
            return;
        }
        let framing = if from.transport.is_reliable() {
            Framing::Stream
        } else {
            Framing::Datagram
        };
        let max = self.config.max_message_size;
        let mut msg = parse_message(bytes, framing, max);
        if let Err(e) = &mut msg {
            if e.status == 513 && e.request.is_none() {
                // The parser refuses oversized input unread; the head alone may still fit, and
                // a 513 needs its Via, From, To, Call-ID and CSeq (RFC 3261 §21.5.14).
                e.request = head_of(&bytes[..max.min(bytes.len())], framing, max);
            }
        }
        self.handle_message(now, from, msg);
    }

    /// An already parsed message, as a `StreamFramer` yields it; same semantics as
    /// [`handle_input`](Self::handle_input).
    pub fn handle_message(&mut self, now: Instant, from: Remote, msg: Result<Message, ParseError>) {
        let now = self.advance(now);
        match msg {
            Ok(Message::Request(req)) => self.on_request(now, from, req),
            Ok(Message::Response(resp)) => self.on_response(now, from, resp),
            Err(ParseError {
                status,
                reason,
                request: Some(req),
            }) => self.reject(from, &req, status, &reason),
            Err(e) => self.out.event(EndpointEvent::Dropped {
                reason: e.reason,
                from,
            }),
        }
    }

    /// Answers a request we cannot process, statelessly: malformed ones never open a
    /// transaction (RFC 3261 §8.2). An ACK cannot be answered, so it is dropped.
    fn reject(&mut self, from: Remote, req: &Request, status: u16, reason: &str) {
        if req.method == Method::Ack {
            self.out.event(EndpointEvent::Dropped {
                reason: format!("malformed ACK: {reason}"),
                from,
            });
            return;
        }
        let mut resp = Response::to_request(req, status, reason);
        if status == 503 {
            // RFC 3261 §21.5.4: tell the client when to come back instead of failing over.
            resp.headers.push("Retry-After", "5");
        }
        self.out.send(from, resp.to_bytes());
    }

    fn on_request(&mut self, now: Instant, from: Remote, mut req: Request) {
        let via = match req.validated_top_via() {
            Ok(via) => via,
            Err(e) => return self.reject(from, &req, e.status, &e.reason),
        };
        // Stamping adds parameters only; the key reads the branch and sent-by, unchanged.
        let key = ServerKey::for_request(&req, &via);
        stamp_via(&mut req, via, from);
        let key = match key {
            Ok(key) => key,
            Err(e) => return self.reject(from, &req, e.status, &e.reason),
        };
        match req.method {
            Method::Ack => self.on_ack(now, from, key, req),
            Method::Cancel => self.on_cancel(now, from, key, req),
            _ => {
                if let Some(&id) = self.server_keys.get(&key) {
                    if let Some(txn) = self.servers.get_mut(&id) {
                        txn.on_retransmission(&mut self.out);
                    }
                    self.settle_server(id);
                    return;
                }
                let Some(id) = self.open_server(now, from, key, &req) else {
                    return;
                };
                self.out.event(EndpointEvent::IncomingRequest {
                    txn: id,
                    request: req,
                    from,
                });
            }
        }
    }

    /// Opens a server transaction, or answers 503 when the table is full of live ones.
    fn open_server(
        &mut self,
        now: Instant,
        from: Remote,
        key: ServerKey,
        req: &Request,
    ) -> Option<TxnId> {
        if self.servers.len() >= self.config.max_transactions && !self.end_oldest_lingering() {
            self.reject(from, req, 503, reason_phrase(503));
            return None;
        }
        let id = self.next_id();
        let txn = ServerTxn::new(id, key.clone(), req, from, self.config.timers, now);
        self.server_keys.insert(key, id);
        self.servers.insert(id, txn);
        self.settle_server(id);
        Some(id)
    }

    /// Makes room in a full table by ending the lingering server transaction (see
    /// `ServerTxn::is_lingering`) whose timer is due soonest. Under sustained load over UDP
    /// the table fills with transactions that have answered and wait out Timer J (32 s);
    /// refusing new requests with 503 for them turned a memory bound into a rate limit.
    /// Only the earliest deadlines are looked at, so a table full of live transactions
    /// still gets its 503 at once.
    fn end_oldest_lingering(&mut self) -> bool {
        const LOOK_AT: usize = 64;
        let oldest = self
            .deadlines
            .iter()
            .take(LOOK_AT)
            .map(|&(_, id)| id)
            .find(|id| self.servers.get(id).is_some_and(ServerTxn::is_lingering));
        let Some(id) = oldest else {
            return false;
        };
        if let Some(txn) = self.servers.remove(&id) {
            self.server_keys.remove(txn.key());
        }
        self.file_deadline(id, None);
        true
    }

    /// An ACK either completes our non-2xx (same branch, §17.2.3) and is absorbed, or
    /// acknowledges a 2xx (new branch, §13.2.2.4) and belongs to the TU.
    fn on_ack(&mut self, now: Instant, from: Remote, key: ServerKey, ack: Request) {
        let matched = self.server_keys.get(&key).copied().or_else(|| {
            self.servers
                .iter()
                .find(|(_, t)| t.is_acked_by(&ack))
                .map(|(&id, _)| id)
        });
        let pass_up = match matched.and_then(|id| self.servers.get_mut(&id)) {
            Some(txn) => txn.on_ack(now),
            // Nothing left to match (after Timer L, or a 2xx sent statelessly): the dialog
            // decides.
            None => true,
        };
        if let Some(id) = matched {
            self.settle_server(id);
        }
        if pass_up {
            self.out
                .event(EndpointEvent::IncomingAck { request: ack, from });
        }
    }

    /// RFC 3261 §9.2: a CANCEL matching a live INVITE is answered 200 by its own non-INVITE
    /// server transaction; one matching nothing gets 481. Only an INVITE without a final
    /// response is actually cancelled, by the TU answering it 487.
    fn on_cancel(&mut self, now: Instant, from: Remote, key: ServerKey, cancel: Request) {
        if let Some(&id) = self.server_keys.get(&key) {
            if let Some(txn) = self.servers.get_mut(&id) {
                txn.on_retransmission(&mut self.out);
            }
            self.settle_server(id);
            return;
        }
        let Some(&invite) = self.server_keys.get(&key.with_method(Method::Invite)) else {
            return self.reject(from, &cancel, 481, reason_phrase(481));
        };
        let Some(target) = self.servers.get(&invite) else {
            return self.reject(from, &cancel, 481, reason_phrase(481));
        };
        let cancellable = target.is_cancellable();
        // §9.2: the 200 to the CANCEL should carry the To tag of the INVITE's responses.
        let tag = match target.to_tag() {
            Some(tag) => tag,
            None => self.new_tag(),
        };
        let Some(id) = self.open_server(now, from, key, &cancel) else {
            return;
        };
        let mut ok = Response::to_request(&cancel, 200, reason_phrase(200));
        if let Ok(mut to) = ok.to_header() {
            if to.tag().is_none() {
                to.set_tag(&tag);
                ok.headers.set("To", to.to_string());
            }
        }
        if let Some(txn) = self.servers.get_mut(&id) {
            // A fresh transaction in Trying always takes a final response.
            let _ = txn.send_response(now, ok, &mut self.out);
        }
        self.settle_server(id);
        if cancellable {
            self.out
                .event(EndpointEvent::CancelReceived { invite, cancel });
        }
    }

    fn on_response(&mut self, now: Instant, from: Remote, resp: Response) {
        let key = match ClientKey::for_response(&resp) {
            Ok(key) => key,
            Err(e) => {
                return self.out.event(EndpointEvent::Dropped {
                    reason: format!("malformed response: {}", e.reason),
                    from,
                })
            }
        };
        let Some(&id) = self.client_keys.get(&key) else {
            return self.out.event(EndpointEvent::StrayResponse {
                response: resp,
                from,
            });
        };
        let Some(txn) = self.clients.get_mut(&id) else {
            return;
        };
        txn.on_response(now, resp, &mut self.out);
        // §9.1: a CANCEL held back for want of a provisional response can go now.
        if txn.state() == ClientState::Proceeding {
            if let Some((cancel_id, cancel)) = self.pending_cancels.remove(&id) {
                self.send_cancel(now, id, cancel_id, cancel);
            }
        }
        self.settle_client(id);
    }
}

/// The request in `bytes` if its head parses, whatever the body.
fn head_of(bytes: &[u8], framing: Framing, max: usize) -> Option<Box<Request>> {
    match parse_message(bytes, framing, max) {
        Ok(Message::Request(req)) => Some(Box::new(req)),
        Ok(Message::Response(_)) => None,
        Err(e) => e.request,
    }
}

/// RFC 3261 §18.2.1 and RFC 3581 §4: record where the request really came from in its top
/// Via, so that proxies and our own logs see the NAT-mapped address.
fn stamp_via(req: &mut Request, mut via: Via, from: Remote) {
    let host = via.host.trim_start_matches('[').trim_end_matches(']');
    let mut changed = false;
    if host.parse::<IpAddr>().ok() != Some(from.addr.ip()) {
        via.params
            .set("received", Some(&from.addr.ip().to_string()));
        changed = true;
    }
    if via.rport() == Some(None) {
        via.params.set("rport", Some(&from.addr.port().to_string()));
        changed = true;
    }
    if changed {
        req.headers.replace_first("Via", via.to_string());
    }
}
