//! Rust expressions: what each evaluates to as far as handles go, and the
//! branch conditions (`if let Err`, zero-row tests, `is_err()` on a BEGIN).

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn expr(&mut self, expr: &Expr) -> Value {
        if !self.enter(expr) {
            return Value::Nothing;
        }
        let value = self.expr_inner(expr);
        self.depth -= 1;
        value
    }

    pub(super) fn expr_inner(&mut self, expr: &Expr) -> Value {
        match expr {
            // sea-orm's `DeleteResult` and `UpdateResult` have the count in a
            // field: `res.rows_affected` is the write's, as the method is.
            Expr::Field(field) if counted_rows(expr).is_some() => match self.expr(&field.base) {
                written @ Value::Wrote { .. } => written,
                Value::Answered { place, span } => Value::Wrote {
                    place,
                    spans: vec![span],
                },
                other => {
                    self.settle(other);
                    Value::Nothing
                }
            },
            Expr::Path(_) | Expr::Field(_) => match place_of(expr) {
                Some(place) => {
                    if let Some(unsent) = self.unsent.remove(&place) {
                        unsent
                    } else if let Some(outcome) = self.begin_outcomes.remove(&place) {
                        outcome
                    } else if let Some((written, spans)) = self.write_results.get(&place) {
                        Value::Wrote {
                            place: written.clone(),
                            spans: spans.clone(),
                        }
                    } else if let Some((lent, span)) = self.attempts.get(&place) {
                        Value::Attempted {
                            place: lent.clone(),
                            span: *span,
                        }
                    } else if let Some((lent, span)) = self.answers.get(&place) {
                        Value::Answered {
                            place: lent.clone(),
                            span: *span,
                        }
                    } else if let Some((on, sql)) = self.prepared.get(&place) {
                        Value::Prepared {
                            place: on.clone(),
                            sql: sql.clone(),
                        }
                    } else if let Some(transaction) = self.sources.connections.get(&place) {
                        Value::Borrowed(transaction.clone())
                    } else if let Some(viewed) = self.views.get(&place) {
                        Value::Borrowed(viewed.clone())
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
            // `first.and_then(|_| next)?`: the links in order, any of them
            // leaving by the `?`.
            Expr::Try(try_expr) if let Some(links) = and_then_links(&try_expr.expr) => {
                self.chain_links(&links);
                Value::Nothing
            }
            // `step.map_err(|e| { conn.execute("ROLLBACK", []); e })?`: the
            // closures run on the error, before the `?` returns it.
            Expr::Try(try_expr) if let Some((tried, handlers)) = error_handlers(&try_expr.expr) => {
                let value = self.expr(tried);
                let span = self.span(try_expr.question_token.span);
                self.leave_on_error(&value, &handlers, span);
                self.past_question_mark(value)
            }
            Expr::Try(try_expr) => {
                let value = self.expr(&try_expr.expr);
                let span = self.span(try_expr.question_token.span);
                self.leave_on_error(&value, &[], span);
                self.past_question_mark(value)
            }
            Expr::MethodCall(call) => self.method_call(call),
            Expr::Call(call) => self.call(call),
            Expr::Macro(mac) => self.macro_call(&mac.mac),
            Expr::Return(ret) if !self.returns_into.is_empty() => {
                if let Some(value_expr) = &ret.expr {
                    let value = self.expr(value_expr);
                    self.settle(value);
                }
                let at = self.span(ret.span());
                self.return_from_closure(ret.expr.as_deref(), at);
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
                let flag = self.flag_target.take();
                let first_begin = std::cell::Cell::new(None);
                let mut ends = Vec::new();
                // `let res = if buyer { ..execute(&mut **tx) } else { .. }`:
                // both branches' writes, on one place, are what it holds.
                let (mut then_value, mut else_value) = (Value::Nothing, Value::Nothing);
                self.if_branches(
                    if_expr,
                    |this| {
                        let value = this.block(&if_expr.then_branch);
                        then_value = value.clone();
                        this.arm_value(flag.as_deref(), &first_begin, value, &if_expr.then_branch);
                        ends.push((
                            this.builder.current(),
                            block_bool_value(&if_expr.then_branch),
                        ));
                    },
                    |this| {
                        if let Some((_, else_branch)) = &if_expr.else_branch {
                            let value = this.expr(else_branch);
                            else_value = value.clone();
                            this.arm_value(flag.as_deref(), &first_begin, value, &**else_branch);
                        }
                    },
                );
                let else_bool = if_expr
                    .else_branch
                    .as_ref()
                    .and_then(|(_, e)| bool_value(e));
                ends.push((self.builder.current(), else_bool));
                let after = self.builder.new_block();
                let span = self.span(if_expr.span());
                for (end, bool_value) in ends {
                    self.builder.switch_to(end);
                    if let Some(flag) = &flag {
                        self.assign_flag(flag, bool_value, span);
                    }
                    self.builder.goto(after);
                }
                self.builder.switch_to(after);
                match (then_value, else_value) {
                    (
                        Value::Wrote { place, mut spans },
                        Value::Wrote {
                            place: other,
                            spans: other_spans,
                        },
                    ) if place == other => {
                        spans.extend(other_spans);
                        Value::Wrote { place, spans }
                    }
                    _ => Value::Nothing,
                }
            }
            Expr::Let(let_expr) => {
                let value = self.expr(&let_expr.expr);
                self.settle(value);
                Value::Nothing
            }
            Expr::Match(match_expr) => {
                let flag = self.flag_target.take();
                let first_begin = std::cell::Cell::new(None);
                let scrutinee = self.expr(&match_expr.expr);
                let dispatch = self.match_dispatch(match_expr);
                let after = self.builder.new_block();
                // `match pool.begin().await { Ok(tx) => tx, Err(e) => return .. }`
                // evaluates to the transaction.
                let mut result = Value::Nothing;
                for (index, arm) in match_expr.arms.iter().enumerate() {
                    let entry = self.builder.new_block();
                    self.builder.switch_to(dispatch.arm_start(&arm.pat));
                    self.builder.goto(entry);
                    self.builder.switch_to(entry);
                    let passes_on = success_binding(&arm.pat)
                        .is_some_and(|name| place_of(&arm.body) == Some(name));
                    let taken = match &scrutinee {
                        Value::TransactionObject(_) | Value::PooledConnection(_) => true,
                        Value::Place(place) => self.taken_at.contains_key(place),
                        _ => false,
                    };
                    if passes_on && taken {
                        result = scrutinee.clone();
                    } else {
                        let zero_rows = zero_rows_arm(&match_expr.arms, index);
                        self.enter_arm(&scrutinee, &match_expr.expr, &arm.pat, zero_rows);
                        let value = self.expr(&arm.body);
                        // `match claim(&mut tx, ..).await { Ok(new) => new, .. }`
                        // still tells of the write, as `?` would.
                        match value {
                            Value::Wrote { .. }
                            | Value::Attempted { .. }
                            | Value::Answered { .. }
                                if passes_on =>
                            {
                                result = value
                            }
                            other => {
                                self.arm_value(flag.as_deref(), &first_begin, other, &arm.body)
                            }
                        }
                    }
                    if let Some(flag) = &flag {
                        let span = self.span(arm.body.span());
                        self.assign_flag(flag, bool_value(&arm.body), span);
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
                let (body, ended) = self.builder.fork(None);
                let exit = self.builder.new_block();
                self.builder.switch_to(body);
                self.loop_body(while_expr.label.as_ref(), exit, head, &while_expr.body);
                self.builder.switch_to(ended);
                // A transaction's owner that ends it on a message, in a
                // `while let Some(message) = receiver.recv()` loop, runs
                // out of messages only when the other side hung up without
                // asking for either: what it did is given up.
                if serves_messages(while_expr) {
                    let span = self.span(while_expr.cond.span());
                    self.builder.mark_error_path(span);
                }
                self.builder.goto(exit);
                self.builder.switch_to(exit);
                Value::Nothing
            }
            Expr::ForLoop(for_expr) => {
                if let Some(element) = binding_name(&for_expr.pat)
                    && let Some(collection) = iterated_place(&for_expr.expr)
                {
                    self.elements.insert(element, collection);
                }
                let iterated = self.expr(&for_expr.expr);
                self.settle(iterated);
                // `for db in names`: not the pool `db` in the body.
                let sources = self.sources.clone();
                for name in pattern_names(&for_expr.pat) {
                    self.sources.forget(&name);
                }
                let head = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                let (body, exit) = self.builder.fork(None);
                self.builder.switch_to(body);
                self.loop_body(for_expr.label.as_ref(), exit, head, &for_expr.body);
                self.builder.switch_to(exit);
                self.sources = sources;
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
                    self.drop_since(mark, span, false);
                }
                self.builder.break_(label.as_deref());
                Value::Nothing
            }
            Expr::Continue(continue_expr) => {
                let label = continue_expr.label.as_ref().map(|l| l.ident.to_string());
                if let Some(mark) = self.loop_mark(label.as_deref()) {
                    let span = self.span(continue_expr.continue_token.span);
                    self.drop_since(mark, span, false);
                }
                self.builder.continue_(label.as_deref());
                Value::Nothing
            }
            Expr::Assign(assign) => {
                let local = place_of(&assign.left).filter(|place| !place.contains('.'));
                let value = self.flag_value(local.as_deref(), &assign.right);
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
            // `written += 1` on a counter (see `Flags`): non-zero now.
            Expr::Binary(binary)
                if matches!(binary.op, syn::BinOp::AddAssign(_))
                    && let Some(local) = place_of(&binary.left)
                    && self.flags.contains(&local) =>
            {
                let span = self.span(binary.span());
                self.assign_flag(&local, Some(true), span);
                Value::Nothing
            }
            // `sql += "COMMIT;"` on a local holding text.
            Expr::Binary(binary)
                if matches!(binary.op, syn::BinOp::AddAssign(_))
                    && let Some(local) = place_of(&binary.left)
                    && self.local_texts.contains_key(&local) =>
            {
                self.append_text(&local, &binary.right);
                let value = self.expr(&binary.right);
                self.settle(value);
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
                self.runs_later(
                    FnBody::Expr(&closure.body),
                    closure.capture.is_some(),
                    closure.span(),
                );
                Value::Nothing
            }
            // Awaited where it is written (`async { .. }.await?`, a common
            // way to give several statements one error exit), a block runs
            // as a closure called there would.
            Expr::Async(block) => {
                self.runs_later(
                    FnBody::Block(&block.block),
                    block.capture.is_some(),
                    block.span(),
                );
                Value::Nothing
            }
            _ => Value::Nothing,
        }
    }

    /// Lower an `if` condition. For `if let PAT = value` the value and the
    /// pattern are kept: which branch is taken says whether it succeeded.
    /// A condition that tests whether a write changed nothing says so.
    pub(super) fn condition<'e>(
        &mut self,
        condition: &'e Expr,
    ) -> (Value, Option<&'e Pat>, Option<ZeroRows>) {
        match peel(condition) {
            Expr::Let(let_expr) => {
                let value = self.expr(&let_expr.expr);
                let failed = statement_failure(&let_expr.expr);
                let zero_rows = match &value {
                    Value::Wrote { place, spans } => match zero_rows_pattern(&let_expr.pat) {
                        Some(when_true) => Some(ZeroRows {
                            place: place.clone(),
                            spans: spans.clone(),
                            when_true,
                            why: if matches_err(&let_expr.pat) == Some(true) {
                                failed
                            } else {
                                Unwritten::NoRow
                            },
                        }),
                        // `if let Ok(_) = write`: its `else` is the failure.
                        None if any_success(&let_expr.pat) => Some(ZeroRows {
                            place: place.clone(),
                            spans: spans.clone(),
                            when_true: false,
                            why: failed,
                        }),
                        None => None,
                    },
                    // `if let Some(found) = settle(&mut tx, ..).await?`:
                    // a call that answers `None` or `Err` did nothing.
                    // `if let Ok(_) = record(&mut tx).await`: where it did
                    // not match, the call failed.
                    Value::Attempted { place, span } | Value::Answered { place, span } => {
                        match zero_rows_pattern(&let_expr.pat) {
                            Some(when_true) => Some(ZeroRows {
                                place: place.clone(),
                                spans: vec![*span],
                                when_true,
                                why: match any_error(&let_expr.pat) {
                                    true => Unwritten::CallFailed,
                                    false => Unwritten::CallDeclined,
                                },
                            }),
                            None if any_success(&let_expr.pat) => Some(ZeroRows {
                                place: place.clone(),
                                spans: vec![*span],
                                when_true: false,
                                why: Unwritten::CallFailed,
                            }),
                            None => None,
                        }
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
                    Value::Wrote { place, spans } => comparison_with_zero_rows(binary)
                        .and_then(|test| test(literal_on_right))
                        .map(|when_true| ZeroRows {
                            place,
                            spans,
                            when_true,
                            why: Unwritten::NoRow,
                        }),
                    _ => None,
                };
                (Value::Nothing, None, zero_rows)
            }
            // `if guarded && !claim(&mut tx).await?`: the branch runs only
            // where every operand holds, so what an operand that holds says
            // of a write holds there; after `||`, on the `else`.
            // A let chain (`notify && let Err(e) = queue(&txn).await`) enters
            // its branch with what its last `let` matched, as `if let` does.
            Expr::Binary(binary) if matches!(binary.op, syn::BinOp::And(_) | syn::BinOp::Or(_)) => {
                let both = matches!(binary.op, syn::BinOp::And(_));
                let mut zero_rows = None;
                let mut chained = None;
                for operand in [&binary.left, &binary.right] {
                    let (value, pattern, zero) = self.condition(operand);
                    let value = match (value, pattern) {
                        (value, Some(pattern)) if both => chained
                            .replace((value, pattern))
                            .map(|(earlier, _)| earlier),
                        (value, _) => Some(value),
                    };
                    match value {
                        Some(Value::BeginTest(begins, _)) => self.settle(*begins),
                        Some(other) => self.settle(other),
                        None => {}
                    }
                    zero_rows = zero_rows.or(zero.filter(|zero| zero.when_true == both));
                }
                match chained {
                    Some((value, pattern)) => (value, Some(pattern), zero_rows),
                    None => (Value::Nothing, None, zero_rows),
                }
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
                // `if outcome.is_err()` of a call lent the transaction, or of
                // a write: its writes failed on the branch where it holds.
                let zero_rows = match &value {
                    Value::Attempted { place, span } => Some(ZeroRows {
                        place: place.clone(),
                        spans: vec![*span],
                        when_true: call.method == "is_err",
                        why: Unwritten::CallFailed,
                    }),
                    Value::Wrote { place, spans } => Some(ZeroRows {
                        place: place.clone(),
                        spans: spans.clone(),
                        when_true: call.method == "is_err",
                        why: Unwritten::StatementFailed,
                    }),
                    _ => None,
                };
                self.settle(value);
                (Value::Nothing, None, zero_rows)
            }
            // `if moved` / `if !moved` of `let moved = res.rows_affected()
            // > 0;`.
            Expr::Path(_) if let Some(test) = self.zero_row_test(condition) => {
                (Value::Nothing, None, Some(test))
            }
            Expr::Unary(unary)
                if matches!(unary.op, syn::UnOp::Not(_))
                    && let Some(test) = self.zero_row_test(&unary.expr) =>
            {
                let when_true = !test.when_true;
                (Value::Nothing, None, Some(ZeroRows { when_true, ..test }))
            }
            // `if !claimed`: a compare-and-swap helper's `false` says its
            // write changed no row (see `TransactionHelper::ReportsWrite`);
            // nothing else that a write returns is negated.
            Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Not(_)) => {
                let value = self.expr(&unary.expr);
                let zero_rows = match &value {
                    Value::Wrote { place, spans } => Some(ZeroRows {
                        place: place.clone(),
                        spans: spans.clone(),
                        when_true: true,
                        why: Unwritten::NoRow,
                    }),
                    _ => None,
                };
                self.settle(value);
                (Value::Nothing, None, zero_rows)
            }
            other => {
                let value = self.expr(other);
                let zero_rows = match (&value, peel(other)) {
                    (Value::Wrote { place, spans }, Expr::MethodCall(call)) => {
                        let when_true = match call.method.to_string().as_str() {
                            "is_none" | "is_empty" => Some(true),
                            "is_some" => Some(false),
                            _ => None,
                        };
                        when_true.map(|when_true| ZeroRows {
                            place: place.clone(),
                            spans: spans.clone(),
                            when_true,
                            why: Unwritten::NoRow,
                        })
                    }
                    // `if claimed`, the same flag.
                    (Value::Wrote { place, spans }, _) => Some(ZeroRows {
                        place: place.clone(),
                        spans: spans.clone(),
                        when_true: false,
                        why: Unwritten::NoRow,
                    }),
                    // `if saved.is_none()` after `.ok()`: the writes it was
                    // lent for failed.
                    (Value::Attempted { place, span }, Expr::MethodCall(call)) => {
                        let when_true = match call.method.to_string().as_str() {
                            "is_none" => Some(true),
                            "is_some" => Some(false),
                            _ => None,
                        };
                        when_true.map(|when_true| ZeroRows {
                            place: place.clone(),
                            spans: vec![*span],
                            when_true,
                            why: Unwritten::CallFailed,
                        })
                    }
                    _ => None,
                };
                self.settle(value);
                (Value::Nothing, None, zero_rows)
            }
        }
    }

    /// Where the arms of `match_expr` start. `match result { Ok(..) => ..,
    /// Err(e) => .. }` on a local tells which the result is, as
    /// `result.is_ok()` does: the `Ok` arms start where it holds, the `Err`
    /// arms where not. Other arms all start here.
    pub(super) fn match_dispatch(&mut self, match_expr: &syn::ExprMatch) -> MatchDispatch {
        let here = self.builder.current();
        let by_result = place_of(&match_expr.expr)
            .filter(|place| !place.contains('.'))
            .filter(|_| {
                match_expr
                    .arms
                    .iter()
                    .all(|arm| matches_err(unguarded(&arm.pat)).is_some())
            })
            .map(|place| {
                let guard = self.result_guard(&place, true);
                self.builder.fork(Some(guard))
            });
        MatchDispatch { here, by_result }
    }

    /// What a local holding a row-count test (`moved` of `let moved =
    /// res.rows_affected() > 0;`) tells, when `expr` is one.
    fn zero_row_test(&self, expr: &Expr) -> Option<ZeroRows> {
        let name = place_of(expr).filter(|place| !place.contains('.'))?;
        self.zero_row_tests.get(&name).cloned()
    }

    /// An `if` (or `if let`): its condition, then each branch entered with
    /// what the condition tells there (a pattern that matched or not, a
    /// write that changed no row, an error being handled) and lowered by
    /// `then` and `otherwise`.
    pub(super) fn if_branches(
        &mut self,
        if_expr: &syn::ExprIf,
        then: impl FnOnce(&mut Self),
        otherwise: impl FnOnce(&mut Self),
    ) {
        let (scrutinee, pattern, zero_rows) = self.condition(&if_expr.cond);
        let guard = self
            .result_test(&if_expr.cond)
            .or_else(|| self.flag_test(&if_expr.cond));
        let (then_block, else_block) = self.builder.fork(guard);
        self.builder.switch_to(then_block);
        self.wrote_nothing_if(zero_rows.as_ref(), true);
        self.enter_then(&scrutinee, &if_expr.cond, pattern);
        if Self::is_error_test(&if_expr.cond) {
            let span = self.span(if_expr.cond.span());
            self.builder.mark_error_path(span);
        }
        let sources = self.sources.clone();
        if let Expr::Let(let_expr) = peel(&if_expr.cond)
            && let Some(name) = success_binding(&let_expr.pat)
        {
            self.shares_connection(&name, &scrutinee, &let_expr.expr);
        }
        then(self);
        self.sources = sources;
        self.builder.switch_to(else_block);
        self.wrote_nothing_if(zero_rows.as_ref(), false);
        // The `else` of `if write.is_ok()`, `if let Ok(_) = write` handles
        // its error, as the branch of `is_err()` does.
        if zero_rows.as_ref().is_some_and(|zero| {
            !zero.when_true
                && matches!(
                    zero.why,
                    Unwritten::StatementFailed
                        | Unwritten::StatementFailedHere
                        | Unwritten::CallFailed
                )
        }) {
            let span = self.span(if_expr.cond.span());
            self.builder.mark_error_path(span);
        }
        // A let chain's `else` is also taken when another operand fails,
        // before its `let` ran.
        let chained = matches!(peel(&if_expr.cond), Expr::Binary(_));
        self.enter_else(&scrutinee, pattern.filter(|_| !chained));
        otherwise(self);
    }

    /// On the branch where `zero_rows` says the write changed nothing, it
    /// did not happen.
    pub(super) fn wrote_nothing_if(&mut self, zero_rows: Option<&ZeroRows>, branch_holds: bool) {
        if let Some(zero) = zero_rows
            && zero.when_true == branch_holds
        {
            for &span in &zero.spans {
                self.wrote_nothing(&zero.place, span, zero.why);
            }
        }
    }

    /// The write at `span` changed nothing on this path, for the reason
    /// `why`, which says what the transaction still has to lose. (Only
    /// PostgreSQL aborts a transaction whose statement failed.) A function
    /// that answers with a `Result` and carries on past its own failed
    /// statement (`if let Err(e) = .. { warn!(..); continue; }`) answers
    /// success for a COMMIT that rolls back, as `let _ = ..` does.
    pub(super) fn wrote_nothing(&mut self, place: &str, span: Span, why: Unwritten) {
        let aborts = self.file.failed_statement_aborts;
        let kind = match why {
            Unwritten::NoRow => EventKind::NoRowChanged,
            Unwritten::StatementFailedHere if aborts && self.returns_result => {
                EventKind::FailureIgnored
            }
            Unwritten::StatementFailed | Unwritten::StatementFailedHere | Unwritten::CallFailed
                if aborts =>
            {
                EventKind::Aborted
            }
            Unwritten::StatementFailed
            | Unwritten::StatementFailedHere
            | Unwritten::CallFailed
            | Unwritten::CallDeclined => EventKind::WroteNothing,
        };
        self.event(kind, place, span);
    }

    /// Entering the arm of a `match` (or the branch of an `if let`) whose
    /// pattern is `pattern`, on what `tested` evaluated to: on an `Err(..)`
    /// arm a pending BEGIN failed; on `Ok(x)` it succeeded and `x` is what
    /// the call returned.
    pub(super) fn enter_arm(
        &mut self,
        scrutinee: &Value,
        tested: &Expr,
        pattern: &Pat,
        zero_rows: bool,
    ) {
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
        let failed = matches_err(pattern) == Some(true);
        if let Value::Wrote { place, spans } = scrutinee
            && zero_rows
        {
            let why = match failed {
                true => statement_failure(tested),
                false => Unwritten::NoRow,
            };
            for &span in spans {
                self.wrote_nothing(place, span, why);
            }
        }
        if let Value::Attempted { place, span } | Value::Answered { place, span } = scrutinee
            && (failed || zero_rows)
        {
            let why = match any_error(pattern) {
                true => Unwritten::CallFailed,
                false => Unwritten::CallDeclined,
            };
            self.wrote_nothing(place, *span, why);
        }
        // `Ok(Outcome::Existed(..))` of the result, `Outcome::Existed(..)`
        // of its success value: the call found its work done already.
        let answer = match (scrutinee, pattern) {
            (Value::Attempted { place, span }, Pat::TupleStruct(ok))
                if matches_err(pattern) == Some(false) =>
            {
                ok.elems.first().map(|inner| (place, span, inner))
            }
            (Value::Answered { place, span }, pattern) => Some((place, span, pattern)),
            _ => None,
        };
        if let Some((place, span, outcome)) = answer
            && names_existing(outcome)
        {
            self.wrote_nothing(place, *span, Unwritten::CallDeclined);
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
    pub(super) fn enter_else(&mut self, scrutinee: &Value, pattern: Option<&Pat>) {
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

    /// The branch taken when `condition` holds.
    pub(super) fn enter_then(
        &mut self,
        scrutinee: &Value,
        condition: &Expr,
        pattern: Option<&Pat>,
    ) {
        match (scrutinee, pattern, peel(condition)) {
            (Value::BeginTest(begins, true), _, _) => self.settle((**begins).clone()),
            (_, Some(pattern), Expr::Let(tested)) => self.enter_arm(
                scrutinee,
                &tested.expr,
                pattern,
                zero_rows_pattern(pattern) == Some(true),
            ),
            (_, Some(pattern), _) => self.enter_arm(
                scrutinee,
                condition,
                pattern,
                zero_rows_pattern(pattern) == Some(true),
            ),
            _ => {}
        }
    }

    /// `if result.is_err() { .. }`: the branch handles an error.
    pub(super) fn is_error_test(condition: &Expr) -> bool {
        matches!(peel(condition), Expr::MethodCall(call) if call.method == "is_err")
    }
}

/// How the write `tested` evaluates failed, on its `Err` branch: the
/// statement itself (`if let Err(e) = sqlx::query(..).execute(..).await`),
/// or a local holding its result, which the code may test again.
fn statement_failure(tested: &Expr) -> Unwritten {
    match place_of(tested) {
        None => Unwritten::StatementFailedHere,
        Some(_) => Unwritten::StatementFailed,
    }
}

/// `while let Some(message) = receiver.recv()` (or `Ok(message)`,
/// `blocking_recv()`, `recv().await`) whose body commits or rolls back: a
/// loop that serves a transaction's messages and ends it on one of them.
fn serves_messages(loop_expr: &syn::ExprWhile) -> bool {
    struct Ends(bool);
    impl<'ast> Visit<'ast> for Ends {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            self.0 |= call.method == "commit" || call.method == "rollback";
            syn::visit::visit_expr_method_call(self, call);
        }
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let Expr::Let(test) = peel(&loop_expr.cond) else {
        return false;
    };
    let receives = match peel(&test.expr) {
        Expr::Await(awaited) => {
            matches!(peel(&awaited.base), Expr::MethodCall(call) if call.method == "recv")
        }
        Expr::MethodCall(call) => call.method == "blocking_recv" || call.method == "recv",
        _ => false,
    };
    // tokio's `Some(message)`, std's and crossbeam's `Ok(message)`.
    let received = matches!(&*test.pat, Pat::TupleStruct(message)
        if message.path.is_ident("Some") || message.path.is_ident("Ok"));
    if !receives || !received {
        return false;
    }
    let mut ends = Ends(false);
    ends.visit_block(&loop_expr.body);
    ends.0
}
