//! The SDP data model: plain values with public fields, one per line type we interpret.

use std::net::IpAddr;

use super::attr::Direction;

/// A whole session description: the session-level lines and the media sections in order.
///
/// Fields are public because an SDP is data; building one by hand is fine, but values must not
/// contain CR or LF, or the text written by `Display` will not parse back. Lines this model does
/// not interpret (`i=`, `u=`, `e=`, `p=`, `z=`, `k=` and unknown letters) are kept in
/// [`extra_lines`](Self::extra_lines) and written back in RFC 8866 §5 order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// `o=`: identifies the session and, through `sess_version`, each revision of it.
    pub origin: Origin,
    /// `s=`: required by the RFC but meaningless for calls.
    pub session_name: String,
    /// Session-level `c=`, the default for media sections without their own.
    pub connection: Option<Connection>,
    /// Session-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// `t=` lines with their `r=` repeats; calls use a single `t=0 0`.
    pub times: Vec<Timing>,
    /// Session-level `a=` lines, the defaults for media-level ones such as direction.
    pub attributes: Vec<Attribute>,
    /// The `m=` sections; their order is significant in offer/answer (RFC 3264 §6).
    pub media: Vec<MediaDescription>,
    /// Session-level lines kept verbatim, in input order.
    pub extra_lines: Vec<Line>,
}

/// The `o=` line. `sess_id` stays fixed for a session; `sess_version` grows with each change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// Login of the originating user, `-` when there is none.
    pub username: String,
    /// Numeric session id, unique for this originator.
    pub sess_id: u64,
    /// Revision of this description; a new offer from the same session increments it.
    pub sess_version: u64,
    /// Network type, `IN` for the Internet.
    pub nettype: String,
    /// `IP4` or `IP6`.
    pub addrtype: String,
    /// Address or host name of the originator; informational only.
    pub address: String,
}

/// A `c=` line: where the sender of this SDP wants to receive media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Network type, `IN` for the Internet.
    pub nettype: String,
    /// `IP4` or `IP6`.
    pub addrtype: String,
    /// The address, possibly a host name or a multicast `addr/ttl[/count]`.
    pub address: String,
}

impl Connection {
    /// A unicast `IN IP4|IP6` connection for `ip`.
    pub fn from_ip(ip: IpAddr) -> Self {
        let addrtype = if ip.is_ipv4() { "IP4" } else { "IP6" };
        Self {
            nettype: "IN".to_owned(),
            addrtype: addrtype.to_owned(),
            address: ip.to_string(),
        }
    }

    /// The address as an IP literal, without any multicast `/ttl` suffix.
    ///
    /// `None` for host names: resolving them is I/O and belongs to the caller.
    pub fn ip(&self) -> Option<IpAddr> {
        let host = self.address.split('/').next().unwrap_or_default();
        host.parse().ok()
    }
}

/// A `b=<type>:<value>` line, e.g. `AS` in kbit/s or `TIAS` in bit/s.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    /// The bandwidth type, e.g. `AS`, `CT` or `TIAS`.
    pub kind: String,
    /// The value, in the unit the type defines.
    pub value: u64,
}

/// A `t=` line and the `r=` lines that follow it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timing {
    /// NTP start time, 0 for an unbounded session.
    pub start: u64,
    /// NTP stop time, 0 for an unbounded session.
    pub stop: u64,
    /// `r=` values kept verbatim.
    pub repeats: Vec<String>,
}

/// An `a=name` or `a=name:value` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute name, e.g. `rtpmap`.
    pub name: String,
    /// Everything after the first `:`; `None` for flags such as `rtcp-mux`.
    pub value: Option<String>,
}

impl Attribute {
    /// A property attribute (`a=name`).
    pub fn flag(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            value: None,
        }
    }

    /// A value attribute (`a=name:value`).
    pub fn new(name: &str, value: impl ToString) -> Self {
        Self {
            name: name.to_owned(),
            value: Some(value.to_string()),
        }
    }
}

/// A line kept verbatim because the model does not interpret it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The type letter, always an ASCII lowercase letter.
    pub kind: char,
    /// Everything after the `=`.
    pub value: String,
}

/// One `m=` section and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `text`, `application`, `message` or anything newer.
    pub media: String,
    /// Transport port; 0 marks a rejected or disabled stream (RFC 3264 §6).
    pub port: u16,
    /// The `/<count>` after the port, for layered encodings.
    pub port_count: Option<u16>,
    /// Transport protocol, e.g. `RTP/AVP` or `RTP/SAVP`.
    pub proto: String,
    /// Formats; RTP payload type numbers for the RTP profiles.
    pub formats: Vec<String>,
    /// Media-level `c=`, overriding the session-level one.
    pub connection: Option<Connection>,
    /// Media-level `b=` lines.
    pub bandwidths: Vec<Bandwidth>,
    /// Media-level `a=` lines, in input order.
    pub attributes: Vec<Attribute>,
    /// Media-level lines kept verbatim (`i=`, `k=`, unknown letters).
    pub extra_lines: Vec<Line>,
}

impl MediaDescription {
    /// An `m=` section with no lines under it yet.
    pub fn new(media: &str, port: u16, proto: &str, formats: Vec<String>) -> Self {
        Self {
            media: media.to_owned(),
            port,
            port_count: None,
            proto: proto.to_owned(),
            formats,
            connection: None,
            bandwidths: Vec::new(),
            attributes: Vec::new(),
            extra_lines: Vec::new(),
        }
    }

    /// The first attribute called `name`, compared case-sensitively as RFC 8866 §5.13 requires.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find(&self.attributes, name)
    }

    /// The media-level direction attribute, if any; see
    /// [`SessionDescription::media_direction`] for the effective one.
    pub fn direction(&self) -> Option<Direction> {
        direction(&self.attributes)
    }

    /// Whether the section uses the RTP/SAVP family, where SRTP is mandatory (RFC 4568 §3.1.4).
    pub fn is_srtp_profile(&self) -> bool {
        self.proto.starts_with("RTP/SAVP")
    }
}

impl SessionDescription {
    /// Parses an SDP body.
    ///
    /// Never panics. Rejects input over [`MAX_INPUT_LEN`](super::MAX_INPUT_LEN) bytes or with
    /// more than [`MAX_MEDIA`](super::MAX_MEDIA) media sections, and lines that do not fit their
    /// RFC 8866 grammar; the error names the 1-based line.
    pub fn parse(input: &str) -> Result<Self, super::SdpError> {
        super::parse::parse(input)
    }

    /// The first session-level attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        find(&self.attributes, name)
    }

    /// The session-level direction attribute, the default for every media section.
    pub fn direction(&self) -> Option<Direction> {
        direction(&self.attributes)
    }

    /// The direction in force for `media`: its own attribute, else the session's, else
    /// `sendrecv` (RFC 3264 §5.1).
    pub fn media_direction(&self, media: &MediaDescription) -> Direction {
        media
            .direction()
            .or_else(|| self.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// The `c=` in force for `media`: its own, else the session's.
    pub fn media_connection<'a>(&'a self, media: &'a MediaDescription) -> Option<&'a Connection> {
        media.connection.as_ref().or(self.connection.as_ref())
    }
}

fn find<'a>(attributes: &'a [Attribute], name: &str) -> Option<&'a Attribute> {
    attributes.iter().find(|a| a.name == name)
}

fn direction(attributes: &[Attribute]) -> Option<Direction> {
    attributes
        .iter()
        .filter(|a| a.value.is_none())
        .find_map(|a| Direction::from_name(&a.name))
}
