use std::fmt;

use super::params::Params;
use super::uri::split_host_port;
use super::ParseError;

/// The magic cookie that marks an RFC 3261 branch (§8.1.1.7); branches without it belong to
/// RFC 2543 peers and are matched the old way.
pub const BRANCH_COOKIE: &str = "z9hG4bK";

/// One `Via` value: `SIP/2.0/UDP host:port;branch=…;rport;received=…`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Upper-case transport (`UDP`, `TCP`, `TLS`, `WS`…).
    pub transport: String,
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    pub fn new(transport: &str, host: &str, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::new();
        params.set("branch", Some(branch));
        Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_owned(),
            port,
            params,
        }
    }

    pub fn parse(s: &str) -> Result<Via, ParseError> {
        let s = s.trim();
        // sent-protocol allows linear whitespace around each '/' (RFC 3261 §25.1 SLASH).
        let mut parts = s.splitn(3, '/');
        let (name, version, rest) = match (parts.next(), parts.next(), parts.next()) {
            (Some(n), Some(v), Some(r)) => (n.trim(), v.trim(), r.trim_start()),
            _ => return Err(ParseError::new(format!("bad Via: {s:?}"))),
        };
        if !name.eq_ignore_ascii_case("SIP") || version != "2.0" {
            return Err(ParseError::new(format!("bad Via protocol: {s:?}")));
        }
        let end = rest
            .find([' ', '\t'])
            .ok_or_else(|| ParseError::new(format!("Via without sent-by: {s:?}")))?;
        let (transport, rest) = rest.split_at(end);
        if transport.is_empty() || !transport.bytes().all(super::method::is_token_byte) {
            return Err(ParseError::new(format!("bad Via transport: {s:?}")));
        }
        let rest = rest.trim();
        let (sent_by, params) = match rest.find(';') {
            Some(i) => (rest[..i].trim(), Params::parse(&rest[i..])),
            None => (rest, Params::new()),
        };
        let (host, port) = split_host_port(sent_by)?;
        Ok(Via {
            transport: transport.to_ascii_uppercase(),
            host: host.to_owned(),
            port,
            params,
        })
    }

    pub fn branch(&self) -> Option<&str> {
        self.params.get("branch")
    }

    /// `Some(None)` for a bare `;rport` (the client asks for it), `Some(Some(p))` once filled in.
    pub fn rport(&self) -> Option<Option<u16>> {
        if !self.params.has("rport") {
            return None;
        }
        Some(self.params.get("rport").and_then(|p| p.parse().ok()))
    }

    pub fn received(&self) -> Option<&str> {
        self.params.get("received")
    }

    /// The port a response goes to when there is no rport: 5060 for UDP/TCP, 5061 for TLS.
    pub fn default_port(&self) -> u16 {
        if self.transport == "TLS" {
            5061
        } else {
            5060
        }
    }
}

impl fmt::Display for Via {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rport_received_branch() {
        let v =
            Via::parse("SIP / 2.0 / udp 10.0.0.1:5062 ;rport;branch=z9hG4bKabc;received=1.2.3.4")
                .unwrap();
        assert_eq!(v.transport, "UDP");
        assert_eq!(v.port, Some(5062));
        assert_eq!(v.branch(), Some("z9hG4bKabc"));
        assert_eq!(v.rport(), Some(None));
        assert_eq!(v.received(), Some("1.2.3.4"));
    }

    #[test]
    fn round_trips_ipv6() {
        let v = Via::parse("SIP/2.0/TCP [::1]:5070;branch=z9hG4bKx;rport=4000").unwrap();
        assert_eq!(v.rport(), Some(Some(4000)));
        assert_eq!(
            v.to_string(),
            "SIP/2.0/TCP [::1]:5070;branch=z9hG4bKx;rport=4000"
        );
    }

    #[test]
    fn rejects_bad_via() {
        for bad in [
            "",
            "SIP/2.0/UDP",
            "SIP/3.0/UDP h",
            "HTTP/2.0/UDP h",
            "SIP/2.0/ h",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
    }
}
