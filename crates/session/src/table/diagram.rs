//! A picture of a checked table, for `halo table check`: Mermaid (renders on GitHub) or
//! Graphviz.

use std::fmt::Write;

use super::names::Role;
use super::Table;

/// The diagram language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Diagram {
    /// `stateDiagram-v2`, one composite state per role.
    Mermaid,
    /// `digraph`, one cluster per role.
    Graphviz,
}

impl Table {
    /// The table drawn as `kind`; edge labels are `event [guards] / actions`.
    pub fn diagram(&self, kind: Diagram) -> String {
        let mut out = String::new();
        match kind {
            Diagram::Mermaid => out.push_str("stateDiagram-v2\n"),
            Diagram::Graphviz => out.push_str("digraph halo {\n  rankdir=LR;\n"),
        }
        for &role in Role::ALL {
            let rows: Vec<_> = self.transitions.iter().filter(|t| t.role == role).collect();
            if rows.is_empty() {
                continue;
            }
            match kind {
                Diagram::Mermaid => {
                    let _ = writeln!(out, "  state {role} {{");
                    let _ = writeln!(out, "    [*] --> {}", self.initial(role));
                }
                Diagram::Graphviz => {
                    let _ = writeln!(out, "  subgraph cluster_{role} {{\n    label=\"{role}\";");
                }
            }
            for t in rows {
                let mut label = t.event.name().to_owned();
                if !t.guards.is_empty() {
                    let guards: Vec<String> = t
                        .guards
                        .iter()
                        .map(|g| format!("{}{}", if g.holds { "" } else { "!" }, g.guard))
                        .collect();
                    let _ = write!(label, " [{}]", guards.join(", "));
                }
                if !t.actions.is_empty() {
                    let actions: Vec<&str> = t.actions.iter().map(|a| a.name()).collect();
                    let _ = write!(label, " / {}", actions.join(", "));
                }
                match kind {
                    Diagram::Mermaid => {
                        let _ = writeln!(out, "    {} --> {} : {label}", t.state, t.next);
                    }
                    Diagram::Graphviz => {
                        let _ = writeln!(out, "    {} -> {} [label=\"{label}\"];", t.state, t.next);
                    }
                }
            }
            for (state, info) in &self.states {
                if info.role == role && info.terminal && kind == Diagram::Mermaid {
                    let _ = writeln!(out, "    {state} --> [*]");
                }
            }
            out.push_str("  }\n");
        }
        if kind == Diagram::Graphviz {
            out.push_str("}\n");
        }
        out
    }
}
