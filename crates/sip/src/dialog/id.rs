use std::fmt;

/// The identity of a dialog from our side of it (RFC 3261 §12): Call-ID, our tag, the peer's
/// tag. The UAC's local tag is its From tag, the UAS's its To tag, so the same dialog has the
/// two tags swapped at either end.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID shared by every message of the dialog.
    pub call_id: String,
    /// Our tag.
    pub local_tag: String,
    /// The peer's tag; empty for an RFC 2543 peer that sent none (RFC 3261 §12.1.1).
    pub remote_tag: String,
}

impl fmt::Display for DialogId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{};{};{}", self.call_id, self.local_tag, self.remote_tag)
    }
}
