//! A call to a user signed in on two devices, through `halo-server`'s forking proxy: the
//! INVITE rings both, the first answer takes the call and the other device stops ringing
//! (CANCEL); when both answer, the caller keeps one call and ends the other dialog with ACK and
//! BYE (RFC 3261 §13.2.2.4). Real processes over loopback, started and stopped by PID.

mod common;

use common::{is, wait_any, Phone, Server};
use serde_json::Value;

fn call_state(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "call" && v["state"] == s
}

/// alice and bob's two devices, all registered.
fn alice_and_two_bobs(server: &Server, first: &[&str], second: &[&str]) -> [Phone; 3] {
    let alice = Phone::halo(server, "alice", &server.data("alice"), &[]);
    let desk = Phone::halo(server, "bob", &server.data("bob-desk"), first);
    let mobile = Phone::halo(server, "bob", &server.data("bob-mobile"), second);
    for (phone, who) in [
        (&alice, "alice"),
        (&desk, "bob's desk"),
        (&mobile, "bob's mobile"),
    ] {
        phone.wait(&format!("{who} registered"), is("registered"));
    }
    [alice, desk, mobile]
}

/// alice's calls: every `call` event she printed names the same call, and it went active
/// once.
fn assert_one_call(alice: &Phone) {
    let calls: Vec<Value> = alice
        .events_so_far()
        .into_iter()
        .filter(|v| v["event"] == "call")
        .collect();
    let ids: Vec<&Value> = calls.iter().map(|v| &v["call"]).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{calls:?}");
    let active = calls.iter().filter(|v| v["state"] == "active").count();
    assert_eq!(active, 1, "{calls:?}");
}

#[test]
fn one_device_answers_and_the_other_stops_ringing() {
    let server = Server::start();
    let [mut alice, desk, mobile] = alice_and_two_bobs(&server, &["--auto-answer"], &[]);

    alice.send("call sip:bob@halo.test");
    mobile.wait("the mobile rings", is("incoming_call"));
    alice.wait("answered", call_state("active"));
    desk.wait("the desk answered", call_state("active"));
    // The proxy CANCELs the branch that lost; the phone reports that as the 487 it answers.
    let ended = mobile.wait("the mobile stops ringing", call_state("ended"));
    assert_eq!(ended["reason"], "487 cancelled by caller", "{ended}");

    alice.send("hangup");
    alice.wait("alice's call ended", call_state("ended"));
    let ended = desk.wait("the desk's call ended", call_state("ended"));
    assert_eq!(ended["reason"], "hangup", "{ended}");
    assert_one_call(&alice);

    for phone in [mobile, desk, alice] {
        phone.quit();
    }
}

/// Both devices answer, every time: the proxy sends both INVITEs before it reads any answer,
/// so each device has the INVITE before any CANCEL, and an auto-answering phone sends its 200
/// in the same step as it reads the INVITE. A CANCEL arriving after that changes nothing, and
/// the proxy relays every 2xx (RFC 6026).
#[test]
fn both_devices_answer_and_alice_ends_the_extra_dialog() {
    let server = Server::start();
    let auto = &["--auto-answer"];
    let [mut alice, desk, mobile] = alice_and_two_bobs(&server, auto, auto);

    alice.send("call sip:bob@halo.test");
    alice.wait("answered", call_state("active"));
    desk.wait("the desk answered", call_state("active"));
    mobile.wait("the mobile answered", call_state("active"));
    // alice's BYE to the 2xx she did not keep ends one device's call while hers goes on.
    let bobs = [&desk, &mobile];
    let (extra, ended) = wait_any(&bobs, "the extra dialog's BYE", call_state("ended"));
    assert_eq!(ended["reason"], "hangup", "{ended}");
    let kept = bobs[1 - extra];

    alice.send("hangup");
    alice.wait("alice's call ended", call_state("ended"));
    kept.wait("the kept call ended", call_state("ended"));
    assert_one_call(&alice);

    for phone in [mobile, desk, alice] {
        phone.quit();
    }
}
