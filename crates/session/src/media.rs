//! The seam to the media layer (RTP, codecs, devices): the session core tells it what was
//! negotiated and when; the media issue implements it. Until then [`NullMedia`] keeps calls
//! signalling-only.

use sip::sdp::Negotiated;

use crate::coordinator::CallId;

/// What the session core asks of the media layer. Called from the coordinator's task, so
/// implementations must not block.
pub trait MediaAdapter: Send {
    /// Offer/answer completed (or was redone by a re-INVITE): start or update the streams.
    fn start(&mut self, call: CallId, negotiated: &Negotiated);
    /// The call ended: stop and release its streams.
    fn stop(&mut self, call: CallId);
    /// Stop or resume sending our microphone.
    fn set_muted(&mut self, call: CallId, muted: bool);
    /// Send DTMF digits (RFC 4733 events on the negotiated telephone-event type).
    fn send_dtmf(&mut self, call: CallId, digits: &str);
}

/// No media: calls are set up and torn down, nothing is heard.
#[derive(Debug, Default)]
pub struct NullMedia;

impl MediaAdapter for NullMedia {
    fn start(&mut self, call: CallId, negotiated: &Negotiated) {
        tracing::debug!(?call, ?negotiated, "media would start");
    }
    fn stop(&mut self, _call: CallId) {}
    fn set_muted(&mut self, _call: CallId, _muted: bool) {}
    fn send_dtmf(&mut self, _call: CallId, _digits: &str) {}
}
