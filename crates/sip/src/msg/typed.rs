//! Typed views of the small headers that rsip has no type for, or types too loosely.

use std::fmt;

use super::method::{is_token_byte, Method};
use super::params::{split_outside_quotes, Params};
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
        if !is_token(pkg) {
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

/// RFC 3261 §25.1 `token`.
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// An entity-tag (RFC 3903 §11.3): what `SIP-ETag` assigns to published state and
/// `SIP-If-Match` names again. A token, compared byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EntityTag(String);

impl EntityTag {
    pub fn parse(s: &str) -> Result<EntityTag, ParseError> {
        let s = s.trim();
        if !is_token(s) {
            return Err(ParseError::new(format!("bad entity-tag: {s:?}")));
        }
        Ok(EntityTag(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EntityTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The elements of a list header over all its lines: the parser splits what arrived, but a
/// value we pushed ourselves may still hold commas.
fn list_elements<'a>(values: impl IntoIterator<Item = &'a str>) -> impl Iterator<Item = &'a str> {
    values
        .into_iter()
        .flat_map(|v| split_outside_quotes(v, b','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// `Allow-Events: presence, presence.winfo` (compact `u`, RFC 6665 §8.2.2): the event packages,
/// with their templates, that a UA takes SUBSCRIBEs for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowEvents(pub Vec<String>);

impl AllowEvents {
    /// Parses every value of the header, however split across lines.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<AllowEvents, ParseError> {
        list_elements(values)
            .map(|event| match is_token(event) {
                true => Ok(event.to_owned()),
                false => Err(ParseError::new(format!("bad Allow-Events: {event:?}"))),
            })
            .collect::<Result<_, _>>()
            .map(AllowEvents)
    }

    /// Whether `event` (`presence`, `presence.winfo`) is listed; any case, as [`Event`] matches.
    pub fn contains(&self, event: &str) -> bool {
        self.0.iter().any(|e| e.eq_ignore_ascii_case(event))
    }
}

impl fmt::Display for AllowEvents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join(", "))
    }
}

/// One `Accept` element (RFC 3261 §20.1): `type/subtype`, either side `*`, with parameters
/// (`q` among them) kept as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRange {
    pub main: String,
    pub sub: String,
    pub params: Params,
}

impl MediaRange {
    pub fn parse(s: &str) -> Result<MediaRange, ParseError> {
        let (range, params) = match s.find(';') {
            Some(i) => (&s[..i], Params::parse(&s[i..])),
            None => (s, Params::new()),
        };
        let bad = || ParseError::new(format!("bad media range: {s:?}"));
        let (main, sub) = range.split_once('/').ok_or_else(bad)?;
        let (main, sub) = (main.trim(), sub.trim());
        // `*/html` is no range: a wildcard type takes a wildcard subtype.
        if !is_token(main) || !is_token(sub) || (main == "*" && sub != "*") {
            return Err(bad());
        }
        Ok(MediaRange {
            main: main.to_owned(),
            sub: sub.to_owned(),
            params,
        })
    }

    /// Whether a body of `content_type` (a Content-Type value; its parameters are ignored)
    /// falls in the range. Types compare in any case (RFC 2045 §5.1).
    pub fn matches(&self, content_type: &str) -> bool {
        let media = content_type.split(';').next().unwrap_or("");
        let Some((main, sub)) = media.split_once('/') else {
            return false;
        };
        let part = |range: &str, got: &str| range == "*" || range.eq_ignore_ascii_case(got.trim());
        part(&self.main, main) && part(&self.sub, sub)
    }
}

impl fmt::Display for MediaRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}{}", self.main, self.sub, self.params)
    }
}

/// `Accept: application/pidf+xml, application/*;q=0.5` (RFC 3261 §20.1). An `Accept` with no
/// value accepts no body; no `Accept` at all means `application/sdp` (§20.1), which callers
/// see as the header being absent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accept(pub Vec<MediaRange>);

impl Accept {
    /// Parses every value of the header, however split across lines.
    pub fn parse<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Accept, ParseError> {
        list_elements(values)
            .map(MediaRange::parse)
            .collect::<Result<_, _>>()
            .map(Accept)
    }

    /// Whether a body of `content_type` is acceptable.
    pub fn accepts(&self, content_type: &str) -> bool {
        self.0.iter().any(|range| range.matches(content_type))
    }
}

impl fmt::Display for Accept {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, range) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{range}")?;
        }
        Ok(())
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
    use crate::msg::{Headers, Request, Response, SipMessage, Uri};

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

    #[test]
    fn entity_tags_are_tokens() {
        assert_eq!(EntityTag::parse(" dx200xyz ").unwrap().as_str(), "dx200xyz");
        assert_eq!(
            EntityTag::parse("a.b-c_d!%*+`'~").unwrap().to_string(),
            "a.b-c_d!%*+`'~"
        );
        for bad in ["", "two words", "\"quoted\"", "semi;colon", "a,b", "<x>"] {
            assert!(EntityTag::parse(bad).is_err(), "{bad:?}");
        }
        let mut h = Headers::new();
        h.push_wire("sip-etag", "kwj449x".into());
        h.push_wire("SIP-IF-MATCH", "not a token".into());
        let resp = Response {
            status: 200,
            reason: "OK".into(),
            headers: h,
            body: Vec::new(),
        };
        assert_eq!(resp.sip_etag(), Some(EntityTag::parse("kwj449x").unwrap()));
        assert_eq!(
            resp.sip_if_match(),
            None,
            "a value that is no token names nothing"
        );
    }

    #[test]
    fn allow_events_over_lines_values_and_compact_form() {
        let mut h = Headers::new();
        h.push_wire("Allow-Events", "presence, presence.winfo".into());
        h.push_wire("u", "dialog".into());
        h.push("Allow-Events", "message-summary ,refer");
        let allow = AllowEvents::parse(h.get_all("Allow-Events")).unwrap();
        assert_eq!(
            allow.0,
            [
                "presence",
                "presence.winfo",
                "dialog",
                "message-summary",
                "refer"
            ]
        );
        assert!(allow.contains("Presence.WINFO") && !allow.contains("conference"));
        assert_eq!(
            allow.to_string(),
            "presence, presence.winfo, dialog, message-summary, refer"
        );
        assert!(AllowEvents::parse(["presence, two words"]).is_err());
        assert_eq!(
            AllowEvents::parse(Vec::<&str>::new()).unwrap(),
            AllowEvents::default()
        );
    }

    #[test]
    fn accept_ranges_with_params() {
        let mut h = Headers::new();
        h.push_wire(
            "Accept",
            "application/pidf+xml;q=1, application/*;q=0.5;level=\"a,b\"".into(),
        );
        h.push_wire("accept", "multipart/related".into());
        let accept = Accept::parse(h.get_all("Accept")).unwrap();
        assert_eq!(accept.0.len(), 3);
        assert_eq!(
            (accept.0[0].main.as_str(), accept.0[0].sub.as_str()),
            ("application", "pidf+xml")
        );
        assert_eq!(accept.0[1].params.get("q"), Some("0.5"));
        assert_eq!(accept.0[1].params.get("level"), Some("a,b"));
        assert!(accept.accepts("Application/PIDF+XML"));
        assert!(accept.accepts("application/watcherinfo+xml;charset=utf-8"));
        assert!(accept.accepts("multipart/related;type=\"application/rlmi+xml\""));
        assert!(!accept.accepts("text/plain"));
        assert_eq!(
            accept.to_string(),
            "application/pidf+xml;q=1, application/*;q=0.5;level=\"a,b\", multipart/related"
        );
        assert!(Accept::parse(["*/*"]).unwrap().accepts("text/plain"));
        for bad in ["text", "*/plain", "text/", "te xt/plain"] {
            assert!(Accept::parse([bad]).is_err(), "{bad:?}");
        }
        // An empty Accept accepts nothing.
        assert!(!Accept::parse([""]).unwrap().accepts("application/sdp"));
    }

    #[test]
    fn list_accessors_tell_absent_from_empty() {
        let mut req = Request::new(Method::Subscribe, Uri::parse("sip:a@b").unwrap());
        assert_eq!(req.accept_header(), Ok(None));
        assert_eq!(req.allow_events(), Ok(None));
        req.headers.push_wire("Accept", String::new());
        req.headers.push_wire("u", "presence".into());
        assert_eq!(req.accept_header(), Ok(Some(Accept::default())));
        assert_eq!(
            req.allow_events(),
            Ok(Some(AllowEvents(vec!["presence".into()])))
        );
        req.headers.push("Accept", "nonsense");
        assert!(req.accept_header().is_err());
    }
}
