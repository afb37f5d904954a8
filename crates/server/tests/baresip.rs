//! Two real baresip phones (software nobody here wrote) against `halo-server --demo` over
//! loopback: Digest registration, each other's presence, MESSAGE both ways, and a call; once
//! over UDP and once over TLS (the server holding a certificate from a per-run CA).
//!
//! The phones are set up by `tests/interop/baresip-up.sh` (the Kamailio rig's script, pointed
//! at this server by environment) on ports of their own: SIP 5380/5384, ctrl_tcp 4741/4742,
//! RTP 12100-12299, so this test can run beside the rig (5070, 5080-5089, 4441-4443).

mod common;

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::{eventually, prepare, Server};

const PORT_OFFSET: u16 = 300;
const RTP_OFFSET: u16 = 2000;
/// The TLS run's phones: SIP 5420/5424 (TLS on the next ports), ctrl_tcp 4781/4782, RTP
/// 12500-12699, apart from the UDP run's so that both tests can run at once.
const TLS_PORT_OFFSET: u16 = 340;
const TLS_RTP_OFFSET: u16 = 2400;

#[path = "../../net/tests/support/certs.rs"]
mod certs;
use certs::make_certificates;

fn free_tcp_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("loopback");
    listener.local_addr().expect("bound").port()
}

/// Stops a phone's process group (baresip-up.sh starts each with setsid) when dropped.
struct Phone {
    pidfile: PathBuf,
}

impl Drop for Phone {
    fn drop(&mut self) {
        let Ok(pid) = std::fs::read_to_string(&self.pidfile) else {
            return;
        };
        let group = format!("-{}", pid.trim());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        std::thread::sleep(Duration::from_millis(300));
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    }
}

/// baresip's ctrl_tcp: JSON in netstrings. Responses are matched by token; events are kept.
struct Ctrl {
    stream: TcpStream,
    buf: Vec<u8>,
    events: Vec<Value>,
    token: u32,
}

impl Ctrl {
    fn connect(port: u16) -> Ctrl {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut last = None;
        for _ in 0..50 {
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    return Ctrl {
                        stream,
                        buf: Vec::new(),
                        events: Vec::new(),
                        token: 0,
                    }
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("ctrl_tcp {port}: {last:?}");
    }

    fn command(&mut self, command: &str, params: Option<&str>) -> Value {
        self.token += 1;
        let token = format!("t{}", self.token);
        let mut msg = json!({"command": command, "token": token});
        if let Some(p) = params {
            msg["params"] = json!(p);
        }
        let raw = msg.to_string();
        let framed = format!("{}:{raw},", raw.len());
        self.stream
            .write_all(framed.as_bytes())
            .expect("ctrl_tcp write");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let msg = self
                .read(deadline)
                .unwrap_or_else(|| panic!("no response to {command}"));
            if msg["response"] == json!(true) && msg["token"] == json!(token) {
                return msg;
            }
        }
    }

    /// The text a command answers with, without terminal colours.
    fn text(&mut self, command: &str) -> String {
        strip_ansi(
            self.command(command, None)["data"]
                .as_str()
                .unwrap_or_default(),
        )
    }

    fn wait_event(&mut self, kind: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(i) = self.events.iter().position(|e| e["type"] == json!(kind)) {
                self.events.drain(..=i);
                return true;
            }
            if self.read(deadline).is_none() {
                return false;
            }
        }
    }

    /// The next message, filing events; `None` at the deadline.
    fn read(&mut self, deadline: Instant) -> Option<Value> {
        loop {
            if let Some(msg) = self.take_frame() {
                if msg["event"] == json!(true) {
                    self.events.push(msg.clone());
                }
                return Some(msg);
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("timeout set");
            let mut chunk = [0u8; 8192];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return None,
            }
        }
    }

    fn take_frame(&mut self) -> Option<Value> {
        let colon = self.buf.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&self.buf[..colon]).ok()?.parse().ok()?;
        if self.buf.len() < colon + 1 + len + 1 {
            return None;
        }
        let payload = self.buf[colon + 1..colon + 1 + len].to_vec();
        self.buf.drain(..colon + 1 + len + 1);
        serde_json::from_slice(&payload).ok().or(Some(Value::Null))
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// How `ctrl`'s phone shows `name` in its contact list (Online, Offline, Busy, Unknown).
fn shows(ctrl: &mut Ctrl, name: &str, status: &str) -> bool {
    ctrl.text("contacts").lines().any(|l| {
        let mut words = l.split_whitespace().skip_while(|w| *w != status);
        words.next() == Some(status) && words.next() == Some(name)
    })
}

fn log_of(run: &Path, user: &str) -> String {
    strip_ansi(
        &std::fs::read_to_string(run.join(format!("baresip/{user}/out.log"))).unwrap_or_default(),
    )
}

/// The WAV of what a phone received in its latest call (baresip's sndfile `dump-*-dec.wav`).
fn newest_received_audio(dir: &Path) -> PathBuf {
    std::fs::read_dir(dir)
        .expect("the phone's directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("dump-") && n.ends_with("-dec.wav"))
        })
        .max_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .expect("baresip recorded what it received")
}

/// The frequency of the tone in `wav` by zero crossings, over its 20 ms frames loud enough
/// to hold one (the echo's delay and the call's edges are silence), and how long those last.
fn tone_of(wav: &Path) -> (f64, f64) {
    let mut reader = hound::WavReader::open(wav).expect("a WAV file");
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    let samples: Vec<f64> = reader
        .samples::<i16>()
        .map_while(Result::ok)
        .step_by(channels)
        .map(f64::from)
        .collect();
    let frame = (spec.sample_rate / 50) as usize;
    let (mut crossings, mut loud) = (0usize, 0usize);
    for chunk in samples.chunks_exact(frame) {
        let rms = (chunk.iter().map(|s| s * s).sum::<f64>() / frame as f64).sqrt();
        if rms < 500.0 {
            continue;
        }
        loud += 1;
        crossings += chunk
            .windows(2)
            .filter(|w| (w[0] < 0.0) != (w[1] < 0.0))
            .count();
    }
    let seconds = loud as f64 / 50.0;
    if seconds == 0.0 {
        return (0.0, 0.0);
    }
    (crossings as f64 / 2.0 / seconds, seconds)
}

fn baresip_installed() -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join("baresip").is_file()))
}

#[test]
fn two_baresip_phones_register_see_presence_chat_and_call_through_halo_server() {
    two_baresip_phones(Transport::Udp);
}

#[test]
fn the_same_over_tls() {
    two_baresip_phones(Transport::Tls);
}

#[derive(Clone, Copy, PartialEq)]
enum Transport {
    Udp,
    Tls,
}

fn two_baresip_phones(transport: Transport) {
    assert!(
        baresip_installed(),
        "baresip is not installed: run tests/interop/install.sh (this test never skips)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    prepare(dir.path());
    // baresip 1.0 (libre) abandons a 401 with any challenge but one MD5 Digest: configure
    // the server as an operator with such phones would.
    let config = dir.path().join("halo.toml");
    let mut text = std::fs::read_to_string(&config).expect("config written");
    let tls = (transport == Transport::Tls).then(|| {
        make_certificates(dir.path());
        let addr = SocketAddr::from(([127, 0, 0, 1], free_tcp_port()));
        // A top-level key: before the tables the prepared file already has.
        text = format!(
            "sip_tls = \"{addr}\"\n{text}[tls]\ncert = {:?}\nkey = {:?}\n",
            dir.path().join("cert.pem"),
            dir.path().join("key.pem")
        );
        addr
    });
    text.push_str("[registrar]\ndigest_algorithms = [\"MD5\"]\nbearer_challenge = false\n");
    std::fs::write(&config, text).expect("config extended");
    let server = Server::start(dir.path(), SocketAddr::from(([127, 0, 0, 1], 0)));
    let run = dir.path().join("interop");
    // Each transport's phones on ports of their own, so the two tests can run side by side.
    let (offset, rtp_offset) = match transport {
        Transport::Udp => (PORT_OFFSET, RTP_OFFSET),
        Transport::Tls => (TLS_PORT_OFFSET, TLS_RTP_OFFSET),
    };
    let phones: Vec<Phone> = ["alice", "bob"]
        .iter()
        .map(|u| Phone {
            pidfile: run.join(format!("baresip/{u}/baresip.pid")),
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/baresip-up.sh");
    let mut up = Command::new("bash");
    up.arg(script)
        .args(["alice", "bob"])
        .env("INTEROP_RUN_DIR", &run)
        .env("SIP_DOMAIN", "example.test")
        .env("BARESIP_PROXY", server.sip.to_string())
        .env("BARESIP_PORT_OFFSET", offset.to_string())
        .env("BARESIP_RTP_OFFSET", rtp_offset.to_string());
    if let Some(addr) = tls {
        up.env("BARESIP_PROXY", addr.to_string())
            .env("BARESIP_TRANSPORT", "tls")
            .env("BARESIP_CAFILE", dir.path().join("ca.pem"));
    }
    let up = up.output().expect("baresip-up.sh runs");
    assert!(
        up.status.success(),
        "baresip-up.sh: {}",
        String::from_utf8_lossy(&up.stderr)
    );
    let mut alice = Ctrl::connect(4441 + offset);
    let mut bob = Ctrl::connect(4442 + offset);

    for (name, ctrl) in [("alice", &mut alice), ("bob", &mut bob)] {
        assert!(
            eventually(Duration::from_secs(15), || ctrl
                .text("reginfo")
                .contains(" OK ")),
            "{name} registered with Digest: {}",
            ctrl.text("reginfo")
        );
    }

    // Each PUBLISHes "open" and SUBSCRIBEs to the other; halo-server composes and NOTIFYs.
    assert!(
        eventually(Duration::from_secs(15), || shows(
            &mut bob, "Alice", "Online"
        )),
        "bob sees alice online: {}",
        bob.text("contacts")
    );
    assert!(
        eventually(Duration::from_secs(15), || shows(
            &mut alice, "Bob", "Online"
        )),
        "alice sees bob online: {}",
        alice.text("contacts")
    );

    // `message` goes to the current contact: the other phone.
    for (from, to, ctrl) in [("alice", "bob", &mut alice), ("bob", "alice", &mut bob)] {
        let text = format!("Hello {to}, this is {from} via halo-server");
        let sent = ctrl.command("message", Some(&text));
        assert_eq!(sent["ok"], json!(true), "{from} sent: {sent}");
        let shown = format!("sip:{from}@example.test: \"{text}\"");
        assert!(
            eventually(Duration::from_secs(10), || log_of(&run, to)
                .contains(&shown)),
            "{to} printed the MESSAGE: {}",
            log_of(&run, to)
        );
    }

    // bob auto-answers (answermode=auto); the call is proxied with Record-Route.
    alice.command("dial", Some("sip:bob@example.test"));
    assert!(
        bob.wait_event("CALL_ESTABLISHED", Duration::from_secs(15)),
        "bob's call established"
    );
    assert!(
        alice.wait_event("CALL_ESTABLISHED", Duration::from_secs(15)),
        "alice's call established"
    );
    std::thread::sleep(Duration::from_secs(1));
    alice.command("hangup", None);
    assert!(
        alice.wait_event("CALL_CLOSED", Duration::from_secs(10)),
        "alice's call closed"
    );
    assert!(
        bob.wait_event("CALL_CLOSED", Duration::from_secs(10)),
        "bob's call closed (BYE relayed in the dialog)"
    );

    // The echo buddy answers itself and plays alice's own 440 Hz tone back to her.
    alice.command("dial", Some("sip:echo@example.test"));
    assert!(
        alice.wait_event("CALL_ESTABLISHED", Duration::from_secs(15)),
        "the echo buddy answered"
    );
    // The call's length is the scenario: long enough to hear the delayed echo.
    std::thread::sleep(Duration::from_secs(3));
    alice.command("hangup", None);
    assert!(
        alice.wait_event("CALL_CLOSED", Duration::from_secs(10)),
        "the echo call closed"
    );
    let heard = newest_received_audio(&run.join("baresip/alice"));
    let (hz, seconds) = tone_of(&heard);
    println!("through the echo buddy alice heard {hz:.0} Hz for {seconds:.1} s");
    assert!(
        (400.0..480.0).contains(&hz) && seconds >= 1.0,
        "alice hears her 440 Hz back: {hz:.0} Hz for {seconds:.1} s in {}",
        heard.display()
    );
    drop(phones);
    server.stop();
}
