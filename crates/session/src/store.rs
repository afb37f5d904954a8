//! Chat history, delivery state and the outbox, in one SQLite file in the data directory, so
//! nothing typed or received is lost when the phone or the network goes away.

use std::path::Path;

use rusqlite::{params, Connection};

/// Where a message we sent stands (DESIGN.md flow 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// In the outbox: not yet accepted by anyone; retried.
    Queued,
    /// Handed to the server, no final answer yet.
    Sent,
    /// The peer's phone took it (200).
    Delivered,
    /// The server keeps it for the offline peer (202).
    Stored,
    /// Refused for good (a 4xx other than authentication).
    Failed,
}

impl Delivery {
    fn parse(text: &str) -> Option<Delivery> {
        [
            Delivery::Queued,
            Delivery::Sent,
            Delivery::Delivered,
            Delivery::Stored,
            Delivery::Failed,
        ]
        .into_iter()
        .find(|d| d.as_str() == text)
    }

    fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Delivered => "delivered",
            Delivery::Stored => "stored",
            Delivery::Failed => "failed",
        }
    }
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Outgoing {
    pub(crate) id: String,
    pub(crate) peer: String,
    pub(crate) text: String,
}

/// One line of a conversation, as the history keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChatLine {
    /// The message id (what `send_message` returned, or the received message's).
    pub id: String,
    /// The other party's address of record.
    pub peer: String,
    /// We sent it.
    pub outgoing: bool,
    /// UTF-8 text.
    pub text: String,
    /// Where it stands; received lines are `delivered`.
    pub state: Delivery,
    /// When it was recorded, Unix seconds.
    pub at: i64,
}

/// Why the store failed; the message at hand was not recorded.
#[derive(Debug, thiserror::Error)]
#[error("chat store: {0}")]
pub struct StoreError(#[from] rusqlite::Error);

pub(crate) struct Store {
    db: Connection,
}

impl Store {
    pub(crate) fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE IF NOT EXISTS messages (
                 id TEXT PRIMARY KEY,
                 peer TEXT NOT NULL,
                 outgoing INTEGER NOT NULL,
                 text TEXT NOT NULL,
                 state TEXT NOT NULL,
                 at INTEGER NOT NULL DEFAULT (strftime('%s','now'))
             );
             CREATE TABLE IF NOT EXISTS buddies (
                 uri TEXT PRIMARY KEY,
                 name TEXT,
                 added INTEGER NOT NULL DEFAULT (strftime('%s','now'))
             );",
        )?;
        Ok(Store { db })
    }

    /// Records a message to send; it stays `queued` until a server answers.
    pub(crate) fn queue(&self, id: &str, peer: &str, text: &str) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO messages (id, peer, outgoing, text, state) VALUES (?1, ?2, 1, ?3, 'queued')",
            params![id, peer, text],
        )?;
        Ok(())
    }

    pub(crate) fn set_state(&self, id: &str, state: Delivery) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE messages SET state = ?2 WHERE id = ?1",
            params![id, state.as_str()],
        )?;
        Ok(())
    }

    /// Records a received message; `false` if this id was seen before (a retransmission, or
    /// the server's offline store delivering it twice).
    pub(crate) fn received(&self, id: &str, peer: &str, text: &str) -> Result<bool, StoreError> {
        let n = self.db.execute(
            "INSERT OR IGNORE INTO messages (id, peer, outgoing, text, state)
             VALUES (?1, ?2, 0, ?3, 'delivered')",
            params![id, peer, text],
        )?;
        Ok(n == 1)
    }

    /// Every message not yet taken by a server (queued or sent without answer), oldest first.
    pub(crate) fn unsent(&self) -> Result<Vec<Outgoing>, StoreError> {
        let mut q = self.db.prepare(
            "SELECT id, peer, text FROM messages
             WHERE outgoing = 1 AND state IN ('queued', 'sent') ORDER BY at, rowid",
        )?;
        let rows = q.query_map([], |r| {
            Ok(Outgoing {
                id: r.get(0)?,
                peer: r.get(1)?,
                text: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The last `limit` lines exchanged with `peer`, oldest first.
    pub(crate) fn history(&self, peer: &str, limit: u32) -> Result<Vec<ChatLine>, StoreError> {
        let mut q = self.db.prepare(
            "SELECT id, peer, outgoing, text, state, at FROM messages
             WHERE peer = ?1 ORDER BY at DESC, rowid DESC LIMIT ?2",
        )?;
        let rows = q.query_map(params![peer, limit], |r| {
            let state: String = r.get(4)?;
            Ok(ChatLine {
                id: r.get(0)?,
                peer: r.get(1)?,
                outgoing: r.get(2)?,
                text: r.get(3)?,
                // Only this module writes the column, always with `as_str`.
                state: Delivery::parse(&state).unwrap_or(Delivery::Failed),
                at: r.get(5)?,
            })
        })?;
        let mut lines = rows.collect::<Result<Vec<_>, _>>()?;
        lines.reverse();
        Ok(lines)
    }

    pub(crate) fn add_buddy(&self, uri: &str, name: Option<&str>) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO buddies (uri, name) VALUES (?1, ?2)
             ON CONFLICT(uri) DO UPDATE SET name = coalesce(excluded.name, name)",
            params![uri, name],
        )?;
        Ok(())
    }

    pub(crate) fn remove_buddy(&self, uri: &str) -> Result<(), StoreError> {
        self.db
            .execute("DELETE FROM buddies WHERE uri = ?1", [uri])?;
        Ok(())
    }

    /// The buddy list, in the order added.
    pub(crate) fn buddies(&self) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut q = self
            .db
            .prepare("SELECT uri, name FROM buddies ORDER BY added, rowid")?;
        let rows = q.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    #[cfg(test)]
    fn state(&self, id: &str) -> Result<Option<String>, StoreError> {
        use rusqlite::OptionalExtension;
        Ok(self
            .db
            .query_row("SELECT state FROM messages WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbox_survives_reopen_and_tracks_delivery() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("chat.sqlite");
        {
            let s = Store::open(&path).unwrap();
            s.queue("m1", "sip:bob@x", "héllo ✓").unwrap();
            s.queue("m2", "sip:bob@x", "second").unwrap();
            s.set_state("m2", Delivery::Stored).unwrap();
        }
        let s = Store::open(&path).unwrap();
        let unsent = s.unsent().unwrap();
        assert_eq!(unsent.len(), 1);
        assert_eq!(unsent[0].text, "héllo ✓");
        assert_eq!(s.state("m2").unwrap().as_deref(), Some("stored"));
        assert!(s.received("in1", "sip:bob@x", "hi").unwrap());
        assert!(!s.received("in1", "sip:bob@x", "hi").unwrap());
        let lines = s.history("sip:bob@x", 2).unwrap();
        let texts: Vec<(&str, bool, Delivery)> = lines
            .iter()
            .map(|l| (l.text.as_str(), l.outgoing, l.state))
            .collect();
        assert_eq!(
            texts,
            [
                ("second", true, Delivery::Stored),
                ("hi", false, Delivery::Delivered)
            ]
        );
    }
}
