//! TX005 unterminated-transaction: a transaction reaches a success exit
//! with neither COMMIT nor ROLLBACK. A Rust transaction object dropped there
//! is silently rolled back; a raw `BEGIN` leaves the connection inside it.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::{ExitFact, Facts, Holding, TxState};
use crate::flow::{ErrorModel, EventKind, ExitHow, ExitKind, FnFlow, Handle, HandleId};
use crate::source::Span;

pub(super) const RULE: Rule = Rule {
    code: "TX005",
    name: "unterminated-transaction",
    severity: Severity::Error,
    summary: "a transaction reaches a success exit with neither COMMIT nor ROLLBACK",
    doc: include_str!("../../rules/TX005.md"),
    check: Some(check),
    shown_in_tests: false,
};

fn check(flow: &FnFlow, facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    for (handle_id, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle_id];
        // A pool holds no transaction; TX004 reports statements sent to one.
        // Untracked handles (most places) have no exits: nothing to scan.
        if handle_facts.truncated || handle.pool || handle_facts.exits.is_empty() {
            continue;
        }
        let ends_somewhere = ends_transaction_somewhere(flow, handle_id);
        let mut open: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| {
                exit.exit == ExitKind::Normal
                    && exit.tx
                        == TxState::Open {
                            errored: false,
                            lent: false,
                        }
            })
            // A raw BEGIN on a connection that is not this function's (a
            // parameter) may be committed by its caller, as split
            // begin/commit helpers do; unless this function ends the
            // transaction itself somewhere, which shows it owns it. A
            // client it stored outside (`this.client`, a unit of work) or
            // returned carries its transaction with it.
            .filter(|exit| {
                handle.rolls_back_on_drop
                    || matches!(exit.holding, Holding::Acquired | Holding::Released)
                    || (ends_somewhere && exit.holding != Holding::Escaped)
            })
            // A transaction object dropped on a path that wrote nothing
            // loses nothing: it is how read-only and lock-only
            // transactions end, and how a write that matched no row is
            // given up. A raw BEGIN left open poisons the connection
            // whatever it did.
            .filter(|exit| !handle.rolls_back_on_drop || exit.written_at.is_some())
            .collect();
        open.sort_by_key(|exit| (exit.begun_at, exit.how == ExitHow::EndOfBody, exit.at));
        open.dedup_by_key(|exit| exit.begun_at);
        for exit in open {
            if let Some(begun_at) = exit.begun_at {
                out.push(report(flow, handle, begun_at, exit));
            }
        }
    }
}

/// Whether the function ends, somewhere after a begin of its own, a
/// transaction on `handle`. An end before any begin (a migration that
/// commits its runner's transaction, works outside it and begins a new
/// one for the runner to commit) ends the caller's, not its own.
fn ends_transaction_somewhere(flow: &FnFlow, handle: HandleId) -> bool {
    let Some(first_begin) = flow
        .events_of(handle, EventKind::Begin)
        .map(|e| e.span.start)
        .min()
    else {
        return false;
    };
    flow.events_of(handle, EventKind::Commit)
        .chain(flow.events_of(handle, EventKind::Rollback))
        .any(|end| end.span.start > first_begin)
}

fn report(flow: &FnFlow, handle: &Handle, begun_at: Span, exit: &ExitFact) -> Diagnostic {
    let name = &handle.name;
    let discarded = exit.witness.commit_discarded_at;
    let message = if discarded.is_some() {
        format!(
            "the result of `commit()` on `{name}` is discarded: when the commit fails, its work is rolled back and the function still succeeds"
        )
    } else if handle.rolls_back_on_drop {
        format!(
            "transaction `{name}` is dropped without `commit()` on a success path; its work is silently rolled back"
        )
    } else {
        format!(
            "transaction begun on `{name}` is neither committed nor rolled back before the function returns"
        )
    };
    let mut diagnostic = RULE.diagnostic(flow, message);
    diagnostic.span = begun_at;
    let exit_label = match exit.how {
        _ if discarded.is_some() => "and succeeds here even when it failed",
        ExitHow::EndOfBody => "the function ends here with the transaction open",
        _ if handle.rolls_back_on_drop => "returns here without `commit()`",
        _ => "returns here without COMMIT",
    };
    let mut labels = vec![Label {
        message: "transaction begins here".into(),
        span: begun_at,
    }];
    if let Some(written_at) = exit.written_at.filter(|_| handle.rolls_back_on_drop) {
        labels.push(Label {
            message: "this may write".into(),
            span: written_at,
        });
    }
    if let Some(commit) = discarded {
        labels.push(Label {
            message: "this commit's error is discarded".into(),
            span: commit,
        });
    }
    labels.push(Label {
        message: exit_label.into(),
        span: exit.at,
    });
    diagnostic.labels = labels;
    diagnostic.help = match (flow.error_model, handle.rolls_back_on_drop) {
        _ if discarded.is_some() => {
            "return the commit's error (`tx.commit().await?`), or handle it before returning `Ok`"
        }
        (ErrorModel::ResultReturns, true) => {
            "call `commit()` before returning `Ok` (or `rollback()` when the work must be discarded)"
        }
        _ => "run `COMMIT` (or `ROLLBACK`) before every return, or use a transaction helper",
    }
    .into();
    diagnostic
}
