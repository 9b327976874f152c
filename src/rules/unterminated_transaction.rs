//! TX005 unterminated-transaction: a transaction reaches a success exit
//! with neither COMMIT nor ROLLBACK. A Rust transaction object dropped there
//! is silently rolled back; a raw `BEGIN` leaves the connection inside it.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::{Applicability, Edit, Fix, line_before};
use crate::flow::state::{ExitFact, Facts, Holding, TxState};
use crate::flow::{
    BlockId, ErrorModel, Event, EventKind, ExitHow, ExitKind, FnFlow, Handle, HandleId,
};
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

fn check(flow: &FnFlow, facts: &Facts, text: &str, out: &mut Vec<Diagnostic>) {
    for (handle_id, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle_id];
        // A pool holds no transaction; TX004 reports statements sent to one.
        // Untracked handles (most places) have no exits: nothing to scan.
        // A transaction begun for the object is its caller's to end.
        if handle_facts.truncated
            || handle.pool
            || handle.begun_for_object
            || handle_facts.exits.is_empty()
        {
            continue;
        }
        let mut open: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| leaves_open(flow, handle_id, exit))
            .collect();
        open.sort_by_key(|exit| (exit.begun_at, exit.how == ExitHow::EndOfBody, exit.at));
        let every_exit = open.clone();
        open.dedup_by_key(|exit| exit.begun_at);
        for exit in open {
            if let Some(begun_at) = exit.begun_at {
                let mut diagnostic = report(flow, handle, begun_at, exit);
                let exits = every_exit
                    .iter()
                    .copied()
                    .filter(|e| e.begun_at == exit.begun_at);
                diagnostic.fix = commit_fix(flow, handle, exits, text);
                out.push(diagnostic);
            }
        }
        // A commit after a statement whose failure was discarded or
        // carried past rolls back on PostgreSQL, and the function still
        // succeeds.
        let mut aborted: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            .filter(|exit| exit.exit == ExitKind::Normal)
            .filter(|exit| exit.witness.commit_after_abort.is_some())
            .collect();
        aborted.sort_by_key(|exit| (exit.witness.commit_after_abort, exit.at));
        aborted.dedup_by_key(|exit| exit.witness.commit_after_abort);
        for exit in aborted {
            if let (Some(begun_at), Some((failed, commit))) =
                (exit.begun_at, exit.witness.commit_after_abort)
            {
                out.push(report_aborted_commit(
                    flow, handle, begun_at, failed, commit,
                ));
            }
        }
    }
}

fn report_aborted_commit(
    flow: &FnFlow,
    handle: &Handle,
    begun_at: Span,
    failed: Span,
    commit: Span,
) -> Diagnostic {
    let name = &handle.name;
    let mut diagnostic = RULE.diagnostic(
        flow,
        format!(
            "the commit of `{name}` rolls back its work when a statement before it fails: PostgreSQL aborts the transaction, and the function carries on past that failure"
        ),
    );
    diagnostic.span = begun_at;
    diagnostic.labels = vec![
        Label {
            message: "transaction begins here".into(),
            span: begun_at,
        },
        Label {
            message: "if this fails, the transaction is aborted and the function carries on".into(),
            span: failed,
        },
        Label {
            message: "this commit then rolls back, and the function still succeeds".into(),
            span: commit,
        },
    ];
    diagnostic.help = "return the statement's error, or run it inside a savepoint (`SAVEPOINT` .. `ROLLBACK TO SAVEPOINT`) so that its failure leaves the transaction usable".into();
    diagnostic
}

/// Committing a dropped transaction object (Rust) before each exit that
/// drops it, when every such exit visibly succeeds (`Ok(..)`, see
/// `FnFlow::visible_successes`): the language's commit statement (see
/// `Handle::commit_statement`) on a line of its own above the exit, or
/// inline after a `{` or `;`, or braced with the exit after a match arm's
/// `=>`. Unsafe: the caller may have meant the work to be discarded, and
/// `?` needs the driver's error to convert into the function's.
fn commit_fix<'e>(
    flow: &FnFlow,
    handle: &Handle,
    exits: impl Iterator<Item = &'e ExitFact>,
    text: &str,
) -> Option<Fix> {
    let statement = handle.commit_statement.as_deref()?;
    let mut edits = Vec::new();
    let mut seen = Vec::new();
    for exit in exits {
        if exit.witness.commit_discarded_at.is_some() || !flow.visible_successes.contains(&exit.at)
        {
            return None;
        }
        if seen.contains(&exit.at) {
            continue;
        }
        seen.push(exit.at);
        edits.extend(commit_before(text, exit.at, statement)?);
    }
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: "Commit before returning `Ok`".into(),
        edits,
    })
}

/// The edits that put `statement` before the exit expression at `exit`.
fn commit_before(text: &str, exit: Span, statement: &str) -> Option<Vec<Edit>> {
    let (_, lead) = line_before(text, exit.start)?;
    let before = lead.trim_end();
    if before.is_empty() {
        return Some(vec![Edit::insert(
            exit.start,
            format!("{statement}\n{lead}"),
        )]);
    }
    if before.ends_with('{') || before.ends_with(';') {
        return Some(vec![Edit::insert(exit.start, format!("{statement} "))]);
    }
    if before.ends_with("=>") {
        return Some(vec![
            Edit::insert(exit.start, format!("{{ {statement} ")),
            Edit::insert(exit.end, " }"),
        ]);
    }
    None
}

/// Whether a success exit leaves the transaction on `handle` open in a
/// way TX005 reports.
pub(super) fn leaves_open(flow: &FnFlow, handle_id: HandleId, exit: &ExitFact) -> bool {
    let handle = &flow.handles[handle_id];
    exit.exit == ExitKind::Normal
        && exit.tx
            == (TxState::Open {
                errored: false,
                lent: false,
            })
        // A raw BEGIN on a connection that is not this function's (a
        // parameter) may be committed by its caller, as split begin/commit
        // helpers do; unless this function ends the transaction itself
        // somewhere, which shows it owns it, or began it as an object kept
        // in a local, which no caller can reach. A client it stored outside
        // (`this.client`, a unit of work) or returned carries its
        // transaction with it.
        && (handle.rolls_back_on_drop
            || matches!(exit.holding, Holding::Acquired | Holding::Released)
            || (exit.holding != Holding::Escaped
                && (handle.object_begun_here || ends_transaction_somewhere(flow, handle_id))))
        // A transaction object dropped on a path that wrote nothing loses
        // nothing: it is how read-only and lock-only transactions end, and
        // how a write that matched no row is given up. A raw BEGIN left open
        // poisons the connection whatever it did.
        && (!handle.rolls_back_on_drop || exit.written_at.is_some())
        // One set to commit when dropped is committed by the drop, unless
        // its commit already failed (`let _ = trans.finish()`).
        && !(handle.rolls_back_on_drop
            && exit.drop_commits
            && exit.witness.commit_discarded_at.is_none())
        // A commit whose failure an iteration of an endless loop ignores
        // (`let _ = tx.commit().await` in a job that runs every minute) is
        // not the function succeeding as if it were saved: the next round
        // tries again. A loop the function returns from afterwards (one
        // round per item) reports success for work it lost.
        && !(matches!(exit.how, ExitHow::LeavesScope | ExitHow::Shadowed)
            && exit.witness.commit_discarded_at.is_some()
            && !returns_after(flow, handle_id, exit.at))
}

/// Whether the function can return normally after the drop of `handle`
/// at `at`.
fn returns_after(flow: &FnFlow, handle: HandleId, at: Span) -> bool {
    let dropped = flow.blocks.iter().position(|block| {
        block.events.iter().any(|e| {
            e.handle == handle
                && matches!(e.kind, EventKind::Dropped | EventKind::Shadowed)
                && e.span == at
        })
    });
    flow.reaches(dropped, |id| id == flow.normal_exit)
}

/// Whether the function ends, on some path after a begin of its own, a
/// transaction on `handle`. An end no begin leads to ends the caller's,
/// not its own: a migration that commits its runner's transaction, works
/// outside it and begins a new one for the runner to commit, or an
/// adapter that maps `BEGIN`, `COMMIT` and `ROLLBACK` to its driver's
/// calls in separate branches, one per call.
fn ends_transaction_somewhere(flow: &FnFlow, handle: HandleId) -> bool {
    let ends = |event: &Event| {
        event.handle == handle && matches!(event.kind, EventKind::Commit | EventKind::Rollback)
    };
    let mut after_begins: Vec<BlockId> = Vec::new();
    for block in &flow.blocks {
        let begin = block
            .events
            .iter()
            .position(|e| e.handle == handle && e.kind == EventKind::Begin);
        if let Some(begin) = begin {
            if block.events[begin + 1..].iter().any(ends) {
                return true;
            }
            after_begins.extend(block.edges.iter().map(|edge| edge.to));
        }
    }
    flow.reaches(after_begins, |id| flow.blocks[id].events.iter().any(ends))
}

fn report(flow: &FnFlow, handle: &Handle, begun_at: Span, exit: &ExitFact) -> Diagnostic {
    let name = &handle.name;
    let discarded = exit.witness.commit_discarded_at;
    let message = if discarded.is_some() {
        format!(
            "the result of committing `{name}` is discarded: when the commit fails, its work is rolled back and the function still succeeds"
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
        ExitHow::LeavesScope | ExitHow::Shadowed if discarded.is_some() => {
            "and the work goes on here even when it failed"
        }
        _ if discarded.is_some() => "and succeeds here even when it failed",
        ExitHow::EndOfBody => "the function ends here with the transaction open",
        ExitHow::LeavesScope => "goes out of scope here without `commit()`",
        ExitHow::Shadowed => "is hidden here by a new `let` of its name: nothing can commit it",
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
        (ErrorModel::ResultReturns, true) if exit.how == ExitHow::Shadowed => {
            "call `commit()` before binding its name again (or `rollback()` when the work must be discarded)"
        }
        (ErrorModel::ResultReturns, true) if exit.how == ExitHow::LeavesScope => {
            "call `commit()` before it goes out of scope (or `rollback()` when the work must be discarded)"
        }
        (ErrorModel::ResultReturns, true) => {
            "call `commit()` before returning `Ok` (or `rollback()` when the work must be discarded)"
        }
        _ => "run `COMMIT` (or `ROLLBACK`) before every return, or use a transaction helper",
    }
    .into();
    diagnostic
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed(text: &str, exit: &str) -> Option<String> {
        let at = text.find(exit).expect("exit in text") as u32;
        let edits = commit_before(text, Span::new(at, at + exit.len() as u32), "tx.commit()?;")?;
        let fix = Fix {
            applicability: Applicability::Unsafe,
            message: String::new(),
            edits,
        };
        Some(crate::fix::apply(text, [&fix]).0)
    }

    #[test]
    fn the_commit_goes_where_the_exit_is_written() {
        assert_eq!(
            fixed(
                "    if done {\n        return Ok(0);\n    }",
                "return Ok(0)"
            )
            .as_deref(),
            Some("    if done {\n        tx.commit()?;\n        return Ok(0);\n    }")
        );
        assert_eq!(
            fixed("if done { return Ok(0) }", "return Ok(0)").as_deref(),
            Some("if done { tx.commit()?; return Ok(0) }")
        );
        assert_eq!(
            fixed("None => return Ok(None),", "return Ok(None)").as_deref(),
            Some("None => { tx.commit()?; return Ok(None) },")
        );
        assert_eq!(fixed("let x = return Ok(1);", "return Ok(1)"), None);
    }
}
