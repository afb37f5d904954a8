//! Against halo-server with real processes over loopback: a phone on TCP talking to one on
//! UDP, a short-lived access token renewed (and the registration with it) before it expires,
//! do-not-disturb declining with 603 under `--dnd-decline`, and a token phone on a server
//! tuned for Digest-only phones (no Bearer challenge).

mod common;

use std::time::{Duration, Instant};

use common::{is, Phone, Server};
use serde_json::Value;

fn call_state(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "call" && v["state"] == s
}

#[test]
fn tcp_phone_registers_chats_and_calls() {
    let server = Server::start();
    let mut alice = Phone::halo(
        &server,
        "alice",
        &server.data("alice"),
        &["--transport", "tcp"],
    );
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &["--auto-answer"]);
    alice.wait("alice registered over TCP", is("registered"));
    bob.wait("bob registered", is("registered"));

    alice.send("status busy on tcp");
    bob.wait("alice's presence", |v| {
        v["event"] == "presence" && v["uri"] == "sip:alice@halo.test" && v["note"] == "on tcp"
    });
    alice.send("msg sip:bob@halo.test over a stream");
    assert_eq!(
        bob.wait("alice's message", is("message"))["text"],
        "over a stream"
    );
    bob.send("msg sip:alice@halo.test and back");
    assert_eq!(
        alice.wait("bob's message", is("message"))["text"],
        "and back"
    );

    alice.send("call sip:bob@halo.test");
    alice.wait("call active", call_state("active"));
    alice.send("hangup");
    bob.wait("bob's call ended", call_state("ended"));
    bob.quit();
    alice.quit();
}

#[test]
fn short_lived_token_is_renewed_before_it_expires() {
    // 8 s tokens, no leeway: an old token is refused at once, so only renewal keeps going.
    let server = Server::start_with_config("[tokens]\naccess_ttl_secs = 8\nleeway_secs = 0\n");
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    let bob = Phone::halo(&server, "bob", &server.data("bob"), &[]);
    let start = Instant::now();
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));
    // Refreshed at 8 s − 5 s = 3 s, each time renewing the registration with the new token.
    for n in 0..4 {
        alice.wait_for(
            Duration::from_secs(6),
            &format!("renewal {n}"),
            is("registered"),
        );
    }
    assert!(
        start.elapsed() > Duration::from_secs(9),
        "past the first token's life"
    );
    alice.send("msg sip:bob@halo.test still signed in");
    let s = alice.wait("delivered", |v| {
        v["event"] == "message_status" && v["status"] != "sent"
    });
    assert_eq!(s["status"], "delivered", "{s}");
    assert_eq!(
        bob.wait("message", is("message"))["text"],
        "still signed in"
    );
    bob.quit();
    alice.quit();
}

#[test]
fn do_not_disturb_declines_with_603() {
    let server = Server::start();
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    let mut bob = Phone::halo(&server, "bob", &server.data("bob"), &["--dnd-decline"]);
    alice.wait("alice registered", is("registered"));
    bob.wait("bob registered", is("registered"));
    bob.send("status dnd");
    alice.wait("bob is dnd", |v| {
        v["event"] == "presence" && v["uri"] == "sip:bob@halo.test" && v["status"] == "dnd"
    });
    alice.send("call sip:bob@halo.test");
    let ended = alice.wait("declined", call_state("ended"));
    assert!(
        ended["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("603")),
        "{ended}"
    );
    bob.quit();
    alice.quit();
}

#[test]
fn token_phone_signs_in_where_only_md5_digest_is_challenged() {
    // What a site with baresip-like phones runs: a single MD5 challenge, no Bearer one. A
    // Halo phone presents its token unasked (and holds the password for Digest besides), so
    // both kinds of phone share the server.
    let server = Server::start_with_config(
        "[registrar]\ndigest_algorithms = [\"MD5\"]\nbearer_challenge = false\n",
    );
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    let bob = Phone::halo(&server, "bob", &server.data("bob"), &[]);
    alice.wait("alice registered by token", is("registered"));
    bob.wait("bob registered by token", is("registered"));
    alice.send("msg sip:bob@halo.test token without a challenge");
    assert_eq!(
        bob.wait("alice's message", is("message"))["text"],
        "token without a challenge"
    );
    bob.quit();
    alice.quit();
}
