//! The `halo-server` binary as an operator uses it: commands, then a served login over loopback.

use std::io::{BufRead as _, BufReader, Lines, Write as _};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_halo-server");

/// Cheap Argon2, because an unoptimised build would spend seconds per hash at production cost.
fn write_config(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("halo.toml");
    let data = dir.join("data");
    let text = format!(
        "data = {data:?}\ndomain = \"example.test\"\n[argon2]\nmemory_kib = 64\niterations = 1\n"
    );
    std::fs::write(&path, text).expect("config written");
    path
}

/// RSA key generation is slow unoptimised; start from a pre-made key.
fn seed_key(dir: &Path) {
    let keys = dir.join("data/keys");
    std::fs::create_dir_all(&keys).expect("keys dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../users/tests/fixtures/key-a.pem");
    std::fs::copy(fixture, keys.join("1-fixture.pem")).expect("key copied");
}

fn run(config: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(BIN);
    command.arg("--config").arg(config).args(args);
    command.env_remove("HALO_PASSWORD");
    if let Some(password) = password {
        command.env("HALO_PASSWORD", password);
    }
    command.output().expect("halo-server runs")
}

/// Like [`run`] with no `HALO_PASSWORD`, `stdin` typed at the prompt instead.
fn run_with_stdin(config: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("HALO_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("halo-server runs");
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    child.wait_with_output().expect("halo-server ends")
}

fn assert_ok(output: &Output) {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A served process and its stdout, kept open: the server prints more after its address, and a
/// closed pipe would make that fail.
struct Served {
    child: Child,
    _stdout: Lines<BufReader<ChildStdout>>,
}

/// Starts `halo-server serve` on an ephemeral loopback port; returns it and its base URL.
fn serve(config: &Path, args: &[&str]) -> (Served, String) {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(config)
        .args(["serve", "--http", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let base = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.strip_prefix("halo-server listening on ")
                .map(str::to_owned)
        })
        .expect("announces its address");
    (
        Served {
            child,
            _stdout: lines,
        },
        base,
    )
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn user_added_by_the_cli_signs_in_to_the_served_api() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    seed_key(dir.path());

    let added = run(
        &config,
        &["user", "add", "alice", "--display-name", "Alice A"],
        Some("alice-pass-1"),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let again = run(&config, &["user", "add", "alice"], Some("alice-pass-1"));
    assert!(!again.status.success(), "duplicate refused");
    let listed = run(&config, &["user", "list"], None);
    let listing = String::from_utf8_lossy(&listed.stdout);
    assert!(
        listing.contains("alice") && listing.contains("Alice A"),
        "{listing}"
    );

    let sip_port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .expect("a free port")
        .port();
    let sip = format!("127.0.0.1:{sip_port}");
    let (served, base) = serve(&config, &["--demo", "--sip", &sip]);
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let http = reqwest::Client::new();
    let login = |username: &'static str, password: &'static str| {
        http.post(format!("{base}/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
    };
    let response = login("alice", "alice-pass-1").await.expect("sent");
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.expect("json");
    assert_eq!(tokens["sip"]["domain"], "example.test");
    // The bound SIP address is advertised, so a client needs nothing but the HTTP URL.
    assert_eq!(tokens["sip"]["registrar"], format!("sip:{sip}"));
    assert_eq!(
        login("alice", "wrong-pass-1").await.expect("sent").status(),
        401
    );
    assert_eq!(
        login("bob", "bob-secret").await.expect("sent").status(),
        200,
        "demo user"
    );
    assert_eq!(
        login("admin", "admin-secret").await.expect("sent").status(),
        200,
        "demo admin"
    );

    // SIGTERM by pid: the server drains and exits cleanly.
    let pid = served.child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut served = served;
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = served.child.try_wait().expect("waits") {
            break status;
        }
        assert!(Instant::now() < deadline, "server did not stop on SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status}");

    let removed = run(&config, &["user", "remove", "alice"], None);
    assert!(removed.status.success());
    let listed = run(&config, &["user", "list"], None);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("Alice A"));
}

#[test]
fn a_broken_config_file_names_file_line_and_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("halo.toml");
    std::fs::write(
        &config,
        "domain = \"example.test\"\n[lockout]\nmax_failurez = 3\n",
    )
    .expect("written");
    let output = run(&config, &["user", "list"], None);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "{}:3:1: lockout.max_failurez: unknown field",
        config.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
}

/// `keys rotate` writes a key while a server runs. The server signs its next token with it
/// (no reload wait), publishes both keys, and keeps accepting what the old key signed.
#[tokio::test]
async fn keys_rotated_by_the_cli_sign_the_running_servers_next_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    seed_key(dir.path());
    assert_ok(&run(
        &config,
        &["user", "add", "alice"],
        Some("alice-pass-1"),
    ));
    let (_served, base) = serve(&config, &[]);
    let api = Api::new(base);
    let old = api.access_token("alice", "alice-pass-1").await;

    let rotated = run(&config, &["keys", "rotate"], None);
    assert_ok(&rotated);
    let printed = String::from_utf8_lossy(&rotated.stdout);
    let new_kid = printed
        .strip_prefix("new signing key ")
        .and_then(|rest| rest.split(';').next())
        .expect("prints the new kid")
        .to_owned();

    let new = api.access_token("alice", "alice-pass-1").await;
    assert_eq!(kid(&new), new_kid);
    for token in [&old, &new] {
        let me = api
            .http
            .get(api.url("/users/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        assert_eq!(me.status(), 200, "token of key {}", kid(token));
    }
    let jwks: Value = api
        .http
        .get(api.url("/auth/jwks.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid"))
        .collect();
    assert_eq!(kids, [new_kid, kid(&old)], "newest first");
}

/// `user passwd` with the password from `HALO_PASSWORD`, then from stdin, while the server
/// runs: each time the old password stops working, the new one signs in, and the sessions
/// (refresh tokens) started before are over.
#[tokio::test]
async fn user_passwd_changes_the_password_and_ends_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    seed_key(dir.path());
    assert_ok(&run(
        &config,
        &["user", "add", "alice"],
        Some("alice-pass-1"),
    ));
    let (_served, base) = serve(&config, &[]);
    let api = Api::new(base);

    let passwd = ["user", "passwd", "alice"];
    for (old, new, on_stdin) in [
        ("alice-pass-1", "alice-pass-2", false),
        ("alice-pass-2", "alice-pass-3", true),
    ] {
        let session = api.login("alice", old).await;
        assert_eq!(session.status(), 200);
        let session: Value = session.json().await.expect("json");
        let changed = if on_stdin {
            run_with_stdin(&config, &passwd, &format!("{new}\n"))
        } else {
            run(&config, &passwd, Some(new))
        };
        assert_ok(&changed);
        assert_eq!(api.login("alice", old).await.status(), 401, "{old} refused");
        assert_eq!(
            api.login("alice", new).await.status(),
            200,
            "{new} accepted"
        );
        let refreshed = api
            .http
            .post(api.url("/auth/refresh"))
            .json(&json!({ "refresh_token": session["refresh_token"] }))
            .send()
            .await
            .expect("sent");
        assert_eq!(refreshed.status(), 401, "session of {old} revoked");
    }
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    seed_key(dir.path());
    assert_ok(&run_with_stdin(
        &config,
        &["user", "add", "bob"],
        "bob-pass-1\n",
    ));
    let nothing = run_with_stdin(&config, &["user", "add", "carol"], "");
    assert!(!nothing.status.success());
    assert!(String::from_utf8_lossy(&nothing.stderr).contains("no password given"));

    let (_served, base) = serve(&config, &[]);
    let api = Api::new(base);
    assert_eq!(api.login("bob", "bob-pass-1").await.status(), 200);
    assert_eq!(api.login("carol", "").await.status(), 401);
}

/// Arguments show in the process list, so no command takes a password as one.
#[test]
fn passwords_are_not_taken_as_arguments() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = write_config(dir.path());
    seed_key(dir.path());
    for args in [
        &["user", "add", "alice", "alice-pass-1"][..],
        &["user", "add", "alice", "--password", "alice-pass-1"],
        &["user", "passwd", "alice", "alice-pass-1"],
        &["user", "passwd", "alice", "--password", "alice-pass-1"],
    ] {
        let output = run(&config, args, None);
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("unexpected argument"), "{args:?}: {stderr}");
    }
    let listed = run(&config, &["user", "list"], None);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("alice"));
}

/// The served HTTP API at `base`.
struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    fn new(base: String) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        self.http
            .post(self.url("/auth/login"))
            .json(&json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("sent")
    }

    async fn access_token(&self, username: &str, password: &str) -> String {
        let response = self.login(username, password).await;
        assert_eq!(response.status(), 200, "login of {username}");
        let tokens: Value = response.json().await.expect("json");
        tokens["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }
}

/// The `kid` in a JWT's header, base64url decoded by hand: this crate has no base64 dependency.
fn kid(token: &str) -> String {
    let segment = token.split('.').next().expect("header");
    let (mut bits, mut count, mut json) = (0u32, 0, Vec::new());
    for c in segment.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("{c} is not base64url"),
        };
        bits = (bits << 6 | u32::from(value)) & 0xfff;
        count += 6;
        if count >= 8 {
            count -= 8;
            json.push((bits >> count) as u8);
        }
    }
    let header: Value = serde_json::from_slice(&json).expect("header json");
    header["kid"].as_str().expect("kid").to_owned()
}
