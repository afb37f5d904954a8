//! What can go wrong when a message meets a dialog, and the status a UAS answers with.

use crate::msg::ParseError;

/// Why a message could not create or join a dialog.
///
/// [`DialogError::status`] is the response a UAS sends when the message was a request; for a
/// response the caller simply drops it (a UAC never answers a response).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DialogError {
    /// A header the dialog needs is missing or malformed; answer `400`.
    #[error("malformed message: {0}")]
    Malformed(#[from] ParseError),
    /// Call-ID or tags do not name this dialog; answer `481` (RFC 3261 §12.2.2).
    #[error("no such dialog")]
    UnknownDialog,
    /// The request's CSeq is lower than the last one seen from the peer; answer `500`
    /// (RFC 3261 §12.2.2).
    #[error("CSeq {received} is lower than {last}")]
    CSeqOutOfOrder {
        /// The CSeq number of the rejected request.
        received: u32,
        /// The remote sequence number the dialog holds.
        last: u32,
    },
    /// A response that cannot create a dialog: a final non-2xx, `100`, or no To tag
    /// (RFC 3261 §12.1.2).
    #[error("response {status} does not create a dialog")]
    NotDialogCreating {
        /// The status of the offending response.
        status: u16,
    },
    /// The message that would create the dialog lacks the Contact that becomes the remote
    /// target (RFC 3261 §12.1.1, §12.1.2); answer `400`.
    #[error("no Contact to use as remote target")]
    MissingContact,
}

impl DialogError {
    /// The SIP status a UAS answers a request failing this way with.
    pub fn status(&self) -> u16 {
        match self {
            DialogError::Malformed(e) => e.status,
            DialogError::UnknownDialog => 481,
            DialogError::CSeqOutOfOrder { .. } => 500,
            DialogError::NotDialogCreating { .. } | DialogError::MissingContact => 400,
        }
    }
}
