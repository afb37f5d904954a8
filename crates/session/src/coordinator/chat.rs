//! Chat (DESIGN.md flow 4): MESSAGE out through the SQLite outbox, MESSAGE in to history,
//! and routing of every incoming request to the table's inbound role or a call.

use std::time::Instant;

use net::TxnUpdate;
use rand::RngCore;
use sip::auth::RequestParts;
use sip::endpoint::TxnId;
use sip::msg::{CSeq, Method, Request, SipMessage, Uri};

use super::core::{Core, Ctx, Owner, Target, TimerKey};
use super::registration::{add_credentials, retryable};
use super::PhoneEvent;
use crate::store::Delivery;
use crate::table::Event;

impl Core {
    /// Records the message in the outbox first, so it survives whatever happens next.
    pub(super) fn send_message(&mut self, to: &str, text: &str) -> String {
        let id = format!("{:016x}{:016x}", self.rng.next_u64(), self.rng.next_u64());
        let Some(peer) = self.canonical(to) else {
            self.error(format!("not a SIP address: {to}"));
            return id;
        };
        if let Err(e) = self.store.queue(&id, &peer, text) {
            self.error(e.to_string());
            return id;
        }
        self.emit(PhoneEvent::MessageStatus {
            id: id.clone(),
            status: Delivery::Queued,
        });
        if self.is_registered() {
            self.send_message_request(&id, &peer, text, Vec::new());
        }
        id
    }

    /// The message id is its Call-ID, kept across retries, so a receiver drops duplicates.
    fn send_message_request(
        &mut self,
        id: &str,
        peer: &str,
        text: &str,
        answers: Vec<sip::auth::Answer>,
    ) {
        let Ok(uri) = Uri::parse(peer) else {
            return;
        };
        let mut req = Request::new(Method::Message, uri);
        let tag = self.new_tag();
        let cseq = 1 + u32::from(!answers.is_empty());
        let h = &mut req.headers;
        h.push("To", format!("<{peer}>"));
        h.push("From", self.local_from(&tag).to_string());
        h.push("Call-ID", id.to_owned());
        h.push(
            "CSeq",
            CSeq {
                seq: cseq,
                method: Method::Message,
            }
            .to_string(),
        );
        h.push("Content-Type", "text/plain;charset=UTF-8");
        req.body = text.as_bytes().to_vec();
        let answers = if answers.is_empty() {
            let u = req.uri.to_string();
            let parts = RequestParts {
                method: "MESSAGE",
                uri: &u,
                body: &req.body,
            };
            self.auth.authorize(&parts, &mut self.rng)
        } else {
            answers
        };
        add_credentials(&mut req, &answers);
        self.request_out(req, Owner::Message(id.to_owned()));
    }

    pub(super) fn message_outcome(&mut self, id: &str, update: TxnUpdate) {
        let status = match update {
            TxnUpdate::Response(r) if r.status < 200 => return,
            TxnUpdate::Response(r) if r.status == 401 || r.status == 407 => {
                let pending = self.store.unsent().unwrap_or_default();
                let Some(m) = pending.into_iter().find(|m| m.id == id) else {
                    return;
                };
                let mut probe = Request::new(
                    Method::Message,
                    Uri::parse(&m.peer).unwrap_or_else(|_| self.aor.clone()),
                );
                probe.body = m.text.as_bytes().to_vec();
                match self.challenge_answers(&r, &probe) {
                    Some(answers) => {
                        self.send_message_request(&m.id, &m.peer, &m.text, answers);
                        return;
                    }
                    None => Delivery::Failed,
                }
            }
            TxnUpdate::Response(r) if r.status == 202 => Delivery::Stored,
            TxnUpdate::Response(r) if r.is_success() => Delivery::Delivered,
            TxnUpdate::Response(r) if !retryable(r.status) => Delivery::Failed,
            TxnUpdate::Response(_) | TxnUpdate::Timeout | TxnUpdate::TransportFailed => {
                // Kept in the outbox; tried again later.
                let delay = self.outbox.next_delay();
                self.timers
                    .entry(TimerKey::Outbox)
                    .or_insert(Instant::now() + delay);
                return;
            }
        };
        if let Err(e) = self.store.set_state(id, status) {
            self.error(e.to_string());
        }
        self.emit(PhoneEvent::MessageStatus {
            id: id.to_owned(),
            status,
        });
    }

    /// Sends everything still in the outbox (after registering, and on the retry timer).
    pub(super) fn flush_outbox(&mut self) {
        if !self.is_registered() {
            return;
        }
        match self.store.unsent() {
            Ok(list) => {
                for m in list {
                    self.send_message_request(&m.id, &m.peer, &m.text, Vec::new());
                }
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    pub(super) fn accept_message(&mut self, ctx: &Ctx) {
        let Some((_, req)) = &ctx.request else {
            return;
        };
        self.answer_ok(ctx);
        let content_type = req
            .content_type()
            .unwrap_or("text/plain")
            .to_ascii_lowercase();
        if !content_type.starts_with("text/plain") {
            // message/imdn+xml, is-composing and the like are not chat text.
            tracing::debug!(content_type, "non-chat MESSAGE");
            return;
        }
        let from = req
            .from_header()
            .map(|f| format!("sip:{}", f.uri.aor()))
            .unwrap_or_default();
        let id = req.call_id().unwrap_or_default().to_owned();
        let text = String::from_utf8_lossy(&req.body).into_owned();
        match self.store.received(&id, &from, &text) {
            Ok(true) => self.emit(PhoneEvent::Message { from, text, id }),
            Ok(false) => {}
            Err(e) => self.error(e.to_string()),
        }
    }

    /// Every new server transaction: calls go to their call machine, the rest to the table's
    /// inbound role.
    pub(super) fn request(&mut self, txn: TxnId, request: Request) {
        let call_id = request.call_id().unwrap_or_default().to_owned();
        let call = self.call_by_call_id(&call_id);
        let mut ctx = Ctx {
            known_dialog: call.is_some(),
            ..Ctx::default()
        };
        let method = request.method.clone();
        ctx.request = Some((txn, request));
        let event = match method {
            Method::Invite => {
                match call {
                    Some(id) => self.push_ctx(Target::Call(id), Event::RemoteReinvite, ctx),
                    None => self.incoming_call(ctx),
                }
                return;
            }
            Method::Bye => {
                match call {
                    Some(id) => self.push_ctx(Target::Call(id), Event::RemoteHangup, ctx),
                    None => self.answer_status(&ctx, 481),
                }
                return;
            }
            Method::Message => Event::DialogMESSAGE,
            Method::Options => Event::DialogOPTIONS,
            Method::Info => Event::DialogINFO,
            Method::Update => Event::DialogUPDATE,
            Method::Notify => {
                ctx.sub_found = self.subscription_for(&call_id);
                Event::DialogNOTIFY
            }
            Method::Subscribe => Event::DialogSUBSCRIBE,
            Method::Publish => Event::DialogPUBLISH,
            Method::Register => Event::DialogREGISTER,
            _ => {
                self.answer_status(&ctx, 405);
                return;
            }
        };
        self.push_ctx(Target::Inbound, event, ctx);
    }
}
