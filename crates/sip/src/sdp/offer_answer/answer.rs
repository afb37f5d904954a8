//! The answerer's side (RFC 3264 §6).

use rand::RngCore;

use super::{
    add_stream_attributes, peer_direction, remote_addrs, skeleton, Answer, MediaConfig, Negotiated,
    NegotiationError,
};
use crate::sdp::codec::Codec;
use crate::sdp::crypto::SrtpKey;
use crate::sdp::model::{MediaDescription, Origin, SessionDescription};

/// Answers `offer` from `config`.
///
/// The first audio stream we can serve is accepted; every other `m=` line, including further
/// audio, is answered with port 0 so the answer keeps the offer's shape (RFC 3264 §6). In the
/// accepted stream:
///
/// - codecs are those common to both, in the offerer's order and under the offerer's payload
///   numbers; static types match by number, dynamic ones by name, rate and channels;
/// - telephone-event is kept if both have it, preferring the voice codec's clock rate;
/// - the direction mirrors the offer, narrowed by ours (§6.1): `sendonly` gets `recvonly`,
///   `inactive` gets `inactive`, and `c=0.0.0.0` counts as the peer not receiving;
/// - SRTP: the first offered `a=crypto` with a suite of ours is echoed with its tag and a new
///   key from `rng` (RFC 4568 §7.1.1).
///
/// Fails when no stream can be accepted; the error of the first audio stream says why.
pub fn create_answer<R: RngCore + ?Sized>(
    offer: &SessionDescription,
    origin: &Origin,
    config: &MediaConfig,
    rng: &mut R,
) -> Result<Answer, NegotiationError> {
    let mut sdp = skeleton(origin, config);
    let mut accepted = None;
    let mut first_error = None;
    for media in &offer.media {
        let candidate = accepted.is_none() && media.media == "audio" && media.port != 0;
        let answered = match candidate.then(|| answer_audio(offer, media, config, rng)) {
            Some(Ok((answered, negotiated))) => {
                accepted = Some(negotiated);
                answered
            }
            Some(Err(e)) => {
                first_error.get_or_insert(e);
                reject(media)
            }
            None => reject(media),
        };
        sdp.media.push(answered);
    }
    match accepted {
        Some(negotiated) => Ok(Answer { sdp, negotiated }),
        None => Err(first_error.unwrap_or(NegotiationError::NoAudio)),
    }
}

fn answer_audio<R: RngCore + ?Sized>(
    offer: &SessionDescription,
    media: &MediaDescription,
    config: &MediaConfig,
    rng: &mut R,
) -> Result<(MediaDescription, Negotiated), NegotiationError> {
    let srtp_profile = match media.proto.as_str() {
        "RTP/AVP" => false,
        "RTP/SAVP" => true,
        other => return Err(NegotiationError::UnsupportedTransport(other.to_owned())),
    };
    let offered = Codec::all_from_media(media, &[]);
    let (voice, dtmf): (Vec<&Codec>, Vec<&Codec>) =
        offered.iter().partition(|c| !c.is_telephone_event());
    // Pairs of (the offerer's codec, our codec under the offerer's payload type).
    let common: Vec<(&Codec, Codec)> = voice
        .into_iter()
        .filter_map(|theirs| Some((theirs, ours_for(config, theirs)?)))
        .collect();
    let (chosen, _) = common.first().ok_or(NegotiationError::NoCommonCodec)?;
    let dtmf = dtmf
        .into_iter()
        .filter_map(|theirs| Some((theirs, ours_for(config, theirs)?)))
        .min_by_key(|(theirs, _)| theirs.clock_rate != chosen.clock_rate);
    let (remote_crypto, local_crypto) = answer_crypto(media, srtp_profile, config, rng)?;
    let rtcp_mux = config.rtcp_mux && media.rtcp_mux();
    let addrs = remote_addrs(offer, media, rtcp_mux)?;
    let theirs = peer_direction(offer, media, &addrs);
    let direction = theirs.reversed().intersect(config.direction);

    let mut answer = MediaDescription::new("audio", config.rtp_port, &media.proto, Vec::new());
    for (_, ours) in common.iter().chain(&dtmf) {
        ours.add_to(&mut answer);
    }
    if let Some(key) = &local_crypto {
        answer.attributes.push(key.to_attribute());
    }
    add_stream_attributes(&mut answer, config, rtcp_mux, direction);
    let negotiated = Negotiated {
        remote_rtp: addrs.rtp,
        remote_rtcp: addrs.rtcp,
        rtcp_mux,
        codec: (*chosen).clone(),
        telephone_event: dtmf.map(|(theirs, _)| theirs.payload_type),
        direction,
        remote_hold: !theirs.recvs(),
        remote_crypto,
        local_crypto,
        ptime: media.ptime(),
    };
    Ok((answer, negotiated))
}

/// Our codec matching the offerer's, renumbered to the offerer's payload type (§6.1).
fn ours_for(config: &MediaConfig, theirs: &Codec) -> Option<Codec> {
    let ours = config.codecs.iter().find(|ours| {
        ours.is_telephone_event() == theirs.is_telephone_event() && ours.matches(theirs)
    })?;
    Some(Codec {
        payload_type: theirs.payload_type,
        ..ours.clone()
    })
}

/// The (remote, local) keys, or why the stream cannot be secured as the policies demand.
fn answer_crypto<R: RngCore + ?Sized>(
    media: &MediaDescription,
    srtp_profile: bool,
    config: &MediaConfig,
    rng: &mut R,
) -> Result<(Option<SrtpKey>, Option<SrtpKey>), NegotiationError> {
    let Some(srtp) = &config.srtp else {
        // Best-effort crypto on RTP/AVP is ignored; RTP/SAVP cannot be answered.
        return if srtp_profile {
            Err(NegotiationError::NoCommonCrypto)
        } else {
            Ok((None, None))
        };
    };
    let remote = media
        .cryptos()
        .filter_map(|c| SrtpKey::from_crypto(&c))
        .find(|key| srtp.suites.contains(&key.suite));
    match remote {
        Some(remote) => {
            let local = SrtpKey::generate(remote.tag, remote.suite, rng);
            Ok((Some(remote), Some(local)))
        }
        None if srtp_profile => Err(NegotiationError::NoCommonCrypto),
        None if srtp.required => Err(NegotiationError::SrtpRequired),
        None => Ok((None, None)),
    }
}

/// A refusal of one stream: port 0, same media and transport, the offer's formats because
/// the grammar needs at least one (RFC 3264 §6).
fn reject(media: &MediaDescription) -> MediaDescription {
    MediaDescription::new(&media.media, 0, &media.proto, media.formats.clone())
}
