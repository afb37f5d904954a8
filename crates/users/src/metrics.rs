//! Counters exposed at `/metrics` in the Prometheus text format.
//!
//! A handful of monotonic counters needs no metrics library: atomics and a `format!` suffice.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Metrics {
    pub(crate) logins_ok: AtomicU64,
    pub(crate) logins_failed: AtomicU64,
    pub(crate) lockouts: AtomicU64,
    pub(crate) tokens_issued: AtomicU64,
    pub(crate) refreshes: AtomicU64,
}

impl Metrics {
    pub(crate) fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Text exposition format 0.0.4.
    pub(crate) fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let counters = [
            (
                "halo_users_logins_total",
                "Password sign-ins by outcome; failed includes locked and disabled accounts.",
                vec![
                    ("result=\"ok\"", get(&self.logins_ok)),
                    ("result=\"failed\"", get(&self.logins_failed)),
                ],
            ),
            (
                "halo_users_lockouts_total",
                "Usernames locked after repeated failures.",
                vec![("", get(&self.lockouts))],
            ),
            (
                "halo_users_tokens_issued_total",
                "Access tokens issued, by login or refresh.",
                vec![("", get(&self.tokens_issued))],
            ),
            (
                "halo_users_refreshes_total",
                "Successful refresh token rotations.",
                vec![("", get(&self.refreshes))],
            ),
        ];
        for (name, help, samples) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, value) in samples {
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {value}");
                } else {
                    let _ = writeln!(out, "{name}{{{labels}}} {value}");
                }
            }
        }
        out
    }
}
