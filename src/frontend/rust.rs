//! Rust front end: parses with `syn` and lowers every `fn`, method, closure
//! and `async` block into a `FnFlow`. Errors are values here: `?`, `return
//! Err(..)` and `bail!` are the error exits; panics are not paths. Transaction
//! objects roll back when dropped and pooled connections go back to their
//! pool, which the handles record for the rules.

use std::collections::HashMap;

use proc_macro2::Span as SynSpan;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, ImplItemFn, ItemFn, Lit, Macro, Member, Pat, Stmt, TraitItemFn};

use super::{LowerError, LoweredFile, MAX_NESTING, check_bracket_depth};
use crate::diagnostic::in_message_style;
use crate::drivers::{
    Effect, Receiver, TxStatement, Vocabulary, sql_writes, transaction_statements,
};
use crate::flow::build::{BreakableKind, FlowBuilder};
use crate::flow::{ErrorModel, EventKind, ExitKind, FnFlow, Guard, Test};
use crate::source::Span;

pub(crate) fn lower_file(text: &str, vocabulary: &Vocabulary) -> Result<LoweredFile, LowerError> {
    // syn would strip these itself, shifting every offset; strip them here
    // and add the length back.
    let base = prefix_len(text);
    check_bracket_depth(text)?;
    let parsed = syn::parse_str::<syn::File>(&text[base..]);
    let result = match parsed {
        Ok(file) => {
            let mut collector = Collector::new(FileFacts::collect(&file, text, vocabulary), base);
            collector.visit_file(&file);
            // Functions of this file that begin or end a transaction on a
            // connection they are passed change what their calls mean:
            // lower again, knowing them.
            let helpers = transaction_helpers(&collector.flows);
            if !helpers.is_empty() {
                let mut facts = collector.file;
                facts.transaction_helpers = helpers;
                collector = Collector::new(facts, base);
                collector.visit_file(&file);
            }
            drop_reads_of_own_functions(&mut collector.flows, &collector.lends, &collector.quiet);
            match collector.too_deep {
                Some(span) => Err(LowerError {
                    span,
                    message: format!(
                        "nesting too deep to analyse (more than {MAX_NESTING} levels)"
                    ),
                }),
                None => Ok(LoweredFile {
                    interface: Default::default(),
                    flows: collector.flows,
                    recovered_error: None,
                }),
            }
        }
        Err(err) => Err(syntax_error(base, &err)),
    };
    // Spans live in a thread-wide source map; every offset has been taken.
    proc_macro2::extra::invalidate_current_thread_spans();
    result
}

/// Parse only, for measuring the parser's share of a run: the syntax error,
/// if any.
pub(crate) fn parse_only(text: &str) -> Option<LowerError> {
    let base = prefix_len(text);
    if let Err(error) = check_bracket_depth(text) {
        return Some(error);
    }
    let error = syn::parse_str::<syn::File>(&text[base..])
        .err()
        .map(|err| syntax_error(base, &err));
    proc_macro2::extra::invalidate_current_thread_spans();
    error
}

/// A byte-order mark and a `#!` line that is not an inner attribute.
fn prefix_len(text: &str) -> usize {
    let mut base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[base..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        base += rest.find('\n').unwrap_or(rest.len());
    }
    base
}

/// syn's error in txlint's style, at file offsets (`base` was stripped).
fn syntax_error(base: usize, err: &syn::Error) -> LowerError {
    let message = in_message_style(&err.to_string());
    LowerError {
        span: to_span(base, err.span()),
        message: if message.is_empty() {
            "syntax error".to_string()
        } else {
            message
        },
    }
}

/// File-wide facts: `const NAME: &str = "SQL";` bindings, and the types of
/// struct fields (`store: Arc<dyn CryptoStore>`), by struct and field.
struct FileFacts<'v> {
    const_strings: Vec<(String, String)>,
    field_types: HashMap<(String, String), String>,
    vocabulary: &'v Vocabulary,
    /// Offsets, in order, where a word of the vocabulary starts.
    named_at: Vec<u32>,
    /// Functions of this file, by last name, that begin or end the
    /// transaction of a connection passed to them (see
    /// `transaction_helpers`).
    transaction_helpers: HashMap<String, TransactionHelper>,
}

/// What a function does to the transaction of the connection passed at a
/// position: `begin(&mut conn)?` leaves one open on it, `finish(&mut
/// conn)?` commits or rolls it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransactionHelper {
    Begins(usize),
    Ends(usize),
}

impl<'v> FileFacts<'v> {
    fn collect(file: &syn::File, text: &str, vocabulary: &'v Vocabulary) -> FileFacts<'v> {
        #[derive(Default)]
        struct Found {
            consts: Vec<(String, String)>,
            fields: HashMap<(String, String), String>,
        }
        impl<'ast> Visit<'ast> for Found {
            fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
                if let Some(text) = string_literal(&item.expr) {
                    self.consts.push((item.ident.to_string(), text));
                }
            }
            fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
                for field in &item.fields {
                    if let Some(name) = &field.ident {
                        self.fields.insert(
                            (item.ident.to_string(), name.to_string()),
                            type_text(&field.ty),
                        );
                    }
                }
            }
        }
        let mut found = Found::default();
        found.visit_file(file);
        FileFacts {
            const_strings: found.consts,
            field_types: found.fields,
            vocabulary,
            named_at: vocabulary.words_at(text),
            transaction_helpers: HashMap::new(),
        }
    }

    /// The SQL text of an argument: a literal or a `const` of this file.
    fn sql_text(&self, expr: &Expr) -> Option<String> {
        match peel(expr) {
            Expr::Path(path) => {
                let name = path.path.segments.last()?.ident.to_string();
                self.const_strings
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, text)| text.clone())
            }
            other => string_literal(other),
        }
    }
}

/// Finds every function-like item and names it as a user would.
struct Collector<'v> {
    file: FileFacts<'v>,
    base: usize,
    /// The enclosing `impl` type or trait, for `Type::method`.
    owner: Vec<String>,
    /// Inside a test function or a `#[cfg(test)]` item.
    in_test: usize,
    flows: Vec<FnFlow>,
    /// Per flow, the writes recorded for lending a transaction to a call.
    lends: Vec<Vec<(String, Span)>>,
    /// Functions not lowered because they name nothing to follow.
    quiet: Vec<String>,
    too_deep: Option<Span>,
}

impl<'v> Collector<'v> {
    fn new(file: FileFacts<'v>, base: usize) -> Collector<'v> {
        Collector {
            file,
            base,
            owner: Vec::new(),
            in_test: 0,
            flows: Vec::new(),
            lends: Vec::new(),
            quiet: Vec::new(),
            too_deep: None,
        }
    }

    fn at(&self, span: SynSpan) -> Span {
        to_span(self.base, span)
    }

    /// Lower a function, method or default trait method.
    fn lower_fn(&mut self, signature: &syn::Signature, block: &Block) {
        let span = self.fn_span(signature, block);
        self.lower(
            self.name(&signature.ident),
            span,
            Some(signature),
            FnBody::Block(block),
        );
    }

    /// A function's span, from `fn` to its closing brace: taken from those
    /// two tokens, not from every token of the item.
    fn fn_span(&self, signature: &syn::Signature, block: &Block) -> Span {
        Span::new(
            self.at(signature.fn_token.span).start,
            self.at(block.brace_token.span.close()).end,
        )
    }

    /// Visit an item, counting it as test code when its attributes say so.
    fn visit_marked(&mut self, attrs: &[syn::Attribute], visit: impl FnOnce(&mut Self)) {
        let test = attrs.iter().any(is_test_attribute);
        self.in_test += usize::from(test);
        visit(self);
        self.in_test -= usize::from(test);
    }

    fn name(&self, ident: &syn::Ident) -> String {
        match self.owner.last() {
            Some(owner) => format!("{owner}::{ident}"),
            None => ident.to_string(),
        }
    }

    fn lower(
        &mut self,
        name: String,
        span: Span,
        signature: Option<&syn::Signature>,
        body: FnBody,
    ) {
        // Most functions of a crate never touch a database: one whose text
        // names nothing of the vocabulary has nothing to follow. Its name
        // is kept: a transaction lent to it is not written through.
        let first = self.file.named_at.partition_point(|&at| at < span.start);
        if self
            .file
            .named_at
            .get(first)
            .is_none_or(|&at| at >= span.end)
        {
            self.quiet.push(name);
            return;
        }
        let mut lowerer = Lowerer::new(&self.file, self.base, name, span);
        if self.in_test > 0 {
            lowerer.builder.set_test_code();
        }
        lowerer.owner = self.owner.last().cloned();
        if let Some(signature) = signature {
            lowerer.typed_params(signature);
        }
        lowerer.body(body);
        if let Some(span) = lowerer.too_deep {
            self.too_deep.get_or_insert(span);
        }
        let end = Span::new(span.end.saturating_sub(1), span.end);
        self.lends.push(std::mem::take(&mut lowerer.lends));
        self.flows.push(lowerer.builder.finish(end));
    }
}

enum FnBody<'a> {
    Block(&'a Block),
    Expr(&'a Expr),
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        self.visit_marked(&item.attrs, |this| {
            this.lower_fn(&item.sig, &item.block);
            syn::visit::visit_item_fn(this, item);
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        self.visit_marked(&item.attrs, |this| {
            this.lower_fn(&item.sig, &item.block);
            syn::visit::visit_impl_item_fn(this, item);
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast TraitItemFn) {
        if let Some(block) = &item.default {
            self.lower_fn(&item.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let owner = match &*item.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        self.owner
            .push(owner.unwrap_or_else(|| "<impl>".to_string()));
        self.visit_marked(&item.attrs, |this| syn::visit::visit_item_impl(this, item));
        self.owner.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.owner.push(item.ident.to_string());
        syn::visit::visit_item_trait(self, item);
        self.owner.pop();
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let name = format!(
            "{}::{{closure}}",
            self.owner.last().map_or("<fn>", String::as_str)
        );
        // From the first `|` to the body's end (a block's closing brace).
        let start = self.at(closure.inputs_begin.span).start;
        let end = match &*closure.body {
            Expr::Block(block) => self.at(block.block.brace_token.span.close()).end,
            body => self.at(body.span()).end,
        };
        self.lower(
            name,
            Span::new(start, end),
            None,
            FnBody::Expr(&closure.body),
        );
        syn::visit::visit_expr_closure(self, closure);
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        let name = format!(
            "{}::{{async block}}",
            self.owner.last().map_or("<fn>", String::as_str)
        );
        let span = Span::new(
            self.at(block.async_token.span).start,
            self.at(block.block.brace_token.span.close()).end,
        );
        self.lower(name, span, None, FnBody::Block(&block.block));
        syn::visit::visit_expr_async(self, block);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // A module starts a new naming scope for its items.
        let saved = std::mem::take(&mut self.owner);
        self.visit_marked(&item.attrs, |this| syn::visit::visit_item_mod(this, item));
        self.owner = saved;
    }
}

/// What an owned handle is, for what dropping it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owned {
    Transaction,
    /// A pooled connection: dropped, it goes back to its pool.
    Connection,
    /// A connection this function opened (`Connection::open(..)`):
    /// dropped, it closes, which ends any transaction open on it.
    Closes,
}

/// What an expression evaluates to, as far as handles go.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Nothing,
    /// A variable or field path (`tx`, `self.pool`), moved when used by value.
    Place(String),
    /// A borrow of a place (`&mut *tx`, `&conn`): a use, not a move.
    Borrowed(String),
    /// A raw `BEGIN` sent on `place`, which opens the transaction only once
    /// the call is known to have succeeded (after its `?`, or when the
    /// result is used).
    Begins {
        place: String,
        span: Span,
    },
    /// A new transaction object that rolls back when dropped.
    TransactionObject(Span),
    /// A connection checked out of a pool, given back when dropped.
    PooledConnection(Span),
    /// What a statement that writes on `place` returned (its row count, its
    /// optional row): a test of it can tell that the write changed nothing.
    Wrote {
        place: String,
        span: Span,
    },
    /// A statement prepared on `place` (`conn.prepare("..")?`), not yet
    /// run; its SQL text where it can be read.
    Prepared {
        place: String,
        sql: Option<String>,
    },
    /// A branch condition that tests whether a pending BEGIN ran: it ran
    /// on the branch where the condition is the `bool` given.
    BeginTest(Box<Value>, bool),
}

/// A branch condition that holds exactly when the write at `span` on
/// `place` changed nothing (`if res.rows_affected() == 0`, `let Some(row)
/// = .. else`): on that branch the transaction has nothing to lose.
struct ZeroRows {
    place: String,
    span: Span,
    /// The condition holding means zero rows (else: its failing does).
    when_true: bool,
}

struct Lowerer<'a> {
    file: &'a FileFacts<'a>,
    base: usize,
    builder: FlowBuilder,
    /// Handles this function holds by value (bound from a `begin()` or a
    /// pool's `get()`): the only ones a call can move away, by name, with
    /// whether dropping one rolls back (a transaction) or returns it (a
    /// pooled connection).
    owned: HashMap<String, Owned>,
    /// Owned handles in the order their `let`s ran, and for each enclosing
    /// loop how many were declared outside it: leaving an iteration drops
    /// what the iteration declared.
    declared: Vec<String>,
    loops: Vec<(Option<String>, usize)>,
    /// Variables bound to what a write returned (see `Value::Wrote`).
    write_results: HashMap<String, (String, Span)>,
    /// SQL text bound to local variables (`let sql = "BEGIN";`), and
    /// statements pushed onto local vectors to be joined.
    local_texts: HashMap<String, String>,
    local_lists: HashMap<String, Vec<String>>,
    /// Statements prepared into local variables (see `Value::Prepared`).
    prepared: HashMap<String, (String, Option<String>)>,
    /// Writes recorded because a transaction was lent to a call, with the
    /// called function's name.
    lends: Vec<(String, Span)>,
    /// Locals holding a `Result` that a branch tested (`is_ok()`).
    tested_results: std::collections::HashSet<String>,
    /// The `impl` type the function belongs to, for `self.field` types.
    owner: Option<String>,
    /// Parameters with a concrete type (`store: &CryptoStore`); a generic
    /// one (`db: A`) is not known.
    param_types: HashMap<String, String>,
    /// The method takes `self` by value: its fields are dropped with it.
    self_by_value: bool,
    depth: usize,
    too_deep: Option<Span>,
}

impl<'a> Lowerer<'a> {
    fn new(file: &'a FileFacts<'a>, base: usize, name: String, span: Span) -> Self {
        let mut builder = FlowBuilder::new(name, span);
        builder.set_error_model(ErrorModel::ResultReturns);
        Lowerer {
            file,
            base,
            builder,
            owned: HashMap::new(),
            declared: Vec::new(),
            loops: Vec::new(),
            write_results: HashMap::new(),
            local_texts: HashMap::new(),
            local_lists: HashMap::new(),
            prepared: HashMap::new(),
            lends: Vec::new(),
            tested_results: std::collections::HashSet::new(),
            owner: None,
            param_types: HashMap::new(),
            self_by_value: false,
            depth: 0,
            too_deep: None,
        }
    }

    fn span(&self, span: SynSpan) -> Span {
        to_span(self.base, span)
    }

    fn body(&mut self, body: FnBody) {
        match body {
            // Falling off the body's end is the function's end of body.
            FnBody::Block(block) if !matches!(block.stmts.last(), Some(Stmt::Expr(_, None))) => {
                let value = self.block(block);
                self.settle(value);
            }
            FnBody::Block(block) => self.tail_block(block),
            FnBody::Expr(expr) => self.tail(expr),
        }
    }

    /// A block whose value is the function's result.
    fn tail_block(&mut self, block: &Block) {
        let Some((Stmt::Expr(tail, None), init)) = block.stmts.split_last() else {
            // Falling off the end of a block in tail position returns `()`.
            let value = self.block(block);
            self.settle(value);
            let end = self.span(block.brace_token.span.close());
            self.builder.return_(end, ExitKind::Normal);
            return;
        };
        let value = self.stmts(init);
        self.settle(value);
        self.tail(tail);
    }

    /// An expression whose value is the function's result: each arm of a
    /// `match` or `if` in that position returns on its own, so an `Err(..)`
    /// arm is an error exit and an `Ok(..)` arm a success exit.
    fn tail(&mut self, expr: &Expr) {
        if !self.enter(expr) {
            return;
        }
        match peel(expr) {
            Expr::Match(match_expr) => {
                let scrutinee = self.expr(&match_expr.expr);
                let dispatch = self.builder.current();
                for arm in &match_expr.arms {
                    let entry = self.builder.new_block();
                    self.builder.switch_to(dispatch);
                    self.builder.goto(entry);
                    self.builder.switch_to(entry);
                    self.enter_arm(&scrutinee, &arm.pat);
                    self.tail(&arm.body);
                }
                self.builder.start_unreachable();
            }
            Expr::If(if_expr) => {
                let (scrutinee, pattern, zero_rows) = self.condition(&if_expr.cond);
                let guard = self.result_test(&if_expr.cond);
                let (then_block, else_block) = self.builder.fork(guard);
                self.builder.switch_to(then_block);
                self.wrote_nothing_if(zero_rows.as_ref(), true);
                self.enter_then(&scrutinee, pattern);
                if Self::is_error_test(&if_expr.cond) {
                    let span = self.span(if_expr.cond.span());
                    self.builder.mark_error_path(span);
                }
                self.tail_block(&if_expr.then_branch);
                self.builder.switch_to(else_block);
                self.wrote_nothing_if(zero_rows.as_ref(), false);
                self.enter_else(&scrutinee, pattern);
                match &if_expr.else_branch {
                    Some((_, else_branch)) => self.tail(else_branch),
                    None => self
                        .builder
                        .return_(self.span(if_expr.span()), ExitKind::Normal),
                }
            }
            Expr::Block(block) if block.label.is_none() => self.tail_block(&block.block),
            Expr::Unsafe(block) => self.tail_block(&block.block),
            other => {
                let value = self.expr(other);
                self.exit_with(other, value);
            }
        }
        self.depth -= 1;
    }

    /// Leave the function with the value of `expr` (its tail or `return`).
    fn exit_with(&mut self, expr: &Expr, value: Value) {
        self.settle(value.clone());
        self.escape(&value, &expr);
        self.return_result(expr, self.span(expr.span()));
    }

    /// Return `expr`: an error exit for `Err(..)`; for a `Result` kept in
    /// a local that a branch tested (`if result.is_ok() { tx.commit()?; }
    /// result`), an error exit exactly where that test said it failed.
    fn return_result(&mut self, expr: &Expr, at: Span) {
        if is_err_constructor(expr) {
            self.builder.return_(at, ExitKind::Error);
            return;
        }
        let tested = place_of(expr).filter(|place| self.tested_results.contains(place));
        let Some(place) = tested else {
            self.builder.return_(at, ExitKind::Normal);
            return;
        };
        let guard = self.result_guard(&place, true);
        let (ok, err) = self.builder.fork(Some(guard));
        self.builder.switch_to(ok);
        self.builder.return_(at, ExitKind::Normal);
        self.builder.switch_to(err);
        self.builder.return_(at, ExitKind::Error);
    }

    /// `result.is_ok()` / `result.is_err()` on a local: the branch says
    /// which the result is, for a later return of it.
    fn result_test(&mut self, condition: &Expr) -> Option<Guard> {
        let Expr::MethodCall(call) = peel(condition) else {
            return None;
        };
        let ok = match call.method.to_string().as_str() {
            "is_ok" => true,
            "is_err" => false,
            _ => return None,
        };
        let place = place_of(&call.receiver).filter(|p| !p.contains('.'))?;
        self.tested_results.insert(place.clone());
        Some(self.result_guard(&place, ok))
    }

    fn result_guard(&mut self, place: &str, ok: bool) -> Guard {
        Guard {
            place: self.builder.handle(&format!("{place}.is_ok()")),
            test: Test::Truthy,
            holds: ok,
        }
    }

    /// Guards recursion on deeply nested input; false means stop descending.
    /// (A syn node's span is computed from all its tokens: only on the way
    /// out.)
    fn enter<T: Spanned + ?Sized>(&mut self, node: &T) -> bool {
        if self.depth >= MAX_NESTING {
            if self.too_deep.is_none() {
                self.too_deep = Some(self.span(node.span()));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn event(&mut self, kind: EventKind, place: &str, span: Span) {
        let handle = self.builder.handle(place);
        self.builder.event(kind, handle, span);
    }

    /// A pending raw `BEGIN` takes effect: the call succeeded.
    fn settle(&mut self, value: Value) {
        if let Value::Begins { place, span } = value {
            self.event(EventKind::Begin, &place, span);
        }
    }

    /// The value leaves the function's hands (moved into a call, a struct,
    /// returned).
    fn escape<T: Spanned + ?Sized>(&mut self, value: &Value, node: &T) {
        // Only what this function bound by value can be moved away; a
        // parameter like `conn: &mut PgConnection` is passed on by reborrow.
        if let Value::Place(place) = value
            && self.owned.contains_key(place)
        {
            let span = self.span(node.span());
            self.event(EventKind::Escape, place, span);
        }
    }

    fn bind<T: Spanned + ?Sized>(&mut self, name: &str, value: Value, node: &T) {
        match value {
            Value::TransactionObject(at) => {
                self.owned.insert(name.to_string(), Owned::Transaction);
                self.declared.push(name.to_string());
                let handle = self.builder.handle(name);
                self.builder.set_drop_behaviour(handle, true, false);
                self.builder.event(EventKind::Begin, handle, at);
            }
            Value::PooledConnection(at) => {
                self.owned.insert(name.to_string(), Owned::Connection);
                self.declared.push(name.to_string());
                let handle = self.builder.handle(name);
                self.builder.set_drop_behaviour(handle, false, true);
                self.builder.event(EventKind::Acquire, handle, at);
            }
            Value::Wrote { place, span } => {
                self.write_results.insert(name.to_string(), (place, span));
            }
            Value::Prepared { place, sql } => {
                self.prepared.insert(name.to_string(), (place, sql));
            }
            // `let other = tx;` moves it: no longer tracked under this name.
            other => {
                self.write_results.remove(name);
                self.prepared.remove(name);
                self.settle(other.clone());
                self.escape(&other, node);
            }
        }
    }

    // ---- blocks and statements ----

    /// Lower a block; its value is the tail expression's.
    fn block(&mut self, block: &Block) -> Value {
        self.stmts(&block.stmts)
    }

    fn stmts(&mut self, stmts: &[Stmt]) -> Value {
        let mut value = Value::Nothing;
        for (index, stmt) in stmts.iter().enumerate() {
            let last = index + 1 == stmts.len();
            match stmt {
                Stmt::Local(local) => self.local(local),
                Stmt::Expr(expr, None) if last => value = self.expr(expr),
                Stmt::Expr(expr, _) => {
                    let value = self.expr(expr);
                    self.settle(value);
                }
                Stmt::Macro(stmt) => self.macro_call(&stmt.mac),
                Stmt::Item(_) => {}
            }
        }
        value
    }

    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        if let Some(name) = binding_name(&local.pat) {
            match self.sql_text(&init.expr) {
                Some(text) => self.local_texts.insert(name.clone(), text),
                None => self.local_texts.remove(&name),
            };
            match self.statement_list(&init.expr) {
                Some(list) => self.local_lists.insert(name, list),
                None => self.local_lists.remove(&name),
            };
        }
        let value = self.expr(&init.expr);
        if let Some((_, diverge)) = &init.diverge {
            // `let PAT = value else { return .. };`: the pattern may not match.
            let (matched, other) = self.builder.fork(None);
            self.builder.switch_to(other);
            if let Value::Wrote { place, span } = &value
                && zero_rows_pattern(&local.pat) == Some(false)
            {
                self.event(EventKind::WroteNothing, place, *span);
            }
            let value = self.expr(diverge);
            self.settle(value);
            self.builder.start_unreachable();
            self.builder.switch_to(matched);
        }
        match binding_name(&local.pat).or_else(|| success_binding(&local.pat)) {
            Some(name) if value == Value::Nothing && opens_connection(&init.expr) => {
                self.owned.insert(name.clone(), Owned::Closes);
                self.declared.push(name);
            }
            Some(name) => self.bind(&name, value, &init.expr),
            None => {
                self.settle(value.clone());
                self.escape(&value, &init.expr);
            }
        }
    }

    // ---- expressions ----

    fn expr(&mut self, expr: &Expr) -> Value {
        if !self.enter(expr) {
            return Value::Nothing;
        }
        let value = self.expr_inner(expr);
        self.depth -= 1;
        value
    }

    fn expr_inner(&mut self, expr: &Expr) -> Value {
        match expr {
            Expr::Path(_) | Expr::Field(_) => match place_of(expr) {
                Some(place) => {
                    if let Some((written, span)) = self.write_results.get(&place) {
                        Value::Wrote {
                            place: written.clone(),
                            span: *span,
                        }
                    } else if let Some((on, sql)) = self.prepared.get(&place) {
                        Value::Prepared {
                            place: on.clone(),
                            sql: sql.clone(),
                        }
                    } else {
                        Value::Place(place)
                    }
                }
                None => Value::Nothing,
            },
            Expr::Paren(inner) => self.expr(&inner.expr),
            Expr::Group(inner) => self.expr(&inner.expr),
            Expr::Reference(reference) => match self.expr(&reference.expr) {
                Value::Place(place) | Value::Borrowed(place) => Value::Borrowed(place),
                other => other,
            },
            Expr::Unary(unary) => match self.expr(&unary.expr) {
                // `*tx` reaches through the transaction; it does not move it.
                Value::Place(place) | Value::Borrowed(place)
                    if matches!(unary.op, syn::UnOp::Deref(_)) =>
                {
                    Value::Borrowed(place)
                }
                other => {
                    self.settle(other);
                    Value::Nothing
                }
            },
            Expr::Await(await_expr) => self.expr(&await_expr.base),
            Expr::Try(try_expr) => {
                let value = self.expr(&try_expr.expr);
                let span = self.span(try_expr.question_token.span);
                self.builder.may_throw(span);
                self.settle(value.clone());
                match value {
                    Value::Begins { .. } => Value::Nothing,
                    other => other,
                }
            }
            Expr::MethodCall(call) => self.method_call(call),
            Expr::Call(call) => self.call(call),
            Expr::Macro(mac) => {
                self.macro_call(&mac.mac);
                Value::Nothing
            }
            Expr::Return(ret) => {
                match &ret.expr {
                    Some(value_expr) => {
                        let value = self.expr(value_expr);
                        self.settle(value.clone());
                        self.escape(&value, &value_expr);
                        self.return_result(value_expr, self.span(ret.span()));
                    }
                    None => self
                        .builder
                        .return_(self.span(ret.span()), ExitKind::Normal),
                }
                Value::Nothing
            }
            Expr::Block(block) => self.labeled_block(block.label.as_ref(), &block.block),
            Expr::Unsafe(block) => self.block(&block.block),
            Expr::If(if_expr) => {
                let (scrutinee, pattern, zero_rows) = self.condition(&if_expr.cond);
                let guard = self.result_test(&if_expr.cond);
                let (then_block, else_block) = self.builder.fork(guard);
                let after = self.builder.new_block();
                self.builder.switch_to(then_block);
                self.wrote_nothing_if(zero_rows.as_ref(), true);
                self.enter_then(&scrutinee, pattern);
                if Self::is_error_test(&if_expr.cond) {
                    let span = self.span(if_expr.cond.span());
                    self.builder.mark_error_path(span);
                }
                let value = self.block(&if_expr.then_branch);
                self.settle(value);
                self.builder.goto(after);
                self.builder.switch_to(else_block);
                self.wrote_nothing_if(zero_rows.as_ref(), false);
                self.enter_else(&scrutinee, pattern);
                if let Some((_, else_branch)) = &if_expr.else_branch {
                    let value = self.expr(else_branch);
                    self.settle(value);
                }
                self.builder.goto(after);
                self.builder.switch_to(after);
                Value::Nothing
            }
            Expr::Let(let_expr) => {
                let value = self.expr(&let_expr.expr);
                self.settle(value);
                Value::Nothing
            }
            Expr::Match(match_expr) => {
                let scrutinee = self.expr(&match_expr.expr);
                let dispatch = self.builder.current();
                let after = self.builder.new_block();
                // `match pool.begin().await { Ok(tx) => tx, Err(e) => return .. }`
                // evaluates to the transaction.
                let mut result = Value::Nothing;
                for arm in &match_expr.arms {
                    let entry = self.builder.new_block();
                    self.builder.switch_to(dispatch);
                    self.builder.goto(entry);
                    self.builder.switch_to(entry);
                    let passes_on = success_binding(&arm.pat)
                        .is_some_and(|name| place_of(&arm.body) == Some(name));
                    if passes_on
                        && matches!(
                            scrutinee,
                            Value::TransactionObject(_) | Value::PooledConnection(_)
                        )
                    {
                        result = scrutinee.clone();
                    } else {
                        self.enter_arm(&scrutinee, &arm.pat);
                        let value = self.expr(&arm.body);
                        self.settle(value);
                    }
                    self.builder.goto(after);
                }
                self.builder.switch_to(after);
                result
            }
            Expr::Loop(loop_expr) => {
                let head = self.builder.new_block();
                let exit = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                self.loop_body(loop_expr.label.as_ref(), exit, head, &loop_expr.body);
                self.builder.switch_to(exit);
                Value::Nothing
            }
            Expr::While(while_expr) => {
                let head = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                let condition = self.expr(&while_expr.cond);
                self.settle(condition);
                let (body, exit) = self.builder.fork(None);
                self.builder.switch_to(body);
                self.loop_body(while_expr.label.as_ref(), exit, head, &while_expr.body);
                self.builder.switch_to(exit);
                Value::Nothing
            }
            Expr::ForLoop(for_expr) => {
                let iterated = self.expr(&for_expr.expr);
                self.settle(iterated);
                let head = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                let (body, exit) = self.builder.fork(None);
                self.builder.switch_to(body);
                self.loop_body(for_expr.label.as_ref(), exit, head, &for_expr.body);
                self.builder.switch_to(exit);
                Value::Nothing
            }
            Expr::Break(break_expr) => {
                if let Some(value_expr) = &break_expr.expr {
                    let value = self.expr(value_expr);
                    self.settle(value);
                }
                let label = break_expr.label.as_ref().map(|l| l.ident.to_string());
                if let Some(mark) = self.loop_mark(label.as_deref()) {
                    let span = self.span(break_expr.break_token.span);
                    self.drop_since(mark, span);
                }
                self.builder.break_(label.as_deref());
                Value::Nothing
            }
            Expr::Continue(continue_expr) => {
                let label = continue_expr.label.as_ref().map(|l| l.ident.to_string());
                if let Some(mark) = self.loop_mark(label.as_deref()) {
                    let span = self.span(continue_expr.continue_token.span);
                    self.drop_since(mark, span);
                }
                self.builder.continue_(label.as_deref());
                Value::Nothing
            }
            Expr::Assign(assign) => {
                let value = self.expr(&assign.right);
                self.settle(value.clone());
                self.escape(&value, &assign.right);
                Value::Nothing
            }
            Expr::Struct(literal) => {
                for field in &literal.fields {
                    let value = self.expr(&field.expr);
                    self.settle(value.clone());
                    self.escape(&value, &field.expr);
                }
                if let Some(rest) = &literal.rest {
                    self.expr(rest);
                }
                Value::Nothing
            }
            Expr::Tuple(tuple) => {
                self.moved_all(tuple.elems.iter());
                Value::Nothing
            }
            Expr::Array(array) => {
                self.moved_all(array.elems.iter());
                Value::Nothing
            }
            Expr::Binary(binary) => {
                // `a + b + c ...` nests to the left: walk the spine in a loop.
                let mut rights = vec![&binary.right];
                let mut left = &binary.left;
                while let Expr::Binary(inner) = &**left {
                    rights.push(&inner.right);
                    left = &inner.left;
                }
                let value = self.expr(left);
                self.settle(value);
                for right in rights.into_iter().rev() {
                    let value = self.expr(right);
                    self.settle(value);
                }
                Value::Nothing
            }
            Expr::Cast(cast) => self.expr(&cast.expr),
            Expr::Index(index) => {
                let value = self.expr(&index.expr);
                self.settle(value);
                let value = self.expr(&index.index);
                self.settle(value);
                Value::Nothing
            }
            Expr::Range(range) => {
                for end in [&range.start, &range.end].into_iter().flatten() {
                    let value = self.expr(end);
                    self.settle(value);
                }
                Value::Nothing
            }
            Expr::Closure(closure) => {
                let mut names = Names(Vec::new());
                names.visit_expr(&closure.body);
                if closure.capture.is_some() {
                    self.moved_into_closure(names, closure.span());
                } else {
                    // A closure that borrows the transaction may write
                    // through it when it runs.
                    for name in names.0 {
                        self.written_through(&name, closure.span());
                    }
                }
                Value::Nothing
            }
            Expr::Async(block) => {
                if block.capture.is_some() {
                    let mut names = Names(Vec::new());
                    names.visit_block(&block.block);
                    self.moved_into_closure(names, block.span());
                }
                Value::Nothing
            }
            _ => Value::Nothing,
        }
    }

    /// Lower an `if` condition. For `if let PAT = value` the value and the
    /// pattern are kept: which branch is taken says whether it succeeded.
    /// A condition that tests whether a write changed nothing says so.
    fn condition<'e>(&mut self, condition: &'e Expr) -> (Value, Option<&'e Pat>, Option<ZeroRows>) {
        match peel(condition) {
            Expr::Let(let_expr) => {
                let value = self.expr(&let_expr.expr);
                let zero_rows = match &value {
                    Value::Wrote { place, span } => {
                        zero_rows_pattern(&let_expr.pat).map(|when_true| ZeroRows {
                            place: place.clone(),
                            span: *span,
                            when_true,
                        })
                    }
                    _ => None,
                };
                (value, Some(&*let_expr.pat), zero_rows)
            }
            Expr::Binary(binary) if comparison_with_zero_rows(binary).is_some() => {
                let left = self.expr(&binary.left);
                let right = self.expr(&binary.right);
                let (written, literal_on_right) = match (&left, &right) {
                    (Value::Wrote { .. }, _) => (left.clone(), true),
                    (_, Value::Wrote { .. }) => (right.clone(), false),
                    _ => {
                        self.settle(left);
                        self.settle(right);
                        return (Value::Nothing, None, None);
                    }
                };
                let zero_rows = match written {
                    Value::Wrote { place, span } => comparison_with_zero_rows(binary)
                        .and_then(|test| test(literal_on_right))
                        .map(|when_true| ZeroRows {
                            place,
                            span,
                            when_true,
                        }),
                    _ => None,
                };
                (Value::Nothing, None, zero_rows)
            }
            // `if conn.execute("BEGIN").await.is_err() { return; }`: the
            // branch says whether the BEGIN ran.
            Expr::MethodCall(call)
                if call.args.is_empty() && (call.method == "is_err" || call.method == "is_ok") =>
            {
                let value = self.expr(&call.receiver);
                if let Value::Begins { .. } = value {
                    let ran_when = call.method == "is_ok";
                    return (Value::BeginTest(Box::new(value), ran_when), None, None);
                }
                self.settle(value);
                (Value::Nothing, None, None)
            }
            other => {
                let value = self.expr(other);
                let zero_rows = match (&value, peel(other)) {
                    (Value::Wrote { place, span }, Expr::MethodCall(call)) => {
                        let when_true = match call.method.to_string().as_str() {
                            "is_none" | "is_empty" => Some(true),
                            "is_some" => Some(false),
                            _ => None,
                        };
                        when_true.map(|when_true| ZeroRows {
                            place: place.clone(),
                            span: *span,
                            when_true,
                        })
                    }
                    _ => None,
                };
                self.settle(value);
                (Value::Nothing, None, zero_rows)
            }
        }
    }

    /// On the branch where `zero_rows` says the write changed nothing, it
    /// did not happen.
    fn wrote_nothing_if(&mut self, zero_rows: Option<&ZeroRows>, branch_holds: bool) {
        if let Some(zero) = zero_rows
            && zero.when_true == branch_holds
        {
            self.event(EventKind::WroteNothing, &zero.place, zero.span);
        }
    }

    /// Entering the arm of a `match` (or the branch of an `if let`) whose
    /// pattern is `pattern`: on an `Err(..)` arm a pending BEGIN failed; on
    /// `Ok(x)` it succeeded and `x` is what the call returned.
    fn enter_arm(&mut self, scrutinee: &Value, pattern: &Pat) {
        let (pattern, guard) = match pattern {
            Pat::Guard(guarded) => (&*guarded.pat, Some(&guarded.guard)),
            other => (other, None),
        };
        match matches_err(pattern) {
            // An `Err(..)` arm handles an error: an error path from here.
            Some(true) => {
                let span = self.span(pattern.span());
                self.builder.mark_error_path(span);
            }
            _ => self.settle(scrutinee.clone()),
        }
        if let Value::Wrote { place, span } = scrutinee
            && zero_rows_pattern(pattern) == Some(true)
        {
            self.event(EventKind::WroteNothing, place, *span);
        }
        if let Some(name) = success_binding(pattern) {
            self.bind(&name, scrutinee.clone(), pattern);
        }
        if let Some(guard) = guard {
            let value = self.expr(guard);
            self.settle(value);
        }
    }

    /// The `else` of an `if let`: the pattern did not match.
    fn enter_else(&mut self, scrutinee: &Value, pattern: Option<&Pat>) {
        if let Value::BeginTest(begins, ran_when) = scrutinee {
            if !ran_when {
                self.settle((**begins).clone());
            }
            return;
        }
        if pattern.and_then(matches_err) != Some(false) {
            self.settle(scrutinee.clone());
        }
    }

    /// The branch taken when the condition holds.
    fn enter_then(&mut self, scrutinee: &Value, pattern: Option<&Pat>) {
        match (scrutinee, pattern) {
            (Value::BeginTest(begins, true), _) => self.settle((**begins).clone()),
            (_, Some(pattern)) => self.enter_arm(scrutinee, pattern),
            _ => {}
        }
    }

    /// `if result.is_err() { .. }`: the branch handles an error.
    fn is_error_test(condition: &Expr) -> bool {
        matches!(peel(condition), Expr::MethodCall(call) if call.method == "is_err")
    }

    fn labeled_block(&mut self, label: Option<&syn::Label>, block: &Block) -> Value {
        let Some(label) = label else {
            return self.block(block);
        };
        let after = self.builder.new_block();
        self.builder.push_breakable(
            BreakableKind::Labeled,
            Some(label.name.ident.to_string()),
            after,
            None,
        );
        let value = self.block(block);
        self.settle(value);
        self.builder.goto(after);
        self.builder.pop_breakable();
        self.builder.switch_to(after);
        Value::Nothing
    }

    fn loop_body(&mut self, label: Option<&syn::Label>, exit: usize, head: usize, body: &Block) {
        let label = label.map(|l| l.name.ident.to_string());
        let mark = self.declared.len();
        self.loops.push((label.clone(), mark));
        self.builder
            .push_breakable(BreakableKind::Loop, label, exit, Some(head));
        let value = self.block(body);
        self.settle(value);
        self.drop_since(mark, self.span(body.brace_token.span.close()));
        self.builder.goto_back(head);
        self.builder.pop_breakable();
        self.loops.pop();
        self.declared.truncate(mark);
    }

    /// The owned handles declared since `mark` go out of scope here (an
    /// iteration ends, `break` or `continue` leaves it): a transaction is
    /// rolled back, a pooled connection goes back.
    fn drop_since(&mut self, mark: usize, span: Span) {
        let dropped: Vec<(EventKind, String)> = self.declared[mark.min(self.declared.len())..]
            .iter()
            .map(|name| {
                let kind = match self.owned.get(name) {
                    Some(Owned::Transaction | Owned::Closes) => EventKind::Rollback,
                    Some(Owned::Connection) | None => EventKind::Release,
                };
                (kind, name.clone())
            })
            .collect();
        for (kind, name) in dropped {
            self.event(kind, &name, span);
        }
    }

    /// Where the loop that `break`/`continue` with `label` leaves starts
    /// its declarations.
    fn loop_mark(&self, label: Option<&str>) -> Option<usize> {
        self.loops
            .iter()
            .rev()
            .find(|(name, _)| label.is_none_or(|label| name.as_deref() == Some(label)))
            .map(|(_, mark)| *mark)
    }

    /// Values moved into a tuple, array or call by value leave our hands.
    fn moved_all<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>) {
        for expr in exprs {
            let value = self.expr(expr);
            self.settle(value.clone());
            self.escape(&value, &expr);
        }
    }

    /// Arguments of a call of `callee`: what is moved leaves our hands, and
    /// a transaction lent to it (`save(&mut tx, ..)`) may be written
    /// through, unless `callee` is a function of this file that does not
    /// write (see `drop_reads_of_own_functions`).
    fn lent_all<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>, callee: Option<&str>) {
        for expr in exprs {
            let value = self.expr(expr);
            if let Value::Borrowed(place) = &value
                && let Some(written) = self.written_through(place, expr.span())
                && let Some(callee) = callee
            {
                self.lends.push((callee.to_string(), written));
            }
            self.settle(value.clone());
            self.escape(&value, &expr);
        }
    }

    /// Code that may write reaches the transaction `place` owns; the
    /// write's span, if one was recorded.
    fn written_through(&mut self, place: &str, span: SynSpan) -> Option<Span> {
        if self.owned.get(place) == Some(&Owned::Transaction) {
            let span = self.span(span);
            self.event(EventKind::Write, place, span);
            return Some(span);
        }
        None
    }

    /// A `move` closure or `async move` block takes the handles it names.
    fn moved_into_closure(&mut self, mut names: Names, span: SynSpan) {
        names.0.sort();
        names.0.dedup();
        let span = self.span(span);
        for name in names.0 {
            if self.owned.contains_key(&name) {
                self.event(EventKind::Escape, &name, span);
            }
        }
    }

    fn macro_call(&mut self, mac: &Macro) {
        let name = macro_name(mac);
        let span = self.span(mac.span());
        match name.as_str() {
            // `bail!(..)` is `return Err(..)`.
            "bail" => self.builder.return_(span, ExitKind::Error),
            // `ensure!(cond, ..)` returns an error when `cond` is false.
            "ensure" => {
                let (fails, holds) = self.builder.fork(None);
                self.builder.switch_to(fails);
                self.builder.return_(span, ExitKind::Error);
                self.builder.switch_to(holds);
            }
            // Panics are not paths.
            "panic" | "unreachable" | "todo" | "unimplemented" => self.builder.start_unreachable(),
            // Other bodies are opaque, but one that commits or rolls back an
            // owned transaction (`tokio::select! { .. => tx.commit() .. }`)
            // may end it.
            _ => {
                let mut ended = Vec::new();
                ended_in_tokens(mac.tokens.clone(), &mut ended);
                ended.sort();
                ended.dedup();
                for name in ended {
                    if self.owned.contains_key(&name) {
                        self.event(EventKind::HandedOff, &name, span);
                    }
                }
            }
        }
    }

    fn call(&mut self, call: &syn::ExprCall) -> Value {
        let function = path_text(&call.func);
        if matches!(
            function.as_deref(),
            Some("drop" | "std::mem::drop" | "mem::drop")
        ) && let Some(arg) = call.args.first()
            && let Some(place) = place_of(arg)
            && self.owned.contains_key(&place)
        {
            // Dropping a transaction object is a deliberate rollback.
            let span = self.span(call.span());
            self.event(EventKind::Rollback, &place, span);
            self.event(EventKind::Release, &place, span);
            return Value::Nothing;
        }
        let name = function
            .as_deref()
            .map(|f| f.rsplit("::").next().unwrap_or(f));
        // `futures::executor::block_on(pool.begin())` is what it runs.
        if name == Some("block_on") && call.args.len() == 1 {
            return self.expr(&call.args[0]);
        }
        // `sqlx::Connection::begin(&mut conn)`, `Acquire::begin(&pool)`:
        // a method called through its path, its receiver first.
        if let Some(method) = name
            && function.as_deref().is_some_and(|f| f.contains("::"))
            && !call.args.is_empty()
            && self
                .file
                .vocabulary
                .call_effect(method, call.args.len() - 1, &[])
                .is_some_and(|effect| effect.effect == Effect::BeginObject)
        {
            self.moved_all(call.args.iter());
            return Value::TransactionObject(self.span(call.span()));
        }
        if function.is_none() {
            let value = self.expr(&call.func);
            self.settle(value);
        }
        if let Some(helper) = name.and_then(|n| self.file.transaction_helpers.get(n).copied()) {
            let span = self.span(call.span());
            return self.helper_call(helper, call.args.iter(), span);
        }
        if name.is_some_and(named_as_read) {
            self.moved_all(call.args.iter());
        } else {
            self.lent_all(call.args.iter(), name);
        }
        Value::Nothing
    }

    /// A call of a transaction helper of this file: the connection at its
    /// position begins a transaction once the call succeeded, or has its
    /// transaction ended.
    fn helper_call<'e>(
        &mut self,
        helper: TransactionHelper,
        args: impl Iterator<Item = &'e Expr>,
        span: Span,
    ) -> Value {
        let mut result = Value::Nothing;
        for (position, arg) in args.enumerate() {
            let value = self.expr(arg);
            let place = match &value {
                Value::Place(place) | Value::Borrowed(place) => Some(place.clone()),
                _ => None,
            };
            match (helper, place) {
                (TransactionHelper::Begins(at), Some(place)) if at == position => {
                    result = Value::Begins { place, span };
                }
                (TransactionHelper::Ends(at), Some(place)) if at == position => {
                    self.event(EventKind::Commit, &place, span);
                }
                _ => {
                    self.settle(value.clone());
                    self.escape(&value, &arg);
                }
            }
        }
        result
    }

    fn method_call(&mut self, call: &syn::ExprMethodCall) -> Value {
        let method = call.method.to_string();
        let vocabulary = self.file.vocabulary;
        let receiver = self.expr(&call.receiver);
        // Error adapters keep the success value: `pool.begin().await
        // .context("..")?` is still the transaction.
        if RESULT_ADAPTERS.contains(&method.as_str()) {
            self.moved_all(call.args.iter());
            return receiver;
        }
        if method == "push"
            && let Value::Place(list) | Value::Borrowed(list) = &receiver
            && self.local_lists.contains_key(list)
            && let Some(text) = call.args.first().and_then(|a| self.sql_text(a))
            && let Some(statements) = self.local_lists.get_mut(list)
        {
            statements.push(text);
        }
        // `statement.execute(params)` runs what `conn.prepare("..")` made.
        if let Value::Prepared { place, sql } = &receiver
            && vocabulary.is_statement_method(&method)
        {
            let (place, sql) = (place.clone(), sql.clone());
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            return match sql {
                Some(sql) => self.run_sql(&place, &sql, span),
                None if vocabulary.may_write(&method) || method == "insert" => {
                    self.event(EventKind::Write, &place, span);
                    Value::Wrote { place, span }
                }
                None => Value::Nothing,
            };
        }
        if vocabulary.is_preparer(&method)
            && let Value::Place(place) | Value::Borrowed(place) = &receiver
        {
            let place = place.clone();
            let sql = call.args.first().and_then(|a| self.sql_text(a));
            self.moved_all(call.args.iter());
            return Value::Prepared { place, sql };
        }
        // `runtime.block_on(conn.begin())` is what it runs.
        if method == "block_on" && call.args.len() == 1 {
            self.settle(receiver);
            return self.expr(&call.args[0]);
        }
        match (&receiver, method.as_str()) {
            // `tx.as_mut()` reaches through the transaction, as `&mut *tx` does.
            (
                Value::Place(place) | Value::Borrowed(place),
                "as_mut" | "deref_mut" | "as_ref" | "borrow_mut",
            ) if call.args.is_empty() => return Value::Borrowed(place.clone()),
            // The count of rows a write changed still tells of the write.
            (Value::Wrote { .. }, "rows_affected") => return receiver,
            _ => {}
        }
        let receiver_place = match &receiver {
            Value::Place(place) | Value::Borrowed(place) => Some(place.clone()),
            other => {
                // Calling a method on a pending BEGIN's result uses it.
                self.settle(other.clone());
                None
            }
        };
        let chain = method_chain(&call.receiver);
        let receiver_calls: Vec<&str> = chain.iter().map(String::as_str).collect();

        // `statement.execute(&mut *conn)`: SQL built by `sqlx::query("..")`.
        if vocabulary.is_sql_executor(&method)
            && let Some(sql) = self.built_statement(&call.receiver)
            && let Some(handle) = call.args.first().and_then(place_of)
        {
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            return self.run_sql(&handle, &sql, span);
        }

        if let Some(effect) = vocabulary.call_effect(&method, call.args.len(), &receiver_calls) {
            let pooled = effect.returns_to_pool_on_drop();
            let receiver_is_pool = receiver_place
                .as_deref()
                .is_some_and(|p| vocabulary.is_pool_name(p));
            match (effect.effect, receiver_place.as_deref()) {
                // `self.store.transaction()` on a crypto store's lock is
                // not a database's transaction.
                (Effect::BeginObject, place)
                    if place.is_some_and(|place| self.typed_as_not_database(place)) => {}
                // A read-only transaction has no work to lose.
                (Effect::BeginObject, _) if self.begins_read_only(call) => {
                    self.moved_all(call.args.iter());
                    return Value::Nothing;
                }
                (Effect::BeginObject, _) => {
                    self.moved_all(call.args.iter());
                    return Value::TransactionObject(self.call_span(call));
                }
                (Effect::Acquire, _) if effect.receiver == Receiver::Any || receiver_is_pool => {
                    self.moved_all(call.args.iter());
                    return if pooled {
                        Value::PooledConnection(self.call_span(call))
                    } else {
                        Value::Nothing
                    };
                }
                (Effect::Commit, Some(place)) => {
                    let span = self.call_span(call);
                    self.event(EventKind::Commit, place, span);
                    return Value::Nothing;
                }
                (Effect::Rollback, Some(place)) => {
                    let span = self.call_span(call);
                    self.event(EventKind::Rollback, place, span);
                    return Value::Nothing;
                }
                (Effect::Release | Effect::Discard, Some(place)) => {
                    let span = self.call_span(call);
                    self.event(EventKind::Release, place, span);
                    return Value::Nothing;
                }
                _ => {}
            }
        }

        if vocabulary.is_sql_method(&method)
            && let Some(place) = &receiver_place
        {
            let place = place.clone();
            let sql = call.args.first().and_then(|a| self.sql_text(a));
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            return match sql {
                Some(sql) => self.run_sql(&place, &sql, span),
                // Text txlint cannot read: `execute` may write.
                None if vocabulary.may_write(&method) => {
                    self.event(EventKind::Write, &place, span);
                    Value::Wrote { place, span }
                }
                None => Value::Nothing,
            };
        }

        if let Some(helper) = self.file.transaction_helpers.get(&method).copied() {
            let span = self.call_span(call);
            return self.helper_call(helper, call.args.iter(), span);
        }

        // `query.fetch_all(&mut *tx)` reads, unless the statement was
        // built by a call that writes (`insert_into(t).values(..)`).
        if (vocabulary.only_reads(&method) && !built_by_write(&call.receiver))
            || named_as_read(&method)
        {
            self.moved_all(call.args.iter());
        } else {
            self.lent_all(call.args.iter(), Some(&method));
        }
        Value::Nothing
    }

    /// Remember the parameters' types, except those that name one of the
    /// function's generic parameters (their type is the caller's).
    fn typed_params(&mut self, signature: &syn::Signature) {
        let generics: Vec<String> = signature
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect();
        for input in &signature.inputs {
            if let syn::FnArg::Receiver(receiver) = input {
                self.self_by_value = matches!(receiver.kind, syn::ReceiverKind::Value);
            }
            if let syn::FnArg::Typed(typed) = input {
                self.builder.param(binding_name(&typed.pat));
            }
            if let syn::FnArg::Typed(typed) = input
                && let Some(name) = binding_name(&typed.pat)
            {
                let text = type_text(&typed.ty);
                let generic = text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| generics.iter().any(|g| g == word));
                if !generic {
                    self.param_types.insert(name, text);
                }
            }
        }
    }

    /// `build_transaction().read_only(true).start()`,
    /// `begin_with("BEGIN READ ONLY")`.
    fn begins_read_only(&self, call: &syn::ExprMethodCall) -> bool {
        let read_only_text = call
            .args
            .first()
            .and_then(|a| self.sql_text(a))
            .is_some_and(|sql| sql.to_ascii_uppercase().contains("READ ONLY"));
        let mut current = peel(&call.receiver);
        let mut read_only_builder = false;
        while let Expr::MethodCall(inner) = current {
            read_only_builder |= inner.method == "read_only"
                && matches!(inner.args.first().map(peel), Some(Expr::Lit(lit))
                    if matches!(&lit.lit, Lit::Bool(b) if b.value));
            current = peel(&inner.receiver);
        }
        read_only_text || read_only_builder
    }

    /// Whether dropping `place` closes its connection: one this function
    /// opened, one taken by value (`conn: Connection`), or a field of a
    /// `self` taken by value. A pooled connection goes back to its pool
    /// instead, and a borrowed one lives on.
    fn closes_on_drop(&self, place: &str) -> bool {
        match self.owned.get(place) {
            Some(Owned::Closes) => return true,
            Some(_) => return false,
            None => {}
        }
        if place.starts_with("self.") {
            return self.self_by_value;
        }
        self.param_types.get(place).is_some_and(|text| {
            !text.starts_with('&') && names_database_type(text) && !text.contains("Pool")
        })
    }

    /// Whether `place` has a type the front end can see (a parameter's, a
    /// field of `self`'s struct in this file) that names no database type.
    fn typed_as_not_database(&self, place: &str) -> bool {
        let type_text = match place.strip_prefix("self.") {
            Some(field) if !field.contains('.') => self.owner.as_ref().and_then(|owner| {
                self.file
                    .field_types
                    .get(&(owner.clone(), field.to_string()))
            }),
            Some(_) => None,
            None => self.param_types.get(place),
        };
        type_text.is_some_and(|text| !names_database_type(text))
    }

    /// The SQL text of an expression, where it can be read: a literal, a
    /// `const` of the file, a local bound to one (also through `if` or
    /// `match` arms that agree on the statement they start), the literal
    /// part of a `format!`, or a local vector of statements joined.
    fn sql_text(&self, expr: &Expr) -> Option<String> {
        match peel(expr) {
            Expr::Path(path) => match path.path.get_ident() {
                Some(name) => {
                    let name = name.to_string();
                    self.local_texts
                        .get(&name)
                        .cloned()
                        .or_else(|| self.prepared.get(&name).and_then(|(_, sql)| sql.clone()))
                        .or_else(|| self.file.sql_text(expr))
                }
                None => self.file.sql_text(expr),
            },
            Expr::Reference(reference) => self.sql_text(&reference.expr),
            Expr::MethodCall(call) => match call.method.to_string().as_str() {
                "as_str" | "to_string" | "to_owned" | "into" | "as_ref" | "clone"
                    if call.args.is_empty() =>
                {
                    self.sql_text(&call.receiver)
                }
                "join" | "concat" => {
                    let list = self.local_lists.get(&place_of(&call.receiver)?)?;
                    let separator = match call.args.first() {
                        Some(separator) => string_literal(separator)?,
                        None => String::new(),
                    };
                    // Statements joined without `;` still run one by one.
                    let separator = if separator.contains(';') {
                        separator
                    } else {
                        format!(";{separator}")
                    };
                    Some(list.join(&separator))
                }
                _ => None,
            },
            Expr::Call(call)
                if path_text(&call.func).is_some_and(|f| f.ends_with("String::from")) =>
            {
                self.sql_text(call.args.first()?)
            }
            Expr::Macro(mac) if macro_name(&mac.mac) == "format" => {
                let template: Expr = mac.mac.parse_body_with(first_macro_argument).ok()?;
                let template = string_literal(&template)?;
                let text = without_placeholders(&template);
                (!text.trim().is_empty()).then_some(text)
            }
            Expr::If(if_expr) => {
                let then_text = match if_expr.then_branch.stmts.last()? {
                    Stmt::Expr(tail, None) => self.sql_text(tail)?,
                    _ => return None,
                };
                let (_, else_branch) = if_expr.else_branch.as_ref()?;
                let else_text = self.sql_text(else_branch)?;
                agreeing([then_text, else_text])
            }
            Expr::Block(block) => match block.block.stmts.last()? {
                Stmt::Expr(tail, None) => self.sql_text(tail),
                _ => None,
            },
            Expr::Match(match_expr) => agreeing(
                match_expr
                    .arms
                    .iter()
                    .map(|arm| self.sql_text(&arm.body))
                    .collect::<Option<Vec<_>>>()?,
            ),
            other => string_literal(other),
        }
    }

    /// `vec!["BEGIN", ..]` or `Vec::new()`: a list of statements to push to.
    fn statement_list(&self, expr: &Expr) -> Option<Vec<String>> {
        match peel(expr) {
            Expr::Call(call)
                if path_text(&call.func)
                    .is_some_and(|f| f == "Vec::new" || f == "Vec::with_capacity") =>
            {
                Some(Vec::new())
            }
            Expr::Macro(mac) if macro_name(&mac.mac) == "vec" => {
                let items = mac
                    .mac
                    .parse_body_with(
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated,
                    )
                    .ok()?;
                items.iter().map(|item| self.sql_text(item)).collect()
            }
            _ => None,
        }
    }

    /// A method call's span. Computed from all its tokens, so only when an
    /// event needs it.
    fn call_span(&self, call: &syn::ExprMethodCall) -> Span {
        self.span(call.span())
    }

    /// Transaction statements sent on `place`: ends take effect at once,
    /// a `BEGIN` only once the call succeeded.
    fn run_sql(&mut self, place: &str, sql: &str, span: Span) -> Value {
        let statements = transaction_statements(sql);
        if self.file.vocabulary.is_pool_name(place) {
            // `pool.execute("BEGIN")`: transaction statements on a pool.
            let handle = self.builder.handle(place);
            self.builder.mark_pool(handle);
        }
        self.event(EventKind::Use, place, span);
        if statements.contains(&TxStatement::Begin) && self.closes_on_drop(place) {
            // Its error exits drop it, closing the connection and with it
            // the transaction.
            let handle = self.builder.handle(place);
            self.builder.set_drop_behaviour(handle, true, false);
        }
        let begins = statements.last() == Some(&TxStatement::Begin);
        let writes = !begins && sql_writes(sql);
        if writes {
            self.event(EventKind::Write, place, span);
        }
        for statement in &statements {
            match statement {
                TxStatement::Commit => self.event(EventKind::Commit, place, span),
                TxStatement::Rollback => self.event(EventKind::Rollback, place, span),
                TxStatement::Begin if begins => {}
                TxStatement::Begin => self.event(EventKind::Begin, place, span),
            }
        }
        if begins {
            Value::Begins {
                place: place.to_string(),
                span,
            }
        } else if writes {
            Value::Wrote {
                place: place.to_string(),
                span,
            }
        } else {
            Value::Nothing
        }
    }

    /// The SQL of a statement built by a vocabulary function at the root of
    /// a builder chain: `sqlx::query("BEGIN").bind(x)`, `sqlx::query!("..")`.
    fn built_statement(&self, expr: &Expr) -> Option<String> {
        let vocabulary = self.file.vocabulary;
        match peel(expr) {
            Expr::MethodCall(call) => self.built_statement(&call.receiver),
            Expr::Call(call) => {
                let function = path_text(&call.func)?;
                let function = function.split("::<").next().unwrap_or(&function);
                if !vocabulary.is_sql_function(function) {
                    return None;
                }
                self.sql_text(call.args.first()?)
            }
            Expr::Macro(mac) => {
                let name = format!("{}!", path_string(&mac.mac.path));
                if !vocabulary.is_sql_function(&name) {
                    return None;
                }
                let first: Expr = mac.mac.parse_body_with(first_macro_argument).ok()?;
                string_literal(&first)
            }
            _ => None,
        }
    }
}

/// `name.commit` / `name.rollback` anywhere in a macro's tokens.
fn ended_in_tokens(tokens: proc_macro2::TokenStream, ended: &mut Vec<String>) {
    use proc_macro2::TokenTree;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    for (index, tree) in trees.iter().enumerate() {
        match tree {
            TokenTree::Group(group) => ended_in_tokens(group.stream(), ended),
            TokenTree::Ident(name) => {
                if let (Some(TokenTree::Punct(dot)), Some(TokenTree::Ident(method))) =
                    (trees.get(index + 1), trees.get(index + 2))
                    && dot.as_char() == '.'
                    && (method == "commit" || method == "rollback")
                {
                    ended.push(name.to_string());
                }
            }
            _ => {}
        }
    }
}

/// Methods on a `Result` that change only its error (or panic on it): the
/// success value passes through.
const RESULT_ADAPTERS: &[&str] = &[
    "map_err",
    "context",
    "with_context",
    "wrap_err",
    "wrap_err_with",
    "unwrap",
    "map",
    "inspect",
    "inspect_err",
    "ok",
    "into_diagnostic",
    "expect",
];

/// The first argument of a function-like macro (`query!("SQL", a, b)`).
fn first_macro_argument(input: syn::parse::ParseStream) -> syn::Result<Expr> {
    let first: Expr = input.parse()?;
    let _: proc_macro2::TokenStream = input.parse()?;
    Ok(first)
}

/// Single-segment paths named in a body.
struct Names(Vec<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if let Some(ident) = path.path.get_ident() {
            self.0.push(ident.to_string());
        }
    }
}

/// A syn span as file offsets (`base` is what was stripped before parsing).
fn to_span(base: usize, span: SynSpan) -> Span {
    let range = span.byte_range();
    Span::new((base + range.start) as u32, (base + range.end) as u32)
}

/// Strip parentheses and invisible groups.
fn peel(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(inner) => &inner.expr,
            Expr::Group(inner) => &inner.expr,
            other => return other,
        };
    }
}

/// `tx`, `self.pool`, `state.db.pool`, with borrows and derefs stripped
/// (`&mut *tx` names `tx`).
fn place_of(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(|i| i.to_string()),
        Expr::Field(field) => {
            let Member::Named(name) = &field.member else {
                return None;
            };
            Some(format!("{}.{name}", place_of(&field.base)?))
        }
        Expr::Reference(reference) => place_of(&reference.expr),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => place_of(&unary.expr),
        Expr::MethodCall(call)
            if call.args.is_empty()
                && matches!(call.method.to_string().as_str(), "as_mut" | "deref_mut") =>
        {
            place_of(&call.receiver)
        }
        _ => None,
    }
}

/// The methods called along a receiver chain (`client.build_transaction()
/// .isolation_level(..)` gives `["isolation_level", "build_transaction"]`).
fn method_chain(expr: &Expr) -> Vec<String> {
    let mut calls = Vec::new();
    let mut current = peel(expr);
    loop {
        match current {
            Expr::MethodCall(call) => {
                calls.push(call.method.to_string());
                current = peel(&call.receiver);
            }
            Expr::Await(await_expr) => current = peel(&await_expr.base),
            Expr::Try(try_expr) => current = peel(&try_expr.expr),
            _ => return calls,
        }
    }
}

fn path_string(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// `drop`, `sqlx::query`, `Transaction::new`: a called path as text.
fn path_text(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Path(path) if path.qself.is_none() => Some(path_string(&path.path)),
        _ => None,
    }
}

fn macro_name(mac: &Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// `Err(..)` (also `Err(..)?`-free forms like `Err(e.into())`).
fn is_err_constructor(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::Call(call) => {
            path_text(&call.func).is_some_and(|f| f == "Err" || f.ends_with("::Err"))
        }
        // `Err(e).context("..")`
        Expr::MethodCall(call) if RESULT_ADAPTERS.contains(&call.method.to_string().as_str()) => {
            is_err_constructor(&call.receiver)
        }
        _ => false,
    }
}

/// Whether a pattern is `Err(..)` (then `Some(true)`), `Ok(..)`/`Some(..)`
/// (then `Some(false)`), or anything else.
fn matches_err(pat: &Pat) -> Option<bool> {
    let Pat::TupleStruct(tuple) = pat else {
        return None;
    };
    match tuple.path.segments.last()?.ident.to_string().as_str() {
        "Err" => Some(true),
        "Ok" | "Some" => Some(false),
        _ => None,
    }
}

/// The one variable bound inside `Ok(x)` / `Some(x)`.
fn success_binding(pat: &Pat) -> Option<String> {
    let Pat::TupleStruct(tuple) = pat else {
        return None;
    };
    if matches_err(pat) != Some(false) || tuple.elems.len() != 1 {
        return None;
    }
    binding_name(tuple.elems.first()?)
}

/// The variable a `let` pattern binds, when it binds exactly one.
fn binding_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.to_string()),
        Pat::Type(typed) => binding_name(&typed.pat),
        _ => None,
    }
}

fn string_literal(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(text) => Some(text.value()),
            _ => None,
        },
        Expr::Reference(reference) => string_literal(&reference.expr),
        _ => None,
    }
}

/// Whether a pattern matches only when a write changed nothing (`None`,
/// `0`: `Some(true)`) or only when it changed something (`Some(..)`:
/// `Some(false)`).
fn zero_rows_pattern(pat: &Pat) -> Option<bool> {
    match pat {
        Pat::Ident(ident) if ident.ident == "None" => Some(true),
        Pat::Path(path) if path.path.is_ident("None") => Some(true),
        Pat::Lit(lit) => {
            matches!(&lit.lit, Lit::Int(n) if n.base10_digits() == "0").then_some(true)
        }
        Pat::TupleStruct(tuple) if tuple.path.is_ident("Some") => Some(false),
        _ => None,
    }
}

/// For `count == 0`, `count < 1`, `count > 0`, ...: given whether the
/// literal stands on the right, whether the comparison holding means that
/// no row was changed (`Some(true)`), or that some was (`Some(false)`).
/// `!= 1` counts as zero rows: a keyed write that did not change its one
/// row changed none.
fn comparison_with_zero_rows(binary: &syn::ExprBinary) -> Option<fn(bool) -> Option<bool>> {
    use syn::BinOp;
    let literal = |expr: &Expr| match peel(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Int(n) => n.base10_parse::<u64>().ok(),
            _ => None,
        },
        _ => None,
    };
    let n = literal(&binary.right).or_else(|| literal(&binary.left))?;
    // Each test is written for `count OP n`; with the literal on the left
    // the order flips (`0 < count` is `count > 0`).
    let test: fn(bool) -> Option<bool> = match (binary.op, n) {
        (BinOp::Eq(_), 0) | (BinOp::Ne(_), 1) => |_| Some(true),
        (BinOp::Ne(_), 0) | (BinOp::Eq(_), 1) => |_| Some(false),
        (BinOp::Lt(_), 1) | (BinOp::Le(_), 0) => |right| Some(right),
        (BinOp::Gt(_), 0) | (BinOp::Ge(_), 1) => |right| Some(!right),
        _ => return None,
    };
    Some(test)
}

/// Whether a statement chain was built by a call that writes
/// (`diesel::insert_into(t).values(..)`, `update(t).set(..)`).
fn built_by_write(expr: &Expr) -> bool {
    let writes = |name: &str| {
        ["insert", "update", "delete", "upsert", "replace"]
            .iter()
            .any(|word| name.starts_with(word))
    };
    let mut current = peel(expr);
    loop {
        match current {
            Expr::MethodCall(call) => {
                if writes(&call.method.to_string()) {
                    return true;
                }
                current = peel(&call.receiver);
            }
            Expr::Call(call) => {
                return path_text(&call.func)
                    .is_some_and(|f| writes(f.rsplit("::").next().unwrap_or(&f)));
            }
            _ => return false,
        }
    }
}

/// `#[test]`, `#[tokio::test]`, `#[sqlx::test(..)]`, `#[rstest]`, and
/// `#[cfg(test)]` (not `#[cfg(not(test))]`).
fn is_test_attribute(attribute: &syn::Attribute) -> bool {
    let path = attribute.path();
    let last = path.segments.last().map(|s| s.ident.to_string());
    if matches!(last.as_deref(), Some("test" | "rstest")) {
        return true;
    }
    path.is_ident("cfg")
        && attribute
            .parse_args::<syn::Ident>()
            .is_ok_and(|ident| ident == "test")
}

/// Whether a function's name says it only reads (`get_user`,
/// `is_member`, `find_by_email`, `select_workspace`): a transaction lent to
/// it is taken not to be written through. A name that also says it writes
/// (`get_or_create_user`) does not count.
fn named_as_read(name: &str) -> bool {
    const READS: &[&str] = &[
        "get", "is", "has", "find", "fetch", "select", "load", "list", "count", "read", "exists",
        "lookup", "query", "check", "search",
    ];
    const WRITES: &[&str] = &[
        "create", "insert", "update", "delete", "upsert", "save", "set", "remove", "write", "add",
        "put", "mark", "record", "store", "bump", "incr", "touch", "lock", "claim", "or",
    ];
    let words: Vec<&str> = name.split('_').filter(|w| !w.is_empty()).collect();
    words.first().is_some_and(|first| READS.contains(first))
        && !words.iter().any(|word| WRITES.contains(word))
}

/// The text of several branches when they all start the same transaction
/// statements (`BEGIN` or `BEGIN IMMEDIATE`): the first stands for all.
fn agreeing(texts: impl IntoIterator<Item = String>) -> Option<String> {
    let mut texts = texts.into_iter();
    let first = texts.next()?;
    let statements = transaction_statements(&first);
    texts
        .all(|text| {
            transaction_statements(&text) == statements && sql_writes(&text) == sql_writes(&first)
        })
        .then_some(first)
}

/// A `format!` template without its `{..}` placeholders (`{{` and `}}` are
/// literal braces).
fn without_placeholders(template: &str) -> String {
    let mut text = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                for c in chars.by_ref() {
                    if c == '}' {
                        break;
                    }
                }
            }
            other => text.push(other),
        }
    }
    text
}

/// A type as the names in it, with `&` for a reference
/// (`&mut Transaction<'_, Postgres>` as `&TransactionPostgres`): enough to
/// tell a database type and a borrow, without printing the type.
fn type_text(ty: &syn::Type) -> String {
    let mut text = String::new();
    type_names(ty, &mut text);
    text
}

fn type_names(ty: &syn::Type, text: &mut String) {
    let path_names = |path: &syn::Path, text: &mut String| {
        for segment in &path.segments {
            text.push_str(&segment.ident.to_string());
            if let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments {
                for argument in &arguments.args {
                    if let syn::GenericArgument::Type(inner) = argument {
                        type_names(inner, text);
                    }
                }
            }
        }
    };
    let bounds_names =
        |bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
         text: &mut String| {
            for bound in bounds {
                if let syn::TypeParamBound::Trait(bound) = bound {
                    path_names(&bound.path, text);
                }
            }
        };
    match ty {
        syn::Type::Reference(reference) => {
            text.push('&');
            type_names(&reference.elem, text);
        }
        syn::Type::Path(path) => path_names(&path.path, text),
        syn::Type::TraitObject(object) => bounds_names(&object.bounds, text),
        syn::Type::ImplTrait(bounds) => bounds_names(&bounds.bounds, text),
        syn::Type::Paren(inner) => type_names(&inner.elem, text),
        syn::Type::Group(inner) => type_names(&inner.elem, text),
        syn::Type::Slice(slice) => type_names(&slice.elem, text),
        syn::Type::Array(array) => type_names(&array.elem, text),
        syn::Type::Ptr(pointer) => type_names(&pointer.elem, text),
        syn::Type::Tuple(tuple) => tuple.elems.iter().for_each(|elem| type_names(elem, text)),
        _ => {}
    }
}

/// Whether a type's text names a database type: a pool, a connection or
/// client, a transaction, an executor, or a driver's crate.
fn names_database_type(text: &str) -> bool {
    const HINTS: &[&str] = &[
        "Pool",
        "Conn",
        "Client",
        "Transaction",
        "Executor",
        "Acquire",
        "Sql",
        "Pg",
        "Postgres",
        "Mysql",
        "MySql",
        "Sqlite",
        "Db",
        "DB",
        "Database",
        "Object",
        "Manager",
        "sqlx",
        "diesel",
        "rusqlite",
        "postgres",
        "mysql",
        "deadpool",
        "bb8",
        "r2d2",
    ];
    HINTS.iter().any(|hint| text.contains(hint))
}

/// `Connection::open(path)?`, `SqliteConnection::connect(url).await?`,
/// `PgConnection::establish(url)?`, a project's `open_db(path)?`: a new
/// connection of its own, not one from a pool.
fn opens_connection(expr: &Expr) -> bool {
    let opens =
        |name: &str| name.starts_with("open") || name.starts_with("connect") || name == "establish";
    match peel(expr) {
        Expr::Try(inner) => opens_connection(&inner.expr),
        Expr::Await(inner) => opens_connection(&inner.base),
        Expr::MethodCall(call) if RESULT_ADAPTERS.contains(&call.method.to_string().as_str()) => {
            opens_connection(&call.receiver)
        }
        Expr::MethodCall(call) => opens(&call.method.to_string()),
        Expr::Call(call) => {
            path_text(&call.func).is_some_and(|f| opens(f.rsplit("::").next().unwrap_or(&f)))
        }
        _ => false,
    }
}

/// A transaction lent to a function of this file whose body writes nothing
/// (no statement that writes, nothing lent on to a function that may) is
/// only read through: the write its call was taken for did not happen.
/// Functions are known by their last name (`Db::lookup` as `lookup`), when
/// that name is the file's only one.
fn drop_reads_of_own_functions(
    flows: &mut [FnFlow],
    lends: &[Vec<(String, Span)>],
    quiet: &[String],
) {
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
    // that lend to one not in the set, until nothing changes.
    let mut reads_only: Vec<bool> = direct_writes.iter().map(|w| !w).collect();
    loop {
        let mut changed = false;
        for index in 0..flows.len() {
            if reads_only[index]
                && lends[index]
                    .iter()
                    .any(|(callee, _)| !reads(&by_name, &reads_only, callee))
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
            block
                .events
                .retain(|e| !(e.kind == EventKind::Write && unwritten.contains(&e.span)));
        }
    }
}

/// Whether `callee`, by last name, is one function of the file that writes
/// nothing.
fn reads(by_name: &HashMap<String, Option<usize>>, reads_only: &[bool], callee: &str) -> bool {
    match by_name.get(callee) {
        Some(Some(usize::MAX)) => true,
        Some(Some(index)) => reads_only[*index],
        _ => false,
    }
}

/// The functions of a file, by last name, that begin a transaction on a
/// connection passed to them and leave it open on every normal return, or
/// that end the transaction of one on every way out (see `summarize`). A
/// name the file uses twice is left out.
fn transaction_helpers(flows: &[FnFlow]) -> HashMap<String, TransactionHelper> {
    let mut helpers: HashMap<String, Option<TransactionHelper>> = HashMap::new();
    for flow in flows {
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
                    let handle = flow
                        .handles
                        .iter()
                        .position(|h| Some(&h.name) == param.as_ref())?;
                    let exits = &facts.handles[handle];
                    let normal: Vec<_> = exits
                        .exits
                        .iter()
                        .filter(|exit| exit.exit == ExitKind::Normal)
                        .collect();
                    (!exits.truncated
                        && !normal.is_empty()
                        && normal.iter().all(|exit| {
                            matches!(exit.tx, crate::flow::state::TxState::Open { .. })
                        }))
                    .then_some(TransactionHelper::Begins(position))
                });
        } else if on_param(&[EventKind::Commit, EventKind::Rollback]) {
            helper = crate::flow::summary::summarize(flow)
                .ends
                .first()
                .map(|&position| TransactionHelper::Ends(position));
        }
        let Some(helper) = helper else { continue };
        helpers
            .entry(name)
            .and_modify(|known| *known = None)
            .or_insert(Some(helper));
    }
    helpers
        .into_iter()
        .filter_map(|(name, helper)| Some((name, helper?)))
        .collect()
}
