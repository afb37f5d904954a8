//! Tests for the SDP module; sample bodies live in `fixtures`.

mod fixtures;
mod negotiate;
mod parse;
mod robust;
