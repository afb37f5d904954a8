//! `halo` against the Kamailio rig (Digest) with a baresip peer: presence and MESSAGE both
//! ways. Real processes over loopback, started and stopped by the test. Kamailio and baresip
//! must be installed (`tests/interop/install.sh`; CI does): without them the test fails.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// The rig's fixed ports (5070, 5084, 4442) are shared with every other interop test on the
/// machine, in any crate: an exclusive file lock serialises them.
fn rig_lock() -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("halo-interop-rig.lock"))
        .expect("lock file");
    f.lock().expect("rig lock");
    f
}

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is not installed: run tests/interop/install.sh (this test never skips)"
    );
}

fn script(name: &str, args: &[&str]) {
    let status = Command::new(interop_dir().join(name))
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(status.success(), "{name} failed");
}

fn baresip(cmd: &str, params: &str) -> String {
    let out = Command::new("python3")
        .arg(interop_dir().join("tools/baresip_ctrl.py"))
        .args(["4442", cmd, params])
        .output()
        .expect("baresip_ctrl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A running `halo`, its stdin and its parsed stdout events.
struct Phone {
    child: Child,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
}

impl Phone {
    fn start(user: &str, password: &str, data: &std::path::Path) -> Phone {
        let mut child = Command::new(env!("CARGO_BIN_EXE_halo"))
            .args([
                "--registrar",
                "sip:127.0.0.1:5070",
                "--domain",
                "example.test",
            ])
            .args(["--user", user, "--password-env", "HALO_TEST_PW"])
            .arg("--data")
            .arg(data)
            .env("HALO_TEST_PW", password)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("halo starts");
        let stdout = child.stdout.take().expect("piped");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not a JSON line: {line}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().expect("piped");
        Phone {
            child,
            stdin,
            events,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("halo reads stdin");
    }

    /// The first event (within `within`) for which `pred` holds; earlier ones are dropped.
    fn wait(&self, within: Duration, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let end = Instant::now() + within;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.events.recv_timeout(left) {
                Ok(v) if pred(&v) => return v,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        panic!("no {what} within {within:?}");
    }
}

impl Drop for Phone {
    fn drop(&mut self) {
        // By its PID, whatever state the test left it in.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Stops what the test started, even when an assertion failed.
struct Rig;

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = Command::new(interop_dir().join("baresip-down.sh"))
            .arg("bob")
            .status();
        let _ = Command::new(interop_dir().join("kamailio-down.sh")).status();
    }
}

fn is(event: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v["event"] == event
}

#[test]
fn presence_and_chat_both_ways_with_baresip_over_kamailio() {
    require("kamailio");
    require("baresip");
    let _lock = rig_lock();
    script("kamailio-up.sh", &[]);
    let _rig = Rig;
    script("baresip-up.sh", &["bob"]);
    let data = tempfile::tempdir().unwrap();
    let mut alice = Phone::start("alice", "alice-secret", data.path());
    let secs = Duration::from_secs;

    alice.wait(secs(10), "registration", is("registered"));
    alice.send("status available at my desk ✓");
    alice.send("watch sip:bob@example.test");
    let p = alice.wait(secs(10), "bob's presence", |v| {
        v["event"] == "presence" && v["uri"] == "sip:bob@example.test"
    });
    assert_eq!(p["status"], "available", "{p}");

    // bob's baresip watches alice (its contact list), through Kamailio's presence server.
    let end = Instant::now() + secs(10);
    let mut shown = String::new();
    while Instant::now() < end {
        shown = baresip("contacts", "");
        if shown
            .lines()
            .any(|l| l.contains("Alice") && l.contains("Online"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        shown
            .lines()
            .any(|l| l.contains("Alice") && l.contains("Online")),
        "bob's baresip does not show alice online: {shown}"
    );

    let text = format!("héllo bob ✓ {}", std::process::id());
    alice.send(&format!("msg sip:bob@example.test {text}"));
    alice.wait(secs(10), "delivery", |v| {
        v["event"] == "message_status" && v["status"] == "delivered"
    });
    let log = std::fs::read_to_string("/tmp/sip-interop/baresip/bob/out.log").unwrap_or_default();
    assert!(
        log.contains(&text),
        "bob's baresip did not show the message"
    );

    let reply = format!("hi alice, bob here {}", std::process::id());
    baresip("message", &reply);
    let m = alice.wait(secs(10), "bob's message", is("message"));
    assert_eq!(m["from"], "sip:bob@example.test");
    assert_eq!(m["text"], reply.as_str());

    alice.send("quit");
    alice.wait(secs(10), "unregistration", is("unregistered"));
    let status = alice.child.wait().expect("halo exits");
    assert!(status.success());
}
