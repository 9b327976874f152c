//! What a function does for its callers, read off its own flow: it hands
//! back a freshly checked-out client (`getClient()`), or it releases a
//! client it is given on every path (`releaseClient(client)`). Front ends
//! turn a call of such a function into the acquire or release it stands for.

use std::collections::HashMap;

use super::state::{ExitFact, Holding, TxState, analyze, analyze_one};
use super::{
    BlockId, EdgeKind, ErrorModel, Event, EventKind, ExitKind, FnFlow, Guard, HandleId, Returned,
    Test,
};

/// A function's effect on its callers' handles; the default is "nothing
/// known", which callers treat as any unknown call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Summary {
    /// A call returns a client checked out of a pool, which the caller must
    /// release.
    pub returns_client: bool,
    /// The client it returns connects only when first used (a TypeORM
    /// query runner): a failed `connect()` holds nothing.
    pub returns_lazy_client: bool,
    /// The client it returns has a transaction open on it (the helper ran
    /// `BEGIN`): the caller must also commit or roll back.
    pub returns_transaction: bool,
    /// A call returns a transaction object that holds its connection until
    /// it is committed or rolled back (`knex.transaction()` returned, or a
    /// client in a transaction returned inside a wrapper:
    /// `new Transaction(client)`).
    pub returns_transaction_object: bool,
    /// The transaction object it returns has its type hidden (`-> impl
    /// ConnectionTrait`): a caller has no `commit()` to call by name.
    pub transaction_type_hidden: bool,
    /// It returns an object whose field of this name holds a transaction it
    /// began (`return { ok: true, data: t }`): the caller must end it.
    pub returns_transaction_in: Option<String>,
    /// What it returns is fresh (a client or transaction object) only when
    /// the parameter at this position is truthy: a call that passes a falsy
    /// literal there, or leaves it out, gets nothing of its own to end.
    pub fresh_only_if: Option<usize>,
    /// Parameters, by position, released on every path through the body.
    pub releases: Vec<usize>,
    /// Parameters, by position, released on every normal return but not
    /// when the function throws (`await qr.rollbackTransaction(); await
    /// qr.release()`: a failed rollback skips the release).
    pub releases_on_return: Vec<usize>,
    /// Parameters, by position, released on every normal return except
    /// after an error it caught (`try { await c.rollback(); c.release() }
    /// catch (e) { log(e) }`): after the call the client may or may not
    /// still be the caller's.
    pub releases_sometimes: Vec<usize>,
    /// Parameters, by position, whose transaction (one open when the call
    /// is made) is committed or rolled back on every path.
    pub ends: Vec<usize>,
    /// Parameters, by position, whose transaction is committed or rolled
    /// back on every normal return but may be left open when the function
    /// throws (`await work(t); await t.commit()`): the caller's catch
    /// clause still has it to roll back.
    pub ends_on_return: Vec<usize>,
    /// Parameters, by position, whose connection is left with a
    /// transaction open on every normal return (a raw `BEGIN` sent on it):
    /// the caller must commit or roll it back.
    pub begins: Vec<usize>,
    /// A transaction lent to it is only read through: nothing it runs, or
    /// lends on, writes.
    pub reads_only: bool,
    /// Parameters, by position, that it writes through and whose write it
    /// reports: it returns `Ok(true)` exactly when the write changed a row
    /// (a compare-and-swap such as `claim(&mut tx, id)?`).
    pub reports_write: Vec<usize>,
    /// Parameters, by position, that it writes through: a pool handed there
    /// gets a write of its own, beside any transaction the caller has
    /// open from that pool.
    pub writes: Vec<usize>,
    /// Parameters, by position, that the function queries through (and may
    /// end the transaction of) but never releases, stores or hands on: the
    /// client passed there is still the caller's to release.
    pub keeps: Vec<usize>,
    /// It returns an object whose disposer rolls back what it holds and
    /// releases it (see `FnFlow::returns_rollback_disposer`).
    pub returns_rollback_disposer: bool,
    /// See `FnFlow::hands_client_to_callback`: a call's callback at the
    /// first position receives, at the second, a client it must release.
    pub hands_client_to_callback: Option<(usize, usize)>,
    /// See `FnFlow::sends_sql_to_pool`: a call's SQL text at this position
    /// goes through a pool.
    pub sends_sql_to_pool: Option<usize>,
    /// It is `async`: a call whose promise is dropped does its work later.
    pub is_async: bool,
    /// It catches every error of its own: something in it may throw, and
    /// nothing thrown leaves it (`try { .. } catch (e) { log(e); return [] }`),
    /// so a call of it does not throw. (Exceptions only: a Rust function's
    /// errors are values it returns.)
    pub catches_all: bool,
    /// A call opens a connection of its own and returns it (Rust's
    /// `Connection::open` inside `get_connection()`): the caller owns it,
    /// and dropping it closes it, ending any transaction on it.
    pub opens_connection: bool,
    /// Not a function but a pool its module makes and exports (`export
    /// const db = new Pool(..)`): each statement sent through it may run
    /// on another of its connections.
    pub pool: bool,
}

/// Summaries by the name a call site uses (`getClient`, `db.getClient`,
/// `Repo.release`).
pub(crate) type Summaries = HashMap<String, Summary>;

impl Summary {
    pub fn is_empty(&self) -> bool {
        !self.returns_client
            && !self.returns_transaction
            && !self.returns_transaction_object
            && self.returns_transaction_in.is_none()
            && self.releases.is_empty()
            && self.releases_on_return.is_empty()
            && self.releases_sometimes.is_empty()
            && self.ends.is_empty()
            && self.ends_on_return.is_empty()
            && self.begins.is_empty()
            && !self.reads_only
            && self.reports_write.is_empty()
            && self.writes.is_empty()
            && self.keeps.is_empty()
            && !self.returns_rollback_disposer
            && self.hands_client_to_callback.is_none()
            && self.sends_sql_to_pool.is_none()
            && !self.pool
            && !self.opens_connection
            && !self.catches_all
    }

    /// Whether all it says is that it catches every error of its own: a
    /// call of it is any call that does not throw.
    pub fn only_catches_all(&self) -> bool {
        self.catches_all
            && Summary {
                catches_all: false,
                ..self.clone()
            }
            .is_empty()
    }

    /// Whether a call hands its caller something to end: a client or a
    /// transaction it returns, or one it began on a connection passed to it.
    pub fn hands_duty(&self) -> bool {
        self.returns_client
            || self.returns_transaction
            || self.returns_transaction_object
            || self.returns_transaction_in.is_some()
            || !self.begins.is_empty()
            || self.hands_client_to_callback.is_some()
    }

    /// A function that ends the transaction of every client passed to it
    /// and may release it, whatever its body (a configured safe helper).
    pub fn takes_care_of(arguments: usize) -> Summary {
        Summary {
            ends: (0..arguments).collect(),
            ..Summary::default()
        }
    }
}

/// The summary of one function; empty when it does nothing a caller needs
/// to know.
pub(crate) fn summarize(flow: &FnFlow) -> Summary {
    let returns_client = flow.returned.iter().any(|(returned, _)| match *returned {
        Returned::FreshClient { .. } => true,
        // A client kept in a field as well (`this.runner = ..; return
        // this.runner`) stays the object's: its other methods release it.
        // One handed to code that ends it (a listener that releases it when
        // the response is sent) is not the caller's to release either.
        Returned::Handle(handle) => {
            !flow.handles[handle].name.contains('.')
                && flow.events_of(handle, EventKind::Acquire).next().is_some()
                && flow
                    .events_of(handle, EventKind::HandedOff)
                    .next()
                    .is_none()
                && !released_before_returned(flow, handle)
        }
        Returned::Wrapped(_) | Returned::TransactionObject | Returned::InField(..) => false,
    });
    let returned_handles = |wanted: &dyn Fn(&Returned) -> bool| -> Vec<HandleId> {
        flow.returned
            .iter()
            .map(|(returned, _)| returned)
            .filter(|returned| wanted(returned))
            .filter_map(|returned| match *returned {
                Returned::Handle(handle) | Returned::Wrapped(handle) => Some(handle),
                Returned::FreshClient { .. }
                | Returned::TransactionObject
                | Returned::InField(..) => None,
            })
            // One kept in a field as well stays the object's, whose other
            // methods end it (`this.runner`).
            .filter(|&handle| !flow.handles[handle].name.contains('.'))
            .collect()
    };
    let returns_transaction = returns_client
        && returned_open(
            flow,
            &returned_handles(&|r| matches!(r, Returned::Handle(_))),
        );
    // A transaction object: one begun by the returned call, one begun here
    // and returned, or a client in a transaction returned inside an object
    // whose methods end it (`return new Transaction(client)`).
    let returns_transaction_object = !returns_client
        && (flow
            .returned
            .iter()
            .any(|(returned, _)| *returned == Returned::TransactionObject)
            || returned_open(flow, &returned_handles(&|_| true)));
    let params_where = |holds: &dyn Fn(&str) -> bool| -> Vec<usize> {
        flow.params
            .iter()
            .enumerate()
            .filter(|(_, name)| name.as_deref().is_some_and(holds))
            .map(|(position, _)| position)
            .collect()
    };
    let released = |exit: &ExitFact| exit.holding == Holding::Released;
    let release_exits: Vec<(usize, Vec<ExitFact>)> = flow
        .params
        .iter()
        .enumerate()
        .filter_map(|(position, name)| {
            let exits = exits_given(flow, name.as_deref()?, EventKind::Release)?;
            Some((position, exits))
        })
        .collect();
    let releases = release_exits
        .iter()
        .filter(|(_, exits)| exits.iter().all(released))
        .map(|(position, _)| *position)
        .collect();
    let releases_on_return = release_exits
        .iter()
        .filter(|(_, exits)| {
            !exits.iter().all(released)
                && exits
                    .iter()
                    .filter(|exit| exit.exit == ExitKind::Normal)
                    .all(released)
        })
        .map(|(position, _)| *position)
        .collect();
    // Released on every return but those after an error it caught (a
    // rollback that failed and was only logged). A return that skips the
    // release on a test of its own (`if (client instanceof Pool) return`)
    // is a condition txlint cannot weigh, not a sometimes.
    let releases_sometimes = release_exits
        .iter()
        .filter(|(_, exits)| {
            let (caught, clean): (Vec<&ExitFact>, Vec<&ExitFact>) = exits
                .iter()
                .filter(|exit| exit.exit == ExitKind::Normal)
                .partition(|exit| exit.witness.caught_by.is_some());
            !clean.is_empty()
                && clean.iter().all(|exit| released(exit))
                && caught.iter().any(|exit| !released(exit))
        })
        .map(|(position, _)| *position)
        .collect();
    // Ended on every path, except a success exit that leaves it as it came
    // without writing: a helper that ends only the transactions it owns
    // (`if (t.nested > 0) { t.nested--; return }`) leaves the others to
    // their owner.
    let ended = |exit: &ExitFact| {
        exit.tx == TxState::Ended
            || (exit.exit == ExitKind::Normal
                && matches!(exit.tx, TxState::Open { errored: false, .. })
                && exit.written_at.is_none())
    };
    let ends = params_where(&|name| {
        given(flow, name, EventKind::Commit, ended) || given(flow, name, EventKind::Rollback, ended)
    });
    let ended_on_return = |exit: &ExitFact| exit.exit != ExitKind::Normal || ended(exit);
    let ends_on_return = params_where(&|name| {
        given(flow, name, EventKind::Commit, ended_on_return)
            || given(flow, name, EventKind::Rollback, ended_on_return)
    })
    .into_iter()
    .filter(|position| !ends.contains(position))
    .collect();
    let keeps = params_where(&|name| only_uses(flow, name));
    let returns_transaction_in = flow
        .returned
        .iter()
        .find_map(|(returned, _)| match returned {
            Returned::InField(handle, field) if returned_open(flow, &[*handle]) => {
                Some(field.clone())
            }
            _ => None,
        });
    // Every client it returns connects only when first used.
    let returns_lazy_client = returns_client
        && flow.returned.iter().all(|(returned, _)| match *returned {
            Returned::FreshClient { lazy } => lazy,
            Returned::Handle(handle) => flow.handles[handle].lazy,
            _ => true,
        });
    let fresh_only_if = (returns_client || returns_transaction_object)
        .then(|| fresh_only_if(flow))
        .flatten();
    Summary {
        returns_client,
        returns_lazy_client,
        returns_transaction,
        returns_transaction_object,
        returns_transaction_in,
        fresh_only_if,
        releases,
        releases_on_return,
        releases_sometimes,
        ends,
        ends_on_return,
        keeps,
        returns_rollback_disposer: flow.returns_rollback_disposer,
        hands_client_to_callback: flow.hands_client_to_callback,
        sends_sql_to_pool: flow.sends_sql_to_pool,
        is_async: flow.is_async,
        catches_all: catches_all(flow),
        ..Summary::default()
    }
}

/// See `Summary::catches_all`. A function in which nothing may throw
/// says nothing worth a summary: only one that catches what may counts.
fn catches_all(flow: &FnFlow) -> bool {
    let raises = flow.blocks.iter().any(|block| {
        block
            .edges
            .iter()
            .any(|edge| matches!(edge.kind, EdgeKind::Raise { .. }))
    });
    flow.error_model == ErrorModel::Exceptions
        && raises
        && !flow.setup_may_throw
        && !flow.reaches([flow.entry], |block| block == flow.error_exit)
}

/// Whether every success exit that checked `handle` out has released it,
/// `finally` included, so what the caller gets back is no client of its
/// own (`try { ..; return runner } finally { if (!lent) await
/// runner.release() }`): the handle followed as if returning it did not
/// hand it on.
fn released_before_returned(flow: &FnFlow, handle: HandleId) -> bool {
    let mut kept = flow.clone();
    for block in &mut kept.blocks {
        block
            .events
            .retain(|e| !(e.handle == handle && e.kind == EventKind::Escape));
    }
    let facts = analyze_one(&kept, handle);
    let mut acquired = facts
        .exits
        .iter()
        .filter(|exit| exit.exit == ExitKind::Normal && exit.acquired_at.is_some())
        .peekable();
    !facts.truncated
        && acquired.peek().is_some()
        && acquired.all(|exit| exit.holding == Holding::Released)
}

/// The parameter that every return of something fresh is guarded by
/// (`if (autoGen) return sequelize.transaction()`), when a call that
/// leaves it out passes a falsy value: the blocks of those returns cannot
/// be reached while it is falsy.
fn fresh_only_if(flow: &FnFlow) -> Option<usize> {
    let fresh: Vec<BlockId> = flow
        .returned
        .iter()
        .filter(|(returned, _)| match *returned {
            Returned::FreshClient { .. } | Returned::TransactionObject => true,
            Returned::Handle(handle) | Returned::Wrapped(handle) | Returned::InField(handle, _) => {
                flow.events_of(handle, EventKind::Acquire).next().is_some()
                    || flow.events_of(handle, EventKind::Begin).next().is_some()
            }
        })
        .map(|(_, block)| *block)
        .collect();
    if fresh.is_empty() {
        return None;
    }
    flow.params.iter().enumerate().find_map(|(position, name)| {
        let name = name.as_deref()?;
        if flow.truthy_defaults.contains(&position) {
            return None;
        }
        let flag = flow.handles.iter().position(|handle| handle.name == name)?;
        let needs_flag = |guard: Option<Guard>| {
            guard.is_some_and(|g| g.place == flag && g.test == Test::Truthy && g.holds)
        };
        let mut reached = vec![false; flow.blocks.len()];
        let mut stack = vec![flow.entry];
        reached[flow.entry] = true;
        while let Some(block) = stack.pop() {
            for edge in &flow.blocks[block].edges {
                if !needs_flag(edge.guard) && !reached[edge.to] {
                    reached[edge.to] = true;
                    stack.push(edge.to);
                }
            }
        }
        fresh
            .iter()
            .all(|&block| !reached[block])
            .then_some(position)
    })
}

/// Whether every success exit that leaves with one of `handles` checked out
/// or begun here returns it with its transaction still open (a helper that
/// checks out, runs `BEGIN` and hands the client back).
fn returned_open(flow: &FnFlow, handles: &[HandleId]) -> bool {
    if handles.is_empty() {
        return false;
    }
    let facts = analyze(flow);
    handles.iter().all(|&handle| {
        let facts = &facts.handles[handle];
        let mut live = facts
            .exits
            .iter()
            .filter(|exit| {
                exit.exit == ExitKind::Normal
                    && (exit.acquired_at.is_some() || exit.begun_at.is_some())
            })
            .peekable();
        !facts.truncated
            && live.peek().is_some()
            && live.all(|exit| exit.tx == TxState::Escaped && exit.begun_at.is_some())
    })
}

/// Whether the function does nothing to the parameter `name` but query
/// through it and end its transaction.
fn only_uses(flow: &FnFlow, name: &str) -> bool {
    let Some(handle) = flow.handles.iter().position(|h| h.name == name) else {
        return false;
    };
    if !flow.handles[handle].queried {
        return false;
    }
    let mut events = flow
        .blocks
        .iter()
        .flat_map(|b| &b.events)
        .filter(|e| e.handle == handle)
        .peekable();
    events.peek().is_some()
        && events.all(|e| {
            matches!(
                e.kind,
                EventKind::Use
                    | EventKind::Write
                    | EventKind::WroteNothing
                    | EventKind::NoRowChanged
                    | EventKind::Aborted
                    | EventKind::FailureIgnored
                    | EventKind::CommitDiscarded
                    | EventKind::WriteBeside
                    | EventKind::Commit
                    | EventKind::Rollback
                    | EventKind::Unawaited
            )
        })
}

/// Whether every way out of the function satisfies `done`, when the
/// parameter `name` arrives as a client checked out by the caller with a
/// transaction open on it. Asked only of functions that do `evidence` to
/// the parameter somewhere.
fn given(flow: &FnFlow, name: &str, evidence: EventKind, done: impl Fn(&ExitFact) -> bool) -> bool {
    exits_given(flow, name, evidence).is_some_and(|exits| exits.iter().all(done))
}

/// The ways out of the function when the parameter `name` arrives as a
/// client checked out by the caller with a transaction open on it; `None`
/// when the function does not do `evidence` to it, or the paths could not
/// all be followed.
fn exits_given(flow: &FnFlow, name: &str, evidence: EventKind) -> Option<Vec<ExitFact>> {
    let handle = flow.handles.iter().position(|h| h.name == name)?;
    flow.events_of(handle, evidence).next()?;
    let mut given = flow.clone();
    let arrives = |kind| Event {
        kind,
        handle,
        span: flow.span,
    };
    given.blocks[given.entry].events.splice(
        0..0,
        [arrives(EventKind::Acquire), arrives(EventKind::Begin)],
    );
    let mut facts = analyze(&given);
    let handle_facts = std::mem::take(&mut facts.handles[handle]);
    (!handle_facts.truncated).then_some(handle_facts.exits)
}
