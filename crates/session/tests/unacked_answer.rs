//! A caller that never ACKs the answer (sipp, `tests/interop/sipp/uac_no_ack.xml`, through
//! `halo-server` with Digest): the answering `halo` ends the call with a BYE once its 2xx has
//! gone unacknowledged for 64·T1 (RFC 3261 §13.3.1.4), rather than keeping an active call
//! nobody is on. It takes that long by design: about 32 s.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{free_port, is, Phone, Proc, Server};
use serde_json::Value;

fn scenario() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/sipp/uac_no_ack.xml")
}

fn call_state(s: &'static str) -> impl Fn(&Value) -> bool {
    move |v| v["event"] == "call" && v["state"] == s
}

#[test]
fn an_answer_never_acked_is_ended_with_a_bye() {
    let server = Server::start();
    let bob = Phone::halo(&server, "bob", &server.data("bob"), &["--auto-answer"]);
    bob.wait("bob registered", is("registered"));

    let logs = tempfile::tempdir().expect("temp dir");
    let port = free_port().to_string();
    let sipp = Command::new("sipp")
        .arg(format!("127.0.0.1:{}", server.sip))
        .arg("-sf")
        .arg(scenario())
        .args(["-s", "bob", "-au", "alice", "-ap", "alice-secret"])
        .args(["-set", "caller", "alice", "-set", "domain", "halo.test"])
        .args(["-i", "127.0.0.1", "-p", &port, "-t", "u1", "-m", "1"])
        .args([
            "-nostdin",
            "-trace_err",
            "-timeout_error",
            "-timeout",
            "80s",
        ])
        .current_dir(logs.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("sipp is installed (tests/interop/install.sh)");
    let mut sipp = Proc(sipp);

    bob.wait("bob answered", call_state("active"));
    let secs = Duration::from_secs;
    let ended = bob.wait_for(secs(60), "the call ended", call_state("ended"));
    assert_eq!(ended["reason"], "408 answer not acknowledged", "{ended}");

    // sipp passes only if the BYE reached it and it answered.
    let end = Instant::now() + secs(30);
    let status = loop {
        if let Some(status) = sipp.0.try_wait().expect("sipp runs") {
            break status;
        }
        assert!(Instant::now() < end, "sipp did not finish");
        std::thread::sleep(Duration::from_millis(100));
    };
    let errors: String = std::fs::read_dir(logs.path())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect();
    assert!(status.success(), "sipp failed ({status}):\n{errors}");
    bob.quit();
}
