//! The notifier's side of a subscription (RFC 6665 §4.2): what a registrar or presence
//! server needs to accept a SUBSCRIBE and keep its subscriber informed.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::dialog::{Dialog, DialogError, DialogId};
use crate::msg::{
    reason_phrase, AllowEvents, Event, Method, NameAddr, ParseError, Request, Response, SipMessage,
    SubState, SubscriptionState,
};

use super::package::Package;
use super::reason::NotifyReason;
use super::timer::{TimerKind, Timers};

/// The policy of a notifier for one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifierConfig {
    /// The package served; SUBSCRIBEs for others get 489.
    pub package: Package,
    /// Our Contact, in the 2xx and every NOTIFY.
    pub contact: NameAddr,
    /// Shorter non-zero expiries get 423 with this Min-Expires (RFC 6665 §4.2.1.1).
    pub min_expires: u32,
    /// Longer expiries are cut down to this.
    pub max_expires: u32,
}

impl NotifierConfig {
    /// Minimum one minute (RFC 6665 §4.2.1.1 calls anything shorter a burden), maximum the
    /// package default.
    pub fn new(package: Package, contact: NameAddr) -> Self {
        NotifierConfig {
            max_expires: package.default_expires,
            package,
            contact,
            min_expires: 60,
        }
    }
}

/// Why a SUBSCRIBE was refused; [`SubscribeError::response`] builds the answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SubscribeError {
    /// A header is missing or malformed: 400.
    #[error("malformed SUBSCRIBE: {0}")]
    Malformed(#[from] ParseError),
    /// Another package (RFC 6665 §4.2.1.1): 489 with our Allow-Events.
    #[error("event {got:?} not served")]
    BadEvent {
        /// The package asked for.
        got: String,
        /// The one we serve.
        allowed: &'static str,
    },
    /// The expiry is below our minimum: 423 with Min-Expires.
    #[error("expiry below {min} s")]
    IntervalTooBrief {
        /// Our Min-Expires.
        min: u32,
    },
    /// The dialog refused it (481, 500) or could not be formed from it (400).
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

impl SubscribeError {
    /// The status the SUBSCRIBE is answered with.
    pub fn status(&self) -> u16 {
        match self {
            SubscribeError::Malformed(e) => e.status,
            SubscribeError::BadEvent { .. } => 489,
            SubscribeError::IntervalTooBrief { .. } => 423,
            SubscribeError::Dialog(e) => e.status(),
        }
    }

    /// The answer to `req`, with the header each status requires.
    pub fn response(&self, req: &Request) -> Response {
        let status = self.status();
        let mut resp = Response::to_request(req, status, reason_phrase(status));
        match self {
            SubscribeError::BadEvent { allowed, .. } => {
                let allow = AllowEvents(vec![(*allowed).to_owned()]);
                resp.headers.push("Allow-Events", allow.to_string());
            }
            SubscribeError::IntervalTooBrief { min } => {
                resp.headers.push("Min-Expires", min.to_string());
            }
            SubscribeError::Malformed(_) | SubscribeError::Dialog(_) => {}
        }
        resp
    }
}

/// A new SUBSCRIBE that passed the package's checks and awaits the application's decision
/// (authorisation): [`accept`](Self::accept) it or [`reject`](Self::reject) it.
#[must_use = "a SUBSCRIBE must be answered: accept or reject it"]
#[derive(Debug)]
pub struct IncomingSubscribe {
    config: NotifierConfig,
    request: Request,
    event: Event,
    granted: u32,
    /// The 2xx to send on accept, with our tag, Contact and Expires.
    ok: Response,
    dialog: Dialog,
}

impl IncomingSubscribe {
    /// Checks a SUBSCRIBE that matched no dialog (RFC 6665 §4.2.1.1): Event, Expires,
    /// Contact. `local_tag` (from the owner's seeded RNG) becomes our To tag.
    pub fn new(
        config: NotifierConfig,
        request: Request,
        local_tag: &str,
    ) -> Result<IncomingSubscribe, SubscribeError> {
        let event = check_event(&config, &request)?;
        let granted = check_expires(&config, &request)?;
        let mut to = request.to_header()?;
        to.set_tag(local_tag);
        let mut ok = Response::to_request(&request, 200, reason_phrase(200));
        ok.headers.set("To", to.to_string());
        ok.headers.push("Contact", config.contact.to_string());
        ok.headers.push("Expires", granted.to_string());
        let dialog = Dialog::new_uas(&request, &ok)?;
        Ok(IncomingSubscribe {
            config,
            request,
            event,
            granted,
            ok,
            dialog,
        })
    }

    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Answers 200 and sends the first NOTIFY at once (RFC 6665 §4.2.1.2) in `state`
    /// (`Active`, or `Pending` while authorisation is open). An `Expires: 0` SUBSCRIBE is a
    /// fetch (RFC 6665 §4.4.3): its one NOTIFY says `terminated`.
    pub fn accept(self, now: Instant, state: SubState, body: Option<NotifyBody>) -> Notifier {
        let mut notifier = Notifier {
            config: self.config,
            dialog: self.dialog,
            event: self.event,
            state: SubState::Pending,
            expires_at: now + Duration::from_secs(self.granted.into()),
            notify_pending: None,
            queued: None,
            ended: false,
            timers: Timers::new(),
            requests: VecDeque::new(),
            responses: VecDeque::from([self.ok]),
            events: VecDeque::new(),
        };
        if self.granted == 0 {
            notifier.terminate(now, NotifyReason::Timeout, body);
        } else {
            notifier.timers.set(Timer::Expiry, notifier.expires_at);
            notifier.notify(now, state, body);
        }
        notifier
    }

    /// The answer refusing the subscription (403 for a denied watcher, say).
    pub fn reject(self, status: u16) -> Response {
        Response::to_request(&self.request, status, reason_phrase(status))
    }
}

/// A NOTIFY body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyBody {
    /// Its Content-Type, one the package allows.
    pub content_type: String,
    /// The document.
    pub bytes: Vec<u8>,
}

/// What the notifier tells its owner.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifierEvent {
    /// The subscriber refreshed; the subscription now runs until `expires_at`.
    Refreshed {
        /// The new end.
        expires_at: Instant,
    },
    /// The subscription is over and the final NOTIFY (if any) is out.
    Terminated {
        /// The reason sent, or `None` when the subscriber is gone (a NOTIFY got 481 or
        /// timed out, RFC 6665 §4.2.2) and no NOTIFY was sent.
        reason: Option<NotifyReason>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    /// The granted expiry (RFC 6665 §4.2.2: then NOTIFY `terminated;reason=timeout`).
    Expiry,
}

impl TimerKind for Timer {
    const ALL: &'static [Timer] = &[Timer::Expiry];
    fn index(self) -> usize {
        self as usize
    }
}

/// A NOTIFY waiting for the outstanding one to be answered.
#[derive(Debug, Clone)]
struct Queued {
    state: SubState,
    reason: Option<NotifyReason>,
    body: Option<NotifyBody>,
}

/// One accepted subscription, from the notifier's side.
///
/// Only one NOTIFY is outstanding at a time: a state given meanwhile replaces any queued
/// one and goes out when the outstanding NOTIFY is answered, so a flapping presence sends
/// the latest state rather than a backlog. The final `terminated` NOTIFY waits its turn
/// the same way, though the subscription counts as over from the moment it is decided.
#[derive(Debug, Clone)]
pub struct Notifier {
    config: NotifierConfig,
    dialog: Dialog,
    event: Event,
    state: SubState,
    expires_at: Instant,
    /// CSeq of the NOTIFY awaiting its answer.
    notify_pending: Option<u32>,
    queued: Option<Queued>,
    ended: bool,
    timers: Timers<Timer, 1>,
    requests: VecDeque<Request>,
    responses: VecDeque<Response>,
    events: VecDeque<NotifierEvent>,
}

impl Notifier {
    pub fn dialog_id(&self) -> &DialogId {
        self.dialog.id()
    }

    /// The substate last notified.
    pub fn state(&self) -> &SubState {
        &self.state
    }

    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// True once the terminated NOTIFY is out or the subscriber is gone.
    pub fn is_terminated(&self) -> bool {
        self.ended
    }

    /// Notifies a new state (`Active` or `Pending`) with an optional document.
    pub fn notify(&mut self, now: Instant, state: SubState, body: Option<NotifyBody>) {
        if !self.ended {
            self.send_or_queue(now, state, None, body);
        }
    }

    /// Ends the subscription with a NOTIFY `terminated;reason=…` (RFC 6665 §4.2.2).
    pub fn terminate(&mut self, now: Instant, reason: NotifyReason, body: Option<NotifyBody>) {
        if self.ended {
            return;
        }
        self.ended = true;
        self.timers.stop_all();
        self.send_or_queue(now, SubState::Terminated, Some(reason), body);
        self.events.push_back(NotifierEvent::Terminated {
            reason: Some(reason),
        });
    }

    /// A SUBSCRIBE inside this subscription's dialog: a refresh, or with `Expires: 0` an
    /// unsubscribe (RFC 6665 §4.2.1.2, §4.2.1.4). The answer is queued for `poll_response`;
    /// each accepted SUBSCRIBE is followed by a NOTIFY of the current state.
    pub fn handle_subscribe(&mut self, now: Instant, req: &Request) -> Result<(), SubscribeError> {
        let result = self.absorb_subscribe(now, req);
        let resp = match &result {
            Ok(granted) => {
                let mut ok = Response::to_request(req, 200, reason_phrase(200));
                ok.headers.push("Contact", self.config.contact.to_string());
                ok.headers.push("Expires", granted.to_string());
                ok
            }
            Err(e) => e.response(req),
        };
        self.responses.push_back(resp);
        let granted = result?;
        if granted == 0 {
            self.terminate(now, NotifyReason::Timeout, None);
        } else {
            let state = self.state.clone();
            self.send_or_queue(now, state, None, None);
        }
        Ok(())
    }

    fn absorb_subscribe(&mut self, now: Instant, req: &Request) -> Result<u32, SubscribeError> {
        check_event(&self.config, req)?;
        let granted = check_expires(&self.config, req)?;
        if self.ended {
            return Err(DialogError::UnknownDialog.into());
        }
        self.dialog.handle_request(req)?;
        if granted > 0 {
            self.expires_at = now + Duration::from_secs(granted.into());
            self.timers.set(Timer::Expiry, self.expires_at);
            self.events.push_back(NotifierEvent::Refreshed {
                expires_at: self.expires_at,
            });
        }
        Ok(granted)
    }

    /// Absorbs the answer to the outstanding NOTIFY. Any failure (481 above all) means the
    /// subscriber is gone or refuses it: the subscription ends without another NOTIFY
    /// (RFC 6665 §4.2.2).
    pub fn handle_response(&mut self, now: Instant, resp: &Response) {
        let ours = resp
            .cseq()
            .is_ok_and(|c| Some(c.seq) == self.notify_pending && c.method == Method::Notify);
        if !ours || resp.is_provisional() {
            return;
        }
        self.notify_pending = None;
        if resp.status >= 300 {
            self.gone();
            return;
        }
        if let Some(q) = self.queued.take() {
            self.send_or_queue(now, q.state, q.reason, q.body);
        }
    }

    /// The outstanding NOTIFY timed out: the subscriber is gone.
    pub fn handle_transaction_timeout(&mut self, _now: Instant) {
        if self.notify_pending.take().is_some() {
            self.gone();
        }
    }

    /// Fires due timers; early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(Timer::Expiry) = self.timers.expired(now) {
            self.terminate(now, NotifyReason::Timeout, None);
        }
    }

    /// The next NOTIFY to send through a new client transaction.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next answer to a SUBSCRIBE (the first is the 2xx of the accepted one).
    pub fn poll_response(&mut self) -> Option<Response> {
        self.responses.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<NotifierEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn gone(&mut self) {
        let was_ended = self.ended;
        self.ended = true;
        self.queued = None;
        self.timers.stop_all();
        if !was_ended {
            self.events
                .push_back(NotifierEvent::Terminated { reason: None });
        }
    }

    fn send_or_queue(
        &mut self,
        now: Instant,
        state: SubState,
        reason: Option<NotifyReason>,
        body: Option<NotifyBody>,
    ) {
        if self.notify_pending.is_some() {
            self.queued = Some(Queued {
                state,
                reason,
                body,
            });
        } else {
            self.send_notify(now, state, reason, body);
        }
    }

    fn send_notify(
        &mut self,
        now: Instant,
        state: SubState,
        reason: Option<NotifyReason>,
        body: Option<NotifyBody>,
    ) {
        let mut header = SubscriptionState::new(state.clone());
        match reason {
            Some(reason) => {
                if let Some(token) = reason.as_str() {
                    header.params.set("reason", Some(token));
                }
            }
            None => {
                let left = self.expires_at.saturating_duration_since(now);
                // Round up, so the subscriber never believes in less time than it has.
                let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
                header.params.set("expires", Some(&secs.to_string()));
            }
        }
        let mut req = self.dialog.create_request(Method::Notify);
        req.headers.push("Event", self.event.to_string());
        req.headers.push("Subscription-State", header.to_string());
        if let Some(body) = body {
            req.headers.push("Content-Type", body.content_type);
            req.body = body.bytes;
        }
        self.notify_pending = self.dialog.local_seq();
        self.state = state;
        self.requests.push_back(req);
    }
}

fn check_event(config: &NotifierConfig, req: &Request) -> Result<Event, SubscribeError> {
    let value = req
        .header("Event")
        .ok_or_else(|| ParseError::new("missing Event header"))?;
    let event = Event::parse(value)?;
    if !event.package.eq_ignore_ascii_case(config.package.event) {
        return Err(SubscribeError::BadEvent {
            got: event.package,
            allowed: config.package.event,
        });
    }
    Ok(event)
}

/// RFC 6665 §4.2.1.1: a missing Expires means the package default; too short is 423; too
/// long is cut down.
fn check_expires(config: &NotifierConfig, req: &Request) -> Result<u32, SubscribeError> {
    let asked = req.expires().unwrap_or(config.package.default_expires);
    if asked != 0 && asked < config.min_expires {
        return Err(SubscribeError::IntervalTooBrief {
            min: config.min_expires,
        });
    }
    Ok(asked.min(config.max_expires))
}
