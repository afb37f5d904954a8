use std::fmt;

use super::params::{split_outside_quotes, Params};
use super::uri::Uri;
use super::ParseError;

/// A `name-addr` or `addr-spec` with header parameters: the value of From, To, Contact, Route,
/// Record-Route, Refer-To (RFC 3261 §20.10, §25.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name without quotes (quoted-pair escapes resolved).
    pub display_name: Option<String>,
    pub uri: Uri,
    /// Header parameters: `tag`, `expires`, `q`, `+sip.instance`, `reg-id`, `lr`…
    pub params: Params,
}

impl NameAddr {
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display_name: None,
            uri,
            params: Params::new(),
        }
    }

    pub fn parse(s: &str) -> Result<NameAddr, ParseError> {
        let s = s.trim();
        if let Some(lt) = find_unquoted(s, b'<') {
            let display = s[..lt].trim();
            let rest = &s[lt + 1..];
            let gt = rest
                .find('>')
                .ok_or_else(|| ParseError::new(format!("missing '>' in {s:?}")))?;
            let uri = Uri::parse(&rest[..gt])?;
            let params = Params::parse(&rest[gt + 1..]);
            let display_name = parse_display_name(display)?;
            return Ok(NameAddr {
                display_name,
                uri,
                params,
            });
        }
        // addr-spec form: any ';' belongs to the header, not the URI (RFC 3261 §20).
        let (uri, params) = match s.find(';') {
            Some(i) => (&s[..i], Params::parse(&s[i..])),
            None => (s, Params::new()),
        };
        Ok(NameAddr {
            display_name: None,
            uri: Uri::parse(uri)?,
            params,
        })
    }

    pub fn tag(&self) -> Option<&str> {
        self.params.get("tag")
    }

    pub fn set_tag(&mut self, tag: &str) {
        self.params.set("tag", Some(tag));
    }

    /// The `expires` contact parameter (RFC 3261 §10.2.1.1).
    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").and_then(|v| v.parse().ok())
    }

    /// The `q` preference, 0.0–1.0 (RFC 3261 §20.10); out-of-range values are ignored.
    pub fn q(&self) -> Option<f32> {
        self.params
            .get("q")
            .and_then(|v| v.parse::<f32>().ok())
            .filter(|q| (0.0..=1.0).contains(q))
    }

    /// The `+sip.instance` value without its quotes and angle brackets (RFC 5626 §4.1).
    pub fn instance(&self) -> Option<&str> {
        self.params.get("+sip.instance").map(|v| {
            v.strip_prefix('<')
                .and_then(|v| v.strip_suffix('>'))
                .unwrap_or(v)
        })
    }

    pub fn reg_id(&self) -> Option<u32> {
        self.params.get("reg-id").and_then(|v| v.parse().ok())
    }
}

/// Parses one or more comma-separated name-addrs of a single header line.
pub fn parse_name_addr_list(s: &str) -> Result<Vec<NameAddr>, ParseError> {
    split_outside_quotes(s, b',')
        .into_iter()
        .filter(|p| !p.trim().is_empty())
        .map(NameAddr::parse)
        .collect()
}

fn find_unquoted(s: &str, wanted: u8) -> Option<usize> {
    let (mut in_quotes, mut escaped) = (false, false);
    for (i, b) in s.bytes().enumerate() {
        if escaped {
            escaped = false;
        } else if b == b'\\' && in_quotes {
            escaped = true;
        } else if b == b'"' {
            in_quotes = !in_quotes;
        } else if b == wanted && !in_quotes {
            return Some(i);
        }
    }
    None
}

fn parse_display_name(s: &str) -> Result<Option<String>, ParseError> {
    if s.is_empty() {
        return Ok(None);
    }
    let Some(inner) = s.strip_prefix('"') else {
        return Ok(Some(s.to_owned()));
    };
    let inner = inner
        .strip_suffix('"')
        .ok_or_else(|| ParseError::new(format!("unterminated display name {s:?}")))?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            out.extend(chars.next());
        } else {
            out.push(c);
        }
    }
    Ok(Some(out))
}

impl fmt::Display for NameAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.display_name {
            f.write_str("\"")?;
            for c in name.chars() {
                if c == '"' || c == '\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{c}")?;
            }
            f.write_str("\" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_addr_with_params() {
        let n = NameAddr::parse(
            r#""Alice \"A\" Smith" <sip:alice@example.test;transport=tcp>;tag=abc;expires=60;q=0.5;+sip.instance="<urn:uuid:1234>";reg-id=1"#,
        )
        .unwrap();
        assert_eq!(n.display_name.as_deref(), Some(r#"Alice "A" Smith"#));
        assert_eq!(n.uri.transport().as_deref(), Some("tcp"));
        assert_eq!(n.tag(), Some("abc"));
        assert_eq!(n.expires(), Some(60));
        assert_eq!(n.q(), Some(0.5));
        assert_eq!(n.instance(), Some("urn:uuid:1234"));
        assert_eq!(n.reg_id(), Some(1));
        let again = NameAddr::parse(&n.to_string()).unwrap();
        assert_eq!(again, n);
    }

    #[test]
    fn addr_spec_params_belong_to_header() {
        let n = NameAddr::parse("sip:bob@b.test;tag=xyz").unwrap();
        assert_eq!(n.tag(), Some("xyz"));
        assert!(n.uri.params.is_empty());
    }

    #[test]
    fn list_with_commas_in_quotes() {
        let l = parse_name_addr_list(r#""Doe, J" <sip:a@b>, <sip:c@d>;expires=0"#).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l[1].expires(), Some(0));
    }
}
