//! A seeded mutation fuzz: parsing never panics, and whatever parses survives a
//! serialise-and-parse round trip unchanged. The client and server then digest whatever
//! parsed, which must not panic either.

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::register;
use crate::auth::{Authenticator, Challenge, Challenger, Credentials, DigestServer, ServerConfig};

const SEEDS: &[&str] = &[
    "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\", algorithm=SHA-256, \
     nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", opaque=\"FQhe\", stale=TRUE",
    "Digest realm=\"a\\\"b\", domain=\"sip:a sip:b\", nonce=n, userhash=true, charset=UTF-8",
    "Digest username=\"Mufasa\", realm=\"r\", uri=\"/dir/index.html\", algorithm=MD5-sess, \
     nonce=\"n\", nc=00000001, cnonce=\"c\", qop=auth, response=\"8ca523f5\", opaque=\"o\"",
    "Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", response=\"x\"",
    "Bearer realm=\"atlanta.com\", error=\"invalid_token\", error_description=\"expired\"",
    "Bearer mF_9.B5f-4.1JqM==",
];

/// Characters that stress the grammar: delimiters, escapes, whitespace, controls, non-ASCII.
const SPICE: &[char] = &[
    '"', '\\', ',', '=', ' ', '\t', '\r', '\n', '\0', 'a', 'Z', '0', '/', '-', 'é', '💥', '\u{85}',
];

fn mutate(rng: &mut SmallRng, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..rng.gen_range(1..=4) {
        let at = rng.gen_range(0..=chars.len());
        match rng.gen_range(0..4) {
            0 => chars.insert(at, SPICE[rng.gen_range(0..SPICE.len())]),
            1 => {
                let end = rng.gen_range(at..=chars.len());
                chars.drain(at..end);
            }
            2 => {
                let end = rng.gen_range(at..=chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
            _ => {
                if let Some(c) = chars.get_mut(at) {
                    *c = SPICE[rng.gen_range(0..SPICE.len())];
                }
            }
        }
    }
    chars.into_iter().collect()
}

/// Parses `input` both ways, checks round trips, and feeds what parsed to both roles.
fn exercise(input: &str, server: &mut DigestServer, rng: &mut SmallRng) {
    if let Ok(challenge) = input.parse::<Challenge>() {
        let text = challenge.to_string();
        assert_eq!(
            text.parse::<Challenge>().as_ref(),
            Ok(&challenge),
            "{input:?} -> {text:?}"
        );
        let mut auth = Authenticator::new("u", "p");
        let _ = auth.respond(Challenger::Proxy, &[challenge], &register(), rng);
        let _ = auth.authorize(&register(), rng);
    }
    if let Ok(credentials) = input.parse::<Credentials>() {
        let text = credentials.to_string();
        assert_eq!(
            text.parse::<Credentials>().as_ref(),
            Ok(&credentials),
            "{input:?} -> {text:?}"
        );
        if let Credentials::Digest(d) = &credentials {
            let _ = server.verify(d, "00", "REGISTER", b"", 1);
        }
    }
}

#[test]
fn truncations_never_panic() {
    let mut rng = SmallRng::seed_from_u64(1);
    let mut server = DigestServer::new(ServerConfig::new("r"), b"k");
    for seed in SEEDS {
        for (at, _) in seed.char_indices() {
            exercise(&seed[..at], &mut server, &mut rng);
            exercise(&seed[at..], &mut server, &mut rng);
        }
    }
}

#[test]
fn mutations_never_panic_and_round_trip() {
    let mut rng = SmallRng::seed_from_u64(2);
    let mut server = DigestServer::new(ServerConfig::new("r"), b"k");
    let mut parsed = 0;
    for i in 0..10_000 {
        let input = mutate(&mut rng, SEEDS[i % SEEDS.len()]);
        parsed += usize::from(input.parse::<Challenge>().is_ok());
        parsed += usize::from(input.parse::<Credentials>().is_ok());
        exercise(&input, &mut server, &mut rng);
    }
    assert!(
        parsed > 1_000,
        "mutations too destructive to test much: {parsed}"
    );
}

#[test]
fn random_strings_never_panic() {
    let mut rng = SmallRng::seed_from_u64(3);
    let mut server = DigestServer::new(ServerConfig::new("r"), b"k");
    for _ in 0..5_000 {
        let len = rng.gen_range(0..40);
        let mut input: String = ["Digest ", "Bearer ", ""][rng.gen_range(0..3)].to_owned();
        input.extend((0..len).map(|_| SPICE[rng.gen_range(0..SPICE.len())]));
        exercise(&input, &mut server, &mut rng);
    }
    let huge = format!("Digest realm=r, nonce=n{}", ", x=\"\\\"\"".repeat(20_000));
    exercise(&huge, &mut server, &mut rng);
}
