//! The server, and full client↔server exchanges through serialised header values.

use super::{digest_credentials, register, rng};
use crate::auth::{
    ha1, Algorithm, AuthError, Authenticator, Challenge, Challenger, Credentials, Denial,
    DigestCredentials, DigestServer, NonceIssuer, NonceState, Qop, RequestParts, ServerConfig,
    Verdict,
};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
const REALM: &str = "example.com";

fn server(algorithms: &[Algorithm], qop: &[Qop]) -> DigestServer {
    let mut config = ServerConfig::new(REALM);
    config.algorithms = algorithms.to_vec();
    config.qop = qop.to_vec();
    DigestServer::new(config, SECRET)
}

/// What travels on the wire: challenges as text, parsed back by the client.
fn challenge_texts(server: &mut DigestServer, now: u64, stale: bool) -> Vec<Challenge> {
    server
        .challenges(now, stale)
        .iter()
        .map(|c| c.to_string().parse().unwrap())
        .collect()
}

fn wire(credentials: &Credentials) -> DigestCredentials {
    digest_credentials(&credentials.to_string())
}

/// The registrar's side: look up the HA1 for the algorithm the client used.
fn verify(
    server: &mut DigestServer,
    creds: &DigestCredentials,
    request: &RequestParts<'_>,
    now: u64,
) -> Verdict {
    let stored = ha1(creds.algorithm_or_default(), "alice", REALM, "wonderland");
    server.verify(creds, &stored, request.method, request.body, now)
}

fn login(
    auth: &mut Authenticator,
    server: &mut DigestServer,
    request: &RequestParts<'_>,
    now: u64,
) -> (DigestCredentials, Verdict) {
    let offered = challenge_texts(server, now, false);
    let answers = auth
        .respond(Challenger::Server, &offered, request, &mut rng())
        .unwrap();
    let creds = wire(&answers[0].credentials);
    let verdict = verify(server, &creds, request, now);
    (creds, verdict)
}

#[test]
fn round_trip_every_algorithm_and_qop() {
    let invite = RequestParts {
        method: "INVITE",
        uri: "sip:bob@example.com",
        body: b"v=0\r\n",
    };
    let algorithms = [
        Algorithm::Md5,
        Algorithm::Md5Sess,
        Algorithm::Sha256,
        Algorithm::Sha256Sess,
        Algorithm::Sha512_256,
        Algorithm::Sha512_256Sess,
    ];
    for algorithm in algorithms {
        for qop in [&[Qop::Auth][..], &[Qop::AuthInt], &[]] {
            let mut server = server(&[algorithm], qop);
            let mut auth = Authenticator::new("alice", "wonderland");
            let (creds, verdict) = login(&mut auth, &mut server, &invite, 10);
            assert_eq!(verdict, Verdict::Authorized, "{algorithm} {qop:?}");
            assert_eq!(creds.qop, qop.first().copied());
        }
    }
}

#[test]
fn auth_int_covers_the_body() {
    let mut server = server(&[Algorithm::Sha256], &[Qop::AuthInt]);
    let mut auth = Authenticator::new("alice", "wonderland");
    let sent = RequestParts {
        method: "MESSAGE",
        uri: "sip:bob@example.com",
        body: b"hello",
    };
    let (creds, _) = login(&mut auth, &mut server, &sent, 10);
    let altered = RequestParts {
        body: b"HELLO",
        ..sent
    };
    assert_eq!(
        verify(&mut server, &creds, &altered, 10),
        Verdict::Denied(Denial::BadResponse)
    );
}

#[test]
fn wrong_password_is_denied_and_client_stops() {
    let mut server = server(&[Algorithm::Sha256], &[Qop::Auth]);
    let mut auth = Authenticator::new("alice", "guess");
    let (_, verdict) = login(&mut auth, &mut server, &register(), 10);
    assert_eq!(verdict, Verdict::Denied(Denial::BadResponse));
    let again = challenge_texts(&mut server, 11, false);
    let retry = auth.respond(Challenger::Server, &again, &register(), &mut rng());
    assert_eq!(
        retry,
        Err(AuthError::Rejected {
            realm: REALM.into()
        })
    );
}

#[test]
fn expired_nonce_goes_stale_and_client_recovers() {
    let mut server = server(&[Algorithm::Sha256, Algorithm::Md5], &[Qop::Auth]);
    let mut auth = Authenticator::new("alice", "wonderland");
    let (creds, verdict) = login(&mut auth, &mut server, &register(), 10);
    assert_eq!(verdict, Verdict::Authorized);
    assert_eq!(creds.algorithm, Some(Algorithm::Sha256));
    // An hour later the preemptive credentials carry an expired nonce.
    let later = auth.authorize(&register(), &mut rng());
    let creds = wire(&later[0].credentials);
    assert_eq!(creds.nc, Some(2));
    assert_eq!(
        verify(&mut server, &creds, &register(), 3_610),
        Verdict::Stale
    );
    let stale = challenge_texts(&mut server, 3_610, true);
    let answers = auth
        .respond(Challenger::Server, &stale, &register(), &mut rng())
        .unwrap();
    let creds = wire(&answers[0].credentials);
    assert_eq!(creds.nc, Some(1));
    assert_eq!(
        verify(&mut server, &creds, &register(), 3_611),
        Verdict::Authorized
    );
}

#[test]
fn replayed_requests_are_denied() {
    let mut server = server(&[Algorithm::Md5], &[Qop::Auth]);
    let mut auth = Authenticator::new("alice", "wonderland");
    let (creds, verdict) = login(&mut auth, &mut server, &register(), 10);
    assert_eq!(verdict, Verdict::Authorized);
    assert_eq!(
        verify(&mut server, &creds, &register(), 11),
        Verdict::Denied(Denial::Replayed)
    );
    // A forgery with a high nc fails before it can advance the count.
    let mut forged = creds.clone();
    forged.nc = Some(9);
    assert_eq!(
        verify(&mut server, &forged, &register(), 11),
        Verdict::Denied(Denial::BadResponse)
    );
    let next = wire(&auth.authorize(&register(), &mut rng())[0].credentials);
    assert_eq!(
        verify(&mut server, &next, &register(), 12),
        Verdict::Authorized
    );
}

#[test]
fn bounded_replay_map_forgets_safely() {
    let mut config = ServerConfig::new(REALM);
    config.replay_capacity = 2;
    let mut server = DigestServer::new(config, SECRET);
    let mut clients: Vec<(Authenticator, DigestCredentials)> = Vec::new();
    for now in [10, 11, 12] {
        let mut auth = Authenticator::new("alice", "wonderland");
        let (creds, verdict) = login(&mut auth, &mut server, &register(), now);
        assert_eq!(verdict, Verdict::Authorized);
        clients.push((auth, creds));
    }
    // The first nonce was evicted: its replay cannot be told apart, so it is only stale.
    assert_eq!(
        verify(&mut server, &clients[0].1, &register(), 13),
        Verdict::Stale
    );
    assert_eq!(
        verify(&mut server, &clients[2].1, &register(), 13),
        Verdict::Denied(Denial::Replayed)
    );
}

#[test]
fn denials_for_realm_offer_and_nonce() {
    let mut server = server(&[Algorithm::Sha256], &[Qop::Auth]);
    let mut auth = Authenticator::new("alice", "wonderland");
    let (creds, _) = login(&mut auth, &mut server, &register(), 10);

    let mut other_realm = creds.clone();
    other_realm.realm = "evil.com".into();
    assert_eq!(
        verify(&mut server, &other_realm, &register(), 10),
        Verdict::Denied(Denial::WrongRealm)
    );

    let mut downgraded = creds.clone();
    downgraded.algorithm = None;
    assert_eq!(
        verify(&mut server, &downgraded, &register(), 10),
        Verdict::Denied(Denial::NotOffered)
    );

    let mut no_qop = creds.clone();
    no_qop.qop = None;
    assert_eq!(
        verify(&mut server, &no_qop, &register(), 10),
        Verdict::Denied(Denial::NotOffered)
    );

    let mut forged = creds.clone();
    forged.nonce = NonceIssuer::new(b"another secret").issue(10);
    assert_eq!(
        verify(&mut server, &forged, &register(), 10),
        Verdict::Denied(Denial::UnknownNonce)
    );

    assert_eq!(
        verify(&mut server, &creds, &register(), 5),
        Verdict::Denied(Denial::UnknownNonce)
    );
}

#[test]
fn nonce_issuer_states() {
    let mut issuer = NonceIssuer::new(SECRET);
    let nonce = issuer.issue(100);
    assert_ne!(nonce, issuer.issue(100), "same second, distinct nonces");
    assert_eq!(issuer.check(&nonce, 100, 30), NonceState::Valid);
    assert_eq!(issuer.check(&nonce, 130, 30), NonceState::Valid);
    assert_eq!(issuer.check(&nonce, 131, 30), NonceState::Stale);
    assert_eq!(issuer.check(&nonce, 99, 30), NonceState::Invalid);
    assert_eq!(
        NonceIssuer::new(b"other").check(&nonce, 100, 30),
        NonceState::Invalid
    );
    let long_key = NonceIssuer::new(&[7u8; 200]);
    assert_eq!(long_key.check(&nonce, 100, 30), NonceState::Invalid);

    let mut tampered: Vec<char> = nonce.chars().collect();
    tampered[3] = if tampered[3] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    for bad in [
        tampered.as_str(),
        "",
        "abc",
        "!!!!",
        &nonce[..nonce.len() - 1],
        &format!("{nonce}AA"),
    ] {
        assert_eq!(issuer.check(bad, 100, 30), NonceState::Invalid, "{bad:?}");
    }
    assert!(!format!("{issuer:?}").contains("pad"));
}
