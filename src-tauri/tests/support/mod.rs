//! What the desktop app's end-to-end test stands on: `halo-server` and a headless `halo`
//! phone as real processes on loopback (as in `crates/session/tests/common`), an X server
//! (Xvfb), `tauri-driver` in front of WebKitWebDriver, and a W3C WebDriver client over plain
//! HTTP. Every process is killed by its PID when its guard drops, on failure too.
//!
//! Nothing here skips: a missing tool is a failure that says how to install it.

#[path = "../../../crates/session/tests/support/processes.rs"]
mod processes;
pub(crate) mod webdriver;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use processes::spawn_halo;
pub(crate) use processes::{free_port, Proc};

/// How `scripts/install-deps.sh` gets what these tests need.
const INSTALL_HINT: &str = "run scripts/install-deps.sh (as root: apt-get install xvfb xauth \
     webkit2gtk-driver libwebkit2gtk-4.1-dev, and cargo install tauri-driver --locked)";

/// `cargo test --workspace` builds the workspace's binaries beside this test's executable
/// (`target/<profile>/deps/<test>` → `target/<profile>/<name>`).
pub(crate) fn target_profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    exe.parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps")
        .to_owned()
}

/// A binary of another workspace package, which this package cannot depend on.
pub(crate) fn workspace_binary(name: &str, package: &str) -> PathBuf {
    let path = target_profile_dir().join(name);
    assert!(
        path.exists(),
        "{} is missing: build it into this target dir first (cargo build -p {package}, or run \
         cargo test --workspace)",
        path.display()
    );
    path
}

/// A tool on the PATH, or a failure naming how to install it.
pub(crate) fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([dirs_cargo_bin()])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed: {INSTALL_HINT}"))
}

/// `cargo install` puts tauri-driver here, which a CI shell may not have on its PATH.
fn dirs_cargo_bin() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_default()
        .join("bin")
}

/// Waits until `ready` holds, polling, or fails naming `what`.
pub(crate) fn wait_until(what: &str, within: Duration, mut ready: impl FnMut() -> bool) {
    let end = Instant::now() + within;
    while !ready() {
        assert!(Instant::now() < end, "{what} within {within:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `halo-server --demo` (alice, bob, carol, `USER-secret`, domain `halo.test`) on free
/// loopback ports with its data in a temp dir.
pub(crate) struct Server {
    pub(crate) http: u16,
    pub(crate) sip: u16,
    pub(crate) dir: tempfile::TempDir,
    _proc: Proc,
}

impl Server {
    pub(crate) fn start() -> Server {
        let (http, sip) = (free_port(), free_port());
        let dir = tempfile::tempdir().expect("temp dir");
        let log = std::fs::File::create(dir.path().join("server.log")).expect("server log");
        let child = Command::new(workspace_binary("halo-server", "halo-server"))
            .args(["serve", "--demo", "--domain", "halo.test", "--data"])
            .arg(dir.path().join("server"))
            .args(["--http", &format!("127.0.0.1:{http}")])
            .args(["--sip", &format!("127.0.0.1:{sip}")])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("halo-server starts");
        let proc = Proc(child);
        wait_until("halo-server listening", Duration::from_secs(30), || {
            std::net::TcpStream::connect(("127.0.0.1", http)).is_ok()
        });
        Server {
            http,
            sip,
            dir,
            _proc: proc,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http)
    }
}

/// A headless `halo` phone: commands on its stdin, JSON events from its stdout.
pub(crate) struct Phone {
    _proc: Proc,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
    seen: Vec<Value>,
}

impl Phone {
    /// A demo user of `server`, signed in by token, with its data under `data`.
    pub(crate) fn start(server: &Server, user: &str, data: &Path) -> Phone {
        let mut cmd = Command::new(workspace_binary("halo", "halo-session"));
        cmd.args(["--server", &server.url()])
            .args(["--registrar", &format!("sip:127.0.0.1:{}", server.sip)])
            .args(["--user", user, "--password-env", "HALO_TEST_PW", "--data"])
            .arg(data)
            .env("HALO_TEST_PW", format!("{user}-secret"));
        let (child, stdin, events) = spawn_halo(cmd);
        Phone {
            _proc: Proc(child),
            stdin,
            events,
            seen: Vec::new(),
        }
    }

    pub(crate) fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("halo reads stdin");
    }

    /// The next event for which `pred` holds, within twenty seconds; earlier ones are passed.
    pub(crate) fn wait(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + Duration::from_secs(20);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if pred(&v) {
                        return v;
                    }
                }
                Err(_) => break,
            }
        }
        let tail: Vec<String> = self
            .seen
            .iter()
            .rev()
            .take(15)
            .map(|v| v.to_string())
            .collect();
        panic!(
            "the phone saw no {what}; its last events, newest first:\n{}",
            tail.join("\n")
        );
    }
}

/// An X server of our own: Xvfb picks a free display and tells us its number.
pub(crate) struct Display {
    pub(crate) name: String,
    _proc: Proc,
}

impl Display {
    pub(crate) fn start() -> Display {
        let mut child = Command::new(tool("Xvfb"))
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let stdout = child.stdout.take().expect("piped");
        let proc = Proc(child);
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("Xvfb writes its display number");
        let number: u32 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("Xvfb gave no display number (got {line:?})"));
        Display {
            name: format!(":{number}"),
            _proc: proc,
        }
    }
}

/// `tauri-driver` on free loopback ports, with WebKitWebDriver behind it. The app it starts
/// inherits this environment: the display, and config and data folders of its own.
pub(crate) struct Driver {
    pub(crate) port: u16,
    proc: Option<Proc>,
}

impl Driver {
    pub(crate) fn start(display: &Display, home: &Path) -> Driver {
        let (port, native) = (free_port(), free_port());
        tool("WebKitWebDriver");
        let child = Command::new(tool("tauri-driver"))
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_CACHE_HOME", home.join("cache"))
            // No keyring here, as in CI: the app must say so and sign in all the same. Nor
            // may the test touch the developer's own session bus.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                format!("unix:path={}", home.join("no-bus").display()),
            )
            .env_remove("HALO_SERVER")
            .env_remove("HALO_USER")
            .env_remove("HALO_PASSWORD")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tauri-driver starts");
        let driver = Driver {
            port,
            proc: Some(Proc(child)),
        };
        // The port opens before the driver can take sessions: wait for /status to say so.
        let http = reqwest::blocking::Client::new();
        let status = format!("http://127.0.0.1:{port}/status");
        wait_until("tauri-driver ready", Duration::from_secs(30), || {
            http.get(&status)
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        driver
    }
}

impl Drop for Driver {
    /// WebKitWebDriver and the app are the driver's descendants: killed first, by PID, while
    /// the parent links that find them still stand.
    fn drop(&mut self) {
        if let Some(proc) = self.proc.take() {
            let pids = descendants(proc.0.id());
            if !pids.is_empty() {
                let _ = Command::new("kill")
                    .arg("-KILL")
                    .args(pids.iter().map(u32::to_string))
                    // Some may have exited since the scan; that is what we wanted anyway.
                    .stderr(Stdio::null())
                    .status();
            }
        }
    }
}

/// Every process below `root`, deepest first, from `/proc/<pid>/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let parents: Vec<(u32, u32)> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for &(pid, _) in parents.iter().filter(|(_, ppid)| *ppid == parent) {
            found.push(pid);
            frontier.push(pid);
        }
    }
    found.reverse();
    found
}
