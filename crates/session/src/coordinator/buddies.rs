//! The buddy list and our own watchers. Signed in to halo-server, both live on the server
//! (its buddy API, see `rest`): the list is read at sign-in and changed there first, and
//! allow/block go there too. With a standard SIP server the list is kept in the local store
//! and the server alone decides who may watch us.

use sip::msg::Uri;

use super::core::{Core, Ctx, Internal, RestDone, Target};
use super::rest::{Api, Decision, RemoteBuddy};
use super::{PhoneEvent, WatcherState};

/// The subscription machine of our own watcher list (`presence.winfo`, RFC 3857). No
/// buddy's key looks like this: those are canonical `sip:` URIs.
pub(super) const WINFO_KEY: &str = "presence.winfo";

/// Said with each watcher when the phone cannot answer them.
const SERVER_DECIDES: &str =
    "this server decides who may watch you; allow/block are not available here";

impl Core {
    /// halo-server's API with the access token of the moment, when signed in there.
    fn api(&self) -> Option<Api> {
        self.http.as_ref().map(|(client, base, tokens)| Api {
            client: client.clone(),
            base: base.clone(),
            token: tokens.access_token.clone(),
        })
    }

    /// Runs one API call off the task; its outcome comes back as [`Internal::Rest`].
    fn spawn_rest<F>(&self, call: F)
    where
        F: std::future::Future<Output = RestDone> + Send + 'static,
    {
        let tx = self.internal_tx.clone();
        tokio::spawn(async move {
            let _ = tx.send(Internal::Rest(call.await));
        });
    }

    /// The user name halo-server knows `aor` by: buddies and watchers are in our domain.
    fn local_user(&self, aor: &str) -> Option<String> {
        let uri = Uri::parse(aor).ok()?;
        (uri.host.eq_ignore_ascii_case(&self.domain))
            .then_some(uri.user)
            .flatten()
    }

    /// The server's list at sign-in: machines for each, subscribed once registered.
    pub(super) fn adopt_buddies(&mut self, list: Vec<RemoteBuddy>) {
        for b in list {
            let aor = format!("sip:{}@{}", b.username, self.domain);
            self.watch(&aor, true, b.name);
        }
        // Nothing is registered yet: these events only create the machines.
        self.queue.clear();
    }

    pub(super) fn load_buddies(&mut self) {
        match self.store.buddies() {
            Ok(list) => {
                for (aor, name) in list {
                    self.watch(&aor, true, name);
                }
                self.queue.clear();
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    /// Our watcher list is one more subscription, started and recovered with the others.
    /// Only on halo-server: the Kamailio rig's in-memory presence set-up crashes on a
    /// `presence.winfo` SUBSCRIBE (docs/decisions.md), and there the phone could not answer
    /// a watcher anyway.
    pub(super) fn watch_watchers(&mut self) {
        if self.http.is_none() {
            return;
        }
        self.subscription_entry(WINFO_KEY.to_owned(), true);
    }

    pub(super) fn buddy_add(&mut self, uri: &str, name: Option<String>) {
        let Some(aor) = self.canonical(uri) else {
            self.error(format!("not a SIP address: {uri}"));
            return;
        };
        let Some(api) = self.api() else {
            if let Err(e) = self.store.add_buddy(&aor, name.as_deref()) {
                self.error(e.to_string());
            }
            self.buddy_added(aor, name);
            return;
        };
        let Some(username) = self.local_user(&aor) else {
            self.error(format!("buddy add: {aor} is not in {}", self.domain));
            return;
        };
        let buddy = RemoteBuddy {
            username,
            name: name.clone(),
        };
        self.spawn_rest(async move {
            let result = api.add_buddy(&buddy).await;
            RestDone::BuddyAdded(aor, name, result)
        });
    }

    fn buddy_added(&mut self, aor: String, name: Option<String>) {
        self.watch(&aor, true, name);
        self.report_buddies();
    }

    pub(super) fn buddy_remove(&mut self, uri: &str) {
        let Some(aor) = self.canonical(uri) else {
            self.error(format!("not a SIP address: {uri}"));
            return;
        };
        let Some(api) = self.api() else {
            if let Err(e) = self.store.remove_buddy(&aor) {
                self.error(e.to_string());
            }
            self.buddy_removed(&aor);
            return;
        };
        let Some(username) = self.local_user(&aor) else {
            self.error(format!("buddy remove: {aor} is not in {}", self.domain));
            return;
        };
        self.spawn_rest(async move {
            let result = api.remove_buddy(&username).await;
            RestDone::BuddyRemoved(aor, result)
        });
    }

    fn buddy_removed(&mut self, aor: &str) {
        if let Some(b) = self.buddies.get_mut(aor) {
            b.listed = false;
        }
        self.unwatch(aor);
        self.report_buddies();
    }

    pub(super) fn report_buddies(&self) {
        let list = self
            .buddies
            .iter()
            .filter(|(_, b)| b.listed)
            .map(|(uri, b)| super::Buddy {
                uri: uri.clone(),
                name: b.name.clone(),
            })
            .collect();
        self.emit(PhoneEvent::Buddies { list });
    }

    /// `allow`/`block`: halo-server's watcher API; the server's next watcher-list NOTIFY
    /// reports the result.
    pub(super) fn decide_watcher(&mut self, uri: &str, allow: bool) {
        let word = if allow { "allow" } else { "block" };
        let Some(aor) = self.canonical(uri) else {
            self.error(format!("not a SIP address: {uri}"));
            return;
        };
        let Some(api) = self.api() else {
            self.error(format!("{word} {aor}: {SERVER_DECIDES}"));
            return;
        };
        let Some(username) = self.local_user(&aor) else {
            self.error(format!("{word}: {aor} is not in {}", self.domain));
            return;
        };
        let decision = if allow {
            Decision::Allow
        } else {
            Decision::Block
        };
        self.spawn_rest(async move {
            let result = api.decide(&username, decision).await;
            RestDone::Decided(aor, result)
        });
    }

    pub(super) fn rest_done(&mut self, done: RestDone) {
        match done {
            RestDone::BuddyAdded(aor, name, Ok(())) => self.buddy_added(aor, name),
            RestDone::BuddyRemoved(aor, Ok(())) => self.buddy_removed(&aor),
            RestDone::Decided(_, Ok(())) => {}
            RestDone::BuddyAdded(aor, _, Err(e)) => self.error(format!("buddy add {aor}: {e}")),
            RestDone::BuddyRemoved(aor, Err(e)) => self.error(format!("buddy remove {aor}: {e}")),
            RestDone::Decided(aor, Err(e)) => self.error(format!("{aor}: {e}")),
        }
    }

    /// The table's `ReportPresence` for the watcher list: one event per watcher whose state
    /// changed (a `full` document replaces what we knew, RFC 3857 §3.3).
    pub(super) fn report_watchers(&mut self, ctx: &Ctx) {
        let Some(info) = &ctx.watchers else {
            return;
        };
        let full = info.state == presence::WinfoState::Full;
        let before = if full {
            std::mem::take(&mut self.watchers)
        } else {
            self.watchers.clone()
        };
        let watchers = info
            .lists
            .iter()
            .filter(|l| l.package == "presence")
            .flat_map(|l| &l.watchers);
        for w in watchers {
            let uri =
                Uri::parse(&w.uri).map_or_else(|_| w.uri.clone(), |u| format!("sip:{}", u.aor()));
            self.watchers.insert(uri.clone(), w.status);
            if before.get(&uri) == Some(&w.status) {
                continue;
            }
            self.emit(PhoneEvent::Watcher {
                uri,
                state: WatcherState::from(w.status),
            });
        }
        // Missing from a full list: no longer a watcher (halo-server drops a blocked one).
        if full {
            let gone = before
                .into_iter()
                .filter(|(uri, s)| {
                    *s != presence::WatcherStatus::Terminated && !self.watchers.contains_key(uri)
                })
                .map(|(uri, _)| uri);
            for uri in gone {
                self.emit(PhoneEvent::Watcher {
                    uri,
                    state: WatcherState::Terminated,
                });
            }
        }
    }

    /// Whether `target` is the watcher-list subscription (its effects differ).
    pub(super) fn is_winfo(&self, target: &Target) -> bool {
        matches!(target, Target::Subscription(key) if key == WINFO_KEY)
    }
}
