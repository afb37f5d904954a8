//! Published and independently computed Digest vectors.
//!
//! RFC 7616 §3.9.1 is an HTTP example, but SIP's computation is the same with the SIP method
//! and Request-URI in `A2` (RFC 8760), so its values apply unchanged. Vectors without a
//! published example were computed independently with Python's `hashlib`.

use super::digest_credentials;
use crate::auth::digest::expected_response;
use crate::auth::{ha1, userhash, Algorithm, Challenge, Qop};

const RFC7616_NONCE: &str = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
const RFC7616_CNONCE: &str = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";

/// The RFC 7616 §3.9.1 `Authorization` with `algorithm` swapped and `response` left out.
fn rfc7616_credentials(algorithm: &str) -> String {
    format!(
        "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", \
         uri=\"/dir/index.html\", algorithm={algorithm}, nonce=\"{RFC7616_NONCE}\", \
         nc=00000001, cnonce=\"{RFC7616_CNONCE}\", qop=auth, response=\"\", \
         opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\""
    )
}

fn rfc7616_response(algorithm: &str) -> String {
    let creds = digest_credentials(&rfc7616_credentials(algorithm));
    let stored = ha1(
        creds.algorithm_or_default(),
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    expected_response(&creds, &stored, "GET", b"")
}

#[test]
fn rfc7616_sha256() {
    assert_eq!(
        rfc7616_response("SHA-256"),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
}

#[test]
fn rfc7616_md5() {
    assert_eq!(rfc7616_response("MD5"), "8ca523f5e9506fed4657c9700eebdbec");
}

#[test]
fn rfc7616_challenge_parses() {
    let value = "Digest\r\n realm=\"http-auth@example.org\",\r\n qop=\"auth, auth-int\",\r\n \
                 algorithm=SHA-256,\r\n nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\",\r\n \
                 opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
    let Ok(Challenge::Digest(c)) = value.parse() else {
        panic!("RFC 7616 challenge must parse");
    };
    assert_eq!(c.realm, "http-auth@example.org");
    assert_eq!(c.algorithm, Some(Algorithm::Sha256));
    assert_eq!(c.qop, [Qop::Auth, Qop::AuthInt]);
    assert_eq!(c.nonce, RFC7616_NONCE);
}

#[test]
fn sess_and_sha512_256() {
    assert_eq!(
        rfc7616_response("MD5-sess"),
        "e783283f46242139c486a698fec7211d"
    );
    assert_eq!(
        rfc7616_response("SHA-256-sess"),
        "2fd51b3a77ad75bad6afad6003e818d767133c46d9e2749e7f5232ae1ea3efd7"
    );
    assert_eq!(
        rfc7616_response("SHA-512-256"),
        "430d05014cecc49cab6fbe03176d41a1da86cbfe24a16580e22aaad928d960d0"
    );
}

/// RFC 2617 §3.5, which writes the password "Circle Of Life".
#[test]
fn rfc2617_md5_auth() {
    let creds = digest_credentials(
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth, \
         nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\", \
         opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
    );
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    assert_eq!(
        expected_response(&creds, &stored, "GET", b""),
        creds.response
    );
}

/// The RFC 2069 form without qop, which RFC 3261 §22.4 still allows.
#[test]
fn rfc2069_legacy() {
    let creds = digest_credentials(
        "Digest username=\"Mufasa\", realm=\"testrealm@host.com\", \
         nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", response=\"\"",
    );
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "CircleOfLife",
    );
    assert_eq!(
        expected_response(&creds, &stored, "GET", b""),
        "1949323746fe6a43ef61f9606e7febea"
    );
}

#[test]
fn auth_int_hashes_body() {
    let mut creds = digest_credentials(&rfc7616_credentials("MD5"));
    creds.qop = Some(Qop::AuthInt);
    creds.nc = Some(2);
    creds.uri = "sip:bob@example.com".into();
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    assert_eq!(
        expected_response(&creds, &stored, "INVITE", b"v=0\r\n"),
        "7d6fcfb119b9ddb4993c6012abd218c0"
    );
    assert_ne!(
        expected_response(&creds, &stored, "INVITE", b"v=1\r\n"),
        "7d6fcfb119b9ddb4993c6012abd218c0"
    );
}

#[test]
fn userhash_sha512_256() {
    assert_eq!(
        userhash(
            Algorithm::Sha512_256,
            "J\u{e4}s\u{f8}n Doe",
            "api@example.org"
        ),
        "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"
    );
}

#[test]
fn stored_ha1_case_does_not_matter() {
    let creds = digest_credentials(&rfc7616_credentials("MD5-sess"));
    let stored = ha1(
        Algorithm::Md5,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    assert_eq!(
        expected_response(&creds, &stored.to_ascii_uppercase(), "GET", b""),
        "e783283f46242139c486a698fec7211d"
    );
}
