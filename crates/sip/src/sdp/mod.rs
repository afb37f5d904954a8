//! SDP (RFC 8866, formerly RFC 4566) and the offer/answer model (RFC 3264) for audio calls.
//!
//! The module has two layers:
//!
//! - A faithful data model: [`SessionDescription::parse`] accepts what real phones send (LF or
//!   CRLF, lines in a lax order, attributes and line types we do not understand) and `Display`
//!   writes it back with CRLF, keeping every unknown line and attribute. Typed views such as
//!   [`RtpMap`], [`Crypto`] or [`Direction`] are computed from the attribute list on demand, so
//!   the raw attributes stay the single source of truth and round-trip unchanged.
//! - Negotiation: [`create_offer`], [`create_answer`] and [`process_answer`] turn a
//!   [`MediaConfig`] and the peer's SDP into a [`Negotiated`] audio stream. [`SdpSession`] owns
//!   the `o=` line of one call so that every new offer bumps its version (RFC 3264 §8) and wraps
//!   hold and resume.
//!
//! Like the rest of the crate this is sans-IO: nothing here resolves host names or draws
//! randomness on its own. SRTP keys come from the caller's RNG, so a seeded RNG replays a trace.
//!
//! ```
//! use sip::sdp::{Direction, MediaConfig, SdpSession, SessionDescription, process_answer};
//! use rand::{rngs::SmallRng, SeedableRng};
//!
//! let mut rng = SmallRng::seed_from_u64(7);
//! let mut alice = SdpSession::new(MediaConfig::audio("192.0.2.1".parse().unwrap(), 4000), 1);
//! let mut bob = SdpSession::new(MediaConfig::audio("192.0.2.2".parse().unwrap(), 5000), 2);
//!
//! let offer = alice.create_offer(&mut rng);
//! // The offer travels in an INVITE; the far end parses the body it receives.
//! let received = SessionDescription::parse(&offer.to_string()).unwrap();
//! let answer = bob.create_answer(&received, &mut rng).unwrap();
//! assert_eq!(answer.negotiated.codec.name, "PCMU");
//!
//! let ours = process_answer(&offer, &answer.sdp).unwrap();
//! assert_eq!(ours.remote_rtp.port(), 5000);
//! assert_eq!(ours.direction, Direction::SendRecv);
//! ```

mod attr;
mod codec;
mod crypto;
mod local;
mod model;
mod offer_answer;
mod parse;
mod write;

#[cfg(test)]
mod tests;

pub use attr::{Direction, Fmtp, Rtcp, RtpMap};
pub use codec::Codec;
pub use crypto::{Crypto, KeyParams, Mki, SrtpKey, SrtpSuite};
pub use local::SdpSession;
pub use model::{
    Attribute, Bandwidth, Connection, Line, MediaDescription, Origin, SessionDescription, Timing,
};
pub use offer_answer::{
    create_answer, create_offer, process_answer, Answer, AnswerError, MediaConfig, Negotiated,
    NegotiationError, SrtpConfig,
};
pub use parse::{SdpError, SdpErrorKind, MAX_INPUT_LEN, MAX_MEDIA};
