//! TX004 transaction-on-pool: BEGIN/COMMIT/ROLLBACK sent through a pool
//! rather than one checked-out connection; each statement may run on a
//! different connection, so the "transaction" does not hold anything.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::Facts;
use crate::flow::{ErrorModel, Event, EventKind, FnFlow};

pub(super) const RULE: Rule = Rule {
    code: "TX004",
    name: "transaction-on-pool",
    severity: Severity::Error,
    summary: "transaction statements go through a pool, so each may run on a different connection",
    doc: include_str!("../../rules/TX004.md"),
    check: Some(check),
    shown_in_tests: true,
};

fn check(flow: &FnFlow, facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    statements_on_pools(flow, out);
    writes_beside_transactions(flow, facts, out);
}

/// BEGIN, COMMIT and ROLLBACK sent through a pool.
fn statements_on_pools(flow: &FnFlow, out: &mut Vec<Diagnostic>) {
    for (id, handle) in flow.handles.iter().enumerate().filter(|(_, h)| h.pool) {
        let mut statements: Vec<&Event> =
            [EventKind::Begin, EventKind::Commit, EventKind::Rollback]
                .into_iter()
                .flat_map(|kind| flow.events_of(id, kind))
                .collect();
        statements.sort_by_key(|e| e.span);
        statements.dedup_by_key(|e| e.span);
        // One report per function and pool, at its BEGIN when there is one.
        let Some(primary) = statements
            .iter()
            .find(|e| e.kind == EventKind::Begin)
            .or(statements.first())
        else {
            continue;
        };
        let name = &handle.name;
        let mut diagnostic = RULE.diagnostic(
            flow,
            format!("transaction statements are sent through the pool `{name}`; each may run on a different connection"),
        );
        diagnostic.span = primary.span;
        diagnostic.labels = statements
            .iter()
            .map(|statement| {
                let what = match statement.kind {
                    EventKind::Begin => "BEGIN",
                    EventKind::Commit => "COMMIT",
                    _ => "ROLLBACK",
                };
                Label {
                    message: format!("`{what}` goes to whichever connection the pool picks"),
                    span: statement.span,
                }
            })
            .collect();
        diagnostic.help = match flow.error_model {
            ErrorModel::Exceptions => {
                "check out one client (`const client = await pool.connect()`), run the transaction on it, \
                 and release it in `finally`"
            }
            ErrorModel::ResultReturns => "use the pool's transaction object (`pool.begin()`), which holds one connection",
        }
        .into();
        out.push(diagnostic);
    }
}

/// A write sent through the pool a transaction object was begun from
/// (`pool.begin()`), while that transaction is open: it runs on another
/// connection and commits on its own, so it is not undone when the
/// transaction rolls back, and the function holds two connections.
fn writes_beside_transactions(flow: &FnFlow, facts: &Facts, out: &mut Vec<Diagnostic>) {
    // A test holds a transaction while it writes beside it on purpose (to
    // see a lock or an isolation level at work).
    if flow.test_code {
        return;
    }
    for (id, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[id];
        let Some(source) = handle.begun_from else {
            continue;
        };
        let (name, pool) = (&handle.name, &flow.handles[source].name);
        for &write in &handle_facts.writes_beside {
            let mut diagnostic = RULE.diagnostic(
                flow,
                format!("this write goes through `{pool}`, not the open transaction `{name}`"),
            );
            diagnostic.span = write;
            diagnostic.labels = vec![Label {
                message: format!(
                    "runs on another connection and commits on its own; a rollback of `{name}` does not undo it"
                ),
                span: write,
            }];
            diagnostic.help = format!("send it through `{name}`, not `{pool}`");
            out.push(diagnostic);
        }
    }
}
