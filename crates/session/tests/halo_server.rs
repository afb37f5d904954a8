//! Two `halo` phones through `halo-server` (Bearer sign-in): register, buddy list, presence
//! both ways with notes, chat both ways, a message stored while the peer is offline and
//! delivered at its next sign-in, a call set up and torn down. Real processes over loopback,
//! started and stopped by PID. Fails (never skips) when the halo-server binary is not built
//! into the same target dir.

mod common;

use common::{is, Phone, Server};
use serde_json::Value;

#[test]
fn two_phones_through_halo_server() {
    let server = Server::start();
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &[]);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));

    bob.send("buddy add sip:alice@halo.test Alice");
    let list = bob.wait("buddy list", is("buddies"));
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
    let m = bob.wait("alice's message", is("message"));
    assert_eq!(
        (m["from"].as_str(), m["text"].as_str()),
        (Some("sip:alice@halo.test"), Some("héllo bob"))
    );
    bob.send("msg sip:alice@halo.test hi alice");
    let m = alice.wait("bob's message", is("message"));
    assert_eq!(m["text"], "hi alice");

    let state = |s: &'static str| move |v: &Value| v["event"] == "call" && v["state"] == s;
    alice.send("call sip:bob@halo.test");
    alice.wait("call answered", state("active"));
    bob.wait("bob in the call", state("active"));
    alice.send("hangup");
    alice.wait("call ended", state("ended"));
    bob.wait("bob's call ended", state("ended"));

    bob.quit();
    alice.quit();
}

#[test]
fn offline_message_delivered_at_next_sign_in() {
    let server = Server::start();
    let (a_data, b_data) = (server.data("alice"), server.data("bob"));
    let mut alice = Phone::halo(&server, "alice", &a_data, &[]);
    let bob = Phone::halo(&server, "bob", &b_data, &[]);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));
    bob.quit();
    alice.send("msg sip:bob@halo.test while you were out");
    let s = alice.wait("stored", |v| {
        v["event"] == "message_status" && (v["status"] == "stored" || v["status"] == "delivered")
    });
    assert_eq!(s["status"], "stored");
    let bob = Phone::halo(&server, "bob", &b_data, &[]);
    let m = bob.wait("offline message", is("message"));
    assert_eq!(m["text"], "while you were out");
    assert_eq!(m["from"], "sip:alice@halo.test");
    bob.quit();
    alice.quit();
}
