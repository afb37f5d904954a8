//! The echo buddy's calls: answered at once with SDP naming the echo reflector
//! (`echo_media.rs`), which sends every packet back to where it came from after a delay, so a
//! newcomer hears themselves and knows their sound works.
//!
//! The reflector does not decode anything, so the answer accepts whatever codecs the caller
//! offers, and with SDES-SRTP it announces the caller's own key (RFC 4568 lets the answerer
//! pick its key): the caller's packets come back encrypted under the key it is told to
//! decrypt with.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sip::endpoint::TxnId;
use sip::msg::{Request, SipMessage};
use sip::sdp::{Codec, MediaConfig, SdpSession, SessionDescription, SrtpConfig};
use sip::transport::TransportKind;

use crate::core::{transport_param, Registrar};

/// Echo calls at once; one more is answered 486.
const MAX_CALLS: usize = 1_000;
/// A call without a BYE (the caller vanished) is forgotten after this long.
const MAX_CALL_AGE: Duration = Duration::from_secs(3_600);

/// The echo buddy's dialogs, by Call-ID and our tag, with when they began.
#[derive(Debug, Default)]
pub(crate) struct EchoCalls {
    dialogs: HashMap<(String, String), Instant>,
}

impl Registrar {
    /// An INVITE for the echo buddy, new or inside one of its calls.
    pub(crate) fn echo_invite(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        let Some(media) = self.config.echo_media else {
            // No reflector: say clearly that the echo buddy takes no calls.
            return Err(480);
        };
        let to = req.to_header().map_err(|e| e.status)?;
        let call_id = req.call_id().map_err(|e| e.status)?.to_owned();
        let now = self.now;
        let tag = match to.tag() {
            Some(tag) => {
                let key = (call_id.clone(), tag.to_owned());
                if !self.echo.dialogs.contains_key(&key) {
                    return Err(481);
                }
                tag.to_owned()
            }
            None => {
                self.echo
                    .dialogs
                    .retain(|_, began| now.duration_since(*began) < MAX_CALL_AGE);
                if self.echo.dialogs.len() >= MAX_CALLS {
                    return Err(486);
                }
                self.token(10)
            }
        };
        let offer = std::str::from_utf8(&req.body)
            .ok()
            .and_then(|text| SessionDescription::parse(text).ok())
            .ok_or(488u16)?;
        let answer = self.echo_answer(&offer, media)?;
        let mut ok = sip::msg::Response::to_request(req, 200, "OK");
        let mut to = to;
        to.set_tag(&tag);
        ok.headers.set("To", to.to_string());
        let transport = req
            .top_via()
            .ok()
            .and_then(|v| TransportKind::parse(&v.transport))
            .unwrap_or(TransportKind::Udp);
        let echo = self.config.echo_user.clone().unwrap_or_default();
        if let Some(local) = self.local(transport) {
            let param = transport_param(transport);
            ok.headers
                .push("Contact", format!("<sip:{echo}@{local}{param}>"));
        }
        ok.headers.push("Content-Type", "application/sdp");
        ok.body = answer.into_bytes();
        self.echo.dialogs.entry((call_id, tag)).or_insert(now);
        self.respond(txn, ok);
        Ok(())
    }

    /// Whether `req` belongs to one of the echo buddy's calls.
    pub(crate) fn is_echo_dialog(&self, req: &Request) -> bool {
        let (Ok(to), Ok(call_id)) = (req.to_header(), req.call_id()) else {
            return false;
        };
        to.tag().is_some_and(|tag| {
            self.echo
                .dialogs
                .contains_key(&(call_id.to_owned(), tag.to_owned()))
        })
    }

    /// A BYE: ends an echo call; no other dialog ends at us.
    pub(crate) fn echo_bye(&mut self, txn: TxnId, req: &Request) -> Result<(), u16> {
        if !self.is_echo_dialog(req) {
            return Err(481);
        }
        let (Ok(to), Ok(call_id)) = (req.to_header(), req.call_id()) else {
            return Err(400);
        };
        let key = (call_id.to_owned(), to.tag().unwrap_or_default().to_owned());
        self.echo.dialogs.remove(&key);
        let ok = self.response(req, 200);
        self.respond(txn, ok);
        Ok(())
    }

    /// The SDP answer: the reflector's address, the caller's codecs, and the caller's key.
    fn echo_answer(
        &mut self,
        offer: &SessionDescription,
        media: std::net::SocketAddr,
    ) -> Result<String, u16> {
        let audio = offer
            .media
            .iter()
            .find(|m| m.media == "audio" && m.port != 0)
            .ok_or(488u16)?;
        let mut config = MediaConfig::audio(media.ip(), media.port());
        config.codecs = audio
            .formats
            .iter()
            .filter_map(|format| Codec::from_media(audio, format))
            .collect();
        config.ptime = None;
        config.rtcp_mux = audio.attribute("rtcp-mux").is_some();
        config.srtp = audio
            .attribute("crypto")
            .map(|_| SrtpConfig::new(audio.is_srtp_profile()));
        let mut session = SdpSession::new(config, self.next_seq());
        let mut answer = session
            .create_answer(offer, &mut rand::thread_rng())
            .map_err(|e| e.status())?;
        if let Some(theirs) = answer.negotiated.remote_crypto.as_ref() {
            let line = theirs.to_attribute();
            for m in answer.sdp.media.iter_mut().filter(|m| m.port != 0) {
                for a in m.attributes.iter_mut().filter(|a| a.name == "crypto") {
                    *a = line.clone();
                }
            }
        }
        Ok(answer.sdp.to_string())
    }
}
