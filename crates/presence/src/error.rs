//! The one error type of this crate: every way a presence or watcher-info body can be refused.

use thiserror::Error;

/// Why a document was refused.
///
/// A caller that receives this for a NOTIFY body keeps the last good state of the buddy and logs
/// the message; for a PUBLISH body a server answers `400 Bad Request` (RFC 3903 §6 step 5). Every
/// variant names what was wrong so the log line is enough to find the culprit.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PresenceError {
    /// The body is larger than this crate accepts; the sender must send less.
    #[error("document is {len} bytes, more than the {max} accepted")]
    TooLarge {
        /// Length of the refused body.
        len: usize,
        /// The limit, [`crate::MAX_INPUT`].
        max: usize,
    },
    /// Elements are nested deeper than any presence document needs.
    #[error("elements nested deeper than {max} levels")]
    TooDeep {
        /// The limit, [`crate::MAX_DEPTH`].
        max: usize,
    },
    /// More items of one kind than this crate keeps.
    #[error("more than {max} {what}")]
    TooMany {
        /// What there were too many of (`elements`, `tuples`, …).
        what: &'static str,
        /// The limit that was passed.
        max: usize,
    },
    /// The body is not UTF-8; PIDF and watcher-info are UTF-8 (RFC 3863 §4.1, RFC 3858 §4.1).
    #[error("document is not UTF-8 (first bad byte at {valid_up_to})")]
    NotUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        valid_up_to: usize,
    },
    /// The body is not well-formed XML.
    #[error("malformed XML at byte {position}: {source}")]
    Malformed {
        /// Byte offset where the XML reader gave up.
        position: u64,
        /// What the XML reader objected to.
        #[source]
        source: quick_xml::Error,
    },
    /// The body ended inside an element (a cut-off datagram, typically).
    #[error("document ends inside <{element}>")]
    Truncated {
        /// Local name of the innermost element left open.
        element: String,
    },
    /// An element or attribute used a prefix that no `xmlns:` declaration binds.
    #[error("undeclared namespace prefix `{prefix}`")]
    UnknownPrefix {
        /// The undeclared prefix.
        prefix: String,
    },
    /// An entity other than the five predefined ones or a character reference.
    #[error("unknown entity `&{name};`")]
    UnknownEntity {
        /// The entity name as written.
        name: String,
    },
    /// A DOCTYPE declaration; presence documents have none, and refusing it rules out entity tricks.
    #[error("DOCTYPE declarations are not accepted")]
    Doctype,
    /// Something other than whitespace or comments before or after the root element.
    #[error("content outside the root element")]
    OutsideRoot,
    /// No element at all.
    #[error("document has no root element")]
    NoRoot,
    /// The root element is not the one expected, or is in another namespace.
    #[error("root element is {{{found_ns}}}{found}, expected {{{expected_ns}}}{expected}")]
    WrongRoot {
        /// Namespace URI expected.
        expected_ns: &'static str,
        /// Local name expected.
        expected: &'static str,
        /// Namespace URI found (empty when unbound).
        found_ns: String,
        /// Local name found.
        found: String,
    },
    /// A required attribute is absent.
    #[error("<{element}> has no `{attribute}` attribute")]
    MissingAttribute {
        /// Local name of the element.
        element: &'static str,
        /// Name of the missing attribute.
        attribute: &'static str,
    },
    /// A required child element is absent.
    #[error("<{parent}> has no <{element}>")]
    MissingElement {
        /// Local name of the parent.
        parent: &'static str,
        /// Local name of the missing child.
        element: &'static str,
    },
    /// An element or attribute holds a value outside its grammar.
    #[error("invalid {what}: `{value}`")]
    InvalidValue {
        /// Which element or attribute (`basic`, `contact priority`, …).
        what: &'static str,
        /// The offending value, as found.
        value: String,
    },
}
