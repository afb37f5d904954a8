//! Typed views of the small headers that rsip has no type for, or types too loosely.

use std::fmt;

use super::method::Method;
use super::params::Params;
use super::ParseError;

/// `CSeq: 42 INVITE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    pub fn parse(s: &str) -> Result<CSeq, ParseError> {
        let mut it = s.split_whitespace();
        let (Some(n), Some(m), None) = (it.next(), it.next(), it.next()) else {
            return Err(ParseError::new(format!("bad CSeq: {s:?}")));
        };
        // RFC 3261 §8.1.1.5: the sequence number is a 32-bit unsigned integer.
        let seq = n
            .parse::<u32>()
            .map_err(|_| ParseError::new(format!("bad CSeq number: {n:?}")))?;
        let method =
            Method::parse(m).ok_or_else(|| ParseError::new(format!("bad CSeq method: {m:?}")))?;
        Ok(CSeq { seq, method })
    }
}

impl fmt::Display for CSeq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

/// `Event: presence;id=7` (RFC 6665 §8.2.1). Packages compare case-sensitively but we accept
/// any case for robustness, as most stacks do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub package: String,
    pub params: Params,
}

impl Event {
    pub fn new(package: &str) -> Event {
        Event {
            package: package.to_owned(),
            params: Params::new(),
        }
    }

    pub fn parse(s: &str) -> Result<Event, ParseError> {
        let (pkg, params) = match s.find(';') {
            Some(i) => (s[..i].trim(), Params::parse(&s[i..])),
            None => (s.trim(), Params::new()),
        };
        if pkg.is_empty() || !pkg.bytes().all(super::method::is_token_byte) {
            return Err(ParseError::new(format!("bad Event: {s:?}")));
        }
        Ok(Event {
            package: pkg.to_owned(),
            params,
        })
    }

    pub fn id(&self) -> Option<&str> {
        self.params.get("id")
    }

    /// Two Event values name the same subscription when package and id match (RFC 6665 §8.2.1).
    pub fn matches(&self, other: &Event) -> bool {
        self.package.eq_ignore_ascii_case(&other.package) && self.id() == other.id()
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.package, self.params)
    }
}

/// The `Subscription-State` substates (RFC 6665 §8.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubState {
    Active,
    Pending,
    Terminated,
    /// Unknown values must be treated as `active` by a subscriber (RFC 6665 §4.1.3), but are
    /// kept for logs.
    Other(String),
}

/// `Subscription-State: terminated;reason=timeout;retry-after=30`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionState {
    pub state: SubState,
    pub params: Params,
}

impl SubscriptionState {
    pub fn new(state: SubState) -> SubscriptionState {
        SubscriptionState {
            state,
            params: Params::new(),
        }
    }

    pub fn parse(s: &str) -> Result<SubscriptionState, ParseError> {
        let (st, params) = match s.find(';') {
            Some(i) => (s[..i].trim(), Params::parse(&s[i..])),
            None => (s.trim(), Params::new()),
        };
        let state = match st.to_ascii_lowercase().as_str() {
            "active" => SubState::Active,
            "pending" => SubState::Pending,
            "terminated" => SubState::Terminated,
            "" => return Err(ParseError::new("empty Subscription-State")),
            other => SubState::Other(other.to_owned()),
        };
        Ok(SubscriptionState { state, params })
    }

    pub fn expires(&self) -> Option<u32> {
        self.params.get("expires").and_then(|v| v.parse().ok())
    }

    pub fn reason(&self) -> Option<&str> {
        self.params.get("reason")
    }

    pub fn retry_after(&self) -> Option<u32> {
        self.params.get("retry-after").and_then(|v| v.parse().ok())
    }
}

impl fmt::Display for SubscriptionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match &self.state {
            SubState::Active => "active",
            SubState::Pending => "pending",
            SubState::Terminated => "terminated",
            SubState::Other(s) => s,
        };
        write!(f, "{s}{}", self.params)
    }
}

/// Parses a delta-seconds header value (`Expires`, `Min-Expires`, `Retry-After`'s number);
/// values beyond u32 saturate, as RFC 3261 §20.19 allows.
pub fn parse_delta_seconds(s: &str) -> Result<u32, ParseError> {
    let digits = s.split([';', '(']).next().unwrap_or("").trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(format!("bad delta-seconds: {s:?}")));
    }
    Ok(digits
        .parse::<u64>()
        .map_or(u32::MAX, |v| v.min(u32::MAX as u64) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cseq_event_state() {
        let c = CSeq::parse(" 4711  INVITE ").unwrap();
        assert_eq!((c.seq, c.method.clone()), (4711, Method::Invite));
        assert!(CSeq::parse("99999999999 INVITE").is_err());
        let e = Event::parse("presence;id=3").unwrap();
        assert!(e.matches(&Event::parse("Presence ; id=3").unwrap()));
        assert!(!e.matches(&Event::new("presence")));
        let s = SubscriptionState::parse("terminated;reason=noresource;retry-after=30").unwrap();
        assert_eq!(s.state, SubState::Terminated);
        assert_eq!(
            (s.reason(), s.retry_after()),
            (Some("noresource"), Some(30))
        );
        assert_eq!(parse_delta_seconds("3600").unwrap(), 3600);
        assert_eq!(parse_delta_seconds("99999999999").unwrap(), u32::MAX);
        assert!(parse_delta_seconds("soon").is_err());
    }
}
