//! What the end-to-end tests share: `halo` phones and a `halo-server` as real processes over
//! loopback, started and stopped by PID, and waits bounded by events rather than sleeps.
//!
//! Nothing here skips: a missing binary or tool is a failure with a message saying how to
//! get it, because a test that quietly passes without running proves nothing.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "../support/processes.rs"]
mod processes;
use processes::spawn_halo;
pub(crate) use processes::{free_port, Proc};

/// A running `halo`: its stdin and its parsed stdout events.
pub(crate) struct Phone {
    pub(crate) child: Proc,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
    /// Events seen but not yet waited for: waits take the first match in arrival order,
    /// whichever order they are asked in (two peers' events interleave freely).
    backlog: RefCell<VecDeque<Value>>,
    /// Every event seen, for failure messages.
    seen: RefCell<Vec<Value>>,
}

impl Phone {
    /// Starts `halo` with `args` and `password` in `$HALO_TEST_PW`.
    pub(crate) fn spawn(args: &[String], password: &str) -> Phone {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_halo"));
        cmd.args(args)
            .args(["--password-env", "HALO_TEST_PW"])
            .env("HALO_TEST_PW", password);
        let (child, stdin, events) = spawn_halo(cmd);
        Phone {
            child: Proc(child),
            stdin,
            events,
            backlog: Default::default(),
            seen: Default::default(),
        }
    }

    /// A demo user of `server` (password `USER-secret`), signing in by token.
    pub(crate) fn halo(server: &Server, user: &str, data: &Path, extra: &[&str]) -> Phone {
        Phone::halo_via(server, server.sip, user, data, extra)
    }

    /// Like [`Phone::halo`], sending SIP to `sip` (a relay) instead of the server itself.
    pub(crate) fn halo_via(
        server: &Server,
        sip: u16,
        user: &str,
        data: &Path,
        extra: &[&str],
    ) -> Phone {
        let mut args: Vec<String> = vec![
            "--server".into(),
            format!("http://127.0.0.1:{}", server.http),
            "--registrar".into(),
            format!("sip:127.0.0.1:{sip}"),
            "--user".into(),
            user.into(),
            "--data".into(),
            data.display().to_string(),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        Phone::spawn(&args, &format!("{user}-secret"))
    }

    pub(crate) fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("halo reads stdin");
    }

    /// The first event not yet taken for which `pred` holds, waiting up to `within`.
    pub(crate) fn wait_for(
        &self,
        within: Duration,
        what: &str,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        self.take(within, &pred).unwrap_or_else(|| {
            panic!(
                "no {what} within {within:?}; last events:\n{}",
                self.recent()
            )
        })
    }

    /// [`Phone::wait_for`] without the panic: `None` when nothing matched in time.
    fn take(&self, within: Duration, pred: &impl Fn(&Value) -> bool) -> Option<Value> {
        let mut backlog = self.backlog.borrow_mut();
        if let Some(i) = backlog.iter().position(pred) {
            return backlog.remove(i);
        }
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(v) => {
                    self.seen.borrow_mut().push(v.clone());
                    if pred(&v) {
                        return Some(v);
                    }
                    backlog.push_back(v);
                }
                Err(_) => break,
            }
        }
        None
    }

    /// Every event this phone has printed so far, taken or not, in order.
    pub(crate) fn events_so_far(&self) -> Vec<Value> {
        let mut backlog = self.backlog.borrow_mut();
        while let Ok(v) = self.events.try_recv() {
            self.seen.borrow_mut().push(v.clone());
            backlog.push_back(v);
        }
        self.seen.borrow().clone()
    }

    /// The last events seen, one a line, for failure messages.
    fn recent(&self) -> String {
        let seen = self.seen.borrow();
        let tail: Vec<String> = seen
            .iter()
            .rev()
            .take(15)
            .rev()
            .map(Value::to_string)
            .collect();
        tail.join("\n")
    }

    /// [`Phone::wait_for`] with ten seconds.
    pub(crate) fn wait(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        self.wait_for(Duration::from_secs(10), what, pred)
    }

    /// `quit`: waits for the unregistration and a clean exit.
    pub(crate) fn quit(mut self) {
        self.send("quit");
        self.wait("unregistration", is("unregistered"));
        assert!(self.child.0.wait().expect("exits").success());
    }
}

/// The first of `phones` to print an event for which `pred` holds, and that event, within
/// ten seconds: for peers of which any one may be the one to act.
pub(crate) fn wait_any(
    phones: &[&Phone],
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> (usize, Value) {
    let within = Duration::from_secs(10);
    let end = Instant::now() + within;
    // Short turns on each phone in rotation: every wait still ends on an event or the bound.
    let turn = Duration::from_millis(20);
    while Instant::now() < end {
        for (i, phone) in phones.iter().enumerate() {
            if let Some(v) = phone.take(turn, &pred) {
                return (i, v);
            }
        }
    }
    let recent: Vec<String> = phones.iter().map(|p| p.recent()).collect();
    panic!(
        "no {what} within {within:?} on any phone; last events:\n{}",
        recent.join("\n--\n")
    );
}

/// An event-name predicate.
pub(crate) fn is(event: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v["event"] == event
}

/// The `halo-server` binary `cargo test --workspace` builds beside this test's own
/// executable (`target/debug/deps/<test>` → `target/debug/halo-server`).
pub(crate) fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows its path");
    let debug = exe
        .parent()
        .and_then(Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = debug.join("halo-server");
    assert!(
        path.exists(),
        "{} is missing: build it into this target dir first (cargo build -p halo-server, \
         or run cargo test --workspace)",
        path.display()
    );
    path
}

/// A `halo-server` with the demo users, on loopback ports chosen once, so that it can be
/// stopped and started again at the same addresses with the same data.
pub(crate) struct Server {
    pub(crate) http: u16,
    pub(crate) sip: u16,
    pub(crate) dir: tempfile::TempDir,
    proc: Option<Proc>,
    extra_env: Vec<(String, String)>,
    /// A `--config` TOML file, when the test needs non-default settings.
    config: Option<PathBuf>,
}

impl Server {
    pub(crate) fn start() -> Server {
        Server::start_with_env(&[])
    }

    /// With extra environment (e.g. configuration overrides).
    pub(crate) fn start_with_env(env: &[(&str, &str)]) -> Server {
        let mut s = Server {
            http: free_port(),
            sip: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            proc: None,
            extra_env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            config: None,
        };
        s.run();
        s
    }

    /// With `toml` as its configuration file (e.g. short-lived tokens).
    pub(crate) fn start_with_config(toml: &str) -> Server {
        let mut s = Server {
            http: free_port(),
            sip: free_port(),
            dir: tempfile::tempdir().expect("temp dir"),
            proc: None,
            extra_env: Vec::new(),
            config: None,
        };
        let path = s.dir.path().join("halo.toml");
        std::fs::write(&path, toml).expect("config written");
        s.config = Some(path);
        s.run();
        s
    }

    /// Starts the process (again) and waits until its HTTP port answers.
    pub(crate) fn run(&mut self) {
        assert!(self.proc.is_none(), "already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("server.log"))
            .expect("server log");
        let mut cmd = Command::new(server_binary());
        if let Some(config) = &self.config {
            cmd.arg("--config").arg(config);
        }
        let child = cmd
            .args(["serve", "--data"])
            .arg(self.dir.path().join("server"))
            .args(["--http", &format!("127.0.0.1:{}", self.http)])
            .args(["--sip", &format!("127.0.0.1:{}", self.sip)])
            .args(["--domain", "halo.test", "--demo"])
            .envs(self.extra_env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("halo-server starts");
        self.proc = Some(Proc(child));
        let end = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", self.http)).is_err() {
            assert!(Instant::now() < end, "halo-server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process by its PID (no graceful shutdown: a crash, as far as peers know).
    pub(crate) fn kill(&mut self) {
        drop(self.proc.take());
    }

    pub(crate) fn data(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Server {
    /// A failing test shows the end of the server's log: the temp dir holding it goes away.
    fn drop(&mut self) {
        self.kill();
        if !std::thread::panicking() {
            return;
        }
        let log = std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        eprintln!("--- last lines of halo-server's log ---");
        for line in tail.iter().rev() {
            eprintln!("{line}");
        }
    }
}
