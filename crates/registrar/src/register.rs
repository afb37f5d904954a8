//! REGISTER (RFC 3261 §10.3): bindings with q, expiry bounds, `*` removal, `+sip.instance` /
//! `reg-id` replacement (RFC 5626 §6), Path (RFC 3327), and the 200 listing every binding.

use std::time::Duration;

use sip::endpoint::TxnId;
use sip::msg::{parse_name_addr_list, NameAddr, Request, SipMessage};
use sip::transport::Remote;

use crate::auth::Challenger;
use crate::core::{remote_from_text, remote_to_text, Registrar};
use crate::location::Binding;
use crate::store::StoredBinding;

/// One Contact of a REGISTER with the expiry it asks for.
struct Asked {
    contact: NameAddr,
    expires: u32,
}

impl Registrar {
    pub(crate) fn register(&mut self, txn: TxnId, req: &Request, from: Remote) -> Result<(), u16> {
        let to = req.to_header().map_err(|e| e.status)?;
        let Some(owner) = self.local_user(&to.uri) else {
            return Err(404);
        };
        let Some(user) = self.authenticate_register(txn, req)? else {
            return Ok(());
        };
        // RFC 3261 §10.3 step 3: only the AOR's owner may change its bindings.
        if user != owner {
            return Err(403);
        }
        let aor = self.aor_of(&owner);
        let call_id = req.call_id().map_err(|e| e.status)?.to_owned();
        let cseq = req.cseq().map_err(|e| e.status)?.seq;
        let default = req.expires().unwrap_or(self.config.default_expires);

        let values: Vec<&str> = req.headers.get_all("Contact").collect();
        if values.iter().any(|v| v.trim() == "*") {
            // §10.3 step 6: `*` only alone and with Expires: 0.
            if values.len() != 1 || req.expires() != Some(0) {
                return Err(400);
            }
            let keys: Vec<String> = self
                .location
                .bindings(&aor)
                .iter()
                .map(|b| b.key().to_owned())
                .collect();
            for key in keys {
                self.unbind(&aor, &key);
            }
        } else {
            let mut asked = Vec::new();
            for v in values {
                for contact in parse_name_addr_list(v).map_err(|e| e.status)? {
                    let expires = contact.expires().unwrap_or(default);
                    asked.push(Asked { contact, expires });
                }
            }
            // §10.3 step 7: refuse the whole request before changing anything.
            let min = self.config.min_expires;
            if asked.iter().any(|a| a.expires != 0 && a.expires < min) {
                let mut resp = self.response(req, 423);
                resp.headers.push("Min-Expires", min.to_string());
                self.respond(txn, resp);
                return Ok(());
            }
            let path: Vec<String> = req.headers.get_all("Path").map(str::to_owned).collect();
            for Asked {
                mut contact,
                expires,
            } in asked
            {
                contact.params.remove("expires");
                let key = contact.uri.to_string();
                if let Some(old) = self.location.bindings(&aor).iter().find(|b| b.key() == key) {
                    // §10.3 step 7: an older REGISTER of the same Call-ID changes nothing.
                    if old.call_id == call_id && old.cseq > cseq {
                        continue;
                    }
                }
                if expires == 0 {
                    self.unbind(&aor, &key);
                    continue;
                }
                self.replace_instance(&aor, &contact);
                let granted = expires.min(self.config.max_expires);
                let binding = Binding::new(
                    contact,
                    self.now + Duration::from_secs(granted.into()),
                    from,
                    path.clone(),
                    call_id.clone(),
                    cseq,
                );
                self.bind(&aor, binding);
            }
        }

        let mut ok = self.response(req, 200);
        for b in self.location.bindings(&aor) {
            let left = b
                .expires_at
                .saturating_duration_since(self.now)
                .as_secs()
                .max(1);
            let mut c = b.contact.clone();
            c.params.set("expires", Some(&left.to_string()));
            ok.headers.push("Contact", c.to_string());
        }
        for p in req.headers.get_all("Path") {
            ok.headers.push("Path", p);
        }
        ok.headers.push("Date", httpdate(self.now_secs()));
        self.respond(txn, ok);
        self.registration_changed(&aor);
        Ok(())
    }

    /// REGISTER is challenged by the registrar (401); the identity check against To is done
    /// by the caller, because From may differ from To for third-party registration.
    fn authenticate_register(&mut self, txn: TxnId, req: &Request) -> Result<Option<String>, u16> {
        let now = self.now_secs();
        match self
            .auth
            .check(req, Challenger::Registrar, self.accounts.as_ref(), now)
        {
            crate::auth::Authenticated::User(user) => Ok(Some(user)),
            crate::auth::Authenticated::Challenge(mut resp) => {
                self.tag(&mut resp);
                self.respond(txn, resp);
                Ok(None)
            }
        }
    }

    /// RFC 5626 §6: a device (`+sip.instance`, and `reg-id` if given) has one binding; its new
    /// contact replaces the old one instead of piling up after every restart or IP change.
    fn replace_instance(&mut self, aor: &str, contact: &NameAddr) {
        let Some(instance) = contact.instance() else {
            return;
        };
        let key = contact.uri.to_string();
        let stale: Vec<String> = self
            .location
            .bindings(aor)
            .iter()
            .filter(|b| {
                b.contact.instance() == Some(instance)
                    && b.contact.reg_id() == contact.reg_id()
                    && b.key() != key
            })
            .map(|b| b.key().to_owned())
            .collect();
        for k in stale {
            self.unbind(aor, &k);
        }
    }

    fn bind(&mut self, aor: &str, b: Binding) {
        let stored = StoredBinding {
            aor: aor.to_owned(),
            contact: b.contact.to_string(),
            expires_at: self.unix(b.expires_at),
            source: remote_to_text(b.source),
            path: b.path.clone(),
            call_id: b.call_id.clone(),
            cseq: b.cseq,
        };
        self.store.put_binding(b.key().to_owned(), stored);
        self.store_changed();
        self.location.upsert(aor, b);
    }

    fn unbind(&mut self, aor: &str, key: &str) {
        self.location.remove(aor, key);
        self.store.delete_binding(aor, key);
        self.store_changed();
    }

    pub(crate) fn restore_binding(&self, s: StoredBinding) -> Option<Binding> {
        Some(Binding::new(
            NameAddr::parse(&s.contact).ok()?,
            self.instant(s.expires_at),
            remote_from_text(&s.source)?,
            s.path,
            s.call_id,
            s.cseq,
        ))
    }

    /// Registration state feeds presence (registered and unpublished shows as open) and
    /// releases stored messages.
    pub(crate) fn registration_changed(&mut self, aor: &str) {
        self.presentity_changed(aor);
        if self.location.is_registered(aor) {
            self.deliver_offline(aor);
        }
    }
}

/// RFC 7231 IMF-fixdate, as RFC 3261 §20.17 wants in `Date`.
fn httpdate(unix: u64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = unix / 86_400;
    let secs = unix % 86_400;
    // Civil-from-days (H. Hinnant's algorithm), valid for any date after 1970.
    let z = days as i64 + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn date_is_imf_fixdate() {
        assert_eq!(
            super::httpdate(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
    }
}
