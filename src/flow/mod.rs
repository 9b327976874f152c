//! The language-neutral flow IR: one small control-flow graph per function,
//! whose blocks hold resource events and whose edges say how control moves
//! (normally, by an exception, into and out of `finally`, out of the function).
//! Front ends build it through `build::FlowBuilder`; the engine in `state`
//! walks it. Nothing here knows which parser ran.

pub(crate) mod build;
pub(crate) mod dot;
pub(crate) mod state;
pub(crate) mod summary;

use crate::source::Span;

pub(crate) type BlockId = usize;
pub(crate) type HandleId = usize;
pub(crate) type CompletionId = usize;

/// What happens to a handle (a pooled client, a connection, a transaction
/// object) at one point of the function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventKind {
    /// A pooled client/connection is checked out and bound to the handle.
    Acquire,
    /// A transaction starts on the handle.
    Begin,
    Commit,
    Rollback,
    /// The handle is given back to its pool.
    Release,
    /// Any other use (a query); kept for rules that ask about use order.
    Use,
    /// The place (a handle or any variable that a branch tests) is assigned
    /// a value of which this much is known.
    Assign(Known),
    /// A transaction statement on the handle whose promise nobody awaits:
    /// what follows runs before it finishes, and its failure is lost.
    Unawaited,
    /// The handle leaves the function's care: returned, stored outside.
    Escape,
    /// Handed to a call or closure that may release it: releasing is no
    /// longer this function's duty, but a transaction open on it still is.
    HandedOff,
    /// A statement that may change data runs in the handle's transaction
    /// (or the handle is lent to code that may run one): dropping the
    /// transaction from here on loses work. The span names the write.
    Write,
    /// The write at this event's span is known to have changed nothing on
    /// this path (a call lent the transaction failed or found its work
    /// done; a statement failed on a database whose transaction outlives
    /// that); the transaction's other writes stand.
    WroteNothing,
    /// The path is a branch taken because a statement of the transaction
    /// changed no row (`rows_affected() == 0`, an `INSERT .. ON CONFLICT DO
    /// NOTHING .. RETURNING` that returned none): the author is abandoning
    /// the transaction there, and dropping it is the intended rollback of
    /// all it wrote before.
    NoRowChanged,
    /// A statement of the transaction failed on PostgreSQL, which aborts
    /// the transaction: nothing it wrote can be committed any more, and
    /// dropping it loses nothing (it still has to be ended).
    Aborted,
    /// The transaction object is set to commit when dropped (postgres
    /// 0.15's `set_commit()`): a drop from here on commits what it wrote,
    /// on a success exit as on an error one.
    CommitsOnDrop,
    /// As `Aborted`, for a statement whose result was thrown away (`let _
    /// = ..`) or whose `Err` arm carries on: the function goes on, and a
    /// COMMIT sent after it rolls back without an error.
    FailureIgnored,
    /// An owned transaction object goes out of scope here without the
    /// function ending (see `ExitHow::LeavesScope`): rolled back, which on
    /// a path that wrote loses the work as a return would.
    Dropped,
    /// An owned transaction object shadowed by a new binding of its name
    /// (see `ExitHow::Shadowed`): it lives to its scope's end, but nothing
    /// can commit it any more.
    Shadowed,
    /// A write sent, while this transaction object is in scope, through
    /// the pool it was begun from (see `Handle::begun_from`): if the
    /// transaction is open, the write runs on another connection, outside
    /// it.
    WriteBeside,
    /// The path on which the commit at this event's span failed and its
    /// error was discarded (`let _ = tx.commit().await`): the transaction's
    /// work is rolled back, and the function goes on as if it were saved.
    CommitDiscarded,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    pub kind: EventKind,
    pub handle: HandleId,
    pub span: Span,
}

/// The name of the flow of a module's top-level code.
pub(crate) const MODULE_BODY: &str = "<module>";

/// The name front ends give a handle that nothing stores (a client checked
/// out and dropped on the spot).
pub(crate) const UNNAMED_HANDLE: &str = "<unnamed client>";

/// A variable or field path (`client`, `this.client`, `committed`): a handle
/// when it has resource events, a tested value when branches test it. A
/// comparison with a constant (`this.mode === "all"`) is tested as a place of
/// its own, named so. What a path knows of a place is forgotten when the
/// place, or a path it extends (`this.mode` of `this.mode === "all"`,
/// `job` of `job.done`), is assigned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Handle {
    pub name: String,
    /// Dropping the handle rolls back a transaction open on it (Rust's
    /// transaction objects): an error exit is safe, a success exit loses
    /// the work.
    pub rolls_back_on_drop: bool,
    /// Dropping the handle gives it back to its pool (Rust's pooled
    /// connections): nothing to release by hand.
    pub returns_to_pool_on_drop: bool,
    /// The handle is a pool, not a connection: each statement sent through
    /// it may run on a different connection, so transactions on it are
    /// meaningless.
    pub pool: bool,
    /// Statements are run through it (`client.query(..)`): a database
    /// handle, not just any value the function logs or passes on.
    pub queried: bool,
    /// Its acquire takes the connection only at its first use (see
    /// `Holding::Reserved`).
    pub lazy: bool,
    /// Once released, every statement sent through it throws (a released
    /// TypeORM runner).
    pub refuses_after_release: bool,
    /// The statement that commits the transaction object it holds, written
    /// in the source's language (`tx.commit().await?;`), for a fix.
    pub commit_statement: Option<String>,
    /// The call that rolls back the transaction begun on it, written as its
    /// begin is (`client.query('ROLLBACK')` for `client.query('BEGIN')`,
    /// `queryRunner.rollbackTransaction()`), for a fix; `None` when its
    /// begins do not agree on one.
    pub rollback_call: Option<String>,
    /// A field of the object (`this.client`) on which this method only
    /// begins a transaction that another method of its class only ends: the
    /// transaction outlives the call as the object's state (a query
    /// runner's `startTransaction()`, a unit of work's `begin()`), and ending
    /// it is the caller's, through those methods.
    pub begun_for_object: bool,
    /// A transaction object this function began and keeps in a local
    /// (`const t = await sequelize.transaction()`): no caller can end it,
    /// so a success exit that leaves it open loses it.
    pub object_begun_here: bool,
    /// What the transaction object held here was begun from (`let tx =
    /// pool.begin()` gives `pool`): a write sent through that, while the
    /// transaction is open, runs on another connection outside it.
    pub begun_from: Option<HandleId>,
}

impl Handle {
    /// Whether no variable holds it (see `UNNAMED_HANDLE`).
    pub fn is_unnamed(&self) -> bool {
        self.name == UNNAMED_HANDLE
    }
}

/// How control leaves the function along an exit edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitHow {
    /// A `return` statement (or an expression-bodied arrow's value).
    Return,
    /// The end of the body is reached.
    EndOfBody,
    /// The handle goes out of scope without the function ending (an
    /// iteration of the loop that declared it ends, or `break` or
    /// `continue` leaves it): a transaction object is rolled back there.
    LeavesScope,
    /// A new binding of the handle's name hides it (`let mut tx =
    /// pool.begin()` again): as `LeavesScope`, where its fate is sealed.
    Shadowed,
    /// An exception propagates out (a `throw`, or a call that throws).
    Exception,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EdgeKind {
    Normal,
    /// An exception is raised at `at` (a throwing call or a `throw`).
    Raise {
        at: Span,
    },
    /// The exception raised on this path enters the catch clause `clause`.
    Catch {
        clause: Span,
    },
    /// Enter a `finally` block, remembering which way control must leave it.
    EnterFinally(CompletionId),
    /// Leave a `finally` block the way it was entered.
    LeaveFinally(CompletionId),
    /// Leave the function; `at` is the statement or call responsible.
    Exit {
        how: ExitHow,
        at: Span,
    },
    /// Back to a loop head.
    Back,
    /// The path stops handling an error: what was raised on it no longer
    /// makes its exits error exits (Rust's `return Ok(..)` inside an
    /// `Err(..)` arm is a success).
    Recover,
}

/// What a branch condition asks of a place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Test {
    /// `if (x)`: is the value truthy?
    Truthy,
    /// `if (x == null)`: is the value `null` or `undefined`?
    Nullish,
    /// `if (queryRunner.isTransactionActive)`: is a transaction open on
    /// the handle? Answered from the handle's own state, not a value.
    InTransaction,
    /// `if (queryRunner.isReleased)`: was the handle released? Also
    /// answered from its own state.
    Released,
}

impl Test {
    /// Whether the engine answers it from the handle's own state.
    pub fn asks_state(self) -> bool {
        matches!(self, Test::InTransaction | Test::Released)
    }
}

/// A branch condition on a place (`if (client)`, `if (!committed)`,
/// `client?.release()`): the edge is taken only when `test` gives `holds`.
/// Paths that contradict what the engine knows of the place are dropped,
/// and on a path the answer is remembered for the next test of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Guard {
    pub place: HandleId,
    pub test: Test,
    pub holds: bool,
}

impl Guard {
    pub fn negated(self) -> Guard {
        Guard {
            holds: !self.holds,
            ..self
        }
    }
}

/// What is known of a value assigned to a place; `None` is "could be either".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Known {
    pub truthy: Option<bool>,
    pub nullish: Option<bool>,
}

impl Known {
    /// An object, a client, `true`, a non-empty string.
    pub const TRUTHY: Known = Known {
        truthy: Some(true),
        nullish: Some(false),
    };
    /// `false`, `0`, `''`.
    pub const FALSY: Known = Known {
        truthy: Some(false),
        nullish: Some(false),
    };
    /// `null`, `undefined`, a declaration without a value.
    pub const NULLISH: Known = Known {
        truthy: Some(false),
        nullish: Some(true),
    };
    pub const UNKNOWN: Known = Known {
        truthy: None,
        nullish: None,
    };
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Edge {
    pub to: BlockId,
    pub kind: EdgeKind,
    pub guard: Option<Guard>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Block {
    pub events: Vec<Event>,
    pub edges: Vec<Edge>,
}

/// Which exit block a path ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ExitKind {
    /// A normal (success) exit.
    Normal,
    /// An error exit: an exception leaving the function, Rust's `?` or
    /// `return Err(..)`.
    Error,
}

/// A connection pool constructed in a function (`new Pool({...})`), with
/// what its visible configuration says; `None` is "cannot tell from here".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PoolConstruction {
    pub span: Span,
    /// The variable or field that holds it, if any.
    pub name: Option<String>,
    /// Whether waiting for a free connection is bounded by an option.
    pub bounded_wait: Option<bool>,
    /// Whether the file listens for the pool's `'error'` event.
    pub error_listener: Option<bool>,
    pub scope: PoolScope,
    /// The function closes it (`pool.end()`).
    pub closed: bool,
    /// The module serves requests (exports route handlers, registers
    /// Express-style routes) and does not start the server itself (the
    /// entry module's pool is the app's one): a pool made here is one per
    /// route module.
    pub in_request_module: bool,
}

/// Where a constructed pool lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PoolScope {
    /// Created when the module loads.
    Module,
    /// Created in a function but kept outside it (a lazy singleton).
    Shared,
    /// Created anew by every call of a function.
    PerCall,
}

/// A value a function returns that its callers care about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Returned {
    /// A handle of the function (`return client`).
    Handle(HandleId),
    /// A client checked out by the returned expression itself
    /// (`return pool.connect()`); `lazy` when it connects only when first
    /// used (`return dataSource.createQueryRunner()`, see `Handle::lazy`).
    FreshClient { lazy: bool },
    /// An object built around a handle of the function
    /// (`return new Transaction(client)`).
    Wrapped(HandleId),
    /// A transaction object begun by the returned expression itself
    /// (`return knex.transaction()`).
    TransactionObject,
    /// A handle of the function returned as a field of an object literal
    /// (`return { ok: true, data: t }`).
    InField(HandleId, String),
}

/// Where a `try` statement's parts are in the source, and where control
/// leaves it in the graph: what a fix that moves code into its clauses
/// needs to know, told in spans and blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct TryLayout {
    /// The whole statement.
    pub span: Span,
    /// The `try` block, braces included.
    pub block: Span,
    /// The statements directly in the `try` block, in order.
    pub statements: Vec<Span>,
    /// The statement right before the `try` in the same list, if any.
    pub previous: Option<Span>,
    pub catch: Option<CatchLayout>,
    /// The `finally` block, braces included.
    pub finally: Option<Span>,
    /// The edges (block, index among its edges) by which control leaves the
    /// `try` block and the catch clause: into `finally`, or past the
    /// statement. A statement added at the top of `finally` runs on each.
    pub exits: Vec<(BlockId, usize)>,
    /// The edges by which an exception leaves the `try` block, when there
    /// is no catch clause: where a catch clause added would run.
    pub uncaught: Vec<(BlockId, usize)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CatchLayout {
    /// The whole clause.
    pub span: Span,
    /// Its block, braces included.
    pub body: Span,
    /// The block where the clause's code starts.
    pub entry: BlockId,
}

/// A statement that declares one plain name (`const client = await
/// pool.connect()`, `let client`), for a fix that moves the declaration
/// out of a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Declaration {
    pub span: Span,
    /// `const`, `let` or `var`.
    pub keyword: Span,
    pub name: Span,
    /// The type written after the name (`PoolClient` of `: PoolClient`).
    pub annotation: Option<Span>,
    /// No other declaration of the name in the function.
    pub only_one: bool,
}

/// How errors leave a function in its language, for the words of a label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ErrorModel {
    /// Any call may throw (TypeScript, JavaScript).
    Exceptions,
    /// Errors are returned values; `?` returns one early (Rust).
    ResultReturns,
}

/// One function lowered to the IR.
#[derive(Clone, Debug)]
pub(crate) struct FnFlow {
    /// The function as a user would name it (`POST`, `Repo.save`).
    pub name: String,
    pub span: Span,
    /// An exception leaving this code ends the run, which closes its
    /// connections, so it is no error path: a module's top level, a script's
    /// `main()` called from there, a test setup hook (whose teardown hook
    /// runs when it fails).
    pub errors_end_run: bool,
    /// A test function, or code inside one.
    pub test_code: bool,
    /// An `async` function: `await` may be written in its body.
    pub is_async: bool,
    /// An `async` callback whose promise the function it is passed to
    /// ignores (rxjs's `tap`, `Array.prototype.forEach`), by that
    /// function's name: what it awaits runs after the caller has moved on.
    pub promise_ignored_by: Option<String>,
    /// A call outside any `try` was taken not to throw, as the setup
    /// before one is (see the TypeScript front end's `sync_call_is_quiet`):
    /// not blamed here, it may still throw to the callers.
    pub setup_may_throw: bool,
    pub error_model: ErrorModel,
    /// Pools constructed here.
    pub pools: Vec<PoolConstruction>,
    /// The parameters by position, where each is a plain name.
    pub params: Vec<Option<String>>,
    /// Parameters, by position, whose default value is truthy: a call that
    /// leaves one out passes a truthy value.
    pub truthy_defaults: Vec<usize>,
    /// What `return` statements hand back, for the callers' summaries, and
    /// the block each returns from.
    pub returned: Vec<(Returned, BlockId)>,
    /// Exits, by their span, whose value visibly succeeds (Rust's `return
    /// Ok(..)` or tail `Ok(..)`): where a commit can go before returning.
    pub visible_successes: Vec<Span>,
    /// It returns an object whose disposer (`[Symbol.asyncDispose]`) rolls
    /// back the transaction the object holds and gives its connection
    /// back: a caller's `await using` of it ends both on every way out.
    pub returns_rollback_disposer: bool,
    /// It checks a client out and passes it, as the argument at the second
    /// position, to the callback parameter at the first: the callback API's
    /// continuation (`withConnection(req, res, (conn) => ..)`), which owns
    /// the client from then on.
    pub hands_client_to_callback: Option<(usize, usize)>,
    /// It sends the SQL text it gets at this parameter's position through a
    /// pool (`query: (text, params) => pool.query(text, params)`): a call
    /// with `BEGIN` there sends it to whichever connection the pool picks.
    pub sends_sql_to_pool: Option<usize>,
    /// The `try` statements, for fixes (only front ends that record them).
    pub tries: Vec<TryLayout>,
    /// Declarations of one plain name, for fixes.
    pub declarations: Vec<Declaration>,
    /// The expression statements that are items of a statement list (not
    /// the lone body of an `if` or a loop): removable on their own.
    pub statements: Vec<Span>,
    pub blocks: Vec<Block>,
    pub handles: Vec<Handle>,
    pub entry: BlockId,
    pub normal_exit: BlockId,
    pub error_exit: BlockId,
}

impl FnFlow {
    /// Whether a block that `goal` accepts can be reached from `starts`
    /// (each of them included).
    pub fn reaches(
        &self,
        starts: impl IntoIterator<Item = BlockId>,
        goal: impl Fn(BlockId) -> bool,
    ) -> bool {
        let mut next: Vec<BlockId> = starts.into_iter().collect();
        let mut seen = vec![false; self.blocks.len()];
        while let Some(id) = next.pop() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            if goal(id) {
                return true;
            }
            next.extend(self.blocks[id].edges.iter().map(|edge| edge.to));
        }
        false
    }

    pub fn exit_kind(&self, block: BlockId) -> Option<ExitKind> {
        if block == self.normal_exit {
            Some(ExitKind::Normal)
        } else if block == self.error_exit {
            Some(ExitKind::Error)
        } else {
            None
        }
    }

    /// Every event on `handle` of one kind, in block order.
    pub fn events_of(&self, handle: HandleId, kind: EventKind) -> impl Iterator<Item = &Event> {
        self.blocks
            .iter()
            .flat_map(|b| b.events.iter())
            .filter(move |e| e.handle == handle && e.kind == kind)
    }
}
