//! Offer/answer between two simulated phones and against recorded offers.

use std::net::SocketAddr;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::fixtures::{BARESIP, DYNAMIC, LINPHONE, SIPP};
use crate::sdp::{
    create_answer, process_answer, AnswerError, Codec, Direction, MediaConfig, MediaDescription,
    NegotiationError, SdpSession, SessionDescription, SrtpConfig, SrtpSuite,
};

fn rng() -> SmallRng {
    SmallRng::seed_from_u64(3264)
}

fn config(ip: &str, port: u16) -> MediaConfig {
    MediaConfig::audio(ip.parse().unwrap(), port)
}

fn alice() -> SdpSession {
    SdpSession::new(config("192.0.2.1", 4000), 11)
}

fn bob() -> SdpSession {
    SdpSession::new(config("192.0.2.2", 5000), 22)
}

/// What the peer sees: the SDP after a trip through text.
fn wire(sdp: &SessionDescription) -> SessionDescription {
    SessionDescription::parse(&sdp.to_string()).expect("our output parses")
}

fn answer_fixture(
    offer: &str,
    config: &MediaConfig,
) -> Result<crate::sdp::Answer, NegotiationError> {
    let offer = SessionDescription::parse(offer).unwrap();
    create_answer(&offer, bob().origin(), config, &mut rng())
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn answers_baresip_with_its_codecs_in_its_order() {
    let answer = answer_fixture(BARESIP, &config("192.0.2.2", 5000)).unwrap();
    let n = &answer.negotiated;
    assert_eq!(n.codec.name, "PCMU");
    assert_eq!(n.telephone_event, Some(101));
    assert_eq!(n.remote_rtp, addr("192.168.1.10:10000"));
    assert_eq!(n.remote_rtcp, addr("192.168.1.10:10001"));
    assert_eq!(n.direction, Direction::SendRecv);
    assert!(!n.remote_hold);
    assert_eq!(n.ptime, Some(20));
    assert_eq!(
        (n.remote_crypto.as_ref(), n.local_crypto.as_ref()),
        (None, None)
    );
    let media = &wire(&answer.sdp).media[0];
    assert_eq!(media.formats, ["0", "8", "101"]);
    assert_eq!(media.port, 5000);
    assert_eq!(media.fmtp(101).unwrap().params, "0-16");
    assert_eq!(media.direction(), Some(Direction::SendRecv));
}

#[test]
fn answers_linphone_opus_with_best_effort_srtp() {
    let mut ours = config("192.0.2.2", 5000);
    ours.codecs = vec![Codec::opus(111), Codec::pcmu(), Codec::telephone_event(101)];
    ours.srtp = Some(SrtpConfig::new(false));
    ours.rtcp_mux = true;
    let answer = answer_fixture(LINPHONE, &ours).unwrap();
    let n = &answer.negotiated;
    assert_eq!((n.codec.payload_type, n.codec.name.as_str()), (96, "opus"));
    assert_eq!(n.codec.fmtp.as_deref(), Some("useinbandfec=1; stereo=0"));
    // Only our 8 kHz DTMF matches; Linphone numbers it 100.
    assert_eq!(n.telephone_event, Some(100));
    // Linphone did not offer rtcp-mux, so RTCP goes where a=rtcp says.
    assert!(!n.rtcp_mux);
    assert_eq!(n.remote_rtcp, addr("10.0.0.5:7079"));
    let remote = n.remote_crypto.as_ref().unwrap();
    let local = n.local_crypto.as_ref().unwrap();
    assert_eq!(
        (remote.tag, remote.suite),
        (1, SrtpSuite::AesCm128HmacSha1_80)
    );
    assert_eq!(
        (local.tag, local.suite),
        (1, SrtpSuite::AesCm128HmacSha1_80)
    );
    assert_ne!(local.key_salt, remote.key_salt);

    let media = &wire(&answer.sdp).media[0];
    assert_eq!(media.proto, "RTP/AVP");
    assert_eq!(media.formats, ["96", "0", "100"]);
    assert_eq!(media.rtpmap(96).unwrap().encoding, "opus");
    assert!(!media.rtcp_mux());
    let crypto: Vec<_> = media.cryptos().collect();
    assert_eq!(crypto.len(), 1);
    assert_eq!(crypto[0].tag, 1);
}

#[test]
fn telephone_event_prefers_the_voice_clock_rate() {
    let mut ours = config("192.0.2.2", 5000);
    let wideband_dtmf = Codec {
        clock_rate: 48000,
        ..Codec::telephone_event(102)
    };
    ours.codecs = vec![Codec::opus(111), Codec::telephone_event(101), wideband_dtmf];
    let n = answer_fixture(LINPHONE, &ours).unwrap().negotiated;
    assert_eq!(n.telephone_event, Some(101));
}

#[test]
fn dynamic_payload_types_take_the_offerers_numbers() {
    let mut ours = config("192.0.2.2", 5000);
    ours.codecs = vec![Codec::opus(111), Codec::pcma(), Codec::telephone_event(101)];
    let answer = answer_fixture(DYNAMIC, &ours).unwrap();
    assert_eq!(answer.negotiated.codec.payload_type, 109);
    assert_eq!(answer.negotiated.telephone_event, Some(120));
    let media = &answer.sdp.media[0];
    assert_eq!(media.formats, ["109", "8", "120"]);
    assert_eq!(media.rtpmap(120).unwrap().encoding, "telephone-event");
}

#[test]
fn no_common_codec_is_488() {
    let mut ours = config("192.0.2.2", 5000);
    ours.codecs = vec![Codec::opus(111), Codec::telephone_event(101)];
    let err = answer_fixture(SIPP, &ours).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCodec);
    assert_eq!(err.status(), 488);
    // telephone-event alone is not a voice codec.
    let only_dtmf = SIPP
        .replace("RTP/AVP 0", "RTP/AVP 101")
        .replace("0 PCMU", "101 telephone-event");
    assert_eq!(
        answer_fixture(&only_dtmf, &ours).unwrap_err(),
        NegotiationError::NoCommonCodec
    );
}

#[test]
fn full_exchange_between_two_sessions() {
    let (mut a, mut b, mut rng) = (alice(), bob(), rng());
    let offer = a.create_offer(&mut rng);
    let answer = b.create_answer(&wire(&offer), &mut rng).unwrap();
    let theirs = answer.negotiated;
    let ours = process_answer(&offer, &wire(&answer.sdp)).unwrap();
    assert_eq!(ours.remote_rtp, addr("192.0.2.2:5000"));
    assert_eq!(theirs.remote_rtp, addr("192.0.2.1:4000"));
    assert_eq!(
        (ours.codec.name.as_str(), theirs.codec.name.as_str()),
        ("PCMU", "PCMU")
    );
    assert_eq!(
        (ours.telephone_event, theirs.telephone_event),
        (Some(101), Some(101))
    );
    assert_eq!(
        (ours.direction, theirs.direction),
        (Direction::SendRecv, Direction::SendRecv)
    );
}

#[test]
fn hold_and_resume_bump_the_version_and_mirror_directions() {
    let (mut a, mut b, mut rng) = (alice(), bob(), rng());
    let first = a.create_offer(&mut rng);
    b.create_answer(&wire(&first), &mut rng).unwrap();

    let hold = a.hold(&mut rng);
    assert_eq!(hold.origin.sess_id, first.origin.sess_id);
    assert_eq!(hold.origin.sess_version, first.origin.sess_version + 1);
    assert_eq!(hold.media[0].direction(), Some(Direction::SendOnly));
    let answer = b.create_answer(&wire(&hold), &mut rng).unwrap();
    assert_eq!(answer.sdp.origin.sess_version, b.origin().sess_version);
    assert_eq!(answer.sdp.media[0].direction(), Some(Direction::RecvOnly));
    assert!(answer.negotiated.remote_hold);
    assert_eq!(answer.negotiated.direction, Direction::RecvOnly);
    let ours = process_answer(&hold, &wire(&answer.sdp)).unwrap();
    assert_eq!(ours.direction, Direction::SendOnly);
    assert!(!ours.remote_hold);

    let resume = a.resume(&mut rng);
    assert_eq!(resume.origin.sess_version, first.origin.sess_version + 2);
    assert_eq!(resume.media[0].direction(), Some(Direction::SendRecv));
    let answer = b.create_answer(&wire(&resume), &mut rng).unwrap();
    assert!(!answer.negotiated.remote_hold);
    assert_eq!(answer.negotiated.direction, Direction::SendRecv);
}

#[test]
fn holding_a_recvonly_call_makes_it_inactive_and_resume_restores_it() {
    let mut rng = rng();
    let mut a = alice();
    a.config_mut().direction = Direction::RecvOnly;
    let hold = a.hold(&mut rng);
    assert_eq!(hold.media[0].direction(), Some(Direction::Inactive));
    a.hold(&mut rng);
    let answer = bob().create_answer(&wire(&hold), &mut rng).unwrap();
    assert_eq!(answer.sdp.media[0].direction(), Some(Direction::Inactive));
    assert!(answer.negotiated.remote_hold);
    assert_eq!(
        a.resume(&mut rng).media[0].direction(),
        Some(Direction::RecvOnly)
    );
}

#[test]
fn legacy_hold_with_zero_address() {
    let offer = SIPP.replace("c=IN IP4 127.0.0.1", "c=IN IP4 0.0.0.0");
    let n = answer_fixture(&offer, &config("192.0.2.2", 5000))
        .unwrap()
        .negotiated;
    assert!(n.remote_hold);
    assert_eq!(n.direction, Direction::RecvOnly);
}

#[test]
fn our_direction_narrows_the_answer() {
    let mut ours = config("192.0.2.2", 5000);
    ours.direction = Direction::SendOnly;
    let offer = format!("{SIPP}a=sendonly\r\n");
    let answer = answer_fixture(&offer, &ours).unwrap();
    assert_eq!(answer.negotiated.direction, Direction::Inactive);
}

#[test]
fn direction_algebra() {
    use Direction::*;
    let all = [SendRecv, SendOnly, RecvOnly, Inactive];
    let reversed = [SendRecv, RecvOnly, SendOnly, Inactive];
    for (d, r) in all.iter().zip(reversed) {
        assert_eq!(d.reversed(), r);
        assert_eq!(d.intersect(SendRecv), *d);
        assert_eq!(d.intersect(Inactive), Inactive);
        assert_eq!(Direction::from_name(d.as_str()), Some(*d));
    }
    assert_eq!(SendOnly.intersect(RecvOnly), Inactive);
}

#[test]
fn srtp_required_by_us_but_not_offered() {
    let mut ours = config("192.0.2.2", 5000);
    ours.srtp = Some(SrtpConfig::new(true));
    let err = answer_fixture(SIPP, &ours).unwrap_err();
    assert_eq!(
        (err.clone(), err.status()),
        (NegotiationError::SrtpRequired, 488)
    );
}

#[test]
fn savp_offer_without_srtp_support() {
    let (mut a, mut rng) = (alice(), rng());
    a.config_mut().srtp = Some(SrtpConfig::new(true));
    let offer = a.create_offer(&mut rng);
    assert_eq!(offer.media[0].proto, "RTP/SAVP");
    assert_eq!(offer.media[0].cryptos().count(), 2);
    let err = bob().create_answer(&wire(&offer), &mut rng).unwrap_err();
    assert_eq!(err, NegotiationError::NoCommonCrypto);

    // Nor with SRTP on but only a suite the offer lacks.
    let mut b = bob();
    b.config_mut().srtp = Some(SrtpConfig::new(false));
    let only_80 = SrtpConfig {
        suites: vec![SrtpSuite::AesCm128HmacSha1_80],
        required: true,
    };
    a.config_mut().srtp = Some(only_80);
    b.config_mut().srtp.as_mut().unwrap().suites = vec![SrtpSuite::AesCm128HmacSha1_32];
    let offer = a.create_offer(&mut rng);
    assert_eq!(
        b.create_answer(&wire(&offer), &mut rng).unwrap_err(),
        NegotiationError::NoCommonCrypto
    );
}

#[test]
fn srtp_keys_cross_over() {
    let (mut a, mut b, mut rng) = (alice(), bob(), rng());
    a.config_mut().srtp = Some(SrtpConfig::new(true));
    let mut suites = SrtpConfig::new(false);
    suites.suites.reverse();
    b.config_mut().srtp = Some(suites);
    let offer = a.create_offer(&mut rng);
    let answer = b.create_answer(&wire(&offer), &mut rng).unwrap();
    // The offerer's preference wins: tag 1, the 80-bit suite.
    assert_eq!(answer.sdp.media[0].proto, "RTP/SAVP");
    let theirs = answer.negotiated;
    let ours = process_answer(&offer, &wire(&answer.sdp)).unwrap();
    assert_eq!(ours.local_crypto, theirs.remote_crypto);
    assert_eq!(ours.remote_crypto, theirs.local_crypto);
    assert_eq!(
        ours.local_crypto.unwrap().suite,
        SrtpSuite::AesCm128HmacSha1_80
    );
}

#[test]
fn best_effort_srtp_falls_back_to_rtp() {
    let (mut a, mut rng) = (alice(), rng());
    a.config_mut().srtp = Some(SrtpConfig::new(false));
    let offer = a.create_offer(&mut rng);
    assert_eq!(offer.media[0].proto, "RTP/AVP");
    let answer = bob().create_answer(&wire(&offer), &mut rng).unwrap();
    assert_eq!(answer.sdp.media[0].cryptos().count(), 0);
    let ours = process_answer(&offer, &wire(&answer.sdp)).unwrap();
    assert_eq!((ours.local_crypto, ours.remote_crypto), (None, None));
}

#[test]
fn offerer_checks_the_answer_crypto() {
    let (mut a, mut b, mut rng) = (alice(), bob(), rng());
    a.config_mut().srtp = Some(SrtpConfig::new(true));
    b.config_mut().srtp = Some(SrtpConfig::new(true));
    let offer = a.create_offer(&mut rng);
    let answer = b.create_answer(&wire(&offer), &mut rng).unwrap().sdp;

    let mut retagged = answer.clone();
    let crypto = retagged.media[0]
        .attributes
        .iter_mut()
        .find(|a| a.name == "crypto")
        .unwrap();
    crypto.value = crypto.value.as_ref().map(|v| v.replacen('1', "7", 1));
    assert_eq!(
        process_answer(&offer, &retagged),
        Err(AnswerError::CryptoMismatch)
    );

    let mut stripped = answer;
    stripped.media[0].attributes.retain(|a| a.name != "crypto");
    assert_eq!(
        process_answer(&offer, &stripped),
        Err(AnswerError::CryptoMissing)
    );
}

#[test]
fn unsupported_streams_are_rejected_with_port_zero() {
    let video = "m=video 51372 RTP/AVP 99\r\na=rtpmap:99 H264/90000\r\n";
    let second_audio = "m=audio 6002 RTP/AVP 0\r\n";
    let offer = format!("{SIPP}{video}{second_audio}");
    let answer = answer_fixture(&offer, &config("192.0.2.2", 5000)).unwrap();
    let ports: Vec<u16> = answer.sdp.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [5000, 0, 0]);
    let rejected = &wire(&answer.sdp).media[1];
    assert_eq!(
        (rejected.media.as_str(), rejected.formats.as_slice()),
        ("video", &["99".to_owned()][..])
    );

    let video_only = SIPP.replace("m=audio 6000 RTP/AVP 0", "m=video 6000 RTP/AVP 0");
    assert_eq!(
        answer_fixture(&video_only, &config("192.0.2.2", 5000)).unwrap_err(),
        NegotiationError::NoAudio
    );
}

#[test]
fn a_later_audio_stream_is_accepted_when_the_first_cannot_be() {
    let offer = SIPP.replace(
        "m=audio 6000 RTP/AVP 0",
        "m=audio 6000 UDP/TLS/RTP/SAVPF 0\r\nm=audio 6002 RTP/AVP 0",
    );
    let answer = answer_fixture(&offer, &config("192.0.2.2", 5000)).unwrap();
    assert_eq!(
        answer.sdp.media.iter().map(|m| m.port).collect::<Vec<_>>(),
        [0, 5000]
    );
    assert_eq!(answer.negotiated.remote_rtp.port(), 6002);

    let dtls_only = SIPP.replace("RTP/AVP", "UDP/TLS/RTP/SAVPF");
    let err = answer_fixture(&dtls_only, &config("192.0.2.2", 5000)).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::UnsupportedTransport("UDP/TLS/RTP/SAVPF".into())
    );
}

#[test]
fn connection_problems() {
    let no_c = SIPP.replace("c=IN IP4 127.0.0.1\r\n", "");
    let err = answer_fixture(&no_c, &config("192.0.2.2", 5000)).unwrap_err();
    assert_eq!(
        (err.clone(), err.status()),
        (NegotiationError::MissingConnection, 400)
    );
    let host = SIPP.replace("127.0.0.1\r\nt", "pbx.example.com\r\nt");
    let err = answer_fixture(&host, &config("192.0.2.2", 5000)).unwrap_err();
    assert_eq!(
        err,
        NegotiationError::UnsupportedAddress("pbx.example.com".into())
    );
}

#[test]
fn offerer_rejects_malformed_answers() {
    let (mut a, mut b, mut rng) = (alice(), bob(), rng());
    let offer = a.create_offer(&mut rng);
    let answer = b.create_answer(&wire(&offer), &mut rng).unwrap().sdp;

    let mut extra = answer.clone();
    extra.media.push(MediaDescription::new(
        "video",
        0,
        "RTP/AVP",
        vec!["99".into()],
    ));
    assert_eq!(
        process_answer(&offer, &extra),
        Err(AnswerError::MediaCountMismatch {
            offered: 1,
            answered: 2
        })
    );
    let mut rejected = answer.clone();
    rejected.media[0].port = 0;
    assert_eq!(
        process_answer(&offer, &rejected),
        Err(AnswerError::Rejected)
    );
    let mut foreign = answer;
    foreign.media[0] = MediaDescription::new("audio", 5000, "RTP/AVP", vec!["18".into()]);
    assert_eq!(
        process_answer(&offer, &foreign),
        Err(AnswerError::NoCommonCodec)
    );
}

#[test]
fn offerer_follows_a_renumbering_answerer() {
    let (mut a, mut rng) = (alice(), rng());
    a.config_mut().codecs = vec![Codec::opus(111), Codec::telephone_event(101)];
    a.config_mut().rtcp_mux = true;
    let offer = a.create_offer(&mut rng);
    let answer = SessionDescription::parse(
        "v=0\r\no=- 5 5 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n\
         m=audio 7000 RTP/AVP 100 101\r\na=rtpmap:100 opus/48000/2\r\na=rtcp-mux\r\n",
    )
    .unwrap();
    let n = process_answer(&offer, &answer).unwrap();
    assert_eq!((n.codec.payload_type, n.codec.name.as_str()), (100, "opus"));
    // 101 has no rtpmap in the answer: it is read as the telephone-event we offered.
    assert_eq!(n.telephone_event, Some(101));
    assert!(n.rtcp_mux);
    assert_eq!(n.remote_rtcp, n.remote_rtp);
}

#[test]
fn failed_answer_keeps_the_version() {
    let (mut b, mut rng) = (bob(), rng());
    let before = b.origin().sess_version;
    let video_only = SessionDescription::parse(&SIPP.replace("m=audio", "m=video")).unwrap();
    b.create_answer(&video_only, &mut rng).unwrap_err();
    b.create_answer(&SessionDescription::parse(SIPP).unwrap(), &mut rng)
        .unwrap();
    assert_eq!(b.origin().sess_version, before);
    b.create_answer(&SessionDescription::parse(SIPP).unwrap(), &mut rng)
        .unwrap();
    assert_eq!(b.origin().sess_version, before + 1);
}

#[test]
fn core_types_are_send() {
    fn send<T: Send>() {}
    send::<SdpSession>();
    send::<SessionDescription>();
    send::<crate::sdp::Negotiated>();
}
