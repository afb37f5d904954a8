//! Highest `nc` seen per nonce, in a map bounded by the server's choice of capacity.

use std::collections::HashMap;

/// What [`ReplayGuard::accept`] decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NcCheck {
    /// Higher than any count seen with this nonce; now recorded.
    Fresh,
    /// Not above the highest count seen: a replayed or reordered request (RFC 7616 §5.5).
    Replayed,
    /// The nonce predates an eviction, so its history is lost; the caller treats it as stale
    /// and the client moves to a new nonce.
    Forgotten,
}

/// Tracks the highest nonce count per nonce.
///
/// Entries are pruned once their nonce expires (a stale nonce is refused before this map is
/// asked). When still full, the oldest nonce is evicted and `horizon` remembers its issue
/// time: any untracked nonce issued at or before it might have been used already, so it is
/// [`NcCheck::Forgotten`] rather than trusted. Memory stays bounded without opening a replay
/// window.
#[derive(Debug)]
pub(crate) struct ReplayGuard {
    highest: HashMap<String, Entry>,
    capacity: usize,
    horizon: Option<u64>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    issued: u64,
    nc: u32,
}

impl ReplayGuard {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            highest: HashMap::new(),
            capacity: capacity.max(1),
            horizon: None,
        }
    }

    /// Records `nc` for `nonce` (issued at `issued`) unless it does not advance the count.
    /// Call only after the response verified, so unauthenticated requests cannot fill the map.
    pub(crate) fn accept(
        &mut self,
        nonce: &str,
        issued: u64,
        nc: u32,
        oldest_live: u64,
    ) -> NcCheck {
        if let Some(entry) = self.highest.get_mut(nonce) {
            if nc <= entry.nc {
                return NcCheck::Replayed;
            }
            entry.nc = nc;
            return NcCheck::Fresh;
        }
        if nc == 0 {
            return NcCheck::Replayed;
        }
        if self.horizon.is_some_and(|h| issued <= h) {
            return NcCheck::Forgotten;
        }
        if self.highest.len() >= self.capacity {
            self.highest.retain(|_, e| e.issued >= oldest_live);
        }
        if self.highest.len() >= self.capacity {
            self.evict_oldest();
        }
        self.highest.insert(nonce.to_owned(), Entry { issued, nc });
        NcCheck::Fresh
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .highest
            .iter()
            .min_by_key(|(_, e)| e.issued)
            .map(|(nonce, e)| (nonce.clone(), e.issued));
        if let Some((nonce, issued)) = oldest {
            self.highest.remove(&nonce);
            self.horizon = Some(self.horizon.map_or(issued, |h| h.max(issued)));
        }
    }
}
