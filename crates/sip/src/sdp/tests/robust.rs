//! Property-style checks: truncated and mutated bodies never panic the parser or negotiation,
//! and whatever parses survives its own round trip. A seeded RNG keeps failures reproducible.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::fixtures::ALL;
use crate::sdp::{create_answer, process_answer, MediaConfig, SdpSession, SessionDescription};

/// Parses `text`; if it parses, checks the round trip and feeds it to negotiation both as an
/// offer and as an answer to our offer.
fn exercise(text: &str, ours: &SessionDescription, rng: &mut SmallRng) {
    let Ok(sdp) = SessionDescription::parse(text) else {
        return;
    };
    let written = sdp.to_string();
    let reparsed = SessionDescription::parse(&written).expect("our output parses");
    assert_eq!(reparsed, sdp, "round trip changed\n{text:?}");
    for media in &sdp.media {
        let _ = (
            media.rtpmaps().count(),
            media.cryptos().count(),
            media.rtcp(),
            media.ptime(),
        );
    }
    let config = MediaConfig::audio("192.0.2.2".parse().unwrap(), 5000);
    let origin = SdpSession::new(config.clone(), 1).origin().clone();
    let _ = create_answer(&sdp, &origin, &config, rng);
    let _ = process_answer(ours, &sdp);
}

fn our_offer(rng: &mut SmallRng) -> SessionDescription {
    let mut session = SdpSession::new(MediaConfig::audio("192.0.2.1".parse().unwrap(), 4000), 9);
    session.config_mut().srtp = Some(crate::sdp::SrtpConfig::new(false));
    session.create_offer(rng)
}

#[test]
fn every_truncation() {
    let mut rng = SmallRng::seed_from_u64(1);
    let ours = our_offer(&mut rng);
    for text in ALL {
        for (i, _) in text.char_indices() {
            exercise(&text[..i], &ours, &mut rng);
        }
    }
}

#[test]
fn random_mutations() {
    const ALPHABET: &[&str] = &[
        "0",
        "9",
        " ",
        ":",
        "/",
        "=",
        "\n",
        "\r",
        "\r\n",
        "a",
        "m",
        "c",
        "-",
        "+",
        "|",
        "^",
        ";",
        "é",
        "\u{0}",
        "2^",
        "99999999999999999999",
        "RTP/SAVP",
        "a=crypto:1 ",
        "m=audio 0 RTP/AVP 0\n",
    ];
    let mut rng = SmallRng::seed_from_u64(2);
    let ours = our_offer(&mut rng);
    for round in 0..4000 {
        let mut text = ALL[round % ALL.len()].to_owned();
        for _ in 0..rng.gen_range(1..6) {
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let at = boundaries[rng.gen_range(0..boundaries.len())];
            let end = boundaries.iter().copied().find(|b| *b > at).unwrap_or(at);
            match rng.gen_range(0..3) {
                0 => text.insert_str(at, ALPHABET[rng.gen_range(0..ALPHABET.len())]),
                1 => text.replace_range(at..end, ""),
                _ => text.replace_range(at..end, ALPHABET[rng.gen_range(0..ALPHABET.len())]),
            }
        }
        exercise(&text, &ours, &mut rng);
    }
}

#[test]
fn arbitrary_bytes() {
    let mut rng = SmallRng::seed_from_u64(3);
    let ours = our_offer(&mut rng);
    for _ in 0..2000 {
        let len = rng.gen_range(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.gen()).collect();
        exercise(&String::from_utf8_lossy(&bytes), &ours, &mut rng);
        // And the same bytes behind a valid header, so they reach the line parsers.
        let prefixed = format!(
            "v=0\no=- 1 1 IN IP4 a\ns=-\n{}",
            String::from_utf8_lossy(&bytes)
        );
        exercise(&prefixed, &ours, &mut rng);
    }
}

#[test]
fn hostile_sizes_cost_linear_time() {
    // ~30 KiB of formats and ~30 KiB of rtpmaps in one audio section: negotiation must not
    // multiply the two.
    let formats = "96 ".repeat(5000)
        + &(0..128)
            .map(|pt| pt.to_string())
            .collect::<Vec<_>>()
            .join(" ");
    let maps = "a=rtpmap:96 x/1\r\n".repeat(1800);
    let text = format!("v=0\r\no=- 1 1 IN IP4 a\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 9 RTP/AVP {formats}\r\n{maps}");
    assert!(text.len() < crate::sdp::MAX_INPUT_LEN);
    let mut rng = SmallRng::seed_from_u64(4);
    let ours = our_offer(&mut rng);
    exercise(&text, &ours, &mut rng);
    let sdp = SessionDescription::parse(&text).unwrap();
    let config = MediaConfig::audio("192.0.2.2".parse().unwrap(), 5000);
    let answer = create_answer(&sdp, &ours.origin, &config, &mut rng).unwrap();
    assert_eq!(answer.sdp.media[0].formats, ["0", "8"]);
}
