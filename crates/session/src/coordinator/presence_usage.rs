//! Own presence (PUBLISH of PIDF+RPID) and buddies' presence (one SUBSCRIBE dialog each):
//! the actions the table names for the publication and subscription roles.

use std::time::{Duration, Instant};

use net::TxnUpdate;
use presence::{Document, Status, WatcherInfo};
use sip::event::{SubEvent, Subscription, SubscriptionConfig, PRESENCE, PRESENCE_WINFO};
use sip::msg::{SipMessage, SubState, Uri};
use sip::publication::{PubEvent, Publication, PublicationConfig};

use super::core::{Buddy, Core, Ctx, Out, Owner, Target};
use crate::schedule::Backoff;
use crate::table::{Event, Role};

impl Core {
    /// Own status as others should see it: on the phone during a call unless DND or offline.
    fn effective_status(&self) -> Status {
        let on_phone = self.calls.values().any(|c| c.on_phone);
        match self.own.0 {
            Status::DoNotDisturb | Status::Offline => self.own.0,
            _ if on_phone => Status::OnThePhone,
            s => s,
        }
    }

    fn presence_body(&self) -> Vec<u8> {
        let tuple = format!("halo-{}", self.cfg.user);
        let contact = self.contact.uri.to_string();
        Document::for_status(
            &self.aor.to_string(),
            &tuple,
            self.effective_status(),
            self.own.1.as_deref(),
            Some(&contact),
            None,
        )
        .to_xml()
        .into_bytes()
    }

    pub(super) fn send_publish(&mut self) {
        let now = Instant::now();
        if self.publication.is_none() {
            let tag = self.new_tag();
            let mut config = PublicationConfig::new(
                self.aor.clone(),
                self.local_from(&tag),
                PRESENCE,
                "application/pidf+xml",
            );
            config.expires = self.cfg.presence_expires;
            config.retry_min = self.cfg.retry_base;
            config.retry_max = self.cfg.retry_max;
            let call_id = self.new_call_id();
            self.publication = Some(Publication::new(config, call_id, now));
        }
        let body = self.presence_body();
        if let Some(p) = self.publication.as_mut() {
            p.publish(now, body);
        }
        self.drain_publication();
    }

    pub(super) fn refresh_publication(&mut self) {
        if let Some(p) = self.publication.as_mut() {
            p.handle_timeout(Instant::now());
        }
        self.drain_publication();
    }

    pub(super) fn send_unpublish(&mut self) {
        if let Some(p) = self.publication.as_mut() {
            p.remove(Instant::now());
        }
        self.drain_publication();
    }

    pub(super) fn drain_publication(&mut self) {
        let Some(p) = self.publication.as_mut() else {
            return;
        };
        let mut requests = Vec::new();
        while let Some(mut req) = p.poll_request() {
            req.headers.push("Contact", self.contact.to_string());
            requests.push(req);
        }
        let mut events = Vec::new();
        while let Some(e) = p.poll_event() {
            events.push(e);
        }
        for req in requests {
            self.request_out(req, Owner::Publish);
        }
        for e in events {
            let mut ctx = Ctx::default();
            let event = match e {
                PubEvent::Published { .. } | PubEvent::Removed => Event::PublishSuccess,
                PubEvent::Failed { status, retry_in } => {
                    ctx.can_retry = retry_in.is_some();
                    ctx.failure = Some((status, String::new()));
                    Event::PublishFailure
                }
                other => {
                    tracing::debug!(?other, "publication event");
                    continue;
                }
            };
            self.push_ctx(Target::Publication, event, ctx);
        }
    }

    pub(super) fn publish_outcome(&mut self, update: TxnUpdate) {
        let now = Instant::now();
        match update {
            TxnUpdate::Response(r) if r.status == 401 || r.status == 407 => {
                let last = self
                    .publication
                    .as_ref()
                    .and_then(|p| p.last_request().cloned());
                let answers = last.and_then(|l| self.challenge_answers(&r, &l));
                let ctx = Ctx {
                    auth_ok: answers.is_some(),
                    answers: answers.unwrap_or_default(),
                    failure: Some((r.status, r.reason.clone())),
                    ..Ctx::default()
                };
                self.push_ctx(Target::Publication, crate::table::Event::AuthChallenge, ctx);
                return;
            }
            TxnUpdate::Response(r) => {
                if let Some(p) = self.publication.as_mut() {
                    p.handle_response(now, &r);
                }
            }
            TxnUpdate::Timeout | TxnUpdate::TransportFailed => {
                if let Some(p) = self.publication.as_mut() {
                    p.handle_transaction_timeout(now);
                }
            }
        }
        self.drain_publication();
    }

    /// A buddy's AOR in canonical `sip:user@domain` form; bare `user` means our domain.
    pub(super) fn canonical(&self, uri: &str) -> Option<String> {
        let text = if uri.starts_with("sip:") || uri.starts_with("sips:") {
            uri.to_owned()
        } else if uri.contains('@') {
            format!("sip:{uri}")
        } else {
            format!("sip:{uri}@{}", self.domain)
        };
        Uri::parse(&text).ok().map(|u| format!("sip:{}", u.aor()))
    }

    pub(super) fn watch(&mut self, uri: &str, listed: bool, name: Option<String>) {
        let Some(aor) = self.canonical(uri) else {
            self.error(format!("not a SIP address: {uri}"));
            return;
        };
        let b = self.subscription_entry(aor.clone(), false);
        b.listed |= listed;
        if name.is_some() {
            b.name = name;
        }
        self.push(Target::Subscription(aor), Event::SubscribePresence);
    }

    /// The machine for `key` (a buddy's AOR, or [`super::buddies::WINFO_KEY`]), created in the role's
    /// initial state.
    pub(super) fn subscription_entry(&mut self, key: String, winfo: bool) -> &mut Buddy {
        let seed = rand::RngCore::next_u64(&mut self.rng);
        let initial = self.table.initial(Role::Subscription);
        let (base, max) = (self.cfg.retry_base, self.cfg.retry_max);
        self.buddies.entry(key).or_insert_with(|| Buddy {
            state: initial,
            sub: None,
            backoff: Backoff::new(base, max, seed),
            name: None,
            listed: false,
            winfo,
        })
    }

    pub(super) fn unwatch(&mut self, uri: &str) {
        if let Some(aor) = self.canonical(uri) {
            self.push(Target::Subscription(aor), Event::UnsubscribePresence);
        }
    }

    pub(super) fn send_subscribe(&mut self, aor: &str) {
        let winfo = self.buddies.get(aor).is_some_and(|b| b.winfo);
        let (target, package) = if winfo {
            (self.aor.clone(), PRESENCE_WINFO)
        } else {
            let Ok(target) = Uri::parse(aor) else {
                return;
            };
            (target, PRESENCE)
        };
        let now = Instant::now();
        let tag = self.new_tag();
        let call_id = self.new_call_id();
        let mut config =
            SubscriptionConfig::new(target, self.local_from(&tag), self.contact.clone(), package);
        config.expires = self.cfg.presence_expires;
        let mut sub = Subscription::new(config, call_id, now);
        sub.subscribe(now);
        if let Some(b) = self.buddies.get_mut(aor) {
            b.sub = Some(sub);
        }
        self.drain_subscription(aor, None);
    }

    pub(super) fn subscription_timer(&mut self, aor: &str) {
        if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
            s.handle_timeout(Instant::now());
        }
        self.drain_subscription(aor, None);
    }

    pub(super) fn send_unsubscribe(&mut self, aor: &str) {
        if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
            s.unsubscribe(Instant::now());
        }
        self.drain_subscription(aor, None);
    }

    pub(super) fn drop_subscription(&mut self, aor: &str) {
        if let Some(b) = self.buddies.get_mut(aor) {
            b.sub = None;
        }
    }

    pub(super) fn schedule_sub_retry(&mut self, aor: &str, ctx: &Ctx) {
        let Some(b) = self.buddies.get_mut(aor) else {
            return;
        };
        let delay = b
            .backoff
            .next_delay()
            .max(ctx.retry_after.unwrap_or(Duration::ZERO));
        self.sub_retries.set(aor.to_owned(), Instant::now() + delay);
    }

    pub(super) fn cancel_sub_retry(&mut self, aor: &str) {
        self.sub_retries.cancel(&aor.to_owned());
    }

    /// Sends what the subscription wants sent (answering `notify_txn` if a NOTIFY came) and
    /// turns its events into table events.
    pub(super) fn drain_subscription(
        &mut self,
        aor: &str,
        notify_txn: Option<sip::endpoint::TxnId>,
    ) {
        let Some(b) = self.buddies.get_mut(aor) else {
            return;
        };
        let winfo = b.winfo;
        let Some(sub) = b.sub.as_mut() else {
            return;
        };
        let mut requests = Vec::new();
        while let Some(req) = sub.poll_request() {
            requests.push(req);
        }
        let mut responses = Vec::new();
        while let Some(resp) = sub.poll_response() {
            responses.push(resp);
        }
        let mut events = Vec::new();
        while let Some(e) = sub.poll_event() {
            events.push(e);
        }
        for req in requests {
            self.request_out(req, Owner::Subscribe(aor.to_owned()));
        }
        if let Some(txn) = notify_txn {
            for resp in responses {
                self.out.push(Out::Respond(txn, resp));
            }
        }
        for e in events {
            let mut ctx = Ctx::default();
            let event = match e {
                SubEvent::Notified {
                    state: SubState::Pending,
                    ..
                } => Event::PendingNotify,
                SubEvent::Notified {
                    state: SubState::Terminated,
                    ..
                } => continue,
                SubEvent::Notified { body, .. } if winfo => {
                    ctx.watchers = WatcherInfo::parse(&body).ok();
                    Event::PresenceNotify
                }
                SubEvent::Notified { body, .. } => {
                    // An active NOTIFY without a document: the presentity publishes nothing,
                    // which a watcher shows as offline.
                    ctx.view = if body.is_empty() {
                        Some(::presence::View {
                            status: Status::Offline,
                            note: None,
                        })
                    } else {
                        Document::parse(&body).ok().map(|d| d.view())
                    };
                    Event::PresenceNotify
                }
                SubEvent::Terminated { retry_after, .. } => {
                    ctx.can_retry = retry_after.is_some();
                    ctx.retry_after = retry_after;
                    Event::SubscriptionTerminated
                }
                _ => continue,
            };
            if let Some(b) = self.buddies.get_mut(aor) {
                if event == Event::PresenceNotify {
                    b.backoff.reset();
                }
            }
            self.push_ctx(Target::Subscription(aor.to_owned()), event, ctx);
        }
    }

    pub(super) fn subscribe_outcome(&mut self, aor: &str, update: TxnUpdate) {
        let now = Instant::now();
        match update {
            TxnUpdate::Response(r) if r.status == 401 || r.status == 407 => {
                let last = self
                    .buddies
                    .get(aor)
                    .and_then(|b| b.sub.as_ref())
                    .and_then(|s| s.last_request().cloned());
                if last
                    .as_ref()
                    .and_then(|l| l.call_id().ok().map(str::to_owned))
                    != r.call_id().ok().map(str::to_owned)
                {
                    return;
                }
                let answers = last.and_then(|l| self.challenge_answers(&r, &l));
                let ctx = Ctx {
                    auth_ok: answers.is_some(),
                    answers: answers.unwrap_or_default(),
                    ..Ctx::default()
                };
                self.push_ctx(
                    Target::Subscription(aor.to_owned()),
                    Event::AuthChallenge,
                    ctx,
                );
                return;
            }
            TxnUpdate::Response(r) => {
                if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
                    s.handle_response(now, &r);
                }
            }
            TxnUpdate::Timeout | TxnUpdate::TransportFailed => {
                if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
                    s.handle_transaction_timeout(now);
                }
            }
        }
        self.drain_subscription(aor, None);
    }

    /// The subscription a NOTIFY belongs to, by Call-ID (the dialog may not exist yet: a
    /// NOTIFY may overtake the SUBSCRIBE's 2xx, RFC 6665 §4.1.2.4).
    pub(super) fn subscription_for(&self, call_id: &str) -> Option<String> {
        self.buddies
            .iter()
            .find(|(_, b)| b.sub.as_ref().is_some_and(|s| s.call_id() == call_id))
            .map(|(aor, _)| aor.clone())
    }

    pub(super) fn route_notify(&mut self, ctx: &Ctx) {
        let (Some(aor), Some((txn, req))) = (&ctx.sub_found, &ctx.request) else {
            return;
        };
        if let Some(s) = self.buddies.get_mut(aor).and_then(|b| b.sub.as_mut()) {
            // A refused NOTIFY still gets its answer from the machine (poll_response).
            let _ = s.handle_notify(Instant::now(), req);
        }
        self.drain_subscription(&aor.clone(), Some(*txn));
    }

    pub(super) fn call_presence(&mut self, call: super::CallId, on: bool) {
        if let Some(c) = self.calls.get_mut(&call) {
            if c.on_phone == on {
                return;
            }
            c.on_phone = on;
        }
        self.push(Target::Publication, Event::PublishPresence);
    }
}
