//! Why a subscription ended, and what RFC 6665 §4.1.3 advises about subscribing again.

use std::time::Duration;

/// The `reason` of a `Subscription-State: terminated` (RFC 6665 §4.2.2, IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyReason {
    /// The notifier moved the subscription elsewhere: subscribe again at once.
    Deactivated,
    /// The notifier dropped the subscription for now: subscribe again after `retry-after`.
    Probation,
    /// Authorisation was refused: do not subscribe again.
    Rejected,
    /// The subscription was not refreshed in time: subscribe again at once.
    Timeout,
    /// Authorisation could not be obtained in time: subscribe again, after `retry-after`.
    Giveup,
    /// The resource no longer exists: do not subscribe again.
    NoResource,
    /// The resource will never change: do not subscribe again.
    Invariant,
    /// No reason, or one we do not know; RFC 6665 §4.1.3 allows subscribing again.
    Unspecified,
}

impl NotifyReason {
    pub(crate) fn parse(reason: Option<&str>) -> NotifyReason {
        let Some(reason) = reason else {
            return NotifyReason::Unspecified;
        };
        match reason.to_ascii_lowercase().as_str() {
            "deactivated" => NotifyReason::Deactivated,
            "probation" => NotifyReason::Probation,
            "rejected" => NotifyReason::Rejected,
            "timeout" => NotifyReason::Timeout,
            "giveup" => NotifyReason::Giveup,
            "noresource" => NotifyReason::NoResource,
            "invariant" => NotifyReason::Invariant,
            _ => NotifyReason::Unspecified,
        }
    }

    /// The token on the wire; `Unspecified` is sent as no `reason` at all.
    pub(crate) fn as_str(self) -> Option<&'static str> {
        Some(match self {
            NotifyReason::Deactivated => "deactivated",
            NotifyReason::Probation => "probation",
            NotifyReason::Rejected => "rejected",
            NotifyReason::Timeout => "timeout",
            NotifyReason::Giveup => "giveup",
            NotifyReason::NoResource => "noresource",
            NotifyReason::Invariant => "invariant",
            NotifyReason::Unspecified => return None,
        })
    }

    /// RFC 6665 §4.1.3: when (if ever) to subscribe again, given the `retry-after` parameter.
    pub(crate) fn retry_after(self, param: Option<u32>) -> Option<Duration> {
        let after = Duration::from_secs(param.unwrap_or(0).into());
        match self {
            // "SHOULD attempt re-subscribe immediately": the parameter does not apply.
            NotifyReason::Deactivated | NotifyReason::Timeout => Some(Duration::ZERO),
            NotifyReason::Probation | NotifyReason::Giveup | NotifyReason::Unspecified => {
                Some(after)
            }
            NotifyReason::Rejected | NotifyReason::NoResource | NotifyReason::Invariant => None,
        }
    }
}

/// Why a [`Subscription`](super::Subscription) reached TERMINATED.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TerminationReason {
    /// The notifier ended it with a NOTIFY.
    Notified(NotifyReason),
    /// The initial SUBSCRIBE failed with this status (a transaction timeout counts as 408,
    /// RFC 3261 §8.1.3.1; a 401/407 we could not answer counts as itself).
    Refused {
        /// The final response's status.
        status: u16,
    },
    /// A refresh got 481 or 408 (or timed out): the notifier no longer has the
    /// subscription (RFC 6665 §4.1.2.2).
    Lost {
        /// The final response's status.
        status: u16,
    },
    /// Timer N (64·T1) ran out after the 2xx without any NOTIFY (RFC 6665 §4.1.2.4).
    NoNotify,
    /// The granted expiry passed without a successful refresh.
    Expired,
    /// We unsubscribed and the notifier confirmed it, or Timer N ran out waiting for it.
    Unsubscribed,
}
