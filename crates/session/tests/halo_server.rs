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
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &["--auto-answer"]);
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

fn call_state(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "call" && v["state"] == s
}

#[test]
fn cancel_hold_resume_and_do_not_disturb() {
    let server = Server::start();
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &[]);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));

    // Hung up while ringing: a CANCEL, and bob's phone stops ringing (487).
    alice.send("call sip:bob@halo.test");
    bob.wait("bob's phone rings", is("incoming_call"));
    alice.wait("ringing", call_state("ringing"));
    alice.send("hangup");
    alice.wait("cancelled call ended", call_state("ended"));
    let ended = bob.wait("bob's ringing ended", call_state("ended"));
    assert!(ended["reason"].as_str().is_some(), "{ended}");

    // Answered by hand, held and resumed by re-INVITE, then hung up by bob.
    alice.send("call sip:bob@halo.test");
    bob.wait("bob's phone rings again", is("incoming_call"));
    bob.send("answer");
    alice.wait("answered", call_state("active"));
    bob.wait("bob answered", call_state("active"));
    alice.send("hold");
    alice.wait("held", call_state("held"));
    alice.send("resume");
    alice.wait("resumed", call_state("active"));
    bob.send("hangup");
    bob.wait("bob hung up", call_state("ended"));
    alice.wait("alice's call ended", call_state("ended"));

    // Do not disturb: rejected at once with 486 Busy Here (the default; 603 with --dnd-decline).
    bob.send("status dnd");
    alice.send("buddy add sip:bob@halo.test");
    alice.wait("bob is dnd", |v| {
        v["event"] == "presence" && v["uri"] == "sip:bob@halo.test" && v["status"] == "dnd"
    });
    alice.send("call sip:bob@halo.test");
    let rejected = alice.wait("rejected", call_state("ended"));
    assert!(
        rejected["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("486")),
        "{rejected}"
    );
    bob.quit();
    alice.quit();
}
