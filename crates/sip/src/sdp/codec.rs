//! Audio codecs as offered and answered: a payload type bound to an encoding.

use super::attr::{payload_type, Fmtp, RtpMap};
use super::model::{Attribute, MediaDescription};

/// The static audio payload types of RFC 3551 §6 that a phone may meet without an `rtpmap`.
const STATIC: [(u8, &str); 7] = [
    (0, "PCMU"),
    (3, "GSM"),
    (4, "G723"),
    (8, "PCMA"),
    (9, "G722"),
    (13, "CN"),
    (18, "G729"),
];

/// An RTP audio encoding bound to a payload type.
///
/// In our [`MediaConfig`](super::MediaConfig) the payload type is the one we offer; in a
/// [`Negotiated`](super::Negotiated) it is the one the peer declared, which is the number to put
/// in the RTP packets we send it (RFC 3264 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codec {
    /// RTP payload type, 0..=127; 96..=127 are dynamic and only meaningful with an `rtpmap`.
    pub payload_type: u8,
    /// Encoding name, e.g. `PCMU` or `opus`; matched case-insensitively.
    pub name: String,
    /// RTP clock rate in Hz; opus always says 48000 (RFC 7587 §7).
    pub clock_rate: u32,
    /// Channel count from the `rtpmap`; absent means one.
    pub channels: Option<u16>,
    /// `fmtp` parameters we send with the codec.
    pub fmtp: Option<String>,
}

impl Codec {
    /// G.711 µ-law, static payload type 0.
    pub fn pcmu() -> Self {
        Self::new(0, "PCMU", 8000, None)
    }

    /// G.711 A-law, static payload type 8.
    pub fn pcma() -> Self {
        Self::new(8, "PCMA", 8000, None)
    }

    /// Opus on the dynamic `payload_type`, declared `opus/48000/2` as RFC 7587 requires even
    /// for mono.
    pub fn opus(payload_type: u8) -> Self {
        Self::new(payload_type, "opus", 48000, Some(2))
    }

    /// RFC 4733 DTMF events 0-16 (digits, `*`, `#`, A-D, flash) at 8 kHz on `payload_type`.
    pub fn telephone_event(payload_type: u8) -> Self {
        let mut codec = Self::new(payload_type, "telephone-event", 8000, None);
        codec.fmtp = Some("0-16".to_owned());
        codec
    }

    /// PCMU, PCMA, opus on 111 and telephone-event on 101: G.711 first, because every PBX
    /// and gateway speaks it.
    pub fn default_audio() -> Vec<Self> {
        vec![
            Self::pcmu(),
            Self::pcma(),
            Self::opus(111),
            Self::telephone_event(101),
        ]
    }

    /// Whether this is RFC 4733 DTMF rather than a voice codec.
    pub fn is_telephone_event(&self) -> bool {
        self.name.eq_ignore_ascii_case("telephone-event")
    }

    /// The codec a media section declares for `format`: from its `rtpmap`, else from the
    /// static table for well-known payload types. `None` for an unknown dynamic type.
    pub fn from_media(media: &MediaDescription, format: &str) -> Option<Self> {
        let pt = payload_type(format)?;
        let fmtp = media.fmtp(pt).map(|f| f.params);
        Self::declared(pt, media.rtpmap(pt), fmtp)
    }

    /// Every codec of `media` in format order, once per payload type. A payload type without
    /// an `rtpmap` or static meaning is looked up by number in `fallback` (our own offer, when
    /// reading an answer), else skipped.
    ///
    /// One pass over the attributes: a hostile section with thousands of formats and
    /// attributes costs linear time, not their product.
    pub(super) fn all_from_media(media: &MediaDescription, fallback: &[Self]) -> Vec<Self> {
        let mut maps: [Option<RtpMap>; 128] = std::array::from_fn(|_| None);
        for map in media.rtpmaps() {
            if let Some(slot @ None) = maps.get_mut(usize::from(map.payload_type)) {
                *slot = Some(map);
            }
        }
        let mut fmtps: [Option<String>; 128] = std::array::from_fn(|_| None);
        for fmtp in media.values("fmtp").filter_map(Fmtp::parse) {
            if let Some(slot @ None) = fmtps.get_mut(usize::from(fmtp.payload_type)) {
                *slot = Some(fmtp.params);
            }
        }
        let mut seen = [false; 128];
        let mut codecs = Vec::new();
        for pt in media.formats.iter().filter_map(|f| payload_type(f)) {
            let index = usize::from(pt);
            let Some(seen @ false) = seen.get_mut(index) else {
                continue;
            };
            *seen = true;
            let map = maps.get_mut(index).and_then(Option::take);
            let fmtp = fmtps.get_mut(index).and_then(Option::take);
            let codec = Self::declared(pt, map, fmtp)
                .or_else(|| fallback.iter().find(|c| c.payload_type == pt).cloned());
            codecs.extend(codec);
        }
        codecs
    }

    fn declared(pt: u8, map: Option<RtpMap>, fmtp: Option<String>) -> Option<Self> {
        let mut codec = match map {
            Some(map) => Self::new(pt, &map.encoding, map.clock_rate, map.channels),
            None => {
                let (_, name) = STATIC.iter().find(|(p, _)| *p == pt)?;
                Self::new(pt, name, 8000, None)
            }
        };
        codec.fmtp = fmtp;
        Some(codec)
    }

    /// RFC 3264 §6.1 matching: static payload types by number, everything else by encoding
    /// name, clock rate and channel count.
    pub(super) fn matches(&self, other: &Self) -> bool {
        if is_static(self.payload_type) && is_static(other.payload_type) {
            return self.payload_type == other.payload_type;
        }
        self.name.eq_ignore_ascii_case(&other.name)
            && self.clock_rate == other.clock_rate
            && self.channels.unwrap_or(1) == other.channels.unwrap_or(1)
    }

    /// Appends this codec to `media`: the format, its `rtpmap` (written for static types too,
    /// as most phones do) and its `fmtp`.
    pub(super) fn add_to(&self, media: &mut MediaDescription) {
        media.formats.push(self.payload_type.to_string());
        let map = RtpMap {
            payload_type: self.payload_type,
            encoding: self.name.clone(),
            clock_rate: self.clock_rate,
            channels: self.channels,
        };
        media.attributes.push(Attribute::new("rtpmap", map));
        if let Some(params) = &self.fmtp {
            let fmtp = Fmtp {
                payload_type: self.payload_type,
                params: params.clone(),
            };
            media.attributes.push(Attribute::new("fmtp", fmtp));
        }
    }

    fn new(payload_type: u8, name: &str, clock_rate: u32, channels: Option<u16>) -> Self {
        Self {
            payload_type,
            name: name.to_owned(),
            clock_rate,
            channels,
            fmtp: None,
        }
    }
}

fn is_static(payload_type: u8) -> bool {
    STATIC.iter().any(|(pt, _)| *pt == payload_type)
}
