//! Typed views of the attributes audio calls depend on.
//!
//! Each view is parsed from an [`Attribute`] value on demand and written back by `Display` as
//! that value; a malformed attribute yields `None` rather than an error, because one bad line
//! from a peer should cost that line, not the call.

use std::fmt;

use super::model::{Attribute, Connection, MediaDescription};
use super::parse::number;

/// Which way media flows, from the point of view of the SDP's author (RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Sends and receives; the default when no attribute is present.
    SendRecv,
    /// Sends only; offered by a party putting the call on hold.
    SendOnly,
    /// Receives only.
    RecvOnly,
    /// Neither sends nor receives.
    Inactive,
}

impl Direction {
    /// The attribute name, e.g. `sendonly`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Parses one of the four direction attribute names.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "sendrecv" => Self::SendRecv,
            "sendonly" => Self::SendOnly,
            "recvonly" => Self::RecvOnly,
            "inactive" => Self::Inactive,
            _ => return None,
        })
    }

    /// The same flow seen from the other end: `sendonly` becomes `recvonly` and back.
    pub fn reversed(self) -> Self {
        Self::new(self.recvs(), self.sends())
    }

    /// Flow that both `self` and `other` allow, e.g. to narrow a mirrored offer by our config.
    pub fn intersect(self, other: Self) -> Self {
        Self::new(self.sends() && other.sends(), self.recvs() && other.recvs())
    }

    /// Whether the author sends media.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether the author receives media.
    pub fn recvs(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    fn new(sends: bool, recvs: bool) -> Self {
        match (sends, recvs) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]` (RFC 8866 §6.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// RTP payload type, 0..=127.
    pub payload_type: u8,
    /// Encoding name as written by the peer; compare case-insensitively.
    pub encoding: String,
    /// RTP clock rate in Hz.
    pub clock_rate: u32,
    /// Audio channel count; absent means one.
    pub channels: Option<u16>,
}

impl RtpMap {
    /// Parses an `rtpmap` attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let (pt, rest) = value.split_once(' ')?;
        let mut parts = rest.trim().split('/');
        let encoding = parts.next().filter(|e| !e.is_empty())?;
        let clock_rate = number(parts.next()?)?;
        let channels = match parts.next() {
            Some(channels) => Some(number(channels)?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            payload_type: payload_type(pt)?,
            encoding: encoding.to_owned(),
            clock_rate,
            channels,
        })
    }
}

impl fmt::Display for RtpMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}/{}",
            self.payload_type, self.encoding, self.clock_rate
        )?;
        match self.channels {
            Some(channels) => write!(f, "/{channels}"),
            None => Ok(()),
        }
    }
}

/// `a=fmtp:<pt> <parameters>`; the parameters are codec-specific and kept as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp {
    /// RTP payload type the parameters apply to.
    pub payload_type: u8,
    /// The parameter string, e.g. `0-16` or `useinbandfec=1; stereo=0`.
    pub params: String,
}

impl Fmtp {
    /// Parses an `fmtp` attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let (pt, params) = value.split_once(' ')?;
        Some(Self {
            payload_type: payload_type(pt)?,
            params: params.trim().to_owned(),
        })
    }

    /// The `key=value` pairs of a `;`-separated parameter list, e.g. opus's `useinbandfec=1`.
    /// An item without `=` (like telephone-event's `0-16`) comes back with an empty value.
    pub fn parameters(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .split(';')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
    }
}

impl fmt::Display for Fmtp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.payload_type, self.params)
    }
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605): where RTCP goes when it is not
/// on the RTP port + 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtcp {
    /// RTCP port.
    pub port: u16,
    /// RTCP address when it differs from the media's `c=`.
    pub connection: Option<Connection>,
}

impl Rtcp {
    /// Parses an `rtcp` attribute value.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split_ascii_whitespace();
        let port = number(parts.next()?)?;
        let connection = match (parts.next(), parts.next(), parts.next()) {
            (None, _, _) => None,
            (Some(nettype), Some(addrtype), Some(address)) => Some(Connection {
                nettype: nettype.to_owned(),
                addrtype: addrtype.to_owned(),
                address: address.to_owned(),
            }),
            _ => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self { port, connection })
    }
}

impl fmt::Display for Rtcp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.port)?;
        match &self.connection {
            Some(c) => write!(f, " {} {} {}", c.nettype, c.addrtype, c.address),
            None => Ok(()),
        }
    }
}

impl MediaDescription {
    /// Every well-formed `rtpmap`, in attribute order.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap> + '_ {
        self.values("rtpmap").filter_map(RtpMap::parse)
    }

    /// The `rtpmap` for `payload_type`. Static payload types often have none; see
    /// [`Codec::from_media`](super::Codec::from_media) for one that falls back to RFC 3551.
    pub fn rtpmap(&self, payload_type: u8) -> Option<RtpMap> {
        self.rtpmaps().find(|m| m.payload_type == payload_type)
    }

    /// The `fmtp` for `payload_type`.
    pub fn fmtp(&self, payload_type: u8) -> Option<Fmtp> {
        self.values("fmtp")
            .filter_map(Fmtp::parse)
            .find(|f| f.payload_type == payload_type)
    }

    /// `a=ptime`, the packet duration in milliseconds the author wants to receive.
    pub fn ptime(&self) -> Option<u32> {
        self.values("ptime").find_map(|v| number(v.trim()))
    }

    /// `a=rtcp`, when the author moved RTCP off RTP port + 1.
    pub fn rtcp(&self) -> Option<Rtcp> {
        self.values("rtcp").find_map(Rtcp::parse)
    }

    /// Whether `a=rtcp-mux` (RFC 5761) is present: RTCP shares the RTP port.
    pub fn rtcp_mux(&self) -> bool {
        self.attribute("rtcp-mux").is_some()
    }

    pub(super) fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.attributes
            .iter()
            .filter(move |a| a.name == name)
            .filter_map(|a: &Attribute| a.value.as_deref())
    }
}

/// A payload type: a number in 0..=127 (RFC 3550 §5.1 gives it seven bits).
pub(super) fn payload_type(text: &str) -> Option<u8> {
    number(text).filter(|pt: &u8| *pt <= 127)
}
