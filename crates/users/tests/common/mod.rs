//! A users service on a loopback port, over a real SQLite file, with a clock the test moves.

use std::path::Path;
use std::sync::Arc;

use serde_json::{json, Value};
use users::{AppState, Argon2Config, Clock as _, Config, ManualClock};

pub const DOMAIN: &str = "example.test";

/// Argon2 at its minimum cost: the tests exercise the logic, the benchmark the cost.
pub fn config(data: &Path) -> Config {
    let mut config = Config::new(data, DOMAIN);
    config.argon2 = Argon2Config {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    config
}

/// RSA key generation takes many seconds in an unoptimised build, so most tests start from a
/// pre-made key; the tests of first start and rotation generate their own.
pub fn seed_key(data: &Path, fixture: &str, created: i64) {
    let keys = data.join("keys");
    std::fs::create_dir_all(&keys).expect("keys dir");
    let pem = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{fixture}.pem")),
    )
    .expect("fixture key");
    std::fs::write(keys.join(format!("{created}-{fixture}.pem")), pem).expect("seeded key");
}

/// A data directory with one pre-made key, and a clock at the current time.
pub fn seeded() -> (tempfile::TempDir, ManualClock) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::starting_now();
    seed_key(dir.path(), "key-a", clock.now() - 3600);
    (dir, clock)
}

pub struct Server {
    pub base: String,
    pub state: AppState,
    pub http: reqwest::Client,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    pub async fn start(config: Config, clock: &ManualClock) -> Self {
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates a user directly through the service, as the CLI does.
    pub fn add_user(&self, username: &str, password: &str, admin: bool) -> users::User {
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

    pub async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .expect("request sent")
    }

    pub async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.post(
            "/auth/login",
            json!({ "username": username, "password": password }),
        )
        .await
    }

    /// Logs in and returns the token response, asserting success.
    pub async fn tokens(&self, username: &str, password: &str) -> Value {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), 200, "login of {username}");
        response.json().await.expect("json body")
    }
}

/// The `error.code` of a JSON error body.
pub async fn error_code(response: reqwest::Response) -> String {
    let body: Value = response.json().await.expect("json error body");
    body["error"]["code"]
        .as_str()
        .expect("error.code is a string")
        .to_owned()
}
