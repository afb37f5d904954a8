//! Recovery with real processes over loopback: a `halo-server` killed and started again on
//! the same ports and data, and a 30-second loss of the network made by a UDP relay that
//! drops everything. The phones must say they lost and regained the registration, watch
//! their buddies again, and lose no chat message. Waits are bounded by events; the only
//! deliberate wait is the 30 s outage itself.

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{is, Phone, Server};
use serde_json::Value;

/// Fast keep-alives and retries, so that a loss is noticed in seconds.
const QUICK: &[&str] = &[
    "--keepalive",
    "1",
    "--retry-base-ms",
    "300",
    "--retry-max",
    "3",
];

fn lost(v: &Value) -> bool {
    v["event"] == "registration_failed"
}

fn recovered(v: &Value) -> bool {
    v["event"] == "registered" && v["recovered"] == true
}

fn presence_of<'a>(uri: &'a str, note: &'a str) -> impl Fn(&Value) -> bool + 'a {
    move |v| v["event"] == "presence" && v["uri"] == uri && v["note"] == note
}

fn message(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| v["event"] == "message" && v["text"] == text
}

#[test]
fn server_restart_is_survived() {
    let mut server = Server::start();
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), QUICK);
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), QUICK);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));
    alice.send("buddy add sip:bob@halo.test");
    bob.send("buddy add sip:alice@halo.test");
    alice.send("status away before the restart");
    bob.send("status busy before the restart");
    bob.wait(
        "alice's presence",
        presence_of("sip:alice@halo.test", "before the restart"),
    );
    alice.wait(
        "bob's presence",
        presence_of("sip:bob@halo.test", "before the restart"),
    );

    server.kill();
    let lost_a = alice.wait("alice notices the server is gone", lost);
    assert_eq!(lost_a["code"], 408, "{lost_a}");
    bob.wait("bob notices the server is gone", lost);
    // Typed while the server is down: it waits in alice's outbox.
    alice.send("msg sip:bob@halo.test sent during the outage");
    let queued = alice.wait("queued", is("message_status"));
    assert_eq!(queued["status"], "queued");

    server.run();
    let long = Duration::from_secs(30);
    alice.wait_for(long, "alice registered again", recovered);
    bob.wait_for(long, "bob registered again", recovered);
    bob.wait(
        "alice's presence after the restart",
        presence_of("sip:alice@halo.test", "before the restart"),
    );
    alice.wait(
        "bob's presence after the restart",
        presence_of("sip:bob@halo.test", "before the restart"),
    );
    bob.wait("the outage's message", message("sent during the outage"));
    alice.wait("delivered", |v| {
        v["event"] == "message_status" && v["status"] == "delivered"
    });
    bob.quit();
    alice.quit();
}

/// Forwards datagrams between one phone and the server, or drops them all while `cut`.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
}

impl Relay {
    fn start(server: u16) -> Relay {
        let front = UdpSocket::bind("127.0.0.1:0").expect("relay front");
        let back = UdpSocket::bind("127.0.0.1:0").expect("relay back");
        let port = front.local_addr().expect("bound").port();
        let server = SocketAddr::from(([127, 0, 0, 1], server));
        let cut = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let phone: Arc<Mutex<Option<SocketAddr>>> = Arc::default();
        let tick = Some(Duration::from_millis(100));
        front.set_read_timeout(tick).expect("timeout");
        back.set_read_timeout(tick).expect("timeout");
        let (front2, back2) = (
            front.try_clone().expect("clone"),
            back.try_clone().expect("clone"),
        );
        {
            let (cut, stop, phone) = (cut.clone(), stop.clone(), phone.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 65_535];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((n, from)) = front.recv_from(&mut buf) {
                        *phone.lock().unwrap() = Some(from);
                        if !cut.load(Ordering::Relaxed) {
                            let _ = back.send_to(&buf[..n], server);
                        }
                    }
                }
            });
        }
        {
            let (cut, stop) = (cut.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut buf = [0u8; 65_535];
                while !stop.load(Ordering::Relaxed) {
                    if let Ok((n, _)) = back2.recv_from(&mut buf) {
                        let to = *phone.lock().unwrap();
                        if let (Some(to), false) = (to, cut.load(Ordering::Relaxed)) {
                            let _ = front2.send_to(&buf[..n], to);
                        }
                    }
                }
            });
        }
        Relay { port, cut, stop }
    }

    fn cut(&self, cut: bool) {
        self.cut.store(cut, Ordering::Relaxed);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

#[test]
fn thirty_seconds_without_network_are_survived() {
    let server = Server::start();
    let relay = Relay::start(server.sip);
    let quick = [
        "--keepalive",
        "2",
        "--retry-base-ms",
        "500",
        "--retry-max",
        "3",
    ];
    let mut alice = Phone::halo_via(&server, relay.port, "alice", &server.data("alice"), &quick);
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &[]);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));
    alice.send("buddy add sip:bob@halo.test");
    bob.send("status available before the cut");
    alice.wait(
        "bob's presence",
        presence_of("sip:bob@halo.test", "before the cut"),
    );

    relay.cut(true);
    let cut_at = Instant::now();
    let l = alice.wait("alice notices the loss", lost);
    assert_eq!(l["code"], 408, "{l}");
    alice.wait("bob's presence is no longer known", |v| {
        v["event"] == "watch" && v["uri"] == "sip:bob@halo.test" && v["state"] == "retrying"
    });
    alice.send("msg sip:bob@halo.test typed without network");
    bob.send("msg sip:alice@halo.test sent to alice while she is cut off");
    bob.send("status busy changed during the cut");
    // The outage itself is the scenario: thirty seconds, then the network comes back.
    std::thread::sleep(Duration::from_secs(30).saturating_sub(cut_at.elapsed()));
    relay.cut(false);

    let long = Duration::from_secs(45);
    let r = alice.wait_for(long, "alice registered again", recovered);
    assert!(r["expires"].as_u64() > Some(0), "{r}");
    alice.wait(
        "bob's presence again",
        presence_of("sip:bob@halo.test", "changed during the cut"),
    );
    alice.wait_for(
        long,
        "bob's message from the outage",
        message("sent to alice while she is cut off"),
    );
    bob.wait(
        "alice's message from the outage",
        message("typed without network"),
    );
    alice.wait("alice's message delivered", |v| {
        v["event"] == "message_status" && v["status"] == "delivered"
    });
    bob.quit();
    alice.quit();
}
