//! The `halo` CLI's stdout as parsed events, read on a thread of its own so a test can wait
//! with a timeout. Shared by the session and desktop tests (included with `#[path]`).

use std::io::{BufRead, BufReader};
use std::process::ChildStdout;
use std::sync::mpsc;

use serde_json::Value;

/// Every line `stdout` prints, parsed; a line that is not JSON fails the test.
pub(crate) fn json_lines(stdout: ChildStdout) -> mpsc::Receiver<Value> {
    let (tx, events) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let v: Value = serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("halo printed a non-JSON line: {line}: {e}"));
            if tx.send(v).is_err() {
                break;
            }
        }
    });
    events
}
