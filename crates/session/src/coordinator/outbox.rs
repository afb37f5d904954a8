//! Outgoing chat (DESIGN.md flow 4): the actions the table names for the message role. Each
//! message is recorded in the SQLite outbox before anything is sent, then runs the table's
//! `message` lifecycle (queued → sending → delivered, stored or failed; back to queued on a
//! retryable failure) until a final answer.

use std::time::Instant;

use net::TxnUpdate;
use rand::RngCore;
use sip::auth::{Answer, RequestParts};
use sip::msg::{CSeq, Method, Request, Uri};

use super::core::{Core, Ctx, Owner, Target};
use super::registration::{add_credentials, retryable};
use super::PhoneEvent;
use crate::store::Delivery;
use crate::table::{Event, Role, State};

/// One outgoing message and its table state; dropped once the state is terminal.
pub(super) struct OutMessage {
    pub(super) state: State,
    peer: String,
    text: String,
}

/// What a message's state means to the user and the store.
pub(super) fn delivery(state: State) -> Delivery {
    match state {
        State::MessageSending => Delivery::Sent,
        State::MessageDelivered => Delivery::Delivered,
        State::MessageStored => Delivery::Stored,
        State::MessageFailed => Delivery::Failed,
        _ => Delivery::Queued,
    }
}

impl Core {
    /// Records the message in the outbox first, so it survives whatever happens next, then
    /// hands it to the table.
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
        self.add_message(&id, peer, text.to_owned());
        self.push(Target::Message(id.clone()), Event::SendMessage);
        id
    }

    fn add_message(&mut self, id: &str, peer: String, text: String) {
        let state = self.table.initial(Role::Message);
        self.messages
            .entry(id.to_owned())
            .or_insert(OutMessage { state, peer, text });
    }

    /// Messages a previous run left unanswered wait in the outbox for the next registration.
    pub(super) fn load_outbox(&mut self) {
        match self.store.unsent() {
            Ok(list) => {
                for m in list {
                    self.add_message(&m.id, m.peer, m.text);
                }
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    /// Tells every queued message to go (after registering, and on the outbox's retry
    /// timer), oldest first.
    pub(super) fn flush_outbox(&mut self) {
        match self.store.unsent() {
            Ok(list) => {
                for m in list {
                    if self.messages.contains_key(&m.id) {
                        self.push(Target::Message(m.id), Event::FlushOutbox);
                    }
                }
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    /// The table's `SendMessageRequest` (and, with answers, `AnswerChallenge`). The message
    /// id is its Call-ID, kept across retries, so a receiver drops duplicates.
    pub(super) fn send_message_request(&mut self, id: &str, answers: Vec<Answer>) {
        let tag = self.new_tag();
        let Some(m) = self.messages.get(id) else {
            return;
        };
        let Ok(uri) = Uri::parse(&m.peer) else {
            return;
        };
        let mut req = Request::new(Method::Message, uri);
        let cseq = 1 + u32::from(!answers.is_empty());
        let h = &mut req.headers;
        h.push("To", format!("<{}>", m.peer));
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
        req.body = m.text.as_bytes().to_vec();
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

    /// The table's `RecordDelivery`: the store follows the machine's state.
    pub(super) fn record_delivery(&mut self, id: &str) {
        let Some(m) = self.messages.get(id) else {
            return;
        };
        if let Err(e) = self.store.set_state(id, delivery(m.state)) {
            self.error(e.to_string());
        }
    }

    /// The table's `ScheduleRetry` for a message: one outbox timer for all of them, backing
    /// off while failures continue.
    pub(super) fn schedule_outbox_retry(&mut self) {
        self.account.outbox_failed(Instant::now());
    }

    pub(super) fn report_message(&self, id: &str) {
        if let Some(m) = self.messages.get(id) {
            self.emit(PhoneEvent::MessageStatus {
                id: id.to_owned(),
                status: delivery(m.state),
            });
        }
    }

    /// A MESSAGE's answer as a table event.
    pub(super) fn message_outcome(&mut self, id: &str, update: TxnUpdate) {
        let mut ctx = Ctx::default();
        let event = match update {
            TxnUpdate::Response(r) if r.status < 200 => return,
            TxnUpdate::Response(r) if r.status == 401 || r.status == 407 => {
                let Some(m) = self.messages.get(id) else {
                    return;
                };
                let mut probe = Request::new(
                    Method::Message,
                    Uri::parse(&m.peer).unwrap_or_else(|_| self.aor.clone()),
                );
                probe.body = m.text.as_bytes().to_vec();
                let answers = self.challenge_answers(&r, &probe);
                ctx.auth_ok = answers.is_some();
                ctx.answers = answers.unwrap_or_default();
                ctx.failure = Some((r.status, r.reason.clone()));
                Event::AuthChallenge
            }
            TxnUpdate::Response(r) if r.status == 202 => Event::DeliveryDeferred,
            TxnUpdate::Response(r) if r.is_success() => Event::DeliveryConfirmed,
            TxnUpdate::Response(r) => {
                ctx.can_retry = retryable(r.status);
                ctx.failure = Some((r.status, r.reason.clone()));
                Event::DeliveryFailure
            }
            TxnUpdate::Timeout | TxnUpdate::TransportFailed => {
                ctx.can_retry = true;
                Event::DeliveryFailure
            }
        };
        self.push_ctx(Target::Message(id.to_owned()), event, ctx);
    }
}
