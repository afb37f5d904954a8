//! MESSAGE (RFC 3428): relayed to every contact of the recipient, the first 2xx answering the
//! sender; stored when nobody is reachable (`202`) and delivered in order at the next
//! REGISTER; bodies above the limit get `413`. The echo buddy answers with the same text.

use std::collections::HashSet;

use sip::endpoint::TxnId;
use sip::msg::{Method, Request, SipMessage, Uri};

use crate::auth::Challenger;
use crate::core::{OutId, Outcome, Purpose, Registrar};
use crate::store::OfflineMessage;

/// One MESSAGE being relayed to several contacts.
#[derive(Debug)]
pub(crate) struct Relay {
    txn: TxnId,
    request: Request,
    recipient: String,
    branches: HashSet<OutId>,
    /// Failures seen, for the answer when every branch failed.
    worst: Vec<u16>,
}

impl Registrar {
    pub(crate) fn message(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        if req.body.len() > self.config.max_message_bytes {
            return Err(413);
        }
        let Some(sender) = self.authenticate(txn, req, Challenger::Proxy)? else {
            return Ok(());
        };
        let Some(user) = self.local_user(&req.uri) else {
            return Err(404);
        };
        if self.is_echo(&user) {
            let ok = self.response(req, 200);
            self.respond(txn, ok);
            self.echo_message(&sender, req);
            return Ok(());
        }
        if !self.accounts.exists(&user) {
            return Err(404);
        }
        let recipient = self.aor_of(&user);
        let targets: Vec<_> = self
            .location
            .bindings(&recipient)
            .iter()
            .map(|b| (b.contact.uri.clone(), b.source, b.path.clone()))
            .collect();
        if targets.is_empty() {
            return self.store_offline(txn, req, &recipient);
        }
        let seq = self.next_seq();
        let mut relay = Relay {
            txn,
            request: req.clone(),
            recipient,
            branches: HashSet::new(),
            worst: Vec::new(),
        };
        for (uri, to, path) in targets {
            let fwd = self.prepare_relay(req, uri, &path)?;
            relay
                .branches
                .insert(self.send(Purpose::Relay(seq), fwd, to, true));
        }
        self.relays.insert(seq, relay);
        Ok(())
    }

    /// A copy of `req` for one target: new Request-URI, Max-Forwards decremented (483 at
    /// zero, RFC 3261 §16.3), the target's Path as a preloaded Route.
    pub(crate) fn prepare_relay(
        &self,
        req: &Request,
        uri: Uri,
        path: &[String],
    ) -> Result<Request, u16> {
        let mut fwd = req.clone();
        let hops = match req.header("Max-Forwards") {
            Some(v) => v.trim().parse::<u32>().map_err(|_| 400u16)?,
            None => 70,
        };
        if hops == 0 {
            return Err(483);
        }
        fwd.headers.set("Max-Forwards", (hops - 1).to_string());
        fwd.uri = uri;
        fwd.headers.remove("Proxy-Authorization");
        for p in path.iter().rev() {
            fwd.headers.push_front("Route", p.clone());
        }
        Ok(fwd)
    }

    fn store_offline(&mut self, txn: TxnId, req: &Request, recipient: &str) -> Result<(), u16> {
        let message = OfflineMessage {
            id: 0,
            recipient: recipient.to_owned(),
            from: req.header("From").unwrap_or_default().to_owned(),
            content_type: req.content_type().unwrap_or("text/plain").to_owned(),
            body: req.body.clone(),
            received_at: self.now_secs(),
        };
        match self.store.push_offline(&message) {
            Ok(_) => {
                self.offline_waiting.insert(recipient.to_owned());
                let accepted = self.response(req, 202);
                self.respond(txn, accepted);
                Ok(())
            }
            Err(e) => {
                tracing::warn!(error = %e, "storing an offline message");
                Err(500)
            }
        }
    }

    pub(crate) fn relay_outcome(&mut self, seq: u64, id: OutId, outcome: Outcome) {
        let Some(relay) = self.relays.get_mut(&seq) else {
            return;
        };
        let status = match &outcome {
            Outcome::Response(r) if r.status < 200 => return,
            Outcome::Response(r) => r.status,
            Outcome::Failed(s) => *s,
        };
        relay.branches.remove(&id);
        if (200..300).contains(&status) {
            let Some(relay) = self.relays.remove(&seq) else {
                return;
            };
            if let Outcome::Response(mut resp) = outcome {
                resp.headers.remove_first("Via");
                self.respond(relay.txn, resp);
            }
            return;
        }
        relay.worst.push(status);
        if !relay.branches.is_empty() {
            return;
        }
        let Some(relay) = self.relays.remove(&seq) else {
            return;
        };
        // Nobody took it. Unreachable devices (timeouts, dead connections, 480) are the
        // offline case: keep the message for later; a real refusal goes back to the sender.
        let unreachable = relay.worst.iter().all(|s| matches!(s, 408 | 480 | 503));
        if unreachable {
            let _ = self.store_offline(relay.txn, &relay.request, &relay.recipient);
        } else {
            let status = relay.worst.iter().copied().min().unwrap_or(500);
            let resp = self.response(&relay.request, status);
            self.respond(relay.txn, resp);
        }
    }

    /// Sends the oldest stored message of `aor` to its contacts, unless one is on its way.
    pub(crate) fn deliver_offline(&mut self, aor: &str) {
        if self.delivering.contains_key(aor) || !self.offline_waiting.contains(aor) {
            return;
        }
        let next = match self.store.offline_for(aor) {
            Ok(list) => list.into_iter().next(),
            Err(e) => {
                tracing::warn!(error = %e, "reading offline messages");
                return;
            }
        };
        let Some(message) = next else {
            self.offline_waiting.remove(aor);
            return;
        };
        let Some(b) = self.location.bindings(aor).first().cloned() else {
            return;
        };
        let seq = self.next_seq();
        self.delivering.insert(aor.to_owned(), seq);
        let mut req = Request::new(Method::Message, b.contact.uri.clone());
        let h = &mut req.headers;
        h.push("From", message.from.clone());
        h.push("To", format!("<sip:{aor}>"));
        h.push(
            "Call-ID",
            format!("offline-{}-{}", message.id, self.token(12)),
        );
        h.push("CSeq", "1 MESSAGE");
        h.push("Content-Type", message.content_type.clone());
        for p in b.path.iter().rev() {
            req.headers.push_front("Route", p.clone());
        }
        req.body = message.body;
        self.send(
            Purpose::Offline {
                message: message.id,
                aor_seq: seq,
            },
            req,
            b.source,
            false,
        );
    }

    pub(crate) fn offline_outcome(&mut self, message: i64, seq: u64, outcome: &Outcome) {
        let Some((aor, _)) = self
            .delivering
            .iter()
            .find(|(_, &s)| s == seq)
            .map(|(a, s)| (a.clone(), *s))
        else {
            return;
        };
        self.delivering.remove(&aor);
        if matches!(outcome, Outcome::Response(r) if r.is_success()) {
            if let Err(e) = self.store.delete_offline(message) {
                tracing::warn!(error = %e, "forgetting a delivered message");
            }
            // In order: the next one only after this one was taken.
            self.deliver_offline(&aor);
        }
    }

    /// The echo buddy sends the text back, from `echo@domain`, to every device of the sender.
    fn echo_message(&mut self, sender: &str, req: &Request) {
        let aor = self.aor_of(sender);
        let echo = self.aor_of(self.config.echo_user.clone().unwrap_or_default().as_str());
        let targets: Vec<_> = self.location.bindings(&aor).to_vec();
        for b in targets {
            let mut m = Request::new(Method::Message, b.contact.uri.clone());
            let tag = self.token(10);
            let call_id = self.token(20);
            let h = &mut m.headers;
            h.push("From", format!("<sip:{echo}>;tag={tag}"));
            h.push("To", format!("<sip:{aor}>"));
            h.push("Call-ID", call_id);
            h.push("CSeq", "1 MESSAGE");
            h.push(
                "Content-Type",
                req.content_type().unwrap_or("text/plain").to_owned(),
            );
            m.body = req.body.clone();
            self.send(Purpose::Echo, m, b.source, false);
        }
    }
}
