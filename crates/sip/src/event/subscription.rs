use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crate::auth::Answer;
use crate::dialog::{Dialog, DialogId};
use crate::msg::{parse_delta_seconds, Method, NameAddr, Request, Response, SipMessage, Uri};

use super::events::{SubEvent, SubPhase};
use super::outbound::{out_of_dialog, StoredCredentials};
use super::package::Package;
use super::reason::TerminationReason;
use super::timer::{refresh_after, TimerKind, Timers};

/// RFC 3261 §17.1.1.1's default round-trip estimate.
const DEFAULT_T1: Duration = Duration::from_millis(500);

/// What a subscriber needs to know to subscribe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionConfig {
    /// The resource: Request-URI and To of the initial SUBSCRIBE.
    pub target: Uri,
    /// Our From, with our tag already set: the tag is half of the dialog id.
    pub from: NameAddr,
    /// Where NOTIFYs reach us.
    pub contact: NameAddr,
    /// The event package.
    pub package: Package,
    /// The expiry we ask for, in seconds (a 423 raises it to the notifier's minimum).
    pub expires: u32,
    /// A preloaded route (outbound proxy) for requests outside the dialog (RFC 3261 §8.1.2).
    pub route: Vec<NameAddr>,
    /// T1 of RFC 3261 §17.1.1.1, which sizes Timer N (64·T1).
    pub t1: Duration,
}

impl SubscriptionConfig {
    /// A configuration asking for the package's default expiry, without preloaded route,
    /// with T1 = 500 ms.
    pub fn new(target: Uri, from: NameAddr, contact: NameAddr, package: Package) -> Self {
        SubscriptionConfig {
            target,
            from,
            contact,
            expires: package.default_expires,
            package,
            route: Vec::new(),
            t1: DEFAULT_T1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Timer {
    /// Send a refreshing SUBSCRIBE.
    Refresh,
    /// RFC 6665 §4.1.2.4: 64·T1 for a NOTIFY after a 2xx (or after un-SUBSCRIBE).
    N,
    /// The granted expiry.
    Expiry,
}

impl TimerKind for Timer {
    const ALL: &'static [Timer] = &[Timer::Refresh, Timer::N, Timer::Expiry];
    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Initial,
    Refresh,
    Unsubscribe,
}

/// The SUBSCRIBE awaiting its final response.
#[derive(Debug, Clone)]
struct Pending {
    kind: Kind,
    seq: u32,
}

/// The subscriber side of one subscription (RFC 6665 §4.1), for any event package.
///
/// Call order: [`Subscription::subscribe`] once, then feed it responses to the SUBSCRIBEs it
/// emitted ([`handle_response`](Self::handle_response), or
/// [`handle_transaction_timeout`](Self::handle_transaction_timeout)), NOTIFYs routed to it
/// ([`handle_notify`](Self::handle_notify)) and timeouts; after each call drain
/// `poll_request`, `poll_response`, `poll_event` and wait until `poll_timeout`. It never
/// has two SUBSCRIBEs outstanding: a refresh or un-SUBSCRIBE asked for meanwhile waits for
/// the answer.
///
/// Expiry and refresh: the granted expiry is the 2xx's `Expires` (never more than we asked,
/// RFC 6665 §4.1.2.1), lowered by any NOTIFY's `expires=`; the refresh goes out at
/// `granted − max(5 s, 10 %)`, not before half of it. A refresh failing with anything but
/// 481/408 leaves the subscription until that expiry (RFC 6665 §4.1.2.2).
///
/// Authentication: on a 401/407 the owner answers the challenge with
/// [`crate::auth::Authenticator::respond`] over [`last_request`](Self::last_request) and
/// passes the answers to [`authorize`](Self::authorize) *instead of* `handle_response`,
/// which resends with CSeq + 1 and keeps them for later refreshes. A 401/407 given to
/// `handle_response` (the owner could not answer it) is a final failure.
#[derive(Debug, Clone)]
pub struct Subscription {
    pub(super) config: SubscriptionConfig,
    pub(super) call_id: String,
    pub(super) phase: SubPhase,
    pub(super) dialog: Option<Dialog>,
    /// CSeq of out-of-dialog SUBSCRIBEs, until a dialog counts for us.
    cseq: u32,
    /// The expiry we ask for now.
    expires: u32,
    pending: Option<Pending>,
    /// The last SUBSCRIBE emitted: the one a challenge covers, and the one a NOTIFY arriving
    /// before the 2xx builds the dialog from.
    pub(super) last_request: Option<Request>,
    /// An un-SUBSCRIBE was asked for; it goes out when no SUBSCRIBE is pending.
    pub(super) unsubscribing: bool,
    unsubscribe_sent: bool,
    /// A NOTIFY has arrived, which stops Timer N.
    pub(super) notified: bool,
    expires_at: Option<Instant>,
    pub(super) timers: Timers<Timer, 3>,
    credentials: StoredCredentials,
    requests: VecDeque<Request>,
    pub(super) responses: VecDeque<Response>,
    pub(super) events: VecDeque<SubEvent>,
}

impl Subscription {
    /// A subscription in NULL; nothing is sent before [`subscribe`](Self::subscribe).
    /// `call_id` comes from the owner's seeded RNG.
    pub fn new(config: SubscriptionConfig, call_id: String, _now: Instant) -> Subscription {
        Subscription {
            expires: config.expires,
            config,
            call_id,
            phase: SubPhase::Null,
            dialog: None,
            cseq: 0,
            pending: None,
            last_request: None,
            unsubscribing: false,
            unsubscribe_sent: false,
            notified: false,
            expires_at: None,
            timers: Timers::new(),
            credentials: StoredCredentials::default(),
            requests: VecDeque::new(),
            responses: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    pub fn phase(&self) -> SubPhase {
        self.phase
    }

    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The dialog's id once a 2xx or NOTIFY created it.
    pub fn dialog_id(&self) -> Option<&DialogId> {
        self.dialog.as_ref().map(Dialog::id)
    }

    /// When the granted subscription runs out, if one was granted.
    pub fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    /// The last SUBSCRIBE emitted, for answering a challenge to it.
    pub fn last_request(&self) -> Option<&Request> {
        self.last_request.as_ref()
    }

    /// Sends the initial SUBSCRIBE; a no-op unless in NULL.
    pub fn subscribe(&mut self, _now: Instant) {
        if self.phase == SubPhase::Null {
            self.send(Kind::Initial);
            self.set_phase(SubPhase::Sent);
        }
    }

    /// Refreshes now rather than at the scheduled time (after a network change, say); a
    /// no-op while a SUBSCRIBE is outstanding, before acceptance or after unsubscribing.
    pub fn refresh(&mut self, _now: Instant) {
        let live = matches!(
            self.phase,
            SubPhase::Accepted | SubPhase::Pending | SubPhase::Active
        );
        if live && self.pending.is_none() && !self.unsubscribing {
            self.send(Kind::Refresh);
        }
    }

    /// Ends the subscription with `Expires: 0` (RFC 6665 §4.1.2.3), then waits up to 64·T1
    /// for the final NOTIFY. In NULL it ends at once; while a SUBSCRIBE is outstanding the
    /// un-SUBSCRIBE follows its answer.
    pub fn unsubscribe(&mut self, _now: Instant) {
        match self.phase {
            SubPhase::Terminated => {}
            SubPhase::Null => self.terminate(TerminationReason::Unsubscribed, None),
            _ if self.unsubscribing => {}
            _ => {
                self.unsubscribing = true;
                self.timers.stop(Timer::Refresh);
                if self.pending.is_none() {
                    self.send_unsubscribe();
                }
            }
        }
    }

    /// Resends the outstanding SUBSCRIBE with CSeq + 1 and `answers` (computed by
    /// [`crate::auth::Authenticator::respond`] from its 401/407), and keeps them for later
    /// requests. With nothing outstanding the answers are only stored.
    pub fn authorize(&mut self, _now: Instant, answers: &[Answer]) {
        self.credentials.update(answers);
        if let Some(pending) = self.pending.take() {
            self.send(pending.kind);
        }
    }

    /// Absorbs a response to the outstanding SUBSCRIBE; others (stray, retransmitted,
    /// provisional) are ignored.
    pub fn handle_response(&mut self, now: Instant, resp: &Response) {
        let Some(pending) = &self.pending else {
            return;
        };
        let ours = resp.call_id().is_ok_and(|c| c == self.call_id)
            && resp
                .cseq()
                .is_ok_and(|c| c.seq == pending.seq && c.method == Method::Subscribe);
        if !ours || resp.is_provisional() || self.phase == SubPhase::Terminated {
            return;
        }
        let kind = pending.kind;
        self.pending = None;
        match resp.status {
            200..=299 => self.on_success(now, kind, resp),
            423 => self.on_interval_too_brief(kind, resp),
            status => self.on_failure(kind, status, retry_after(resp)),
        }
        if self.unsubscribing && !self.unsubscribe_sent && self.phase != SubPhase::Terminated {
            self.send_unsubscribe();
        }
    }

    /// The outstanding SUBSCRIBE's transaction timed out: as a 408 (RFC 3261 §8.1.3.1).
    pub fn handle_transaction_timeout(&mut self, _now: Instant) {
        if let Some(pending) = self.pending.take() {
            self.on_failure(pending.kind, 408, None);
        }
    }

    /// Fires due timers; early calls do nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.timers.expired(now) {
            match timer {
                Timer::Refresh => self.refresh(now),
                Timer::N if self.unsubscribing => {
                    self.terminate(TerminationReason::Unsubscribed, None);
                }
                Timer::N if !self.notified => self.terminate(TerminationReason::NoNotify, None),
                Timer::N => {}
                Timer::Expiry => {
                    // Ended by the notifier's silence, not its will: try again at once.
                    self.terminate(TerminationReason::Expired, Some(Duration::ZERO));
                }
            }
        }
    }

    /// The next SUBSCRIBE to send through a new client transaction.
    pub fn poll_request(&mut self) -> Option<Request> {
        self.requests.pop_front()
    }

    /// The next answer to a NOTIFY, for the server transaction it came in.
    pub fn poll_response(&mut self) -> Option<Response> {
        self.responses.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<SubEvent> {
        self.events.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn on_success(&mut self, now: Instant, kind: Kind, resp: &Response) {
        match &mut self.dialog {
            // A 2xx from a fork other than the one whose NOTIFY made the dialog does not
            // belong to it; the dialog we have stays.
            Some(dialog) => {
                let _ = dialog.handle_response(resp);
            }
            None => {
                // A 2xx without To tag or Contact cannot make a dialog; a NOTIFY still can.
                if let Some(req) = &self.last_request {
                    self.dialog = Dialog::new_uac(req, resp).ok();
                }
            }
        }
        if kind == Kind::Unsubscribe {
            // Wait for the final NOTIFY, but not forever.
            self.timers.set(Timer::N, now + 64 * self.config.t1);
            return;
        }
        // RFC 6665 §4.1.2.1: the notifier may shorten the expiry, never lengthen it.
        let granted = resp.expires().unwrap_or(self.expires).min(self.expires);
        self.expires_at = None;
        self.lower_expiry(now, granted);
        if kind == Kind::Initial && self.phase == SubPhase::Sent {
            self.set_phase(SubPhase::Accepted);
        }
        if !self.notified {
            // Armed by the 2xx: before it, the SUBSCRIBE's own Timer F covers silence.
            self.timers.set(Timer::N, now + 64 * self.config.t1);
        }
    }

    /// RFC 3261 §10.2.8 / RFC 6665 §4.1.2.1: retry with the notifier's Min-Expires. A 423
    /// that does not raise the interval would loop, so it fails instead.
    fn on_interval_too_brief(&mut self, kind: Kind, resp: &Response) {
        let min = resp
            .header("Min-Expires")
            .and_then(|v| parse_delta_seconds(v).ok());
        match min {
            Some(min) if min > self.expires && kind != Kind::Unsubscribe => {
                self.expires = min;
                self.send(kind);
            }
            _ => self.on_failure(kind, 423, None),
        }
    }

    fn on_failure(&mut self, kind: Kind, status: u16, retry_after: Option<Duration>) {
        match kind {
            Kind::Initial => self.terminate(TerminationReason::Refused { status }, retry_after),
            // RFC 6665 §4.1.2.2: the notifier has lost the subscription; a new one is in order.
            Kind::Refresh if matches!(status, 408 | 481) => self.terminate(
                TerminationReason::Lost { status },
                Some(retry_after.unwrap_or(Duration::ZERO)),
            ),
            // Any other refresh failure leaves the subscription valid until it expires.
            Kind::Refresh => {}
            // We wanted it gone; the notifier will let it expire if it did not hear us.
            Kind::Unsubscribe => self.terminate(TerminationReason::Unsubscribed, None),
        }
    }

    /// Sets the expiry to `now + secs` unless an earlier one is known, and reschedules the
    /// refresh from it.
    pub(super) fn lower_expiry(&mut self, now: Instant, secs: u32) {
        let granted = Duration::from_secs(secs.into());
        let at = now + granted;
        if self.expires_at.is_some_and(|known| known <= at) {
            return;
        }
        self.expires_at = Some(at);
        self.timers.set(Timer::Expiry, at);
        if !self.unsubscribing {
            self.timers
                .set(Timer::Refresh, now + refresh_after(granted));
        }
    }

    fn send_unsubscribe(&mut self) {
        self.unsubscribe_sent = true;
        self.send(Kind::Unsubscribe);
    }

    fn send(&mut self, kind: Kind) {
        let mut req = match &mut self.dialog {
            Some(dialog) => dialog.create_request(Method::Subscribe),
            None => {
                self.cseq += 1;
                let mut req = out_of_dialog(
                    Method::Subscribe,
                    &self.config.target,
                    &self.config.from,
                    &self.call_id,
                    self.cseq,
                    &self.config.route,
                );
                req.headers.push("Contact", self.config.contact.to_string());
                req
            }
        };
        let expires = if kind == Kind::Unsubscribe {
            0
        } else {
            self.expires
        };
        let package = self.config.package;
        req.headers.push("Event", package.event);
        if !package.accept.is_empty() {
            req.headers.push("Accept", package.accept.join(", "));
        }
        req.headers.push("Expires", expires.to_string());
        self.credentials.apply(&mut req);
        let seq = req.cseq().map_or(0, |c| c.seq);
        self.pending = Some(Pending { kind, seq });
        self.last_request = Some(req.clone());
        self.requests.push_back(req);
    }

    pub(super) fn set_phase(&mut self, to: SubPhase) {
        let from = self.phase;
        if from != to {
            self.phase = to;
            self.events.push_back(SubEvent::StateChanged { from, to });
        }
    }

    pub(super) fn terminate(&mut self, reason: TerminationReason, retry_after: Option<Duration>) {
        if self.phase == SubPhase::Terminated {
            return;
        }
        self.timers.stop_all();
        self.pending = None;
        self.set_phase(SubPhase::Terminated);
        self.events.push_back(SubEvent::Terminated {
            reason,
            retry_after,
        });
    }
}

/// The `Retry-After` of a failure response (RFC 3261 §20.33), as advice to try again.
fn retry_after(resp: &Response) -> Option<Duration> {
    resp.header("Retry-After")
        .and_then(|v| parse_delta_seconds(v).ok())
        .map(|s| Duration::from_secs(s.into()))
}
