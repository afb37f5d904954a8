//! The shared grammar of the four auth header fields: a scheme token followed by either
//! comma-separated `name=value` pairs or a `token68` (RFC 7235 §2.1, RFC 3261 §25.1).
//!
//! The scanner walks the `&str` by characters and only ever splits at ASCII delimiters, so
//! every slice it returns is valid UTF-8 and no index can fall outside the input.

use std::collections::HashSet;
use std::fmt::{self, Write as _};

use super::ParseError;

/// One `name=value` pair kept as received, so parameters this module does not interpret
/// (`charset`, vendor extensions) survive a parse and serialise round trip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParam {
    /// Parameter name as received; names compare case-insensitively (RFC 7235 §2.1).
    pub name: String,
    /// Value with quoting and backslash escapes removed.
    pub value: String,
    /// Whether the value was a quoted-string; it is written back the same way when the
    /// value allows it.
    pub quoted: bool,
}

impl fmt::Display for AuthParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_bare(f, &self.name)?;
        f.write_str("=")?;
        if self.quoted || !is_bare_value(&self.value) {
            write_quoted(f, &self.value)
        } else {
            f.write_str(&self.value)
        }
    }
}

/// Writes `s` as a quoted-string, escaping `"` and `\` (RFC 3261 §25.1 `quoted-pair`).
///
/// CR, LF and other controls cannot appear in a quoted-string; parsed values never hold them,
/// and dropping them from hand-built values keeps a username from injecting a header line.
pub(crate) fn write_quoted(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_str("\"")?;
    write_runs(
        f,
        s,
        |c| c == '"' || c == '\\',
        |c| c != '\t' && c.is_control(),
    )?;
    f.write_str("\"")
}

/// Writes `s` unquoted, dropping controls for the same reason as [`write_quoted`].
pub(crate) fn write_bare(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    write_runs(f, s, |_| false, char::is_control)
}

/// Writes `s` with a backslash before each `escaped` character and without the `dropped`
/// ones. The plain stretches between them go out whole: a registrar writes a challenge per
/// request, and formatting it a character at a time cost more than the nonce's HMAC.
fn write_runs(
    f: &mut fmt::Formatter<'_>,
    s: &str,
    escaped: impl Fn(char) -> bool,
    dropped: impl Fn(char) -> bool,
) -> fmt::Result {
    let mut rest = s;
    while let Some((i, c)) = rest.char_indices().find(|&(_, c)| escaped(c) || dropped(c)) {
        f.write_str(&rest[..i])?;
        if escaped(c) {
            f.write_str("\\")?;
            f.write_char(c)?;
        }
        rest = &rest[i + c.len_utf8()..];
    }
    f.write_str(rest)
}

/// RFC 7230 §3.2.6 `tchar`, a superset of RFC 3261's `token` characters.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// What we accept, and therefore may write, as an unquoted value. Wider than `token`
/// because servers send `nonce=abc/de==` unquoted.
fn is_bare_value(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| !is_ws(c) && !c.is_control() && c != ',' && c != '"')
}

/// `token68` (RFC 7235 §2.1): the shape of a Bearer token (RFC 6750 §2.1 `b64token`).
pub(crate) fn is_token68(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}

/// Splits a header value into its scheme and the text after it.
pub(crate) fn split_scheme(src: &str) -> Result<(&str, Scanner<'_>), ParseError> {
    let mut scan = Scanner { src, pos: 0 };
    scan.skip_ws();
    let scheme = scan.token().ok_or(scan.error("authentication scheme"))?;
    if !scan.at_end() && !scan.peek().is_some_and(is_ws) {
        return Err(scan.error("whitespace after the scheme"));
    }
    Ok((scheme, scan))
}

/// Parameters checked for repeats by scanning; more go into a set.
const SCAN_LIMIT: usize = 16;

/// A cursor over a header value.
pub(crate) struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Scanner<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn at_end(&self) -> bool {
        self.rest().is_empty()
    }

    fn error(&self, expected: &'static str) -> ParseError {
        ParseError::Syntax {
            offset: self.pos,
            expected,
        }
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(is_ws) {
            self.bump();
        }
    }

    fn token(&mut self) -> Option<&'a str> {
        let rest = self.rest();
        let len = rest.find(|c: char| !is_tchar(c)).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).filter(|t| !t.is_empty())
    }

    /// The remainder as a `token68`, surrounding whitespace ignored.
    pub(crate) fn token68(self) -> Result<&'a str, ParseError> {
        let token = self.rest().trim_matches(is_ws);
        if is_token68(token) {
            Ok(token)
        } else {
            Err(ParseError::InvalidToken)
        }
    }

    /// The remainder as `#auth-param`: empty list elements are skipped (RFC 7230 §7) and a
    /// repeated name is an error (RFC 7235 §2.1).
    pub(crate) fn params(mut self) -> Result<Vec<AuthParam>, ParseError> {
        let mut params: Vec<AuthParam> = Vec::new();
        // Real headers have about ten parameters, which a scan checks for repeats faster than
        // hashing lowercased copies; past `SCAN_LIMIT` a set keeps hostile input linear.
        let mut seen: Option<HashSet<String>> = None;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Ok(params),
                Some(',') => {
                    self.bump();
                    continue;
                }
                Some(_) => {}
            }
            let name = self.token().ok_or(self.error("parameter name"))?;
            self.skip_ws();
            if self.bump() != Some('=') {
                return Err(self.error("'=' after parameter name"));
            }
            self.skip_ws();
            let (value, quoted) = self.value()?;
            let repeated = match &mut seen {
                Some(set) => !set.insert(name.to_ascii_lowercase()),
                None => params.iter().any(|p| p.name.eq_ignore_ascii_case(name)),
            };
            if repeated {
                return Err(ParseError::DuplicateParam(name.to_owned()));
            }
            params.push(AuthParam {
                name: name.to_owned(),
                value,
                quoted,
            });
            if seen.is_none() && params.len() == SCAN_LIMIT {
                seen = Some(params.iter().map(|p| p.name.to_ascii_lowercase()).collect());
            }
            self.skip_ws();
            match self.bump() {
                None | Some(',') => {}
                Some(_) => return Err(self.error("',' between parameters")),
            }
        }
    }

    fn value(&mut self) -> Result<(String, bool), ParseError> {
        if self.peek() == Some('"') {
            self.bump();
            return self.quoted().map(|v| (v, true));
        }
        let rest = self.rest();
        let len = rest
            .find(|c: char| is_ws(c) || c == ',')
            .unwrap_or(rest.len());
        let value = rest.get(..len).unwrap_or("");
        if !is_bare_value(value) {
            return Err(self.error("parameter value"));
        }
        self.pos += len;
        Ok((value.to_owned(), false))
    }

    /// The body of a quoted-string after its opening quote (RFC 3261 §25.1).
    fn quoted(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.error("closing '\"'")),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some(c) if c == '\t' || !c.is_control() => out.push(c),
                    _ => return Err(self.error("escaped character")),
                },
                Some(c) if c == '\t' || !c.is_control() => out.push(c),
                Some(_) => return Err(self.error("printable character in quoted-string")),
            }
        }
    }
}

/// Parameters being consumed by a scheme's parser; what is left over is kept as `extra`.
pub(crate) struct Params(Vec<AuthParam>);

impl Params {
    pub(crate) fn new(params: Vec<AuthParam>) -> Self {
        Self(params)
    }

    /// Removes and returns the value of `name`, matched case-insensitively.
    pub(crate) fn take(&mut self, name: &str) -> Option<String> {
        let at = self
            .0
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))?;
        Some(self.0.remove(at).value)
    }

    pub(crate) fn require(&mut self, name: &'static str) -> Result<String, ParseError> {
        self.take(name).ok_or(ParseError::MissingParam(name))
    }

    /// A `true`/`false` flag such as `stale` or `userhash`; absent means false.
    pub(crate) fn flag(&mut self, name: &'static str) -> Result<bool, ParseError> {
        match self.take(name) {
            None => Ok(false),
            Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
            Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
            Some(_) => Err(ParseError::InvalidParam(name)),
        }
    }

    pub(crate) fn into_extra(self) -> Vec<AuthParam> {
        self.0
    }
}

/// Writes `, name=value` pairs after a scheme, the first without its comma.
pub(crate) struct ParamWriter<'a, 'f> {
    f: &'a mut fmt::Formatter<'f>,
    first: bool,
}

impl<'a, 'f> ParamWriter<'a, 'f> {
    pub(crate) fn new(f: &'a mut fmt::Formatter<'f>, scheme: &str) -> Result<Self, fmt::Error> {
        f.write_str(scheme)?;
        Ok(Self { f, first: true })
    }

    fn sep(&mut self, name: &str) -> fmt::Result {
        self.f.write_str(if self.first { " " } else { ", " })?;
        self.first = false;
        self.f.write_str(name)?;
        self.f.write_str("=")
    }

    pub(crate) fn quoted(&mut self, name: &str, value: &str) -> fmt::Result {
        self.sep(name)?;
        write_quoted(self.f, value)
    }

    pub(crate) fn bare(&mut self, name: &str, value: impl fmt::Display) -> fmt::Result {
        self.sep(name)?;
        write!(self.f, "{value}")
    }

    pub(crate) fn extra(&mut self, params: &[AuthParam]) -> fmt::Result {
        for p in params {
            self.f.write_str(if self.first { " " } else { ", " })?;
            self.first = false;
            write!(self.f, "{p}")?;
        }
        Ok(())
    }
}
