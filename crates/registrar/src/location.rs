//! The location service: each AOR's bindings, and their deadlines in one ordered set so that
//! expiry costs O(log n) per binding instead of a scan per request.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use sip::msg::NameAddr;
use sip::transport::Remote;

/// One registered contact of an AOR.
#[derive(Debug, Clone)]
pub struct Binding {
    /// The Contact as registered, without its `expires` parameter.
    pub contact: NameAddr,
    /// When it lapses.
    pub expires_at: Instant,
    /// Where its REGISTER came from: requests for it go there (rport, RFC 3581; and over TCP
    /// through the client's own connection).
    pub source: Remote,
    /// Path values (RFC 3327), used as a preloaded route towards it.
    pub path: Vec<String>,
    /// Call-ID of the REGISTER that made it.
    pub call_id: String,
    /// CSeq of that REGISTER: an older one may not change it (RFC 3261 §10.3 step 6).
    pub cseq: u32,
    /// `contact.uri` as text, written once: every REGISTER compares it with each binding of
    /// its AOR and files it in the deadline index, and formatting it each time showed in
    /// profiles.
    key: String,
}

impl Binding {
    /// A binding of `contact`.
    pub(crate) fn new(
        contact: NameAddr,
        expires_at: Instant,
        source: Remote,
        path: Vec<String>,
        call_id: String,
        cseq: u32,
    ) -> Binding {
        Binding {
            key: contact.uri.to_string(),
            contact,
            expires_at,
            source,
            path,
            call_id,
            cseq,
        }
    }

    /// The key of a binding within its AOR: the contact URI as text.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// `q`, with RFC 3261 §10.2.1.2's "no q" ranked as 1.0.
    pub fn q(&self) -> f32 {
        self.contact.q().unwrap_or(1.0)
    }
}

/// Bindings by AOR, with a deadline index.
#[derive(Debug, Default)]
pub(crate) struct Location {
    aors: HashMap<String, Vec<Binding>>,
    deadlines: BTreeSet<(Instant, String, String)>,
}

impl Location {
    /// The live bindings of `aor`, highest q first.
    pub(crate) fn bindings(&self, aor: &str) -> &[Binding] {
        self.aors.get(aor).map(Vec::as_slice).unwrap_or_default()
    }

    pub(crate) fn is_registered(&self, aor: &str) -> bool {
        !self.bindings(aor).is_empty()
    }

    /// Adds or replaces the binding with the same contact URI.
    pub(crate) fn upsert(&mut self, aor: &str, binding: Binding) {
        self.remove(aor, binding.key());
        self.deadlines
            .insert((binding.expires_at, aor.to_owned(), binding.key.clone()));
        let list = self.aors.entry(aor.to_owned()).or_default();
        list.push(binding);
        list.sort_by(|a, b| b.q().total_cmp(&a.q()));
    }

    pub(crate) fn remove(&mut self, aor: &str, key: &str) -> Option<Binding> {
        let list = self.aors.get_mut(aor)?;
        let i = list.iter().position(|b| b.key() == key)?;
        let old = list.remove(i);
        if list.is_empty() {
            self.aors.remove(aor);
        }
        self.deadlines
            .remove(&(old.expires_at, aor.to_owned(), old.key.clone()));
        Some(old)
    }

    /// The binding registered with this contact URI (`user@ip:port`), in any AOR: in-dialog
    /// requests name a contact, and should reach it the way its REGISTER came.
    pub(crate) fn by_contact(&self, uri: &str) -> Option<&Binding> {
        self.aors.values().flatten().find(|b| b.key() == uri)
    }

    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.deadlines.first().map(|(at, _, _)| *at)
    }

    /// Removes and returns every binding due at `now`.
    pub(crate) fn expire(&mut self, now: Instant) -> Vec<(String, Binding)> {
        let mut gone = Vec::new();
        while let Some((at, aor, key)) = self.deadlines.first().cloned() {
            if at > now {
                break;
            }
            match self.remove(&aor, &key) {
                Some(b) => gone.push((aor, b)),
                None => {
                    self.deadlines.pop_first();
                }
            }
        }
        gone
    }
}
