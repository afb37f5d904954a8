//! Call signalling (DESIGN.md flow 5): INVITE/ACK/BYE/CANCEL, re-INVITE hold and resume,
//! forked answers; SDP through `sip::sdp`, media through the adapter.

use net::TxnUpdate;
use rand::RngCore;
use sip::dialog::{Dialog, DialogSet, ForkUpdate};
use sip::endpoint::TxnId;
use sip::msg::{CSeq, Method, Request, Response, SipMessage, Uri};
use sip::sdp::{process_answer, MediaConfig, SdpSession, SessionDescription};

use super::core::{Core, Ctx, Out, Owner, Target};
use super::registration::add_credentials;
use super::CallId;
use crate::table::{Event, Role, State};

/// One call and its table state.
pub(super) struct Call {
    pub(super) state: State,
    pub(super) peer: String,
    call_id: String,
    tag: String,
    sdp: SdpSession,
    /// Our last offer, to match the answer against.
    offer: Option<SessionDescription>,
    /// Our INVITE (outgoing calls), for CANCEL, forks and challenges.
    invite: Option<Request>,
    pub(super) invite_txn: Option<TxnId>,
    /// The INVITE we are answering (incoming calls).
    incoming: Option<(TxnId, Request)>,
    forks: Option<DialogSet>,
    /// Remote tags of the other forks' dialogs we BYEd: a retransmitted 2xx of one is ACKed
    /// again but not ended twice.
    ended_forks: Vec<String>,
    dialog: Option<Dialog>,
    /// Presence shows on-the-phone because of this call.
    pub(super) on_phone: bool,
}

impl Core {
    fn new_call(&mut self, peer: String, call_id: String) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        // Port 0 would mean "stream refused" (RFC 3264 §5.1); until the media layer binds a
        // real socket, each call names its own even port above the SIP port.
        let sip_port = self
            .stack
            .local_addr(self.cfg.transport)
            .map_or(5060, |a| a.port());
        let rtp_port = sip_port.wrapping_add(2 * (id.0 as u16 % 1000)) & !1;
        let media = MediaConfig::audio(self.remote_ip(), rtp_port.max(1024));
        let call = Call {
            state: self.table.initial(Role::Call),
            peer,
            call_id,
            tag: self.new_tag(),
            sdp: SdpSession::new(media, self.rng.next_u64() >> 1),
            offer: None,
            invite: None,
            invite_txn: None,
            incoming: None,
            forks: None,
            ended_forks: Vec::new(),
            dialog: None,
            on_phone: false,
        };
        self.calls.insert(id, call);
        id
    }

    /// Our address as the peer sees it (the media layer will bind RTP there).
    fn remote_ip(&self) -> std::net::IpAddr {
        self.stack.local_addr(self.cfg.transport).map_or(
            std::net::IpAddr::from([127, 0, 0, 1]),
            |a| {
                if a.ip().is_unspecified() {
                    std::net::IpAddr::from([127, 0, 0, 1])
                } else {
                    a.ip()
                }
            },
        )
    }

    pub(super) fn make_call(&mut self, to: &str) -> Option<CallId> {
        let Some(peer) = self.canonical(to) else {
            self.error(format!("not a SIP address: {to}"));
            return None;
        };
        let call_id = self.new_call_id();
        let id = self.new_call(peer, call_id);
        self.push(Target::Call(id), Event::MakeCall);
        Some(id)
    }

    pub(super) fn incoming_call(&mut self, ctx: Ctx) {
        let Some((txn, req)) = &ctx.request else {
            return;
        };
        let peer = req
            .from_header()
            .map(|f| format!("sip:{}", f.uri.aor()))
            .unwrap_or_default();
        let call_id = req.call_id().unwrap_or_default().to_owned();
        let id = self.new_call(peer, call_id);
        if let Some(c) = self.calls.get_mut(&id) {
            c.incoming = Some((*txn, req.clone()));
        }
        self.push_ctx(Target::Call(id), Event::IncomingCall, ctx);
    }

    /// The call a command means: the one named, else the most recent.
    pub(super) fn pick_call(&self, call: Option<CallId>) -> Option<CallId> {
        call.or_else(|| self.calls.keys().next_back().copied())
    }

    pub(super) fn call_event(&mut self, call: Option<CallId>, event: Event) {
        match self.pick_call(call) {
            Some(id) => self.push(Target::Call(id), event),
            None => self.error("no such call"),
        }
    }

    pub(super) fn call_by_call_id(&self, call_id: &str) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, c)| c.call_id == call_id)
            .map(|(id, _)| *id)
    }

    pub(super) fn end_call(&mut self, id: CallId) {
        if let Some(c) = self.calls.remove(&id) {
            self.media.stop(id);
            if c.on_phone {
                self.push(Target::Publication, Event::PublishPresence);
            }
        }
    }

    pub(super) fn send_invite(&mut self, id: CallId) {
        self.send_invite_with(id, Vec::new());
    }

    pub(super) fn send_invite_with(&mut self, id: CallId, answers: Vec<sip::auth::Answer>) {
        let contact = self.contact.to_string();
        let from = {
            let Some(c) = self.calls.get(&id) else { return };
            self.local_from(&c.tag).to_string()
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Ok(uri) = Uri::parse(&c.peer) else { return };
        let seq = c
            .invite
            .as_ref()
            .and_then(|i| i.cseq().ok())
            .map_or(1, |s| s.seq + 1);
        let offer = match &c.offer {
            Some(o) => o.clone(),
            None => c.sdp.create_offer(&mut self.rng),
        };
        let mut req = Request::new(Method::Invite, uri);
        let h = &mut req.headers;
        h.push("To", format!("<{}>", c.peer));
        h.push("From", from);
        h.push("Call-ID", c.call_id.clone());
        h.push(
            "CSeq",
            CSeq {
                seq,
                method: Method::Invite,
            }
            .to_string(),
        );
        h.push("Contact", contact);
        h.push("Content-Type", "application/sdp");
        req.body = offer.to_string().into_bytes();
        add_credentials(&mut req, &answers);
        c.offer = Some(offer);
        c.invite = Some(req.clone());
        c.forks = Some(DialogSet::new(req.clone()));
        self.request_out(req, Owner::Invite(id));
    }

    pub(super) fn invite_outcome(&mut self, id: CallId, update: TxnUpdate) {
        let mut ctx = Ctx::default();
        let resp = match update {
            TxnUpdate::Response(r) => r,
            TxnUpdate::Timeout => {
                ctx.failure = Some((408, "no answer".to_owned()));
                self.push_ctx(Target::Call(id), Event::CallFailed, ctx);
                return;
            }
            TxnUpdate::TransportFailed => {
                ctx.failure = Some((503, "unreachable".to_owned()));
                self.push_ctx(Target::Call(id), Event::CallFailed, ctx);
                return;
            }
        };
        if resp.status == 401 || resp.status == 407 {
            // The table decides: answer (`AnswerChallenge`) or end the call.
            let invite = self.calls.get(&id).and_then(|c| c.invite.clone());
            let answers = invite.and_then(|i| self.challenge_answers(&resp, &i));
            ctx.auth_ok = answers.is_some();
            ctx.answers = answers.unwrap_or_default();
            ctx.failure = Some((resp.status, resp.reason.clone()));
            self.push_ctx(Target::Call(id), Event::AuthChallenge, ctx);
            return;
        }
        if self.ended_extra_fork(id, &resp) {
            return;
        }
        let event = match resp.status {
            100 => return,
            180..=182 => Event::RemoteRinging,
            183 => Event::RemoteEarly,
            101..=199 => return,
            200..=299 => {
                self.confirm_outgoing(id, &resp);
                Event::CallAnswered
            }
            status => {
                ctx.failure = Some((status, resp.reason.clone()));
                Event::CallFailed
            }
        };
        ctx.response = Some(resp);
        self.push_ctx(Target::Call(id), event, ctx);
    }

    fn confirm_outgoing(&mut self, id: CallId, resp: &Response) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.dialog.is_none() {
            c.dialog = c.forks.as_ref().and_then(|f| f.confirmed().cloned());
        }
        if let (Some(offer), Ok(answer)) = (
            &c.offer,
            SessionDescription::parse(&String::from_utf8_lossy(&resp.body)),
        ) {
            if let Ok(negotiated) = process_answer(offer, &answer) {
                self.media.start(id, &negotiated);
            }
        }
    }

    /// Feeds a response to our INVITE to its dialog set. A 2xx from a second fork is ACKed
    /// and ended here (RFC 3261 §13.2.2.4), and `true` says the call has nothing to do with it.
    fn ended_extra_fork(&mut self, id: CallId, resp: &Response) -> bool {
        let Some(c) = self.calls.get_mut(&id) else {
            return false;
        };
        let update = c.forks.as_mut().map(|f| f.handle_response(resp));
        let Some(Ok(ForkUpdate::ExtraConfirmed(mut dialog))) = update else {
            return false;
        };
        let seq = resp.cseq().map_or(1, |c| c.seq);
        self.out.push(Out::Stateless(dialog.create_ack(seq)));
        let tag = dialog.id().remote_tag.clone();
        if !c.ended_forks.contains(&tag) {
            c.ended_forks.push(tag);
            let bye = dialog.create_request(Method::Bye);
            self.request_out(bye, Owner::Nobody);
        }
        true
    }

    pub(super) fn send_ack(&mut self, id: CallId, ctx: &Ctx) {
        let seq = ctx
            .response
            .as_ref()
            .and_then(|r| r.cseq().ok())
            .map_or(1, |c| c.seq);
        if let Some(d) = self.calls.get(&id).and_then(|c| c.dialog.as_ref()) {
            let ack = d.create_ack(seq);
            self.out.push(Out::Stateless(ack));
        }
    }

    /// A 2xx retransmitted after the INVITE transaction ended: ACK it again, in its own
    /// dialog (another fork's is ended, not taken for the call's).
    pub(super) fn stray(&mut self, resp: Response) {
        let is_invite_2xx =
            resp.is_success() && resp.cseq().is_ok_and(|c| c.method == Method::Invite);
        let call = resp.call_id().ok().and_then(|c| self.call_by_call_id(c));
        if let (true, Some(id)) = (is_invite_2xx, call) {
            if self.ended_extra_fork(id, &resp) {
                return;
            }
            let ctx = Ctx {
                response: Some(resp),
                ..Ctx::default()
            };
            self.send_ack(id, &ctx);
        }
    }

    pub(super) fn send_cancel(&mut self, id: CallId) {
        if let Some(txn) = self.calls.get(&id).and_then(|c| c.invite_txn) {
            self.out.push(Out::Cancel(txn));
        }
    }

    pub(super) fn send_bye(&mut self, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.dialog.as_mut() else {
            // A CANCEL raced the 2xx and no dialog exists: nothing to end.
            self.push(Target::Call(id), Event::ByeAnswered);
            return;
        };
        let bye = d.create_request(Method::Bye);
        self.request_out(bye, Owner::Bye(id));
    }

    pub(super) fn bye_outcome(&mut self, id: CallId, update: TxnUpdate) {
        if matches!(&update, TxnUpdate::Response(r) if r.status < 200) {
            return;
        }
        self.push(Target::Call(id), Event::ByeAnswered);
    }

    fn respond_invite(&mut self, id: CallId, status: u16, body: Option<String>) {
        let contact = self.contact.to_string();
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some((txn, req)) = c.incoming.clone() else {
            return;
        };
        let mut resp = Response::to_request(&req, status, sip::msg::reason_phrase(status));
        if status != 100 {
            if let Ok(mut to) = req.to_header() {
                to.set_tag(&c.tag);
                resp.headers.set("To", to.to_string());
            }
        }
        if (180..300).contains(&status) {
            resp.headers.push("Contact", contact);
        }
        if let Some(body) = body {
            resp.headers.push("Content-Type", "application/sdp");
            resp.body = body.into_bytes();
        }
        if (200..300).contains(&status) {
            c.dialog = Dialog::new_uas(&req, &resp).ok();
        }
        self.out.push(Out::Respond(txn, resp));
    }

    pub(super) fn send_ringing(&mut self, id: CallId) {
        self.respond_invite(id, 180, None);
    }

    pub(super) fn send_answer(&mut self, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let offer = c
            .incoming
            .as_ref()
            .and_then(|(_, r)| SessionDescription::parse(&String::from_utf8_lossy(&r.body)).ok());
        let body = match offer {
            Some(offer) => match c.sdp.create_answer(&offer, &mut self.rng) {
                Ok(answer) => {
                    let text = answer.sdp.to_string();
                    self.media.start(id, &answer.negotiated);
                    text
                }
                Err(e) => {
                    let status = e.status();
                    self.respond_invite(id, status, None);
                    return;
                }
            },
            // An INVITE without offer: we offer in the 2xx, the ACK answers.
            None => c.sdp.create_offer(&mut self.rng).to_string(),
        };
        self.respond_invite(id, 200, Some(body));
    }

    pub(super) fn reject_invite(&mut self, id: CallId, status: u16) {
        self.respond_invite(id, status, None);
    }

    pub(super) fn send_reinvite(&mut self, id: CallId, hold: bool) {
        let contact = self.contact.to_string();
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.dialog.as_mut() else { return };
        let offer = if hold {
            c.sdp.hold(&mut self.rng)
        } else {
            c.sdp.resume(&mut self.rng)
        };
        let mut req = d.create_request(Method::Invite);
        req.headers.push("Contact", contact);
        req.headers.push("Content-Type", "application/sdp");
        req.body = offer.to_string().into_bytes();
        c.offer = Some(offer);
        self.request_out(req, Owner::Reinvite(id));
    }

    pub(super) fn reinvite_outcome(&mut self, id: CallId, update: TxnUpdate) {
        let mut ctx = Ctx::default();
        let event = match update {
            TxnUpdate::Response(r) if r.status < 200 => return,
            TxnUpdate::Response(r) if r.is_success() => {
                self.confirm_outgoing(id, &r);
                ctx.response = Some(r);
                Event::CallAnswered
            }
            _ => Event::ReinviteFailed,
        };
        self.push_ctx(Target::Call(id), event, ctx);
    }

    pub(super) fn answer_reinvite(&mut self, id: CallId, ctx: &Ctx) {
        let contact = self.contact.to_string();
        let Some((txn, req)) = &ctx.request else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(d) = c.dialog.as_mut() {
            if let Err(e) = d.handle_request(req) {
                let status = e.status();
                self.out.push(Out::Respond(
                    *txn,
                    Response::to_request(req, status, sip::msg::reason_phrase(status)),
                ));
                return;
            }
        }
        let offer = SessionDescription::parse(&String::from_utf8_lossy(&req.body)).ok();
        let mut resp = Response::to_request(req, 200, "OK");
        resp.headers.push("Contact", contact);
        if let Some(offer) = offer {
            match c.sdp.create_answer(&offer, &mut self.rng) {
                Ok(answer) => {
                    resp.headers.push("Content-Type", "application/sdp");
                    resp.body = answer.sdp.to_string().into_bytes();
                    self.media.start(id, &answer.negotiated);
                }
                Err(e) => {
                    let status = e.status();
                    resp = Response::to_request(req, status, sip::msg::reason_phrase(status));
                }
            }
        }
        self.out.push(Out::Respond(*txn, resp));
    }

    fn answering(&self, invite: TxnId) -> Option<CallId> {
        self.calls
            .iter()
            .find(|(_, c)| c.incoming.as_ref().is_some_and(|(t, _)| *t == invite))
            .map(|(id, _)| *id)
    }

    pub(super) fn cancelled(&mut self, invite: TxnId) {
        if let Some(id) = self.answering(invite) {
            let ctx = Ctx {
                failure: Some((487, "cancelled by caller".to_owned())),
                ..Ctx::default()
            };
            self.push_ctx(Target::Call(id), Event::RemoteCancelled, ctx);
        }
    }

    /// The INVITE we answered timed out in the stack: a 2xx without ACK (Timer L), or a
    /// rejection without ACK (Timer H), which no call is left to hear.
    pub(super) fn unacknowledged(&mut self, invite: TxnId) {
        if let Some(id) = self.answering(invite) {
            let ctx = Ctx {
                failure: Some((408, "answer not acknowledged".to_owned())),
                ..Ctx::default()
            };
            self.push_ctx(Target::Call(id), Event::AckTimeout, ctx);
        }
    }
}
