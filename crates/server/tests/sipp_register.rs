//! sipp's REGISTER-with-Digest scenario (`tests/interop/sipp/reg_load.xml`: REGISTER → 401 →
//! REGISTER with MD5 Digest → 200, 200 users) against this build of halo-server, through the
//! same script the benchmark uses: it must finish with no failed registration. A modest rate,
//! because this is a correctness test on a debug build; the rate itself is measured in
//! `docs/benchmarks.md`.

use std::path::Path;
use std::process::Command;

#[test]
fn sipp_registers_with_digest_without_a_failure() {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop/sipp/run-reg-load-halo.sh");
    let run = tempfile::tempdir().expect("temp dir");
    // Ports of its own, so that the benchmark (5270, 18270, 5290) can run beside it.
    let out = Command::new("bash")
        .arg(&script)
        .env("HALO_SERVER", env!("CARGO_BIN_EXE_halo-server"))
        .env("RUN_DIR", run.path())
        .env("SIP_PORT", "5276")
        .env("HTTP_PORT", "18276")
        .env("LOCAL_PORT", "5296")
        .env("DURATION", "5")
        .env("RATE", "200")
        .env("LIMIT", "20")
        .output()
        .expect("bash runs the script");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(run.path().join("server.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "sipp saw failures or did not run:\n{stdout}\n{}\nserver log (tail):\n{}",
        String::from_utf8_lossy(&out.stderr),
        log.lines().rev().take(30).collect::<Vec<_>>().join("\n")
    );
    assert!(stdout.contains(" 0 failed"), "{stdout}");
    println!("{stdout}");
}
