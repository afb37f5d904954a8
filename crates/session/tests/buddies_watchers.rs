//! The buddy list and watcher consent through halo-server's buddy API, with real processes
//! over loopback: the server's list is the phone's list (and is subscribed at sign-in), a
//! change made on one device is there for the next, and a watcher who is not a buddy waits
//! until allowed, then sees presence, and loses it when blocked.

mod common;

use common::{is, Phone, Server};
use serde_json::Value;

fn uris(list: &Value) -> Vec<String> {
    let mut uris: Vec<String> = list["list"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|b| b["uri"].as_str().expect("a uri").to_owned())
        .collect();
    uris.sort();
    uris
}

fn watcher(uri: &'static str, state: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "watcher" && v["uri"] == uri && v["state"] == state
}

#[test]
fn server_buddy_list_and_watcher_consent() {
    let server = Server::start();
    let mut alice = Phone::halo(&server, "alice", &server.data("alice"), &[]);
    alice.wait("alice registered", is("registered"));

    // The demo list, from the server, and subscribed without being asked.
    alice.send("buddies");
    let list = alice.wait("alice's list", is("buddies"));
    assert_eq!(
        uris(&list),
        [
            "sip:bob@halo.test",
            "sip:carol@halo.test",
            "sip:echo@halo.test"
        ]
    );
    alice.wait("bob's presence, subscribed at sign-in", |v| {
        v["event"] == "presence" && v["uri"] == "sip:bob@halo.test"
    });

    // Carol off the list at the server: her watching now needs alice's consent.
    alice.send("buddy remove sip:carol@halo.test");
    let list = alice.wait("list without carol", is("buddies"));
    assert_eq!(uris(&list), ["sip:bob@halo.test", "sip:echo@halo.test"]);

    alice.send("status away back soon");
    let mut carol = Phone::halo(&server, "carol", &server.data("carol"), &[]);
    carol.wait("carol registered", is("registered"));
    carol.send("watch sip:alice@halo.test");
    carol.wait("carol waits for consent", |v| {
        v["event"] == "watch" && v["uri"] == "sip:alice@halo.test" && v["state"] == "pending"
    });
    alice.wait("carol pending", watcher("sip:carol@halo.test", "pending"));

    alice.send("allow sip:carol@halo.test");
    alice.wait("carol active", watcher("sip:carol@halo.test", "active"));
    let p = carol.wait("alice's presence", |v| {
        v["event"] == "presence" && v["uri"] == "sip:alice@halo.test"
    });
    assert_eq!(
        (p["status"].as_str(), p["note"].as_str()),
        (Some("away"), Some("back soon"))
    );

    alice.send("block sip:carol@halo.test");
    alice.wait(
        "carol terminated",
        watcher("sip:carol@halo.test", "terminated"),
    );
    carol.wait("carol's subscription ended", |v| {
        v["event"] == "watch" && v["uri"] == "sip:alice@halo.test" && v["state"] == "ended"
    });

    // Added back at the server: another device of alice's sees it at sign-in.
    alice.send("buddy add sip:carol@halo.test Carol");
    let list = alice.wait("carol back", is("buddies"));
    assert!(uris(&list).contains(&"sip:carol@halo.test".to_owned()));
    let mut laptop = Phone::halo(&server, "alice", &server.data("alice-laptop"), &[]);
    laptop.wait("laptop registered", is("registered"));
    laptop.send("buddies");
    let list = laptop.wait("laptop's list", is("buddies"));
    assert_eq!(
        uris(&list),
        [
            "sip:bob@halo.test",
            "sip:carol@halo.test",
            "sip:echo@halo.test"
        ]
    );
    let carol_entry = list["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["uri"] == "sip:carol@halo.test")
        .cloned();
    assert_eq!(carol_entry.unwrap()["name"], "Carol");

    laptop.quit();
    carol.quit();
    alice.quit();
}
