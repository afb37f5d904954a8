//! Tests of the auth module: RFC vectors, header grammar, client, server, and a mutation fuzz.

mod client;
mod fuzz;
mod parse;
mod server;
mod vectors;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use super::{Challenge, Credentials, DigestChallenge, DigestCredentials, RequestParts};

/// A seeded RNG so every run, and every failure, replays.
fn rng() -> SmallRng {
    SmallRng::seed_from_u64(0x5eed)
}

fn register() -> RequestParts<'static> {
    RequestParts {
        method: "REGISTER",
        uri: "sip:example.com",
        body: b"",
    }
}

fn digest_challenge(value: &str) -> DigestChallenge {
    match value.parse() {
        Ok(Challenge::Digest(d)) => d,
        other => panic!("{value:?} parsed as {other:?}"),
    }
}

fn digest_credentials(value: &str) -> DigestCredentials {
    match value.parse() {
        Ok(Credentials::Digest(d)) => d,
        other => panic!("{value:?} parsed as {other:?}"),
    }
}

/// The driver moves these between tasks; none may grow an `Rc` or a `RefCell`.
#[test]
fn core_types_are_send() {
    fn send<T: Send>() {}
    send::<super::Authenticator>();
    send::<super::DigestServer>();
    send::<super::NonceIssuer>();
    send::<super::Challenge>();
    send::<super::Credentials>();
}
