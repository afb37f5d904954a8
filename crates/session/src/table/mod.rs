//! The state table (DESIGN.md "The state table"): the session core's behaviour as data.
//!
//! The YAML lists `states` (each owned by one role, one `initial` per role, some
//! `terminal`), the `events`, `guards`, `actions` and `effects` it uses, and `transitions`
//! `{role, state, event, guards[], actions[], next_state, effects[]}`. [`Table::load`] resolves
//! every name into the enums of this module and checks the whole table strictly; the engine
//! ([`crate::step`]) then only looks rows up.

mod check;
mod diagram;
mod error;
mod load;
mod names;

use std::collections::HashMap;

pub use diagram::Diagram;
pub use error::{NameKind, Problem, TableError};
pub use names::{Action, Effect, Event, Guard, Role, State};

/// The table every Coordinator runs unless told otherwise.
pub const BUILTIN: &str = include_str!("../../state_tables/halo.yaml");

/// One guard on a transition: `Name` must hold, `!Name` must not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuardTerm {
    /// The guard evaluated.
    pub guard: Guard,
    /// The value it must have.
    pub holds: bool,
}

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The lifecycle it belongs to.
    pub role: Role,
    /// The state it leaves.
    pub state: State,
    /// The event it answers.
    pub event: Event,
    /// All must hold for it to be taken.
    pub guards: Vec<GuardTerm>,
    /// Run in order by the driver.
    pub actions: Vec<Action>,
    /// The state it enters (may be `state`).
    pub next: State,
    /// What the outside is told, after the actions.
    pub effects: Vec<Effect>,
    /// Where it is written, for logs and errors.
    pub line: usize,
}

/// What the table says about one state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateInfo {
    /// Its role.
    pub role: Role,
    /// Where it is declared.
    pub line: usize,
    /// Where a new machine of the role starts.
    pub initial: bool,
    /// Where a machine of the role ends (nothing leaves it).
    pub terminal: bool,
}

/// A loaded and checked state table.
#[derive(Debug, Clone)]
pub struct Table {
    states: HashMap<State, StateInfo>,
    transitions: Vec<Transition>,
    /// Row indices per (state, event), in table order.
    index: HashMap<(State, Event), Vec<usize>>,
}

impl Table {
    /// Parses and checks `yaml`; every problem found is reported, each with its line.
    pub fn load(yaml: &str) -> Result<Table, TableError> {
        let table = load::parse(yaml).map_err(|problems| TableError { problems })?;
        let mut problems = check::check(&table);
        if problems.is_empty() {
            Ok(table)
        } else {
            problems.sort_by_key(Problem::line);
            Err(TableError { problems })
        }
    }

    /// The built-in table ([`BUILTIN`]).
    pub fn builtin() -> Table {
        Table::load(BUILTIN).expect("the built-in table is checked by the crate's tests")
    }

    fn new(states: HashMap<State, StateInfo>, transitions: Vec<Transition>) -> Table {
        let mut index: HashMap<(State, Event), Vec<usize>> = HashMap::new();
        for (i, t) in transitions.iter().enumerate() {
            index.entry((t.state, t.event)).or_default().push(i);
        }
        Table {
            states,
            transitions,
            index,
        }
    }

    /// Where a new machine of `role` starts.
    pub fn initial(&self, role: Role) -> State {
        let mut initial = self
            .states
            .iter()
            .filter(|(_, i)| i.role == role && i.initial)
            .map(|(s, _)| *s);
        // A checked table has exactly one initial state per role that has states; a role
        // without states is never instantiated by a driver running that table.
        initial.next().unwrap_or(State::Idle)
    }

    /// What the table says about `state`, if it declares it.
    pub fn state(&self, state: State) -> Option<StateInfo> {
        self.states.get(&state).copied()
    }

    /// Every row, in table order.
    pub fn transitions(&self) -> &[Transition] {
        &self.transitions
    }

    /// The rows leaving `state` on `event`, in table order.
    pub fn candidates(&self, state: State, event: Event) -> impl Iterator<Item = &Transition> {
        self.index
            .get(&(state, event))
            .into_iter()
            .flatten()
            .map(|&i| &self.transitions[i])
    }
}

#[cfg(test)]
mod tests;
