//! The presence agent: PUBLISH (RFC 3903) with entity tags, SUBSCRIBE/NOTIFY for `presence`
//! (RFC 3856) and `presence.winfo` (RFC 3857/3858), composition of every device's document,
//! watcher authorization, and NOTIFY throttling per subscription.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use presence::{
    compose, Document, Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoState,
};
use sip::endpoint::TxnId;
use sip::event::{
    IncomingSubscribe, Notifier, NotifierConfig, NotifyBody, NotifyReason, PRESENCE, PRESENCE_WINFO,
};
use sip::msg::{Event, NameAddr, Request, SipMessage, SubState, Uri};
use sip::transport::{Remote, TransportKind};

use crate::auth::Challenger;
use crate::core::{transport_param, Outcome, Purpose, Registrar};
use crate::store::Decision;

const PIDF: &str = "application/pidf+xml";
const WINFO: &str = "application/watcherinfo+xml";

/// One device's published document.
#[derive(Debug)]
struct Publication {
    aor: String,
    doc: Document,
    /// Larger is newer; composition lets the newest person status win.
    seq: u64,
    expires_at: Instant,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Presence,
    Winfo,
}

/// What the presentity lets a watcher see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Judgement {
    Allow,
    Pending,
    Block,
}

#[derive(Debug)]
struct Sub {
    notifier: Notifier,
    kind: Kind,
    presentity: String,
    watcher: String,
    to: Remote,
    judgement: Judgement,
    /// A NOTIFY of this subscription is on the wire.
    in_flight: bool,
    last_sent: Option<Instant>,
    /// A change waits for the throttle window.
    dirty: bool,
    winfo_version: u32,
    created: Instant,
}

/// Publications and subscriptions, with their deadlines.
#[derive(Debug, Default)]
pub(crate) struct Presence {
    pubs: HashMap<String, Publication>,
    pub_deadlines: BTreeSet<(Instant, String)>,
    subs: HashMap<u64, Sub>,
    by_dialog: HashMap<(String, String), u64>,
    by_presentity: HashMap<String, Vec<u64>>,
    deadlines: BTreeSet<(Instant, u64)>,
    deadline_of: HashMap<u64, Instant>,
    /// The composed document of each presentity with watchers, made once per change.
    bodies: HashMap<String, NotifyBody>,
}

impl Presence {
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let p = self.pub_deadlines.first().map(|(at, _)| *at);
        let s = self.deadlines.first().map(|(at, _)| *at);
        p.into_iter().chain(s).min()
    }

    fn set_deadline(&mut self, key: u64, at: Option<Instant>) {
        if let Some(old) = self.deadline_of.remove(&key) {
            self.deadlines.remove(&(old, key));
        }
        if let Some(at) = at {
            self.deadlines.insert((at, key));
            self.deadline_of.insert(key, at);
        }
    }
}

impl Registrar {
    pub(crate) fn publish(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        let Some(user) = self.authenticate(txn, req, Challenger::Proxy)? else {
            return Ok(());
        };
        if self.local_user(&req.uri).as_deref() != Some(user.as_str()) {
            return Err(403);
        }
        let event = req.header("Event").map(Event::parse);
        match event {
            Some(Ok(e)) if e.package.eq_ignore_ascii_case("presence") => {}
            _ => {
                let mut resp = self.response(req, 489);
                resp.headers.push("Allow-Events", "presence");
                self.respond(txn, resp);
                return Ok(());
            }
        }
        let asked = req.expires().unwrap_or(PRESENCE.default_expires);
        if asked != 0 && asked < self.config.event_min_expires {
            let mut resp = self.response(req, 423);
            resp.headers
                .push("Min-Expires", self.config.event_min_expires.to_string());
            self.respond(txn, resp);
            return Ok(());
        }
        let granted = asked.min(self.config.event_max_expires);
        let aor = self.aor_of(&user);
        let doc = if req.body.is_empty() {
            None
        } else {
            if !req
                .content_type()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case(PIDF))
            {
                return Err(415);
            }
            Some(Document::parse(&req.body).map_err(|_| 400u16)?)
        };
        // RFC 3903 §6: a refresh, modify or remove names its publication; an unknown or
        // expired one is 412 and the client starts afresh.
        let old = match req.header("SIP-If-Match") {
            Some(etag) => {
                let etag = etag.trim().to_owned();
                match self.presence.pubs.get(&etag) {
                    Some(p) if p.aor == aor => Some(etag),
                    _ => return Err(412),
                }
            }
            None => None,
        };
        let previous = old.and_then(|etag| self.remove_publication(&etag));
        if granted == 0 {
            let mut ok = self.response(req, 200);
            ok.headers.push("Expires", "0");
            self.respond(txn, ok);
            self.presentity_changed(&aor);
            return Ok(());
        }
        let doc = match (doc, previous) {
            (Some(doc), _) => doc,
            (None, Some(p)) => p.doc,
            (None, None) => return Err(400),
        };
        let etag = self.token(16);
        let expires_at = self.now + Duration::from_secs(granted.into());
        let seq = self.next_seq();
        self.presence.pubs.insert(
            etag.clone(),
            Publication {
                aor: aor.clone(),
                doc,
                seq,
                expires_at,
            },
        );
        self.presence
            .pub_deadlines
            .insert((expires_at, etag.clone()));
        let mut ok = self.response(req, 200);
        ok.headers.push("SIP-ETag", etag);
        ok.headers.push("Expires", granted.to_string());
        self.respond(txn, ok);
        self.presentity_changed(&aor);
        Ok(())
    }

    fn remove_publication(&mut self, etag: &str) -> Option<Publication> {
        let p = self.presence.pubs.remove(etag)?;
        self.presence
            .pub_deadlines
            .remove(&(p.expires_at, etag.to_owned()));
        Some(p)
    }

    pub(crate) fn subscribe(&mut self, txn: TxnId, req: &Request, from: Remote) -> Result<(), u16> {
        let to = req.to_header().map_err(|e| e.status)?;
        if let Some(tag) = to.tag() {
            let call_id = req.call_id().map_err(|e| e.status)?.to_owned();
            let Some(&key) = self.presence.by_dialog.get(&(call_id, tag.to_owned())) else {
                return Err(481);
            };
            let now = self.now;
            let Some(sub) = self.presence.subs.get_mut(&key) else {
                return Err(481);
            };
            let _ = sub.notifier.handle_subscribe(now, req);
            if let Some(resp) = sub.notifier.poll_response() {
                self.respond(txn, resp);
            }
            self.drain_sub(key);
            return Ok(());
        }
        let Some(watcher_user) = self.authenticate(txn, req, Challenger::Proxy)? else {
            return Ok(());
        };
        let package = match req.header("Event").map(Event::parse) {
            Some(Ok(e)) if e.package.eq_ignore_ascii_case("presence") => PRESENCE,
            Some(Ok(e)) if e.package.eq_ignore_ascii_case("presence.winfo") => PRESENCE_WINFO,
            _ => {
                let mut resp = self.response(req, 489);
                resp.headers
                    .push("Allow-Events", "presence, presence.winfo");
                self.respond(txn, resp);
                return Ok(());
            }
        };
        let Some(presentity_user) = self.local_user(&req.uri) else {
            return Err(404);
        };
        if !self.is_echo(&presentity_user) && !self.accounts.exists(&presentity_user) {
            return Err(404);
        }
        let kind = if package == PRESENCE_WINFO {
            // Only the presentity may learn who watches it.
            if presentity_user != watcher_user {
                return Err(403);
            }
            Kind::Winfo
        } else {
            Kind::Presence
        };
        let mut config = NotifierConfig::new(package, self.our_contact(from.transport));
        config.min_expires = self.config.event_min_expires;
        config.max_expires = self.config.event_max_expires;
        let local_tag = self.token(10);
        let incoming = match IncomingSubscribe::new(config, req.clone(), &local_tag) {
            Ok(i) => i,
            Err(e) => {
                let mut resp = e.response(req);
                self.tag(&mut resp);
                self.respond(txn, resp);
                return Ok(());
            }
        };
        let presentity = self.aor_of(&presentity_user);
        let watcher = self.aor_of(&watcher_user);
        let judgement = match kind {
            Kind::Winfo => Judgement::Allow,
            Kind::Presence => self.judge(&presentity_user, &watcher_user),
        };
        let now = self.now;
        let mut notifier = match judgement {
            Judgement::Allow => {
                let body = match kind {
                    Kind::Presence => Some(self.presence_body(&presentity)),
                    Kind::Winfo => Some(self.winfo_body(&presentity, 0)),
                };
                incoming.accept(now, SubState::Active, body)
            }
            Judgement::Pending => incoming.accept(now, SubState::Pending, None),
            Judgement::Block => {
                let mut n = incoming.accept(now, SubState::Pending, None);
                n.terminate(now, NotifyReason::Rejected, None);
                n
            }
        };
        if let Some(resp) = notifier.poll_response() {
            self.respond(txn, resp);
        }
        let key = self.next_seq();
        let call_id = req.call_id().map_err(|e| e.status)?.to_owned();
        self.presence.by_dialog.insert((call_id, local_tag), key);
        self.presence
            .by_presentity
            .entry(presentity.clone())
            .or_default()
            .push(key);
        self.presence.subs.insert(
            key,
            Sub {
                notifier,
                kind,
                presentity: presentity.clone(),
                watcher,
                to: from,
                judgement,
                in_flight: false,
                last_sent: None,
                dirty: false,
                winfo_version: 1,
                created: now,
            },
        );
        self.drain_sub(key);
        if kind == Kind::Presence {
            self.winfo_changed(&presentity);
        }
        Ok(())
    }

    fn our_contact(&self, transport: TransportKind) -> NameAddr {
        let addr = self
            .local(transport)
            .or(self.config.udp)
            .map(|a| a.to_string())
            .unwrap_or_else(|| self.config.domain.clone());
        let uri = Uri::parse(&format!("sip:{addr}{}", transport_param(transport)))
            .unwrap_or_else(|_| Uri::sip(None, &self.config.domain, None));
        NameAddr::new(uri)
    }

    fn judge(&self, presentity: &str, watcher: &str) -> Judgement {
        if presentity == watcher || self.is_echo(presentity) {
            return Judgement::Allow;
        }
        match self.store.decision(presentity, watcher) {
            Ok(Some(Decision::Block)) => return Judgement::Block,
            Ok(Some(Decision::Allow)) => return Judgement::Allow,
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "reading a watcher decision"),
        }
        match self.store.is_buddy(presentity, watcher) {
            Ok(true) => Judgement::Allow,
            Ok(false) => Judgement::Pending,
            Err(e) => {
                tracing::warn!(error = %e, "reading a buddy list");
                Judgement::Pending
            }
        }
    }

    /// The composed PIDF of `aor`, cached until it next changes.
    fn presence_body(&mut self, aor: &str) -> NotifyBody {
        if let Some(b) = self.presence.bodies.get(aor) {
            return b.clone();
        }
        let user = aor.split('@').next().unwrap_or_default();
        let registered = self.is_echo(user) || self.location.is_registered(aor);
        let mut pubs: Vec<(Document, u64)> = self
            .presence
            .pubs
            .values()
            .filter(|p| p.aor == aor)
            .map(|p| (p.doc.clone(), p.seq))
            .collect();
        pubs.sort_by_key(|(_, seq)| *seq);
        let doc = compose(&format!("sip:{aor}"), &pubs, registered);
        let body = NotifyBody {
            content_type: PIDF.to_owned(),
            bytes: doc.to_xml().into_bytes(),
        };
        self.presence.bodies.insert(aor.to_owned(), body.clone());
        body
    }

    fn winfo_body(&self, aor: &str, version: u32) -> NotifyBody {
        let watchers = self
            .presence
            .by_presentity
            .get(aor)
            .into_iter()
            .flatten()
            .filter_map(|k| self.presence.subs.get(k).map(|s| (k, s)))
            .filter(|(_, s)| s.kind == Kind::Presence)
            .map(|(k, s)| Watcher {
                id: k.to_string(),
                status: match (s.judgement, s.notifier.is_terminated()) {
                    (_, true) | (Judgement::Block, _) => WatcherStatus::Terminated,
                    (Judgement::Allow, _) => WatcherStatus::Active,
                    (Judgement::Pending, _) => WatcherStatus::Pending,
                },
                event: match s.judgement {
                    Judgement::Allow => WatcherEvent::Approved,
                    Judgement::Pending => WatcherEvent::Subscribe,
                    Judgement::Block => WatcherEvent::Rejected,
                },
                uri: format!("sip:{}", s.watcher),
                display_name: None,
                expiration: Some(
                    s.notifier
                        .expires_at()
                        .saturating_duration_since(self.now)
                        .as_secs() as u32,
                ),
                duration_subscribed: Some(self.now.duration_since(s.created).as_secs() as u32),
                lang: None,
            })
            .collect();
        let info = WatcherInfo {
            version,
            state: WinfoState::Full,
            lists: vec![WatcherList {
                resource: format!("sip:{aor}"),
                package: "presence".to_owned(),
                watchers,
            }],
        };
        NotifyBody {
            content_type: WINFO.to_owned(),
            bytes: info.to_xml().into_bytes(),
        }
    }

    /// Something `aor`'s watchers see changed: publications or registrations.
    pub(crate) fn presentity_changed(&mut self, aor: &str) {
        self.presence.bodies.remove(aor);
        let keys = self.subs_of(aor, Kind::Presence);
        for key in keys {
            self.mark_dirty(key);
        }
    }

    fn winfo_changed(&mut self, aor: &str) {
        for key in self.subs_of(aor, Kind::Winfo) {
            self.mark_dirty(key);
        }
    }

    fn subs_of(&self, aor: &str, kind: Kind) -> Vec<u64> {
        self.presence
            .by_presentity
            .get(aor)
            .into_iter()
            .flatten()
            .copied()
            .filter(|k| self.presence.subs.get(k).is_some_and(|s| s.kind == kind))
            .collect()
    }

    /// A watcher's authorisation may have changed: allow, block or pend accordingly.
    pub(crate) fn reauthorize(&mut self, aor: &str) {
        let user = aor.split('@').next().unwrap_or_default().to_owned();
        let now = self.now;
        for key in self.subs_of(aor, Kind::Presence) {
            let Some(watcher) = self.presence.subs.get(&key).map(|s| s.watcher.clone()) else {
                continue;
            };
            let watcher_user = watcher.split('@').next().unwrap_or_default().to_owned();
            let judgement = self.judge(&user, &watcher_user);
            let Some(sub) = self.presence.subs.get_mut(&key) else {
                continue;
            };
            if sub.judgement == judgement {
                continue;
            }
            sub.judgement = judgement;
            match judgement {
                Judgement::Block => sub.notifier.terminate(now, NotifyReason::Rejected, None),
                Judgement::Pending => sub.notifier.notify(now, SubState::Pending, None),
                Judgement::Allow => sub.dirty = true,
            }
            if judgement == Judgement::Allow {
                self.mark_dirty(key);
            } else {
                self.drain_sub(key);
            }
        }
        self.winfo_changed(aor);
    }

    /// Notifies now if the throttle window is over, else at its end.
    fn mark_dirty(&mut self, key: u64) {
        let interval = self.config.notify_interval;
        let now = self.now;
        let Some(sub) = self.presence.subs.get_mut(&key) else {
            return;
        };
        sub.dirty = true;
        match sub.last_sent {
            Some(t) if now < t + interval => self.drain_sub(key),
            _ => self.flush(key),
        }
    }

    /// Sends the current state of a dirty subscription.
    fn flush(&mut self, key: u64) {
        let now = self.now;
        let Some(sub) = self.presence.subs.get(&key) else {
            return;
        };
        if !sub.dirty || sub.notifier.is_terminated() {
            return;
        }
        let (kind, judgement, presentity, version) = (
            sub.kind,
            sub.judgement,
            sub.presentity.clone(),
            sub.winfo_version + 1,
        );
        let (state, body) = match (kind, judgement) {
            (Kind::Winfo, _) => (
                SubState::Active,
                Some(self.winfo_body(&presentity, version)),
            ),
            (Kind::Presence, Judgement::Allow) => {
                (SubState::Active, Some(self.presence_body(&presentity)))
            }
            (Kind::Presence, _) => (SubState::Pending, None),
        };
        if let Some(sub) = self.presence.subs.get_mut(&key) {
            sub.dirty = false;
            sub.winfo_version = version;
            sub.notifier.notify(now, state, body);
        }
        self.drain_sub(key);
    }

    /// Sends what the notifier produced, reschedules it, and forgets it once it is over.
    fn drain_sub(&mut self, key: u64) {
        let now = self.now;
        let interval = self.config.notify_interval;
        let Some(sub) = self.presence.subs.get_mut(&key) else {
            return;
        };
        let mut requests = Vec::new();
        while let Some(req) = sub.notifier.poll_request() {
            requests.push(req);
        }
        while sub.notifier.poll_response().is_some() {}
        // Termination is read from `is_terminated` below; the events only repeat it.
        while sub.notifier.poll_event().is_some() {}
        let to = sub.to;
        if !requests.is_empty() {
            sub.in_flight = true;
            sub.last_sent = Some(now);
        }
        // A terminated subscription sends nothing more, so a change it was waiting to send
        // is moot; keeping its throttle deadline would leave one in the past for ever.
        let throttle = (sub.dirty && !sub.notifier.is_terminated())
            .then(|| sub.last_sent.map_or(now, |t| t + interval));
        let deadline = [sub.notifier.poll_timeout(), throttle]
            .into_iter()
            .flatten()
            .min();
        let gone = sub.notifier.is_terminated() && !sub.in_flight;
        let kind = sub.kind;
        let presentity = sub.presentity.clone();
        for req in requests {
            self.send(Purpose::Notify(key), req, to, false);
        }
        if gone {
            self.forget_sub(key);
            if kind == Kind::Presence {
                self.winfo_changed(&presentity);
            }
        } else {
            self.presence.set_deadline(key, deadline);
        }
    }

    fn forget_sub(&mut self, key: u64) {
        self.presence.set_deadline(key, None);
        let Some(sub) = self.presence.subs.remove(&key) else {
            return;
        };
        self.presence.by_dialog.retain(|_, k| *k != key);
        if let Some(list) = self.presence.by_presentity.get_mut(&sub.presentity) {
            list.retain(|k| *k != key);
            if list.is_empty() {
                self.presence.by_presentity.remove(&sub.presentity);
                self.presence.bodies.remove(&sub.presentity);
            }
        }
    }

    pub(crate) fn notify_outcome(&mut self, key: u64, outcome: &Outcome) {
        let now = self.now;
        let Some(sub) = self.presence.subs.get_mut(&key) else {
            return;
        };
        match outcome {
            Outcome::Response(r) if r.status < 200 => return,
            Outcome::Response(r) => sub.notifier.handle_response(now, r),
            Outcome::Failed(_) => sub.notifier.handle_transaction_timeout(now),
        }
        sub.in_flight = false;
        self.drain_sub(key);
    }

    pub(crate) fn presence_timeout(&mut self, now: Instant) {
        while let Some((at, etag)) = self.presence.pub_deadlines.first().cloned() {
            if at > now {
                break;
            }
            if let Some(p) = self.remove_publication(&etag) {
                self.presentity_changed(&p.aor);
            } else {
                self.presence.pub_deadlines.pop_first();
            }
        }
        // Each due subscription runs once per call: one that reschedules itself at or before
        // `now` waits for the next call instead of stalling every other request.
        let due: Vec<u64> = self
            .presence
            .deadlines
            .iter()
            .take_while(|(at, _)| *at <= now)
            .map(|&(_, key)| key)
            .collect();
        for key in due {
            self.presence.set_deadline(key, None);
            if let Some(sub) = self.presence.subs.get_mut(&key) {
                sub.notifier.handle_timeout(now);
            }
            self.flush(key);
            self.drain_sub(key);
        }
    }
}
