//! SIP messages: parsing, serialising and typed header views.
//!
//! We parse and frame messages ourselves rather than through `rsip` (see
//! `docs/decisions.md`): rsip has no compact header forms, no line folding, no extension
//! methods and no stream framing, and it drops what it cannot type. `rsip` serves as an
//! independent parser in the tests instead, to check that what we write is standard SIP.

mod framing;
mod headers;
mod message;
mod method;
mod name_addr;
mod params;
mod parse;
mod typed;
mod uri;
mod via;

pub use framing::{Frame, FramingError, StreamFramer};
pub use headers::Headers;
pub use message::{reason_phrase, Message, Request, Response, SipMessage};
pub use method::Method;
pub use name_addr::{parse_name_addr_list, NameAddr};
pub use params::Params;
pub use parse::{parse_message, Framing, DEFAULT_MAX_MESSAGE_SIZE};
pub use typed::{
    parse_delta_seconds, Accept, AllowEvents, CSeq, EntityTag, Event, MediaRange, SubState,
    SubscriptionState,
};
pub use uri::{Scheme, Uri};
pub use via::{Via, BRANCH_COOKIE};

/// Why a message or header could not be parsed, and the status a UAS answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct ParseError {
    /// The status to answer a request with: 400 usually, 505 for a wrong version, 513 for size.
    pub status: u16,
    /// Short and safe to put in a reason phrase.
    pub reason: String,
    /// The request, when its head parsed but something else did not, so it can be answered.
    pub request: Option<Box<Request>>,
}

impl ParseError {
    pub(crate) fn new(reason: impl Into<String>) -> ParseError {
        ParseError::with_status(400, reason)
    }

    pub(crate) fn with_status(status: u16, reason: impl Into<String>) -> ParseError {
        let mut reason: String = reason.into();
        // A reason phrase must not carry line breaks, and a quoted input can be long.
        reason.retain(|c| c != '\r' && c != '\n');
        if reason.len() > 120 {
            let cut = (0..=120)
                .rev()
                .find(|&i| reason.is_char_boundary(i))
                .unwrap_or(0);
            reason.truncate(cut);
        }
        ParseError {
            status,
            reason,
            request: None,
        }
    }

    pub(crate) fn for_request(mut self, request: Request) -> ParseError {
        self.request = Some(Box::new(request));
        self
    }
}
