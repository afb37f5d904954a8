use std::fmt;
use std::str::FromStr;

use super::params::Params;
use super::ParseError;

/// A `sip:`/`sips:` URI (RFC 3261 §19.1), or any other absolute URI kept opaque (`tel:`,
/// `urn:`), which SIP allows in Request-URIs and name-addrs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    pub scheme: Scheme,
    /// The user part, still %-escaped as received.
    pub user: Option<String>,
    pub password: Option<String>,
    /// Host name or address; IPv6 references keep their brackets (`[::1]`).
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    /// The `?h=v&…` part without the `?`.
    pub headers: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scheme {
    Sip,
    Sips,
    /// Any other scheme; `host` then holds everything after the colon.
    Other(String),
}

impl Uri {
    /// A `sip:` URI for `user@host[:port]`.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_owned),
            password: None,
            host: host.to_owned(),
            port,
            params: Params::new(),
            headers: None,
        }
    }

    pub fn parse(s: &str) -> Result<Uri, ParseError> {
        let s = s.trim();
        let (scheme, rest) = s
            .split_once(':')
            .ok_or_else(|| ParseError::new(format!("URI without scheme: {s:?}")))?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return Err(ParseError::new(format!("bad URI scheme: {scheme:?}")));
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "sip" => Scheme::Sip,
            "sips" => Scheme::Sips,
            other => {
                if rest.is_empty() || rest.bytes().any(|b| b <= b' ') {
                    return Err(ParseError::new(format!("bad {other}: URI")));
                }
                return Ok(Uri {
                    scheme: Scheme::Other(other.to_owned()),
                    user: None,
                    password: None,
                    host: rest.to_owned(),
                    port: None,
                    params: Params::new(),
                    headers: None,
                });
            }
        };
        if rest
            .bytes()
            .any(|b| b <= b' ' || b == b'<' || b == b'>' || b == b'"')
        {
            return Err(ParseError::new(format!("bad character in URI {s:?}")));
        }
        let (rest, headers) = match rest.split_once('?') {
            Some((r, h)) => (r, Some(h.to_owned())),
            None => (rest, None),
        };
        // The user part may contain ';' (RFC 3261 allows it in user), so split at the last '@'
        // before any parameter is impossible to know in general; the common practice of
        // splitting at the last '@' is what every stack does.
        let (userinfo, hostpart) = match rest.rfind('@') {
            Some(i) => (Some(&rest[..i]), &rest[i + 1..]),
            None => (None, rest),
        };
        let (user, password) = match userinfo {
            Some("") => return Err(ParseError::new("empty user part in URI")),
            Some(u) => match u.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
                None => (Some(u.to_owned()), None),
            },
            None => (None, None),
        };
        let (hostport, params) = match hostpart.find(';') {
            Some(i) => (&hostpart[..i], Params::parse(&hostpart[i..])),
            None => (hostpart, Params::new()),
        };
        let (host, port) = split_host_port(hostport)?;
        Ok(Uri {
            scheme,
            user,
            password,
            host: host.to_owned(),
            port,
            params,
            headers,
        })
    }

    /// `user@host` without port and parameters: the address-of-record key.
    pub fn aor(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host.to_ascii_lowercase()),
            None => self.host.to_ascii_lowercase(),
        }
    }

    /// The transport named by `;transport=` (lower-case), if any.
    pub fn transport(&self) -> Option<String> {
        self.params.get("transport").map(str::to_ascii_lowercase)
    }
}

/// Splits `host[:port]`, honouring IPv6 brackets.
pub(crate) fn split_host_port(s: &str) -> Result<(&str, Option<u16>), ParseError> {
    let (host, port) = if s.starts_with('[') {
        let end = s
            .find(']')
            .ok_or_else(|| ParseError::new("unterminated IPv6 reference"))?;
        let (h, rest) = s.split_at(end + 1);
        match rest.strip_prefix(':') {
            Some(p) => (h, Some(p)),
            None if rest.is_empty() => (h, None),
            None => return Err(ParseError::new(format!("junk after IPv6 host: {rest:?}"))),
        }
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if host.is_empty()
        || !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:_".contains(&b))
    {
        return Err(ParseError::new(format!("bad host: {host:?}")));
    }
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| ParseError::new(format!("bad port: {p:?}")))?,
        ),
        None => None,
    };
    Ok((host, port))
}

impl FromStr for Uri {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uri::parse(s)
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.scheme {
            Scheme::Sip => f.write_str("sip:")?,
            Scheme::Sips => f.write_str("sips:")?,
            Scheme::Other(s) => return write!(f, "{s}:{}", self.host),
        }
        if let Some(u) = &self.user {
            f.write_str(u)?;
            if let Some(p) = &self.password {
                write!(f, ":{p}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)?;
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_sip_uri() {
        let u = Uri::parse("sip:alice:pw@Example.test:5070;transport=TCP;lr?subject=x").unwrap();
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("pw"));
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.transport().as_deref(), Some("tcp"));
        assert!(u.params.has("lr"));
        assert_eq!(u.aor(), "alice@example.test");
        assert_eq!(
            u.to_string(),
            "sip:alice:pw@Example.test:5070;transport=TCP;lr?subject=x"
        );
    }

    #[test]
    fn parses_ipv6_and_other_schemes() {
        let u = Uri::parse("sip:[::1]:5060").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("[::1]", Some(5060)));
        let t = Uri::parse("tel:+441234").unwrap();
        assert_eq!(t.to_string(), "tel:+441234");
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "sip:",
            "nocolon",
            "sip:a@",
            "sip:h:99999",
            "sip:[::1",
            "sip:a b",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
