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
        self.try_depth += 1;
        self.stmts(try_stmt.block.stmts.iter());
        self.try_depth -= 1;
        self.builder.try_catch(&token);
        if let Some(handler) = &try_stmt.handler {
            if let Some(param) = &handler.param {
                self.declare_pattern(param, false);
                if let Pat::Ident(name) = param {
                    self.caught_errors.insert(name.id.sym.to_string());
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

    /// A closure created here is lowered on its own; if it releases one of
    /// our handles, releasing is its business from now on. Returns what it
    /// does to our places, for calls to it by name.
    pub(super) fn closure<N: for<'f> VisitWith<EffectScan<'f>>>(
        &mut self,
        span: SwcSpan,
        body: &N,
    ) -> Vec<(String, EndEffect)> {
        let effects: Vec<(String, EndEffect)> =
            EffectScan::of(self.file, body).into_iter().collect();
        // Whatever it releases, commits or rolls back is its business now.
        let mut handed: Vec<&String> = effects.iter().map(|(place, _)| place).collect();
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
