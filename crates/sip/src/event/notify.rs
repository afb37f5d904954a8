//! The subscriber's half of NOTIFY (RFC 6665 §4.1.3).

use std::time::Instant;

use crate::dialog::{Dialog, DialogError};
use crate::msg::{
    reason_phrase, Event, ParseError, Request, Response, SipMessage, SubState, SubscriptionState,
};

use super::events::{SubEvent, SubPhase};
use super::reason::{NotifyReason, TerminationReason};
use super::subscription::Subscription;

/// Why a NOTIFY was refused; the answer with [`NotifyError::status`] is already queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotifyError {
    /// A required header (Event, Subscription-State, Call-ID, tags, CSeq) is missing or
    /// malformed: 400.
    #[error("malformed NOTIFY: {0}")]
    Malformed(#[from] ParseError),
    /// It names no subscription of ours (RFC 6665 §4.1.3): 481.
    #[error("NOTIFY for no subscription of ours")]
    NoSubscription,
    /// It is for another event package (RFC 6665 §4.1.3): 489.
    #[error("NOTIFY for event {0:?}")]
    BadEvent(String),
    /// The dialog refused it: another fork's tag (481) or a CSeq gone backwards (500).
    #[error(transparent)]
    Dialog(#[from] DialogError),
}

impl NotifyError {
    /// The status the NOTIFY was answered with.
    pub fn status(&self) -> u16 {
        match self {
            NotifyError::Malformed(e) => e.status,
            NotifyError::NoSubscription => 481,
            NotifyError::BadEvent(_) => 489,
            NotifyError::Dialog(e) => e.status(),
        }
    }
}

impl Subscription {
    /// Absorbs a NOTIFY routed to this subscription and queues its answer for
    /// `poll_response`: 200 when accepted, otherwise [`NotifyError::status`].
    ///
    /// A NOTIFY may arrive before the 2xx to the SUBSCRIBE (RFC 6665 §4.1.2.4); it then
    /// creates the dialog. Only one dialog is kept: a NOTIFY from a second fork gets 481,
    /// which ends that fork's subscription at its notifier.
    pub fn handle_notify(&mut self, now: Instant, notify: &Request) -> Result<(), NotifyError> {
        let result = self.absorb_notify(now, notify);
        let status = result.as_ref().map_or_else(NotifyError::status, |()| 200);
        let mut resp = Response::to_request(notify, status, reason_phrase(status));
        if status == 200 {
            // NOTIFY is a target refresh request, so its 2xx carries our Contact
            // (RFC 6665 §4.1.3 via RFC 3261 §12.1.1).
            resp.headers
                .push("Contact", self.config.contact.to_string());
        }
        self.responses.push_back(resp);
        result
    }

    fn absorb_notify(&mut self, now: Instant, notify: &Request) -> Result<(), NotifyError> {
        let call_id = notify.call_id()?;
        let to = notify.to_header()?;
        notify.from_header()?;
        notify.cseq()?;
        let event = Event::parse(required(notify, "Event")?)?;
        let state = SubscriptionState::parse(required(notify, "Subscription-State")?)?;
        let live = !matches!(self.phase, SubPhase::Null | SubPhase::Terminated);
        if !live || call_id != self.call_id || to.tag() != self.config.from.tag() {
            return Err(NotifyError::NoSubscription);
        }
        if !event.matches(&Event::new(self.config.package.event)) {
            return Err(NotifyError::BadEvent(event.package));
        }
        match &mut self.dialog {
            Some(dialog) => dialog.handle_request(notify)?,
            None => {
                let subscribe = self
                    .last_request
                    .as_ref()
                    .ok_or(NotifyError::NoSubscription)?;
                self.dialog = Some(Dialog::new_from_notify(subscribe, notify)?);
            }
        }
        self.notified = true;
        if !self.unsubscribing {
            self.timers.stop(super::subscription::Timer::N);
        }
        self.events.push_back(SubEvent::Notified {
            state: state.state.clone(),
            content_type: notify.content_type().map(str::to_owned),
            body: notify.body.clone(),
        });
        match state.state {
            SubState::Terminated if self.unsubscribing => {
                self.terminate(TerminationReason::Unsubscribed, None);
            }
            SubState::Terminated => {
                let reason = NotifyReason::parse(state.reason());
                let retry_after = reason.retry_after(state.retry_after());
                self.terminate(TerminationReason::Notified(reason), retry_after);
            }
            // RFC 6665 §4.1.3: an unknown state is treated as active.
            SubState::Active | SubState::Pending | SubState::Other(_) => {
                if !self.unsubscribing {
                    let phase = if state.state == SubState::Pending {
                        SubPhase::Pending
                    } else {
                        SubPhase::Active
                    };
                    self.set_phase(phase);
                }
                if let Some(secs) = state.expires() {
                    self.lower_expiry(now, secs);
                }
            }
        }
        Ok(())
    }
}

fn required<'a>(req: &'a Request, name: &str) -> Result<&'a str, ParseError> {
    req.header(name)
        .ok_or_else(|| ParseError::new(format!("missing {name} header")))
}
