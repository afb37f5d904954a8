use std::borrow::Cow;
use std::fmt;

use super::params::split_outside_quotes;

/// Header names we know, in their canonical spelling, with their RFC 3261 §7.3.3 (and
/// RFC 3265/3515/3903) compact forms.
const KNOWN: &[(&str, Option<char>)] = &[
    ("Accept", None),
    ("Accept-Contact", Some('a')),
    ("Allow", None),
    ("Allow-Events", Some('u')),
    ("Authorization", None),
    ("Call-ID", Some('i')),
    ("Contact", Some('m')),
    ("Content-Encoding", Some('e')),
    ("Content-Length", Some('l')),
    ("Content-Type", Some('c')),
    ("CSeq", None),
    ("Event", Some('o')),
    ("Expires", None),
    ("From", Some('f')),
    ("Max-Forwards", None),
    ("Min-Expires", None),
    ("Path", None),
    ("Proxy-Authenticate", None),
    ("Proxy-Authorization", None),
    ("Record-Route", None),
    ("Refer-To", Some('r')),
    ("Referred-By", Some('b')),
    ("Reject-Contact", Some('j')),
    ("Request-Disposition", Some('d')),
    ("Require", None),
    ("Retry-After", None),
    ("Route", None),
    ("Session-Expires", Some('x')),
    ("SIP-ETag", None),
    ("SIP-If-Match", None),
    ("Subject", Some('s')),
    ("Subscription-State", None),
    ("Supported", Some('k')),
    ("To", Some('t')),
    ("Unsupported", None),
    ("User-Agent", None),
    ("Via", Some('v')),
    ("WWW-Authenticate", None),
];

/// Headers whose value is a comma-separated list (RFC 3261 §7.3.1), so that several values on
/// one line and several lines are the same thing. The auth headers are deliberately absent:
/// their commas separate parameters, not values.
const LIST_HEADERS: &[&str] = &[
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Allow",
    "Allow-Events",
    "Contact",
    "Content-Encoding",
    "Path",
    "Proxy-Require",
    "Record-Route",
    "Require",
    "Route",
    "Service-Route",
    "Supported",
    "Unsupported",
    "Via",
];

/// Expands a compact form and canonicalises the spelling of known names; unknown names are kept
/// as received. Known names borrow the static spelling, so lookups do not allocate.
pub(crate) fn canonical_name(name: &str) -> Cow<'static, str> {
    if name.len() == 1 {
        let c = name.as_bytes()[0].to_ascii_lowercase() as char;
        if let Some((full, _)) = KNOWN.iter().find(|(_, compact)| *compact == Some(c)) {
            return Cow::Borrowed(full);
        }
    }
    // Nearly every name is already spelled canonically (ours always are): a byte comparison
    // finds those faster than folding case, and every header lookup comes through here.
    let known = KNOWN
        .iter()
        .find(|(n, _)| *n == name)
        .or_else(|| KNOWN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)));
    match known {
        Some((full, _)) => Cow::Borrowed(full),
        None => Cow::Owned(name.to_owned()),
    }
}

fn is_list_header(name: &str) -> bool {
    LIST_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The header fields of a message in order, one entry per value (list headers are split).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(Cow<'static, str>, String)>);

impl Headers {
    pub fn new() -> Self {
        Headers(Vec::new())
    }

    /// Adds a header as received on the wire: the name is canonicalised and a list value is
    /// split into its elements.
    pub(crate) fn push_wire(&mut self, name: &str, value: String) {
        let name = canonical_name(name);
        if is_list_header(&name) && value.contains(',') {
            for v in split_outside_quotes(&value, b',') {
                let v = v.trim();
                if !v.is_empty() {
                    self.0.push((name.clone(), v.to_owned()));
                }
            }
        } else {
            let value = match value.trim() {
                trimmed if trimmed.len() == value.len() => value,
                trimmed => trimmed.to_owned(),
            };
            self.0.push((name, value));
        }
    }

    /// Appends a header value after any existing ones of the same name.
    pub fn push(&mut self, name: &str, value: impl Into<String>) {
        self.0.push((canonical_name(name), value.into()));
    }

    /// Inserts a value before the existing ones (a new top Via, a preloaded Route).
    pub fn push_front(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        let at = self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))
            .unwrap_or(self.0.len());
        self.0.insert(at, (name, value.into()));
    }

    /// Replaces every value of `name` with one value.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        match self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some(i) => {
                self.0[i].1 = value.into();
                let mut seen = 0;
                self.0.retain(|(n, _)| {
                    if n.eq_ignore_ascii_case(&name) {
                        seen += 1;
                        seen == 1
                    } else {
                        true
                    }
                });
            }
            None => self.0.push((name, value.into())),
        }
    }

    pub fn remove(&mut self, name: &str) {
        let name = canonical_name(name);
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
    }

    /// Removes the first value of `name` (the top Via, the first Route) and returns it.
    pub fn remove_first(&mut self, name: &str) -> Option<String> {
        let name = canonical_name(name);
        let i = self
            .0
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&name))?;
        Some(self.0.remove(i).1)
    }

    /// Replaces the first value of `name` where it stands (a stamped top Via keeps its place);
    /// appends when there is none.
    pub fn replace_first(&mut self, name: &str, value: impl Into<String>) {
        let name = canonical_name(name);
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            Some(slot) => slot.1 = value.into(),
            None => self.0.push((name, value.into())),
        }
    }

    /// The first value of `name` (compact or full, any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.get_all(name).next()
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.0
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, v) in &self.0 {
            write!(f, "{n}: {v}\r\n")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_forms_expand() {
        for (c, full) in [
            ("v", "Via"),
            ("f", "From"),
            ("t", "To"),
            ("i", "Call-ID"),
            ("m", "Contact"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("k", "Supported"),
            ("s", "Subject"),
            ("o", "Event"),
            ("u", "Allow-Events"),
            ("e", "Content-Encoding"),
            ("x", "Session-Expires"),
        ] {
            assert_eq!(canonical_name(c), full);
            assert_eq!(canonical_name(&c.to_uppercase()), full);
        }
        assert_eq!(canonical_name("call-id"), "Call-ID");
        assert_eq!(canonical_name("X-Custom"), "X-Custom");
    }

    #[test]
    fn list_values_split_and_lookup_is_case_insensitive() {
        let mut h = Headers::new();
        h.push_wire(
            "v",
            "SIP/2.0/UDP a;branch=z9hG4bK1, SIP/2.0/TCP b;branch=z9hG4bK2".into(),
        );
        h.push_wire("VIA", "SIP/2.0/UDP c;branch=z9hG4bK3".into());
        h.push_wire("WWW-Authenticate", "Digest realm=\"x\", nonce=\"y\"".into());
        assert_eq!(h.get_all("via").count(), 3);
        assert_eq!(h.get_all("www-authenticate").count(), 1);
        h.push_front("Via", "SIP/2.0/UDP top;branch=z9hG4bK0");
        assert_eq!(h.get("Via"), Some("SIP/2.0/UDP top;branch=z9hG4bK0"));
        assert_eq!(
            h.remove_first("v").as_deref(),
            Some("SIP/2.0/UDP top;branch=z9hG4bK0")
        );
    }
}
