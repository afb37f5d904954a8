//! The interop rig's fixed ports (Kamailio on 5070, the baresip phones' 5080-5089 and
//! 4441-4443) are shared by every interop test on the machine, in any crate and any test
//! binary: an exclusive file lock serialises them. Shared by the test crates with `#[path]`.

/// Held until dropped.
pub(crate) fn rig_lock() -> std::fs::File {
    let f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(std::env::temp_dir().join("halo-interop-rig.lock"))
        .expect("lock file");
    f.lock().expect("rig lock");
    f
}
