//! Presence documents for Halo: PIDF (RFC 3863) with the data model (RFC 4479) and RPID
//! (RFC 4480), watcher information (RFC 3858), Halo's status mapping, and the server's
//! composition of several devices' publications into one view.
//!
//! SIP-free and pure: bytes in, values out, strings back. `session` hands NOTIFY bodies to
//! [`Document::parse`] and shows [`Document::view`]; it PUBLISHes [`Document::for_status`]
//! written with [`Document::to_xml`]; the registrar keeps each publication and notifies watchers
//! with [`compose`]. XML names are matched by namespace URI, never by prefix.
//!
//! ```
//! use presence::{compose, Document, Status};
//!
//! let laptop = Document::for_status("sip:alice@example.com", "laptop", Status::Away,
//!     Some("back at 3"), None, Some("2026-11-28T10:00:00Z".into()));
//! let phone = Document::for_status("sip:alice@example.com", "desk", Status::OnThePhone,
//!     None, None, None);
//! let body = laptop.to_xml();
//! assert_eq!(Document::parse(body.as_bytes())?, laptop);
//!
//! let composed = compose("sip:alice@example.com", &[(laptop, 1), (phone, 2)], true);
//! let view = Document::parse(composed.to_xml().as_bytes())?.view();
//! assert_eq!(view.status, Status::OnThePhone);
//! # Ok::<(), presence::PresenceError>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(unreachable_pub)]

mod compose;
mod error;
mod model;
mod parse;
mod status;
mod winfo;
mod write;
mod xml;
mod xmlout;

pub use compose::{compose, REGISTRATION_TUPLE_ID};
pub use error::PresenceError;
pub use model::{Activity, Basic, Contact, Device, Document, Note, Person, QValue, Tuple};
pub use parse::MAX_TUPLES;
pub use status::{Status, View};
pub use winfo::{Watcher, WatcherEvent, WatcherInfo, WatcherList, WatcherStatus, WinfoState};
pub use xml::{MAX_DEPTH, MAX_ELEMENTS, MAX_INPUT};
