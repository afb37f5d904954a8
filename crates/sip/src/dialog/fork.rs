//! The dialogs one INVITE can create when a proxy forks it (RFC 3261 §12.1.2, §13.2.2.4).

use crate::msg::{Request, Response, SipMessage};

use super::error::DialogError;
use super::id::DialogId;
use super::state::{Dialog, DialogState};

/// Every dialog our INVITE created: one early dialog per remote tag, at most one confirmed.
///
/// Feed it each response to the INVITE. The first 2xx wins; the early dialogs of other forks
/// are reported so that the caller can forget (or BYE) them, and a 2xx from another fork
/// after that comes back as [`ForkUpdate::ExtraConfirmed`]: RFC 3261 §13.2.2.4 has the UAC
/// ACK it and then send it a BYE.
#[derive(Debug, Clone)]
pub struct DialogSet {
    invite: Request,
    early: Vec<Dialog>,
    confirmed: Option<Dialog>,
}

/// What a response to the INVITE did to the set.
#[must_use = "abandoned dialogs may need a BYE and an extra 2xx needs ACK and BYE"]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ForkUpdate {
    /// No dialog changed: a 100, a provisional response without To tag, a retransmitted 2xx
    /// of the confirmed dialog.
    Unchanged,
    /// A provisional response created or updated the early dialog of one fork.
    Early(DialogId),
    /// A 2xx confirmed this dialog; the early dialogs of the other forks are abandoned.
    Confirmed {
        /// The dialog the call continues in.
        id: DialogId,
        /// Early dialogs dropped from the set.
        abandoned: Vec<DialogId>,
    },
    /// A 2xx from a second fork: ACK it with [`Dialog::create_ack`], then end it with a BYE.
    ExtraConfirmed(Box<Dialog>),
    /// A final non-2xx: the INVITE failed and every early dialog with it (RFC 3261 §12.3).
    Failed {
        /// Early dialogs dropped from the set.
        abandoned: Vec<DialogId>,
    },
}

impl DialogSet {
    /// Tracks the dialogs of `invite`, the INVITE we sent (without Via is fine).
    pub fn new(invite: Request) -> DialogSet {
        DialogSet {
            invite,
            early: Vec::new(),
            confirmed: None,
        }
    }

    /// The dialog a 2xx confirmed, if any.
    pub fn confirmed(&self) -> Option<&Dialog> {
        self.confirmed.as_ref()
    }

    /// The confirmed dialog, to build requests in it.
    pub fn confirmed_mut(&mut self) -> Option<&mut Dialog> {
        self.confirmed.as_mut()
    }

    /// Early dialogs still waiting for a final response.
    pub fn early(&self) -> &[Dialog] {
        &self.early
    }

    /// Hands over the confirmed dialog once the INVITE is done.
    pub fn into_confirmed(self) -> Option<Dialog> {
        self.confirmed
    }

    /// Absorbs one response to the INVITE. A response for another request (Call-ID, From tag
    /// or CSeq differ) is [`DialogError::UnknownDialog`].
    pub fn handle_response(&mut self, resp: &Response) -> Result<ForkUpdate, DialogError> {
        let ours = self.invite.cseq()?;
        let theirs = resp.cseq()?;
        if resp.call_id()? != self.invite.call_id()?
            || resp.from_header()?.tag() != self.invite.from_header()?.tag()
            || theirs != ours
        {
            return Err(DialogError::UnknownDialog);
        }
        let remote_tag = resp.to_header()?.tag().map(str::to_owned);
        if resp.status >= 300 {
            let abandoned = self.early.drain(..).map(|d| d.id().clone()).collect();
            return Ok(ForkUpdate::Failed { abandoned });
        }
        let Some(remote_tag) = remote_tag else {
            return Ok(ForkUpdate::Unchanged);
        };
        if resp.status == 100 {
            return Ok(ForkUpdate::Unchanged);
        }
        if let Some(confirmed) = &mut self.confirmed {
            if confirmed.id().remote_tag == remote_tag {
                confirmed.handle_response(resp)?;
                return Ok(ForkUpdate::Unchanged);
            }
            if resp.is_success() {
                let extra = Dialog::new_uac(&self.invite, resp)?;
                return Ok(ForkUpdate::ExtraConfirmed(Box::new(extra)));
            }
            // A late provisional response from a fork that lost the race: nothing to track.
            return Ok(ForkUpdate::Unchanged);
        }
        let at = self
            .early
            .iter()
            .position(|d| d.id().remote_tag == remote_tag);
        let dialog = match at {
            Some(i) => {
                self.early[i].handle_response(resp)?;
                i
            }
            None => {
                self.early.push(Dialog::new_uac(&self.invite, resp)?);
                self.early.len() - 1
            }
        };
        if self.early[dialog].state() != DialogState::Confirmed {
            return Ok(ForkUpdate::Early(self.early[dialog].id().clone()));
        }
        let winner = self.early.swap_remove(dialog);
        let id = winner.id().clone();
        let abandoned = self.early.drain(..).map(|d| d.id().clone()).collect();
        self.confirmed = Some(winner);
        Ok(ForkUpdate::Confirmed { id, abandoned })
    }
}
