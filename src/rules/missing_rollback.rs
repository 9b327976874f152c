//! TX001 missing-rollback: a transaction can reach an error exit (an
//! exception leaving the function, a catch clause that returns or carries
//! on, Rust's `?` or `return Err`) while still open.

use super::Rule;
use super::unterminated_transaction::leaves_open;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::try_clauses::{
    Indent, Scope, contains, guarded, hoisting, into_catch, quote_in, rollback_lines, scope_of,
    semicolon_after, slice,
};
use crate::fix::{Applicability, Fix};
use crate::flow::state::{ExitFact, Facts, rollback_in_catch_suffices};
use crate::flow::{ErrorModel, EventKind, ExitHow, ExitKind, FnFlow, Handle, HandleId};
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

fn check(flow: &FnFlow, facts: &Facts, text: &str, out: &mut Vec<Diagnostic>) {
    for (handle_id, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle_id];
        // A pool holds no transaction; TX004 reports statements sent to one.
        // A transaction begun for the object is its caller's to end.
        if handle_facts.truncated || handle.pool || handle.begun_for_object {
            continue;
        }
        let mut bad: Vec<&ExitFact> = handle_facts
            .exits
            .iter()
            // Dropping a transaction object rolls it back: its error exits
            // are safe, unless it was set to commit when dropped and has
            // written.
            .filter(|exit| {
                !handle.rolls_back_on_drop || (exit.drop_commits && exit.written_at.is_some())
            })
            .filter(|exit| exit.misses_rollback(flow.errors_end_run))
            .filter(|exit| !thrown_by_open_return(flow, handle_id, exit, &handle_facts.exits))
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
                let mut diagnostic = report(flow, handle, begun_at, exit);
                diagnostic.fix = rollback_fix(flow, handle_id, begun_at, text);
                out.push(diagnostic);
            }
        }
    }
}

/// Whether an error exit is raised by the value of a `return` that leaves
/// with the same transaction open (`return res.status(400).json(..)`
/// between BEGIN and the `try`): TX005 reports that return, and ending the
/// transaction before it, as its fix does, covers the throw as well.
fn thrown_by_open_return(
    flow: &FnFlow,
    handle: HandleId,
    exit: &ExitFact,
    exits: &[ExitFact],
) -> bool {
    let Some(raised) = exit.witness.raised_after_begin else {
        return false;
    };
    exit.how == ExitHow::Exception
        && exits.iter().any(|other| {
            other.how == ExitHow::Return
                && other.begun_at == exit.begun_at
                && leaves_open(flow, handle, other)
                && other.at.start <= raised.start
                && raised.end <= other.at.end
        })
}

/// Rolling back at the top of the catch clause of the innermost `try`
/// statement that holds the begin (or comes right after it), or in a catch
/// clause added that rolls back and re-throws, when the engine shows that
/// every error exit of that begin then passes the rollback. The driver's
/// rollback is written as its begin is (`client.query('ROLLBACK')`), in a
/// `try` of its own, so that its failure never replaces the error being
/// handled nor stops the clause from answering; behind `if (client)` when
/// the client is checked out inside the `try` block. Unsafe: it changes
/// what an error path does.
fn rollback_fix(flow: &FnFlow, handle: HandleId, begun_at: Span, text: &str) -> Option<Fix> {
    let client = &flow.handles[handle];
    let call = client.rollback_call.as_deref()?;
    if !flow.is_async {
        return None;
    }
    let layout = flow
        .tries
        .iter()
        .filter(|layout| {
            contains(layout.block, begun_at)
                || layout.previous.is_some_and(|p| contains(p, begun_at))
        })
        .min_by_key(|layout| layout.span.end - layout.span.start)?;
    // A catch clause that already does something with the transaction
    // (rolls back to a savepoint, records the failure in it) would do it
    // after the rollback, outside any transaction: not a shape to edit.
    let catch_uses_it = layout.catch.as_ref().is_some_and(|catch| {
        flow.blocks.iter().flat_map(|b| &b.events).any(|e| {
            e.handle == handle && e.kind != EventKind::Release && contains(catch.body, e.span)
        })
    });
    if catch_uses_it || !rollback_in_catch_suffices(flow, handle, begun_at, layout) {
        return None;
    }
    let indent = Indent::of(text, layout)?;
    let scope = scope_of(flow, text, &client.name, layout)?;
    let checked_out_inside = flow
        .events_of(handle, EventKind::Acquire)
        .any(|acquire| contains(layout.block, acquire.span));
    let semicolon = semicolon_after(text, begun_at);
    let near = layout.catch.as_ref().map_or(layout.span, |c| c.span);
    let quote = quote_in(&format!("{call}{}", slice(text, near)?));
    let mut lines = rollback_lines(call, semicolon, quote, &indent);
    let mut edits = Vec::new();
    if let Scope::Inside(declaration) = scope {
        edits.extend(hoisting(text, declaration, layout, &indent)?);
    }
    if matches!(scope, Scope::Inside(_)) || checked_out_inside {
        lines = guarded(&client.name, lines, &indent);
    }
    edits.push(into_catch(text, layout, &indent, &lines, semicolon)?);
    Some(Fix {
        applicability: Applicability::Unsafe,
        message: "Roll back in the catch clause".into(),
        edits,
    })
}

fn report(flow: &FnFlow, handle: &Handle, begun_at: Span, exit: &ExitFact) -> Diagnostic {
    let name = &handle.name;
    let caught = exit.witness.caught_by.is_some();
    let results = flow.error_model == ErrorModel::ResultReturns;
    let when = match (exit.how, caught) {
        // Rust: a `?` inside a closure run in place, its error returned.
        (_, true) if results => "the error a `?` gave is returned",
        (_, true) => "the catch clause is taken",
        (ExitHow::Exception, false) if results => "`?` returns an error",
        (ExitHow::Return, false) if exit.exit == ExitKind::Error => "the function returns an error",
        (_, false) => "an error leaves the function",
    };
    let mut message = format!("transaction begun on `{name}` is not rolled back when {when}");
    if exit.drop_commits {
        message = format!(
            "transaction `{name}` commits when dropped: when {when}, the work done so far is committed"
        );
    } else if handle.returns_to_pool_on_drop {
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
    if let Some(released) = exit.witness.released_open_at {
        labels.push(Label {
            message: "the client goes back to the pool here with the transaction open; a ROLLBACK after this no longer reaches it".into(),
            span: released,
        });
    }
    let exit_label = match (exit.how, caught) {
        (ExitHow::Return, true) if results => "returns the error here without ROLLBACK",
        (ExitHow::Return, true) => "the catch clause returns here without ROLLBACK",
        (ExitHow::Return, false) if exit.exit == ExitKind::Error => {
            "returns an error here without ROLLBACK"
        }
        (ExitHow::Return, false) => "returns here without ROLLBACK",
        (ExitHow::EndOfBody, _) => "the function ends here with the transaction open",
        (ExitHow::LeavesScope | ExitHow::Shadowed, _) => {
            "goes out of scope here with the transaction open"
        }
        (ExitHow::Exception, _) if results => {
            "if this fails, the error is returned without ROLLBACK"
        }
        (ExitHow::Exception, _) if raised == Some(exit.at) => {
            "if this call throws, the transaction is left open"
        }
        (ExitHow::Exception, _) => "the error leaves the function here without ROLLBACK",
    };
    let exit_label = match exit.how {
        _ if !exit.drop_commits => exit_label,
        ExitHow::Exception => "if this fails, dropping the transaction commits what came before",
        _ => "returns an error here, and dropping the transaction commits what came before",
    };
    if let Some(written) = exit.written_at.filter(|_| exit.drop_commits) {
        labels.push(Label {
            message: "this write is committed".into(),
            span: written,
        });
    }
    labels.push(Label {
        message: exit_label.into(),
        span: exit.at,
    });
    diagnostic.labels = labels;
    diagnostic.help = if exit.drop_commits {
        "set it to commit when dropped only once its work has succeeded, or call `commit()` there instead"
    } else if results {
        "use a transaction object (`pool.begin()`, `client.transaction()`), which rolls back when dropped, \
         or run `ROLLBACK` before returning the error"
    } else {
        "run `ROLLBACK` in a catch clause before returning or re-throwing (or use a transaction helper)"
    }
    .into();
    diagnostic
}
