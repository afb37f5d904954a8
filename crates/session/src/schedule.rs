//! When to refresh and when to retry: pure functions of durations and a seeded RNG, so every
//! timer's choice is tested in virtual time.

use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// When to refresh something the server granted for `granted`: at about 90 % of it, but
/// never later than 5 s before expiry for short grants and never sooner than 1 s from now
/// (DESIGN.md flow 2).
pub fn refresh_after(granted: Duration) -> Duration {
    let ninety = granted.mul_f64(0.9);
    let margin = granted.saturating_sub(Duration::from_secs(5));
    ninety.min(margin).max(Duration::from_secs(1)).min(granted)
}

/// Exponential backoff with full jitter over `[base·2ⁿ/2, base·2ⁿ]`, capped: retries after a
/// network drop or server restart spread out instead of arriving at the server together.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    failures: u32,
    rng: SmallRng,
}

impl Backoff {
    /// From `base` doubling up to `cap`; `seed` makes the jitter replayable in tests.
    pub fn new(base: Duration, cap: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            cap,
            failures: 0,
            rng: SmallRng::seed_from_u64(seed),
        }
    }

    /// The delay before the next attempt; each call counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.failures.min(16);
        self.failures = self.failures.saturating_add(1);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let floor = ceiling / 2;
        let spread = (ceiling - floor).as_millis() as u64;
        floor + Duration::from_millis(self.rng.gen_range(0..=spread))
    }

    /// Failures since the last success.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// A success: the next failure starts from `base` again.
    pub fn reset(&mut self) {
        self.failures = 0;
    }
}

/// How often to send a keep-alive on a flow (RFC 5626 §4.4.1: 95–120 s for UDP would hide
/// NAT loss too long for a phone that must show the truth; we use a configured interval).
pub fn keepalive_interval(configured: Duration) -> Duration {
    configured.max(Duration::from_secs(1))
}

/// How long a keep-alive's answer may take before the flow counts as lost: the interval
/// itself (the next ping would be due), at most 10 s (RFC 5626 §4.4.1's pong wait).
pub fn keepalive_timeout(configured: Duration) -> Duration {
    keepalive_interval(configured).min(Duration::from_secs(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_at_ninety_percent_or_five_seconds_before() {
        assert_eq!(
            refresh_after(Duration::from_secs(3600)),
            Duration::from_secs(3240)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(30)),
            Duration::from_secs(25)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(10)),
            Duration::from_secs(5)
        );
        assert_eq!(
            refresh_after(Duration::from_secs(3)),
            Duration::from_secs(1)
        );
        assert_eq!(
            refresh_after(Duration::from_millis(500)),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_up_to_the_cap_and_resets() {
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30), 7);
        let mut ceiling = Duration::from_secs(1);
        for _ in 0..10 {
            let d = b.next_delay();
            assert!(
                d >= ceiling / 2 && d <= ceiling,
                "{d:?} outside {ceiling:?}"
            );
            ceiling = (ceiling * 2).min(Duration::from_secs(30));
        }
        assert_eq!(b.failures(), 10);
        b.reset();
        assert!(b.next_delay() <= Duration::from_secs(1));
    }

    #[test]
    fn jitter_spreads_two_clients_apart() {
        let mut a = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 1);
        let mut b = Backoff::new(Duration::from_secs(2), Duration::from_secs(60), 2);
        let da: Vec<_> = (0..5).map(|_| a.next_delay()).collect();
        let db: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_ne!(da, db);
    }

    #[test]
    fn keepalive_has_a_floor() {
        assert_eq!(keepalive_interval(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            keepalive_interval(Duration::from_secs(25)),
            Duration::from_secs(25)
        );
        assert_eq!(
            keepalive_timeout(Duration::from_secs(2)),
            Duration::from_secs(2)
        );
        assert_eq!(
            keepalive_timeout(Duration::from_secs(30)),
            Duration::from_secs(10)
        );
    }
}
