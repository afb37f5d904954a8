//! `Authorization` and `Proxy-Authorization` values (RFC 3261 §20.7 and §20.28).

use std::fmt;
use std::str::FromStr;

use super::params::{is_token68, split_scheme, ParamWriter, Params};
use super::{Algorithm, AuthParam, ParseError, Qop};

/// Parsed credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// `Digest …` (RFC 7616 §3.4).
    Digest(DigestCredentials),
    /// `Bearer <token>` (RFC 8898, RFC 6750 §2.1).
    Bearer(BearerToken),
}

/// Digest credentials (RFC 7616 §3.4).
///
/// The parser enforces what the response computation needs: `cnonce` and `nc` whenever `qop`
/// is present (RFC 7616 §3.4), and `cnonce` for `-sess` algorithms (§3.4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    /// The username, or `H(username:realm)` when `userhash` is set.
    pub username: String,
    /// Realm of the challenge answered.
    pub realm: String,
    /// Server nonce being answered.
    pub nonce: String,
    /// `digest-uri`: the Request-URI the response covers (RFC 3261 §22.4).
    pub uri: String,
    /// The computed response, lowercase hex.
    pub response: String,
    /// As received; `None` means MD5.
    pub algorithm: Option<Algorithm>,
    /// Client nonce.
    pub cnonce: Option<String>,
    /// Echo of the challenge's `opaque`.
    pub opaque: Option<String>,
    /// The chosen quality of protection; `None` is the RFC 2069 form.
    pub qop: Option<Qop>,
    /// Nonce count, written as 8 lowercase hex digits (RFC 7616 §3.4).
    pub nc: Option<u32>,
    /// `username` is hashed (RFC 7616 §3.4.4).
    pub userhash: bool,
    /// Parameters not interpreted here, in received order.
    pub extra: Vec<AuthParam>,
}

/// A Bearer access token, checked to be a `token68` so it cannot break the header line.
#[derive(Clone, PartialEq, Eq)]
pub struct BearerToken(String);

impl BearerToken {
    /// Wraps `token`, or refuses one that is not a `token68` (RFC 6750 §2.1).
    pub fn new(token: impl Into<String>) -> Result<Self, ParseError> {
        let token = token.into();
        if is_token68(&token) {
            Ok(Self(token))
        } else {
            Err(ParseError::InvalidToken)
        }
    }

    /// The token text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BearerToken {
    /// Redacted: a token in a log is a credential leaked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BearerToken(..)")
    }
}

impl DigestCredentials {
    /// The algorithm in effect: MD5 when the parameter is absent (RFC 7616 §3.3).
    pub fn algorithm_or_default(&self) -> Algorithm {
        self.algorithm.unwrap_or(Algorithm::Md5)
    }

    fn from_params(mut p: Params) -> Result<Self, ParseError> {
        let nc = p.take("nc").map(|nc| parse_nc(&nc)).transpose()?;
        let creds = Self {
            username: p.require("username")?,
            realm: p.require("realm")?,
            nonce: p.require("nonce")?,
            uri: p.require("uri")?,
            response: p.require("response")?,
            algorithm: p.take("algorithm").map(|a| a.parse()).transpose()?,
            cnonce: p.take("cnonce"),
            opaque: p.take("opaque"),
            qop: p.take("qop").map(|q| q.parse()).transpose()?,
            nc,
            userhash: p.flag("userhash")?,
            extra: p.into_extra(),
        };
        let needs_cnonce = creds.qop.is_some() || creds.algorithm_or_default().is_sess();
        if needs_cnonce && creds.cnonce.is_none() {
            return Err(ParseError::MissingParam("cnonce"));
        }
        if creds.qop.is_some() && creds.nc.is_none() {
            return Err(ParseError::MissingParam("nc"));
        }
        Ok(creds)
    }
}

/// `nc` is hashed as the literal text, so only the canonical 8 lowercase hex digits are
/// accepted: re-serialising any other spelling would change the expected response.
fn parse_nc(nc: &str) -> Result<u32, ParseError> {
    let canonical = nc.len() == 8 && nc.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    canonical
        .then(|| u32::from_str_radix(nc, 16).ok())
        .flatten()
        .ok_or(ParseError::InvalidParam("nc"))
}

impl FromStr for Credentials {
    type Err = ParseError;

    /// Parses one header value, without the header name. Never panics.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (scheme, rest) = split_scheme(s)?;
        if scheme.eq_ignore_ascii_case("Digest") {
            DigestCredentials::from_params(Params::new(rest.params()?)).map(Credentials::Digest)
        } else if scheme.eq_ignore_ascii_case("Bearer") {
            BearerToken::new(rest.token68()?).map(Credentials::Bearer)
        } else {
            Err(ParseError::UnsupportedScheme(scheme.to_owned()))
        }
    }
}

impl fmt::Display for Credentials {
    /// The header value in canonical form; parsing it yields an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Digest(d) => d.fmt(f),
            Credentials::Bearer(token) => write!(f, "Bearer {}", token.0),
        }
    }
}

impl fmt::Display for DigestCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "Digest")?;
        w.quoted("username", &self.username)?;
        w.quoted("realm", &self.realm)?;
        w.quoted("nonce", &self.nonce)?;
        w.quoted("uri", &self.uri)?;
        w.quoted("response", &self.response)?;
        if let Some(algorithm) = self.algorithm {
            w.bare("algorithm", algorithm)?;
        }
        if let Some(cnonce) = &self.cnonce {
            w.quoted("cnonce", cnonce)?;
        }
        if let Some(opaque) = &self.opaque {
            w.quoted("opaque", opaque)?;
        }
        if let Some(qop) = self.qop {
            w.bare("qop", qop)?;
        }
        if let Some(nc) = self.nc {
            w.bare("nc", format_args!("{nc:08x}"))?;
        }
        if self.userhash {
            w.bare("userhash", "true")?;
        }
        w.extra(&self.extra)
    }
}
