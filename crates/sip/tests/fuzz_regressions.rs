//! Every committed fuzz regression input of the SIP core's parsers, through the very checks
//! the fuzz targets run (shared from fuzz/checks/), so a fixed crash stays fixed under
//! `cargo test`.

#[path = "../../../fuzz/checks/auth_header.rs"]
mod auth_header;
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;
#[path = "../../../fuzz/checks/sdp.rs"]
mod sdp;
#[path = "../../../fuzz/checks/sip_message.rs"]
mod sip_message;
#[path = "../../../fuzz/checks/sip_stream.rs"]
mod sip_stream;

use replay::{fuzz_dir, replay};

/// Targets whose parsers live in other crates, replayed by those crates' tests.
const ELSEWHERE: &[&str] = &["pidf"];
const HERE: &[&str] = &["auth_header", "sdp", "sip_message", "sip_stream"];

#[test]
fn sip_message() {
    replay("sip_message", sip_message::check);
}

#[test]
fn sip_stream() {
    replay("sip_stream", sip_stream::check);
}

#[test]
fn sdp() {
    replay("sdp", sdp::check);
}

#[test]
fn auth_header() {
    replay("auth_header", auth_header::check);
}

/// The SDP crash was a print that did not survive a second parse and print; the check returns
/// early on what does not parse, so the input must still parse for it to test anything.
#[test]
fn sdp_crash_input_still_reaches_the_round_trip() {
    let path = fuzz_dir().join("regressions/sdp/crash-353488a7ee9aa56ef02b0a3b1c724f943836aa5f");
    let text = String::from_utf8(std::fs::read(path).expect("committed")).expect("UTF-8");
    let sdp = sip::sdp::SessionDescription::parse(&text).expect("parses");
    let printed = sdp.to_string();
    let again = sip::sdp::SessionDescription::parse(&printed).expect("our print parses");
    assert_eq!(again.to_string(), printed);
}

/// A new fuzz target, or a regression directory named after none, fails here until its inputs
/// are replayed.
#[test]
fn every_target_is_replayed() {
    let names = |dir: &str, ext: Option<&str>| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(fuzz_dir().join(dir))
            .expect("committed")
            .map(|entry| entry.expect("readable").path())
            .filter(|path| ext.is_none_or(|ext| path.extension().is_some_and(|e| e == ext)))
            .map(|path| {
                path.file_stem()
                    .expect("named")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        names
    };
    let mut known: Vec<&str> = HERE.iter().chain(ELSEWHERE).copied().collect();
    known.sort();
    assert_eq!(names("fuzz_targets", Some("rs")), known);
    for dir in names("regressions", None) {
        assert!(
            known.contains(&dir.as_str()),
            "fuzz/regressions/{dir} is no target"
        );
    }
}
