//! TX002 missing-release: a client checked out of a pool in this function
//! reaches an exit, on some path, without being released or handed on.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::{ExitFact, Facts, Holding};
use crate::flow::{EventKind, ExitHow, ExitKind, FnFlow, HandleId};
use crate::source::Span;

pub(super) const RULE: Rule = Rule {
    code: "TX002",
    name: "missing-release",
    severity: Severity::Error,
    summary: "a pooled client is not released on some path",
    doc: include_str!("../../rules/TX002.md"),
    check: Some(check),
    shown_in_tests: false,
};

/// At most this many "released only here" labels per diagnostic.
const MAX_RELEASE_LABELS: usize = 3;

fn check(flow: &FnFlow, facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    for (handle, handle_facts) in facts.handles.iter().enumerate() {
        // A pooled connection that goes back on drop needs no release.
        if handle_facts.truncated || flow.handles[handle].returns_to_pool_on_drop {
            continue;
        }
        let mut leaks: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| exit.holding == Holding::Acquired)
            // An exception that ends the run closes the connection with it.
            .filter(|exit| !(flow.errors_end_run && exit.exit == ExitKind::Error))
            .collect();
        // One report per acquire; an early return explains best, then a
        // catch clause, then an exception.
        leaks.sort_by_key(|exit| {
            (
                exit.acquired_at,
                exit.witness.caught_by.is_some(),
                exit.how == ExitHow::Exception,
                exit.at,
            )
        });
        leaks.dedup_by_key(|exit| exit.acquired_at);
        let name = &flow.handles[handle].name;
        let mut reported: Vec<Span> = Vec::new();
        for exit in leaks {
            let Some(acquired_at) = exit.acquired_at else {
                continue;
            };
            reported.push(acquired_at);
            out.push(exit_report(flow, handle, name, acquired_at, exit));
        }
        for overwrite in &handle_facts.overwrites {
            if reported.contains(&overwrite.acquired_at) {
                continue;
            }
            reported.push(overwrite.acquired_at);
            let mut diagnostic = RULE.diagnostic(
                flow,
                format!("`{name}` is checked out of the pool again before the earlier client is released"),
            );
            diagnostic.span = overwrite.acquired_at;
            diagnostic.labels = vec![
                Label {
                    message: "client checked out here".into(),
                    span: overwrite.acquired_at,
                },
                Label {
                    message: "checked out again here; the earlier client is lost".into(),
                    span: overwrite.reacquired_at,
                },
            ];
            diagnostic.help = help();
            out.push(diagnostic);
        }
    }
}

fn exit_report(
    flow: &FnFlow,
    handle: HandleId,
    name: &str,
    acquired_at: Span,
    exit: &ExitFact,
) -> Diagnostic {
    let caught = exit.witness.caught_by.is_some();
    let unnamed = flow.handles[handle].is_unnamed();
    let when = match (exit.how, caught) {
        (_, true) => "the catch clause is taken",
        (ExitHow::Exception, false) => "an error leaves the function",
        (ExitHow::Return, false) => "the function returns here",
        (ExitHow::EndOfBody, false) => "the function ends",
    };
    let message = if unnamed {
        "a client is checked out of the pool here but never kept, so it is never released"
            .to_string()
    } else {
        format!("`{name}` is checked out of the pool but not released when {when}")
    };
    let mut diagnostic = RULE.diagnostic(flow, message);
    diagnostic.span = acquired_at;
    let mut labels = vec![Label {
        message: "client checked out here".into(),
        span: acquired_at,
    }];
    let releases: Vec<Span> = flow
        .events_of(handle, EventKind::Release)
        .map(|e| e.span)
        .collect();
    for &span in releases.iter().take(MAX_RELEASE_LABELS) {
        labels.push(Label {
            message: "released only here".into(),
            span,
        });
    }
    let raised = exit.witness.raised_after_acquire;
    if let Some(raised) = raised.filter(|&r| r != exit.at) {
        labels.push(Label {
            message: "this call can throw".into(),
            span: raised,
        });
    }
    let exit_label = match exit.how {
        _ if unnamed => "leaves here with the client still checked out".to_string(),
        ExitHow::Return if caught => {
            format!("the catch clause returns here without releasing `{name}`")
        }
        ExitHow::Return => format!("returns here without releasing `{name}`"),
        ExitHow::EndOfBody => format!("the function ends here without releasing `{name}`"),
        ExitHow::Exception if raised == Some(exit.at) => {
            format!("if this call throws, `{name}` is never released")
        }
        ExitHow::Exception => {
            format!("the error leaves the function here; `{name}` is not released")
        }
    };
    labels.push(Label {
        message: exit_label,
        span: exit.at,
    });
    diagnostic.labels = labels;
    diagnostic.help = help();
    diagnostic
}

fn help() -> String {
    "release the client in a `finally` block so that every path gives it back".into()
}
