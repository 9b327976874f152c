//! TX007 floating-transaction-statement: BEGIN/COMMIT/ROLLBACK called
//! without `await` (or `return`, or `.then`), so the code after it runs
//! before it finishes and its failure is an unhandled rejection.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::{Applicability, Edit, Fix};
use crate::flow::state::Facts;
use crate::flow::{EventKind, FnFlow};

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
        let mut diagnostic = RULE.diagnostic(
            flow,
            format!(
                "transaction statement on `{}` is not awaited; what follows runs before it finishes",
                flow.handles[event.handle].name
            ),
        );
        diagnostic.span = event.span;
        diagnostic.labels = vec![Label {
            message: "its promise is dropped here".into(),
            span: event.span,
        }];
        diagnostic.help = "`await` the statement (or return its promise)".into();
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
}
