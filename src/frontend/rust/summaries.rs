//! What a file's own functions do for their callers, read after the file
//! is lowered: which begin or end a transaction on a connection passed to
//! them, and which only read through a transaction lent to them.

use super::*;
use crate::flow::state::TxState;

/// A transaction lent to a function of this file whose body writes nothing
/// (no statement that writes, nothing lent on to a function that may) is
/// only read through: the write its call was taken for did not happen.
/// Functions are known by their last name (`Db::lookup` as `lookup`), when
/// that name is the file's only one. Returns, per flow, whether it writes
/// nothing.
pub(super) fn drop_reads_of_own_functions(
    flows: &mut [FnFlow],
    lends: &[Vec<(String, Span)>],
    params_passed_to: &[Vec<String>],
    quiet: &[String],
) -> Vec<bool> {
    let last_name = |name: &str| name.rsplit("::").next().unwrap_or(name).to_string();
    // By last name: a flow's index (`usize::MAX` for a function not
    // lowered, which names no statement at all), or `None` when the name
    // is not the file's only one.
    let mut by_name: HashMap<String, Option<usize>> = HashMap::new();
    let named = flows
        .iter()
        .enumerate()
        .map(|(index, flow)| (&flow.name, index))
        .chain(quiet.iter().map(|name| (name, usize::MAX)));
    for (name, index) in named {
        by_name
            .entry(last_name(name))
            .and_modify(|only| *only = None)
            .or_insert(Some(index));
    }
    let direct_writes: Vec<bool> = flows
        .iter()
        .zip(lends)
        .map(|(flow, lent)| {
            flow.blocks
                .iter()
                .flat_map(|b| &b.events)
                .any(|e| e.kind == EventKind::Write && !lent.iter().any(|(_, at)| *at == e.span))
        })
        .collect();
    // Start from every function without a write of its own, and drop those
    // that lend a transaction, or hand a parameter, to one not in the set
    // (a call that may write: `item.insert(&mut *conn)`), until nothing
    // changes.
    let mut reads_only: Vec<bool> = direct_writes.iter().map(|w| !w).collect();
    loop {
        let mut changed = false;
        for index in 0..flows.len() {
            let lent = lends[index].iter().map(|(callee, _)| callee);
            if reads_only[index]
                && lent
                    .chain(&params_passed_to[index])
                    .any(|callee| !reads(&by_name, &reads_only, callee))
            {
                reads_only[index] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for (flow, lent) in flows.iter_mut().zip(lends) {
        let unwritten: Vec<Span> = lent
            .iter()
            .filter(|(callee, _)| reads(&by_name, &reads_only, callee))
            .map(|(_, at)| *at)
            .collect();
        if unwritten.is_empty() {
            continue;
        }
        for block in &mut flow.blocks {
            block.events.retain(|e| {
                !(matches!(e.kind, EventKind::Write | EventKind::WriteBeside)
                    && unwritten.contains(&e.span))
            });
        }
    }
    reads_only
}

/// The functions that other modules may take to only read through a
/// transaction lent to them. Stricter than within the file: the function
/// is lowered (a function that names nothing of the vocabulary may still
/// hand its connection to one that writes), takes a parameter a
/// transaction can be lent through, writes nothing, and hands its
/// parameters only to statements that read or to such functions of the
/// file.
pub(super) fn readers_for_callers(collector: &Collector, reads_only: &[bool]) -> Vec<String> {
    let last_name = |name: &str| name.rsplit("::").next().unwrap_or(name).to_string();
    let mut readers: Vec<bool> = collector
        .flows
        .iter()
        .zip(reads_only)
        .map(|(flow, &reads)| reads && collector.lendable.contains(&flow.name))
        .collect();
    let mut by_name: HashMap<String, Option<usize>> = HashMap::new();
    let named = collector.flows.iter().map(|flow| &flow.name);
    for (index, name) in named.chain(&collector.quiet).enumerate() {
        by_name
            .entry(last_name(name))
            .and_modify(|only| *only = None)
            .or_insert(Some(index));
    }
    loop {
        let mut changed = false;
        for index in 0..readers.len() {
            let hands_to_writer = collector.params_passed_to[index].iter().any(|callee| {
                !matches!(by_name.get(callee.as_str()), Some(Some(other)) if readers.get(*other) == Some(&true))
            });
            if readers[index] && hands_to_writer {
                readers[index] = false;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    collector
        .flows
        .iter()
        .zip(readers)
        .filter(|(_, reader)| *reader)
        .map(|(flow, _)| flow.name.clone())
        .collect()
}

/// Whether `callee`, by last name, is one function of the file that writes
/// nothing.
pub(super) fn reads(
    by_name: &HashMap<String, Option<usize>>,
    reads_only: &[bool],
    callee: &str,
) -> bool {
    match by_name.get(callee) {
        Some(Some(usize::MAX)) => true,
        Some(Some(index)) => reads_only[*index],
        _ => false,
    }
}

/// The functions of a file, by last name, that begin a transaction on a
/// connection passed to them and leave it open on every normal return,
/// that end the transaction of one on every way out (see `summarize`), or
/// that report whether their write through one changed a row
/// (`reports_write`, per flow). A name the file uses twice is left out.
pub(super) fn transaction_helpers(
    flows: &[FnFlow],
    reports_write: &[Option<usize>],
    taken_transactions: &[Vec<(usize, String)>],
) -> HashMap<String, TransactionHelper> {
    let mut helpers: HashMap<String, Option<TransactionHelper>> = HashMap::new();
    for ((flow, reported), taken) in flows.iter().zip(reports_write).zip(taken_transactions) {
        let name = flow
            .name
            .rsplit("::")
            .next()
            .unwrap_or(&flow.name)
            .to_string();
        let on_param = |kinds: &[EventKind]| {
            flow.params.iter().flatten().any(|param| {
                flow.handles
                    .iter()
                    .position(|h| &h.name == param)
                    .is_some_and(|handle| {
                        kinds
                            .iter()
                            .any(|&kind| flow.events_of(handle, kind).next().is_some())
                    })
            })
        };
        let mut helper = None;
        if on_param(&[EventKind::Begin]) {
            let facts = crate::flow::state::analyze(flow);
            helper = flow
                .params
                .iter()
                .enumerate()
                .find_map(|(position, param)| {
                    every_return_leaves(flow, &facts, param.as_deref()?, |tx| {
                        matches!(tx, TxState::Open { .. })
                    })
                    .then_some(TransactionHelper::Begins(position))
                });
        } else if on_param(&[EventKind::Commit, EventKind::Rollback]) {
            helper = crate::flow::summary::summarize(flow)
                .ends
                .first()
                .map(|&position| TransactionHelper::Ends(position));
        } else if let Some(position) = reported {
            helper = Some(TransactionHelper::ReportsWrite(*position));
        } else if let Some(position) = ends_taken_transaction(flow, taken) {
            helper = Some(TransactionHelper::Ends(position));
        }
        let Some(helper) = helper else { continue };
        helpers
            .entry(name)
            .and_modify(|known| *known = None)
            .or_insert(Some(helper));
    }
    // A name that another function of the file also has is ambiguous.
    let mut uses: HashMap<&str, usize> = HashMap::new();
    for flow in flows {
        *uses
            .entry(flow.name.rsplit("::").next().unwrap_or(&flow.name))
            .or_default() += 1;
    }
    helpers
        .into_iter()
        .filter(|(name, _)| uses.get(name.as_str()) == Some(&1))
        .filter_map(|(name, helper)| Some((name, helper?)))
        .collect()
}

/// The position of a transaction the function takes by value and ends on
/// every normal return (`async fn commit(&self, tx: Transaction<'_,
/// MySql>)` that commits it and logs a failure): its error exits drop it,
/// which rolls it back.
fn ends_taken_transaction(flow: &FnFlow, taken: &[(usize, String)]) -> Option<usize> {
    if taken.is_empty() {
        return None;
    }
    let facts = crate::flow::state::analyze(flow);
    taken.iter().find_map(|(position, name)| {
        every_return_leaves(flow, &facts, name, |tx| *tx == TxState::Ended).then_some(*position)
    })
}

/// Whether the function returns normally, and every normal return leaves
/// the transaction of its handle `name` in a state `leaves` accepts (all
/// paths followed).
fn every_return_leaves(
    flow: &FnFlow,
    facts: &crate::flow::state::Facts,
    name: &str,
    leaves: impl Fn(&TxState) -> bool,
) -> bool {
    let Some(handle) = flow.handles.iter().position(|h| h.name == name) else {
        return false;
    };
    let exits = &facts.handles[handle];
    let mut normal = exits
        .exits
        .iter()
        .filter(|exit| exit.exit == ExitKind::Normal)
        .peekable();
    !exits.truncated && normal.peek().is_some() && normal.all(|exit| leaves(&exit.tx))
}

/// A function that lends its transaction to the caller's callback and
/// commits it nowhere (`with_read_transaction(|tx| ..)`) offers a scope
/// that always rolls back: a write the callback makes is meant to be
/// undone, so lending the transaction to it is no write of this function.
pub(super) fn callbacks_read_uncommitted(flow: &mut FnFlow, callback_writes: &[Span]) {
    if callback_writes.is_empty() {
        return;
    }
    let events = || flow.blocks.iter().flat_map(|block| &block.events);
    let lent_to_callback: Vec<HandleId> = events()
        .filter(|e| e.kind == EventKind::Write && callback_writes.contains(&e.span))
        .map(|e| e.handle)
        .collect();
    let uncommitted: Vec<HandleId> = lent_to_callback
        .into_iter()
        .filter(|&handle| !events().any(|e| e.kind == EventKind::Commit && e.handle == handle))
        .collect();
    for block in &mut flow.blocks {
        block.events.retain(|e| {
            !(e.kind == EventKind::Write
                && uncommitted.contains(&e.handle)
                && callback_writes.contains(&e.span))
        });
    }
}
