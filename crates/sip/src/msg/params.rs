use std::fmt;

/// `;name[=value]` parameters of a URI or a header value, in arrival order.
///
/// Names compare case-insensitively (RFC 3261 §19.1.4, §7.3.1); values are kept verbatim,
/// including quotes, so that a message is forwarded as it was received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
    pub fn new() -> Self {
        Params(Vec::new())
    }

    /// Parses `;a=b;c` (the leading `;` is optional). Empty segments are skipped.
    pub(crate) fn parse(s: &str) -> Params {
        let mut out = Vec::new();
        for part in split_outside_quotes(s, b';') {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            match part.split_once('=') {
                Some((n, v)) => out.push((n.trim().to_owned(), Some(v.trim().to_owned()))),
                None => out.push((part.to_owned(), None)),
            }
        }
        Params(out)
    }

    /// True when the parameter is present, with or without a value.
    pub fn has(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    /// The value of `name`, unquoted; `None` when absent or valueless.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_deref())
            .map(unquote)
    }

    /// Sets (replacing) a parameter; `None` makes it a flag such as `;lr` or `;rport`.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_owned);
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, v) in &self.0 {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// Strips one pair of surrounding double quotes; escapes are left as they are because the
/// values we read this way (tags, branches, reasons) never contain them.
pub(crate) fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Splits on `sep` where it is outside double quotes and angle brackets, so that
/// `"Doe, John" <sip:a@b>, <sip:c@d;x=1>` yields two values.
pub(crate) fn split_outside_quotes(s: &str, sep: u8) -> Vec<&str> {
    let bytes = s.as_bytes();
    let mut parts = Vec::new();
    let (mut in_quotes, mut escaped, mut angle) = (false, false, 0u32);
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if escaped {
            escaped = false;
            continue;
        }
        match b {
            b'\\' if in_quotes => escaped = true,
            b'"' => in_quotes = !in_quotes,
            b'<' if !in_quotes => angle += 1,
            b'>' if !in_quotes => angle = angle.saturating_sub(1),
            _ if b == sep && !in_quotes && angle == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_case_insensitive_and_keep_order() {
        let mut p = Params::parse(";Branch=z9hG4bK1;rport;received=1.2.3.4");
        assert_eq!(p.get("branch"), Some("z9hG4bK1"));
        assert!(p.has("RPORT"));
        assert_eq!(p.get("rport"), None);
        p.set("rport", Some("5060"));
        assert_eq!(
            p.to_string(),
            ";Branch=z9hG4bK1;rport=5060;received=1.2.3.4"
        );
    }

    #[test]
    fn split_respects_quotes_and_brackets() {
        let parts = split_outside_quotes(r#""Doe, \"J\"" <sip:a@b>, <sip:c@d;x=1,2>"#, b',');
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].trim(), "<sip:c@d;x=1,2>");
    }
}
