//! Rust statements and control flow: function bodies and their tail
//! expressions (each arm of a tail `match` returns on its own), `let` and
//! `let else`, blocks, loops and what leaving an iteration drops.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn body(&mut self, body: FnBody) {
        // Every assignment of a flag must say what it gave, also one
        // lowered before the literal that makes it a flag (the top of a
        // loop): find the flags first.
        let mut flags = Flags::default();
        match body {
            FnBody::Block(block) => flags.visit_block(block),
            FnBody::Expr(expr) => flags.visit_expr(expr),
        }
        self.flags = flags.into_flags();
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
    pub(super) fn tail_block(&mut self, block: &Block) {
        let rewritten = with_closures_run_where_bound(&block.stmts);
        let stmts = rewritten.as_deref().unwrap_or(&block.stmts);
        // A macro ending the block (`finish!(outcome, tx)`) is its value.
        if let Some((Stmt::Macro(last), init)) = stmts.split_last()
            && last.semi_token.is_none()
            && let Some(expanded) = self.own_expansion(&last.mac)
        {
            let value = self.stmts(init);
            self.settle(value);
            self.in_expansion(&expanded, Self::tail);
            return;
        }
        let Some((Stmt::Expr(tail, None), init)) = stmts.split_last() else {
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
    pub(super) fn tail(&mut self, expr: &Expr) {
        if !self.enter(expr) {
            return;
        }
        match peel(expr) {
            Expr::Match(match_expr) => {
                let scrutinee = self.expr(&match_expr.expr);
                let dispatch = self.match_dispatch(match_expr);
                for (index, arm) in match_expr.arms.iter().enumerate() {
                    let entry = self.builder.new_block();
                    self.builder.switch_to(dispatch.arm_start(&arm.pat));
                    self.builder.goto(entry);
                    self.builder.switch_to(entry);
                    let zero_rows = zero_rows_arm(&match_expr.arms, index);
                    self.enter_arm(&scrutinee, &match_expr.expr, &arm.pat, zero_rows);
                    self.tail(&arm.body);
                }
                self.builder.start_unreachable();
            }
            Expr::If(if_expr) => self.if_branches(
                if_expr,
                |this| this.tail_block(&if_expr.then_branch),
                |this| match &if_expr.else_branch {
                    Some((_, else_branch)) => this.tail(else_branch),
                    None => this
                        .builder
                        .return_(this.span(if_expr.span()), ExitKind::Normal),
                },
            ),
            Expr::Block(block) if block.label.is_none() => self.tail_block(&block.block),
            Expr::Unsafe(block) => self.tail_block(&block.block),
            Expr::Macro(mac) if let Some(expanded) = self.own_expansion(&mac.mac) => {
                self.in_expansion(&expanded, Self::tail);
            }
            other => {
                let value = self.expr(other);
                self.exit_with(other, value);
            }
        }
        self.depth -= 1;
    }

    /// Leave the function with the value of `expr` (its tail or `return`).
    pub(super) fn exit_with(&mut self, expr: &Expr, value: Value) {
        self.settle(value.clone());
        self.escape(&value, &expr);
        self.return_result(expr, self.span(expr.span()));
    }

    /// Return `expr`: an error exit for `Err(..)`; for a `Result` kept in
    /// a local that a branch tested (`if result.is_ok() { tx.commit()?; }
    /// result`), an error exit exactly where that test said it failed.
    pub(super) fn return_result(&mut self, expr: &Expr, at: Span) {
        if is_err_constructor(expr) || answers_http_error(expr) || self.returns_error_answer(expr) {
            self.builder.return_(at, ExitKind::Error);
            return;
        }
        // A visible `Ok(..)` succeeds even in an `Err(..)` arm, where a
        // bare `return;` of a `()` worker gives up on the error; unless the
        // function never returns an `Err`, and `Ok(..)` is all it has.
        if is_ok_constructor(expr) {
            if !self.returns_no_error {
                self.builder.mark_success_path();
            }
            self.builder.visible_success(at);
        }
        self.note_reported_write(expr);
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

    /// `Ok(response)` of a local that holds an error's response (see
    /// `error_answers`).
    fn returns_error_answer(&self, expr: &Expr) -> bool {
        matches!(peel(expr), Expr::Call(call) if is_ok_constructor(expr)
            && call.args.len() == 1
            && place_of(&call.args[0]).is_some_and(|local| self.error_answers.contains(&local)))
    }

    /// Fold a successful return into `reported_write`: `Ok(false)` says
    /// nothing was written, `Ok(res.rows_affected() == 1)` (or `> 0`, or
    /// `changed > 0` on the count an `execute` returned) that
    /// the write `res` came from changed a row, and `Ok(true)` (after a
    /// write that always changes one) never says nothing was; anything
    /// else is not a report of a write.
    fn note_reported_write(&mut self, expr: &Expr) {
        let reported = match peel(expr) {
            Expr::Call(call)
                if path_text(&call.func).as_deref() == Some("Ok") && call.args.len() == 1 =>
            {
                match peel(&call.args[0]) {
                    Expr::Lit(lit) if matches!(&lit.lit, Lit::Bool(_)) => None,
                    Expr::Binary(binary) => Some(self.wrote_test(binary)),
                    _ => Some(None),
                }
            }
            _ => Some(None),
        };
        let Some(through) = reported else {
            return;
        };
        self.reported_write = match (std::mem::take(&mut self.reported_write), through) {
            (ReportedWrite::Nothing, Some(place)) => ReportedWrite::Through(place),
            (ReportedWrite::Through(known), Some(place)) if known == place => {
                ReportedWrite::Through(known)
            }
            _ => ReportedWrite::Other,
        };
    }

    /// The place whose write `binary` says changed a row when it holds
    /// (`res.rows_affected() == 1`, `> 0`, `!= 0`).
    fn wrote_test(&self, binary: &syn::ExprBinary) -> Option<String> {
        let test = comparison_with_zero_rows(binary)?;
        // A write result's count, or the count itself that rusqlite's and
        // postgres' `execute` return.
        let counted = |side: &Expr| {
            place_of(counted_rows(side).unwrap_or(side))
                .and_then(|local| self.write_results.get(&local))
        };
        let (written, literal_on_right) = match (counted(&binary.left), counted(&binary.right)) {
            (Some(written), _) => (written, true),
            (None, Some(written)) => (written, false),
            _ => return None,
        };
        // The test says "no row" when it fails.
        (test(literal_on_right) == Some(false)).then(|| written.0.clone())
    }

    /// `result.is_ok()` / `result.is_err()` (or `if let Err(e) = &result`)
    /// on a local: the branch says which the result is, for a later return
    /// of it.
    pub(super) fn result_test(&mut self, condition: &Expr) -> Option<Guard> {
        let (tested, ok) = match peel(condition) {
            Expr::MethodCall(call) => match call.method.to_string().as_str() {
                "is_ok" => (&*call.receiver, true),
                "is_err" => (&*call.receiver, false),
                _ => return None,
            },
            Expr::Let(let_expr) => match &*let_expr.pat {
                Pat::TupleStruct(tuple)
                    if tuple.path.is_ident("Ok") || tuple.path.is_ident("Err") =>
                {
                    (&*let_expr.expr, tuple.path.is_ident("Ok"))
                }
                _ => return None,
            },
            _ => return None,
        };
        let place = place_of(tested).filter(|p| !p.contains('.'))?;
        self.tested_results.insert(place.clone());
        Some(self.result_guard(&place, ok))
    }

    /// `if started` / `if !started` on a flag (see `flags`): the branch is
    /// taken only on the paths where the flag has that value.
    pub(super) fn flag_test(&mut self, condition: &Expr) -> Option<Guard> {
        let (tested, holds) = match peel(condition) {
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Not(_)) => (&*unary.expr, false),
            Expr::Binary(binary) => counter_test(binary)?,
            other => (other, true),
        };
        let place = place_of(tested).filter(|place| self.flags.contains(place))?;
        Some(Guard {
            place: self.builder.handle(&place),
            test: Test::Truthy,
            holds,
        })
    }

    /// Lower `init`, the value a `let` or an assignment gives the local
    /// `name`: a `true` or `false`, also at the end of a branch of an `if`
    /// or `match` (`if autocommit { begin()?; true } else { false }`), says
    /// which way a later `if name` goes on that path.
    pub(super) fn flag_value(&mut self, name: Option<&str>, init: &Expr) -> Value {
        let branches = matches!(init, Expr::If(_) | Expr::Match(_));
        if branches {
            self.flag_target = name.map(str::to_string);
        }
        let value = self.expr(init);
        // The branches said it themselves, unless lowering gave up early.
        let said = branches && self.flag_target.take().is_none();
        if let Some(name) = name
            && !said
        {
            // A counter's `0` is false, as a test of it reads it.
            let given = bool_value(init).or_else(|| {
                int_value(init)
                    .filter(|_| self.flags.contains(name))
                    .map(|count| count != 0)
            });
            self.assign_flag(name, given, self.span(init.span()));
        }
        value
    }

    /// The value an arm of an `if` or `match` ends with: a transaction it
    /// began is the `let`'s local (`begun_into`) on that arm's path, begun
    /// where the first such arm began it (`first`), so that one `let` is
    /// one transaction to report.
    pub(super) fn arm_value<T: Spanned + ?Sized>(
        &mut self,
        begun_into: Option<&str>,
        first: &std::cell::Cell<Option<Span>>,
        value: Value,
        arm: &T,
    ) {
        match (begun_into, value) {
            (Some(name), Value::TransactionObject(at)) => {
                let at = first.get().unwrap_or(at);
                first.set(Some(at));
                self.bind(name, Value::TransactionObject(at), arm);
            }
            (_, value) => self.settle(value),
        }
    }

    /// The local `name` is given `value` here (`None`: not a literal).
    pub(super) fn assign_flag(&mut self, name: &str, value: Option<bool>, span: Span) {
        let known = match value {
            Some(true) => Known::TRUTHY,
            Some(false) => Known::FALSY,
            // What was known of a flag is stale; any other local has
            // nothing to forget.
            None if self.flags.contains(name) => Known::UNKNOWN,
            None => return,
        };
        self.event(EventKind::Assign(known), name, span);
    }

    pub(super) fn result_guard(&mut self, place: &str, ok: bool) -> Guard {
        Guard {
            place: self.builder.handle(&format!("{place}.is_ok()")),
            test: Test::Truthy,
            holds: ok,
        }
    }

    /// `let result = (|| { .. })();` or `let result = async { .. }.await;`:
    /// the body runs here, as a `try` whose error, from a `?` inside it,
    /// lands in `result` (`result.is_ok()` is false there) instead of
    /// leaving the function. A `return` inside the body leaves only the
    /// closure, with the value it gives `result`.
    fn run_in_place(&mut self, result: &str, body: &Block) {
        let end = self.span(body.brace_token.span.close());
        self.run_as_try(result, body.span(), end, |this, tested| {
            let after = this.builder.new_block();
            let label = format!("(closure of {result})");
            this.builder
                .push_breakable(BreakableKind::Labeled, Some(label.clone()), after, None);
            this.returns_into.push((label, tested));
            let value = this.block(body);
            this.returns_into.pop();
            this.settle(value);
            this.builder
                .event(EventKind::Assign(Known::UNKNOWN), tested, end);
            this.builder.goto(after);
            this.builder.pop_breakable();
            this.builder.switch_to(after);
        });
    }

    /// `return value` inside a closure run in place (see `run_in_place`):
    /// `value` lands in the closure's result. An `Err(..)` leaves as a `?`
    /// would (what the closure declared is dropped on an error path).
    pub(super) fn return_from_closure(&mut self, value: Option<&Expr>, at: Span) -> bool {
        let Some((label, tested)) = self.returns_into.last().cloned() else {
            return false;
        };
        let known = match value {
            Some(value) if is_err_constructor(value) => {
                self.builder.throw(at);
                return true;
            }
            Some(value) if is_ok_constructor(value) => Known::TRUTHY,
            _ => Known::UNKNOWN,
        };
        self.builder.event(EventKind::Assign(known), tested, at);
        self.builder.break_(Some(&label));
        true
    }

    /// `let result = begin.and_then(|_| write).and_then(|_| commit);`:
    /// each link runs here, as a `try` that the first failing one leaves
    /// for `result`; past the last, `result` is `Ok`.
    fn run_chain_in_place(&mut self, result: &str, chain: &Expr, links: &[&Expr]) {
        let whole = self.span(chain.span());
        let end = Span::new(whole.end.saturating_sub(1), whole.end);
        self.run_as_try(result, chain.span(), end, |this, tested| {
            this.chain_links(links);
            this.builder
                .event(EventKind::Assign(Known::TRUTHY), tested, whole);
        });
    }

    /// The error exit of the `?` at `span` applied to `value`: the closures
    /// `handlers` run on the error first (`.map_err(|e| ..)`), a script
    /// that failed between its own `BEGIN` and `COMMIT` leaves its
    /// transaction open there, and a write that failed wrote nothing.
    pub(super) fn leave_on_error(&mut self, value: &Value, handlers: &[&Expr], span: Span) {
        let script = match value {
            Value::Script { place, span } => Some((place.clone(), *span)),
            _ => None,
        };
        // A write that failed wrote nothing (see `Unwritten`).
        let unwritten = match value {
            Value::Wrote { place, spans } => Some((place.clone(), spans.clone())),
            Value::Attempted { place, span } => Some((place.clone(), vec![*span])),
            _ => None,
        };
        if handlers.is_empty() && script.is_none() && unwritten.is_none() {
            self.builder.may_throw(span);
            return;
        }
        let (ok, failed) = self.builder.fork(None);
        self.builder.switch_to(failed);
        if let Some((place, at)) = script {
            self.event(EventKind::Begin, &place, at);
        }
        if let Some((place, spans)) = unwritten {
            for at in spans {
                self.event(EventKind::WroteNothing, &place, at);
            }
        }
        for handler in handlers {
            let handled = self.expr(handler);
            self.settle(handled);
        }
        self.builder.throw(span);
        self.builder.switch_to(ok);
    }

    /// What `value?` is where it succeeded: a begun transaction is the
    /// connection's now, and an attempted write's answer is its value.
    pub(super) fn past_question_mark(&mut self, value: Value) -> Value {
        self.settle(value.clone());
        match value {
            Value::Begins { .. } | Value::Script { .. } => Value::Nothing,
            Value::Attempted { place, span } => Value::Answered { place, span },
            other => other,
        }
    }

    /// The links of an `and_then` chain, in order, each failing like a `?`.
    pub(super) fn chain_links(&mut self, links: &[&Expr]) {
        for link in links {
            let value = self.expr(link);
            self.settle(value);
            let span = self.span(link.span());
            self.builder.may_throw(span);
        }
    }

    /// Run `body` as a `try` whose error lands in the local `result`
    /// (`result.is_ok()` is false there); `body` says what `result.is_ok()`
    /// is where it ends normally, given that test.
    fn run_as_try(
        &mut self,
        result: &str,
        whole: proc_macro2::Span,
        end: Span,
        body: impl FnOnce(&mut Self, HandleId),
    ) {
        let span = self.span(whole);
        let tested = self.builder.handle(&format!("{result}.is_ok()"));
        let mark = self.declared.len();
        let token = self.builder.try_start(Some(span), false);
        body(self, tested);
        // What the body declared goes out of scope with it; on an error
        // that leaves it, a transaction of its own is rolled back.
        self.drop_since(mark, end, false);
        self.builder.try_catch(&token);
        self.drop_since(mark, end, true);
        self.builder
            .event(EventKind::Assign(Known::FALSY), tested, span);
        self.builder.try_finally(&token);
        self.builder.try_end(token);
        self.declared.truncate(mark);
    }

    /// Lower a block; its value is the tail expression's.
    pub(super) fn block(&mut self, block: &Block) -> Value {
        // A `let` that shadows a parameter does so to the end of its block;
        // a transaction begun in it is dropped there.
        let shadowed = self.shadowed_params.len();
        let sources = self.sources.clone();
        let value = self.stmts(&block.stmts);
        self.sources = sources;
        for (name, receiver) in self.shadowed_params.drain(shadowed..).rev() {
            self.params.push(name.clone());
            if let Some(receiver) = receiver {
                self.param_receivers.insert(name, receiver);
            }
        }
        value
    }

    pub(super) fn stmts(&mut self, stmts: &[Stmt]) -> Value {
        if let Some(rewritten) = with_closures_run_where_bound(stmts) {
            return self.stmts_as_written(&rewritten);
        }
        self.stmts_as_written(stmts)
    }

    fn stmts_as_written(&mut self, stmts: &[Stmt]) -> Value {
        let mut value = Value::Nothing;
        for (index, stmt) in stmts.iter().enumerate() {
            let last = index + 1 == stmts.len();
            match stmt {
                Stmt::Local(local) => self.local(local),
                // An `if` without `else`, or a `match` whose arms only log,
                // has no value to give, last or not.
                Stmt::Expr(expr, semi)
                    if (semi.is_some() || !last || gives_no_value(expr))
                        && self.commit_failure_carried_on(expr) => {}
                Stmt::Expr(expr, None) if last => value = self.expr(expr),
                Stmt::Expr(expr, Some(_)) if self.discards_result(expr) => {}
                // `_ = tx.commit();` throws the result away as `let _ =` does.
                Stmt::Expr(Expr::Assign(assign), Some(semi))
                    if matches!(peel(&assign.left), Expr::Infer(_)) =>
                {
                    self.local(&discarding(assign, *semi));
                }
                // `sqlx::query("..").execute(&mut *tx).await.ok();`
                Stmt::Expr(Expr::MethodCall(call), Some(_))
                    if call.method == "ok" && call.args.is_empty() =>
                {
                    let value = self.result_discarded(|this| this.expr(&call.receiver));
                    self.failure_discarded(&value);
                    self.settle(value);
                }
                Stmt::Expr(expr, _) => {
                    let value = self.expr(expr);
                    self.settle(value);
                }
                Stmt::Macro(stmt) if last && stmt.semi_token.is_none() => {
                    value = self.macro_call(&stmt.mac);
                }
                Stmt::Macro(stmt) => {
                    let value = self.macro_call(&stmt.mac);
                    self.settle(value);
                }
                Stmt::Item(_) => {}
            }
        }
        value
    }

    pub(super) fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else { return };
        if matches!(local.pat, Pat::Wild(_))
            && init.diverge.is_none()
            && self.discarded_commit(&init.expr)
        {
            return;
        }
        if let Some(name) = binding_name(&local.pat) {
            match init.diverge.is_none() && answers_http_error(&init.expr) {
                true => self.error_answers.insert(name),
                false => self.error_answers.remove(&name),
            };
        }
        if init.diverge.is_none()
            && let Some(name) = binding_name(&local.pat)
        {
            if let Some(body) = run_at_once(&init.expr) {
                self.run_in_place(&name, body);
                self.bind(&name, Value::Nothing, &*init.expr);
                return;
            }
            if let Some(links) = and_then_links(&init.expr) {
                self.run_chain_in_place(&name, &init.expr, &links);
                self.bind(&name, Value::Nothing, &*init.expr);
                return;
            }
            // `let moved = res.rows_affected() > 0;`: a later `if !moved`
            // tests the write.
            if let Expr::Binary(binary) = peel(&init.expr)
                && comparison_with_zero_rows(binary).is_some()
            {
                let (_, _, zero_rows) = self.condition(&init.expr);
                self.bind(&name, Value::Nothing, &*init.expr);
                if let Some(zero_rows) = zero_rows {
                    self.zero_row_tests.insert(name.clone(), zero_rows);
                }
                return;
            }
        }
        if let Some(name) = binding_name(&local.pat) {
            match copied_place(&init.expr) {
                Some(copied) if copied != name => self.copies.insert(name.clone(), copied),
                _ => self.copies.remove(&name),
            };
            match self.sql_text(&init.expr) {
                Some(text) => self.local_texts.insert(name.clone(), text),
                None => self.local_texts.remove(&name),
            };
            match self.statement_list(&init.expr) {
                Some(list) => self.local_lists.insert(name, list),
                None => self.local_lists.remove(&name),
            };
        }
        let name = binding_name(&local.pat);
        // `let _ = ..;` throws the result away; with a `?` at its end, its
        // failure has left the function, and only its value is dropped.
        let discards = matches!(local.pat, Pat::Wild(_))
            && init.diverge.is_none()
            && !matches!(peel(&init.expr), Expr::Try(_));
        let lowered = match discards {
            true => self.result_discarded(|this| this.expr(&init.expr)),
            false => self.flag_value(name.as_deref(), &init.expr),
        };
        let value = match lowered {
            // `let txn = store.transaction();` binds what the call gives as
            // it is, and every driver's begin gives a `Result` or a future:
            // this is a project's own handle.
            Value::TransactionObject(_) if name.is_some() && self.begins_bare(&init.expr) => {
                Value::Nothing
            }
            value => value,
        };
        // From here on the name is this binding's, no parameter's.
        if let Some(name) = &name
            && let Some(at) = self.params.iter().position(|param| param == name)
        {
            self.params.remove(at);
            let receiver = self.param_receivers.remove(name);
            self.shadowed_params.push((name.clone(), receiver));
        }
        if let Some((_, diverge)) = &init.diverge {
            // `let PAT = value else { return .. };`: the pattern may not match.
            let (matched, other) = self.builder.fork(None);
            self.builder.switch_to(other);
            // `let Ok(1) = write else ..` changed no row there; `let Ok(_)
            // = write else ..` failed.
            if let Value::Wrote { place, spans } = &value
                && let Some(why) = match zero_rows_pattern(&local.pat) {
                    Some(false) => Some(Unwritten::NoRow),
                    None if any_success(&local.pat) => Some(Unwritten::StatementFailed),
                    _ => None,
                }
            {
                for &span in spans {
                    self.wrote_nothing(place, span, why);
                }
                if why == Unwritten::StatementFailed {
                    self.builder.mark_error_path(self.span(local.pat.span()));
                }
            }
            // `let Ok(_) = tx.set_processed(id) else { .. }`: a call that may
            // have written through the transaction failed.
            if let Value::Attempted { place, span } = &value
                && zero_rows_pattern(&local.pat).is_none()
                && any_success(&local.pat)
            {
                self.wrote_nothing(place, *span, Unwritten::CallFailed);
                self.builder.mark_error_path(self.span(local.pat.span()));
            }
            let value = self.expr(diverge);
            self.settle(value);
            self.builder.start_unreachable();
            self.builder.switch_to(matched);
        }
        // `let guard = UndoOnDrop::arm(&self.conn);`: a guard whose type
        // rolls back what it holds when dropped takes over the transaction
        // open on what it was given.
        if let Some((type_name, given)) = constructed(&init.expr)
            && self.file.rolls_back_on_drop(&type_name)
        {
            let span = self.span(init.expr.span());
            for place in given {
                self.event(EventKind::Escape, &place, span);
            }
        }
        // `let mut tx = pool.begin().await?;`: writes sent through `pool`
        // from here on run outside the transaction.
        let begun_from = matches!(value, Value::TransactionObject(_))
            .then(|| begin_root(&init.expr))
            .flatten()
            .filter(|source| self.is_pool(source) || self.is_shared_field(source));
        // `let sp = tx.begin().await?;`: a savepoint, whose writes are
        // `tx`'s once it is released.
        if matches!(value, Value::TransactionObject(_))
            && let Some(outer) = chain_root(&init.expr)
            && self.owned.get(&outer) == Some(&Owned::Transaction)
        {
            let span = self.span(init.expr.span());
            self.event(EventKind::Write, &outer, span);
        }
        let bound = binding_name(&local.pat).or_else(|| success_binding(&local.pat));
        if let Some(name) = &bound {
            self.sources.forget(name);
            self.shares_connection(name, &value, &init.expr);
            match matches!(value, Value::TransactionObject(_))
                && matches!(peel(&init.expr), Expr::Try(_))
            {
                true => self.begun_with_failure_returned.insert(name.clone()),
                false => self.begun_with_failure_returned.remove(name),
            };
        }
        if let (Some(name), Some(source)) = (&bound, begun_from)
            && *name != source
        {
            let handle = self.builder.handle(name);
            let pool = self.builder.handle(&source);
            self.builder.set_begun_from(handle, pool);
            self.sources
                .pools
                .entry(source)
                .or_default()
                .push(name.clone());
        }
        match bound {
            Some(name) if value == Value::Nothing && self.opened_connection(&init.expr) => {
                self.owned.insert(name.clone(), Owned::Closes);
                self.declared.push(name);
            }
            Some(name) if value == Value::Nothing && self.builds_statement(&init.expr) => {
                let sql = self.built_statement(&init.expr);
                self.built.insert(name, sql);
            }
            // `let started = conn.execute("BEGIN", ()).await;`, tested
            // later with `started.is_err()`: the test says whether it ran.
            Some(name)
                if matches!(value, Value::Begins { .. })
                    && binding_name(&local.pat).is_some()
                    && self.tested_later.contains(&name) =>
            {
                self.bind(&name, Value::Nothing, &init.expr);
                self.begin_outcomes.insert(name, value);
            }
            // `let q = db.query("BEGIN");` in an async function: a request
            // not sent yet.
            Some(name)
                if matches!(value, Value::Begins { .. })
                    && self.builder.is_async()
                    && binding_name(&local.pat).is_some()
                    && matches!(peel(&init.expr), Expr::MethodCall(_) | Expr::Call(_)) =>
            {
                self.bind(&name, Value::Nothing, &init.expr);
                self.unsent.insert(name, value);
            }
            Some(name) => self.bind(&name, value, &init.expr),
            // `let (owner, db) = open_for(path, id)?`: the connection is
            // one of the names, and each closes when dropped.
            None if value == Value::Nothing && self.opened_connection(&init.expr) => {
                for name in pattern_names(&local.pat) {
                    self.owned.insert(name.clone(), Owned::Closes);
                    self.declared.push(name);
                }
            }
            // `let _ = sqlx::query("REVOKE ..").execute(&mut *tx).await;`:
            // the statement may have failed, and nobody asks.
            None if discards => {
                self.failure_discarded(&value);
                self.settle(value.clone());
                self.escape(&value, &init.expr);
            }
            None => {
                self.settle(value.clone());
                self.escape(&value, &init.expr);
            }
        }
    }

    /// Lower what a statement throws the result of away (`let _ = ..`,
    /// `.ok();`): a raw COMMIT in it may have failed unseen (see
    /// `run_sql`).
    pub(super) fn result_discarded(&mut self, lower: impl FnOnce(&mut Self) -> Value) -> Value {
        self.commit_result_discarded = true;
        let value = lower(self);
        self.commit_result_discarded = false;
        value
    }

    /// `let tx = conn.unchecked_transaction()?;` leaves `conn` usable: what
    /// is written through it from here on is written in `tx` (see
    /// `TransactionSources::connections`).
    pub(super) fn shares_connection(&mut self, name: &str, value: &Value, begun: &Expr) {
        if matches!(value, Value::TransactionObject(_))
            && method_chain(begun)
                .iter()
                .any(|method| method == "unchecked_transaction")
            && let Some(connection) = chain_root(begun)
            && connection != name
            && !self.is_pool(&connection)
        {
            self.sources
                .connections
                .insert(connection, name.to_string());
        }
    }

    /// A write's result thrown away: on the path where it failed, it wrote
    /// nothing, and on PostgreSQL it aborted the transaction, whose commit
    /// then rolls back. (A function with no result to fail through says
    /// nothing by succeeding.)
    pub(super) fn failure_discarded(&mut self, value: &Value) {
        // A statement's result, or a call's that was lent the transaction
        // and may write through it (`let _ = add_charge(&mut tx, ..).await;`).
        let (place, spans) = match value {
            Value::Wrote { place, spans } => (place, spans.clone()),
            Value::Attempted { place, span } => (place, vec![*span]),
            _ => return,
        };
        if !self.file.failed_statement_aborts || !self.returns_result {
            return;
        }
        let (written, failed) = self.builder.fork(None);
        self.builder.switch_to(failed);
        for span in spans {
            self.event(EventKind::FailureIgnored, place, span);
        }
        let failed = self.builder.current();
        self.builder.join(&[written, failed]);
    }

    /// The expression is a driver's begin call itself, with nothing
    /// taking its `Result` or awaiting it.
    fn begins_bare(&self, expr: &Expr) -> bool {
        matches!(peel(expr), Expr::MethodCall(call)
            if self.file.vocabulary.begins_object(&call.method.to_string(), call.args.len()))
    }

    pub(super) fn labeled_block(&mut self, label: Option<&syn::Label>, block: &Block) -> Value {
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

    pub(super) fn loop_body(
        &mut self,
        label: Option<&syn::Label>,
        exit: usize,
        head: usize,
        body: &Block,
    ) {
        let label = label.map(|l| l.name.ident.to_string());
        let mark = self.declared.len();
        self.loops.push((label.clone(), mark));
        self.builder
            .push_breakable(BreakableKind::Loop, label, exit, Some(head));
        let value = self.block(body);
        self.settle(value);
        self.drop_since(mark, self.span(body.brace_token.span.close()), false);
        while let Some((depth, name, hidden_at)) = self.shadowed_in_loops.last().cloned()
            && depth == self.loops.len()
        {
            self.shadowed_in_loops.pop();
            self.builder.unshadow(&name);
            if let Some(at) = hidden_at {
                self.taken_at.insert(name, at);
            }
        }
        self.builder.goto_back(head);
        self.builder.pop_breakable();
        self.loops.pop();
        self.declared.truncate(mark);
    }

    /// The owned handles declared since `mark` go out of scope here (an
    /// iteration ends, `break` or `continue` leaves it): a transaction is
    /// rolled back, a pooled connection goes back. With `failed`, an error
    /// leaves the scope: the transaction's rollback is the one intended.
    pub(super) fn drop_since(&mut self, mark: usize, span: Span, failed: bool) {
        let dropped: Vec<(EventKind, String)> = self.declared[mark.min(self.declared.len())..]
            .iter()
            .map(|name| {
                let kind = match self.owned.get(name) {
                    Some(Owned::Transaction) if !failed => EventKind::Dropped,
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
    pub(super) fn loop_mark(&self, label: Option<&str>) -> Option<usize> {
        self.loops
            .iter()
            .rev()
            .find(|(name, _)| label.is_none_or(|label| name.as_deref() == Some(label)))
            .map(|(_, mark)| *mark)
    }
}

/// The locals a branch tests whose value each path can follow (see
/// `Lowerer::flags`): those the body gives `true` or `false`, those
/// tested bare more than once (`if nested { SAVEPOINT } else { BEGIN }` ..
/// `if nested { RELEASE } else { COMMIT }`, `if dry_run` twice) whose every
/// binding is a plain `let` or a parameter and that change only by `=`,
/// and counters that only count up (`let mut written = 0;` .. `written +=
/// 1;` .. `if written > 0`): each of those says what it gave, so a path
/// keeps what a test told it.
#[derive(Default)]
struct Flags {
    literal: std::collections::HashSet<String>,
    tested: HashMap<String, usize>,
    /// Bound by `let` to `0`.
    counters: std::collections::HashSet<String>,
    /// Bound by a pattern (`let (a, b)`, `if let`, a `for` or a closure's
    /// parameter), changed by `+=` (but for a count up by a literal) and
    /// the like, or lent `&mut`.
    untracked: std::collections::HashSet<String>,
}

impl Flags {
    fn into_flags(self) -> std::collections::HashSet<String> {
        let Flags {
            mut literal,
            tested,
            counters,
            untracked,
        } = self;
        literal.extend(
            tested
                .into_iter()
                .filter(|(name, count)| *count > 1 && !untracked.contains(name))
                .map(|(name, _)| name),
        );
        literal.extend(
            counters
                .into_iter()
                .filter(|name| !untracked.contains(name)),
        );
        literal
    }
}

impl<'ast> Visit<'ast> for Flags {
    fn visit_local(&mut self, local: &'ast syn::Local) {
        match binding_name(&local.pat) {
            Some(name) => {
                if local
                    .init
                    .as_ref()
                    .is_some_and(|init| gives_bool_literal(&init.expr))
                {
                    self.literal.insert(name);
                } else if local
                    .init
                    .as_ref()
                    .is_some_and(|init| int_value(&init.expr) == Some(0))
                {
                    self.counters.insert(name);
                }
            }
            None => self.visit_pat(&local.pat),
        }
        if let Some(init) = &local.init {
            self.visit_expr(&init.expr);
            if let Some((_, diverge)) = &init.diverge {
                self.visit_expr(diverge);
            }
        }
    }

    fn visit_pat_ident(&mut self, ident: &'ast syn::PatIdent) {
        self.untracked.insert(ident.ident.to_string());
        syn::visit::visit_pat_ident(self, ident);
    }

    fn visit_expr_if(&mut self, if_expr: &'ast syn::ExprIf) {
        let tested = match peel(&if_expr.cond) {
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Not(_)) => peel(&unary.expr),
            other => other,
        };
        if let Some(name) = place_of(tested).filter(|place| !place.contains('.')) {
            *self.tested.entry(name).or_default() += 1;
        }
        syn::visit::visit_expr_if(self, if_expr);
    }

    fn visit_expr_binary(&mut self, binary: &'ast syn::ExprBinary) {
        use syn::BinOp;
        let compound = matches!(
            binary.op,
            BinOp::AddAssign(_)
                | BinOp::SubAssign(_)
                | BinOp::MulAssign(_)
                | BinOp::DivAssign(_)
                | BinOp::RemAssign(_)
                | BinOp::BitXorAssign(_)
                | BinOp::BitAndAssign(_)
                | BinOp::BitOrAssign(_)
                | BinOp::ShlAssign(_)
                | BinOp::ShrAssign(_)
        );
        let counts_up = matches!(binary.op, BinOp::AddAssign(_))
            && int_value(&binary.right).is_some_and(|step| step > 0);
        if compound
            && !counts_up
            && let Some(name) = place_of(&binary.left)
        {
            self.untracked.insert(name);
        }
        syn::visit::visit_expr_binary(self, binary);
    }

    fn visit_expr_reference(&mut self, reference: &'ast syn::ExprReference) {
        if reference.mutability.is_some()
            && let Some(name) = place_of(&reference.expr)
        {
            self.untracked.insert(name);
        }
        syn::visit::visit_expr_reference(self, reference);
    }

    fn visit_expr_assign(&mut self, assign: &'ast syn::ExprAssign) {
        if let Some(name) = place_of(&assign.left).filter(|place| !place.contains('.'))
            && gives_bool_literal(&assign.right)
        {
            self.literal.insert(name);
        }
        syn::visit::visit_expr_assign(self, assign);
    }
}

/// A test of a counter against zero (`written > 0`, `0 != written`,
/// `written >= 1`; `written == 0`): the local it tests, and whether the
/// branch is taken when it is non-zero.
fn counter_test(binary: &syn::ExprBinary) -> Option<(&Expr, bool)> {
    use syn::BinOp;
    let (local, bound, flipped) = match (int_value(&binary.left), int_value(&binary.right)) {
        (None, Some(bound)) => (&*binary.left, bound, false),
        (Some(bound), None) => (&*binary.right, bound, true),
        _ => return None,
    };
    // Written with the local on the left: `local OP bound`.
    let nonzero = match (&binary.op, flipped) {
        (BinOp::Ne(_), _) if bound == 0 => true,
        (BinOp::Eq(_), _) if bound == 0 => false,
        (BinOp::Gt(_), false) | (BinOp::Lt(_), true) if bound == 0 => true,
        (BinOp::Ge(_), false) | (BinOp::Le(_), true) if bound == 1 => true,
        (BinOp::Le(_), false) | (BinOp::Ge(_), true) if bound == 0 => false,
        (BinOp::Lt(_), false) | (BinOp::Gt(_), true) if bound == 1 => false,
        _ => return None,
    };
    Some((local, nonzero))
}

/// The value of an integer literal (`0`, `1usize`).
fn int_value(expr: &Expr) -> Option<u64> {
    match peel(expr) {
        Expr::Lit(syn::ExprLit {
            lit: Lit::Int(int), ..
        }) => int.base10_parse().ok(),
        _ => None,
    }
}

/// `let _ = value;` for `_ = value;`.
fn discarding(assign: &syn::ExprAssign, semi_token: syn::Token![;]) -> syn::Local {
    syn::Local {
        attrs: Vec::new(),
        let_token: Default::default(),
        modifiers: Default::default(),
        pat: Pat::Wild(syn::PatWild {
            attrs: Vec::new(),
            underscore_token: Default::default(),
        }),
        init: Some(syn::LocalInit {
            eq_token: assign.eq_token,
            expr: assign.right.clone(),
            diverge: None,
        }),
        semi_token,
    }
}
