//! `WWW-Authenticate` and `Proxy-Authenticate` values (RFC 3261 §20.44 and §20.27).
//!
//! SIP carries one challenge per header field: these fields are exempt from comma-joining
//! (RFC 3261 §7.3.1), so each value holds exactly one scheme and its parameters.

use std::fmt;
use std::str::FromStr;

use super::params::{split_scheme, ParamWriter, Params};
use super::{Algorithm, AuthParam, ParseError, Qop};

/// A parsed challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Challenge {
    /// `Digest …` (RFC 7616 §3.3, RFC 8760).
    Digest(DigestChallenge),
    /// `Bearer …` (RFC 8898, RFC 6750 §3).
    Bearer(BearerChallenge),
}

/// A Digest challenge (RFC 7616 §3.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestChallenge {
    /// Protection space; credentials are kept per realm.
    pub realm: String,
    /// Server nonce, echoed in the credentials.
    pub nonce: String,
    /// Opaque server state, echoed unchanged.
    pub opaque: Option<String>,
    /// `None` when absent, which means MD5 (RFC 7616 §3.3); kept apart from `Some(Md5)` so the
    /// value serialises as it was received.
    pub algorithm: Option<Algorithm>,
    /// Offered qualities of protection; empty when the server sent none (RFC 2069 mode).
    pub qop: Vec<Qop>,
    /// The previous request was refused only because its nonce had expired: retry with this
    /// nonce without asking the user (RFC 7616 §3.3).
    pub stale: bool,
    /// URIs of the protection space; empty when absent.
    pub domain: Vec<String>,
    /// The server wants the username hashed (RFC 7616 §3.4.4).
    pub userhash: bool,
    /// Parameters not interpreted here (`charset`, extensions), in received order.
    pub extra: Vec<AuthParam>,
}

/// A Bearer challenge (RFC 8898, with the error fields of RFC 6750 §3).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BearerChallenge {
    /// Protection space.
    pub realm: Option<String>,
    /// Scope the token needs.
    pub scope: Option<String>,
    /// Authorization server to obtain a token from (RFC 8898).
    pub authz_server: Option<String>,
    /// `invalid_request`, `invalid_token` or `insufficient_scope` (RFC 6750 §3.1).
    pub error: Option<String>,
    /// Human-readable explanation of `error`.
    pub error_description: Option<String>,
    /// Parameters not interpreted here, in received order.
    pub extra: Vec<AuthParam>,
}

impl Challenge {
    /// The challenge's realm, or `""` for a Bearer challenge without one.
    pub fn realm(&self) -> &str {
        match self {
            Challenge::Digest(d) => &d.realm,
            Challenge::Bearer(b) => b.realm.as_deref().unwrap_or(""),
        }
    }
}

impl FromStr for Challenge {
    type Err = ParseError;

    /// Parses one header value, without the header name. Never panics.
    fn from_str(s: &str) -> Result<Self, ParseError> {
        let (scheme, rest) = split_scheme(s)?;
        if scheme.eq_ignore_ascii_case("Digest") {
            DigestChallenge::from_params(Params::new(rest.params()?)).map(Challenge::Digest)
        } else if scheme.eq_ignore_ascii_case("Bearer") {
            Ok(Challenge::Bearer(BearerChallenge::from_params(
                Params::new(rest.params()?),
            )))
        } else {
            Err(ParseError::UnsupportedScheme(scheme.to_owned()))
        }
    }
}

impl DigestChallenge {
    fn from_params(mut p: Params) -> Result<Self, ParseError> {
        let qop = match p.take("qop") {
            Some(list) => parse_qop_list(&list)?,
            None => Vec::new(),
        };
        Ok(Self {
            realm: p.require("realm")?,
            nonce: p.require("nonce")?,
            opaque: p.take("opaque"),
            algorithm: p.take("algorithm").map(|a| a.parse()).transpose()?,
            qop,
            stale: p.flag("stale")?,
            domain: p
                .take("domain")
                .map(|d| d.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default(),
            userhash: p.flag("userhash")?,
            extra: p.into_extra(),
        })
    }
}

/// `qop="auth,auth-int"`: unknown options are skipped (a server may add future ones), but a
/// list with none we implement is an error, because answering without qop would be refused.
fn parse_qop_list(list: &str) -> Result<Vec<Qop>, ParseError> {
    let items: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let known: Vec<Qop> = items.iter().filter_map(|s| s.parse().ok()).collect();
    if known.is_empty() && !items.is_empty() {
        return Err(ParseError::UnsupportedQop(list.to_owned()));
    }
    Ok(known)
}

impl BearerChallenge {
    fn from_params(mut p: Params) -> Self {
        Self {
            realm: p.take("realm"),
            scope: p.take("scope"),
            authz_server: p.take("authz_server"),
            error: p.take("error"),
            error_description: p.take("error_description"),
            extra: p.into_extra(),
        }
    }
}

impl fmt::Display for Challenge {
    /// The header value in canonical form; parsing it yields an equal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Challenge::Digest(d) => d.fmt(f),
            Challenge::Bearer(b) => b.fmt(f),
        }
    }
}

impl fmt::Display for DigestChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "Digest")?;
        w.quoted("realm", &self.realm)?;
        if !self.domain.is_empty() {
            w.quoted("domain", &self.domain.join(" "))?;
        }
        w.quoted("nonce", &self.nonce)?;
        if let Some(opaque) = &self.opaque {
            w.quoted("opaque", opaque)?;
        }
        if self.stale {
            w.bare("stale", "true")?;
        }
        if let Some(algorithm) = self.algorithm {
            w.bare("algorithm", algorithm)?;
        }
        if !self.qop.is_empty() {
            let list: Vec<&str> = self.qop.iter().map(|q| q.name()).collect();
            w.quoted("qop", &list.join(","))?;
        }
        if self.userhash {
            w.bare("userhash", "true")?;
        }
        w.extra(&self.extra)
    }
}

impl fmt::Display for BearerChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = ParamWriter::new(f, "Bearer")?;
        let fields = [
            ("realm", &self.realm),
            ("scope", &self.scope),
            ("authz_server", &self.authz_server),
            ("error", &self.error),
            ("error_description", &self.error_description),
        ];
        for (name, value) in fields {
            if let Some(value) = value {
                w.quoted(name, value)?;
            }
        }
        w.extra(&self.extra)
    }
}
