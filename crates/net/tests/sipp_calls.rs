//! Calls between the example UA and sipp, a SIP implementation nobody here wrote, over real
//! UDP sockets on loopback: sipp's built-in UAC scenario against our UAS, and our UAC
//! against sipp's built-in UAS scenario. sipp exits 0 only if every call passed.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::{free_port, sip_ua, wait_tcp_listening, wait_udp_bound, Proc};

fn sipp(args: &[&str], dir: &std::path::Path) -> Command {
    let mut cmd = Command::new("sipp");
    cmd.args(args)
        .args([
            "-nostdin",
            "-trace_err",
            "-timeout",
            "30s",
            "-timeout_error",
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

fn error_log(dir: &std::path::Path) -> String {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with("_errors.log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .collect()
}

#[test]
fn sipp_uac_calls_our_uas() {
    sipp_uac_against_our_uas("u1");
}

#[test]
fn sipp_uac_calls_our_uas_over_tcp() {
    sipp_uac_against_our_uas("t1");
}

#[test]
fn our_uac_calls_sipp_uas() {
    our_uac_against_sipp_uas("u1", "udp");
}

#[test]
fn our_uac_calls_sipp_uas_over_tcp() {
    our_uac_against_sipp_uas("t1", "tcp");
}

/// sipp's UAC places 5 calls on `transport` (sipp's `-t`: u1 or t1) to our UAS.
fn sipp_uac_against_our_uas(transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (ua_port, sipp_port) = (free_port(), free_port());
    let mut uas = Proc::spawn(
        "sip-ua uas",
        sip_ua().args([
            "--udp",
            &format!("127.0.0.1:{ua_port}"),
            "--tcp",
            &format!("127.0.0.1:{ua_port}"),
            "uas",
            "--calls",
            "5",
        ]),
    );
    wait_udp_bound(ua_port, Duration::from_secs(10));
    wait_tcp_listening(ua_port, Duration::from_secs(10));
    let mut sipp = Proc::spawn(
        "sipp uac",
        &mut sipp(
            &[
                "-sn",
                "uac",
                &format!("127.0.0.1:{ua_port}"),
                "-i",
                "127.0.0.1",
                "-p",
                &sipp_port.to_string(),
                "-m",
                "5",
                "-r",
                "5",
                "-d",
                "500",
                "-t",
                transport,
            ],
            dir.path(),
        ),
    );
    let status = sipp.wait(Duration::from_secs(60));
    assert!(
        status.success(),
        "sipp uac failed: {status}\n{}",
        error_log(dir.path())
    );
    let status = uas.wait(Duration::from_secs(10));
    assert!(
        status.success(),
        "our UAS did not see 5 calls end: {status}"
    );
}

/// Our UAC calls sipp's UAS on `sipp_transport` (u1 or t1) with our matching `transport`.
fn our_uac_against_sipp_uas(sipp_transport: &str, transport: &str) {
    let dir = tempfile::tempdir().unwrap();
    let sipp_port = free_port();
    let mut sipp = Proc::spawn(
        "sipp uas",
        &mut sipp(
            &[
                "-sn",
                "uas",
                "-i",
                "127.0.0.1",
                "-p",
                &sipp_port.to_string(),
                "-m",
                "1",
                "-t",
                sipp_transport,
            ],
            dir.path(),
        ),
    );
    wait_bound(sipp_port, sipp_transport, Duration::from_secs(10));
    let mut uac = Proc::spawn(
        "sip-ua uac",
        sip_ua().args([
            "uac",
            &format!("sip:service@127.0.0.1:{sipp_port}"),
            "--to",
            &format!("127.0.0.1:{sipp_port}"),
            "--hold-ms",
            "500",
            "--transport",
            transport,
            // sipp's UAS scenario waits 4 s after the BYE on the same connection.
            "--linger-ms",
            if transport == "tcp" { "4500" } else { "0" },
        ]),
    );
    let status = uac.wait(Duration::from_secs(30));
    assert!(status.success(), "our UAC failed: {status}");
    let status = sipp.wait(Duration::from_secs(30));
    assert!(
        status.success(),
        "sipp uas failed: {status}\n{}",
        error_log(dir.path())
    );
}

fn wait_bound(port: u16, sipp_transport: &str, limit: Duration) {
    if sipp_transport == "t1" {
        wait_tcp_listening(port, limit);
    } else {
        wait_udp_bound(port, limit);
    }
}
