//! The presence data model of RFC 4479: a presentity is a person, the services (PIDF tuples) it
//! can be reached through, and the devices those services run on.

use std::fmt;

use crate::PresenceError;

/// One presence document (`application/pidf+xml`), as published by a device or as composed by
/// the server for watchers.
///
/// Order is kept as found (tuples, persons, devices, notes), so a document that is parsed and
/// written again says the same thing in the same order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The presentity's URI, the `entity` attribute of `<presence>` (e.g. `sip:alice@example.com`).
    pub entity: String,
    /// Services (RFC 3863 `<tuple>`): one per device that publishes, in Halo.
    pub tuples: Vec<Tuple>,
    /// The human behind the services (RFC 4479 `<dm:person>`): where RPID activities live.
    pub persons: Vec<Person>,
    /// Devices (RFC 4479 `<dm:device>`).
    pub devices: Vec<Device>,
    /// Notes on the whole document (`<presence><note>`).
    pub notes: Vec<Note>,
}

/// A service, RFC 3863 `<tuple>` / RFC 4479 §3.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tuple {
    /// The `id` attribute; composition treats two tuples with the same id as the same service.
    pub id: String,
    /// `<status><basic>`; RFC 3863 §4.1.4 lets a status carry none, which says nothing either way.
    pub basic: Option<Basic>,
    /// `<contact>`: where to reach the service.
    pub contact: Option<Contact>,
    /// `<note>`s, one per language at most in well-behaved documents.
    pub notes: Vec<Note>,
    /// `<timestamp>`, RFC 3339 text as sent; not interpreted.
    pub timestamp: Option<String>,
    /// `<dm:deviceID>`: the device this service runs on (RFC 4479 §3.3).
    pub device_id: Option<String>,
    /// RPID activities found on the tuple. RFC 4480 puts activities on the person, but clients
    /// that follow the earlier RPID drafts put them in the tuple's `<status>`; they are read from
    /// there (and from the tuple itself) and written back into `<status>`.
    pub activities: Vec<Activity>,
}

/// RFC 3863 `<basic>`: whether the service can be reached at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basic {
    /// `open`: the service accepts communication.
    Open,
    /// `closed`: it does not.
    Closed,
}

impl Basic {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Basic::Open => "open",
            Basic::Closed => "closed",
        }
    }

    pub(crate) fn parse(s: &str) -> Result<Basic, PresenceError> {
        match s {
            "open" => Ok(Basic::Open),
            "closed" => Ok(Basic::Closed),
            _ => Err(PresenceError::InvalidValue {
                what: "basic",
                value: s.to_owned(),
            }),
        }
    }
}

/// RFC 3863 `<contact>`: a URI and its relative preference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// The contact URI, as sent.
    pub uri: String,
    /// The `priority` attribute.
    pub priority: Option<QValue>,
}

/// A qvalue (RFC 3261 §25.1: `0` to `1` with up to three decimals), held in thousandths so that
/// documents compare exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QValue(u16);

impl QValue {
    /// `thousandths` / 1000, or `None` above 1000.
    pub fn from_thousandths(thousandths: u16) -> Option<QValue> {
        (thousandths <= 1000).then_some(QValue(thousandths))
    }

    /// The value in thousandths, `0..=1000`.
    pub fn thousandths(self) -> u16 {
        self.0
    }

    /// Parses the RFC 3261 `qvalue` grammar: `0[.ddd]` or `1[.000]`.
    pub(crate) fn parse(s: &str) -> Result<QValue, PresenceError> {
        let invalid = || PresenceError::InvalidValue {
            what: "contact priority",
            value: s.to_owned(),
        };
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        let whole: u16 = match int {
            "0" => 0,
            "1" => 1000,
            _ => return Err(invalid()),
        };
        let mut thousandths = 0u16;
        for (i, digit) in frac.bytes().enumerate() {
            thousandths += u16::from(digit - b'0') * [100, 10, 1][i];
        }
        QValue::from_thousandths(whole + thousandths).ok_or_else(invalid)
    }
}

impl fmt::Display for QValue {
    /// The shortest qvalue text: `1`, `0.5`, `0.125`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1000 => f.write_str("1"),
            0 => f.write_str("0"),
            n => {
                let digits = format!("{n:03}");
                write!(f, "0.{}", digits.trim_end_matches('0'))
            }
        }
    }
}

/// Free text for people, with its language (`xml:lang`) when the sender gave one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// The text, unescaped, trimmed of surrounding whitespace.
    pub text: String,
    /// The `xml:lang` attribute, e.g. `en`, `de-CH`.
    pub lang: Option<String>,
}

impl Note {
    /// A note without a language.
    pub fn new(text: impl Into<String>) -> Note {
        Note {
            text: text.into(),
            lang: None,
        }
    }
}

/// The person, RFC 4479 `<dm:person>` with RFC 4480 extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The `id` attribute.
    pub id: String,
    /// `<rpid:activities>`: what the person is doing. Empty means the sender said nothing.
    pub activities: Vec<Activity>,
    /// Halo's do-not-disturb marker: `<halo:dnd/>` in `urn:halo:params:xml:ns:pidf:dnd`.
    ///
    /// RPID has no "do not disturb", so Halo publishes `busy` (what every other client shows) plus
    /// this element, which Halo clients read as DND and everyone else ignores as an unknown
    /// extension (RFC 3863 §4.1.6). docs/decisions-presence.md has the alternatives weighed.
    pub do_not_disturb: bool,
    /// `<dm:note>`s (RPID-era `<rpid:note>` and PIDF `<note>` are accepted too).
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`, RFC 3339 text as sent.
    pub timestamp: Option<String>,
}

/// A device, RFC 4479 `<dm:device>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The `id` attribute.
    pub id: String,
    /// `<dm:deviceID>`, a URN naming the device (RFC 4479 §3.3); required by the schema.
    pub device_id: String,
    /// `<dm:note>`s.
    pub notes: Vec<Note>,
    /// `<dm:timestamp>`, RFC 3339 text as sent.
    pub timestamp: Option<String>,
}

/// An RPID activity (RFC 4480 §3.2), all of the registered values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)] // the variants are the RFC 4480 element names, nothing to add
pub enum Activity {
    Appointment,
    Away,
    Breakfast,
    Busy,
    Dinner,
    Holiday,
    InTransit,
    LookingForWork,
    Lunch,
    Meal,
    Meeting,
    OnThePhone,
    Performance,
    PermanentAbsence,
    Playing,
    Presentation,
    Shopping,
    Sleeping,
    Spectator,
    Steering,
    Travel,
    Tv,
    Vacation,
    Working,
    Worship,
    /// `<rpid:unknown/>`: the presentity does not know, or will not say.
    Unknown,
    /// `<rpid:other>text</rpid:other>`: an activity RPID has no name for.
    Other(String),
}

impl Activity {
    /// The activity named by an empty RPID element, or `None` for names RPID does not define
    /// (including `other`, which carries text, and `note`).
    pub(crate) fn from_element(name: &str) -> Option<Activity> {
        Some(match name {
            "appointment" => Activity::Appointment,
            "away" => Activity::Away,
            "breakfast" => Activity::Breakfast,
            "busy" => Activity::Busy,
            "dinner" => Activity::Dinner,
            "holiday" => Activity::Holiday,
            "in-transit" => Activity::InTransit,
            "looking-for-work" => Activity::LookingForWork,
            "lunch" => Activity::Lunch,
            "meal" => Activity::Meal,
            "meeting" => Activity::Meeting,
            "on-the-phone" => Activity::OnThePhone,
            "performance" => Activity::Performance,
            "permanent-absence" => Activity::PermanentAbsence,
            "playing" => Activity::Playing,
            "presentation" => Activity::Presentation,
            "shopping" => Activity::Shopping,
            "sleeping" => Activity::Sleeping,
            "spectator" => Activity::Spectator,
            "steering" => Activity::Steering,
            "travel" => Activity::Travel,
            "tv" => Activity::Tv,
            "vacation" => Activity::Vacation,
            "working" => Activity::Working,
            "worship" => Activity::Worship,
            "unknown" => Activity::Unknown,
            _ => return None,
        })
    }

    /// The RPID element name; `other` for [`Activity::Other`].
    pub(crate) fn element(&self) -> &'static str {
        match self {
            Activity::Appointment => "appointment",
            Activity::Away => "away",
            Activity::Breakfast => "breakfast",
            Activity::Busy => "busy",
            Activity::Dinner => "dinner",
            Activity::Holiday => "holiday",
            Activity::InTransit => "in-transit",
            Activity::LookingForWork => "looking-for-work",
            Activity::Lunch => "lunch",
            Activity::Meal => "meal",
            Activity::Meeting => "meeting",
            Activity::OnThePhone => "on-the-phone",
            Activity::Performance => "performance",
            Activity::PermanentAbsence => "permanent-absence",
            Activity::Playing => "playing",
            Activity::Presentation => "presentation",
            Activity::Shopping => "shopping",
            Activity::Sleeping => "sleeping",
            Activity::Spectator => "spectator",
            Activity::Steering => "steering",
            Activity::Travel => "travel",
            Activity::Tv => "tv",
            Activity::Vacation => "vacation",
            Activity::Working => "working",
            Activity::Worship => "worship",
            Activity::Unknown => "unknown",
            Activity::Other(_) => "other",
        }
    }
}
