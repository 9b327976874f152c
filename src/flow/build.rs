//! The one builder both front ends lower through. It owns the hard part of
//! control flow: where an exception, a `return`, a `break` or a `continue`
//! goes when it crosses `catch` and `finally` clauses. A `finally` body is
//! lowered once; the ways into it are told apart by completion ids that the
//! engine carries along each path (`EnterFinally(c)` … `LeaveFinally(c)`).

use std::collections::HashMap;

use super::{
    Block, BlockId, CompletionId, Declaration, Edge, EdgeKind, ErrorModel, Event, EventKind,
    ExitHow, ExitKind, FnFlow, Guard, Handle, HandleId, PoolConstruction, PoolScope, Returned,
    TryLayout,
};
use crate::source::Span;

/// Where control goes after a `finally` block that it entered on its way
/// somewhere else.
#[derive(Clone, Copy, Debug)]
enum Jump {
    /// Fall out of the `try` statement into the code after it.
    Next(BlockId),
    Return {
        at: Span,
        exit: ExitKind,
    },
    Throw {
        at: Span,
    },
    /// `break`/`continue` to a block owned by an enclosing breakable frame.
    Goto {
        target: BlockId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BreakableKind {
    Loop,
    Switch,
    Labeled,
}

#[derive(Debug)]
enum Frame {
    Try(TryFrame),
    Breakable {
        kind: BreakableKind,
        label: Option<String>,
        break_to: BlockId,
        continue_to: Option<BlockId>,
    },
}

#[derive(Debug)]
struct TryFrame {
    /// Catch entry and the clause's span while the `try` body is lowered.
    catch: Option<(BlockId, Span)>,
    in_catch: bool,
    finally: Option<BlockId>,
    after: BlockId,
    completions: Vec<(CompletionId, Jump)>,
    /// Edges leaving the `try` block and catch clause (see `TryLayout`).
    exits: Vec<(BlockId, usize)>,
    /// Edges an exception leaves the `try` block by, with no catch clause.
    uncaught: Vec<(BlockId, usize)>,
}

/// Where control leaves a `try` statement in the graph (see `TryLayout`).
#[derive(Debug, Default)]
pub(crate) struct TryExits {
    pub exits: Vec<(BlockId, usize)>,
    pub uncaught: Vec<(BlockId, usize)>,
    pub catch_entry: Option<BlockId>,
}

/// Returned by `try_start`; hands the frame back through the later phases.
#[derive(Debug)]
pub(crate) struct TryToken {
    depth: usize,
}

pub(crate) struct FlowBuilder {
    name: String,
    span: Span,
    errors_end_run: bool,
    test_code: bool,
    is_async: bool,
    promise_ignored_by: Option<String>,
    setup_may_throw: bool,
    error_model: ErrorModel,
    pools: Vec<PoolConstruction>,
    params: Vec<Option<String>>,
    truthy_defaults: Vec<usize>,
    returned: Vec<(Returned, BlockId)>,
    visible_successes: Vec<Span>,
    returns_rollback_disposer: bool,
    hands_client_to_callback: Option<(usize, usize)>,
    sends_sql_to_pool: Option<usize>,
    tries: Vec<TryLayout>,
    declarations: Vec<Declaration>,
    statements: Vec<Span>,
    /// Each begun handle's rollback call, `None` once its begins disagree.
    rollback_calls: HashMap<HandleId, Option<String>>,
    blocks: Vec<Block>,
    handles: Vec<Handle>,
    handle_ids: HashMap<String, HandleId>,
    /// Names hidden by `shadow`, innermost last, with the handles they
    /// named.
    shadowed: Vec<(String, Vec<(String, HandleId)>)>,
    current: BlockId,
    frames: Vec<Frame>,
    /// Frames popped for a `finally` body, to resume their completions.
    finished_tries: Vec<TryFrame>,
    next_completion: CompletionId,
    normal_exit: BlockId,
    error_exit: BlockId,
}

impl FlowBuilder {
    pub fn new(name: String, span: Span) -> Self {
        let mut builder = FlowBuilder {
            name,
            span,
            errors_end_run: false,
            test_code: false,
            is_async: false,
            promise_ignored_by: None,
            setup_may_throw: false,
            error_model: ErrorModel::Exceptions,
            pools: Vec::new(),
            params: Vec::new(),
            truthy_defaults: Vec::new(),
            returned: Vec::new(),
            visible_successes: Vec::new(),
            returns_rollback_disposer: false,
            hands_client_to_callback: None,
            sends_sql_to_pool: None,
            tries: Vec::new(),
            declarations: Vec::new(),
            statements: Vec::new(),
            rollback_calls: HashMap::new(),
            blocks: Vec::new(),
            handles: Vec::new(),
            handle_ids: HashMap::new(),
            shadowed: Vec::new(),
            current: 0,
            frames: Vec::new(),
            finished_tries: Vec::new(),
            next_completion: 0,
            normal_exit: 0,
            error_exit: 0,
        };
        builder.current = builder.new_block();
        builder.normal_exit = builder.new_block();
        builder.error_exit = builder.new_block();
        builder
    }

    /// What dropping the handle does (see `Handle`).
    pub fn set_drop_behaviour(
        &mut self,
        handle: HandleId,
        rolls_back: bool,
        returns_to_pool: bool,
    ) {
        let handle = &mut self.handles[handle];
        handle.rolls_back_on_drop |= rolls_back;
        handle.returns_to_pool_on_drop |= returns_to_pool;
    }

    /// The handle holds a transaction object begun here (see
    /// `Handle::object_begun_here`).
    pub fn mark_object_begun_here(&mut self, handle: HandleId) {
        self.handles[handle].object_begun_here = true;
    }

    /// The function's name as a user would say it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next parameter, `None` unless it is a plain name.
    pub fn param(&mut self, name: Option<String>) {
        self.params.push(name);
    }

    /// How many parameters are declared so far: the next one's position.
    pub fn param_count(&self) -> usize {
        self.params.len()
    }

    /// The last parameter's default value is truthy (`retry = true`).
    pub fn truthy_default(&mut self) {
        if let Some(last) = self.params.len().checked_sub(1) {
            self.truthy_defaults.push(last);
        }
    }

    /// A `return` hands back something callers care about.
    pub fn returns(&mut self, value: Returned) {
        self.returned.push((value, self.current));
    }

    /// The pool held by `name` leaves the function (returned, stored,
    /// handed on): it may be made once and shared.
    pub fn pool_kept(&mut self, name: &str) {
        for pool in &mut self.pools {
            if pool.scope == PoolScope::PerCall && pool.name.as_deref() == Some(name) {
                pool.scope = PoolScope::Shared;
            }
        }
    }

    /// The pool held by `name` is closed (`pool.end()`) in the function.
    pub fn pool_closed(&mut self, name: &str) {
        for pool in &mut self.pools {
            if pool.name.as_deref() == Some(name) {
                pool.closed = true;
            }
        }
    }

    /// A pool is constructed in this function.
    pub fn pool_construction(&mut self, pool: PoolConstruction) {
        self.pools.push(pool);
    }

    /// The handle is a pool (see `Handle::pool`).
    pub fn mark_queried(&mut self, handle: HandleId) {
        self.handles[handle].queried = true;
    }

    pub fn mark_pool(&mut self, handle: HandleId) {
        self.handles[handle].pool = true;
    }

    /// The handle is acquired lazily (see `Handle::lazy`).
    pub fn mark_lazy(&mut self, handle: HandleId) {
        self.handles[handle].lazy = true;
    }

    /// The handle refuses statements once released (see
    /// `Handle::refuses_after_release`).
    pub fn mark_refuses_after_release(&mut self, handle: HandleId) {
        self.handles[handle].refuses_after_release = true;
    }

    pub fn set_error_model(&mut self, model: ErrorModel) {
        self.error_model = model;
    }

    pub fn set_test_code(&mut self) {
        self.test_code = true;
    }

    /// The position of the parameter named `name`.
    pub fn param_position(&self, name: &str) -> Option<usize> {
        self.params
            .iter()
            .position(|param| param.as_deref() == Some(name))
    }

    /// The function is `async`: `await` may be written in its body.
    pub fn set_async(&mut self) {
        self.is_async = true;
    }

    /// See `FnFlow::promise_ignored_by`.
    pub fn set_promise_ignored_by(&mut self, callee: &str) {
        self.promise_ignored_by = Some(callee.to_string());
    }

    pub fn is_async(&self) -> bool {
        self.is_async
    }

    /// See `FnFlow::setup_may_throw`.
    pub fn setup_may_throw(&mut self) {
        self.setup_may_throw = true;
    }

    /// See `Handle::begun_from`.
    pub fn set_begun_from(&mut self, handle: HandleId, source: HandleId) {
        self.handles[handle].begun_from = Some(source);
    }

    /// How the transaction object held by `handle` is committed (see
    /// `Handle::commit_statement`).
    pub fn set_commit_statement(&mut self, handle: HandleId, statement: String) {
        self.handles[handle].commit_statement = Some(statement);
    }

    /// How the transaction begun on `handle` is rolled back (see
    /// `Handle::rollback_call`). Begins that disagree leave it unknown.
    pub fn set_rollback_call(&mut self, handle: HandleId, call: Option<String>) {
        match self.rollback_calls.entry(handle) {
            std::collections::hash_map::Entry::Vacant(first) => {
                first.insert(call);
            }
            std::collections::hash_map::Entry::Occupied(mut known) => {
                if *known.get() != call {
                    known.insert(None);
                }
            }
        }
    }

    /// A `try` statement's layout (see `FnFlow::tries`).
    pub fn try_layout(&mut self, layout: TryLayout) {
        self.tries.push(layout);
    }

    /// A declaration of one plain name (see `FnFlow::declarations`).
    pub fn declaration(&mut self, declaration: Declaration) {
        self.declarations.push(declaration);
    }

    /// An expression statement of a statement list (see
    /// `FnFlow::statements`).
    pub fn statement(&mut self, span: Span) {
        self.statements.push(span);
    }

    /// Errors leaving this flow end the run (see `FnFlow::errors_end_run`).
    pub fn set_errors_end_run(&mut self) {
        self.errors_end_run = true;
    }

    pub fn new_block(&mut self) -> BlockId {
        self.blocks.push(Block::default());
        self.blocks.len() - 1
    }

    pub fn current(&self) -> BlockId {
        self.current
    }

    pub fn switch_to(&mut self, block: BlockId) {
        self.current = block;
    }

    /// Continue in a block nothing reaches (code after `return`).
    pub fn start_unreachable(&mut self) {
        self.current = self.new_block();
    }

    /// From here `name` (and every path on it, `name.field`) names another
    /// variable: a block-scoped one has left its scope. Events on it go to
    /// handles of their own until `unshadow`.
    pub fn shadow(&mut self, name: &str) {
        let prefix = format!("{name}.");
        let hidden: Vec<(String, HandleId)> = self
            .handle_ids
            .iter()
            .filter(|(place, _)| *place == name || place.starts_with(&prefix))
            .map(|(place, &id)| (place.clone(), id))
            .collect();
        for (place, _) in &hidden {
            self.handle_ids.remove(place);
        }
        self.shadowed.push((name.to_string(), hidden));
    }

    /// The variable the last `shadow` of `name` hid is named by it again.
    pub fn unshadow(&mut self, name: &str) {
        let Some(at) = self
            .shadowed
            .iter()
            .rposition(|(shadowed, _)| shadowed == name)
        else {
            return;
        };
        let (_, hidden) = self.shadowed.remove(at);
        let prefix = format!("{name}.");
        self.handle_ids
            .retain(|place, _| place != name && !place.starts_with(&prefix));
        self.handle_ids.extend(hidden);
    }

    /// The handle of `place` whether or not its name is in scope here
    /// (see `shadow`): what closes a pool closes every client taken from
    /// it.
    pub fn handle_in_any_scope(&mut self, place: &str) -> HandleId {
        let hidden = self
            .shadowed
            .iter()
            .rev()
            .flat_map(|(_, hidden)| hidden)
            .find(|(name, _)| name == place)
            .map(|&(_, id)| id);
        hidden.unwrap_or_else(|| self.handle(place))
    }

    pub fn handle(&mut self, name: &str) -> HandleId {
        if let Some(&id) = self.handle_ids.get(name) {
            return id;
        }
        let id = self.handles.len();
        self.handles.push(Handle {
            name: name.to_string(),
            rolls_back_on_drop: false,
            returns_to_pool_on_drop: false,
            pool: false,
            queried: false,
            lazy: false,
            refuses_after_release: false,
            commit_statement: None,
            rollback_call: None,
            begun_for_object: false,
            object_begun_here: false,
            begun_from: None,
        });
        self.handle_ids.insert(name.to_string(), id);
        id
    }

    pub fn event(&mut self, kind: EventKind, handle: HandleId, span: Span) {
        self.blocks[self.current]
            .events
            .push(Event { kind, handle, span });
    }

    fn edge(&mut self, from: BlockId, to: BlockId, kind: EdgeKind, guard: Option<Guard>) {
        self.blocks[from].edges.push(Edge { to, kind, guard });
    }

    /// A normal edge from the current block to `to`.
    pub fn goto(&mut self, to: BlockId) {
        self.edge(self.current, to, EdgeKind::Normal, None);
    }

    /// A loop's back edge from the current block to its head.
    pub fn goto_back(&mut self, head: BlockId) {
        self.edge(self.current, head, EdgeKind::Back, None);
    }

    /// Split into a `true` and a `false` successor. `guard` is what the
    /// condition says about a handle when it is true.
    pub fn fork(&mut self, guard: Option<Guard>) -> (BlockId, BlockId) {
        let (then_block, else_block) = (self.new_block(), self.new_block());
        let negated = guard.map(Guard::negated);
        self.edge(self.current, then_block, EdgeKind::Normal, guard);
        self.edge(self.current, else_block, EdgeKind::Normal, negated);
        (then_block, else_block)
    }

    /// Paths that go on together: each of `blocks` continues in a new
    /// block, which becomes the current one.
    pub fn join(&mut self, blocks: &[BlockId]) -> BlockId {
        let joined = self.new_block();
        for &block in blocks {
            self.switch_to(block);
            self.goto(joined);
        }
        self.switch_to(joined);
        joined
    }

    /// The call or `await` at `at` may throw: control may leave here for the
    /// innermost handler, or go on.
    pub fn may_throw(&mut self, at: Span) {
        self.raise(at);
        let next = self.new_block();
        self.goto(next);
        self.current = next;
    }

    /// From here on the path handles an error without leaving (Rust's
    /// `Err(e) => { .. }` arm): like a caught exception, it is an error path
    /// for whatever transaction is open.
    pub fn mark_error_path(&mut self, at: Span) {
        let next = self.new_block();
        self.edge(self.current, next, EdgeKind::Raise { at }, None);
        self.current = next;
    }

    /// A return hands back an object whose disposer rolls back (see
    /// `FnFlow::returns_rollback_disposer`).
    pub fn returns_rollback_disposer(&mut self) {
        self.returns_rollback_disposer = true;
    }

    /// The function hands a client it checked out to its callback
    /// parameter (see `FnFlow::hands_client_to_callback`).
    pub fn hands_client_to_callback(&mut self, parameter: usize, argument: usize) {
        self.hands_client_to_callback
            .get_or_insert((parameter, argument));
    }

    /// The function sends the SQL text of the parameter at `parameter`
    /// through a pool (see `FnFlow::sends_sql_to_pool`).
    pub fn sends_sql_to_pool(&mut self, parameter: usize) {
        self.sends_sql_to_pool.get_or_insert(parameter);
    }

    /// The exit at `at` returns a value that visibly succeeds (see
    /// `FnFlow::visible_successes`).
    pub fn visible_success(&mut self, at: Span) {
        self.visible_successes.push(at);
    }

    /// From here on the path succeeds whatever error it handled (Rust's
    /// `return Ok(..)` in an `Err(..)` arm): its exit is a success exit
    /// for the transaction too.
    pub fn mark_success_path(&mut self) {
        let next = self.new_block();
        self.edge(self.current, next, EdgeKind::Recover, None);
        self.current = next;
    }

    /// A `throw` statement: control leaves only for the handler.
    pub fn throw(&mut self, at: Span) {
        self.raise(at);
        self.start_unreachable();
    }

    fn raise(&mut self, at: Span) {
        let dispatch = self.new_block();
        self.edge(self.current, dispatch, EdgeKind::Raise { at }, None);
        self.jump(dispatch, Jump::Throw { at }, self.frames.len());
    }

    /// `return` (`exit` says whether it is a success or an error exit, as
    /// Rust's `return Err(..)` is).
    pub fn return_(&mut self, at: Span, exit: ExitKind) {
        self.jump(self.current, Jump::Return { at, exit }, self.frames.len());
        self.start_unreachable();
    }

    /// `break` with an optional label. Returns false when there is no target
    /// (a syntax error the parser let through); control then just stops.
    pub fn break_(&mut self, label: Option<&str>) -> bool {
        let target = self.frames.iter().rev().find_map(|frame| match frame {
            Frame::Breakable {
                kind,
                label: l,
                break_to,
                ..
            } => {
                let matches = match label {
                    Some(label) => l.as_deref() == Some(label),
                    None => *kind != BreakableKind::Labeled,
                };
                matches.then_some(*break_to)
            }
            Frame::Try(_) => None,
        });
        self.goto_target(target)
    }

    pub fn continue_(&mut self, label: Option<&str>) -> bool {
        let target = self.frames.iter().rev().find_map(|frame| match frame {
            Frame::Breakable {
                kind: BreakableKind::Loop,
                label: l,
                continue_to,
                ..
            } => {
                let matches = label.is_none_or(|label| l.as_deref() == Some(label));
                if matches { *continue_to } else { None }
            }
            _ => None,
        });
        self.goto_target(target)
    }

    fn goto_target(&mut self, target: Option<BlockId>) -> bool {
        let found = target.is_some();
        if let Some(target) = target {
            self.jump(self.current, Jump::Goto { target }, self.frames.len());
        }
        self.start_unreachable();
        found
    }

    /// Push a loop, `switch` or labelled statement. `continue_to` is where
    /// `continue` goes (loops only).
    pub fn push_breakable(
        &mut self,
        kind: BreakableKind,
        label: Option<String>,
        break_to: BlockId,
        continue_to: Option<BlockId>,
    ) {
        self.frames.push(Frame::Breakable {
            kind,
            label,
            break_to,
            continue_to,
        });
    }

    pub fn pop_breakable(&mut self) {
        debug_assert!(matches!(self.frames.last(), Some(Frame::Breakable { .. })));
        self.frames.pop();
    }

    /// Start a `try` statement; the current block becomes the `try` body.
    /// `catch_clause` is the span of the catch clause, if there is one.
    pub fn try_start(&mut self, catch_clause: Option<Span>, has_finally: bool) -> TryToken {
        let catch = catch_clause.map(|span| (self.new_block(), span));
        let finally = has_finally.then(|| self.new_block());
        let after = self.new_block();
        let body = self.new_block();
        self.goto(body);
        self.current = body;
        self.frames.push(Frame::Try(TryFrame {
            catch,
            in_catch: false,
            finally,
            after,
            completions: Vec::new(),
            exits: Vec::new(),
            uncaught: Vec::new(),
        }));
        TryToken {
            depth: self.frames.len(),
        }
    }

    /// The `try` body is done; continue in the catch clause.
    pub fn try_catch(&mut self, token: &TryToken) {
        self.fall_out_of_try(token);
        let frame = self.try_frame(token);
        frame.in_catch = true;
        let entry = frame.catch.map(|(entry, _)| entry);
        self.current = entry.unwrap_or_else(|| self.new_block());
    }

    /// The `try` body (and catch clause) is done; continue in the `finally`
    /// block. Exceptions inside it go to the enclosing handlers.
    pub fn try_finally(&mut self, token: &TryToken) {
        self.fall_out_of_try(token);
        let frame = match self.frames.pop() {
            Some(Frame::Try(frame)) => frame,
            _ => unreachable!("try_finally without its try frame"),
        };
        self.current = frame.finally.unwrap_or_else(|| self.new_block());
        self.finished_tries.push(frame);
    }

    /// The whole `try` statement is done; continue after it. Call after
    /// `try_finally`, even when the statement has no `finally` block.
    /// Returns where control left it.
    pub fn try_end(&mut self, token: TryToken) -> TryExits {
        // `try_finally` always runs first and parks the frame here.
        let Some(frame) = self.finished_tries.pop() else {
            debug_assert!(false, "try_end without try_finally (depth {})", token.depth);
            return TryExits::default();
        };
        let exits = TryExits {
            exits: frame.exits.clone(),
            uncaught: frame.uncaught.clone(),
            catch_entry: frame.catch.map(|(entry, _)| entry),
        };
        if frame.finally.is_some() {
            let finally_end = self.current;
            for (completion, jump) in frame.completions {
                let resume = self.new_block();
                self.edge(
                    finally_end,
                    resume,
                    EdgeKind::LeaveFinally(completion),
                    None,
                );
                match jump {
                    // Falling out of this `try` goes on right after it,
                    // inside whatever encloses it: no frame is crossed.
                    Jump::Next(after) => self.edge(resume, after, EdgeKind::Normal, None),
                    other => self.jump(resume, other, self.frames.len()),
                }
            }
        }
        self.current = frame.after;
        exits
    }

    /// The try body or catch clause completes normally.
    fn fall_out_of_try(&mut self, token: &TryToken) {
        let after = self.try_frame(token).after;
        self.jump(self.current, Jump::Next(after), token.depth);
    }

    fn try_frame(&mut self, token: &TryToken) -> &mut TryFrame {
        match &mut self.frames[token.depth - 1] {
            Frame::Try(frame) => frame,
            Frame::Breakable { .. } => unreachable!("try token points at a breakable frame"),
        }
    }

    /// Send control from `from` on its way to `jump`, crossing the frames
    /// below `depth` from the innermost out.
    fn jump(&mut self, from: BlockId, jump: Jump, depth: usize) {
        // The edge about to be added leaves every `try` frame it crosses.
        let edge = (from, self.blocks[from].edges.len());
        for index in (0..depth).rev() {
            match &mut self.frames[index] {
                Frame::Try(frame) => {
                    if let (Jump::Throw { .. }, Some((entry, clause)), false) =
                        (jump, frame.catch, frame.in_catch)
                    {
                        self.edge(from, entry, EdgeKind::Catch { clause }, None);
                        return;
                    }
                    frame.exits.push(edge);
                    if matches!(jump, Jump::Throw { .. }) && !frame.in_catch {
                        frame.uncaught.push(edge);
                    }
                    if let Some(finally) = frame.finally {
                        let completion = self.next_completion;
                        self.next_completion += 1;
                        frame.completions.push((completion, jump));
                        self.edge(from, finally, EdgeKind::EnterFinally(completion), None);
                        return;
                    }
                    if let Jump::Next(after) = jump {
                        self.edge(from, after, EdgeKind::Normal, None);
                        return;
                    }
                }
                Frame::Breakable {
                    break_to,
                    continue_to,
                    ..
                } => {
                    if let Jump::Goto { target } = jump
                        && (*break_to == target || *continue_to == Some(target))
                    {
                        self.edge(from, target, EdgeKind::Normal, None);
                        return;
                    }
                }
            }
        }
        match jump {
            Jump::Next(target) | Jump::Goto { target } => {
                self.edge(from, target, EdgeKind::Normal, None)
            }
            Jump::Return { at, exit } => {
                let to = self.exit_block(exit);
                self.edge(
                    from,
                    to,
                    EdgeKind::Exit {
                        how: ExitHow::Return,
                        at,
                    },
                    None,
                );
            }
            Jump::Throw { at } => {
                let to = self.error_exit;
                self.edge(
                    from,
                    to,
                    EdgeKind::Exit {
                        how: ExitHow::Exception,
                        at,
                    },
                    None,
                );
            }
        }
    }

    fn exit_block(&self, exit: ExitKind) -> BlockId {
        match exit {
            ExitKind::Normal => self.normal_exit,
            ExitKind::Error => self.error_exit,
        }
    }

    /// Close the function: falling off the end of the body at `end` is a
    /// normal exit.
    pub fn finish(mut self, end: Span) -> FnFlow {
        for (handle, call) in std::mem::take(&mut self.rollback_calls) {
            self.handles[handle].rollback_call = call;
        }
        let normal_exit = self.normal_exit;
        self.edge(
            self.current,
            normal_exit,
            EdgeKind::Exit {
                how: ExitHow::EndOfBody,
                at: end,
            },
            None,
        );
        FnFlow {
            name: self.name,
            span: self.span,
            errors_end_run: self.errors_end_run,
            test_code: self.test_code,
            is_async: self.is_async,
            promise_ignored_by: self.promise_ignored_by,
            setup_may_throw: self.setup_may_throw,
            error_model: self.error_model,
            pools: self.pools,
            params: self.params,
            truthy_defaults: self.truthy_defaults,
            returned: self.returned,
            visible_successes: self.visible_successes,
            returns_rollback_disposer: self.returns_rollback_disposer,
            hands_client_to_callback: self.hands_client_to_callback,
            sends_sql_to_pool: self.sends_sql_to_pool,
            tries: self.tries,
            declarations: self.declarations,
            statements: self.statements,
            blocks: self.blocks,
            handles: self.handles,
            entry: 0,
            normal_exit,
            error_exit: self.error_exit,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The wiring of `try`/`catch`/`finally`, loops and jumps, checked
    //! through what the engine sees at the exits.

    use super::*;
    use crate::flow::state::{Holding, TxState, analyze};

    fn at(offset: u32) -> Span {
        Span::new(offset, offset + 1)
    }

    /// `(exit kind, how, holding, tx)` for every way out, sorted.
    fn exits(flow: &FnFlow) -> Vec<(ExitKind, ExitHow, Holding, TxState)> {
        let facts = analyze(flow);
        let mut exits: Vec<_> = facts.handles[0]
            .exits
            .iter()
            .map(|e| (e.exit, e.how, e.holding, e.tx))
            .collect();
        exits.sort_by_key(|e| format!("{e:?}"));
        exits.dedup();
        exits
    }

    fn acquired(builder: &mut FlowBuilder) -> HandleId {
        let client = builder.handle("client");
        builder.event(EventKind::Acquire, client, at(1));
        client
    }

    #[test]
    fn finally_runs_on_every_way_out_of_try() {
        // try { if (..) return; mayThrow(); } finally { release }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let token = b.try_start(None, true);
        let (early, rest) = b.fork(None);
        b.switch_to(early);
        b.return_(at(10), ExitKind::Normal);
        b.switch_to(rest);
        b.may_throw(at(20));
        b.try_catch(&token);
        b.try_finally(&token);
        b.event(EventKind::Release, client, at(30));
        b.try_end(token);
        let flow = b.finish(at(40));
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Error,
                    ExitHow::Exception,
                    Holding::Released,
                    TxState::None
                ),
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::Released,
                    TxState::None
                ),
                (
                    ExitKind::Normal,
                    ExitHow::Return,
                    Holding::Released,
                    TxState::None
                ),
            ]
        );
    }

    #[test]
    fn leaving_finally_resumes_the_way_it_was_entered() {
        // A return through finally must not come out as the fall-through,
        // nor the exception as a return.
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let token = b.try_start(None, true);
        b.event(EventKind::Release, client, at(5));
        b.return_(at(10), ExitKind::Normal);
        b.try_catch(&token);
        b.try_finally(&token);
        b.try_end(token);
        // Unreachable: the try body always returns.
        b.event(EventKind::Acquire, client, at(50));
        let flow = b.finish(at(60));
        assert_eq!(
            exits(&flow),
            vec![(
                ExitKind::Normal,
                ExitHow::Return,
                Holding::Released,
                TxState::None
            )]
        );
    }

    #[test]
    fn exception_in_catch_goes_through_finally_then_out() {
        // try { begin; mayThrow } catch { mayThrow (rollback failed) } finally { release }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let token = b.try_start(Some(at(2)), true);
        b.event(EventKind::Begin, client, at(3));
        b.may_throw(at(4));
        b.event(EventKind::Commit, client, at(5));
        b.try_catch(&token);
        b.may_throw(at(6));
        b.event(EventKind::Rollback, client, at(7));
        b.try_finally(&token);
        b.event(EventKind::Release, client, at(8));
        b.try_end(token);
        let flow = b.finish(at(9));
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Error,
                    ExitHow::Exception,
                    Holding::Released,
                    TxState::Open {
                        errored: true,
                        lent: false
                    }
                ),
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::Released,
                    TxState::Ended
                ),
            ]
        );
    }

    #[test]
    fn nested_try_rethrows_to_the_outer_catch() {
        // try { try { mayThrow } finally { release } } catch { return }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let outer = b.try_start(Some(at(1)), false);
        let inner = b.try_start(None, true);
        b.may_throw(at(2));
        b.try_catch(&inner);
        b.try_finally(&inner);
        b.event(EventKind::Release, client, at(3));
        b.try_end(inner);
        b.try_catch(&outer);
        b.return_(at(4), ExitKind::Normal);
        b.try_finally(&outer);
        b.try_end(outer);
        let flow = b.finish(at(5));
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::Released,
                    TxState::None
                ),
                (
                    ExitKind::Normal,
                    ExitHow::Return,
                    Holding::Released,
                    TxState::None
                ),
            ]
        );
        let facts = analyze(&flow);
        let caught = facts.handles[0]
            .exits
            .iter()
            .find(|e| e.how == ExitHow::Return);
        assert_eq!(caught.and_then(|e| e.witness.caught_by), Some(at(1)));
    }

    #[test]
    fn break_out_of_a_loop_runs_the_finally_inside_it() {
        // while (..) { acquire; try { if (..) break; } finally { release } }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = b.handle("client");
        let head = b.new_block();
        b.goto(head);
        b.switch_to(head);
        let (body, exit) = b.fork(None);
        b.push_breakable(BreakableKind::Loop, Some("outer".into()), exit, Some(head));
        b.switch_to(body);
        b.event(EventKind::Acquire, client, at(1));
        let token = b.try_start(None, true);
        let (leave, stay) = b.fork(None);
        b.switch_to(leave);
        assert!(b.break_(Some("outer")));
        b.switch_to(stay);
        b.try_catch(&token);
        b.try_finally(&token);
        b.event(EventKind::Release, client, at(2));
        b.try_end(token);
        b.goto_back(head);
        b.pop_breakable();
        b.switch_to(exit);
        let flow = b.finish(at(3));
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::NotOwned,
                    TxState::None
                ),
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::Released,
                    TxState::None
                ),
            ]
        );
    }

    #[test]
    fn falling_out_of_an_inner_finally_does_not_run_the_outer_one() {
        // try { try { mayThrow } finally { } ; mayThrow } finally { release }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let outer = b.try_start(None, true);
        let inner = b.try_start(None, true);
        b.may_throw(at(2));
        b.try_catch(&inner);
        b.try_finally(&inner);
        b.try_end(inner);
        b.may_throw(at(3));
        b.try_catch(&outer);
        b.try_finally(&outer);
        b.event(EventKind::Release, client, at(4));
        b.try_end(outer);
        let flow = b.finish(at(5));
        let facts = analyze(&flow);
        assert!(
            facts.handles[0].double_releases.is_empty(),
            "{:?}",
            facts.handles[0].double_releases
        );
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Error,
                    ExitHow::Exception,
                    Holding::Released,
                    TxState::None
                ),
                (
                    ExitKind::Normal,
                    ExitHow::EndOfBody,
                    Holding::Released,
                    TxState::None
                ),
            ]
        );
    }

    #[test]
    fn a_visible_success_ends_the_error_path() {
        // begin; Err(e) => { return Ok(..) } or { return; }
        let mut b = FlowBuilder::new("f".into(), at(0));
        let tx = b.handle("tx");
        b.event(EventKind::Begin, tx, at(1));
        b.mark_error_path(at(2));
        let (ok, bare) = b.fork(None);
        b.switch_to(ok);
        b.mark_success_path();
        b.return_(at(3), ExitKind::Normal);
        b.switch_to(bare);
        b.return_(at(4), ExitKind::Normal);
        let flow = b.finish(at(5));
        let open = |errored| TxState::Open {
            errored,
            lent: false,
        };
        assert_eq!(
            exits(&flow),
            vec![
                (
                    ExitKind::Normal,
                    ExitHow::Return,
                    Holding::NotOwned,
                    open(false)
                ),
                (
                    ExitKind::Normal,
                    ExitHow::Return,
                    Holding::NotOwned,
                    open(true)
                ),
            ]
        );
    }

    #[test]
    fn guards_drop_paths_that_contradict_the_handle() {
        // acquire; if (client) release  — the `unset` side cannot happen.
        let mut b = FlowBuilder::new("f".into(), at(0));
        let client = acquired(&mut b);
        let (set, unset) = b.fork(Some(Guard {
            place: client,
            test: crate::flow::Test::Truthy,
            holds: true,
        }));
        let after = b.new_block();
        b.switch_to(set);
        b.event(EventKind::Release, client, at(2));
        b.goto(after);
        b.switch_to(unset);
        b.goto(after);
        b.switch_to(after);
        let flow = b.finish(at(3));
        assert_eq!(
            exits(&flow),
            vec![(
                ExitKind::Normal,
                ExitHow::EndOfBody,
                Holding::Released,
                TxState::None
            )]
        );
    }
}
