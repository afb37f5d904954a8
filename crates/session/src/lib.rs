//! Halo's session core: the behaviour of a phone as a YAML state table, the pure engine that
//! walks it, and the [`Coordinator`] that drives the SIP stack by it.
//!
//! Everything the desktop app and the `halo` CLI do goes through [`Coordinator`]; its events
//! come on one broadcast stream of [`PhoneEvent`]s.
//!
//! # The engine
//!
//! A machine instance (the account's registration, one subscription per buddy, one call…)
//! is just a [`State`]. The driver turns what happened into an [`Event`], evaluates the
//! guards into [`Facts`], asks [`step`], runs the actions, stores the next state and reports
//! the effects:
//!
//! ```
//! use session::{step, Action, Event, Facts, Guard, State, Table};
//!
//! let table = Table::builtin();
//! let facts = Facts::default().with(Guard::HasAuthentication);
//! let s = step(&table, State::Unregistered, &Event::Register, &facts)?;
//! assert_eq!(s.next, State::Registering);
//! assert_eq!(s.actions, &[Action::SendRegister]);
//! # Ok::<(), session::NoTransition>(())
//! ```
#![forbid(unsafe_code)]
#![warn(unreachable_pub)]
#![deny(missing_docs)]

mod coordinator;
mod engine;
mod media;
mod schedule;
mod store;
mod table;
mod timers;

pub use coordinator::{
    parse_status, status_word, ApiError, Buddy, CallId, CallState, Config, Coordinator, LoginError,
    PhoneEvent, Server, StartError, Stopped, WatchState, WatcherState,
};
pub use media::{MediaAdapter, NullMedia};
pub use store::{ChatLine, Delivery, StoreError};

pub use engine::{step, Facts, NoTransition, Step};
pub use schedule::{keepalive_interval, keepalive_timeout, refresh_after, Backoff};
pub use table::{
    Action, Diagram, Effect, Event, Guard, GuardTerm, NameKind, Problem, Role, State, StateInfo,
    Table, TableError, Transition, BUILTIN,
};
pub use timers::{AccountTimers, Deadlines, Due, TimerConfig};
