//! From YAML text to a [`Table`]: parse with positions kept (marked_yaml), then resolve every
//! name into the enums of [`super::names`], collecting each problem with its line.

use std::collections::HashMap;

use marked_yaml::Spanned;
use serde::Deserialize;

use super::error::{NameKind, Problem};
use super::names::{Action, Effect, Event, Guard, Role, State};
use super::{GuardTerm, StateInfo, Table, Transition};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTable {
    states: Vec<RawState>,
    events: Vec<Spanned<String>>,
    guards: Vec<Spanned<String>>,
    actions: Vec<Spanned<String>>,
    effects: Vec<Spanned<String>>,
    transitions: Vec<RawTransition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: Spanned<String>,
    role: Spanned<String>,
    #[serde(default)]
    initial: Option<Spanned<bool>>,
    #[serde(default)]
    terminal: Option<Spanned<bool>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    role: Spanned<String>,
    state: Spanned<String>,
    event: Spanned<String>,
    #[serde(default)]
    guards: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<Spanned<String>>,
    next_state: Spanned<String>,
    #[serde(default)]
    effects: Vec<Spanned<String>>,
}

fn line_of<T>(s: &Spanned<T>) -> usize {
    s.span().start().map_or(0, |m| m.line())
}

/// Parses and resolves; the structural checks run afterwards in `check`.
pub(super) fn parse(text: &str) -> Result<Table, Vec<Problem>> {
    let raw: RawTable = marked_yaml::from_yaml(0, text).map_err(|e| {
        vec![Problem::Syntax {
            line: syntax_line(&e),
            message: e.to_string(),
        }]
    })?;
    let mut r = Resolver::default();
    r.declare(&raw.events, NameKind::Event, Event::from_name);
    r.declare(&raw.guards, NameKind::Guard, Guard::from_name);
    r.declare(&raw.actions, NameKind::Action, Action::from_name);
    r.declare(&raw.effects, NameKind::Effect, Effect::from_name);

    let mut states = HashMap::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for s in &raw.states {
        let line = line_of(&s.name);
        if let Some(&first) = first_line.get(s.name.as_str()) {
            r.problems.push(Problem::Duplicate {
                line,
                first,
                kind: NameKind::State,
                name: s.name.to_string(),
            });
            continue;
        }
        first_line.insert(s.name.to_string(), line);
        let role = r.known(&s.role, NameKind::Role, role_from_name);
        let state = r.known(&s.name, NameKind::State, State::from_name);
        if let (Some(role), Some(state)) = (role, state) {
            states.insert(
                state,
                StateInfo {
                    role,
                    line,
                    initial: s.initial.as_ref().is_some_and(|b| **b),
                    terminal: s.terminal.as_ref().is_some_and(|b| **b),
                },
            );
        }
    }

    let mut transitions = Vec::new();
    for t in &raw.transitions {
        let line = line_of(&t.role);
        let role = r.known(&t.role, NameKind::Role, role_from_name);
        let state = r.state(&t.state, &states);
        let next = r.state(&t.next_state, &states);
        let event = r.used(&t.event, NameKind::Event, Event::from_name);
        let guards: Vec<_> = t.guards.iter().map(|g| r.guard(g)).collect();
        let actions: Vec<_> = t
            .actions
            .iter()
            .map(|a| r.used(a, NameKind::Action, Action::from_name))
            .collect();
        let effects: Vec<_> = t
            .effects
            .iter()
            .map(|e| r.used(e, NameKind::Effect, Effect::from_name))
            .collect();
        let (Some(role), Some(state), Some(next), Some(event)) = (role, state, next, event) else {
            continue;
        };
        for s in [state, next] {
            let owner = states[&s].role;
            if owner != role {
                r.problems.push(Problem::WrongRole {
                    line,
                    state: s,
                    owner,
                    role,
                });
            }
        }
        transitions.push(Transition {
            role,
            state,
            event,
            guards: guards.into_iter().flatten().collect(),
            actions: actions.into_iter().flatten().collect(),
            next,
            effects: effects.into_iter().flatten().collect(),
            line,
        });
    }
    if r.problems.is_empty() {
        Ok(Table::new(states, transitions))
    } else {
        Err(r.problems)
    }
}

/// Roles are spelled in lower case in the YAML, as they read in prose.
fn role_from_name(name: &str) -> Option<Role> {
    Role::ALL
        .iter()
        .copied()
        .find(|r| r.name().eq_ignore_ascii_case(name))
}

fn syntax_line(e: &marked_yaml::FromYamlError) -> usize {
    // The error's text carries the position when the parser knew it; a structured
    // accessor differs between the error's variants, and the text is what a person reads.
    let text = e.to_string();
    text.split("line ")
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// Collects problems while resolving names.
#[derive(Default)]
struct Resolver {
    /// Declared event, guard, action and effect names with their lines.
    declared: HashMap<(&'static str, String), usize>,
    problems: Vec<Problem>,
}

fn kind_key(kind: NameKind) -> &'static str {
    match kind {
        NameKind::Role => "role",
        NameKind::State => "state",
        NameKind::Event => "event",
        NameKind::Guard => "guard",
        NameKind::Action => "action",
        NameKind::Effect => "effect",
    }
}

impl Resolver {
    fn declare<T>(
        &mut self,
        names: &[Spanned<String>],
        kind: NameKind,
        lookup: impl Fn(&str) -> Option<T>,
    ) {
        for n in names {
            let line = line_of(n);
            let key = (kind_key(kind), n.to_string());
            if let Some(&first) = self.declared.get(&key) {
                self.problems.push(Problem::Duplicate {
                    line,
                    first,
                    kind,
                    name: n.to_string(),
                });
                continue;
            }
            self.declared.insert(key, line);
            self.known(n, kind, &lookup);
        }
    }

    fn known<T>(
        &mut self,
        name: &Spanned<String>,
        kind: NameKind,
        lookup: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let found = lookup(name.as_str());
        if found.is_none() {
            self.problems.push(Problem::Unknown {
                line: line_of(name),
                kind,
                name: name.to_string(),
            });
        }
        found
    }

    /// A name used in a transition: Rust must know it and the table must declare it.
    fn used<T>(
        &mut self,
        name: &Spanned<String>,
        kind: NameKind,
        lookup: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let found = self.known(name, kind, lookup)?;
        if !self
            .declared
            .contains_key(&(kind_key(kind), name.to_string()))
        {
            self.problems.push(Problem::Undeclared {
                line: line_of(name),
                kind,
                name: name.to_string(),
            });
            return None;
        }
        Some(found)
    }

    fn guard(&mut self, term: &Spanned<String>) -> Option<GuardTerm> {
        let (holds, bare) = match term.strip_prefix('!') {
            Some(rest) => (false, rest.trim()),
            None => (true, term.as_str()),
        };
        let bare = Spanned::new(*term.span(), bare.to_owned());
        let guard = self.used(&bare, NameKind::Guard, Guard::from_name)?;
        Some(GuardTerm { guard, holds })
    }

    fn state(
        &mut self,
        name: &Spanned<String>,
        states: &HashMap<State, StateInfo>,
    ) -> Option<State> {
        let state = self.known(name, NameKind::State, State::from_name)?;
        if !states.contains_key(&state) {
            self.problems.push(Problem::Undeclared {
                line: line_of(name),
                kind: NameKind::State,
                name: name.to_string(),
            });
            return None;
        }
        Some(state)
    }
}
