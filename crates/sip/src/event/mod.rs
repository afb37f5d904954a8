//! SIP-specific event notification (RFC 6665) for any event package: the subscriber's
//! [`Subscription`] and the notifier's [`Notifier`], after pjsip-simple's `evsub`.
//!
//! Both are sans-IO machines in the crate's shape: inputs are `handle_*` with the current
//! `Instant`, outputs are drained from `poll_*`, and `poll_timeout` says when to call
//! `handle_timeout`. They build requests and responses but send nothing: the owner passes
//! requests to client transactions and responses to the server transactions they answer.
//!
//! ```
//! use std::time::Instant;
//! use sip::event::{SubEvent, SubPhase, Subscription, SubscriptionConfig, TerminationReason};
//! use sip::event::PRESENCE;
//! use sip::msg::{NameAddr, Response, SipMessage, Uri};
//!
//! let mut from = NameAddr::parse("<sip:alice@example.test>")?;
//! from.set_tag("a1");
//! let contact = NameAddr::parse("<sip:alice@192.0.2.1:5060>")?;
//! let config = SubscriptionConfig::new(Uri::parse("sip:bob@example.test")?, from, contact, PRESENCE);
//! let mut now = Instant::now();
//! let mut sub = Subscription::new(config, "call-1".into(), now);
//!
//! sub.subscribe(now);
//! let subscribe = sub.poll_request().expect("the initial SUBSCRIBE");
//! assert_eq!(subscribe.header("Event"), Some("presence"));
//! // A client transaction carries it; its final response comes back as an input.
//! let mut ok = Response::to_request(&subscribe, 200, "OK");
//! ok.headers.set("To", "<sip:bob@example.test>;tag=b1");
//! ok.headers.push("Contact", "<sip:bob@192.0.2.4>");
//! ok.headers.push("Expires", "600");
//! sub.handle_response(now, &ok);
//!
//! // The run loop: after every input drain the outputs, then wait for the next message or
//! // the deadline. No NOTIFY ever comes here, so Timer N (64·T1) ends the subscription.
//! let mut ended = None;
//! loop {
//!     while let Some(_request) = sub.poll_request() { /* new client transaction */ }
//!     while let Some(_answer) = sub.poll_response() { /* to the NOTIFY's server transaction */ }
//!     while let Some(event) = sub.poll_event() {
//!         if let SubEvent::Terminated { reason, .. } = event {
//!             ended = Some(reason);
//!         }
//!     }
//!     let Some(deadline) = sub.poll_timeout() else { break };
//!     now = deadline;
//!     sub.handle_timeout(now);
//! }
//! assert_eq!(ended, Some(TerminationReason::NoNotify));
//! assert_eq!(sub.phase(), SubPhase::Terminated);
//! # Ok::<(), sip::msg::ParseError>(())
//! ```

mod events;
mod notifier;
mod notify;
mod outbound;
mod package;
mod reason;
mod subscription;
mod timer;

pub use events::{SubEvent, SubPhase};
pub use notifier::{
    IncomingSubscribe, Notifier, NotifierConfig, NotifierEvent, NotifyBody, SubscribeError,
};
pub use notify::NotifyError;
pub use package::{Package, PRESENCE, PRESENCE_WINFO};
pub use reason::{NotifyReason, TerminationReason};
pub use subscription::{Subscription, SubscriptionConfig};

pub(crate) use outbound::{out_of_dialog, StoredCredentials};
pub(crate) use timer::{refresh_after, TimerKind, Timers};

#[cfg(test)]
pub(crate) mod test_util;
#[cfg(test)]
mod tests;
