//! The typestate engine: one forward pass per handle over all paths of a
//! function, to a fixed point (loops), tracking whether the handle is held
//! and whether a transaction is open on it. What reaches each exit becomes a
//! fact that rules turn into diagnostics.

use std::collections::BTreeSet;

use rustc_hash::FxHashSet;

use super::{
    Block, BlockId, CompletionId, Edge, EdgeKind, Event, EventKind, ExitHow, ExitKind, FnFlow,
    Guard, Handle, HandleId, Known, Test, TryLayout,
};
use crate::source::Span;

/// Whether the function holds the handle and owes its release.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Holding {
    /// Not acquired here (a parameter, a value of unknown origin, not yet
    /// assigned): nothing is owed.
    NotOwned,
    /// Acquired lazily and not used yet: no connection is taken, so none is
    /// owed (a TypeORM query runner before `connect()` or its first query).
    Reserved,
    Acquired,
    Released,
    /// Handed to someone else (returned, stored, passed on).
    Escaped,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum TxState {
    None,
    /// Open. `errored` once an exception was raised on this path after the
    /// transaction began: any exit from then on is an error exit for it.
    /// `lent` once the handle was handed to code that may end it (a helper
    /// that commits): a success exit may then have it committed.
    Open {
        errored: bool,
        lent: bool,
    },
    Ended,
    /// The handle escaped while the transaction was open; no longer ours.
    Escaped,
}

/// How a path got where it is, kept for the labels of a diagnostic. Not part
/// of a state's identity: the first path to arrive keeps its witness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Witness {
    /// The first call that threw after the handle was acquired.
    pub raised_after_acquire: Option<Span>,
    /// The first call that threw after the transaction began.
    pub raised_after_begin: Option<Span>,
    /// The most recent catch clause the path went through.
    pub caught_by: Option<Span>,
    /// Where the handle was released on this path.
    pub released_at: Option<Span>,
    /// Where it went back to the pool with its transaction still open.
    pub released_open_at: Option<Span>,
    /// A commit whose failure was discarded on this path.
    pub commit_discarded_at: Option<Span>,
    /// A statement whose failure was discarded after the transaction had
    /// written (see `EventKind::FailureIgnored`), and the commit that came
    /// after it on this path: on PostgreSQL that COMMIT rolls back.
    pub commit_after_abort: Option<(Span, Span)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct StateKey {
    holding: Holding,
    tx: TxState,
    acquired_at: Option<Span>,
    begun_at: Option<Span>,
    /// Writes in the open transaction on this path, sorted.
    writes: Vec<Span>,
    /// The write the last event added to `writes`, when no earlier write
    /// on the path (an earlier pass of a loop) was at its statement:
    /// only such a write is taken back when that statement's failure is
    /// ignored (see `EventKind::FailureIgnored`).
    new_write: Option<Span>,
    /// Where a statement failed after the transaction wrote, aborting it
    /// (see `EventKind::FailureIgnored`); kept past the commit, which it
    /// turned into a rollback.
    aborted_at: Option<Span>,
    /// The transaction object commits when dropped (see
    /// `EventKind::CommitsOnDrop`).
    drop_commits: bool,
    /// The release on this path is the call that threw: it may not have
    /// given the client back, and releasing again is a retry, not a second
    /// release (TypeORM's `await runner.release()` in `try`, then again in
    /// `catch`).
    release_threw: bool,
    /// A statement was sent through the handle after its release, which it
    /// refuses (see `Handle::refuses_after_release`): the path goes on only
    /// by the throw.
    refused: bool,
    /// `finally` blocks entered and not yet left, innermost last.
    pending_finally: Vec<CompletionId>,
    /// What this path knows of the places that branches test, by place.
    known: Vec<(HandleId, Known)>,
}

#[derive(Clone, Debug)]
struct State {
    key: StateKey,
    witness: Witness,
}

/// One way a handle's state reached an exit of the function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ExitFact {
    pub exit: ExitKind,
    pub how: ExitHow,
    /// The `return`, `throw`, throwing call or end of body that left.
    pub at: Span,
    pub holding: Holding,
    pub tx: TxState,
    pub acquired_at: Option<Span>,
    pub begun_at: Option<Span>,
    /// The first statement that may have written in the open transaction
    /// on this path.
    pub written_at: Option<Span>,
    /// Dropping the open transaction commits it (see
    /// `EventKind::CommitsOnDrop`).
    pub drop_commits: bool,
    pub witness: Witness,
}

impl ExitFact {
    /// Whether the transaction is still open when this exit leaves on an
    /// error path (what TX001 reports). An error that ends the run (see
    /// `FnFlow::errors_end_run`) ends the connection with it.
    pub fn misses_rollback(&self, errors_end_run: bool) -> bool {
        if errors_end_run && self.exit == ExitKind::Error {
            return false;
        }
        match self.tx {
            TxState::Open { errored, .. } => errored || self.exit == ExitKind::Error,
            _ => false,
        }
    }
}

/// A handle released a second time on one path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DoubleRelease {
    pub first: Span,
    pub second: Span,
}

/// A held handle was acquired again before being released: the earlier
/// client is lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Overwrite {
    pub acquired_at: Span,
    pub reacquired_at: Span,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct HandleFacts {
    pub exits: Vec<ExitFact>,
    pub overwrites: Vec<Overwrite>,
    pub double_releases: Vec<DoubleRelease>,
    /// Writes sent beside the transaction while it was open (see
    /// `EventKind::WriteBeside`), sorted.
    pub writes_beside: Vec<Span>,
    /// The pass stopped tracking some paths to stay bounded; rules that need
    /// every path should stay silent.
    pub truncated: bool,
}

/// Facts for every handle of a function, indexed by `HandleId`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Facts {
    pub handles: Vec<HandleFacts>,
}

/// Distinct states kept per block before the pass gives up on new ones.
const MAX_STATES_PER_BLOCK: usize = 256;

/// Places whose values are followed along paths, the analysed handle among
/// them; tests of any further places are taken both ways.
const MAX_TESTED_PLACES: usize = 16;

pub(crate) fn analyze(flow: &FnFlow) -> Facts {
    let candidates = places_worth_following(flow);
    let mut tracked = vec![false; flow.handles.len()];
    for event in flow.blocks.iter().flat_map(|b| &b.events) {
        if matches!(event.kind, EventKind::Acquire | EventKind::Begin) {
            tracked[event.handle] = true;
        }
    }
    let handles = tracked
        .iter()
        .enumerate()
        .map(|(handle, &tracked)| {
            if tracked {
                let tested = followed_for(&candidates, handle);
                let extended = extended_places(flow, &tested);
                analyze_handle(flow, handle, &tested, &extended)
            } else {
                HandleFacts::default()
            }
        })
        .collect();
    Facts { handles }
}

/// The facts of one handle, as `analyze` gives them.
pub(crate) fn analyze_one(flow: &FnFlow, handle: HandleId) -> HandleFacts {
    let tested = followed_for(&places_worth_following(flow), handle);
    let extended = extended_places(flow, &tested);
    analyze_handle(flow, handle, &tested, &extended)
}

/// Whether the function, without the statement at `removed` (its release
/// of `handle` and any throw from it), still releases `handle` on every
/// path through that statement, and never twice: another release does its
/// work. A stand-in handle is checked out where the removed release was
/// and given back wherever `handle` is released; it leaks on exactly the
/// paths through the removed release that never release again. A client
/// handed on or returned after it does not count as released. A statement
/// that does more than release `handle` (a helper that also rolls back) is
/// never only a repeat.
pub(crate) fn release_is_repeated(flow: &FnFlow, handle: HandleId, removed: Span) -> bool {
    let inside = |span: Span| removed.start <= span.start && span.end <= removed.end;
    let only_releases = flow
        .blocks
        .iter()
        .flat_map(|block| &block.events)
        .filter(|event| inside(event.span))
        .all(|event| {
            event.handle == handle && matches!(event.kind, EventKind::Release | EventKind::Use)
        });
    if !only_releases {
        return false;
    }
    let mut without = flow.clone();
    let stand_in = without.handles.len();
    without.handles.push(Handle {
        lazy: false,
        ..flow.handles[handle].clone()
    });
    for block in &mut without.blocks {
        let mut events = Vec::with_capacity(block.events.len());
        for event in &block.events {
            let release = event.handle == handle && event.kind == EventKind::Release;
            if release && inside(event.span) {
                events.push(Event {
                    kind: EventKind::Acquire,
                    handle: stand_in,
                    span: event.span,
                });
                continue;
            }
            events.push(event.clone());
            if release {
                events.push(Event {
                    handle: stand_in,
                    ..event.clone()
                });
            }
        }
        block.events = events;
        block
            .edges
            .retain(|edge| !matches!(edge.kind, EdgeKind::Raise { at } if inside(at)));
    }
    let client = analyze_one(&without, handle);
    let released_again = analyze_one(&without, stand_in);
    let leaks = released_again
        .exits
        .iter()
        .any(|exit| matches!(exit.holding, Holding::Acquired | Holding::Reserved));
    !(client.truncated || released_again.truncated || leaks || !client.double_releases.is_empty())
}

/// Whether `handle`, released at the top of the `finally` block of `layout`
/// (made if there is none) and no longer by the statements `removed`, is
/// given back on every path out of the function and never twice: the
/// `try` statement is the only way out once the client is checked out.
pub(crate) fn release_in_finally_suffices(
    flow: &FnFlow,
    handle: HandleId,
    layout: &TryLayout,
    removed: &[Span],
) -> bool {
    let inside = |span: Span| {
        removed
            .iter()
            .any(|r| r.start <= span.start && span.end <= r.end)
    };
    let mut fixed = flow.clone();
    let at = layout.finally.unwrap_or(layout.block);
    on_edges(&mut fixed, &layout.exits, EventKind::Release, handle, at);
    for block in &mut fixed.blocks {
        block
            .events
            .retain(|e| !(e.handle == handle && e.kind == EventKind::Release && inside(e.span)));
        block
            .edges
            .retain(|edge| !matches!(edge.kind, EdgeKind::Raise { at } if inside(at)));
    }
    let facts = analyze_one(&fixed, handle);
    let leaks = facts.exits.iter().any(|exit| {
        matches!(exit.holding, Holding::Acquired | Holding::Reserved)
            && !(flow.errors_end_run && exit.exit == ExitKind::Error)
    });
    !(facts.truncated || leaks || !facts.double_releases.is_empty())
}

/// Whether rolling `handle` back at the top of the catch clause of
/// `layout` (or in a catch clause added to it, which re-throws) leaves no
/// error exit with the transaction begun at `begun_at` open.
pub(crate) fn rollback_in_catch_suffices(
    flow: &FnFlow,
    handle: HandleId,
    begun_at: Span,
    layout: &TryLayout,
) -> bool {
    let mut fixed = flow.clone();
    match &layout.catch {
        Some(catch) => fixed.blocks[catch.entry].events.insert(
            0,
            Event {
                kind: EventKind::Rollback,
                handle,
                span: catch.body,
            },
        ),
        None if !layout.uncaught.is_empty() => on_edges(
            &mut fixed,
            &layout.uncaught,
            EventKind::Rollback,
            handle,
            layout.block,
        ),
        None => return false,
    }
    let facts = analyze_one(&fixed, handle);
    !facts.truncated
        && !facts.exits.iter().any(|exit| {
            exit.begun_at == Some(begun_at) && exit.misses_rollback(flow.errors_end_run)
        })
}

/// Put an event on each of `edges` (block, index), in a block of its own
/// between the edge's source and its target.
fn on_edges(
    flow: &mut FnFlow,
    edges: &[(BlockId, usize)],
    kind: EventKind,
    handle: HandleId,
    span: Span,
) {
    for &(from, index) in edges {
        let Some(edge) = flow.blocks[from].edges.get(index).cloned() else {
            continue;
        };
        let between = flow.blocks.len();
        flow.blocks.push(Block {
            events: vec![Event { kind, handle, span }],
            edges: vec![Edge {
                guard: None,
                ..edge
            }],
        });
        flow.blocks[from].edges[index] = Edge {
            to: between,
            kind: EdgeKind::Normal,
            guard: edge.guard,
        };
    }
}

/// The places whose values paths remember: those a later test can use. A
/// place tested at one branch only, and never given a known value, tells
/// no later branch anything; following it would only split the paths (a
/// handler's chain of input checks would multiply them past any bound).
fn places_worth_following(flow: &FnFlow) -> Vec<HandleId> {
    // (place, block of the branch that tests it)
    let mut tests: Vec<(HandleId, usize)> = flow
        .blocks
        .iter()
        .enumerate()
        .flat_map(|(block, b)| b.edges.iter().map(move |e| (block, e.guard)))
        .filter_map(|(block, guard)| guard.map(|g| (g, block)))
        .filter(|(g, _)| !g.test.asks_state())
        .map(|(g, block)| (g.place, block))
        .collect();
    tests.sort_unstable();
    tests.dedup();
    let given_known = |place: HandleId| {
        flow.blocks.iter().flat_map(|b| &b.events).any(|e| {
            e.handle == place
                && match e.kind {
                    EventKind::Assign(known) => known != Known::UNKNOWN,
                    EventKind::Acquire => true,
                    _ => false,
                }
        })
    };
    let mut places: Vec<HandleId> = Vec::new();
    for group in tests.chunk_by(|a, b| a.0 == b.0) {
        let place = group[0].0;
        if group.len() > 1 || given_known(place) {
            places.push(place);
        }
    }
    places
}

/// The places followed while analysing `handle`: the first of
/// `candidates`, and always the handle itself (`if (client)
/// client.release()` in a `finally` after many unrelated tests).
fn followed_for(candidates: &[HandleId], handle: HandleId) -> Vec<HandleId> {
    let mut places: Vec<HandleId> = candidates
        .iter()
        .copied()
        .filter(|&place| place != handle)
        .take(MAX_TESTED_PLACES - 1)
        .collect();
    if candidates.contains(&handle) {
        places.push(handle);
        places.sort_unstable();
    }
    places
}

/// (place, followed place that extends it): assigning `job` makes what a
/// path knew of `job.done` or `job.kind === "batch"` stale.
fn extended_places(flow: &FnFlow, tested: &[HandleId]) -> Vec<(HandleId, HandleId)> {
    let mut pairs = Vec::new();
    for &place in tested {
        let name = &flow.handles[place].name;
        for (base, handle) in flow.handles.iter().enumerate() {
            if base != place
                && let Some(rest) = name.strip_prefix(handle.name.as_str())
                && (rest.starts_with('.') || rest.starts_with(' '))
            {
                pairs.push((base, place));
            }
        }
    }
    pairs.sort_unstable();
    pairs
}

fn analyze_handle(
    flow: &FnFlow,
    handle: HandleId,
    tested: &[HandleId],
    extended: &[(HandleId, HandleId)],
) -> HandleFacts {
    let mut facts = HandleFacts::default();
    let mut seen: Vec<FxHashSet<StateKey>> = vec![FxHashSet::default(); flow.blocks.len()];
    let mut queued: Vec<Vec<State>> = vec![Vec::new(); flow.blocks.len()];
    // Lowest block first, so the first witness to arrive is the same on
    // every run.
    let mut worklist = BTreeSet::new();

    let start = State {
        key: StateKey {
            holding: Holding::NotOwned,
            tx: TxState::None,
            acquired_at: None,
            begun_at: None,
            writes: Vec::new(),
            new_write: None,
            aborted_at: None,
            drop_commits: false,
            release_threw: false,
            refused: false,
            pending_finally: Vec::new(),
            known: Vec::new(),
        },
        witness: Witness::default(),
    };
    seen[flow.entry].insert(start.key.clone());
    queued[flow.entry].push(start);
    worklist.insert(flow.entry);

    while let Some(block_id) = worklist.pop_first() {
        let block = &flow.blocks[block_id];
        for mut state in std::mem::take(&mut queued[block_id]) {
            for event in &block.events {
                if event.handle == handle {
                    let analysed = &flow.handles[handle];
                    apply_event(&mut state, event.kind, event.span, analysed, &mut facts);
                }
                let assigned = match event.kind {
                    EventKind::Assign(known) => Some(known),
                    // A client just checked out is an object.
                    EventKind::Acquire if event.handle == handle => Some(Known::TRUTHY),
                    // So is one a statement or transaction ran through
                    // (`if (session && session.inTransaction())` after it);
                    // a value only lent to a call (`console.log(slot)`)
                    // may be anything.
                    EventKind::Begin => Some(Known::TRUTHY),
                    EventKind::Use if flow.handles[event.handle].queried => Some(Known::TRUTHY),
                    _ => None,
                };
                if let Some(known) = assigned
                    && tested.contains(&event.handle)
                {
                    set_known(&mut state.key.known, event.handle, known);
                }
                if let EventKind::Assign(_) | EventKind::Acquire = event.kind {
                    for &(_, place) in extended.iter().filter(|(base, _)| *base == event.handle) {
                        set_known(&mut state.key.known, place, Known::UNKNOWN);
                    }
                }
            }
            for edge in &block.edges {
                let Some(mut next) = follow_edge(&state, edge.kind) else {
                    continue;
                };
                if let Some(guard) = edge.guard {
                    let takes = match guard.test {
                        // Only the handle analysed knows its state; for
                        // any other, both ways.
                        Test::InTransaction => {
                            guard.place != handle
                                || matches!(next.key.tx, TxState::Open { .. }) == guard.holds
                        }
                        Test::Released => match next.key.holding {
                            _ if guard.place != handle => true,
                            Holding::Acquired | Holding::Reserved => !guard.holds,
                            Holding::Released => guard.holds,
                            Holding::NotOwned | Holding::Escaped => true,
                        },
                        _ => {
                            !tested.contains(&guard.place) || take_guard(&mut next.key.known, guard)
                        }
                    };
                    if !takes {
                        continue;
                    }
                }
                if let EdgeKind::Exit { how, at } = edge.kind {
                    let exit = flow.exit_kind(edge.to).unwrap_or(ExitKind::Normal);
                    record_exit(&mut facts, &next, exit, how, at);
                    continue;
                }
                if seen[edge.to].contains(&next.key) {
                    continue;
                }
                if seen[edge.to].len() >= MAX_STATES_PER_BLOCK {
                    // Too many paths to tell apart by what they know of
                    // tested places: forget it, taking paths that may not
                    // happen rather than dropping ones that do, except what
                    // the path knows of the handle itself (`mysql =
                    // undefined` after destroying it, then `if (mysql)
                    // mysql.release()`). A second bound ends the walk where
                    // even that is not enough.
                    next.key.known.retain(|&(place, _)| place == handle);
                    if seen[edge.to].contains(&next.key) {
                        continue;
                    }
                    if seen[edge.to].len() >= 2 * MAX_STATES_PER_BLOCK {
                        facts.truncated = true;
                        continue;
                    }
                }
                seen[edge.to].insert(next.key.clone());
                queued[edge.to].push(next);
                worklist.insert(edge.to);
            }
        }
    }
    facts.writes_beside.sort();
    facts
}

fn apply_event(
    state: &mut State,
    kind: EventKind,
    span: Span,
    handle: &Handle,
    facts: &mut HandleFacts,
) {
    let lazy = handle.lazy;
    let key = &mut state.key;
    let new_write = key.new_write.take();
    // A lazily acquired handle takes its connection when first used.
    let uses_connection = matches!(
        kind,
        EventKind::Begin
            | EventKind::Commit
            | EventKind::Rollback
            | EventKind::Use
            | EventKind::Write
            | EventKind::Unawaited
    );
    if uses_connection && key.holding == Holding::Reserved {
        key.holding = Holding::Acquired;
    }
    if uses_connection && key.holding == Holding::Released && handle.refuses_after_release {
        key.refused = true;
        return;
    }
    // Any statement sent in a transaction that PostgreSQL aborted fails
    // (see `EventKind::FailureIgnored`).
    if matches!(kind, EventKind::Write)
        && key.aborted_at.is_some()
        && matches!(key.tx, TxState::Open { .. })
    {
        key.refused = true;
        return;
    }
    match kind {
        EventKind::Acquire => {
            if let (Holding::Acquired, Some(acquired_at)) = (key.holding, key.acquired_at) {
                let overwrite = Overwrite {
                    acquired_at,
                    reacquired_at: span,
                };
                if !facts.overwrites.contains(&overwrite) {
                    facts.overwrites.push(overwrite);
                }
            }
            key.holding = if lazy {
                Holding::Reserved
            } else {
                Holding::Acquired
            };
            key.acquired_at = Some(span);
            key.tx = TxState::None;
            key.begun_at = None;
            key.writes.clear();
            state.witness.raised_after_acquire = None;
        }
        EventKind::Begin => {
            if !matches!(key.tx, TxState::Open { .. }) {
                key.tx = TxState::Open {
                    errored: false,
                    lent: false,
                };
                key.begun_at = Some(span);
                key.writes.clear();
                key.aborted_at = None;
                key.drop_commits = false;
                state.witness.raised_after_begin = None;
            }
        }
        // Out of scope while the function goes on: what reaches here is
        // what a return would have left (see `ExitHow::LeavesScope`).
        EventKind::Dropped | EventKind::Shadowed
            if matches!(key.tx, TxState::Open { errored: false, .. }) =>
        {
            let how = match kind {
                EventKind::Shadowed => ExitHow::Shadowed,
                _ => ExitHow::LeavesScope,
            };
            record_exit(facts, state, ExitKind::Normal, how, span);
            state.key.tx = TxState::Ended;
            state.key.writes.clear();
        }
        // Once the client is back in the pool, its transaction went with
        // it: a ROLLBACK sent afterwards runs on a client that is another
        // request's (node-postgres) or fails (a released TypeORM runner).
        EventKind::Commit | EventKind::Rollback | EventKind::Dropped | EventKind::Shadowed => {
            if matches!(key.tx, TxState::Open { .. }) && key.holding != Holding::Released {
                match (kind, key.aborted_at) {
                    (EventKind::Commit, Some(failed)) => {
                        state.witness.commit_after_abort = Some((failed, span));
                    }
                    _ => key.aborted_at = None,
                }
                key.tx = TxState::Ended;
                key.writes.clear();
            }
        }
        EventKind::Write => {
            if matches!(key.tx, TxState::Open { .. })
                && let Err(index) = key.writes.binary_search(&span)
            {
                key.writes.insert(index, span);
                key.new_write = Some(span);
            }
        }
        EventKind::WroteNothing => {
            if let Ok(index) = key.writes.binary_search(&span) {
                key.writes.remove(index);
            }
        }
        EventKind::Aborted | EventKind::NoRowChanged => key.writes.clear(),
        EventKind::CommitsOnDrop => {
            if matches!(key.tx, TxState::Open { .. }) {
                key.drop_commits = true;
            }
        }
        // A COMMIT from here on rolls back what the transaction wrote
        // before the statement that failed.
        EventKind::FailureIgnored => {
            if new_write == Some(span)
                && let Ok(index) = key.writes.binary_search(&span)
            {
                key.writes.remove(index);
            }
            if matches!(key.tx, TxState::Open { .. }) && !key.writes.is_empty() {
                key.aborted_at.get_or_insert(span);
            }
            key.writes.clear();
        }
        // The transaction stays open until it is dropped, which rolls it
        // back: what TX005 reports, with the commit that failed.
        EventKind::CommitDiscarded => {
            if matches!(key.tx, TxState::Open { .. }) {
                state.witness.commit_discarded_at = Some(span);
            }
        }
        // On an error path the write is the function's answer to the
        // failure (a compensating delete, a job marked failed): outside
        // the transaction on purpose.
        EventKind::WriteBeside => {
            if matches!(key.tx, TxState::Open { errored: false, .. })
                && !facts.writes_beside.contains(&span)
            {
                facts.writes_beside.push(span);
            }
        }
        EventKind::Release => match key.holding {
            Holding::Acquired | Holding::Reserved => {
                key.holding = Holding::Released;
                state.witness.released_at = Some(span);
                if matches!(key.tx, TxState::Open { .. }) {
                    state.witness.released_open_at.get_or_insert(span);
                }
            }
            Holding::Released if key.release_threw => {
                key.release_threw = false;
                state.witness.released_at = Some(span);
            }
            Holding::Released => {
                let first = state.witness.released_at.unwrap_or(span);
                let double = DoubleRelease {
                    first,
                    second: span,
                };
                if !facts.double_releases.contains(&double) {
                    facts.double_releases.push(double);
                }
            }
            Holding::NotOwned | Holding::Escaped => {}
        },
        EventKind::Escape => {
            if matches!(key.holding, Holding::Acquired | Holding::Reserved) {
                key.holding = Holding::Escaped;
            }
            if matches!(key.tx, TxState::Open { .. }) {
                key.tx = TxState::Escaped;
            }
        }
        EventKind::HandedOff => {
            if matches!(key.holding, Holding::Acquired | Holding::Reserved) {
                key.holding = Holding::Escaped;
            }
            if let TxState::Open { errored, .. } = key.tx {
                key.tx = TxState::Open {
                    errored,
                    lent: true,
                };
            }
        }
        EventKind::Use | EventKind::Assign(_) | EventKind::Unawaited => {}
    }
}

/// Whether a path can take an edge guarded by `guard`; if so, what the
/// path now knows of the tested place.
fn take_guard(known: &mut Vec<(HandleId, Known)>, guard: Guard) -> bool {
    let current = known
        .iter()
        .find(|(place, _)| *place == guard.place)
        .map_or(Known::UNKNOWN, |(_, k)| *k);
    let refined = match (guard.test, guard.holds) {
        (Test::Truthy, true) if current.truthy != Some(false) => Known::TRUTHY,
        (Test::Truthy, false) if current.truthy != Some(true) => Known {
            truthy: Some(false),
            ..current
        },
        (Test::Nullish, true) if current.nullish != Some(false) => Known::NULLISH,
        (Test::InTransaction | Test::Released, _) => return true,
        (Test::Nullish, false) if current.nullish != Some(true) => Known {
            nullish: Some(false),
            ..current
        },
        _ => return false,
    };
    set_known(known, guard.place, refined);
    true
}

/// Record what is known of `place`, keeping the list sorted (it is part of
/// a state's identity).
fn set_known(known: &mut Vec<(HandleId, Known)>, place: HandleId, value: Known) {
    match known.binary_search_by_key(&place, |(p, _)| *p) {
        Ok(index) if value == Known::UNKNOWN => {
            known.remove(index);
        }
        Ok(index) => known[index].1 = value,
        Err(_) if value == Known::UNKNOWN => {}
        Err(index) => known.insert(index, (place, value)),
    }
}

fn follow_edge(state: &State, kind: EdgeKind) -> Option<State> {
    let mut next = state.clone();
    match kind {
        // A refused statement throws: only its raise edge is taken.
        EdgeKind::Normal | EdgeKind::Back | EdgeKind::Exit { .. } if state.key.refused => {
            return None;
        }
        EdgeKind::Normal | EdgeKind::Back | EdgeKind::Exit { .. } => {}
        EdgeKind::Raise { at } => {
            next.key.refused = false;
            if let TxState::Open { lent, .. } = next.key.tx {
                next.key.tx = TxState::Open {
                    errored: true,
                    lent,
                };
                next.witness.raised_after_begin.get_or_insert(at);
            }
            if next.key.holding == Holding::Acquired {
                next.witness.raised_after_acquire.get_or_insert(at);
            }
            if next.key.holding == Holding::Released && next.witness.released_at == Some(at) {
                next.key.release_threw = true;
            }
        }
        EdgeKind::Recover => {
            if let TxState::Open { lent, .. } = next.key.tx {
                next.key.tx = TxState::Open {
                    errored: false,
                    lent,
                };
            }
        }
        EdgeKind::Catch { clause } => next.witness.caught_by = Some(clause),
        EdgeKind::EnterFinally(completion) => next.key.pending_finally.push(completion),
        EdgeKind::LeaveFinally(completion) => {
            if next.key.pending_finally.last() != Some(&completion) {
                return None;
            }
            next.key.pending_finally.pop();
        }
    }
    Some(next)
}

fn record_exit(facts: &mut HandleFacts, state: &State, exit: ExitKind, how: ExitHow, at: Span) {
    let key = &state.key;
    let fact = ExitFact {
        exit,
        how,
        at,
        holding: key.holding,
        tx: key.tx,
        acquired_at: key.acquired_at,
        begun_at: key.begun_at,
        written_at: key.writes.first().copied(),
        drop_commits: key.drop_commits,
        witness: state.witness,
    };
    let duplicate = facts.exits.iter().any(|f| {
        (
            f.exit,
            f.how,
            f.at,
            f.holding,
            f.tx,
            f.acquired_at,
            f.begun_at,
            f.written_at,
            f.drop_commits,
            f.witness.commit_after_abort,
        ) == (
            exit,
            how,
            at,
            fact.holding,
            fact.tx,
            fact.acquired_at,
            fact.begun_at,
            fact.written_at,
            fact.drop_commits,
            fact.witness.commit_after_abort,
        )
    });
    if !duplicate {
        facts.exits.push(fact);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(known: &mut Vec<(HandleId, Known)>, test: Test, holds: bool) -> bool {
        take_guard(
            known,
            Guard {
                place: 3,
                test,
                holds,
            },
        )
    }

    #[test]
    fn a_test_is_remembered_along_the_path() {
        let mut known = Vec::new();
        assert!(take(&mut known, Test::Truthy, false));
        assert!(
            !take(&mut known.clone(), Test::Truthy, true),
            "`if (x)` after `if (!x)`"
        );
        assert!(take(&mut known.clone(), Test::Truthy, false));
    }

    #[test]
    fn false_is_not_nullish_and_null_is_not_truthy() {
        let mut known = Vec::new();
        set_known(&mut known, 3, Known::FALSY);
        assert!(
            take(&mut known.clone(), Test::Nullish, false),
            "`false != null`"
        );
        assert!(!take(&mut known.clone(), Test::Nullish, true));
        assert!(!take(&mut known.clone(), Test::Truthy, true));

        let mut known = Vec::new();
        set_known(&mut known, 3, Known::NULLISH);
        assert!(!take(&mut known.clone(), Test::Truthy, true));
        assert!(take(&mut known, Test::Nullish, true));
    }

    #[test]
    fn assigning_an_unknown_value_forgets() {
        let mut known = Vec::new();
        set_known(&mut known, 3, Known::TRUTHY);
        set_known(&mut known, 1, Known::FALSY);
        assert_eq!(
            known.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
            vec![1, 3]
        );
        set_known(&mut known, 3, Known::UNKNOWN);
        assert!(take(&mut known, Test::Truthy, false));
    }
}
