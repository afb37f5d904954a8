//! Every committed fuzz regression input of the presence parsers, through the very check the
//! `pidf` fuzz target runs (shared from fuzz/checks/); crates/sip's test makes sure no target
//! is left out.

#[path = "../../../fuzz/checks/pidf.rs"]
mod pidf;
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[test]
fn pidf() {
    replay::replay("pidf", pidf::check);
}
