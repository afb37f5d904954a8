//! Sign-in and token validation throughput at production settings.
//!
//! Login is dominated by Argon2id (19 MiB, 2 passes, 1 lane, the defaults), then the RS256
//! signature and two SQLite writes; validation by the RSA signature check.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use users::{AppState, Config, NewUser, SystemClock};

fn service() -> (tempfile::TempDir, AppState) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = Config::new(dir.path(), "bench.test");
    // Repeated failures would otherwise hit the lockout and skip the Argon2 work being measured.
    config.lockout.max_failures = u32::MAX;
    let state = AppState::open(config, Arc::new(SystemClock)).expect("service opens");
    state
        .create_user(NewUser {
            username: "alice".to_owned(),
            password: "alice-secret".to_owned(),
            display_name: None,
            email: None,
            roles: None,
        })
        .expect("user created");
    (dir, state)
}

fn login(c: &mut Criterion) {
    let (_dir, state) = service();
    c.bench_function(
        "login (argon2id m=19MiB t=2 p=1, RS256 sign, SQLite)",
        |b| {
            b.iter(|| {
                state
                    .login(black_box("alice"), black_box("alice-secret"))
                    .expect("login")
            })
        },
    );
    // Refusals must cost the same whether or not the user exists, or timing enumerates users.
    c.bench_function("login refused, wrong password (argon2 verify)", |b| {
        b.iter(|| {
            state
                .login(black_box("alice"), black_box("wrong-secret"))
                .is_err()
        })
    });
    c.bench_function("login refused, unknown user (dummy argon2 verify)", |b| {
        b.iter(|| {
            state
                .login(black_box("nobody"), black_box("alice-secret"))
                .is_err()
        })
    });
}

fn validate(c: &mut Criterion) {
    let (_dir, state) = service();
    let token = state
        .login("alice", "alice-secret")
        .expect("login")
        .access_token;
    let validator = state.sip_token_validator();
    c.bench_function("validate RS256 access token (in-process)", |b| {
        b.iter(|| validator.validate(black_box(&token)).expect("valid"))
    });
}

criterion_group!(benches, login, validate);
criterion_main!(benches);
