//! Chat (DESIGN.md flow 4): MESSAGE in to history, and routing of every incoming request to
//! the table's inbound role or a call. Outgoing messages are in `outbox`.

use sip::endpoint::TxnId;
use sip::msg::{Method, Request, SipMessage};

use super::core::{Core, Ctx, Target};
use super::PhoneEvent;
use crate::store::ChatLine;
use crate::table::Event;

/// How many lines of a conversation a history request returns.
const HISTORY_LINES: u32 = 500;

impl Core {
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

    pub(super) fn history(&self, peer: &str) -> Vec<ChatLine> {
        let Some(peer) = self.canonical(peer) else {
            self.error(format!("not a SIP address: {peer}"));
            return Vec::new();
        };
        self.store
            .history(&peer, HISTORY_LINES)
            .unwrap_or_else(|e| {
                self.error(e.to_string());
                Vec::new()
            })
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
