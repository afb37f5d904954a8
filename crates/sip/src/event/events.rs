use std::time::Duration;

use crate::msg::SubState;

use super::reason::TerminationReason;

/// The subscriber's states (RFC 6665 §4.1.2, with pjsip's ACCEPTED for "2xx, no NOTIFY
/// yet").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubPhase {
    /// Created; nothing sent.
    Null,
    /// The initial SUBSCRIBE is out.
    Sent,
    /// A 2xx came back; no NOTIFY yet (Timer N runs).
    Accepted,
    /// A NOTIFY said `pending`: the notifier awaits authorisation.
    Pending,
    /// A NOTIFY said `active` (or a state we do not know, RFC 6665 §4.1.3).
    Active,
    /// Over; see the [`SubEvent::Terminated`] that said why.
    Terminated,
}

/// What the subscription tells its owner, from `poll_event`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SubEvent {
    /// The phase changed.
    StateChanged {
        /// The phase before.
        from: SubPhase,
        /// The phase now.
        to: SubPhase,
    },
    /// A NOTIFY was accepted (and answered 200). The package parses the body.
    Notified {
        /// Its `Subscription-State`.
        state: SubState,
        /// Its `Content-Type`, if it had a body.
        content_type: Option<String>,
        /// Possibly empty (RFC 6665 §4.2.2 allows NOTIFYs without state).
        body: Vec<u8>,
    },
    /// The subscription is over; the machine sends nothing more.
    Terminated {
        /// Why.
        reason: TerminationReason,
        /// RFC 6665 §4.1.3's advice: `None` means do not subscribe again; otherwise start a
        /// new subscription (fresh Call-ID and tag) after this long.
        retry_after: Option<Duration>,
    },
}
