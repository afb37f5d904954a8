//! Parsing, serialising and the typed attribute views.

use super::fixtures::{ALL, BARESIP, EXOTIC, LINPHONE, SIPP};
use crate::sdp::{
    Crypto, Direction, Fmtp, Mki, RtpMap, SdpError, SdpErrorKind, SessionDescription, SrtpKey,
    SrtpSuite, MAX_INPUT_LEN, MAX_MEDIA,
};

fn parse(text: &str) -> SessionDescription {
    SessionDescription::parse(text).unwrap_or_else(|e| panic!("{e} in\n{text}"))
}

fn error(text: &str) -> SdpError {
    SessionDescription::parse(text).expect_err("input should be rejected")
}

#[test]
fn realistic_bodies_round_trip_byte_for_byte() {
    for text in ALL {
        assert_eq!(parse(text).to_string(), text);
    }
}

#[test]
fn lf_input_is_written_with_crlf() {
    for text in ALL {
        let lf = text.replace("\r\n", "\n");
        assert_eq!(parse(&lf).to_string(), text);
    }
}

#[test]
fn sipp_fields() {
    let sdp = parse(SIPP);
    assert_eq!(sdp.origin.username, "user1");
    assert_eq!(sdp.origin.sess_id, 53655765);
    assert_eq!(sdp.origin.sess_version, 2353687637);
    assert_eq!(sdp.session_name, "-");
    let media = &sdp.media[0];
    assert_eq!((media.media.as_str(), media.port), ("audio", 6000));
    assert_eq!(media.proto, "RTP/AVP");
    assert_eq!(media.formats, ["0"]);
    let connection = sdp.media_connection(media).unwrap();
    assert_eq!(connection.ip(), Some("127.0.0.1".parse().unwrap()));
    assert_eq!(sdp.media_direction(media), Direction::SendRecv);
}

#[test]
fn baresip_rtpmap_fmtp_ptime() {
    let sdp = parse(BARESIP);
    let audio = &sdp.media[0];
    let pcma = RtpMap {
        payload_type: 8,
        encoding: "PCMA".into(),
        clock_rate: 8000,
        channels: None,
    };
    assert_eq!(audio.rtpmap(8), Some(pcma));
    assert_eq!(audio.rtpmaps().count(), 3);
    let fmtp = audio.fmtp(101).unwrap();
    assert_eq!(fmtp.params, "0-15");
    assert_eq!(fmtp.parameters().collect::<Vec<_>>(), [("0-15", "")]);
    assert_eq!(audio.ptime(), Some(20));
    assert_eq!(audio.bandwidths[0].kind, "AS");
    assert_eq!(audio.bandwidths[0].value, 80);
    assert!(!audio.rtcp_mux());
    assert_eq!(
        sdp.attribute("tool").unwrap().value.as_deref(),
        Some("baresip 1.0.0")
    );
}

#[test]
fn linphone_opus_crypto_and_rtcp() {
    let sdp = parse(LINPHONE);
    let audio = &sdp.media[0];
    let opus = audio.rtpmap(96).unwrap();
    assert_eq!(
        (opus.encoding.as_str(), opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    let fmtp = audio.fmtp(96).unwrap();
    let params: Vec<_> = fmtp.parameters().collect();
    assert_eq!(params, [("useinbandfec", "1"), ("stereo", "0")]);
    assert_eq!(audio.rtcp().map(|r| r.port), Some(7079));

    let cryptos: Vec<Crypto> = audio.cryptos().collect();
    assert_eq!(cryptos.len(), 2);
    assert_eq!(cryptos[0].tag, 1);
    assert_eq!(cryptos[0].suite, "AES_CM_128_HMAC_SHA1_80");
    assert_eq!(cryptos[0].keys[0].lifetime, Some(1 << 31));
    assert_eq!(cryptos[0].keys[0].key_salt.len(), SrtpSuite::KEY_SALT_LEN);
    assert_eq!(
        cryptos[1].keys[0].mki,
        Some(Mki {
            value: 1,
            length: 4
        })
    );
    // The typed view writes back what it read.
    let raw: Vec<_> = audio.values("crypto").collect();
    assert_eq!(cryptos[0].to_string(), raw[0]);
    assert_eq!(cryptos[1].to_string(), raw[1]);

    let key = SrtpKey::from_crypto(&cryptos[1]).unwrap();
    assert_eq!(key.suite, SrtpSuite::AesCm128HmacSha1_32);
    assert!(
        !format!("{key:?}").contains("key_salt"),
        "Debug must not leak keys"
    );
}

#[test]
fn exotic_lines_are_kept() {
    let sdp = parse(EXOTIC);
    let kinds: String = sdp.extra_lines.iter().map(|l| l.kind).collect();
    assert_eq!(kinds, "iuepxzk");
    assert_eq!(sdp.times.len(), 2);
    assert_eq!(sdp.times[0].repeats, ["604800 3600 0 90000"]);
    let x = sdp.attribute("x-unknown").unwrap();
    assert_eq!(x.value.as_deref(), Some("some value: with colons"));
    let audio = &sdp.media[0];
    assert_eq!(audio.port_count, Some(2));
    assert_eq!(audio.extra_lines.len(), 2);
    assert_eq!(sdp.media_connection(audio).unwrap().address, "2001:db8::2");
    // Media-level direction overrides the session's; without one the session's applies.
    assert_eq!(sdp.direction(), Some(Direction::RecvOnly));
    assert_eq!(sdp.media_direction(audio), Direction::SendRecv);
    assert_eq!(sdp.media_direction(&sdp.media[1]), Direction::RecvOnly);
    assert_eq!(
        sdp.media_connection(&sdp.media[1]).unwrap().address,
        "2001:db8::1"
    );
}

#[test]
fn malformed_attributes_yield_no_view() {
    for value in [
        "",
        "x PCMU/8000",
        "128 PCMU/8000",
        "0 PCMU",
        "0 PCMU/8k",
        "0 PCMU/8000/2/1",
    ] {
        assert_eq!(RtpMap::parse(value), None, "{value:?}");
    }
    assert_eq!(Fmtp::parse("101"), None);
    for value in [
        "1 AES_CM_128_HMAC_SHA1_80",
        "1 AES_CM_128_HMAC_SHA1_80 srtp:abcd",
        "1 AES_CM_128_HMAC_SHA1_80 inline:!!!",
        "1 AES_CM_128_HMAC_SHA1_80 inline:YQ==|2^64",
        "1 AES_CM_128_HMAC_SHA1_80 inline:YQ==|1:0",
        "1 AES_CM_128_HMAC_SHA1_80 inline:YQ==|1:4|2^20",
        "1000000000 AES_CM_128_HMAC_SHA1_80 inline:YQ==",
    ] {
        assert_eq!(Crypto::parse(value), None, "{value:?}");
    }
    // A well-formed line for a suite we cannot run parses but gives no key.
    let aes256 = Crypto::parse("1 AES_256_CM_HMAC_SHA1_80 inline:YQ").unwrap();
    assert_eq!(aes256.keys[0].key_salt, b"a");
    assert_eq!(SrtpKey::from_crypto(&aes256), None);
}

#[test]
fn errors_name_the_line() {
    use SdpErrorKind::*;
    let cases: &[(&str, usize, SdpErrorKind)] = &[
        ("", 1, Missing('v')),
        ("\r\n\r\n", 1, Missing('v')),
        ("v=1\r\n", 1, Version),
        ("o=- 1 1 IN IP4 a\r\n", 1, Missing('v')),
        ("v=0\n", 2, Missing('o')),
        ("v=0\ns=-\n", 2, Missing('o')),
        (
            "v=0\no=- x 1 IN IP4 a\ns=-\n",
            2,
            Field {
                kind: 'o',
                field: "origin",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4\ns=-\n",
            2,
            Field {
                kind: 'o',
                field: "origin",
            },
        ),
        ("v=0\no=- 1 1 IN IP4 a\n", 3, Missing('s')),
        ("v=0\no=- 1 1 IN IP4 a\ns=-\nhello\n", 4, Malformed),
        ("v=0\no=- 1 1 IN IP4 a\ns=-\nA=b\n", 4, Malformed),
        ("v=0\no=- 1 1 IN IP4 a\ns=-\nab=c\n", 4, Malformed),
        ("v=0\no=- 1 1 IN IP4 a\ns=-\nv=0\n", 4, Duplicate('v')),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4 a\nc=IN IP4 b\n",
            5,
            Duplicate('c'),
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nc=IN IP4\n",
            4,
            Field {
                kind: 'c',
                field: "connection",
            },
        ),
        ("v=0\no=- 1 1 IN IP4 a\ns=-\nr=1 2 3\n", 4, Misplaced('r')),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0\n",
            4,
            Field {
                kind: 't',
                field: "timing",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nb=AS\n",
            4,
            Field {
                kind: 'b',
                field: "bandwidth",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\na=\n",
            4,
            Field {
                kind: 'a',
                field: "attribute name",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio 65536 RTP/AVP 0\n",
            5,
            Field {
                kind: 'm',
                field: "port",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio -1 RTP/AVP 0\n",
            5,
            Field {
                kind: 'm',
                field: "port",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio 1/x RTP/AVP 0\n",
            5,
            Field {
                kind: 'm',
                field: "port count",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio 1 RTP/AVP\n",
            5,
            Field {
                kind: 'm',
                field: "format list",
            },
        ),
        (
            "v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio 1 RTP/AVP 0\nt=0 0\n",
            6,
            Misplaced('t'),
        ),
    ];
    for (text, line, kind) in cases {
        assert_eq!(
            error(text),
            SdpError {
                line: *line,
                kind: kind.clone()
            },
            "{text:?}"
        );
    }
    let message = error("v=0\no=- 1 1 IN IP4 a\ns=-\nt=0 0\nm=audio 99999 RTP/AVP 0\n").to_string();
    assert_eq!(message, "SDP line 5: invalid port in m= line");
}

#[test]
fn sizes_are_bounded() {
    let big = format!("{SIPP}{}", "a=x\r\n".repeat(MAX_INPUT_LEN / 5));
    assert_eq!(error(&big).kind, SdpErrorKind::TooLarge(big.len()));
    assert_eq!(error(&big).line, 0);

    let media = "m=audio 0 RTP/AVP 0\r\n";
    let at_limit = format!("{SIPP}{}", media.repeat(MAX_MEDIA - 1));
    assert_eq!(parse(&at_limit).media.len(), MAX_MEDIA);
    let over = format!("{at_limit}{media}");
    let err = error(&over);
    assert_eq!(err.kind, SdpErrorKind::TooManyMedia);
    assert_eq!(err.line, over.lines().count());
}

#[test]
fn numbers_reject_signs_and_overflow() {
    let origin = |id: &str| format!("v=0\no={} {id} 1 IN IP4 a\ns=-\n", "-");
    assert!(SessionDescription::parse(&origin("18446744073709551615")).is_ok());
    assert!(SessionDescription::parse(&origin("18446744073709551616")).is_err());
    assert!(SessionDescription::parse(&origin("+1")).is_err());
}
