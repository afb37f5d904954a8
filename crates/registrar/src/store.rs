//! What the registrar keeps across restarts, in its own SQLite file beside the users database:
//! bindings, offline messages, buddy lists and watcher decisions.
//!
//! One connection per owner: the core's, the HTTP API's, and the binding writer's. WAL lets
//! them read while another writes; `synchronous=NORMAL` keeps a REGISTER's write off the
//! disk's flush path (a crash may lose the last instants of bindings, which clients
//! re-REGISTER anyway, never corrupt).
//!
//! Binding changes are queued and handed by [`Store::flush`] to a thread of their own
//! (`binding_writer.rs`) that writes each batch in one transaction: a commit per REGISTER was
//! a sixth of the registrar's CPU under load, a batch written on the SIP thread held every
//! request in flight behind it, and the in-memory location table, not this file, answers
//! requests. The registrar flushes a few milliseconds after the first queued change and when
//! dropped, and dropping the store waits for the writer, so a graceful stop keeps every
//! binding; a crash loses at most that window, which clients repair with their next REGISTER.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::binding_writer::{gone, BindingChange, BindingWriter};

/// Storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite failed; the registrar keeps serving from memory and logs it.
    #[error("registrar database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The thread that writes bindings could not start, or has stopped.
    #[error("binding writer: {0}")]
    Writer(std::io::Error),
    /// Binding changes handed to the writer are not on disk yet (it keeps retrying).
    #[error("bindings not written yet: {0}")]
    Unwritten(String),
}

/// A binding as stored: times are Unix seconds, the source address is text.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredBinding {
    /// `user@domain`.
    pub aor: String,
    /// The Contact as registered (name-addr with its parameters, without `expires`).
    pub contact: String,
    /// Unix seconds.
    pub expires_at: u64,
    /// Where the REGISTER came from, `udp:ip:port` or `tcp:ip:port`.
    pub source: String,
    /// Path header values, top first (RFC 3327).
    pub path: Vec<String>,
    /// Call-ID of the REGISTER that made it, for the §10.3 ordering rule.
    pub call_id: String,
    /// CSeq number of that REGISTER.
    pub cseq: u32,
}

/// A MESSAGE waiting for its offline recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineMessage {
    /// Row id; delivery order.
    pub id: i64,
    /// `user@domain` of the recipient.
    pub recipient: String,
    /// The From header value as received (authenticated, so it names the real sender).
    pub from: String,
    /// The Content-Type.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
    /// Unix seconds when it arrived; sent as `Date` on delivery.
    pub received_at: u64,
}

/// One entry of a buddy list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Buddy {
    /// The buddy's username (same domain).
    pub username: String,
    /// The name the owner gave them.
    #[serde(default)]
    pub name: Option<String>,
    /// The group it is shown in.
    #[serde(default)]
    pub group: Option<String>,
}

/// A presentity's answer to a watcher who is not a buddy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The watcher sees presence.
    Allow,
    /// The watcher's subscription is terminated with `reason=rejected`.
    Block,
}

/// The registrar's database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
    queued: Vec<BindingChange>,
    /// Started with the first binding change: the HTTP API's store never writes bindings.
    writer: Option<BindingWriter>,
}

impl Store {
    /// Opens (and creates) `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = connect(path)?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS reg_bindings (
                aor TEXT NOT NULL, contact_uri TEXT NOT NULL, contact TEXT NOT NULL,
                expires_at INTEGER NOT NULL, source TEXT NOT NULL, path TEXT NOT NULL,
                call_id TEXT NOT NULL, cseq INTEGER NOT NULL,
                PRIMARY KEY (aor, contact_uri));
             CREATE TABLE IF NOT EXISTS reg_offline (
                id INTEGER PRIMARY KEY AUTOINCREMENT, recipient TEXT NOT NULL,
                sender TEXT NOT NULL, content_type TEXT NOT NULL, body BLOB NOT NULL,
                received_at INTEGER NOT NULL);
             CREATE INDEX IF NOT EXISTS reg_offline_recipient ON reg_offline (recipient, id);
             CREATE TABLE IF NOT EXISTS reg_buddies (
                owner TEXT NOT NULL, buddy TEXT NOT NULL, name TEXT, grp TEXT,
                PRIMARY KEY (owner, buddy));
             CREATE TABLE IF NOT EXISTS reg_watchers (
                presentity TEXT NOT NULL, watcher TEXT NOT NULL, decision TEXT NOT NULL,
                PRIMARY KEY (presentity, watcher));",
        )?;
        Ok(Store {
            conn,
            path: path.to_owned(),
            queued: Vec::new(),
            writer: None,
        })
    }

    /// Queues inserting or replacing the binding of `(aor, contact_uri)`.
    pub fn put_binding(&mut self, contact_uri: String, b: StoredBinding) {
        self.queued.push(BindingChange::Put(contact_uri, b));
    }

    /// Queues forgetting a binding.
    pub fn delete_binding(&mut self, aor: &str, contact_uri: &str) {
        self.queued.push(BindingChange::Delete {
            aor: aor.to_owned(),
            contact_uri: contact_uri.to_owned(),
        });
    }

    /// Whether binding changes wait for [`flush`](Self::flush).
    pub fn has_queued(&self) -> bool {
        !self.queued.is_empty()
    }

    /// Hands the queued binding changes to the writing thread (see `binding_writer.rs`),
    /// which writes them in one transaction, after every earlier batch. On failure they stay
    /// queued for the next flush.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.queued.is_empty() {
            return Ok(());
        }
        if self.writer.is_none() {
            self.writer = Some(BindingWriter::start(&self.path)?);
        }
        let writer = self.writer.as_ref().expect("just started");
        if let Err(back) = writer.send(std::mem::take(&mut self.queued)) {
            // The thread is gone (it panicked): keep the changes and start a new one next time.
            self.queued = back;
            self.writer = None;
            return Err(gone());
        }
        Ok(())
    }

    /// Flushes, then waits until every binding change is written (or says why not).
    pub fn sync(&mut self) -> Result<(), StoreError> {
        self.flush()?;
        self.writer.as_ref().map_or(Ok(()), BindingWriter::sync)
    }

    /// Every stored binding, queued changes included, for the restart.
    pub fn bindings(&mut self) -> Result<Vec<StoredBinding>, StoreError> {
        self.sync()?;
        let mut stmt = self.conn.prepare(
            "SELECT aor, contact, expires_at, source, path, call_id, cseq FROM reg_bindings",
        )?;
        let rows = stmt.query_map([], |r| {
            let path: String = r.get(4)?;
            Ok(StoredBinding {
                aor: r.get(0)?,
                contact: r.get(1)?,
                expires_at: r.get::<_, i64>(2)?.max(0) as u64,
                source: r.get(3)?,
                path: path.lines().map(str::to_owned).collect(),
                call_id: r.get(5)?,
                cseq: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores a message for later; returns its id.
    pub fn push_offline(&self, m: &OfflineMessage) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO reg_offline (recipient, sender, content_type, body, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![
                m.recipient,
                m.from,
                m.content_type,
                m.body,
                m.received_at as i64
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The messages waiting for `recipient`, oldest first.
    pub fn offline_for(&self, recipient: &str) -> Result<Vec<OfflineMessage>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, recipient, sender, content_type, body, received_at FROM reg_offline
             WHERE recipient = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([recipient], |r| {
            Ok(OfflineMessage {
                id: r.get(0)?,
                recipient: r.get(1)?,
                from: r.get(2)?,
                content_type: r.get(3)?,
                body: r.get(4)?,
                received_at: r.get::<_, i64>(5)?.max(0) as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Who has messages waiting, for the registrar to know without asking per REGISTER.
    pub fn offline_recipients(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT recipient FROM reg_offline")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Forgets a delivered message.
    pub fn delete_offline(&self, id: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("DELETE FROM reg_offline WHERE id = ?1")?
            .execute([id])?;
        Ok(())
    }

    /// `owner`'s buddy list, by username.
    pub fn buddies(&self, owner: &str) -> Result<Vec<Buddy>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT buddy, name, grp FROM reg_buddies WHERE owner = ?1 ORDER BY buddy",
        )?;
        let rows = stmt.query_map([owner], |r| {
            Ok(Buddy {
                username: r.get(0)?,
                name: r.get(1)?,
                group: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds or replaces a buddy.
    pub fn put_buddy(&self, owner: &str, b: &Buddy) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO reg_buddies (owner, buddy, name, grp)
                 VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![owner, b.username, b.name, b.group])?;
        Ok(())
    }

    /// Removes a buddy; `false` if it was not there.
    pub fn delete_buddy(&self, owner: &str, buddy: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM reg_buddies WHERE owner = ?1 AND buddy = ?2")?
            .execute([owner, buddy])?;
        Ok(n > 0)
    }

    /// Whether `other` is on `owner`'s list.
    pub fn is_buddy(&self, owner: &str, other: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM reg_buddies WHERE owner = ?1 AND buddy = ?2")?
            .query_row([owner, other], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// What `presentity` decided about `watcher`, if anything.
    pub fn decision(
        &self,
        presentity: &str,
        watcher: &str,
    ) -> Result<Option<Decision>, StoreError> {
        let found: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT decision FROM reg_watchers WHERE presentity = ?1 AND watcher = ?2",
            )?
            .query_row([presentity, watcher], |r| r.get(0))
            .optional()?;
        Ok(found.map(|d| {
            if d == "block" {
                Decision::Block
            } else {
                Decision::Allow
            }
        }))
    }

    /// Records a decision about a watcher.
    pub fn set_decision(
        &self,
        presentity: &str,
        watcher: &str,
        decision: Decision,
    ) -> Result<(), StoreError> {
        let text = match decision {
            Decision::Allow => "allow",
            Decision::Block => "block",
        };
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO reg_watchers (presentity, watcher, decision)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute([presentity, watcher, text])?;
        Ok(())
    }
}

/// A connection with the settings every user of the file needs.
pub(crate) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}
