//! TX007 floating-transaction-statement: BEGIN/COMMIT/ROLLBACK called
//! without `await` (or `return`, or `.then`), or awaited only inside an
//! `async` callback whose promise its caller drops, so the code after it
//! runs before it finishes and its failure is an unhandled rejection.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::{Applicability, Edit, Fix};
use crate::flow::state::Facts;
use crate::flow::{EventKind, FnFlow};
use crate::source::Span;

pub(super) const RULE: Rule = Rule {
    code: "TX007",
    name: "floating-transaction-statement",
    severity: Severity::Error,
    summary: "BEGIN/COMMIT/ROLLBACK called without awaiting it",
    doc: include_str!("../../rules/TX007.md"),
    check: Some(check),
    shown_in_tests: true,
};

fn check(flow: &FnFlow, _facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    // One pass over the events: a module can name tens of thousands of places.
    let unawaited = flow
        .blocks
        .iter()
        .flat_map(|b| &b.events)
        .filter(|e| e.kind == EventKind::Unawaited);
    for event in unawaited {
        let mut diagnostic = report(
            flow,
            event.span,
            format!(
                "transaction statement on `{}` is not awaited; what follows runs before it finishes",
                flow.handles[event.handle].name
            ),
            "its promise is dropped here".into(),
            "`await` the statement (or return its promise)",
        );
        // In an `async` function the statement can simply be awaited.
        if flow.is_async {
            diagnostic.fix = Some(Fix {
                applicability: Applicability::Safe,
                message: "Add `await`".into(),
                edits: vec![Edit::insert(event.span.start, "await ")],
            });
        }
        out.push(diagnostic);
    }
    // Every transaction statement of an `async` callback whose promise its
    // caller drops runs after the caller has moved on.
    let Some(callee) = &flow.promise_ignored_by else {
        return;
    };
    let mut statements: Vec<_> = flow
        .blocks
        .iter()
        .flat_map(|b| &b.events)
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Begin | EventKind::Commit | EventKind::Rollback
            )
        })
        .collect();
    // One report per handle, at its first statement.
    statements.sort_by_key(|e| (e.handle, e.span));
    statements.dedup_by_key(|e| e.handle);
    for event in statements {
        let statement = match event.kind {
            EventKind::Begin => "BEGIN",
            EventKind::Commit => "COMMIT",
            _ => "ROLLBACK",
        };
        out.push(report(
            flow,
            event.span,
            format!(
                "`{statement}` on `{}` runs in an async callback whose promise `{callee}` drops; the code after `{callee}` goes on before it finishes, and its failure is lost",
                flow.handles[event.handle].name
            ),
            format!("awaited only inside the callback `{callee}` is given"),
            "run the transaction where its promise is awaited: rxjs's `concatMap(async ..)` instead of `tap`, a `for .. of` loop with `await` instead of `forEach`",
        ));
    }
}

/// A TX007 report at `span`, labelled there.
fn report(flow: &FnFlow, span: Span, message: String, label: String, help: &str) -> Diagnostic {
    let mut diagnostic = RULE.diagnostic(flow, message);
    diagnostic.span = span;
    diagnostic.labels = vec![Label {
        message: label,
        span,
    }];
    diagnostic.help = help.into();
    diagnostic
}
