//! Graphviz dump of a function's flow, for `txlint debug-flow FILE`: the
//! quickest way to see why a path was or was not taken.

use std::fmt::Write;

use super::{EdgeKind, FnFlow};

pub(crate) fn to_dot(flow: &FnFlow) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "digraph \"{}\" {{", escape(&flow.name));
    let _ = writeln!(out, "  node [shape=box, fontname=monospace];");
    for (id, block) in flow.blocks.iter().enumerate() {
        let mut label = format!("b{id}");
        if id == flow.entry {
            label.push_str(" (entry)");
        } else if id == flow.normal_exit {
            label.push_str(" (normal exit)");
        } else if id == flow.error_exit {
            label.push_str(" (error exit)");
        }
        for event in &block.events {
            let handle = &flow.handles[event.handle].name;
            let _ = write!(
                label,
                "\\n{:?}({}) @{}",
                event.kind,
                escape(handle),
                event.span.start
            );
        }
        let _ = writeln!(out, "  b{id} [label=\"{label}\"];");
        for edge in &block.edges {
            let mut edge_label = match edge.kind {
                EdgeKind::Normal => String::new(),
                EdgeKind::Raise { at } => format!("raise @{}", at.start),
                EdgeKind::Catch { .. } => "catch".to_string(),
                EdgeKind::EnterFinally(c) => format!("enter finally #{c}"),
                EdgeKind::LeaveFinally(c) => format!("leave finally #{c}"),
                EdgeKind::Exit { how, at } => format!("exit {how:?} @{}", at.start),
                EdgeKind::Back => "back".to_string(),
                EdgeKind::Recover => "recover".to_string(),
            };
            if let Some(guard) = edge.guard {
                let place = &flow.handles[guard.place].name;
                let _ = write!(
                    edge_label,
                    " [{:?}({}) = {}]",
                    guard.test,
                    escape(place),
                    guard.holds
                );
            }
            let _ = writeln!(
                out,
                "  b{id} -> b{} [label=\"{}\"];",
                edge.to,
                edge_label.trim()
            );
        }
    }
    out.push_str("}\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
