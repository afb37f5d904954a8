//! Process helpers for tests that run real peers on loopback: every child is killed by PID
//! when its guard drops, so a failing assertion never leaves a process behind.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[path = "../support/rig_lock.rs"]
mod rig;
// Only the Kamailio test binary takes the lock.
#[allow(unused_imports)]
pub(crate) use rig::rig_lock;

/// A child process killed (by PID) on drop.
pub(crate) struct Proc {
    pub(crate) name: String,
    child: Child,
}

impl Proc {
    pub(crate) fn spawn(name: &str, cmd: &mut Command) -> Proc {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            name: name.to_owned(),
            child,
        }
    }

    /// Waits for the process to exit, at most `limit`; kills it and panics after that.
    pub(crate) fn wait(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not finish within {limit:?}", self.name);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything left on a piped stderr (call after the process exited).
    pub(crate) fn stderr(&mut self) -> String {
        let mut text = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut err, &mut text);
        }
        text
    }

    /// Reads stdout lines until one satisfies `want` or the stream ends.
    pub(crate) fn read_until(&mut self, want: impl Fn(&str) -> bool) -> Option<String> {
        let out = self.child.stdout.take()?;
        let mut reader = BufReader::new(out);
        let mut line = String::new();
        let found = loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => break None,
                Ok(_) if want(line.trim_end()) => break Some(line.trim_end().to_owned()),
                Ok(_) => {}
            }
        };
        self.child.stdout = Some(reader.into_inner());
        found
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port free on both UDP and TCP right now.
pub(crate) fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
        let port = udp.local_addr().expect("addr").port();
        if TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).is_ok() {
            return port;
        }
    }
}

pub(crate) fn sip_ua() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sip-ua"))
}

/// The interop rig copied into the repository.
pub(crate) fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// Polls a UDP port until something answers to bind attempts (the port is taken).
pub(crate) fn wait_udp_bound(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while UdpSocket::bind(("127.0.0.1", port)).is_ok() {
        assert!(Instant::now() < deadline, "nothing bound UDP port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls until something accepts TCP connections on the port.
pub(crate) fn wait_tcp_listening(port: u16, limit: Duration) {
    let deadline = Instant::now() + limit;
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "nothing listens on TCP port {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
