use super::*;

#[test]
fn builtin_table_loads() {
    let t = Table::load(BUILTIN).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.initial(Role::Registration), State::Unregistered);
    assert_eq!(t.initial(Role::Call), State::Idle);
    assert!(t.transitions().len() > 100);
}

const SMALL: &str = "\
states:
  - {name: Idle, role: call, initial: true}
  - {name: Calling, role: call}
  - {name: Ended, role: call, terminal: true}
events: [MakeCall, CallFailed, Hangup]
guards: [AutoAnswer]
actions: [SendInvite]
effects: [ReportEnded]
transitions:
  - {role: call, state: Idle, event: MakeCall, actions: [SendInvite], next_state: Calling}
  - {role: call, state: Calling, event: CallFailed, next_state: Ended, effects: [ReportEnded]}
";

fn problems(yaml: &str) -> Vec<Problem> {
    Table::load(yaml).expect_err("must be refused").problems
}

#[test]
fn small_table_is_fine() {
    Table::load(SMALL).unwrap();
}

#[test]
fn unknown_event_names_its_line() {
    let yaml = SMALL.replace("event: CallFailed", "event: CallFlopped");
    let p = problems(&yaml);
    assert!(
        matches!(&p[0], Problem::Unknown { line: 11, kind: NameKind::Event, name } if name == "CallFlopped"),
        "{p:?}"
    );
}

#[test]
fn unknown_declared_action_names_its_line() {
    let yaml = SMALL.replace("actions: [SendInvite]\n", "actions: [SendInvite, Dance]\n");
    let p = problems(&yaml);
    assert!(
        matches!(
            &p[0],
            Problem::Unknown {
                line: 7,
                kind: NameKind::Action,
                ..
            }
        ),
        "{p:?}"
    );
}

#[test]
fn undeclared_guard_names_its_line() {
    let yaml = SMALL.replace(
        "event: MakeCall, actions",
        "event: MakeCall, guards: [\"!IsRegistered\"], actions",
    );
    let p = problems(&yaml);
    assert!(
        matches!(
            &p[0],
            Problem::Undeclared {
                line: 10,
                kind: NameKind::Guard,
                ..
            }
        ),
        "{p:?}"
    );
}

#[test]
fn unknown_state_and_role() {
    let yaml = SMALL.replace("next_state: Calling}", "next_state: Dialling}");
    assert!(matches!(
        problems(&yaml)[0],
        Problem::Unknown {
            line: 10,
            kind: NameKind::State,
            ..
        }
    ));
    let yaml = SMALL.replace(
        "{name: Calling, role: call}",
        "{name: Calling, role: phone}",
    );
    assert!(matches!(
        problems(&yaml)[0],
        Problem::Unknown {
            line: 3,
            kind: NameKind::Role,
            ..
        }
    ));
}

#[test]
fn unreachable_state_names_its_declaration() {
    let yaml = SMALL.replace(
        "  - {name: Ended, role: call, terminal: true}\n",
        "  - {name: Ended, role: call, terminal: true}\n  - {name: Held, role: call, terminal: true}\n",
    );
    let p = problems(&yaml);
    assert_eq!(
        p,
        vec![Problem::Unreachable {
            line: 5,
            state: State::Held,
            role: Role::Call
        }]
    );
}

#[test]
fn ambiguous_rows_name_both_lines() {
    let yaml =
        format!("{SMALL}  - {{role: call, state: Calling, event: CallFailed, next_state: Idle}}\n");
    let p = problems(&yaml);
    assert!(
        matches!(
            p[0],
            Problem::Ambiguous {
                line: 12,
                other: 11,
                ..
            }
        ),
        "{p:?}"
    );
    // A guard with opposite values on the two rows tells them apart.
    let yaml = SMALL.replace(
        "event: CallFailed, next_state",
        "event: CallFailed, guards: [AutoAnswer], next_state",
    ) + "  - {role: call, state: Calling, event: CallFailed, guards: [\"!AutoAnswer\"], next_state: Idle}\n";
    Table::load(&yaml).unwrap();
    // The same guard set, or sets that can hold together, cannot.
    let yaml = SMALL.replace(
        "event: CallFailed, next_state",
        "event: CallFailed, guards: [AutoAnswer], next_state",
    ) + "  - {role: call, state: Calling, event: CallFailed, next_state: Idle}\n";
    assert!(matches!(
        problems(&yaml)[0],
        Problem::Ambiguous { line: 12, .. }
    ));
}

#[test]
fn dead_end_names_the_state() {
    let yaml = SMALL.replace(
        "{name: Ended, role: call, terminal: true}",
        "{name: Ended, role: call}",
    );
    assert_eq!(
        problems(&yaml),
        vec![Problem::DeadEnd {
            line: 4,
            state: State::Ended
        }]
    );
}

#[test]
fn initial_state_count_is_checked() {
    let yaml = SMALL.replace(
        "{name: Calling, role: call}",
        "{name: Calling, role: call, initial: true}",
    );
    assert!(matches!(
        problems(&yaml)[0],
        Problem::Initial {
            line: 3,
            count: 2,
            ..
        }
    ));
}

#[test]
fn wrong_role_and_duplicates() {
    let yaml = SMALL.replace(
        "  - {name: Ended, role: call, terminal: true}\n",
        "  - {name: Ended, role: call, terminal: true}\n  - {name: Listening, role: inbound, initial: true}\n",
    ) + "  - {role: call, state: Ended, event: Hangup, next_state: Listening}\n";
    let p = problems(&yaml);
    assert!(
        p.iter().any(|p| matches!(
            p,
            Problem::WrongRole {
                line: 13,
                state: State::Listening,
                ..
            }
        )),
        "{p:?}"
    );
    let yaml = SMALL.replace("events: [MakeCall,", "events: [MakeCall, MakeCall,");
    assert!(matches!(
        problems(&yaml)[0],
        Problem::Duplicate {
            line: 5,
            first: 5,
            ..
        }
    ));
}

#[test]
fn syntax_errors_are_located() {
    let p = problems("states: [\n  - {name: Idle\n");
    assert!(matches!(p[0], Problem::Syntax { .. }), "{p:?}");
    let p = problems(&SMALL.replace("transitions:", "transitionz:"));
    assert!(matches!(p[0], Problem::Syntax { .. }), "{p:?}");
}

#[test]
fn diagrams_draw_every_row() {
    let t = Table::load(SMALL).unwrap();
    let m = t.diagram(Diagram::Mermaid);
    assert!(m.starts_with("stateDiagram-v2"));
    assert!(m.contains("Idle --> Calling : MakeCall / SendInvite"));
    assert!(m.contains("Ended --> [*]"));
    let g = t.diagram(Diagram::Graphviz);
    assert!(g.contains("Calling -> Ended [label=\"CallFailed\"];"));
}
