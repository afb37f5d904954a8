//! Deadlines, not tasks: each machine names its timers in an enum that indexes a fixed table,
//! and `poll_timeout` is the earliest entry.

use std::marker::PhantomData;
use std::time::{Duration, Instant};

/// A machine's set of timers.
pub(crate) trait TimerKind: Copy + 'static {
    /// Every timer, in table order.
    const ALL: &'static [Self];
    fn index(self) -> usize;
}

/// `N` optional deadlines indexed by a [`TimerKind`].
#[derive(Debug, Clone)]
pub(crate) struct Timers<T, const N: usize> {
    at: [Option<Instant>; N],
    kind: PhantomData<T>,
}

impl<T: TimerKind, const N: usize> Timers<T, N> {
    pub(crate) fn new() -> Self {
        Timers {
            at: [None; N],
            kind: PhantomData,
        }
    }

    pub(crate) fn set(&mut self, timer: T, at: Instant) {
        self.at[timer.index()] = Some(at);
    }

    pub(crate) fn stop(&mut self, timer: T) {
        self.at[timer.index()] = None;
    }

    pub(crate) fn stop_all(&mut self) {
        self.at = [None; N];
    }

    pub(crate) fn next(&self) -> Option<Instant> {
        self.at.iter().flatten().min().copied()
    }

    /// Clears and returns the earliest timer due at `now`, so that a caller loops until
    /// `None` and an early call does nothing.
    pub(crate) fn expired(&mut self, now: Instant) -> Option<T> {
        let timer = T::ALL
            .iter()
            .copied()
            .filter(|t| self.at[t.index()].is_some_and(|at| at <= now))
            .min_by_key(|t| self.at[t.index()])?;
        self.stop(timer);
        Some(timer)
    }
}

/// When to refresh something the server granted for `granted`: `granted − max(5 s, 10 %)`,
/// but never before half of it.
///
/// Ten percent leaves an hour-long subscription six minutes to survive retransmissions and
/// a challenge; five seconds covers one Timer-F-length exchange on a fast link for short
/// grants (pjsip also refreshes 5 s early); the half floor keeps a 4-second grant from
/// being refreshed at once in a loop.
pub(crate) fn refresh_after(granted: Duration) -> Duration {
    let margin = (granted / 10).max(Duration::from_secs(5));
    granted.saturating_sub(margin).max(granted / 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_rule() {
        let s = Duration::from_secs;
        assert_eq!(refresh_after(s(3600)), s(3240));
        assert_eq!(refresh_after(s(60)), s(54));
        assert_eq!(refresh_after(s(30)), s(25));
        assert_eq!(refresh_after(s(8)), s(4));
        assert_eq!(refresh_after(s(0)), s(0));
    }
}
