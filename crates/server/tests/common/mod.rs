//! A `halo-server serve --demo` on loopback for the tests that talk to it over real sockets.
//! Each test binary uses part of it.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_halo-server");

/// A served process, killed when dropped so a failing test leaves nothing behind.
pub(crate) struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) http: String,
    /// The UDP (and TCP, same port) SIP address.
    pub(crate) sip: SocketAddr,
}

impl Server {
    /// Serves `dir` (made by [`prepare`]) with the demo users, SIP on `sip` (port 0: any).
    pub(crate) fn start(dir: &Path, sip: SocketAddr) -> Server {
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(dir.join("halo.toml"))
            .args(["serve", "--http", "127.0.0.1:0", "--demo", "--sip"])
            .arg(sip.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("halo-server starts");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (mut http, mut addr) = (None, None);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut lines = BufReader::new(stdout).lines();
        while http.is_none() || addr.is_none() {
            assert!(Instant::now() < deadline, "halo-server did not come up");
            let line = lines
                .next()
                .expect("halo-server printed its addresses")
                .expect("readable stdout");
            if let Some(url) = line.strip_prefix("halo-server listening on ") {
                http = Some(url.trim().to_owned());
            }
            if let Some(a) = line.strip_prefix("halo-server SIP on udp and tcp ") {
                addr = Some(a.trim().parse().expect("a socket address"));
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            http: http.expect("checked above"),
            sip: addr.expect("checked above"),
        }
    }

    /// SIGTERM, as an operator stops it; waits for the graceful shutdown.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data directory with a cheap-Argon2 config (an unoptimised build would spend seconds per
/// hash at production cost) and a pre-made signing key (RSA generation is slow too).
pub(crate) fn prepare(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let keys = data.join("keys");
    std::fs::create_dir_all(&keys).expect("keys dir");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../users/tests/fixtures/key-a.pem");
    std::fs::copy(fixture, keys.join("1-fixture.pem")).expect("key copied");
    let text = format!(
        "data = {data:?}\ndomain = \"example.test\"\n[argon2]\nmemory_kib = 64\niterations = 1\n"
    );
    std::fs::write(dir.join("halo.toml"), text).expect("config written");
    data
}

/// Waits until `check` holds, polling; `false` if it never did within `limit`.
pub(crate) fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}
