//! `halo` against the Kamailio rig (Digest) with a baresip peer: presence and MESSAGE both
//! ways. Real processes over loopback, started and stopped by the test. Kamailio and baresip
//! must be installed (`tests/interop/install.sh`; CI does): without them the test fails.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{is, Phone};

fn interop_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

#[path = "../../net/tests/support/rig_lock.rs"]
mod rig;
use rig::rig_lock;

fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "{tool} is not installed: run tests/interop/install.sh (this test never skips)"
    );
}

fn script(name: &str, args: &[&str]) {
    let status = Command::new(interop_dir().join(name))
        .args(args)
        .stdout(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    assert!(status.success(), "{name} failed");
}

fn baresip(cmd: &str, params: &str) -> String {
    let out = Command::new("python3")
        .arg(interop_dir().join("tools/baresip_ctrl.py"))
        .args(["4442", cmd, params])
        .output()
        .expect("baresip_ctrl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `halo` as alice through the rig's Kamailio (Digest, outbound proxy).
fn alice(data: &std::path::Path) -> Phone {
    let args: Vec<String> = [
        "--registrar",
        "sip:127.0.0.1:5070",
        "--domain",
        "example.test",
        "--user",
        "alice",
        "--data",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([data.display().to_string()])
    .collect();
    Phone::spawn(&args, "alice-secret")
}

/// Stops what the test started, even when an assertion failed.
struct Rig;

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = Command::new(interop_dir().join("baresip-down.sh"))
            .arg("bob")
            .status();
        let _ = Command::new(interop_dir().join("kamailio-down.sh")).status();
    }
}

#[test]
fn presence_and_chat_both_ways_with_baresip_over_kamailio() {
    require("kamailio");
    require("baresip");
    let _lock = rig_lock();
    script("kamailio-up.sh", &[]);
    let _rig = Rig;
    script("baresip-up.sh", &["bob"]);
    let data = tempfile::tempdir().unwrap();
    let mut alice = alice(data.path());
    let secs = Duration::from_secs;

    alice.wait_for(secs(10), "registration", is("registered"));
    alice.send("status available at my desk ✓");
    alice.send("watch sip:bob@example.test");
    let p = alice.wait_for(secs(10), "bob's presence", |v| {
        v["event"] == "presence" && v["uri"] == "sip:bob@example.test"
    });
    assert_eq!(p["status"], "available", "{p}");

    // bob's baresip watches alice (its contact list), through Kamailio's presence server.
    let end = Instant::now() + secs(10);
    let mut shown = String::new();
    while Instant::now() < end {
        shown = baresip("contacts", "");
        if shown
            .lines()
            .any(|l| l.contains("Alice") && l.contains("Online"))
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    assert!(
        shown
            .lines()
            .any(|l| l.contains("Alice") && l.contains("Online")),
        "bob's baresip does not show alice online: {shown}"
    );

    let text = format!("héllo bob ✓ {}", std::process::id());
    alice.send(&format!("msg sip:bob@example.test {text}"));
    alice.wait_for(secs(10), "delivery", |v| {
        v["event"] == "message_status" && v["status"] == "delivered"
    });
    let log = std::fs::read_to_string("/tmp/sip-interop/baresip/bob/out.log").unwrap_or_default();
    assert!(
        log.contains(&text),
        "bob's baresip did not show the message"
    );

    let reply = format!("hi alice, bob here {}", std::process::id());
    baresip("message", &reply);
    let m = alice.wait_for(secs(10), "bob's message", is("message"));
    assert_eq!(m["from"], "sip:bob@example.test");
    assert_eq!(m["text"], reply.as_str());

    alice.quit();
}
