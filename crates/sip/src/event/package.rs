/// An event package (RFC 6665 §7): all the generic machinery needs to know about one.
///
/// The package itself (presence, watcher info) parses its bodies elsewhere; the subscription
/// machine only sends the Event and Accept headers and checks the Event of each NOTIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Package {
    /// The `Event` header token.
    pub event: &'static str,
    /// Body types we accept in NOTIFYs, sent as `Accept` (RFC 6665 §4.1.2.1).
    pub accept: &'static [&'static str],
    /// The expiry asked for when the caller has no preference.
    pub default_expires: u32,
}

/// Presence (RFC 3856 §6): PIDF bodies; an hour is RFC 3856 §6.4's suggested default.
pub const PRESENCE: Package = Package {
    event: "presence",
    accept: &["application/pidf+xml"],
    default_expires: 3600,
};

/// Watcher information for presence (RFC 3857): who is subscribed to us.
pub const PRESENCE_WINFO: Package = Package {
    event: "presence.winfo",
    accept: &["application/watcherinfo+xml"],
    default_expires: 3600,
};
