//! The client: choice of challenge, nonce counting, stale retries and rejection.

use super::{digest_challenge, register, rng};
use crate::auth::{
    Algorithm, Answer, AuthError, Authenticator, BearerToken, Challenge, Challenger, Credentials,
    DigestCredentials, Qop,
};

fn parse_all(values: &[&str]) -> Vec<Challenge> {
    values.iter().filter_map(|v| v.parse().ok()).collect()
}

fn only_digest(answers: &[Answer]) -> &DigestCredentials {
    match answers {
        [Answer {
            credentials: Credentials::Digest(d),
            ..
        }] => d,
        other => panic!("expected one Digest answer, got {other:?}"),
    }
}

fn respond(auth: &mut Authenticator, values: &[&str]) -> Result<Vec<Answer>, AuthError> {
    auth.respond(
        Challenger::Server,
        &parse_all(values),
        &register(),
        &mut rng(),
    )
}

const MD5: &str = "Digest realm=\"r\", nonce=\"n1\", algorithm=MD5, qop=\"auth\"";
const SHA256: &str = "Digest realm=\"r\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\"";

#[test]
fn strongest_algorithm_wins_whatever_the_order() {
    let mut auth = Authenticator::new("alice", "pw");
    let answers = respond(
        &mut auth,
        &[MD5, "Digest realm=r, nonce=x, algorithm=AKAv1-MD5", SHA256],
    )
    .unwrap();
    assert_eq!(only_digest(&answers).algorithm, Some(Algorithm::Sha256));
}

#[test]
fn proxy_challenge_answers_in_proxy_authorization() {
    let mut auth = Authenticator::new("alice", "pw");
    let answers = auth
        .respond(
            Challenger::Proxy,
            &parse_all(&[MD5]),
            &register(),
            &mut rng(),
        )
        .unwrap();
    assert_eq!(
        answers[0].challenger.credentials_header(),
        "Proxy-Authorization"
    );
    assert_eq!(Challenger::from_status(407), Some(Challenger::Proxy));
    assert_eq!(
        Challenger::from_status(401).map(Challenger::challenge_header),
        Some("WWW-Authenticate")
    );
    assert_eq!(Challenger::from_status(403), None);
}

#[test]
fn nonce_count_increments_per_reuse() {
    let mut auth = Authenticator::new("alice", "pw");
    let mut rng = rng();
    assert!(auth.authorize(&register(), &mut rng).is_empty());
    let first = respond(&mut auth, &[SHA256]).unwrap();
    let second = auth.authorize(&register(), &mut rng);
    let third = auth.authorize(&register(), &mut rng);
    let [a, b, c] = [&first, &second, &third].map(|x| only_digest(x).clone());
    assert_eq!([a.nc, b.nc, c.nc], [Some(1), Some(2), Some(3)]);
    assert_ne!(b.cnonce, c.cnonce);
    assert!(c.to_string().contains("nc=00000003"));
    // A re-challenge carrying the nonce already in use keeps counting.
    let again = respond(&mut auth, &[SHA256]).unwrap();
    assert_eq!(only_digest(&again).nc, Some(4));
    // A new nonce starts again at 1.
    auth.authorize(&register(), &mut rng);
    let fresh = respond(&mut auth, &[&SHA256.replace("n1", "n2")]).unwrap();
    assert_eq!(only_digest(&fresh).nc, Some(1));
}

#[test]
fn stale_is_retried_silently_but_not_forever() {
    let mut auth = Authenticator::new("alice", "pw");
    respond(&mut auth, &[SHA256]).unwrap();
    let stale2 = "Digest realm=\"r\", nonce=\"n2\", stale=true, algorithm=SHA-256, qop=auth";
    let retried = respond(&mut auth, &[stale2]).unwrap();
    let creds = only_digest(&retried);
    assert_eq!((creds.nonce.as_str(), creds.nc), ("n2", Some(1)));
    // The same nonce called stale again is a loop, not a new nonce.
    assert_eq!(
        respond(&mut auth, &[stale2]),
        Err(AuthError::Rejected { realm: "r".into() })
    );
    respond(&mut auth, &[&stale2.replace("n2", "n3")]).unwrap();
    assert!(respond(&mut auth, &[&stale2.replace("n2", "n4")]).is_err());
}

#[test]
fn second_plain_challenge_means_wrong_password() {
    let mut auth = Authenticator::new("alice", "wrong");
    respond(&mut auth, &[SHA256]).unwrap();
    let rejected = respond(&mut auth, &[&SHA256.replace("n1", "n2")]);
    assert_eq!(rejected, Err(AuthError::Rejected { realm: "r".into() }));
    // Nothing changed: a new request may try once more with the known nonce.
    let next = auth.authorize(&register(), &mut rng());
    assert_eq!(only_digest(&next).nonce, "n1");
    assert!(respond(&mut auth, &[&SHA256.replace("n1", "n2")]).is_ok());
}

#[test]
fn qop_auth_preferred_then_auth_int_then_none() {
    let mut auth = Authenticator::new("alice", "pw");
    let both = respond(
        &mut auth,
        &["Digest realm=a, nonce=n, qop=\"auth-int,auth\""],
    )
    .unwrap();
    assert_eq!(only_digest(&both).qop, Some(Qop::Auth));
    let int = respond(&mut auth, &["Digest realm=b, nonce=n, qop=auth-int"]).unwrap();
    assert_eq!(only_digest(&int).qop, Some(Qop::AuthInt));
    let legacy = respond(&mut auth, &["Digest realm=c, nonce=n"]).unwrap();
    let creds = only_digest(&legacy);
    assert_eq!((creds.qop, creds.nc, &creds.cnonce), (None, None, &None));
    assert!(!legacy[0].credentials.to_string().contains("nc="));
}

#[test]
fn sess_without_qop_still_sends_cnonce() {
    let mut auth = Authenticator::new("alice", "pw");
    let answers = respond(&mut auth, &["Digest realm=r, nonce=n, algorithm=MD5-sess"]).unwrap();
    let creds = only_digest(&answers);
    assert!(creds.cnonce.is_some());
    let reparsed: Credentials = answers[0].credentials.to_string().parse().unwrap();
    assert_eq!(reparsed, answers[0].credentials);
}

#[test]
fn echoes_opaque_and_hashes_username_on_request() {
    let mut auth = Authenticator::new("alice", "pw");
    let value =
        "Digest realm=r, nonce=n, opaque=\"xyz\", algorithm=SHA-256, qop=auth, userhash=true";
    let answers = respond(&mut auth, &[value]).unwrap();
    let creds = only_digest(&answers);
    assert_eq!(creds.opaque.as_deref(), Some("xyz"));
    assert!(creds.userhash);
    assert_eq!(
        creds.username,
        crate::auth::userhash(Algorithm::Sha256, "alice", "r")
    );
}

#[test]
fn one_answer_per_realm() {
    let mut auth = Authenticator::new("alice", "pw");
    let answers = respond(
        &mut auth,
        &[MD5, "Digest realm=\"other\", nonce=m, qop=auth", SHA256],
    )
    .unwrap();
    let realms: Vec<(&str, Option<Algorithm>)> = answers
        .iter()
        .map(|a| match &a.credentials {
            Credentials::Digest(d) => (d.realm.as_str(), d.algorithm),
            Credentials::Bearer(_) => panic!("no token configured"),
        })
        .collect();
    assert_eq!(realms, [("r", Some(Algorithm::Sha256)), ("other", None)]);
}

#[test]
fn bearer_needs_a_token_and_is_preferred() {
    let bearer = "Bearer realm=\"r\", scope=\"sip\"";
    let mut auth = Authenticator::new("alice", "pw");
    assert_eq!(
        respond(&mut auth, &[bearer]),
        Err(AuthError::NoUsableChallenge)
    );
    assert_eq!(respond(&mut auth, &[]), Err(AuthError::NoUsableChallenge));
    let token = BearerToken::new("abc.def").unwrap();
    auth.set_bearer_token(Some(token.clone()));
    let answers = respond(&mut auth, &[SHA256, bearer]).unwrap();
    assert_eq!(answers[0].credentials, Credentials::Bearer(token.clone()));
    assert_eq!(answers[0].credentials.to_string(), "Bearer abc.def");
    // The token was refused: stop until a new one is set.
    let refused = "Bearer realm=\"r\", error=\"invalid_token\"";
    assert!(matches!(
        respond(&mut auth, &[refused]),
        Err(AuthError::Rejected { .. })
    ));
    auth.set_bearer_token(Some(BearerToken::new("ghi").unwrap()));
    assert!(respond(&mut auth, &[refused]).is_ok());
}

#[test]
fn a_token_is_presented_before_any_challenge() {
    let mut rng = rng();
    let mut auth = Authenticator::new("alice", "pw");
    assert!(
        auth.authorize(&register(), &mut rng).is_empty(),
        "no token, nothing to offer"
    );
    let token = BearerToken::new("abc.def").unwrap();
    auth.set_bearer_token(Some(token.clone()));
    let first = auth.authorize(&register(), &mut rng);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].challenger, Challenger::Server);
    assert_eq!(first[0].credentials, Credentials::Bearer(token.clone()));
    // Once a server challenge was answered with Digest, that session is reused instead: no
    // second Authorization header beside it.
    respond(&mut auth, &[SHA256]).unwrap();
    let next = auth.authorize(&register(), &mut rng);
    assert_eq!(next.len(), 1);
    assert!(matches!(next[0].credentials, Credentials::Digest(_)));
}

#[test]
fn debug_hides_secrets() {
    let mut auth = Authenticator::new("alice", "hunter2");
    auth.set_bearer_token(Some(BearerToken::new("tok3n").unwrap()));
    let shown = format!("{auth:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("tok3n"),
        "{shown}"
    );
}

#[test]
fn challenge_realm_of_bearer_without_realm_is_empty() {
    let parsed = digest_challenge(MD5);
    assert_eq!(Challenge::Digest(parsed).realm(), "r");
    assert_eq!("Bearer".parse::<Challenge>().unwrap().realm(), "");
}
