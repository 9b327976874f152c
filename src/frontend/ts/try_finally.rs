//! `try`/`catch`/`finally` and the promise chains that stand for them
//! (`.then`, `.catch`, `.finally`), closures run inline, and local
//! functions whose calls end what they are given.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn try_stmt(&mut self, try_stmt: &TryStmt) {
        let previous = self.try_previous.take();
        let catch_clause = try_stmt.handler.as_ref().map(|h| span_of(h.span));
        let token = self
            .builder
            .try_start(catch_clause, try_stmt.finalizer.is_some());
        // A `let` or `const` of the `try` block is out of scope in its
        // `catch` and `finally`: the name there is another variable, or
        // none (a `ReferenceError`).
        let block_scoped: Vec<String> = block_scoped_names(&try_stmt.block.stmts)
            .into_iter()
            .filter(|name| !self.locals.contains(name))
            .collect();
        self.try_depth += 1;
        self.stmts(try_stmt.block.stmts.iter());
        self.try_depth -= 1;
        for name in &block_scoped {
            self.builder.shadow(name);
        }
        self.builder.try_catch(&token);
        if let Some(handler) = &try_stmt.handler {
            if let Some(param) = &handler.param {
                self.declare_pattern(param, false);
                if let Pat::Ident(name) = param {
                    self.caught_errors.insert(name.id.sym.to_string());
                    // What is thrown is an error: `if (err)` in the clause
                    // holds.
                    let span = span_of(handler.span);
                    self.handle_event(EventKind::Assign(Known::TRUTHY), &name.id.sym, span);
                }
            }
            self.in_error_handler += 1;
            self.stmts(handler.body.stmts.iter());
            self.in_error_handler -= 1;
        }
        self.builder.try_finally(&token);
        if let Some(finalizer) = &try_stmt.finalizer {
            self.in_error_handler += 1;
            self.stmts(finalizer.stmts.iter());
            self.in_error_handler -= 1;
        }
        for name in block_scoped.iter().rev() {
            self.builder.unshadow(name);
        }
        let exits = self.builder.try_end(token);
        let catch = try_stmt
            .handler
            .as_ref()
            .zip(exits.catch_entry)
            .map(|(handler, entry)| CatchLayout {
                span: span_of(handler.span),
                body: span_of(handler.body.span),
                entry,
            });
        self.builder.try_layout(TryLayout {
            span: span_of(try_stmt.span),
            block: span_of(try_stmt.block.span),
            statements: try_stmt
                .block
                .stmts
                .iter()
                .map(|s| span_of(s.span()))
                .collect(),
            previous,
            catch,
            finally: try_stmt.finalizer.as_ref().map(|f| span_of(f.span)),
            exits: exits.exits,
            uncaught: exits.uncaught,
        });
    }

    /// `.then(cb)`, `.catch(cb)`, `.finally(cb)` with an inline callback:
    /// lowered as the `try` statement it stands for, so that
    /// `.finally(() => client.release())` releases on every path.
    pub(super) fn promise_chain(
        &mut self,
        receiver: &Expr,
        method: &str,
        args: &[ExprOrSpread],
    ) -> Option<Value> {
        let handler = args.first()?;
        let callback = inline_callback(&handler.expr);
        // `.catch` and `.finally` resolve to what the receiver resolves to
        // (`await pool.connect().catch(...)` is still a client).
        let value = match (method, callback) {
            ("then", Some(callback)) => {
                // `pool.connect().then((client) => ...)`: the callback's
                // parameter is the client.
                let resolved = self.expr(receiver);
                self.inline_callback(callback, resolved);
                Value::Nothing
            }
            // `.catch(console.error)` handles the rejection as surely as an
            // inline callback does.
            ("catch", callback) => {
                let token = self
                    .builder
                    .try_start(Some(span_of(handler.expr.span())), false);
                let value = self.expr(receiver);
                self.builder.try_catch(&token);
                self.in_error_handler += 1;
                match callback {
                    Some(callback) => self.inline_callback(callback, Value::Nothing),
                    None => {
                        self.expr(&handler.expr);
                    }
                }
                self.in_error_handler -= 1;
                self.builder.try_finally(&token);
                self.builder.try_end(token);
                value
            }
            ("finally", Some(callback)) => {
                let token = self.builder.try_start(None, true);
                let value = self.expr(receiver);
                self.builder.try_catch(&token);
                self.builder.try_finally(&token);
                self.in_error_handler += 1;
                self.inline_callback(callback, Value::Nothing);
                self.in_error_handler -= 1;
                self.builder.try_end(token);
                value
            }
            _ => return None,
        };
        Some(value)
    }

    /// The callback APIs: `pool.getConnection((err, conn) => ..)`,
    /// `conn.beginTransaction((err) => ..)`, `conn.query(sql, (err, rows)
    /// => ..)` on a connection of this function. The callback runs once,
    /// when the call is done, and is lowered there: first with an error
    /// (then nothing was checked out or begun), or without one (see
    /// `run_callback_once`). `None` when the call is not one of these.
    pub(super) fn node_callback(
        &mut self,
        callee: &Expr,
        receiver: &Expr,
        method: &str,
        args: &[ExprOrSpread],
        span: SwcSpan,
    ) -> Option<Value> {
        let (last, rest) = args.split_last()?;
        let callback = inline_callback(&last.expr)?;
        let receiver_place = place_of(receiver)?;
        let vocabulary = self.file.vocabulary;
        let name = receiver_place.rsplit('.').next().unwrap_or(&receiver_place);
        let effect = vocabulary
            .call_effect(method, rest.len(), &[name])
            .map(|effect| effect.effect);
        let on_handle = self.is_handle_here(&receiver_place);
        let checkout = !on_handle && effect == Some(Effect::Acquire) && callback.params.len() >= 2;
        let statement = on_handle
            && (vocabulary.is_sql_method(method)
                || matches!(
                    effect,
                    Some(Effect::Begin | Effect::Commit | Effect::Rollback)
                ));
        if !checkout && !statement {
            return None;
        }
        let call_span = span_of(span);
        let param = |index: usize| match callback.params.get(index) {
            Some(Pat::Ident(ident)) => Some((ident.id.sym.to_string(), ident.span)),
            _ => None,
        };
        let error = param(0);
        if let Some((error, _)) = &error {
            self.locals.insert(error.clone());
        }
        let may_fail_before = checkout || effect == Some(Effect::Begin);
        let error_name = error.as_ref().map(|(error, _)| error.as_str());
        let failed = may_fail_before.then(|| self.called_with_error(error_name, call_span));
        if checkout {
            if let Some((client, at)) = param(1) {
                self.locals.insert(client.clone());
                let acquired = Value::Acquired {
                    span: call_span,
                    certain: true,
                    via: method.to_string(),
                    begun: false,
                    pool: Some(receiver_place.clone()),
                    lazy: false,
                    refuses_after_release: false,
                };
                self.bind(&client, acquired, at, false);
                if let Some((done, _)) = param(2) {
                    self.release_functions.insert(done, client);
                }
            }
        } else {
            let value = self.call(callee, rest, span);
            self.discard(value);
        }
        match (failed, error_name) {
            (Some(failed), _) => self.called_without_error(failed, error_name, call_span),
            // The statement's own error, unknown here: it shadows what an
            // outer callback's parameter of the same name was known to be.
            (None, Some(error)) => {
                self.handle_event(EventKind::Assign(Known::UNKNOWN), error, call_span)
            }
            (None, None) => {}
        }
        for param in &callback.params {
            self.declare_pattern(param, false);
        }
        self.run_callback_once(callback.body, call_span);
        Some(Value::Nothing)
    }

    /// The callback a helper hands the client it checked out to (see
    /// `Summary::hands_client_to_callback`), lowered where the helper is
    /// called: on one path the helper failed and never calls it, on the
    /// other the callback owns the client at position `client` and must
    /// release it.
    pub(super) fn continuation(
        &mut self,
        callback: InlineCallback,
        client: usize,
        via: &str,
        span: Span,
    ) {
        for param in &callback.params {
            self.declare_pattern(param, false);
        }
        let (skipped, called) = self.builder.fork(None);
        self.builder.switch_to(called);
        // `(err, connection) => ..`: called with an error, it is given no
        // client (the helper gave up on its own), as a callback checkout
        // is (see `node_callback`).
        let error = match callback.params.first() {
            Some(Pat::Ident(error)) if client > 0 => Some(error.id.sym.to_string()),
            _ => None,
        };
        if let Some(error) = &error {
            self.locals.insert(error.clone());
        }
        let failed = error
            .as_deref()
            .map(|error| self.called_with_error(Some(error), span));
        if let Some(Pat::Ident(param)) = callback.params.get(client) {
            let acquired = Value::Acquired {
                span,
                certain: true,
                via: via.to_string(),
                begun: false,
                pool: None,
                lazy: false,
                refuses_after_release: false,
            };
            self.bind(&param.id.sym, acquired, param.span, false);
        }
        if let Some(failed) = failed {
            self.called_without_error(failed, error.as_deref(), span);
        }
        self.run_callback_once(callback.body, span);
        let called = self.builder.current();
        self.builder.join(&[skipped, called]);
    }

    /// An error-first callback's two calls: this forks off the one with
    /// an error (its `error` parameter truthy, nothing handed over) and
    /// goes on with the other; `called_without_error` joins them once
    /// what the other is handed is bound. Returns the first's end.
    fn called_with_error(&mut self, error: Option<&str>, span: Span) -> crate::flow::BlockId {
        let (failed, done) = self.builder.fork(None);
        self.builder.switch_to(failed);
        if let Some(error) = error {
            self.handle_event(EventKind::Assign(Known::TRUTHY), error, span);
        }
        let failed = self.builder.current();
        self.builder.switch_to(done);
        failed
    }

    /// See `called_with_error`.
    fn called_without_error(
        &mut self,
        failed: crate::flow::BlockId,
        error: Option<&str>,
        span: Span,
    ) {
        if let Some(error) = error {
            self.handle_event(EventKind::Assign(Known::NULLISH), error, span);
        }
        let done = self.builder.current();
        self.builder.join(&[failed, done]);
    }

    /// A callback of the callback API, lowered where it runs, once, its
    /// parameters already declared. An exception thrown inside it reaches
    /// no `catch` of the caller's: the process ends, so it is no path.
    fn run_callback_once(&mut self, body: InlineBody, span: Span) {
        let token = self.builder.try_start(Some(span), false);
        self.in_node_callback += 1;
        self.inline_callback(
            InlineCallback {
                params: Vec::new(),
                body,
            },
            Value::Nothing,
        );
        self.in_node_callback -= 1;
        self.builder.try_catch(&token);
        self.builder.start_unreachable();
        self.builder.try_finally(&token);
        self.builder.try_end(token);
    }

    pub(super) fn inline_callback(&mut self, callback: InlineCallback, argument: Value) {
        let label = format!("<callback {}>", self.callback_labels.len());
        let after = self.builder.new_block();
        self.builder
            .push_breakable(BreakableKind::Labeled, Some(label.clone()), after, None);
        self.callback_labels.push(label);
        if let Some(Pat::Ident(param)) = callback.params.first() {
            self.locals.insert(param.id.sym.to_string());
            self.bind(&param.id.sym, argument, param.span, false);
        }
        match callback.body {
            InlineBody::Block(stmts) => self.stmts(stmts.iter()),
            InlineBody::Expr(expr) => {
                self.expr(expr);
            }
        }
        self.callback_labels.pop();
        self.builder.goto(after);
        self.builder.pop_breakable();
        self.builder.switch_to(after);
    }

    /// The top level of a module that serves requests (and does not start
    /// the server): a client it checks out as it loads, kept in a
    /// variable, is never given back, and every request shares it.
    pub(super) fn module_shared_by_requests(&self) -> bool {
        self.module_scope
            && self.builder.name() == MODULE_BODY
            && self.file.serves_requests
            && !self.file.starts_server
    }

    /// A closure created here is lowered on its own; if it releases one of
    /// our handles, releasing is its business from now on. Returns what it
    /// does to our places, for calls to it by name.
    pub(super) fn closure<N: for<'f> VisitWith<EffectScan<'f>>>(
        &mut self,
        span: SwcSpan,
        body: &N,
    ) -> Vec<(String, EndEffect)> {
        let effects: Vec<(String, EndEffect)> =
            EffectScan::of(self.file, body, self.release_functions.clone())
                .into_iter()
                .collect();
        // Whatever it releases, commits or rolls back is its business now;
        // but a route handler that runs its transactions on the client the
        // module checked out as it loaded shares it with every request,
        // and only a release gives it back.
        let shared_by_requests = self.module_shared_by_requests();
        let mut handed: Vec<&String> = effects
            .iter()
            .filter(|(_, effect)| !shared_by_requests || *effect == EndEffect::Release)
            .map(|(place, _)| place)
            .collect();
        handed.dedup();
        for place in handed {
            self.handle_event(EventKind::HandedOff, place, span_of(span));
        }
        effects
    }

    /// Calling a closure of this function by name does what its body does
    /// to our places (`const fail = async () => { ROLLBACK ... }`).
    pub(super) fn call_local_function(&mut self, name: &str, span: Span) {
        let Some(effects) = self.local_functions.get(name).cloned() else {
            return;
        };
        for (place, effect) in effects {
            let kind = match effect {
                EndEffect::Commit => EventKind::Commit,
                EndEffect::Rollback => EventKind::Rollback,
                EndEffect::Release => EventKind::Release,
            };
            self.handle_event(kind, &place, span);
        }
    }
}

/// The names a block's own `let` and `const` declarations bind (not
/// `var`, which belongs to the function).
fn block_scoped_names(stmts: &[Stmt]) -> Vec<String> {
    let mut names = Vec::new();
    for stmt in stmts {
        if let Stmt::Decl(Decl::Var(var)) = stmt
            && var.kind != VarDeclKind::Var
        {
            for declarator in &var.decls {
                if let Pat::Ident(name) = &declarator.name {
                    names.push(name.id.sym.to_string());
                }
            }
        }
    }
    names
}
