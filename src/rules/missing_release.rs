//! TX002 missing-release: a client checked out of a pool in this function
//! reaches an exit, on some path, without being released or handed on.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::try_clauses::{
    Indent, Scope, contains, guarded, hoisting, into_finally, is_identifier, removal, scope_of,
    slice,
};
use crate::fix::{Applicability, Fix};
use crate::flow::state::{ExitFact, Facts, Holding, release_in_finally_suffices};
use crate::flow::{EventKind, ExitHow, ExitKind, FnFlow, HandleId, MODULE_BODY};
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

fn check(flow: &FnFlow, facts: &Facts, text: &str, out: &mut Vec<Diagnostic>) {
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
            let mut diagnostic = exit_report(flow, handle, name, acquired_at, exit);
            // A client also released twice is not in a shape to move.
            if handle_facts.double_releases.is_empty() {
                diagnostic.fix = finally_fix(flow, handle, text);
            }
            out.push(diagnostic);
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
        (ExitHow::LeavesScope | ExitHow::Shadowed, false) => "it goes out of scope",
    };
    // The module's own code: a client checked out as it loads.
    let loads = flow.name == MODULE_BODY;
    let message = if unnamed {
        "a client is checked out of the pool here but never kept, so it is never released"
            .to_string()
    } else if loads && exit.how == ExitHow::EndOfBody {
        format!(
            "`{name}` is checked out when the module loads and never released: the pool is one connection short for as long as the process runs"
        )
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
        ExitHow::LeavesScope | ExitHow::Shadowed => {
            format!("`{name}` goes out of scope here without a release")
        }
        ExitHow::Exception if raised == Some(exit.at) => {
            format!("if this call throws, `{name}` is never released")
        }
        ExitHow::Exception => {
            format!("the error leaves the function here; `{name}` is not released")
        }
    };
    // The end of a module's code is the end of the file: nothing to show.
    if !(loads && exit.how == ExitHow::EndOfBody) {
        labels.push(Label {
            message: exit_label,
            span: exit.at,
        });
    }
    diagnostic.labels = labels;
    diagnostic.help = if loads {
        "a request that uses this client shares it with every other request; check a client out in each request handler and release it in `finally`, or send single statements through the pool".into()
    } else {
        help()
    };
    diagnostic
}

/// Releasing in the `finally` block of the `try` statement that follows the
/// checkout (made if there is none), in place of the releases in its `try`
/// block and catch clause, when the engine shows that this gives the client
/// back on every path and never twice. A client checked out inside the
/// `try` block is declared before the statement, so that `finally` sees
/// it, and released there only `if` it was checked out. Unsafe: it moves
/// the release past code that ran after it, and a `let` without the
/// checkout's type may need one written.
fn finally_fix(flow: &FnFlow, handle: HandleId, text: &str) -> Option<Fix> {
    let client = &flow.handles[handle];
    if client.pool || !is_identifier(&client.name) {
        return None;
    }
    let mut acquires = flow.events_of(handle, EventKind::Acquire);
    let acquire = acquires.next()?.span;
    let passed_on = flow
        .events_of(handle, EventKind::Escape)
        .chain(flow.events_of(handle, EventKind::HandedOff))
        .next()
        .is_some();
    if acquires.next().is_some() || passed_on {
        return None;
    }
    // The statement that checks it out, and the `try` statement that
    // holds it or comes right after it.
    let checkout = flow
        .declarations
        .iter()
        .map(|d| d.span)
        .chain(flow.statements.iter().copied())
        .find(|&statement| contains(statement, acquire))?;
    let (layout, inside) = flow.tries.iter().find_map(|layout| {
        if layout.statements.contains(&checkout) {
            Some((layout, true))
        } else {
            (layout.previous == Some(checkout)).then_some((layout, false))
        }
    })?;
    let in_clauses = |span: Span| {
        contains(layout.block, span)
            || layout
                .catch
                .as_ref()
                .is_some_and(|c| contains(c.body, span))
    };
    let mut releases: Vec<Span> = Vec::new();
    for release in flow.events_of(handle, EventKind::Release) {
        let statement = flow
            .statements
            .iter()
            .copied()
            .filter(|&s| contains(s, release.span))
            .min_by_key(|s| s.end - s.start)?;
        let only_releases = flow
            .blocks
            .iter()
            .flat_map(|b| &b.events)
            .filter(|e| contains(statement, e.span))
            .all(|e| e.handle == handle && matches!(e.kind, EventKind::Release | EventKind::Use));
        if !in_clauses(statement) || !only_releases {
            return None;
        }
        if !releases.contains(&statement) {
            releases.push(statement);
        }
    }
    let release = slice(text, *releases.first()?)?.trim().to_string();
    if release.contains('\n') || !release_in_finally_suffices(flow, handle, layout, &releases) {
        return None;
    }
    let indent = Indent::of(text, layout)?;
    let mut edits = Vec::new();
    if inside && let Scope::Inside(declaration) = scope_of(flow, text, &client.name, layout)? {
        edits.extend(hoisting(text, declaration, layout, &indent)?);
    }
    for &statement in &releases {
        edits.push(removal(text, statement)?);
    }
    let mut lines = vec![release];
    if inside {
        lines = guarded(&client.name, lines, &indent);
    }
    edits.push(into_finally(text, layout, &indent, &lines)?);
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: "Release in `finally`".into(),
        edits,
    })
}

fn help() -> String {
    "release the client in a `finally` block so that every path gives it back".into()
}
