//! Any SDP body: parsing must not panic; what parses must print to text that parses and
//! prints the same again (printing puts lines in RFC 8866 order, so the first print may
//! reorder what arrived out of order), and answering it as an offer must not panic.

use rand::{rngs::SmallRng, SeedableRng};
use sip::sdp::{create_answer, MediaConfig, Origin, SessionDescription};

/// Panics when the input shows a bug: the fuzz target and `cargo test` replay both run this.
pub(crate) fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sdp) = SessionDescription::parse(text) else {
        return;
    };
    let printed = sdp.to_string();
    let again = SessionDescription::parse(&printed).expect("our own output parses");
    assert_eq!(again.to_string(), printed, "printing is stable");
    let origin = Origin {
        username: "halo".into(),
        sess_id: 1,
        sess_version: 1,
        nettype: "IN".into(),
        addrtype: "IP4".into(),
        address: "127.0.0.1".into(),
    };
    let config = MediaConfig::audio([127, 0, 0, 1].into(), 40000);
    let _ = create_answer(&sdp, &origin, &config, &mut SmallRng::seed_from_u64(1));
}
