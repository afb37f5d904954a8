//! Watcher information (RFC 3857 package, RFC 3858 `application/watcherinfo+xml` format): who
//! is subscribed to a presentity and in what state, so a Halo user can allow pending watchers.

use crate::parse::required_attr;
use crate::xml::{self, Element, WATCHERINFO};
use crate::xmlout::XmlOut;
use crate::PresenceError;

/// One watcher-info document (RFC 3858 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherInfo {
    /// `version`: increments by one per NOTIFY; a gap means a partial update was missed and the
    /// subscriber should refresh to get a full state (RFC 3858 §4.4).
    pub version: u32,
    /// Whether this is the full list or a delta.
    pub state: WinfoState,
    /// One list per watched resource and package.
    pub lists: Vec<WatcherList>,
}

/// `<watcher-list>`: the watchers of one resource for one event package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatcherList {
    /// `resource`: the watched URI.
    pub resource: String,
    /// `package`: the event package watched, e.g. `presence`.
    pub package: String,
    /// The watchers.
    pub watchers: Vec<Watcher>,
}

/// `<watcher>`: one subscription to the resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watcher {
    /// `id`: stable for the subscription, used to correlate partial updates.
    pub id: String,
    /// `status`: where the subscription stands.
    pub status: WatcherStatus,
    /// `event`: what last changed it.
    pub event: WatcherEvent,
    /// The watcher's URI (the element's text).
    pub uri: String,
    /// `display-name`.
    pub display_name: Option<String>,
    /// `expiration`: seconds until the subscription expires.
    pub expiration: Option<u32>,
    /// `duration-subscribed`: seconds since it was created.
    pub duration_subscribed: Option<u32>,
    /// `xml:lang` of the display name.
    pub lang: Option<String>,
}

/// Defines a closed keyword enum with its text form, so the RFC's tokens live in one place.
macro_rules! keywords {
    ($(#[$meta:meta])* $name:ident, $what:literal {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            fn parse(s: &str) -> Result<$name, PresenceError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(PresenceError::InvalidValue { what: $what, value: s.to_owned() }),
                }
            }
        }
    };
}

keywords! {
    /// `state` of a watcher-info document.
    WinfoState, "watcherinfo state" {
        /// The complete list of watchers.
        Full = "full",
        /// Only the watchers that changed since the previous version.
        Partial = "partial",
    }
}

keywords! {
    /// `status` of a watcher (RFC 3857 §3.4 state machine).
    WatcherStatus, "watcher status" {
        /// Waiting for the presentity to decide.
        Pending = "pending",
        /// Authorised and receiving notifications.
        Active = "active",
        /// Was pending and timed out; the server remembers the attempt for a while.
        Waiting = "waiting",
        /// Ended.
        Terminated = "terminated",
    }
}

keywords! {
    /// `event` that caused the watcher's last state change (RFC 3857 §3.4).
    WatcherEvent, "watcher event" {
        /// The watcher subscribed.
        Subscribe = "subscribe",
        /// The presentity allowed it.
        Approved = "approved",
        /// Ended so the watcher may subscribe again.
        Deactivated = "deactivated",
        /// Ended; the watcher should retry later.
        Probation = "probation",
        /// The presentity refused it.
        Rejected = "rejected",
        /// It expired.
        Timeout = "timeout",
        /// It was pending too long.
        Giveup = "giveup",
        /// The resource no longer exists.
        Noresource = "noresource",
    }
}

impl WatcherInfo {
    /// Parses an `application/watcherinfo+xml` body, under the same limits as PIDF.
    pub fn parse(data: &[u8]) -> Result<WatcherInfo, PresenceError> {
        let root = xml::read(data)?.expect_root(WATCHERINFO, "watcherinfo")?;
        let version = required_attr(&root, "watcherinfo", "version")?;
        Ok(WatcherInfo {
            version: version.parse().map_err(|_| PresenceError::InvalidValue {
                what: "watcherinfo version",
                value: version.to_owned(),
            })?,
            state: WinfoState::parse(required_attr(&root, "watcherinfo", "state")?)?,
            lists: root
                .children_named(WATCHERINFO, "watcher-list")
                .map(watcher_list)
                .collect::<Result<_, _>>()?,
        })
    }

    /// Writes this document as `application/watcherinfo+xml`.
    pub fn to_xml(&self) -> String {
        let mut w = XmlOut::new();
        let version = self.version.to_string();
        w.open(
            "watcherinfo",
            &[
                ("xmlns", WATCHERINFO),
                ("version", &version),
                ("state", self.state.as_str()),
            ],
        );
        for list in &self.lists {
            w.open(
                "watcher-list",
                &[("resource", &list.resource), ("package", &list.package)],
            );
            for watcher in &list.watchers {
                write_watcher(&mut w, watcher);
            }
            w.close("watcher-list");
        }
        w.close("watcherinfo");
        w.finish()
    }
}

fn watcher_list(el: &Element) -> Result<WatcherList, PresenceError> {
    Ok(WatcherList {
        resource: required_attr(el, "watcher-list", "resource")?.to_owned(),
        package: required_attr(el, "watcher-list", "package")?.to_owned(),
        watchers: el
            .children_named(WATCHERINFO, "watcher")
            .map(watcher)
            .collect::<Result<_, _>>()?,
    })
}

fn watcher(el: &Element) -> Result<Watcher, PresenceError> {
    Ok(Watcher {
        id: required_attr(el, "watcher", "id")?.to_owned(),
        status: WatcherStatus::parse(required_attr(el, "watcher", "status")?)?,
        event: WatcherEvent::parse(required_attr(el, "watcher", "event")?)?,
        uri: el.text().to_owned(),
        display_name: el.attr("display-name").map(str::to_owned),
        expiration: seconds(el, "expiration", "watcher expiration")?,
        duration_subscribed: seconds(el, "duration-subscribed", "watcher duration-subscribed")?,
        lang: el.lang().map(str::to_owned),
    })
}

fn seconds(el: &Element, name: &str, what: &'static str) -> Result<Option<u32>, PresenceError> {
    el.attr(name)
        .map(|v| {
            v.parse().map_err(|_| PresenceError::InvalidValue {
                what,
                value: v.to_owned(),
            })
        })
        .transpose()
}

fn write_watcher(w: &mut XmlOut, watcher: &Watcher) {
    let expiration = watcher.expiration.map(|s| s.to_string());
    let duration = watcher.duration_subscribed.map(|s| s.to_string());
    let mut attrs = vec![
        ("id", watcher.id.as_str()),
        ("status", watcher.status.as_str()),
        ("event", watcher.event.as_str()),
    ];
    let optional = [
        ("display-name", watcher.display_name.as_deref()),
        ("expiration", expiration.as_deref()),
        ("duration-subscribed", duration.as_deref()),
        ("xml:lang", watcher.lang.as_deref()),
    ];
    attrs.extend(optional.iter().filter_map(|(k, v)| v.map(|v| (*k, v))));
    w.text("watcher", &attrs, &watcher.uri);
}
