//! Endpoint tests over a simulated network and clock (see `harness`).

mod client_timers;
mod flows;
mod forward;
mod harness;
mod robustness;
mod server_timers;
