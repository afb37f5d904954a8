//! The example UA registers with Digest (MD5, qop=auth) to Kamailio, the interop rig's
//! registrar, over UDP and TCP; Kamailio's own location table must show the binding while we
//! are registered and drop it when we unregister.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{interop_dir, rig_lock, sip_ua, Proc};

/// Starts the rig's Kamailio afresh and stops it (by the PID file the rig keeps) on drop.
struct Kamailio;

impl Kamailio {
    fn start() -> Kamailio {
        let status = Command::new(interop_dir().join("kamailio-up.sh"))
            .env("KAM_FRESH", "1")
            .env("KAM_SIPDUMP", "0")
            .stdout(Stdio::null())
            .status()
            .expect("run kamailio-up.sh");
        assert!(status.success(), "kamailio-up.sh failed");
        Kamailio
    }

    fn lookup(&self, aor: &str) -> String {
        let out = Command::new("kamcmd")
            .args(["-s", "unix:/tmp/sip-interop/kamailio/kamailio_ctl"])
            .args(["ul.lookup", "location", aor])
            .output()
            .expect("run kamcmd");
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new(interop_dir().join("kamailio-down.sh"))
            .stdout(Stdio::null())
            .status();
    }
}

/// `sip-ua register` as alice through the rig, with `password` and extra arguments.
fn register_as_alice(password: &str, extra: &[&str]) -> Proc {
    Proc::spawn(
        "sip-ua register",
        sip_ua()
            .args(["register", "--registrar", "127.0.0.1:5070"])
            .args(["--domain", "example.test", "--user", "alice"])
            .args(["--password-env", "ALICE_PASSWORD"])
            .args(extra)
            .env("ALICE_PASSWORD", password)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    )
}

fn register_and_check(kamailio: &Kamailio, transport: &str) {
    let mut ua = register_as_alice(
        "alice-secret",
        &[
            "--transport",
            transport,
            "--expires",
            "120",
            "--stay-ms",
            "1500",
        ],
    );
    let line = ua
        .read_until(|l| l.starts_with("registered"))
        .expect("the UA reports its registration");
    assert!(line.contains("expires=120"), "{line}");
    let binding = kamailio.lookup("alice@example.test");
    assert!(
        binding.contains("Contact"),
        "Kamailio has no binding: {binding}"
    );
    assert!(binding.contains("sip:alice@127.0.0.1:"), "{binding}");
    if transport == "tcp" {
        assert!(binding.contains("transport=tcp"), "{binding}");
    }
    assert!(ua.read_until(|l| l == "unregistered").is_some());
    assert!(ua.wait(Duration::from_secs(10)).success());
    let after = kamailio.lookup("alice@example.test");
    assert!(
        !after.contains("sip:alice@127.0.0.1:"),
        "binding left behind: {after}"
    );
}

#[test]
fn registers_with_digest_over_udp_and_tcp() {
    let _rig = rig_lock();
    let kamailio = Kamailio::start();
    register_and_check(&kamailio, "udp");
    register_and_check(&kamailio, "tcp");
}

#[test]
fn wrong_password_is_refused_without_looping() {
    let _rig = rig_lock();
    let _kamailio = Kamailio::start();
    let mut ua = register_as_alice("not-her-password", &[]);
    let status = ua.wait(Duration::from_secs(15));
    assert!(!status.success(), "a wrong password must fail");
    let err = ua.stderr();
    assert!(err.contains("authentication failed (401"), "{err}");
}
