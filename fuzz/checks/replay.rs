//! Replays a fuzz target's committed regression inputs (fuzz/regressions/<target>/) through its
//! check under plain `cargo test`: no cargo-fuzz, no nightly. Included with `#[path]` by the
//! test of each crate whose parsers are fuzzed; files added to a directory are picked up as
//! they are.

use std::path::PathBuf;

/// The `fuzz/` directory, from a crate under `crates/`.
pub(crate) fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// Runs `check` on every input of `target`, naming each input that panics.
pub(crate) fn replay(target: &str, check: fn(&[u8])) {
    let dir = fuzz_dir().join("regressions").join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory").path())
        .filter(|path| path.is_file())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    let failed: Vec<String> = inputs
        .iter()
        .filter(|path| {
            let data = std::fs::read(path).expect("a readable input");
            std::panic::catch_unwind(|| check(&data)).is_err()
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(failed.is_empty(), "{target} fails on {failed:?}");
}
