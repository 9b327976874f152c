//! TX001 missing-rollback: a transaction can reach an error exit (an
//! exception leaving the function, a catch clause that returns or carries
//! on, Rust's `?` or `return Err`) while still open.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::{ExitFact, Facts, TxState};
use crate::flow::{ErrorModel, ExitHow, ExitKind, FnFlow, Handle};
use crate::source::Span;

pub(super) const RULE: Rule = Rule {
    code: "TX001",
    name: "missing-rollback",
    severity: Severity::Error,
    summary: "a begun transaction can reach an error exit without ROLLBACK",
    doc: include_str!("../../rules/TX001.md"),
    check: Some(check),
    shown_in_tests: false,
};

fn check(flow: &FnFlow, facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    for (handle, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle];
        // Dropping a transaction object rolls it back: error exits are safe.
        // A pool holds no transaction; TX004 reports statements sent to one.
        if handle_facts.truncated || handle.rolls_back_on_drop || handle.pool {
            continue;
        }
        let mut bad: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| !(flow.errors_end_run && exit.exit == ExitKind::Error))
            .filter(|exit| match exit.tx {
                TxState::Open { errored, .. } => errored || exit.exit == ExitKind::Error,
                _ => false,
            })
            .collect();
        // One report per BEGIN; the path through a catch clause explains
        // best, and one that leaves it normally better than one that blames
        // a call in it.
        bad.sort_by_key(|exit| {
            (
                exit.begun_at,
                exit.witness.caught_by.is_none(),
                exit.how == ExitHow::Exception,
                exit.at,
            )
        });
        bad.dedup_by_key(|exit| exit.begun_at);
        for exit in bad {
            if let Some(begun_at) = exit.begun_at {
                out.push(report(flow, handle, begun_at, exit));
            }
        }
    }
}

fn report(flow: &FnFlow, handle: &Handle, begun_at: Span, exit: &ExitFact) -> Diagnostic {
    let name = &handle.name;
    let caught = exit.witness.caught_by.is_some();
    let results = flow.error_model == ErrorModel::ResultReturns;
    let when = match (exit.how, caught) {
        (_, true) => "the catch clause is taken",
        (ExitHow::Exception, false) if results => "`?` returns an error",
        (ExitHow::Return, false) if exit.exit == ExitKind::Error => "the function returns an error",
        (_, false) => "an error leaves the function",
    };
    let mut message = format!("transaction begun on `{name}` is not rolled back when {when}");
    if handle.returns_to_pool_on_drop {
        message.push_str("; the connection goes back to the pool inside the open transaction");
    }
    let mut diagnostic = RULE.diagnostic(flow, message);
    diagnostic.span = begun_at;
    let mut labels = vec![Label {
        message: "transaction begins here".into(),
        span: begun_at,
    }];
    let raised = exit.witness.raised_after_begin;
    if let Some(raised) = raised.filter(|&r| r != exit.at) {
        let message = if results {
            // A `?`, or the `Err(..)` arm or `is_err()` test that handles one.
            "an error can come from here"
        } else {
            "this call can throw"
        };
        labels.push(Label {
            message: message.into(),
            span: raised,
        });
    }
    let exit_label = match (exit.how, caught) {
        (ExitHow::Return, true) => "the catch clause returns here without ROLLBACK",
        (ExitHow::Return, false) if exit.exit == ExitKind::Error => {
            "returns an error here without ROLLBACK"
        }
        (ExitHow::Return, false) => "returns here without ROLLBACK",
        (ExitHow::EndOfBody, _) => "the function ends here with the transaction open",
        (ExitHow::Exception, _) if results => {
            "if this fails, the error is returned without ROLLBACK"
        }
        (ExitHow::Exception, _) if raised == Some(exit.at) => {
            "if this call throws, the transaction is left open"
        }
        (ExitHow::Exception, _) => "the error leaves the function here without ROLLBACK",
    };
    labels.push(Label {
        message: exit_label.into(),
        span: exit.at,
    });
    diagnostic.labels = labels;
    diagnostic.help = if results {
        "use a transaction object (`pool.begin()`, `client.transaction()`), which rolls back when dropped, \
         or run `ROLLBACK` before returning the error"
    } else {
        "run `ROLLBACK` in a catch clause before returning or re-throwing (or use a transaction helper)"
    }
    .into();
    diagnostic
}
