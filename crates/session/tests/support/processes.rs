//! The processes end-to-end tests start: each killed by its PID when dropped, on free
//! loopback ports, and the `halo` CLI driven through its stdin and stdout. Shared by the
//! session and desktop tests (included with `#[path]`).

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;

use serde_json::Value;

/// A child process killed (by its PID) and reaped when dropped, whatever the test did.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A loopback port free for both UDP and TCP: the SIP side of halo-server binds both.
pub(crate) fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("loopback UDP");
        let port = udp.local_addr().expect("bound").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Starts `halo` as `cmd` describes it, driven as tests drive it: commands on its stdin, its
/// stdout read as parsed events on a thread of its own so a test can wait with a timeout.
pub(crate) fn spawn_halo(mut cmd: Command) -> (Child, ChildStdin, mpsc::Receiver<Value>) {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("halo starts");
    let events = json_lines(child.stdout.take().expect("piped"));
    let stdin = child.stdin.take().expect("piped");
    (child, stdin, events)
}

/// Every line `stdout` prints, parsed; a line that is not JSON fails the test.
fn json_lines(stdout: ChildStdout) -> mpsc::Receiver<Value> {
    let (tx, events) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("halo printed a non-JSON line: {line}: {e}"));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    events
}
