//! One call's local SDP state: the `o=` line and the direction across hold and resume.

use rand::RngCore;

use super::attr::Direction;
use super::model::{Origin, SessionDescription};
use super::offer_answer::{self, Answer, MediaConfig, NegotiationError};

/// The SDP side of one call, owned by whoever drives its INVITE dialog.
///
/// It keeps `sess-id` fixed and increments `sess-version` for every description it produces
/// after the first, as RFC 3264 §8 requires of a modified offer or answer. Hold and resume
/// are re-offers with a narrowed or restored direction (RFC 6337 §5.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdpSession {
    origin: Origin,
    config: MediaConfig,
    /// Whether `origin` has been sent, so that the next description needs a new version.
    described: bool,
    /// Our direction before [`hold`](Self::hold), restored by [`resume`](Self::resume).
    before_hold: Option<Direction>,
}

impl SdpSession {
    /// A session identified by `sess_id`, which should come from the dialog's seeded RNG so
    /// that it is unique per call yet replays in tests.
    pub fn new(config: MediaConfig, sess_id: u64) -> Self {
        let origin = Origin {
            username: "-".to_owned(),
            sess_id,
            sess_version: 1,
            nettype: "IN".to_owned(),
            addrtype: if config.address.is_ipv4() {
                "IP4"
            } else {
                "IP6"
            }
            .to_owned(),
            address: config.address.to_string(),
        };
        Self {
            origin,
            config,
            described: false,
            before_hold: None,
        }
    }

    /// The `o=` line of the last description produced.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// The current configuration, including the direction hold and resume set.
    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    /// Changes the configuration (e.g. a new port after a network change); takes effect in the
    /// next offer or answer.
    pub fn config_mut(&mut self) -> &mut MediaConfig {
        &mut self.config
    }

    /// A new offer, initial or re-INVITE; see [`offer_answer::create_offer`].
    pub fn create_offer<R: RngCore + ?Sized>(&mut self, rng: &mut R) -> SessionDescription {
        let origin = self.next_origin();
        let offer = offer_answer::create_offer(&origin, &self.config, rng);
        self.commit(origin);
        offer
    }

    /// Answers an offer; see [`offer_answer::create_answer`]. A refused offer leaves the
    /// version untouched, since nothing was sent.
    pub fn create_answer<R: RngCore + ?Sized>(
        &mut self,
        offer: &SessionDescription,
        rng: &mut R,
    ) -> Result<Answer, NegotiationError> {
        let origin = self.next_origin();
        let answer = offer_answer::create_answer(offer, &origin, &self.config, rng)?;
        self.commit(origin);
        Ok(answer)
    }

    /// A re-offer putting the call on hold: `sendonly`, or `inactive` if we were not sending
    /// anyway. Holding twice keeps the direction from before the first hold.
    pub fn hold<R: RngCore + ?Sized>(&mut self, rng: &mut R) -> SessionDescription {
        self.before_hold.get_or_insert(self.config.direction);
        self.config.direction = self.config.direction.intersect(Direction::SendOnly);
        self.create_offer(rng)
    }

    /// A re-offer taking the call off hold, restoring the direction from before
    /// [`hold`](Self::hold), `sendrecv` if there was no hold.
    pub fn resume<R: RngCore + ?Sized>(&mut self, rng: &mut R) -> SessionDescription {
        self.config.direction = self.before_hold.take().unwrap_or(Direction::SendRecv);
        self.create_offer(rng)
    }

    fn next_origin(&self) -> Origin {
        let mut origin = self.origin.clone();
        if self.described {
            origin.sess_version = origin.sess_version.wrapping_add(1);
        }
        origin
    }

    fn commit(&mut self, origin: Origin) {
        self.origin = origin;
        self.described = true;
    }
}
