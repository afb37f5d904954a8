//! Header grammar: tolerance on input, canonical output, and errors.

use super::{digest_challenge, digest_credentials};
use crate::auth::{
    Algorithm, AuthParam, BearerChallenge, BearerToken, Challenge, Credentials, ParseError, Qop,
};

fn challenge_err(value: &str) -> ParseError {
    match value.parse::<Challenge>() {
        Err(e) => e,
        Ok(c) => panic!("{value:?} should not parse, got {c:?}"),
    }
}

fn credentials_err(value: &str) -> ParseError {
    match value.parse::<Credentials>() {
        Err(e) => e,
        Ok(c) => panic!("{value:?} should not parse, got {c:?}"),
    }
}

#[test]
fn case_whitespace_and_escapes() {
    let c = digest_challenge(
        "  dIgEsT   REALM = \"a \\\"quoted\\\" \\\\ realm\" ,, NONCE=abc/def== ,\tStale=TRUE, \
         QOP=\"auth-int , auth\", ALGORITHM=sha-256-SESS,domain=\"sip:a sip:b\", userhash=true",
    );
    assert_eq!(c.realm, "a \"quoted\" \\ realm");
    assert_eq!(c.nonce, "abc/def==");
    assert!(c.stale);
    assert!(c.userhash);
    assert_eq!(c.qop, [Qop::AuthInt, Qop::Auth]);
    assert_eq!(c.algorithm, Some(Algorithm::Sha256Sess));
    assert_eq!(c.domain, ["sip:a", "sip:b"]);
}

#[test]
fn unknown_params_survive_round_trip() {
    let value = "Digest realm=\"r\", nonce=\"n\", charset=UTF-8, x-vendor=\"a, b\"";
    let c = digest_challenge(value);
    assert_eq!(
        c.extra,
        [
            AuthParam {
                name: "charset".into(),
                value: "UTF-8".into(),
                quoted: false
            },
            AuthParam {
                name: "x-vendor".into(),
                value: "a, b".into(),
                quoted: true
            },
        ]
    );
    assert_eq!(c.to_string(), value);
}

#[test]
fn challenge_serialises_canonically() {
    let c = digest_challenge(
        "Digest qop=\"auth\",nonce=n,realm=r,algorithm=\"SHA-256\",opaque=o,stale=false",
    );
    assert_eq!(
        c.to_string(),
        "Digest realm=\"r\", nonce=\"n\", opaque=\"o\", algorithm=SHA-256, qop=\"auth\""
    );
    assert_eq!(digest_challenge(&c.to_string()), c);
}

#[test]
fn credentials_round_trip() {
    let value = "Digest username=\"bob\", realm=\"r\", nonce=\"n\", uri=\"sip:r\", \
                 response=\"abc\", algorithm=MD5-sess, cnonce=\"c\", opaque=\"o\", qop=auth, \
                 nc=0000000a, userhash=true";
    let creds = digest_credentials(value);
    assert_eq!(creds.nc, Some(10));
    assert_eq!(creds.to_string(), value);
}

#[test]
fn qop_in_challenge_skips_unknown_options() {
    let c = digest_challenge("Digest realm=r, nonce=n, qop=\"auth-conf,auth\"");
    assert_eq!(c.qop, [Qop::Auth]);
    assert!(matches!(
        challenge_err("Digest realm=r, nonce=n, qop=\"auth-conf\""),
        ParseError::UnsupportedQop(_)
    ));
}

#[test]
fn bearer_challenge() {
    let value = "Bearer realm=\"atlanta.com\", scope=\"sip:reg\", \
                 authz_server=\"https://as.example.com\", error=\"invalid_token\", \
                 error_description=\"The access token expired\"";
    let Ok(Challenge::Bearer(b)) = value.parse() else {
        panic!("Bearer challenge must parse");
    };
    assert_eq!(b.error.as_deref(), Some("invalid_token"));
    assert_eq!(b.authz_server.as_deref(), Some("https://as.example.com"));
    assert_eq!(b.to_string(), value);
    assert_eq!(
        "bearer".parse::<Challenge>(),
        Ok(Challenge::Bearer(BearerChallenge::default()))
    );
}

#[test]
fn bearer_credentials() {
    let Ok(Credentials::Bearer(token)) = "BEARER   mF_9.B5f-4.1JqM==  ".parse() else {
        panic!("Bearer credentials must parse");
    };
    assert_eq!(token.as_str(), "mF_9.B5f-4.1JqM==");
    assert_eq!(
        Credentials::Bearer(token).to_string(),
        "Bearer mF_9.B5f-4.1JqM=="
    );
    assert_eq!(credentials_err("Bearer"), ParseError::InvalidToken);
    assert_eq!(credentials_err("Bearer a b"), ParseError::InvalidToken);
    assert_eq!(credentials_err("Bearer =abc"), ParseError::InvalidToken);
    assert!(BearerToken::new("ok\r\nVia: x").is_err());
    assert_eq!(
        format!("{:?}", BearerToken::new("secret")),
        "Ok(BearerToken(..))"
    );
}

#[test]
fn errors_name_the_problem() {
    assert_eq!(
        challenge_err("Digest nonce=n"),
        ParseError::MissingParam("realm")
    );
    assert_eq!(
        challenge_err("Basic realm=r"),
        ParseError::UnsupportedScheme("Basic".into())
    );
    assert_eq!(
        challenge_err("Digest realm=r, nonce=n, algorithm=AKAv1-MD5"),
        ParseError::UnsupportedAlgorithm("AKAv1-MD5".into())
    );
    assert_eq!(
        challenge_err("Digest realm=r, REALM=s, nonce=n"),
        ParseError::DuplicateParam("REALM".into())
    );
    assert_eq!(
        challenge_err("Digest realm=r, nonce=n, stale=maybe"),
        ParseError::InvalidParam("stale")
    );
    assert!(matches!(
        challenge_err(""),
        ParseError::Syntax { offset: 0, .. }
    ));
    assert!(matches!(
        challenge_err("Digest realm=\"open"),
        ParseError::Syntax { .. }
    ));
    assert!(matches!(
        challenge_err("Digest realm=r nonce=n"),
        ParseError::Syntax { .. }
    ));
    assert!(matches!(
        challenge_err("Digest realm=\"a\r\nVia: x\", nonce=n"),
        ParseError::Syntax { .. }
    ));
    assert!(matches!(
        challenge_err("Digest,realm=r"),
        ParseError::Syntax { .. }
    ));
}

#[test]
fn credentials_need_what_the_hash_needs() {
    let base = "Digest username=u, realm=r, nonce=n, uri=\"sip:r\", response=x";
    assert_eq!(
        credentials_err(&format!("{base}, qop=auth, nc=00000001")),
        ParseError::MissingParam("cnonce")
    );
    assert_eq!(
        credentials_err(&format!("{base}, qop=auth, cnonce=c")),
        ParseError::MissingParam("nc")
    );
    assert_eq!(
        credentials_err(&format!("{base}, algorithm=SHA-256-sess")),
        ParseError::MissingParam("cnonce")
    );
    for nc in ["1", "0000000A", "000000001", "0000000g"] {
        assert_eq!(
            credentials_err(&format!("{base}, qop=auth, cnonce=c, nc={nc}")),
            ParseError::InvalidParam("nc"),
            "nc={nc}"
        );
    }
}

#[test]
fn hand_built_values_cannot_inject_lines() {
    let mut c = digest_challenge("Digest realm=r, nonce=n");
    c.realm = "evil\r\nContact: <sip:x>".into();
    let text = c.to_string();
    assert!(!text.contains('\r') && !text.contains('\n'));
    assert_eq!(digest_challenge(&text).realm, "evilContact: <sip:x>");
}
