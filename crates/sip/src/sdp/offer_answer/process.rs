//! The offerer's side: making sense of the answer (RFC 3264 §7).

use super::{peer_direction, remote_addrs, AnswerError, Negotiated};
use crate::sdp::codec::Codec;
use crate::sdp::crypto::SrtpKey;
use crate::sdp::model::{MediaDescription, SessionDescription};

/// The stream set up by `answer` to our `offer`, which must be the SDP we sent: it holds our
/// codecs, direction and SRTP keys.
///
/// The codec is the answer's first voice codec that we offered, with the answerer's payload
/// type, which is what we send with. An answerer may have renumbered a dynamic type against
/// RFC 3264 §6.1, so matching is by name and rate, not by number; a payload type the answer
/// leaves without an `rtpmap` is read as the one we offered under that number.
pub fn process_answer(
    offer: &SessionDescription,
    answer: &SessionDescription,
) -> Result<Negotiated, AnswerError> {
    if offer.media.len() != answer.media.len() {
        return Err(AnswerError::MediaCountMismatch {
            offered: offer.media.len(),
            answered: answer.media.len(),
        });
    }
    let (ours, theirs) = offer
        .media
        .iter()
        .zip(&answer.media)
        .find(|(ours, _)| ours.media == "audio" && ours.port != 0)
        .ok_or(AnswerError::NoAudioOffered)?;
    if theirs.port == 0 {
        return Err(AnswerError::Rejected);
    }
    let offered = Codec::all_from_media(ours, &[]);
    let answered = Codec::all_from_media(theirs, &offered);
    let accepted = |a: &&Codec| {
        offered
            .iter()
            .any(|o| o.is_telephone_event() == a.is_telephone_event() && o.matches(a))
    };
    let codec = answered
        .iter()
        .filter(|a| !a.is_telephone_event())
        .find(accepted)
        .ok_or(AnswerError::NoCommonCodec)?;
    let telephone_event = answered
        .iter()
        .filter(|a| a.is_telephone_event())
        .find(accepted)
        .map(|c| c.payload_type);
    let (remote_crypto, local_crypto) = answer_crypto(ours, theirs)?;
    let rtcp_mux = ours.rtcp_mux() && theirs.rtcp_mux();
    let addrs = remote_addrs(answer, theirs, rtcp_mux)?;
    let peer = peer_direction(answer, theirs, &addrs);
    Ok(Negotiated {
        remote_rtp: addrs.rtp,
        remote_rtcp: addrs.rtcp,
        rtcp_mux,
        codec: codec.clone(),
        telephone_event,
        direction: peer.reversed().intersect(offer.media_direction(ours)),
        remote_hold: !peer.recvs(),
        remote_crypto,
        local_crypto,
        ptime: theirs.ptime(),
    })
}

/// The (remote, local) keys: the answer's single `a=crypto` must echo one of our tags and its
/// suite (RFC 4568 §7.1.2), and our key is the one we offered under that tag.
fn answer_crypto(
    ours: &MediaDescription,
    theirs: &MediaDescription,
) -> Result<(Option<SrtpKey>, Option<SrtpKey>), AnswerError> {
    let Some(crypto) = theirs.cryptos().next() else {
        return if ours.is_srtp_profile() {
            Err(AnswerError::CryptoMissing)
        } else {
            Ok((None, None))
        };
    };
    let remote = SrtpKey::from_crypto(&crypto).ok_or(AnswerError::CryptoMismatch)?;
    let local = ours
        .cryptos()
        .filter_map(|c| SrtpKey::from_crypto(&c))
        .find(|k| k.tag == remote.tag && k.suite == remote.suite)
        .ok_or(AnswerError::CryptoMismatch)?;
    Ok((Some(remote), Some(local)))
}
