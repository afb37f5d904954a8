//! Test data directories: cheap Argon2 and pre-made signing keys.

use std::path::Path;

use users::{Argon2Config, Clock as _, Config, ManualClock};

pub(crate) const DOMAIN: &str = "example.test";

/// Argon2 at its minimum cost: the tests exercise the logic, the benchmark the cost.
pub(crate) fn config(data: &Path) -> Config {
    let mut config = Config::new(data, DOMAIN);
    config.argon2 = Argon2Config {
        memory_kib: 64,
        iterations: 1,
        parallelism: 1,
    };
    config
}

/// RSA key generation takes many seconds in an unoptimised build, so most tests start from a
/// pre-made key; the tests of first start and rotation generate their own.
pub(crate) fn seed_key(data: &Path, fixture: &str, created: i64) {
    let keys = data.join("keys");
    std::fs::create_dir_all(&keys).expect("keys dir");
    let pem = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/{fixture}.pem")),
    )
    .expect("fixture key");
    std::fs::write(keys.join(format!("{created}-{fixture}.pem")), pem).expect("seeded key");
}

/// A data directory with one pre-made key, and a clock at the current time.
pub(crate) fn seeded() -> (tempfile::TempDir, ManualClock) {
    let dir = tempfile::tempdir().expect("tempdir");
    let clock = ManualClock::starting_now();
    seed_key(dir.path(), "key-a", clock.now() - 3600);
    (dir, clock)
}
