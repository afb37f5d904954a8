//! The HTTP API over real loopback sockets and a real SQLite file.

mod common;

use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;
use std::time::Duration;

use common::seeded;
use reqwest::StatusCode;
use serde_json::{json, Value};
use users::{AppState, Clock as _, Config, DigestAlgorithm, ManualClock};

fn token(tokens: &Value, field: &str) -> String {
    tokens[field].as_str().expect("token field").to_owned()
}

#[tokio::test]
async fn login_returns_bearer_tokens_and_sip_info() {
    let (_dir, _clock, server) = with_alice().await;

    let tokens = server.tokens("alice", "alice-secret").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    assert!(token(&tokens, "refresh_token").len() >= 43);
    assert_eq!(tokens["sip"]["domain"], common::DOMAIN);
    assert_eq!(tokens["sip"]["registrar"], "sip:example.test");

    let claims = server
        .state
        .sip_token_validator()
        .validate(&token(&tokens, "access_token"))
        .expect("valid for the registrar");
    assert_eq!(claims.username, "alice");
    assert!(claims.has_scope(users::SCOPE_SIP_REGISTER));
    assert_eq!(claims.aud, ["halo-api", "sip:example.test"]);
    assert_eq!(claims.iss, "https://example.test");
    assert_eq!(claims.exp - claims.iat, 900);
    assert_eq!(claims.nbf, claims.iat);

    let well_known: Value = server
        .http
        .get(server.url("/.well-known/halo"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(well_known["sip"], tokens["sip"]);
    assert_eq!(well_known["issuer"], "https://example.test");
    assert_eq!(well_known["jwks_uri"], "/auth/jwks.json");
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let (_dir, _clock, server) = with_alice().await;

    for (user, password) in [("alice", "wrong-password"), ("nobody", "alice-secret")] {
        let response = server.login(user, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let challenge = response.headers()["www-authenticate"]
            .to_str()
            .expect("ascii");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert_eq!(error_code(response).await, "INVALID_CREDENTIALS");
    }

    let response = server
        .http
        .post(server.url("/auth/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_code(response).await, "BAD_REQUEST");
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let (_dir, clock, server) = with_alice().await;
    let first = server.tokens("alice", "alice-secret").await;
    let other_session = server.tokens("alice", "alice-secret").await;

    clock.advance(Duration::from_secs(60));
    let response = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&first, "refresh_token") }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let second: Value = response.json().await.expect("json");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);

    // The rotated-away token comes back: someone copied it. Its whole family dies.
    let reuse = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&first, "refresh_token") }),
        )
        .await;
    assert_eq!(reuse.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(reuse).await, "INVALID_REFRESH_TOKEN");
    let successor = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&second, "refresh_token") }),
        )
        .await;
    assert_eq!(
        successor.status(),
        StatusCode::UNAUTHORIZED,
        "family revoked"
    );

    // Another login's family is untouched.
    let other = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&other_session, "refresh_token") }),
        )
        .await;
    assert_eq!(other.status(), StatusCode::OK);

    let metrics = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    assert!(
        metrics.contains("halo_users_refreshes_total 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("halo_users_tokens_issued_total 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("halo_users_logins_total{result=\"ok\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn refresh_tokens_expire() {
    let (_dir, clock, server) = with_alice().await;
    let tokens = server.tokens("alice", "alice-secret").await;

    clock.advance(Duration::from_secs(30 * 24 * 3600));
    let response = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&tokens, "refresh_token") }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn logout_revokes_the_refresh_token() {
    let (_dir, _clock, server) = with_alice().await;
    let tokens = server.tokens("alice", "alice-secret").await;
    let refresh = json!({ "refresh_token": token(&tokens, "refresh_token") });

    let response = server.post("/auth/logout", refresh.clone()).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let response = server.post("/auth/refresh", refresh.clone()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let again = server.post("/auth/logout", refresh).await;
    assert_eq!(
        again.status(),
        StatusCode::NO_CONTENT,
        "logging out twice is fine"
    );
}

#[tokio::test]
async fn five_failures_lock_the_username_until_the_lockout_expires() {
    let (_dir, clock, server) = with_alice().await;

    for _ in 0..5 {
        let response = server.login("alice", "guess-guess").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Locked: even the right password is refused.
    let response = server.login("alice", "alice-secret").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "900");
    assert_eq!(error_code(response).await, "TOO_MANY_ATTEMPTS");

    // Unknown names lock the same way, so the lockout tells nothing about who exists.
    for _ in 0..5 {
        server.login("nobody", "guess-guess").await;
    }
    assert_eq!(
        server.login("nobody", "guess-guess").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    clock.advance(Duration::from_secs(600));
    let response = server.login("alice", "alice-secret").await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "300");

    clock.advance(Duration::from_secs(300));
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::OK
    );

    let metrics = server.state.metrics_text();
    assert!(metrics.contains("halo_users_lockouts_total 2"), "{metrics}");
    assert!(
        metrics.contains("halo_users_logins_total{result=\"failed\"} 13"),
        "{metrics}"
    );
}

#[tokio::test]
async fn failures_spread_beyond_the_window_do_not_lock() {
    let (_dir, clock, server) = with_alice().await;
    for _ in 0..8 {
        server.login("alice", "guess-guess").await;
        clock.advance(Duration::from_secs(4 * 60));
    }
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn admin_manages_users_and_others_may_not() {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    server.add_user("admin", "admin-secret", true);
    server.add_user("alice", "alice-secret", false);
    let admin = token(
        &server.tokens("admin", "admin-secret").await,
        "access_token",
    );
    let alice = token(
        &server.tokens("alice", "alice-secret").await,
        "access_token",
    );
    let http = &server.http;

    // No token: 401 with a challenge. A user without the role: 403.
    let response = http.get(server.url("/users")).send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
    assert_eq!(error_code(response).await, "UNAUTHENTICATED");
    let response = http
        .get(server.url("/users"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    let response = http
        .get(server.url("/users"))
        .bearer_auth(&alice)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(response).await, "FORBIDDEN");
    let response = http
        .post(server.url("/users"))
        .bearer_auth(&alice)
        .json(&json!({ "username": "mallory", "password": "mallory-secret" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Create.
    let response = http
        .post(server.url("/users"))
        .bearer_auth(&admin)
        .json(&json!({
            "username": "bob", "password": "bob-secret",
            "display_name": "Bob Builder", "email": "bob@example.test"
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::CREATED);
    let bob: Value = response.json().await.expect("json");
    assert_eq!(bob["display_name"], "Bob Builder");
    assert_eq!(bob["roles"], json!(["user"]));
    assert_eq!(bob["disabled"], false);
    assert!(bob.get("password_hash").is_none());
    let bob_id = bob["id"].as_str().expect("id").to_owned();

    let duplicate = http
        .post(server.url("/users"))
        .bearer_auth(&admin)
        .json(&json!({ "username": "bob", "password": "bob-secret" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    assert_eq!(error_code(duplicate).await, "USERNAME_TAKEN");
    for bad in [
        json!({ "username": "Bob Smith", "password": "bob-secret" }),
        json!({ "username": "bobby", "password": "short" }),
        json!({ "username": "bobby", "password": "bob-secret", "email": "nope" }),
    ] {
        let response = http
            .post(server.url("/users"))
            .bearer_auth(&admin)
            .json(&bad)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(error_code(response).await, "VALIDATION_FAILED");
    }

    // Read, list.
    let list: Vec<Value> = http
        .get(server.url("/users"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let names: Vec<&str> = list.iter().filter_map(|u| u["username"].as_str()).collect();
    assert_eq!(names, ["admin", "alice", "bob"]);
    let response = http
        .get(server.url(&format!("/users/{bob_id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.json::<Value>().await.expect("json")["username"],
        "bob"
    );

    // Update, roles.
    clock.advance(Duration::from_secs(5));
    let updated: Value = http
        .patch(server.url(&format!("/users/{bob_id}")))
        .bearer_auth(&admin)
        .json(&json!({ "display_name": "Robert", "email": "" }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(updated["display_name"], "Robert");
    assert_eq!(updated["email"], Value::Null);
    assert!(updated["updated_at"].as_i64() > updated["created_at"].as_i64());
    let promoted: Value = http
        .put(server.url(&format!("/users/{bob_id}/roles")))
        .bearer_auth(&admin)
        .json(&json!({ "roles": ["user", "admin"] }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(promoted["roles"], json!(["user", "admin"]));

    // Admin sets a password.
    let response = http
        .put(server.url(&format!("/users/{bob_id}/password")))
        .bearer_auth(&admin)
        .json(&json!({ "password": "new-bob-secret" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        server.login("bob", "new-bob-secret").await.status(),
        StatusCode::OK
    );

    // Delete.
    let response = http
        .delete(server.url(&format!("/users/{bob_id}")))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for path in [format!("/users/{bob_id}"), "/users/not-a-uuid".to_owned()] {
        let response = http
            .get(server.url(&path))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(error_code(response).await, "NOT_FOUND");
    }
    assert_eq!(
        server.login("bob", "new-bob-secret").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_or_refresh() {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    server.add_user("admin", "admin-secret", true);
    let alice = server.add_user("alice", "alice-secret", false);
    let admin = token(
        &server.tokens("admin", "admin-secret").await,
        "access_token",
    );
    let session = server.tokens("alice", "alice-secret").await;
    let other_session = server.tokens("alice", "alice-secret").await;
    let set_disabled = |disabled: bool| {
        server
            .http
            .patch(server.url(&format!("/users/{}", alice.id)))
            .bearer_auth(&admin)
            .json(&json!({ "disabled": disabled }))
            .send()
    };

    assert_eq!(
        set_disabled(true).await.expect("sent").status(),
        StatusCode::OK
    );

    let response = server.login("alice", "alice-secret").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_code(response).await, "ACCOUNT_DISABLED");
    let response = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&session, "refresh_token") }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        server
            .state
            .digest_ha1("alice", DigestAlgorithm::Md5)
            .expect("lookup"),
        None
    );

    // Disabling revoked the sessions; enabling again does not bring them back, even one that
    // was not presented while disabled.
    assert_eq!(
        set_disabled(false).await.expect("sent").status(),
        StatusCode::OK
    );
    let response = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&other_session, "refresh_token") }),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_admin_setting_a_password_ends_the_users_sessions() {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    server.add_user("admin", "admin-secret", true);
    let alice = server.add_user("alice", "alice-secret", false);
    let bob = server.add_user("bob", "bob-secret", false);
    let admin = token(
        &server.tokens("admin", "admin-secret").await,
        "access_token",
    );
    let alice_session = server.tokens("alice", "alice-secret").await;
    let bob_session = server.tokens("bob", "bob-secret").await;
    let set_password = |id: uuid::Uuid, bearer: String, password: &'static str| {
        server
            .http
            .put(server.url(&format!("/users/{id}/password")))
            .bearer_auth(bearer)
            .json(&json!({ "password": password }))
            .send()
    };

    let response = set_password(bob.id, token(&alice_session, "access_token"), "by-alice-1")
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "not an admin");
    let response = set_password(alice.id, admin, "alice-new-secret")
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.login("alice", "alice-new-secret").await.status(),
        StatusCode::OK
    );
    let refresh = |session: &Value| {
        server.post(
            "/auth/refresh",
            json!({ "refresh_token": token(session, "refresh_token") }),
        )
    };
    assert_eq!(
        refresh(&alice_session).await.status(),
        StatusCode::UNAUTHORIZED,
        "alice's session revoked"
    );
    assert_eq!(
        refresh(&bob_session).await.status(),
        StatusCode::OK,
        "bob's untouched"
    );
    let expected = DigestAlgorithm::Md5.ha1("alice", common::DOMAIN, "alice-new-secret");
    assert_eq!(
        server
            .state
            .digest_ha1("alice", DigestAlgorithm::Md5)
            .expect("lookup")
            .as_deref(),
        Some(expected.as_str())
    );
}

#[tokio::test]
async fn users_change_their_own_password_which_ends_their_sessions() {
    let (_dir, _clock, server) = with_alice().await;
    let session = server.tokens("alice", "alice-secret").await;
    let access = token(&session, "access_token");
    let http = &server.http;

    let me: Value = http
        .get(server.url("/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(me["username"], "alice");

    let wrong = http
        .put(server.url("/users/me/password"))
        .bearer_auth(&access)
        .json(&json!({ "current_password": "not-it-at-all", "new_password": "alice-new-secret" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_code(wrong).await, "INVALID_CREDENTIALS");

    let ha1_before = server
        .state
        .digest_ha1("alice", DigestAlgorithm::Sha256)
        .expect("lookup");
    let response = http
        .put(server.url("/users/me/password"))
        .bearer_auth(&access)
        .json(&json!({ "current_password": "alice-secret", "new_password": "alice-new-secret" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let response = server
        .post(
            "/auth/refresh",
            json!({ "refresh_token": token(&session, "refresh_token") }),
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "refresh revoked"
    );
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        server.login("alice", "alice-new-secret").await.status(),
        StatusCode::OK
    );

    let expected = DigestAlgorithm::Sha256.ha1("alice", common::DOMAIN, "alice-new-secret");
    let ha1_after = server
        .state
        .digest_ha1("alice", DigestAlgorithm::Sha256)
        .expect("lookup");
    assert_eq!(ha1_after.as_deref(), Some(expected.as_str()));
    assert_ne!(ha1_before, ha1_after);
}

#[tokio::test]
async fn expired_access_tokens_are_refused_with_a_challenge() {
    let (_dir, clock, server) = with_alice().await;
    let access = token(
        &server.tokens("alice", "alice-secret").await,
        "access_token",
    );

    clock.advance(Duration::from_secs(900 + 31));
    let response = server
        .http
        .get(server.url("/users/me"))
        .bearer_auth(&access)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .expect("ascii");
    assert!(
        challenge.contains(r#"error="invalid_token""#),
        "{challenge}"
    );
    assert_eq!(error_code(response).await, "INVALID_TOKEN");
}

#[tokio::test]
async fn restart_keeps_keys_users_and_sessions() {
    // No seeded key: the first start generates one.
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::starting_now();
    let (access, refresh, jwks) = {
        let server = Server::start(common::config(dir.path()), &clock).await;
        server.add_user("alice", "alice-secret", false);
        let tokens = server.tokens("alice", "alice-secret").await;
        let jwks = server.state.jwks();
        (
            token(&tokens, "access_token"),
            token(&tokens, "refresh_token"),
            jwks,
        )
    };
    let key_files: Vec<_> = std::fs::read_dir(dir.path().join("keys"))
        .expect("keys dir")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(key_files.len(), 1);
    let mode = std::fs::metadata(&key_files[0])
        .expect("meta")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "private key readable by the owner only"
    );

    let server = Server::start(common::config(dir.path()), &clock).await;
    assert_eq!(server.state.jwks(), jwks, "same key after restart");
    let claims = server
        .state
        .api_token_validator()
        .validate(&access)
        .expect("still valid");
    assert_eq!(claims.username, "alice");
    let response = server
        .post("/auth/refresh", json!({ "refresh_token": refresh }))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn jwks_publishes_rsa_keys_and_rotation_keeps_old_ones_until_their_tokens_expire() {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    server.add_user("admin", "admin-secret", true);
    let old_access = token(
        &server.tokens("admin", "admin-secret").await,
        "access_token",
    );

    let response = server
        .http
        .get(server.url("/auth/jwks.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let jwks: Value = response.json().await.expect("json");
    let keys = jwks["keys"].as_array().expect("keys array");
    assert_eq!(keys.len(), 1);
    let key = keys[0].as_object().expect("object");
    let mut fields: Vec<&str> = key.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["alg", "e", "kid", "kty", "n", "use"]);
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert_eq!(key["e"], "AQAB");
    assert_eq!(
        key["n"].as_str().expect("n").len(),
        342,
        "2048-bit modulus, base64url"
    );
    let old_kid = key["kid"].as_str().expect("kid").to_owned();

    let alice_forbidden = server
        .http
        .post(server.url("/admin/keys/rotate"))
        .send()
        .await
        .expect("sent");
    assert_eq!(alice_forbidden.status(), StatusCode::UNAUTHORIZED);
    let rotated: Value = server
        .http
        .post(server.url("/admin/keys/rotate"))
        .bearer_auth(&old_access)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let new_kid = rotated["kid"].as_str().expect("kid").to_owned();
    assert_ne!(new_kid, old_kid);

    let kids: Vec<String> = server
        .state
        .jwks()
        .keys
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(
        kids,
        [new_kid.clone(), old_kid.clone()],
        "newest first, old kept"
    );
    let new_access = token(
        &server.tokens("admin", "admin-secret").await,
        "access_token",
    );
    let validator = server.state.api_token_validator();
    validator
        .validate(&old_access)
        .expect("old key still validates");
    validator.validate(&new_access).expect("new key validates");
    let header = new_access.split('.').next().expect("header");
    let header: Value = serde_json::from_slice(&base64_url_decode(header)).expect("header json");
    assert_eq!(header["kid"], new_kid.as_str());

    // The old token's last accepted second is iat + TTL + leeway; the key outlives it by the
    // second a stamp may lag a signer's clock.
    clock.advance(Duration::from_secs(900 + 30));
    validator
        .validate(&old_access)
        .expect("old token, last second");
    clock.advance(Duration::from_secs(2));
    assert_eq!(kids_published(&server.state), [new_kid]);
    let remaining = std::fs::read_dir(dir.path().join("keys"))
        .expect("dir")
        .count();
    assert_eq!(
        remaining, 2,
        "file removed at the next rotation or restart, not on read"
    );
}

/// `halo-server keys rotate` is another process writing into the key directory while the
/// server runs: the server must sign with the new key from the next token on, without waiting
/// for a reload, and keep the old key until the last token it signed has expired.
#[tokio::test]
async fn a_key_added_by_another_process_signs_next_and_the_old_one_outlives_its_tokens() {
    let (dir, clock, server) = with_alice().await;
    let start = clock.now();
    let old = token(
        &server.tokens("alice", "alice-secret").await,
        "access_token",
    );
    let old_kid = kid(&old);

    // The worst case the rule allows: the new key's stamp was read in the second before the
    // signer read its clock, and its file appeared just after the signer listed the directory.
    common::seed_key(dir.path(), "key-b", start - 1);
    let new_kid = kid(&token(
        &server.tokens("alice", "alice-secret").await,
        "access_token",
    ));
    assert_ne!(
        new_kid, old_kid,
        "signed with the new key, no reload needed"
    );
    let published: Value = server
        .http
        .get(server.url("/auth/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = published["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid"))
        .collect();
    assert_eq!(kids, [new_kid.as_str(), old_kid.as_str()]);

    // The old token's last accepted second: the old key is still there to check it.
    clock.advance(Duration::from_secs(900 + 30));
    let response = server
        .http
        .get(server.url("/users/me"))
        .bearer_auth(&old)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK, "old token, last second");
    assert_eq!(kids_published(&server.state), [new_kid.clone(), old_kid]);

    // One second later nothing the old key signed is accepted, and it is gone.
    clock.advance(Duration::from_secs(1));
    assert_eq!(kids_published(&server.state), [new_kid]);
}

#[tokio::test]
async fn health_and_metrics() {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    let health: Value = server
        .http
        .get(server.url("/health"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    let response = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let text = response.text().await.expect("text");
    for name in [
        "halo_users_logins_total",
        "halo_users_lockouts_total",
        "halo_users_tokens_issued_total",
        "halo_users_refreshes_total",
    ] {
        assert!(text.contains(&format!("# TYPE {name} counter")), "{name}");
    }
}

#[tokio::test]
async fn digest_ha1_is_stored_for_the_realm() {
    let (_dir, _clock, server) = with_alice().await;
    for algorithm in [DigestAlgorithm::Md5, DigestAlgorithm::Sha256] {
        let expected = algorithm.ha1("alice", common::DOMAIN, "alice-secret");
        let stored = server.state.digest_ha1("alice", algorithm).expect("lookup");
        assert_eq!(stored.as_deref(), Some(expected.as_str()));
    }
    assert_eq!(
        server
            .state
            .digest_ha1("nobody", DigestAlgorithm::Md5)
            .expect("lookup"),
        None
    );
}

#[tokio::test]
async fn metrics_count_sign_ins_by_outcome() {
    let (_dir, _clock, server) = with_alice().await;
    let bob = server.add_user("bob", "bob-secret", false);
    server
        .state
        .update_user(
            bob.id,
            users::UserUpdate {
                disabled: Some(true),
                ..Default::default()
            },
        )
        .expect("bob disabled");

    server.tokens("alice", "alice-secret").await;
    assert_eq!(
        server.login("bob", "bob-secret").await.status(),
        StatusCode::FORBIDDEN
    );
    for _ in 0..5 {
        server.login("alice", "guess-guess").await;
    }
    assert_eq!(
        server.login("alice", "alice-secret").await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let text = server
        .http
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("text");
    let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
    for expected in [
        "halo_users_logins_total{result=\"ok\"} 1",
        // The disabled account, five wrong passwords, one attempt while locked.
        "halo_users_logins_total{result=\"failed\"} 7",
        "halo_users_lockouts_total 1",
        "halo_users_tokens_issued_total 1",
    ] {
        assert!(samples.contains(&expected), "{expected} in {text}");
    }
}

fn kids_published(state: &AppState) -> Vec<String> {
    state.jwks().keys.into_iter().map(|k| k.kid).collect()
}

/// The `kid` in a token's header.
fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("header");
    let header: Value = serde_json::from_slice(&base64_url_decode(header)).expect("header json");
    header["kid"].as_str().expect("kid").to_owned()
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

/// A users service on a loopback port, over a real SQLite file, with a clock the test moves.
/// A served users API over a fresh data dir, with alice (`alice-secret`) added.
async fn with_alice() -> (tempfile::TempDir, ManualClock, Server) {
    let (dir, clock) = seeded();
    let server = Server::start(common::config(dir.path()), &clock).await;
    server.add_user("alice", "alice-secret", false);
    (dir, clock, server)
}

pub(crate) struct Server {
    pub(crate) base: String,
    pub(crate) state: AppState,
    pub(crate) http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub(crate) async fn start(config: Config, clock: &ManualClock) -> Self {
        let state = AppState::open(config, Arc::new(clock.clone())).expect("service opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds loopback");
        let base = format!("http://{}", listener.local_addr().expect("has address"));
        let router = users::router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serves");
        });
        Self {
            base,
            state,
            http: reqwest::Client::new(),
            task,
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a user directly through the service, as the CLI does.
    pub(crate) fn add_user(&self, username: &str, password: &str, admin: bool) -> users::User {
        let roles = if admin {
            vec![users::Role::User, users::Role::Admin]
        } else {
            vec![users::Role::User]
        };
        let new: users::NewUser = serde_json::from_value(json!({
            "username": username, "password": password, "roles": roles,
        }))
        .expect("valid new user");
        self.state.create_user(new).expect("user created")
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub(crate) async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post(
            "/auth/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Logs in and returns the token response, asserting success.
    pub(crate) async fn tokens(&self, username: &str, password: &str) -> Value {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), 200, "login of {username}");
        response.json().await.expect("json body")
    }
}

/// The `error.code` of a JSON error body.
pub(crate) async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("json error body");
    body["error"]["code"]
        .as_str()
        .expect("error.code is a string")
        .to_owned()
}
