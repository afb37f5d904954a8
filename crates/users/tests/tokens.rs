//! Every reason a token is refused, and the remote validator's JWKS fetching.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use users::{
    AppState, Clock as _, ManualClock, RemoteConfig, RemoteValidator, TokenError, ValidationPolicy,
};

fn fixture(name: &str) -> Vec<u8> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{name}.pem"));
    std::fs::read(path).expect("fixture key")
}

struct Forge {
    state: AppState,
    clock: ManualClock,
    kid: String,
    _dir: tempfile::TempDir,
}

impl Forge {
    fn new() -> Self {
        let (dir, clock) = common::seeded();
        let state =
            AppState::open(common::config(dir.path()), Arc::new(clock.clone())).expect("opens");
        let kid = state.jwks().keys[0].kid.clone();
        Self {
            state,
            clock,
            kid,
            _dir: dir,
        }
    }

    /// Claims as the service issues them, for the API audience.
    fn claims(&self) -> Value {
        let now = self.clock.now();
        json!({
            "iss": "https://example.test",
            "sub": "6f1c1a52-7a55-4d1e-9d3b-3f1a2a9f0b11",
            "aud": ["halo-api", "sip:example.test"],
            "exp": now + 900, "iat": now, "nbf": now,
            "jti": "0b7c4c6e-1f9a-4e43-a7a2-8d1e8f6b2c44",
            "username": "alice", "roles": ["user"], "scope": "sip.register",
        })
    }

    /// Signs with `key` (a fixture), naming `kid` in the header.
    fn sign_with(&self, claims: &Value, key: &str, kid: &str) -> String {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(kid.to_owned());
        let key = EncodingKey::from_rsa_pem(&fixture(key)).expect("rsa pem");
        jsonwebtoken::encode(&header, claims, &key).expect("signed")
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_with(claims, "key-a", &self.kid)
    }

    fn validate(&self, token: &str) -> Result<users::Claims, TokenError> {
        self.state.api_token_validator().validate(token)
    }
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn a_well_formed_token_validates() {
    let forge = Forge::new();
    let claims = forge.validate(&forge.sign(&forge.claims())).expect("valid");
    assert_eq!(claims.username, "alice");
    assert!(claims.require_scope("sip.register").is_ok());
    let missing = claims
        .require_scope("users.admin")
        .expect_err("not granted");
    assert_eq!(missing.rfc6750_code(), Some("insufficient_scope"));
}

#[test]
fn expired_tokens_are_refused_after_the_leeway() {
    let forge = Forge::new();
    let mut claims = forge.claims();
    claims["exp"] = json!(forge.clock.now() - 20);
    forge
        .validate(&forge.sign(&claims))
        .expect("within 30 s leeway");
    claims["exp"] = json!(forge.clock.now() - 31);
    let err = forge.validate(&forge.sign(&claims)).expect_err("expired");
    assert!(matches!(err, TokenError::Expired), "{err:?}");
    assert_eq!(err.rfc6750_code(), Some("invalid_token"));
}

#[test]
fn tokens_from_the_future_are_not_yet_valid() {
    let forge = Forge::new();
    let mut claims = forge.claims();
    claims["nbf"] = json!(forge.clock.now() + 20);
    forge.validate(&forge.sign(&claims)).expect("within leeway");
    claims["nbf"] = json!(forge.clock.now() + 31);
    let err = forge.validate(&forge.sign(&claims)).expect_err("too early");
    assert!(matches!(err, TokenError::NotYetValid), "{err:?}");
}

#[test]
fn wrong_issuer() {
    let forge = Forge::new();
    let mut claims = forge.claims();
    claims["iss"] = json!("https://evil.test");
    let err = forge.validate(&forge.sign(&claims)).expect_err("wrong iss");
    assert!(matches!(err, TokenError::WrongIssuer), "{err:?}");
}

#[test]
fn wrong_audience() {
    let forge = Forge::new();
    let mut claims = forge.claims();
    claims["aud"] = json!(["sip:example.test"]);
    let err = forge
        .validate(&forge.sign(&claims))
        .expect_err("not for the API");
    assert!(matches!(err, TokenError::WrongAudience), "{err:?}");
    // The same token is fine for the registrar, and a single-string aud is accepted too.
    forge
        .state
        .sip_token_validator()
        .validate(&forge.sign(&claims))
        .expect("for SIP");
    claims["aud"] = json!("halo-api");
    forge
        .validate(&forge.sign(&claims))
        .expect("aud as a string");
}

#[test]
fn signed_by_another_key_under_our_kid() {
    let forge = Forge::new();
    let token = forge.sign_with(&forge.claims(), "key-b", &forge.kid);
    let err = forge.validate(&token).expect_err("bad signature");
    assert!(matches!(err, TokenError::BadSignature), "{err:?}");
}

#[test]
fn alg_none_is_refused() {
    let forge = Forge::new();
    let header = json!({ "alg": "none", "typ": "JWT", "kid": forge.kid });
    let token = format!("{}.{}.", b64(&header), b64(&forge.claims()));
    let err = forge.validate(&token).expect_err("unsigned");
    assert!(
        matches!(err, TokenError::UnsupportedAlgorithm(ref alg) if alg == "none"),
        "{err:?}"
    );
}

#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    // The classic confusion attack: the public key, which anyone can fetch, used as an HMAC
    // secret. It must fail on the algorithm before any key is consulted.
    let forge = Forge::new();
    let jwk = &forge.state.jwks().keys[0];
    let public_bytes = format!("{}.{}", jwk.n, jwk.e);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(forge.kid.clone());
    for secret in [public_bytes.as_bytes(), &fixture("key-a")[..]] {
        let token =
            jsonwebtoken::encode(&header, &forge.claims(), &EncodingKey::from_secret(secret))
                .expect("signed");
        let err = forge.validate(&token).expect_err("hmac");
        assert!(
            matches!(err, TokenError::UnsupportedAlgorithm(ref alg) if alg == "HS256"),
            "{err:?}"
        );
    }
}

#[test]
fn unknown_kid() {
    let forge = Forge::new();
    let token = forge.sign_with(&forge.claims(), "key-a", "no-such-key");
    let err = forge.validate(&token).expect_err("unknown kid");
    assert!(
        matches!(err, TokenError::UnknownKid(ref kid) if kid == "no-such-key"),
        "{err:?}"
    );
}

#[test]
fn malformed_tokens() {
    let forge = Forge::new();
    let good = forge.sign(&forge.claims());
    let mut missing_claim = forge.claims();
    missing_claim
        .as_object_mut()
        .expect("object")
        .remove("username");
    let no_kid = format!(
        "{}.{}.sig",
        b64(&json!({ "alg": "RS256" })),
        b64(&forge.claims())
    );
    let cases = [
        String::new(),
        "garbage".to_owned(),
        "a.b".to_owned(),
        "a.b.c.d".to_owned(),
        "!!!.e30.sig".to_owned(),
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode("not json")),
        no_kid,
        format!(
            "{}x",
            good.rsplit_once('.').map(|(head, _)| head).expect("dot")
        ) + ".!!",
        forge.sign(&missing_claim),
    ];
    for token in cases {
        let err = forge.validate(&token).expect_err("malformed");
        assert!(
            matches!(err, TokenError::Malformed(_)),
            "{token:?}: {err:?}"
        );
        assert_eq!(err.rfc6750_code(), Some("invalid_token"));
    }
}

/// A loopback server publishing the service's JWKS and counting how often it is fetched.
async fn jwks_server(state: AppState, fetches: Arc<AtomicUsize>) -> String {
    let app = axum::Router::new().route(
        "/auth/jwks.json",
        axum::routing::get(move || {
            let state = state.clone();
            let fetches = fetches.clone();
            async move {
                fetches.fetch_add(1, Ordering::SeqCst);
                axum::Json(state.jwks())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds loopback");
    let url = format!(
        "http://{}/auth/jwks.json",
        listener.local_addr().expect("addr")
    );
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
    url
}

#[tokio::test]
async fn remote_validator_caches_and_bounds_refetches() {
    let forge = Forge::new();
    let fetches = Arc::new(AtomicUsize::new(0));
    let url = jwks_server(forge.state.clone(), fetches.clone()).await;
    let mut config = RemoteConfig::new(url);
    config.min_refetch_interval = Duration::from_secs(60);
    let policy = ValidationPolicy {
        issuer: "https://example.test".to_owned(),
        audience: "sip:example.test".to_owned(),
        leeway_secs: 30,
    };
    let remote = Arc::new(
        RemoteValidator::new(config, policy, Arc::new(forge.clock.clone())).expect("client"),
    );

    let good = forge.sign(&forge.claims());
    remote
        .validate(&good)
        .await
        .expect("valid after the first fetch");
    remote.validate(&good).await.expect("valid from cache");
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Checks happen remotely as well: a bad signature under a known kid costs no fetch.
    let forged = forge.sign_with(&forge.claims(), "key-b", &forge.kid);
    assert!(matches!(
        remote.validate(&forged).await,
        Err(TokenError::BadSignature)
    ));

    // A flood of made-up kids, sequential and concurrent, within one interval: no fetch at all,
    // since the first fetch was just now.
    let flood = |n: usize| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..n {
            let remote = remote.clone();
            let token = forge.sign_with(&forge.claims(), "key-a", &format!("made-up-{i}"));
            tasks.spawn(async move { remote.validate(&token).await });
        }
        tasks
    };
    let mut tasks = flood(50);
    while let Some(result) = tasks.join_next().await {
        assert!(matches!(
            result.expect("task"),
            Err(TokenError::UnknownKid(_))
        ));
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 1);

    // Once the interval has passed, the next flood earns exactly one refetch.
    forge.clock.advance(Duration::from_secs(61));
    let mut tasks = flood(50);
    while let Some(result) = tasks.join_next().await {
        assert!(matches!(
            result.expect("task"),
            Err(TokenError::UnknownKid(_))
        ));
    }
    assert_eq!(fetches.load(Ordering::SeqCst), 2);

    // A real rotation (a key appearing on the issuer) is picked up at the next allowed refetch.
    common::seed_key(forge._dir.path(), "key-b", forge.clock.now());
    forge.state.reload_keys().expect("reloads");
    let new_kid = forge.state.jwks().keys[0].kid.clone();
    assert_ne!(new_kid, forge.kid);
    let rotated = forge.sign_with(&forge.claims(), "key-b", &new_kid);
    forge
        .validate(&rotated)
        .expect("in-process validator sees it at once");
    assert!(matches!(
        remote.validate(&rotated).await,
        Err(TokenError::UnknownKid(_))
    ));
    forge.clock.advance(Duration::from_secs(60));
    remote.validate(&rotated).await.expect("refetched");
    assert_eq!(fetches.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn unreachable_jwks_is_the_servers_problem() {
    let forge = Forge::new();
    // Bind then drop a listener, so the port is (very likely) closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    let config = RemoteConfig::new(format!("http://127.0.0.1:{port}/auth/jwks.json"));
    let policy = ValidationPolicy {
        issuer: "https://example.test".to_owned(),
        audience: "halo-api".to_owned(),
        leeway_secs: 30,
    };
    let remote =
        RemoteValidator::new(config, policy, Arc::new(forge.clock.clone())).expect("client");
    let err = remote
        .validate(&forge.sign(&forge.claims()))
        .await
        .expect_err("cannot fetch");
    assert!(matches!(err, TokenError::KeysUnavailable(_)), "{err:?}");
    assert_eq!(err.rfc6750_code(), None);
}
