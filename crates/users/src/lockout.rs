//! Throttling of password guessing, per username.
//!
//! Counted per username, not per user, so an unknown name locks exactly like a known one and the
//! answer reveals nothing. Kept in memory: a restart forgives, which costs an attacker a restart
//! they cannot cause, and several nodes would each allow their own quota (a shared store would
//! be the fix then).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use crate::config::LockoutConfig;

/// Past this many tracked names, stale entries are swept before a new one is added, so a flood
/// of made-up usernames cannot grow the map without bound.
const SWEEP_ABOVE: usize = 10_000;

#[derive(Debug, Default)]
struct Entry {
    /// Times of recent failures, oldest first, at most `max_failures` of them.
    failures: VecDeque<i64>,
    locked_until: Option<i64>,
}

#[derive(Debug)]
pub(crate) struct Lockout {
    config: LockoutConfig,
    entries: Mutex<HashMap<String, Entry>>,
}

impl Lockout {
    pub(crate) fn new(config: LockoutConfig) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(retry_after)` while `username` is locked.
    pub(crate) fn check(&self, username: &str, now: i64) -> Result<(), Duration> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(username).and_then(|e| e.locked_until) {
            Some(until) if until > now => Err(Duration::from_secs(until.abs_diff(now))),
            _ => Ok(()),
        }
    }

    /// Records a failure; `true` if it locked the username.
    pub(crate) fn record_failure(&self, username: &str, now: i64) -> bool {
        let window = secs(self.config.window_secs);
        let max = usize::try_from(self.config.max_failures).unwrap_or(usize::MAX);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= SWEEP_ABOVE && !entries.contains_key(username) {
            entries.retain(|_, e| {
                e.locked_until.is_some_and(|until| until > now)
                    || e.failures.back().is_some_and(|&t| t + window > now)
            });
        }
        let entry = entries.entry(username.to_owned()).or_default();
        while entry.failures.front().is_some_and(|&t| t + window <= now) {
            entry.failures.pop_front();
        }
        entry.failures.push_back(now);
        if entry.failures.len() >= max {
            entry.failures.clear();
            entry.locked_until = Some(now + secs(self.config.duration_secs));
            true
        } else {
            false
        }
    }

    pub(crate) fn record_success(&self, username: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(username);
    }
}

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lockout() -> Lockout {
        Lockout::new(LockoutConfig {
            max_failures: 3,
            window_secs: 60,
            duration_secs: 600,
        })
    }

    #[test]
    fn locks_after_max_failures_within_window_and_expires() {
        let l = lockout();
        assert!(!l.record_failure("bob", 0));
        assert!(!l.record_failure("bob", 10));
        assert!(l.record_failure("bob", 20));
        assert_eq!(l.check("bob", 20), Err(Duration::from_secs(600)));
        assert_eq!(l.check("bob", 619), Err(Duration::from_secs(1)));
        assert_eq!(l.check("bob", 620), Ok(()));
        assert_eq!(l.check("alice", 20), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let l = lockout();
        assert!(!l.record_failure("bob", 0));
        assert!(!l.record_failure("bob", 30));
        assert!(!l.record_failure("bob", 61));
        assert!(l.record_failure("bob", 62));
    }

    #[test]
    fn success_clears_failures() {
        let l = lockout();
        l.record_failure("bob", 0);
        l.record_failure("bob", 1);
        l.record_success("bob");
        assert!(!l.record_failure("bob", 2));
    }
}
