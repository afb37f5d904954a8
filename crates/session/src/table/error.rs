//! Why a state table was refused. Every problem names the line it is about, so a person
//! editing the YAML can go straight to it.

use std::fmt;

use super::names::{Role, State};

/// What kind of name an unknown or undeclared name was meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    /// A role (`registration`, `call`, …).
    Role,
    /// A state.
    State,
    /// An event.
    Event,
    /// A guard.
    Guard,
    /// An action.
    Action,
    /// An effect.
    Effect,
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NameKind::Role => "role",
            NameKind::State => "state",
            NameKind::Event => "event",
            NameKind::Guard => "guard",
            NameKind::Action => "action",
            NameKind::Effect => "effect",
        })
    }
}

/// One thing wrong with a table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The YAML does not parse, or does not have the table's shape.
    #[error("line {line}: {message}")]
    Syntax {
        /// 1-based; 0 when the parser gave no position.
        line: usize,
        /// The parser's words.
        message: String,
    },
    /// A name that Rust does not implement.
    #[error("line {line}: unknown {kind} `{name}`")]
    Unknown {
        /// Where it is used or declared.
        line: usize,
        /// What it was meant to be.
        kind: NameKind,
        /// As written.
        name: String,
    },
    /// A name used by a transition but missing from the table's own declarations.
    #[error("line {line}: {kind} `{name}` is not declared in the table")]
    Undeclared {
        /// Where it is used.
        line: usize,
        /// What it is.
        kind: NameKind,
        /// As written.
        name: String,
    },
    /// Declared twice.
    #[error("line {line}: {kind} `{name}` is declared again (first on line {first})")]
    Duplicate {
        /// The second declaration.
        line: usize,
        /// The first.
        first: usize,
        /// What it is.
        kind: NameKind,
        /// As written.
        name: String,
    },
    /// A transition names a state of another role.
    #[error("line {line}: state `{state}` belongs to role {owner}, not {role}")]
    WrongRole {
        /// The transition.
        line: usize,
        /// The state named.
        state: State,
        /// Its role.
        owner: Role,
        /// The transition's role.
        role: Role,
    },
    /// A role has no initial state, or more than one.
    #[error("line {line}: role {role} needs exactly one initial state, has {count}")]
    Initial {
        /// The role's first state, or the second initial one.
        line: usize,
        /// The role.
        role: Role,
        /// How many are marked `initial`.
        count: usize,
    },
    /// No path leads from the role's initial state to this one.
    #[error("line {line}: state `{state}` cannot be reached from role {role}'s initial state")]
    Unreachable {
        /// The state's declaration.
        line: usize,
        /// The state.
        state: State,
        /// Its role.
        role: Role,
    },
    /// Two transitions can both match one (role, state, event) with guards that can hold
    /// together.
    #[error(
        "line {line}: transition on ({role}, {state}, {event}) is ambiguous with line {other}: \
         no guard tells them apart"
    )]
    Ambiguous {
        /// The later transition.
        line: usize,
        /// The earlier one.
        other: usize,
        /// Its role.
        role: Role,
        /// Its state.
        state: State,
        /// Its event.
        event: super::names::Event,
    },
    /// A state that is not terminal but has no transition out of it.
    #[error("line {line}: state `{state}` is not terminal but has no way out")]
    DeadEnd {
        /// The state's declaration.
        line: usize,
        /// The state.
        state: State,
    },
}

impl Problem {
    /// The line the problem is about (1-based).
    pub fn line(&self) -> usize {
        match self {
            Problem::Syntax { line, .. }
            | Problem::Unknown { line, .. }
            | Problem::Undeclared { line, .. }
            | Problem::Duplicate { line, .. }
            | Problem::WrongRole { line, .. }
            | Problem::Initial { line, .. }
            | Problem::Unreachable { line, .. }
            | Problem::Ambiguous { line, .. }
            | Problem::DeadEnd { line, .. } => *line,
        }
    }
}

/// A refused table: every problem found, in line order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct TableError {
    /// At least one.
    pub problems: Vec<Problem>,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}
