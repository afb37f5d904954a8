//! Why negotiation failed, on each side of the exchange.

/// Why we cannot answer an offer. Every variant is a reason to refuse the INVITE (or re-INVITE)
/// with [`status`](Self::status), keeping the call as it was if there was one.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NegotiationError {
    /// The offer has no active audio stream; a softphone has nothing to do with it.
    #[error("offer has no audio stream")]
    NoAudio,
    /// The audio stream uses a transport other than RTP/AVP or RTP/SAVP (e.g. DTLS or AVPF).
    #[error("unsupported transport {0}")]
    UnsupportedTransport(String),
    /// None of the offered voice codecs is in our list.
    #[error("no codec in common")]
    NoCommonCodec,
    /// We require SRTP and the offer has no crypto we can use.
    #[error("SRTP required but not offered")]
    SrtpRequired,
    /// The offer requires SRTP (RTP/SAVP) but none of its suites is ours, or we have SRTP off.
    #[error("no SRTP crypto suite in common")]
    NoCommonCrypto,
    /// The audio stream has no `c=` line at either level: the offer is malformed.
    #[error("no connection address for the audio stream")]
    MissingConnection,
    /// The `c=` address is not an IP literal; resolving names is the caller's I/O.
    #[error("connection address {0:?} is not an IP address")]
    UnsupportedAddress(String),
}

impl NegotiationError {
    /// The SIP status code to reject the offer with: 400 for a malformed offer, otherwise
    /// 488 Not Acceptable Here (RFC 3261 §13.3.1.3).
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingConnection => 400,
            _ => 488,
        }
    }
}

/// Why an answer to our offer is unusable. The INVITE has already succeeded by the time an
/// answer arrives, so the caller acknowledges it and ends the call (or keeps the previous
/// media state after a failed re-INVITE).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The answer does not have one `m=` line per offered one (RFC 3264 §6).
    #[error("answer has {answered} media sections for {offered} offered")]
    MediaCountMismatch {
        /// `m=` lines in our offer.
        offered: usize,
        /// `m=` lines in the answer.
        answered: usize,
    },
    /// Our offer had no active audio stream, so there is nothing to negotiate.
    #[error("offer has no audio stream")]
    NoAudioOffered,
    /// The answerer set the audio port to 0.
    #[error("audio stream rejected")]
    Rejected,
    /// The answer accepts none of the voice codecs we offered.
    #[error("answer has none of the offered codecs")]
    NoCommonCodec,
    /// We offered RTP/SAVP and the answer carries no `a=crypto`.
    #[error("answer lacks the SRTP crypto the offer requires")]
    CryptoMissing,
    /// The answer's `a=crypto` does not echo a tag and suite from our offer.
    #[error("answer crypto does not match any offered crypto line")]
    CryptoMismatch,
    /// The audio stream has no `c=` line at either level.
    #[error("no connection address for the audio stream")]
    MissingConnection,
    /// The `c=` address is not an IP literal.
    #[error("connection address {0:?} is not an IP address")]
    UnsupportedAddress(String),
}
