//! The SDP parser: one pass over the lines, no recursion, no byte-index slicing.

use std::str::FromStr;

use super::model::{
    Attribute, Bandwidth, Connection, Line, MediaDescription, Origin, SessionDescription, Timing,
};

/// Largest SDP body accepted, in bytes. Audio offers are well under 4 KiB; the bound keeps a
/// hostile peer from making us allocate for a body that no phone would send.
pub const MAX_INPUT_LEN: usize = 64 * 1024;

/// Most `m=` sections accepted. An answer repeats every offered section, so this also bounds
/// the work an offer can cause.
pub const MAX_MEDIA: usize = 32;

/// Why an SDP body was rejected, and on which line. A SIP UAS answers it with 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct SdpError {
    /// 1-based line number; 0 when the problem is the input as a whole (its size).
    pub line: usize,
    /// What is wrong with that line.
    pub kind: SdpErrorKind,
}

/// What is wrong with an SDP line.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SdpErrorKind {
    /// The body exceeds [`MAX_INPUT_LEN`].
    #[error("input of {0} bytes exceeds the {MAX_INPUT_LEN}-byte limit")]
    TooLarge(usize),
    /// The body has more than [`MAX_MEDIA`] `m=` lines.
    #[error("more than {MAX_MEDIA} media sections")]
    TooManyMedia,
    /// The line is not `<lowercase letter>=<value>`.
    #[error("not a <type>=<value> line")]
    Malformed,
    /// The `v=` line is not `v=0`, the only version defined.
    #[error("unsupported protocol version, expected v=0")]
    Version,
    /// A mandatory line is absent where it must appear (`v=`, `o=`, `s=` open the body).
    #[error("expected {0}= line")]
    Missing(char),
    /// A line that may appear once appears again.
    #[error("duplicate {0}= line")]
    Duplicate(char),
    /// A line appears where the grammar forbids it, e.g. `t=` inside a media section.
    #[error("{0}= line not allowed here")]
    Misplaced(char),
    /// A field of the line does not parse.
    #[error("invalid {field} in {kind}= line")]
    Field {
        /// The line type.
        kind: char,
        /// Which field, e.g. `port`.
        field: &'static str,
    },
}

pub(super) fn parse(input: &str) -> Result<SessionDescription, SdpError> {
    if input.len() > MAX_INPUT_LEN {
        return Err(SdpError {
            line: 0,
            kind: SdpErrorKind::TooLarge(input.len()),
        });
    }
    let mut lines = input
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| split_line(l).map(|(k, v)| (n, k, v)).ok_or(malformed(n)));

    // A missing mandatory line is reported on the line after the last one read.
    let mut read = 0;
    let mut expect = |want: char| -> Result<(usize, &str), SdpError> {
        match lines.next().transpose()? {
            Some((n, kind, value)) if kind == want => {
                read = n;
                Ok((n, value))
            }
            Some((n, _, _)) => Err(at(n, SdpErrorKind::Missing(want))),
            None => Err(at(read + 1, SdpErrorKind::Missing(want))),
        }
    };
    let (n, version) = expect('v')?;
    if version != "0" {
        return Err(at(n, SdpErrorKind::Version));
    }
    let (n, origin) = expect('o')?;
    let origin = parse_origin(origin).ok_or(field(n, 'o', "origin"))?;
    let (_, session_name) = expect('s')?;

    let mut sdp = SessionDescription {
        origin,
        session_name: session_name.to_owned(),
        connection: None,
        bandwidths: Vec::new(),
        times: Vec::new(),
        attributes: Vec::new(),
        media: Vec::new(),
        extra_lines: Vec::new(),
    };
    for line in lines {
        let (n, kind, value) = line?;
        if kind == 'm' {
            if sdp.media.len() >= MAX_MEDIA {
                return Err(at(n, SdpErrorKind::TooManyMedia));
            }
            sdp.media.push(parse_media(n, value)?);
        } else if let Some(media) = sdp.media.last_mut() {
            media_line(media, n, kind, value)?;
        } else {
            session_line(&mut sdp, n, kind, value)?;
        }
    }
    Ok(sdp)
}

fn session_line(
    sdp: &mut SessionDescription,
    n: usize,
    kind: char,
    value: &str,
) -> Result<(), SdpError> {
    match kind {
        'v' | 'o' | 's' => return Err(at(n, SdpErrorKind::Duplicate(kind))),
        'c' if sdp.connection.is_some() => return Err(at(n, SdpErrorKind::Duplicate('c'))),
        'c' => sdp.connection = Some(parse_connection(n, value)?),
        'b' => sdp.bandwidths.push(parse_bandwidth(n, value)?),
        't' => sdp.times.push(parse_timing(n, value)?),
        'r' => match sdp.times.last_mut() {
            Some(timing) => timing.repeats.push(value.to_owned()),
            None => return Err(at(n, SdpErrorKind::Misplaced('r'))),
        },
        'a' => sdp.attributes.push(parse_attribute(n, value)?),
        _ => sdp.extra_lines.push(Line {
            kind,
            value: value.to_owned(),
        }),
    }
    Ok(())
}

fn media_line(
    media: &mut MediaDescription,
    n: usize,
    kind: char,
    value: &str,
) -> Result<(), SdpError> {
    match kind {
        'v' | 'o' | 's' | 'u' | 'e' | 'p' | 't' | 'r' | 'z' => {
            return Err(at(n, SdpErrorKind::Misplaced(kind)))
        }
        'c' if media.connection.is_some() => return Err(at(n, SdpErrorKind::Duplicate('c'))),
        'c' => media.connection = Some(parse_connection(n, value)?),
        'b' => media.bandwidths.push(parse_bandwidth(n, value)?),
        'a' => media.attributes.push(parse_attribute(n, value)?),
        _ => media.extra_lines.push(Line {
            kind,
            value: value.to_owned(),
        }),
    }
    Ok(())
}

/// Splits `x=value`; the type must be exactly one ASCII lowercase letter.
fn split_line(line: &str) -> Option<(char, &str)> {
    let (kind, value) = line.split_once('=')?;
    match kind.as_bytes() {
        [k] if k.is_ascii_lowercase() => Some((char::from(*k), value)),
        _ => None,
    }
}

fn parse_origin(value: &str) -> Option<Origin> {
    let mut parts = value.split_ascii_whitespace();
    let origin = Origin {
        username: parts.next()?.to_owned(),
        sess_id: number(parts.next()?)?,
        sess_version: number(parts.next()?)?,
        nettype: parts.next()?.to_owned(),
        addrtype: parts.next()?.to_owned(),
        address: parts.next()?.to_owned(),
    };
    parts.next().is_none().then_some(origin)
}

fn parse_connection(n: usize, value: &str) -> Result<Connection, SdpError> {
    let mut parts = value.split_ascii_whitespace();
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(nettype), Some(addrtype), Some(address), None) => Ok(Connection {
            nettype: nettype.to_owned(),
            addrtype: addrtype.to_owned(),
            address: address.to_owned(),
        }),
        _ => Err(field(n, 'c', "connection")),
    }
}

fn parse_bandwidth(n: usize, value: &str) -> Result<Bandwidth, SdpError> {
    let (kind, bw) = value.split_once(':').ok_or(field(n, 'b', "bandwidth"))?;
    let value = number(bw).ok_or(field(n, 'b', "bandwidth value"))?;
    if kind.is_empty() {
        return Err(field(n, 'b', "bandwidth type"));
    }
    Ok(Bandwidth {
        kind: kind.to_owned(),
        value,
    })
}

fn parse_timing(n: usize, value: &str) -> Result<Timing, SdpError> {
    let mut parts = value.split_ascii_whitespace();
    match (parts.next(), parts.next(), parts.next()) {
        (Some(start), Some(stop), None) => Ok(Timing {
            start: number(start).ok_or(field(n, 't', "start time"))?,
            stop: number(stop).ok_or(field(n, 't', "stop time"))?,
            repeats: Vec::new(),
        }),
        _ => Err(field(n, 't', "timing")),
    }
}

fn parse_media(n: usize, value: &str) -> Result<MediaDescription, SdpError> {
    let mut parts = value.split_ascii_whitespace();
    let media = parts.next().ok_or(field(n, 'm', "media type"))?;
    let port = parts.next().ok_or(field(n, 'm', "port"))?;
    let (port, port_count) = match port.split_once('/') {
        Some((port, count)) => (
            port,
            Some(number(count).ok_or(field(n, 'm', "port count"))?),
        ),
        None => (port, None),
    };
    let port = number(port).ok_or(field(n, 'm', "port"))?;
    let proto = parts.next().ok_or(field(n, 'm', "protocol"))?;
    let formats: Vec<String> = parts.map(str::to_owned).collect();
    if formats.is_empty() {
        return Err(field(n, 'm', "format list"));
    }
    let mut m = MediaDescription::new(media, port, proto, formats);
    m.port_count = port_count;
    Ok(m)
}

fn parse_attribute(n: usize, value: &str) -> Result<Attribute, SdpError> {
    let (name, value) = match value.split_once(':') {
        Some((name, value)) => (name, Some(value.to_owned())),
        None => (value, None),
    };
    if name.is_empty() || name.contains(char::is_whitespace) {
        return Err(field(n, 'a', "attribute name"));
    }
    Ok(Attribute {
        name: name.to_owned(),
        value,
    })
}

/// A decimal number of digits only: `str::parse` alone would also take a leading `+`.
/// Overflow is a parse failure, not a wrap.
pub(super) fn number<T: FromStr>(text: &str) -> Option<T> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn at(line: usize, kind: SdpErrorKind) -> SdpError {
    SdpError { line, kind }
}

fn malformed(line: usize) -> SdpError {
    at(line, SdpErrorKind::Malformed)
}

fn field(line: usize, kind: char, field: &'static str) -> SdpError {
    at(line, SdpErrorKind::Field { kind, field })
}
