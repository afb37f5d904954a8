use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::auth::Answer;
use crate::event::{out_of_dialog, refresh_after, StoredCredentials, TimerKind, Timers};
use crate::msg::{parse_delta_seconds, EntityTag, Method, Request, Response, SipMessage};

use super::config::PublicationConfig;
use super::events::PubEvent;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// Refresh the published state before it lapses.
    Refresh,
    /// Try again after a failure.
    Retry,
}

impl TimerKind for Timer {
    const ALL: &'static [Timer] = &[Timer::Refresh, Timer::Retry];
    fn index(self) -> usize {
        self as usize
    }
}

/// The four PUBLISH shapes of RFC 3903 §4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Body, no `SIP-If-Match`: creates the state.
    Initial,
    /// Body and `SIP-If-Match`: replaces it.
    Modify,
    /// `SIP-If-Match`, no body: extends it.
    Refresh,
    /// `SIP-If-Match`, `Expires: 0`: removes it.
    Remove,
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    kind: Kind,
    seq: u32,
}

/// An event publication agent for one resource and package (RFC 3903).
///
/// PUBLISH is out of dialog: each request has the same Call-ID and From tag and a new CSeq;
/// the server's entity tag, not a dialog, ties them together. Call order:
/// [`publish`](Self::publish) with each new state, [`remove`](Self::remove) to withdraw it;
/// feed back final responses (or transaction timeouts) and timeouts; after each call drain
/// `poll_request` and `poll_event` and wait until `poll_timeout`. Only one PUBLISH is
/// outstanding at a time (RFC 3903 §4.1); state changed meanwhile goes out after its
/// answer.
///
/// - The refresh goes out at `granted − max(5 s, 10 %)` of the 2xx's `Expires`.
/// - 412 (the server lost our entity): start afresh with an initial PUBLISH of the current
///   body (RFC 3903 §4.4). 423: retry with `Min-Expires`.
/// - 408, 5xx and transaction timeouts: [`PubEvent::Failed`] with a retry after
///   `retry_min · 2ⁿ` (n = failures so far, capped at `retry_max`), or the response's
///   `Retry-After` if that is longer. The retry republishes the current state.
/// - 489 and other client errors: [`PubEvent::Failed`] without retry.
/// - 401/407: as for [`crate::event::Subscription`], answer with
///   [`authorize`](Self::authorize) instead of `handle_response`.
#[derive(Debug, Clone)]
pub struct Publication {
    config: PublicationConfig,
    call_id: String,
    cseq: u32,
    /// The expiry we ask for now.
    expires: u32,
    /// The state to publish; kept for a restart after 412.
    body: Vec<u8>,
    /// The owner wants the state withdrawn.
    removing: bool,
    /// A `publish`/`remove` came while a PUBLISH was outstanding.
    dirty: bool,
    etag: Option<EntityTag>,
    expires_at: Option<Instant>,
    pending: Option<Pending>,
    failures: u32,
    last_request: Option<Request>,
    credentials: StoredCredentials,
    timers: Timers<Timer, 2>,
    requests: VecDeque<Request>,
    events: VecDeque<PubEvent>,
}

impl Publication {
    /// A publication that has published nothing yet. `call_id` comes from the owner's
    /// seeded RNG.
    pub fn new(config: PublicationConfig, call_id: String, _now: Instant) -> Publication {
        Publication {
            expires: config.expires,
            config,
            call_id,
            cseq: 0,
            body: Vec::new(),
            removing: false,
            dirty: false,
            etag: None,
            expires_at: None,
            pending: None,
            failures: 0,
            last_request: None,
            credentials: StoredCredentials::default(),
            timers: Timers::new(),
            requests: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The entity tag of the state the server holds for us.
    pub fn etag(&self) -> Option<&EntityTag> {
        self.etag.as_ref()
    }

    /// When the published state lapses.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The last PUBLISH emitted, for answering a challenge to it.
    pub fn last_request(&self) -> Option<&Request> {
        self.last_request.as_ref()
    }

    /// Publishes `body` as the new state: an initial PUBLISH, or a modify with
    /// `SIP-If-Match` while the server holds our entity.
    pub fn publish(&mut self, now: Instant, body: Vec<u8>) {
        self.body = body;
        self.removing = false;
        self.sync_or_defer(now);
    }

    /// Withdraws the published state (`Expires: 0` with `SIP-If-Match`, RFC 3903 §4.5).
    pub fn remove(&mut self, now: Instant) {
        self.removing = true;
        self.sync_or_defer(now);
    }

    /// Resends the outstanding PUBLISH with CSeq + 1 and `answers`, and keeps them for
    /// later requests; see [`crate::event::Subscription::authorize`].
    pub fn authorize(&mut self, _now: Instant, answers: &[Answer]) {
        self.credentials.update(answers);
        if let Some(pending) = self.pending.take() {
            self.send(pending.kind);
        }
    }

    /// Absorbs a response to the outstanding PUBLISH; others are ignored.
    pub fn handle_response(&mut self, now: Instant, resp: &Response) {
        let Some(pending) = self.pending else {
            return;
        };
        let ours = resp.call_id().is_ok_and(|c| c == self.call_id)
            && resp
                .cseq()
                .is_ok_and(|c| c.seq == pending.seq && c.method == Method::Publish);
        if !ours || resp.is_provisional() {
            return;
        }
        self.pending = None;
        match resp.status {
            200..=299 => self.on_success(now, pending.kind, resp),
            // RFC 3903 §4.4: our entity is gone at the server; republish from scratch.
            412 if pending.kind != Kind::Initial => {
                self.etag = None;
                self.expires_at = None;
                self.timers.stop(Timer::Refresh);
                self.sync(now);
            }
            423 => self.on_interval_too_brief(now, pending.kind, resp),
            status => self.on_failure(now, status, retry_after(resp)),
        }
        if self.pending.is_none() && self.dirty {
            self.dirty = false;
            self.sync(now);
        }
    }

    /// The outstanding PUBLISH timed out: as a 408 (RFC 3261 §8.1.3.1), retried.
    pub fn handle_transaction_timeout(&mut self, now: Instant) {
        if self.pending.take().is_some() {
            self.on_failure(now, 408, None);
        }
    }

    /// Fires due timers; early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            match timer {
                Timer::Refresh if self.pending.is_none() && !self.removing => {
                    self.send(Kind::Refresh);
                }
                // A PUBLISH is outstanding; its 2xx will reschedule the refresh.
                Timer::Refresh => {}
                Timer::Retry => self.sync_or_defer(now),
            }
        }
    }

    /// The next PUBLISH to send through a new client transaction.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<PubEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn sync_or_defer(&mut self, now: Instant) {
        if self.pending.is_some() {
            self.dirty = true;
        } else {
            self.sync(now);
        }
    }

    /// Sends whatever brings the server to the state the owner wants.
    fn sync(&mut self, now: Instant) {
        self.timers.stop(Timer::Retry);
        let held = self.etag.is_some() && self.expires_at.is_some_and(|at| at > now);
        match (self.removing, held) {
            (true, true) => self.send(Kind::Remove),
            (true, false) => self.removed(),
            (false, true) => self.send(Kind::Modify),
            (false, false) => self.send(Kind::Initial),
        }
    }

    fn removed(&mut self) {
        self.etag = None;
        self.expires_at = None;
        self.failures = 0;
        self.timers.stop_all();
        self.events.push_back(PubEvent::Removed);
    }

    fn on_success(&mut self, now: Instant, kind: Kind, resp: &Response) {
        self.failures = 0;
        if kind == Kind::Remove {
            self.removed();
            return;
        }
        // RFC 3903 §11.3: every 2xx carries SIP-ETag. Without one (or with one that is no
        // token, so could not be sent back) we cannot refresh; the next publish starts afresh.
        self.etag = resp.sip_etag();
        // RFC 3903 §6 step 5: the server may shorten the interval, never lengthen it.
        let granted = resp.expires().unwrap_or(self.expires).min(self.expires);
        let granted = Duration::from_secs(granted.into());
        let expires_at = now + granted;
        self.expires_at = Some(expires_at);
        match &self.etag {
            Some(etag) => {
                self.timers
                    .set(Timer::Refresh, now + refresh_after(granted));
                self.events.push_back(PubEvent::Published {
                    etag: etag.clone(),
                    expires_at,
                });
            }
            None => self.timers.stop(Timer::Refresh),
        }
    }

    fn on_interval_too_brief(&mut self, now: Instant, kind: Kind, resp: &Response) {
        let min = resp
            .header("Min-Expires")
            .and_then(|v| parse_delta_seconds(v).ok());
        match min {
            Some(min) if min > self.expires && kind != Kind::Remove => {
                self.expires = min;
                self.send(kind);
            }
            _ => self.on_failure(now, 423, None),
        }
    }

    fn on_failure(&mut self, now: Instant, status: u16, retry_after: Option<Duration>) {
        let transient = status == 408 || (500..600).contains(&status);
        let retry_in = transient.then(|| {
            let backoff = self
                .config
                .retry_min
                .saturating_mul(1 << self.failures.min(16))
                .min(self.config.retry_max);
            retry_after.map_or(backoff, |ra| ra.max(backoff))
        });
        self.failures = self.failures.saturating_add(1);
        match retry_in {
            Some(after) => self.timers.set(Timer::Retry, now + after),
            None => self.timers.stop(Timer::Retry),
        }
        self.events.push_back(PubEvent::Failed { status, retry_in });
    }

    fn send(&mut self, kind: Kind) {
        self.cseq += 1;
        let mut req = out_of_dialog(
            Method::Publish,
            &self.config.aor,
            &self.config.from,
            &self.call_id,
            self.cseq,
            &self.config.route,
        );
        let expires = if kind == Kind::Remove {
            0
        } else {
            self.expires
        };
        req.headers.push("Event", self.config.package.event);
        req.headers.push("Expires", expires.to_string());
        if kind != Kind::Initial {
            if let Some(etag) = &self.etag {
                req.headers.push("SIP-If-Match", etag.to_string());
            }
        }
        if matches!(kind, Kind::Initial | Kind::Modify) {
            req.headers
                .push("Content-Type", self.config.content_type.clone());
            req.body = self.body.clone();
        }
        self.credentials.apply(&mut req);
        self.pending = Some(Pending {
            kind,
            seq: self.cseq,
        });
        self.last_request = Some(req.clone());
        self.requests.push_back(req);
    }
}

/// The `Retry-After` of a failure response (RFC 3261 §20.33).
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.header("Retry-After")
        .and_then(|v| parse_delta_seconds(v).ok())
        .map(|s| Duration::from_secs(s.into()))
}
