//! The strict checks of DESIGN.md: one initial state per role, every state reachable, no
//! ambiguous rows, no dead ends.

use std::collections::{HashMap, HashSet, VecDeque};

use super::error::Problem;
use super::names::{Role, State};
use super::{GuardTerm, Table};

pub(super) fn check(table: &Table) -> Vec<Problem> {
    let mut problems = Vec::new();
    initial_states(table, &mut problems);
    reachability(table, &mut problems);
    ambiguity(table, &mut problems);
    dead_ends(table, &mut problems);
    problems
}

fn initial_states(table: &Table, problems: &mut Vec<Problem>) {
    for &role in Role::ALL {
        let mut states: Vec<_> = table.states.values().filter(|i| i.role == role).collect();
        if states.is_empty() {
            continue;
        }
        states.sort_by_key(|i| i.line);
        let initial: Vec<_> = states.iter().filter(|i| i.initial).collect();
        if initial.len() != 1 {
            let line = initial.get(1).map_or(states[0].line, |i| i.line);
            problems.push(Problem::Initial {
                line,
                role,
                count: initial.len(),
            });
        }
    }
}

fn reachability(table: &Table, problems: &mut Vec<Problem>) {
    let mut next: HashMap<State, Vec<State>> = HashMap::new();
    for t in &table.transitions {
        next.entry(t.state).or_default().push(t.next);
    }
    let mut seen: HashSet<State> = HashSet::new();
    let mut queue: VecDeque<State> = table
        .states
        .iter()
        .filter(|(_, i)| i.initial)
        .map(|(s, _)| *s)
        .collect();
    while let Some(s) = queue.pop_front() {
        if seen.insert(s) {
            queue.extend(next.get(&s).into_iter().flatten().copied());
        }
    }
    for (&state, info) in &table.states {
        let role_has_initial = table
            .states
            .values()
            .any(|i| i.role == info.role && i.initial);
        // Without an initial state the role is already reported; do not flood.
        if role_has_initial && !seen.contains(&state) {
            problems.push(Problem::Unreachable {
                line: info.line,
                state,
                role: info.role,
            });
        }
    }
}

/// Two rows on one (state, event) are told apart only if some guard must hold in one and
/// must not in the other; otherwise both could match and the table would not say which.
fn ambiguity(table: &Table, problems: &mut Vec<Problem>) {
    for rows in table.index.values() {
        for (i, &a) in rows.iter().enumerate() {
            for &b in &rows[..i] {
                let (ta, tb) = (&table.transitions[a], &table.transitions[b]);
                if !exclusive(&ta.guards, &tb.guards) {
                    problems.push(Problem::Ambiguous {
                        line: ta.line,
                        other: tb.line,
                        role: ta.role,
                        state: ta.state,
                        event: ta.event,
                    });
                }
            }
        }
    }
}

fn exclusive(a: &[GuardTerm], b: &[GuardTerm]) -> bool {
    a.iter()
        .any(|x| b.iter().any(|y| x.guard == y.guard && x.holds != y.holds))
}

fn dead_ends(table: &Table, problems: &mut Vec<Problem>) {
    let leaving: HashSet<State> = table.transitions.iter().map(|t| t.state).collect();
    for (&state, info) in &table.states {
        if !info.terminal && !leaving.contains(&state) {
            problems.push(Problem::DeadEnd {
                line: info.line,
                state,
            });
        }
    }
}
