//! TX001 missing-rollback: a transaction can reach an error exit (an
//! exception leaving the function, a catch clause that returns or carries
//! on) while still open.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::{ExitFact, Facts, TxState};
use crate::flow::{ExitHow, ExitKind, FnFlow};

pub(super) const RULE: Rule = Rule {
    code: "TX001",
    name: "missing-rollback",
    severity: Severity::Error,
    summary: "a begun transaction can reach an error exit without ROLLBACK",
    doc: include_str!("../../rules/TX001.md"),
    check: Some(check),
};

fn check(flow: &FnFlow, facts: &Facts, out: &mut Vec<Diagnostic>) {
    for (handle, handle_facts) in facts.handles.iter().enumerate() {
        if handle_facts.truncated {
            continue;
        }
        let mut bad: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| !(flow.top_level && exit.exit == ExitKind::Error))
            .filter(|exit| match exit.tx {
                TxState::Open { errored } => errored || exit.exit == ExitKind::Error,
                _ => false,
            })
            .collect();
        // One report per BEGIN; the path through a catch clause explains best.
        bad.sort_by_key(|exit| (exit.begun_at, exit.witness.caught_by.is_none(), exit.at));
        bad.dedup_by_key(|exit| exit.begun_at);
        let name = &flow.handles[handle].name;
        for exit in bad {
            let Some(begun_at) = exit.begun_at else {
                continue;
            };
            out.push(report(flow, name, begun_at, exit));
        }
    }
}

fn report(flow: &FnFlow, name: &str, begun_at: crate::source::Span, exit: &ExitFact) -> Diagnostic {
    let caught = exit.witness.caught_by.is_some();
    let when = match (exit.how, caught) {
        (ExitHow::Return, false) if exit.exit == ExitKind::Error => "the function returns an error",
        (_, true) => "the catch clause is taken",
        (_, false) => "an error leaves the function",
    };
    let mut diagnostic = RULE.diagnostic(
        flow,
        format!("transaction begun on `{name}` is not rolled back when {when}"),
    );
    diagnostic.span = begun_at;
    let mut labels = vec![Label {
        message: "transaction begins here".into(),
        span: begun_at,
    }];
    let raised = exit.witness.raised_after_begin;
    if let Some(raised) = raised.filter(|&r| r != exit.at) {
        labels.push(Label {
            message: "this call can throw".into(),
            span: raised,
        });
    }
    let exit_label = match (exit.how, caught) {
        (ExitHow::Return, true) => "the catch clause returns here without ROLLBACK".to_string(),
        (ExitHow::Return, false) => "returns here without ROLLBACK".to_string(),
        (ExitHow::EndOfBody, _) => "the function ends here with the transaction open".to_string(),
        (ExitHow::Exception, _) if raised == Some(exit.at) => {
            "if this call throws, the transaction is left open".to_string()
        }
        (ExitHow::Exception, _) => {
            "the error leaves the function here without ROLLBACK".to_string()
        }
    };
    labels.push(Label {
        message: exit_label,
        span: exit.at,
    });
    diagnostic.labels = labels;
    diagnostic.help =
        "run `ROLLBACK` in a catch clause before returning or re-throwing (or use a transaction helper)"
            .into();
    diagnostic
}
