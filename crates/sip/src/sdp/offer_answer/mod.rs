//! RFC 3264 offer/answer for a single audio stream.

mod answer;
mod error;
mod process;

use std::net::{IpAddr, SocketAddr};

use rand::RngCore;

pub use answer::create_answer;
pub use error::{AnswerError, NegotiationError};
pub use process::process_answer;

use super::attr::Direction;
use super::codec::Codec;
use super::crypto::{SrtpKey, SrtpSuite};
use super::model::{Attribute, Connection, MediaDescription, Origin, SessionDescription, Timing};

/// What we offer or accept for audio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaConfig {
    /// Where we receive RTP; written in `c=`.
    pub address: IpAddr,
    /// Our RTP port; RTCP is on the next one unless rtcp-mux is negotiated.
    pub rtp_port: u16,
    /// Codecs in our order of preference, including telephone-event if we want DTMF. Must hold
    /// at least one voice codec, or no offer is answerable.
    pub codecs: Vec<Codec>,
    /// Which way we want media to flow; [`SdpSession::hold`](super::SdpSession::hold) narrows it.
    pub direction: Direction,
    /// SRTP with SDES keys; `None` for plain RTP only.
    pub srtp: Option<SrtpConfig>,
    /// Whether we offer and accept RTCP on the RTP port (RFC 5761).
    pub rtcp_mux: bool,
    /// Packet duration in ms we ask the peer to send, `a=ptime`.
    pub ptime: Option<u32>,
}

impl MediaConfig {
    /// Plain RTP, sendrecv, [`Codec::default_audio`], 20 ms packets, no rtcp-mux.
    pub fn audio(address: IpAddr, rtp_port: u16) -> Self {
        Self {
            address,
            rtp_port,
            codecs: Codec::default_audio(),
            direction: Direction::SendRecv,
            srtp: None,
            rtcp_mux: false,
            ptime: Some(20),
        }
    }
}

/// SDES-SRTP settings (RFC 4568).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrtpConfig {
    /// Suites we run, in order of preference; offered one `a=crypto` line each.
    pub suites: Vec<SrtpSuite>,
    /// `true`: offer RTP/SAVP and refuse plain RTP. `false`: offer RTP/AVP with `a=crypto`
    /// ("best effort", as Linphone and baresip do) and fall back to RTP when the peer ignores it.
    pub required: bool,
}

impl SrtpConfig {
    /// Both suites, the 80-bit tag first as RFC 4568 §6.2 recommends.
    pub fn new(required: bool) -> Self {
        Self {
            suites: vec![
                SrtpSuite::AesCm128HmacSha1_80,
                SrtpSuite::AesCm128HmacSha1_32,
            ],
            required,
        }
    }
}

/// Our answer to an offer and the stream it sets up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The SDP to send, with one `m=` line per offered one.
    pub sdp: SessionDescription,
    /// The stream to run once the answer is sent.
    pub negotiated: Negotiated,
}

/// The audio stream both sides agreed on: everything the media engine needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// Where to send RTP.
    pub remote_rtp: SocketAddr,
    /// Where to send RTCP: the RTP address under rtcp-mux, else `a=rtcp` or RTP port + 1.
    pub remote_rtcp: SocketAddr,
    /// Whether RTP and RTCP share one port in both directions.
    pub rtcp_mux: bool,
    /// The voice codec to send, with the peer's payload type and `fmtp`.
    pub codec: Codec,
    /// The peer's payload type for RFC 4733 DTMF, if both sides support it.
    pub telephone_event: Option<u8>,
    /// Which way media flows, seen from our side.
    pub direction: Direction,
    /// The peer's SDP declines to receive media: it holds the call (`sendonly`, `inactive`, or
    /// the RFC 2543 `c=0.0.0.0` of RFC 3264 §8.4).
    pub remote_hold: bool,
    /// The key the peer encrypts with, which we decrypt with.
    pub remote_crypto: Option<SrtpKey>,
    /// The key we encrypt with, as announced to the peer.
    pub local_crypto: Option<SrtpKey>,
    /// The packet duration in ms the peer asked for.
    pub ptime: Option<u32>,
}

/// An offer with one audio stream built from `config`.
///
/// `origin` is written as is; to get the version bumped on re-offers (RFC 3264 §8), use
/// [`SdpSession::create_offer`](super::SdpSession::create_offer). With SRTP, each suite gets a
/// fresh key from `rng` on tags 1, 2, ...; the keys travel inside the returned SDP, which is
/// why [`process_answer`] needs it back.
pub fn create_offer<R: RngCore + ?Sized>(
    origin: &Origin,
    config: &MediaConfig,
    rng: &mut R,
) -> SessionDescription {
    let mut sdp = skeleton(origin, config);
    let required = config.srtp.as_ref().is_some_and(|s| s.required);
    let proto = if required { "RTP/SAVP" } else { "RTP/AVP" };
    let mut media = MediaDescription::new("audio", config.rtp_port, proto, Vec::new());
    for codec in &config.codecs {
        codec.add_to(&mut media);
    }
    if let Some(srtp) = &config.srtp {
        for (tag, suite) in (1..).zip(&srtp.suites) {
            let key = SrtpKey::generate(tag, *suite, rng);
            media.attributes.push(key.to_attribute());
        }
    }
    add_stream_attributes(&mut media, config, config.rtcp_mux, config.direction);
    sdp.media.push(media);
    sdp
}

/// The session-level part we write in offers and answers alike.
fn skeleton(origin: &Origin, config: &MediaConfig) -> SessionDescription {
    SessionDescription {
        origin: origin.clone(),
        session_name: "Halo".to_owned(),
        connection: Some(Connection::from_ip(config.address)),
        bandwidths: Vec::new(),
        times: vec![Timing {
            start: 0,
            stop: 0,
            repeats: Vec::new(),
        }],
        attributes: Vec::new(),
        media: Vec::new(),
        extra_lines: Vec::new(),
    }
}

/// Always states the direction, even `sendrecv`, so a resume after hold is unambiguous.
fn add_stream_attributes(
    media: &mut MediaDescription,
    config: &MediaConfig,
    rtcp_mux: bool,
    direction: Direction,
) {
    if let Some(ptime) = config.ptime {
        media.attributes.push(Attribute::new("ptime", ptime));
    }
    if rtcp_mux {
        media.attributes.push(Attribute::flag("rtcp-mux"));
    }
    media.attributes.push(Attribute::flag(direction.as_str()));
}

/// Where the peer receives RTP and RTCP, and whether it uses the legacy hold address.
struct RemoteAddrs {
    rtp: SocketAddr,
    rtcp: SocketAddr,
    unspecified: bool,
}

enum AddressError {
    Missing,
    NotIp(String),
}

fn remote_addrs(
    sdp: &SessionDescription,
    media: &MediaDescription,
    rtcp_mux: bool,
) -> Result<RemoteAddrs, AddressError> {
    let connection = sdp.media_connection(media).ok_or(AddressError::Missing)?;
    let ip = connection
        .ip()
        .ok_or_else(|| AddressError::NotIp(connection.address.clone()))?;
    let rtp = SocketAddr::new(ip, media.port);
    let rtcp = match media.rtcp() {
        _ if rtcp_mux => rtp,
        Some(rtcp) => {
            let rtcp_ip = rtcp.connection.and_then(|c| c.ip()).unwrap_or(ip);
            SocketAddr::new(rtcp_ip, rtcp.port)
        }
        None => SocketAddr::new(ip, media.port.saturating_add(1)),
    };
    Ok(RemoteAddrs {
        rtp,
        rtcp,
        unspecified: ip.is_unspecified(),
    })
}

/// The direction a peer's SDP really asks for: `c=0.0.0.0` means "do not send to me"
/// whatever the attribute says (RFC 3264 §8.4).
fn peer_direction(
    sdp: &SessionDescription,
    media: &MediaDescription,
    addrs: &RemoteAddrs,
) -> Direction {
    let declared = sdp.media_direction(media);
    if addrs.unspecified {
        declared.intersect(Direction::SendOnly)
    } else {
        declared
    }
}

impl From<AddressError> for NegotiationError {
    fn from(e: AddressError) -> Self {
        match e {
            AddressError::Missing => Self::MissingConnection,
            AddressError::NotIp(address) => Self::UnsupportedAddress(address),
        }
    }
}

impl From<AddressError> for AnswerError {
    fn from(e: AddressError) -> Self {
        match e {
            AddressError::Missing => Self::MissingConnection,
            AddressError::NotIp(address) => Self::UnsupportedAddress(address),
        }
    }
}
