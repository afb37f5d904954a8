//! Any presence or watcher-info body: parsing must not panic; what parses must serialise to
//! something that parses again.

use presence::{Document, WatcherInfo};

/// Panics when the input shows a bug: the fuzz target and `cargo test` replay both run this.
pub(crate) fn check(data: &[u8]) {
    if let Ok(doc) = Document::parse(data) {
        let _ = doc.view();
        Document::parse(doc.to_xml().as_bytes()).expect("our PIDF parses");
    }
    if let Ok(winfo) = WatcherInfo::parse(data) {
        WatcherInfo::parse(winfo.to_xml().as_bytes()).expect("our watcherinfo parses");
    }
}
