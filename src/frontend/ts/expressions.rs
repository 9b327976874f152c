//! Expressions and calls: what each evaluates to as far as handles go,
//! driver vocabulary effects, helpers of this file and of imports, and what
//! is lent to a call.

use super::*;

impl<'a> Lowerer<'a> {
    pub(super) fn expr(&mut self, expr: &Expr) -> Value {
        if !self.enter(expr.span()) {
            return Value::Nothing;
        }
        let value = self.expr_inner(expr);
        self.leave();
        value
    }

    pub(super) fn expr_inner(&mut self, expr: &Expr) -> Value {
        if let Some(place) = place_of(expr) {
            return Value::Place(place);
        }
        match expr {
            Expr::Paren(ParenExpr { expr, .. })
            | Expr::TsAs(TsAsExpr { expr, .. })
            | Expr::TsNonNull(TsNonNullExpr { expr, .. })
            | Expr::TsTypeAssertion(TsTypeAssertion { expr, .. })
            | Expr::TsConstAssertion(TsConstAssertion { expr, .. })
            | Expr::TsSatisfies(TsSatisfiesExpr { expr, .. })
            | Expr::TsInstantiation(TsInstantiation { expr, .. }) => self.expr(expr),
            Expr::Await(await_expr) => {
                match unwrap(&await_expr.arg) {
                    Expr::Call(call) => self.awaited_call = Some(span_of(call.span)),
                    // `await this.model.sequelize?.transaction()`
                    Expr::OptChain(OptChainExpr { base, .. }) => {
                        if let OptChainBase::Call(call) = &**base {
                            self.awaited_call = Some(span_of(call.span));
                        }
                    }
                    _ => {}
                }
                let value = self.expr(&await_expr.arg);
                // A call (a tagged template too) already has its throw edge;
                // awaiting anything else (a stored promise) may throw too.
                if !matches!(
                    unwrap(&await_expr.arg),
                    Expr::Call(_) | Expr::OptChain(_) | Expr::TaggedTpl(_)
                ) && !resolves_only(&await_expr.arg)
                {
                    self.builder.may_throw(span_of(await_expr.span));
                }
                value
            }
            Expr::Call(call) => match &call.callee {
                Callee::Expr(callee) => self.call(callee, &call.args, call.span),
                Callee::Super(_) | Callee::Import(_) => {
                    self.args(&call.args, false);
                    self.builder.may_throw(span_of(call.span));
                    Value::Nothing
                }
            },
            Expr::OptChain(chain) => self.opt_chain(chain),
            Expr::New(new) => {
                let (assigned_to, scope) = self.pool_scope();
                self.pool_construction(new, assigned_to, scope);
                self.expr(&new.callee);
                let class = expr_path(&new.callee);
                let lent = class.as_deref().is_some_and(|class| {
                    is_quiet_constructor(class) || self.file.vocabulary.is_submittable(class)
                });
                let plain = class
                    .as_deref()
                    .is_some_and(|class| self.file.plain_classes.contains(class));
                let mut wrapped = None;
                for arg in new.args.iter().flatten() {
                    if let Value::Place(place) = self.argument(&arg.expr) {
                        let kind = if lent {
                            EventKind::Use
                        } else {
                            EventKind::HandedOff
                        };
                        self.handle_event(kind, &place, span_of(arg.expr.span()));
                        if wrapped.is_none() && self.is_handle_here(&place) {
                            wrapped = Some(place);
                        }
                    }
                }
                if !(lent
                    || plain
                    || self.sync_call_is_quiet(false, class.as_deref())
                    || resolves_only(expr))
                {
                    self.builder.may_throw(span_of(new.span));
                }
                match wrapped {
                    Some(place) if !lent => Value::Wraps(place),
                    _ => Value::Nothing,
                }
            }
            Expr::Member(member) => {
                self.expr(&member.obj);
                if let MemberProp::Computed(computed) = &member.prop {
                    self.expr(&computed.expr);
                }
                Value::Nothing
            }
            Expr::SuperProp(prop) => {
                if let SuperProp::Computed(computed) = &prop.prop {
                    self.expr(&computed.expr);
                }
                Value::Nothing
            }
            Expr::Assign(assign) => {
                self.assigned_to = match (&assign.left, unwrap(&assign.right)) {
                    (AssignTarget::Simple(SimpleAssignTarget::Ident(name)), Expr::New(_)) => {
                        Some(name.id.sym.to_string())
                    }
                    (AssignTarget::Simple(SimpleAssignTarget::Member(member)), Expr::New(_)) => {
                        member_place(member)
                    }
                    _ => None,
                };
                self.bound_call = bound_call(&assign.right);
                if assign.op == AssignOp::Assign && matches!(unwrap(&assign.right), Expr::Cond(_)) {
                    self.ternary_target = assign_target_place(&assign.left);
                }
                let value = self.expr(&assign.right);
                self.ternary_target = None;
                self.assigned_to = None;
                self.bound_call = None;
                let assigned = (assign.op == AssignOp::Assign).then_some(&*assign.right);
                let target = assign_target_place(&assign.left);
                if let Some(target) = &target {
                    match assigned {
                        Some(expr) => self.assign(target, &value, Some(expr), assign.right.span()),
                        // `x += ...` and the like leave nothing known.
                        None => {
                            let span = span_of(assign.span);
                            self.handle_event(EventKind::Assign(Known::UNKNOWN), target, span);
                        }
                    }
                }
                match &assign.left {
                    AssignTarget::Simple(SimpleAssignTarget::Ident(name)) => {
                        let outside =
                            self.module_scope || !self.locals.contains(name.id.sym.as_str());
                        self.bind(&name.id.sym, value, assign.right.span(), outside);
                    }
                    AssignTarget::Simple(SimpleAssignTarget::Member(member)) => {
                        self.expr(&member.obj);
                        match member_place(member) {
                            Some(place) => self.bind(&place, value, assign.right.span(), true),
                            None => self.escape(value, assign.right.span()),
                        }
                    }
                    _ => self.escape(value, assign.right.span()),
                }
                Value::Nothing
            }
            Expr::Bin(bin) => match bin.op {
                BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::NullishCoalescing => {
                    let mut left_value = Value::Nothing;
                    let (left_true, left_false) = if bin.op == BinaryOp::NullishCoalescing {
                        let guard =
                            place_of(&bin.left).map(|p| self.guard_for(&p, Test::Nullish, false));
                        if guard.is_none() {
                            self.left_of_nullish = true;
                            left_value = self.expr(&bin.left);
                            self.left_of_nullish = false;
                        }
                        self.builder.fork(guard)
                    } else {
                        self.branch(&bin.left)
                    };
                    let (evaluate_right, skip_right) = if bin.op == BinaryOp::LogicalAnd {
                        (left_true, left_false)
                    } else {
                        (left_false, left_true)
                    };
                    self.builder.switch_to(evaluate_right);
                    let value = self.expr(&bin.right);
                    // `(await outer?.transaction()) ?? (await
                    // knex.transaction())`: a transaction begun here
                    // either way.
                    let begun_either_way = matches!(left_value, Value::Transaction { .. })
                        && matches!(value, Value::Transaction { .. });
                    if !begun_either_way {
                        self.escape(value.clone(), bin.right.span());
                    }
                    let right_end = self.builder.current();
                    self.builder.join(&[right_end, skip_right]);
                    if begun_either_way {
                        value
                    } else {
                        Value::Nothing
                    }
                }
                _ => {
                    // Long `a + b + c ...` chains (generated SQL, string
                    // building) nest to the left: walk the spine in a loop.
                    let mut rights = vec![&bin.right];
                    let mut left = &bin.left;
                    while let Expr::Bin(inner) = &**left
                        && !matches!(
                            inner.op,
                            BinaryOp::LogicalAnd
                                | BinaryOp::LogicalOr
                                | BinaryOp::NullishCoalescing
                        )
                    {
                        rights.push(&inner.right);
                        left = &inner.left;
                    }
                    self.expr(left);
                    for right in rights.into_iter().rev() {
                        self.expr(right);
                    }
                    Value::Nothing
                }
            },
            // `const client = preview ? await pool.connect() : null`: the
            // place is set on each arm, a client checked out being truthy.
            Expr::Cond(cond) => {
                let target = self.ternary_target.take();
                let declares = self.ternary_declares.take();
                let (then_block, else_block) = self.branch(&cond.test);
                self.builder.switch_to(then_block);
                let value = self.expr(&cond.cons);
                let acquired = matches!(value, Value::Acquired { .. });
                self.arm_value(target.as_deref(), declares, value, cond.cons.span());
                if let Some(target) = &target {
                    let known = arm_known(unwrap(&cond.cons), acquired);
                    self.handle_event(EventKind::Assign(known), target, span_of(cond.cons.span()));
                }
                let then_end = self.builder.current();
                self.builder.switch_to(else_block);
                let value = self.expr(&cond.alt);
                let acquired = matches!(value, Value::Acquired { .. });
                self.arm_value(target.as_deref(), declares, value, cond.alt.span());
                if let Some(target) = &target {
                    let known = arm_known(unwrap(&cond.alt), acquired);
                    self.handle_event(EventKind::Assign(known), target, span_of(cond.alt.span()));
                }
                let else_end = self.builder.current();
                self.builder.join(&[then_end, else_end]);
                Value::Nothing
            }
            Expr::Unary(unary) => {
                self.expr(&unary.arg);
                Value::Nothing
            }
            Expr::Update(update) => {
                self.expr(&update.arg);
                if let Some(place) = place_of(&update.arg) {
                    let span = span_of(update.span);
                    self.handle_event(EventKind::Assign(Known::UNKNOWN), &place, span);
                }
                Value::Nothing
            }
            Expr::Seq(seq) => {
                let mut value = Value::Nothing;
                for expr in &seq.exprs {
                    value = self.expr(expr);
                }
                value
            }
            Expr::Array(array) => {
                for element in array.elems.iter().flatten() {
                    let value = self.expr(&element.expr);
                    self.escape(value, element.expr.span());
                }
                Value::Nothing
            }
            Expr::Object(object) => {
                for prop in &object.props {
                    match prop {
                        PropOrSpread::Spread(spread) => {
                            let value = self.expr(&spread.expr);
                            self.escape(value, spread.expr.span());
                        }
                        PropOrSpread::Prop(prop) => match &**prop {
                            Prop::Shorthand(ident) => {
                                let value = Value::Place(ident.sym.to_string());
                                self.property(ident.sym.as_str(), value, ident.span);
                            }
                            Prop::KeyValue(kv) => {
                                if let PropName::Computed(computed) = &kv.key {
                                    self.expr(&computed.expr);
                                }
                                let value = self.expr(&kv.value);
                                self.property(&prop_name(&kv.key), value, kv.value.span());
                            }
                            Prop::Method(method) => {
                                self.closure(method.function.span, &method.function.body);
                            }
                            _ => {}
                        },
                    }
                }
                Value::Nothing
            }
            Expr::Tpl(tpl) => {
                for expr in &tpl.exprs {
                    self.expr(expr);
                }
                Value::Nothing
            }
            Expr::TaggedTpl(tagged) => {
                let runs = !std::mem::take(&mut self.built_statement);
                self.expr(&tagged.tag);
                for expr in &tagged.tpl.exprs {
                    self.expr(expr);
                }
                let span = span_of(tagged.span);
                // ``client.sql`BEGIN` ``: the client runs the template.
                if runs
                    && let Expr::Member(member) = unwrap(&tagged.tag)
                    && let MemberProp::Ident(tag) = &member.prop
                    && self.file.vocabulary.is_sql_tag(&tag.sym)
                    && let Some(place) = place_of(&member.obj)
                {
                    let text = Expr::Tpl((*tagged.tpl).clone());
                    self.sql_call(&place, Some(&text), span);
                } else {
                    self.builder.may_throw(span);
                }
                Value::Nothing
            }
            Expr::Yield(yield_expr) => {
                if let Some(arg) = &yield_expr.arg {
                    let value = self.expr(arg);
                    self.escape(value, arg.span());
                }
                Value::Nothing
            }
            Expr::Arrow(arrow) => {
                self.closure(arrow.span, &*arrow.body);
                Value::Nothing
            }
            Expr::Fn(function) => {
                self.closure(function.function.span, &function.function.body);
                Value::Nothing
            }
            _ => Value::Nothing,
        }
    }

    /// `key: value` in an object literal. A key that names the transaction
    /// a call runs in (`{ transaction: t }`) only uses it.
    pub(super) fn property(&mut self, key: &str, value: Value, span: SwcSpan) {
        match value {
            // Also in an options object kept for several calls.
            Value::Place(place) if self.file.vocabulary.is_transaction_option(key) => {
                self.query_through(&place, span_of(span));
            }
            value => self.escape(value, span),
        }
    }

    /// The value of one arm of a conditional: a client it checks out for
    /// a variable being declared (`const client = useTx ? await
    /// pool.connect() : pool`) is that variable's on the arm's path; any
    /// other value goes where it goes.
    fn arm_value(
        &mut self,
        target: Option<&str>,
        declares: Option<bool>,
        value: Value,
        span: SwcSpan,
    ) {
        match (target, declares) {
            (Some(target), Some(outside)) if matches!(value, Value::Acquired { .. }) => {
                self.bind(target, value, span, outside)
            }
            _ => self.escape(value, span),
        }
    }

    /// A call's argument; what an object or array literal there holds is
    /// lent to the call.
    pub(super) fn argument(&mut self, expr: &Expr) -> Value {
        let literal = matches!(unwrap(expr), Expr::Object(_) | Expr::Array(_));
        let outer = std::mem::replace(&mut self.in_argument_literal, literal);
        let value = self.expr(expr);
        self.in_argument_literal = outer;
        value
    }

    /// The summary of the function a call path names, if it is a helper
    /// this file knows (`this.getClient` inside `Repo` is `Repo.getClient`)
    /// or one the configuration declares safe.
    pub(super) fn helper(&self, path: &str, arguments: usize) -> Option<Summary> {
        if self.file.vocabulary.is_safe_helper(path) {
            return Some(Summary::takes_care_of(arguments));
        }
        let name = path.rsplit('.').next().unwrap_or(path);
        if !self.file.called.borrow().contains(name) {
            self.file.called.borrow_mut().insert(name.to_string());
        }
        let helpers = &self.file.helpers;
        if helpers.is_empty() {
            return None;
        }
        if let Some(member) = path.strip_prefix("this.")
            && let Some((owner, _)) = self.builder.name().rsplit_once('.')
        {
            return self
                .file
                .class_member(owner, member)
                .and_then(|name| helpers.get(&name))
                .cloned();
        }
        helpers.get(path).cloned()
    }

    /// A call of a helper does what its summary says: it releases the
    /// clients passed where it releases its parameters, and its result is
    /// a checked-out client when it returns one.
    pub(super) fn helper_call(
        &mut self,
        summary: &Summary,
        path: &str,
        args: &[ExprOrSpread],
        span: Span,
        awaited: bool,
    ) -> Value {
        // `db.query('BEGIN')` through a module whose `query` forwards to
        // `pool.query`: the statement goes to the pool, unless the call
        // hands it a client of ours to run on instead.
        let gives_client = args
            .iter()
            .any(|arg| place_of(&arg.expr).is_some_and(|place| self.is_handle_here(&place)));
        if let Some(position) = summary.sends_sql_to_pool
            && !gives_client
        {
            let pool = path.rsplit_once('.').map_or(path, |(receiver, _)| receiver);
            let text = args.get(position).map(|arg| unwrap(&arg.expr));
            self.statement_through(pool, true, text, span);
        }
        let mut released_on_return = Vec::new();
        let mut released_sometimes = Vec::new();
        let mut ended_on_return = Vec::new();
        // A helper that ends the transaction, called without `await` and
        // its promise dropped (`rollback(client);` in a catch clause),
        // floats as its statement would.
        let floating = summary.is_async && !awaited && self.statement_call == Some(span);
        // `withConnection(req, res, (conn) => ..)`: the callback gets the
        // client the helper checked out, and is lowered below.
        let continuation = summary
            .hands_client_to_callback
            .and_then(|(at, client)| Some((at, client, inline_callback(&args.get(at)?.expr)?)));
        for (position, arg) in args.iter().enumerate() {
            if continuation
                .as_ref()
                .is_some_and(|(at, ..)| *at == position)
            {
                continue;
            }
            if let Value::Place(place) = self.argument(&arg.expr) {
                let ends = summary.ends.contains(&position);
                let releases = summary.releases.contains(&position);
                let releases_on_return = summary.releases_on_return.contains(&position);
                let releases_sometimes = summary.releases_sometimes.contains(&position);
                if ends && floating {
                    self.handle_event(EventKind::Unawaited, &place, span);
                }
                if ends {
                    self.handle_event(EventKind::Commit, &place, span);
                }
                if releases {
                    self.handle_event(EventKind::Release, &place, span);
                }
                if releases
                    || releases_on_return
                    || releases_sometimes
                    || summary.keeps.contains(&position)
                {
                    self.handle_event(EventKind::Use, &place, span_of(arg.expr.span()));
                } else {
                    self.handle_event(EventKind::HandedOff, &place, span_of(arg.expr.span()));
                }
                if summary.ends_on_return.contains(&position) {
                    ended_on_return.push(place.clone());
                }
                if releases_on_return {
                    released_on_return.push(place);
                } else if releases_sometimes {
                    released_sometimes.push(place);
                }
            }
        }
        // An `async` helper called without `await` gives a promise: it
        // cannot throw here (`const rows = dao.find(conn, id);
        // conn.release(); return rows;`).
        if (awaited || !summary.is_async) && !summary.catches_all {
            self.builder.may_throw(span);
        }
        if let Some((_, client, callback)) = continuation {
            self.continuation(callback, client, path, span);
        }
        // Ended only if the helper returns: a throw out of it leaves the
        // transaction for the caller's catch clause.
        for place in ended_on_return {
            self.handle_event(EventKind::Commit, &place, span);
        }
        // Released only if the helper returns: a throw out of it (its own
        // ROLLBACK failing) leaves the client checked out.
        for place in released_on_return {
            self.handle_event(EventKind::Release, &place, span);
        }
        // Released on some of its returns: both follow.
        for place in released_sometimes {
            let (released, kept) = self.builder.fork(None);
            self.builder.switch_to(released);
            self.handle_event(EventKind::Release, &place, span);
            let released = self.builder.current();
            self.builder.join(&[released, kept]);
        }
        // `getTransaction(options)` of a helper that begins only when asked
        // (`autoGen`): it returns the caller's own, or nothing.
        let fresh = match summary.fresh_only_if {
            Some(flag) => args
                .get(flag)
                .is_some_and(|arg| known_value(unwrap(&arg.expr)).truthy != Some(false)),
            None => true,
        };
        if !fresh {
            Value::Nothing
        } else if let Some(field) = &summary.returns_transaction_in {
            Value::TransactionIn {
                field: field.clone(),
                span,
            }
        } else if summary.returns_transaction_object {
            Value::Transaction { span }
        } else if summary.returns_client {
            Value::Acquired {
                span,
                certain: true,
                via: path.to_string(),
                begun: summary.returns_transaction,
                pool: None,
                lazy: summary.returns_lazy_client,
                refuses_after_release: false,
            }
        } else {
            Value::Nothing
        }
    }

    pub(super) fn args(&mut self, args: &[ExprOrSpread], lent_to_callee: bool) {
        for arg in args {
            let value = self.argument(&arg.expr);
            if let Value::Place(place) = value {
                let kind = if lent_to_callee {
                    EventKind::Use
                } else {
                    EventKind::HandedOff
                };
                self.handle_event(kind, &place, span_of(arg.expr.span()));
            }
        }
    }

    /// `client?.release()`: the call runs only when `client` is set. Its
    /// value is kept only on the left of a `??`, which replaces it when the
    /// chain gave nothing (`(await outer?.transaction()) ?? ..`).
    pub(super) fn opt_chain(&mut self, chain: &OptChainExpr) -> Value {
        let keep = std::mem::take(&mut self.left_of_nullish);
        let Some(place) = optional_object(chain).and_then(place_of) else {
            return self.opt_chain_body(chain);
        };
        let guard = self.guard_for(&place, Test::Nullish, false);
        let (then_block, else_block) = self.builder.fork(Some(guard));
        self.builder.switch_to(then_block);
        let value = self.opt_chain_body(chain);
        let then_end = self.builder.current();
        self.builder.join(&[then_end, else_block]);
        // `await sequelize?.transaction()`: what it begins or checks out is
        // the variable's to end, as without `?.` (on the path where the
        // object is missing, nothing is run at all).
        let fresh = matches!(value, Value::Transaction { .. } | Value::Acquired { .. });
        if keep || fresh { value } else { Value::Nothing }
    }

    pub(super) fn opt_chain_body(&mut self, chain: &OptChainExpr) -> Value {
        match &*chain.base {
            OptChainBase::Call(call) => self.call(&call.callee, &call.args, call.span),
            OptChainBase::Member(member) => {
                self.expr(&member.obj);
                Value::Nothing
            }
        }
    }

    pub(super) fn call(&mut self, callee: &Expr, args: &[ExprOrSpread], span: SwcSpan) -> Value {
        let call_span = span_of(span);
        let awaited = self.awaited_call.take() == Some(call_span);
        let path = expr_path(callee);
        if callee_name(callee).is_some_and(|f| self.file.vocabulary.is_pool_creator(f)) {
            self.pool_creation(call_span);
        }
        // The process ends here, and the server drops its connections with
        // whatever they had open: no path goes on.
        if path.as_deref() == Some("process.exit") {
            self.args(args, true);
            self.builder.start_unreachable();
            return Value::Nothing;
        }
        // `new Model().find(runner)`: a method of the class constructed.
        let helper_path = path.clone().or_else(|| constructed_method(callee));
        let summary = helper_path
            .as_deref()
            .and_then(|path| self.helper(path, args.len()));
        let catches_all = summary.as_ref().is_some_and(|summary| summary.catches_all);
        if let Some(summary) = summary.filter(|summary| !summary.only_catches_all()) {
            return self.helper_call(
                &summary,
                helper_path.as_deref().unwrap_or_default(),
                args,
                call_span,
                awaited,
            );
        }
        let Some((receiver, method)) = member_parts(callee) else {
            // A plain function call. Calling one of our own parameters (a
            // callback) with a client lends it, as does a function named
            // for a read (`readHead(conn)`); anything else may keep it, and
            // so does the continuation a callback of the callback API
            // passes it to (`getConnection((err, conn) => next(conn))`).
            let lent = path.as_ref().is_some_and(|p| {
                (self.parameters.contains(p) && self.in_node_callback == 0) || named_as_read(p)
            });
            if path.is_none() {
                self.expr(callee);
            }
            // Calling a variable of ours that is not a closure of this
            // function runs a query through it (knex's `trx('orders')`).
            if let Some(name) = path.as_deref()
                && self.locals.contains(name)
                && !self.local_functions.contains_key(name)
            {
                self.query_through(name, call_span);
            }
            if self.in_node_callback > 0
                && let Some(parameter) = path
                    .as_deref()
                    .filter(|p| self.parameters.contains(*p))
                    .and_then(|p| self.builder.param_position(p))
            {
                for (position, arg) in args.iter().enumerate() {
                    if place_of(&arg.expr)
                        .is_some_and(|place| self.acquired_via.contains_key(&place))
                    {
                        self.builder.hands_client_to_callback(parameter, position);
                    }
                }
            }
            self.args(args, lent);
            if let Some(path) = &path {
                self.call_local_function(path, call_span);
                if let Some(client) = self.release_functions.get(path).cloned() {
                    self.handle_event(EventKind::Release, &client, call_span);
                }
            }

            // In a catch or finally clause, a synchronous call of a plain
            // function is error coercion or logging (`coerceError(err)`,
            // `log(err)`): taken not to throw, so that it is not blamed for
            // a ROLLBACK or release after it. An awaited one may.
            let handling_quietly = self.sync_call_is_quiet(awaited, path.as_deref());
            if !handling_quietly && !catches_all && !path.as_deref().is_some_and(is_quiet_call) {
                self.builder.may_throw(call_span);
            }
            return Value::Nothing;
        };

        // `done.call(client)`, `done.apply(conn, [err])`: the checkout
        // callback's release function, called all the same.
        if matches!(method, "call" | "apply")
            && let Some(client) = expr_path(receiver)
                .and_then(|function| self.release_functions.get(&function).cloned())
        {
            self.args(args, true);
            self.handle_event(EventKind::Release, &client, call_span);
            return Value::Nothing;
        }
        if let Some(value) = self.promise_chain(receiver, method, args) {
            return value;
        }
        if !awaited && let Some(value) = self.node_callback(callee, receiver, method, args, span) {
            return value;
        }

        // A call whose result is called on (`db.startTransaction().execute()`)
        // returns an object: its result is kept, like a bound one.
        let outer_chain = self.chained_call;
        self.chained_call = match unwrap(receiver) {
            Expr::Call(inner) => Some(span_of(inner.span)),
            _ => None,
        };
        // ``db.sql`BEGIN`.execute()``: a tagged template called on is a
        // statement built, not yet run, by a library txlint does not know.
        self.built_statement = matches!(unwrap(receiver), Expr::TaggedTpl(_));
        let receiver_value = self.expr(receiver);
        self.built_statement = false;
        self.chained_call = outer_chain;
        let receiver_place = match &receiver_value {
            Value::Place(place) => Some(place.clone()),
            other => {
                self.discard(other.clone());
                None
            }
        };
        let vocabulary = self.file.vocabulary;
        // `queryRunner.manager.save(..)` runs on the query runner.
        if let Some((handle, property)) = receiver_place.as_deref().and_then(|p| p.rsplit_once('.'))
            && vocabulary.is_handle_property(property)
        {
            self.query_through(handle, call_span);
        }
        // `query.transacting(trx)` runs the query in `trx`.
        if vocabulary.is_transaction_method(method) {
            for arg in args {
                if let Some(place) = place_of(&arg.expr) {
                    self.query_through(&place, span_of(arg.expr.span()));
                }
            }
        }

        // The call that built the receiver, and the name it is held under
        // (`WIKI.models.Objection.transaction` as `transaction`).
        let known_as: Vec<&str> = receiver_place
            .as_ref()
            .and_then(|place| self.acquired_via.get(place))
            .map(String::as_str)
            .into_iter()
            .chain(
                receiver_place
                    .as_deref()
                    .map(|place| place.rsplit('.').next().unwrap_or(place)),
            )
            .collect();
        // `await pool.getConnection(cb)` on mysql2's promise API ignores the
        // callback and resolves to the connection: the bare form.
        let callback_ignored = || {
            let [only] = args else { return None };
            let callback = matches!(unwrap(&only.expr), Expr::Arrow(_) | Expr::Fn(_));
            vocabulary
                .call_effect(method, 0, &known_as)
                .filter(|effect| awaited && callback && effect.awaited_ignores_callback)
        };
        if let Some(effect) = vocabulary
            .call_effect(method, args.len(), &known_as)
            .or_else(callback_ignored)
            && !(effect.unless_callback && args.iter().any(|a| !is_options_object(&a.expr)))
            && args.iter().all(|a| effect.fits(&argument_shape(&a.expr)))
        {
            // A method that only checks out connections names its effect
            // whatever the receiver looks like (`createQueryRunner()`). A
            // `pool` that `new` made of a class no driver's pool is (`new
            // mssql.ConnectionPool(..)`) has its own `connect()` and
            // `transaction()`.
            let receiver_matches = match effect.receiver {
                Receiver::Pool => true,
                Receiver::Any => {
                    receiver_place.is_some()
                        || matches!(effect.effect, Effect::Acquire | Effect::BeginObject)
                }
            } && !receiver_place.as_deref().is_some_and(|place| {
                self.looks_like_pool(place) && self.file.constructed_as_other(place)
            });
            if receiver_matches {
                let discard = effect.discard_with_argument && !args.is_empty();
                // `txHelpers.abortTransaction(session)`: a helper object
                // ends the transaction handed to it.
                let ended_argument = match args {
                    [only] if matches!(effect.effect, Effect::Commit | Effect::Rollback) => {
                        place_of(&only.expr).filter(|argument| {
                            self.is_handle_here(argument)
                                && !receiver_place
                                    .as_deref()
                                    .is_some_and(|p| self.is_handle_here(p))
                        })
                    }
                    _ => None,
                };
                let receiver_place = ended_argument.or(receiver_place);
                self.args(args, true);
                return self.call_effect(effect, receiver, receiver_place, discard, call_span);
            }
        }

        // A listener registered on a client keeps it checked out on purpose
        // (`client.on('notification', ...)` after `LISTEN`).
        // An `'error'` listener is a safety net, not a reason to keep it.
        let error_listener =
            args.first().and_then(|a| literal_text(&a.expr)).as_deref() == Some("error");
        if matches!(method, "on" | "once" | "addListener")
            && !error_listener
            && let Some(place) = &receiver_place
        {
            self.handle_event(EventKind::HandedOff, place, call_span);
        }
        let quiet = path.as_deref().is_some_and(is_quiet_call);
        self.args(
            args,
            quiet || vocabulary.is_transaction_method(method) || named_as_read(method),
        );
        // `getPool().query(..)` runs on the pool that call returns.
        let receiver_place = receiver_place.or_else(|| match unwrap(receiver) {
            Expr::Call(CallExpr {
                callee: Callee::Expr(factory),
                ..
            }) if self.is_pool_factory_call(receiver) => {
                expr_path(factory).map(|path| format!("{path}()"))
            }
            _ => None,
        });
        if vocabulary.is_sql_method(method)
            && let Some(place) = receiver_place
        {
            let first = args.first().map(|a| unwrap(&a.expr));
            self.sql_call(&place, first, call_span);
            return Value::Nothing;
        }
        // A parameter may be a client lent to us, but a catch or finally
        // clause's synchronous call on one that no driver has is the
        // response sent (`res.status(500).json(..)`), not a statement.
        let driver_call =
            vocabulary.is_sql_method(method) || vocabulary.is_transaction_method(method);
        let on_handle = receiver_place.as_deref().is_some_and(|place| {
            self.is_handle_here(place)
                || (self.parameters.contains(place) && (self.in_error_handler == 0 || driver_call))
        });
        let setup = !on_handle && self.sync_call_is_quiet(awaited, path.as_deref());
        if !(quiet
            || setup
            || catches_all
            || self.builds_observable(receiver, method)
            || self.asks_execution_context(receiver))
        {
            self.builder.may_throw(call_span);
        }
        Value::Nothing
    }

    /// A call on an `ExecutionContext` parameter or on what its accessors
    /// return (`ctx.switchToHttp()`, `.getRequest()` on that): see
    /// `execution_contexts`.
    fn asks_execution_context(&self, receiver: &Expr) -> bool {
        match unwrap(receiver) {
            Expr::Ident(ident) => self.execution_contexts.contains(&*ident.sym),
            Expr::Call(CallExpr {
                callee: Callee::Expr(callee),
                ..
            }) => match unwrap(callee) {
                Expr::Member(member) => self.asks_execution_context(&member.obj),
                _ => false,
            },
            _ => false,
        }
    }

    /// `next.handle()` of a `CallHandler`, and the operators piped onto
    /// what it built (`next.handle().pipe(..)`): see `call_handlers`.
    fn builds_observable(&self, receiver: &Expr, method: &str) -> bool {
        match (unwrap(receiver), method) {
            (Expr::Ident(ident), "handle") => self.call_handlers.contains(&*ident.sym),
            (
                Expr::Call(CallExpr {
                    callee: Callee::Expr(callee),
                    ..
                }),
                "pipe",
            ) => match unwrap(callee) {
                Expr::Member(member) => member
                    .prop
                    .as_ident()
                    .is_some_and(|inner| self.builds_observable(&member.obj, &inner.sym)),
                _ => false,
            },
            _ => false,
        }
    }

    /// `place.query(first, ..)`: a statement runs through `place`, and the
    /// transaction statements its text holds, where it can be read, act on
    /// it.
    fn sql_call(&mut self, place: &str, first: Option<&Expr>, call_span: Span) {
        let on_pool = self.looks_like_pool(place) || place.ends_with("()");
        self.statement_through(place, on_pool, first, call_span);
    }

    /// A statement, whose text is `first`, runs through `place`, a pool
    /// when `on_pool`.
    fn statement_through(
        &mut self,
        place: &str,
        on_pool: bool,
        first: Option<&Expr>,
        call_span: Span,
    ) {
        if on_pool {
            // `pool.query('BEGIN')`: transaction statements on a pool.
            let handle = self.builder.handle(place);
            self.builder.mark_pool(handle);
            // `query: (text, params) => pool.query(text, params)` sends its
            // caller's statement there.
            if let Some(Expr::Ident(text)) = first
                && let Some(position) = self.builder.param_position(&text.sym)
            {
                self.builder.sends_sql_to_pool(position);
            }
            if first
                .and_then(|sql| self.file.sql_text(sql))
                .is_some_and(|sql| sql_writes(&sql))
            {
                self.written_beside(place, call_span);
            }
        }
        if let Some(Expr::New(new)) = first
            && expr_path(&new.callee)
                .is_some_and(|class| self.file.vocabulary.is_submittable(&class))
        {
            self.query_through(place, call_span);
            return;
        }
        let mut statements = first.map_or_else(Vec::new, |arg| self.file.statements(arg));
        // A whole `BEGIN; ..; COMMIT;` script in one call runs on one
        // connection, pool or not.
        if on_pool && whole_transaction(&statements) {
            statements.clear();
        }
        if !on_pool && statements.last() == Some(&TxStatement::Begin) {
            let rollback = first.and_then(|sql| self.sql_rollback_call(sql, call_span));
            let handle = self.builder.handle(place);
            self.builder.set_rollback_call(handle, rollback);
        }
        self.transaction_statements(place, &statements, call_span, true);
    }

    /// A write sent through `pool`, which clients of this function were
    /// checked out of: beside the transaction open on any of them (see
    /// `Handle::begun_from`). In a catch clause it is the function's answer
    /// to the failure (a failure logged, a job marked failed), outside the
    /// transaction on purpose.
    fn written_beside(&mut self, pool: &str, span: Span) {
        if self.in_error_handler > 0 {
            return;
        }
        let clients: Vec<String> = self
            .acquired_from
            .iter()
            .filter(|(_, from)| *from == pool)
            .map(|(client, _)| client.clone())
            .collect();
        if clients.is_empty() {
            return;
        }
        let source = self.builder.handle(pool);
        for client in clients {
            let handle = self.builder.handle(&client);
            self.builder.set_begun_from(handle, source);
            self.builder.event(EventKind::WriteBeside, handle, span);
        }
    }

    /// Whether a call that is not a database call is taken not to throw:
    /// one not awaited, in a catch or finally clause (error coercion,
    /// logging) or outside any `try` (the setup before one: a getter, a
    /// repository built around the transaction). Built-ins that throw on
    /// bad input (`JSON.parse`) still may, except that an error handler's
    /// `JSON.stringify(err)` formats what it caught for a log.
    pub(super) fn sync_call_is_quiet(&mut self, awaited: bool, path: Option<&str>) -> bool {
        let formats_caught = self.in_error_handler > 0 && path.is_some_and(formats_value);
        // A logger's own methods (`log.green(..)` of a colouring logger)
        // do not throw, wherever they are called.
        let logs = path
            .and_then(|path| path.rsplit_once('.'))
            .is_some_and(|(receiver, _)| is_logger(receiver));
        let quiet = (self.in_error_handler > 0 || self.try_depth == 0 || logs)
            && !awaited
            && (formats_caught || !path.is_some_and(throws_on_bad_input));
        if quiet && self.in_error_handler == 0 && !logs {
            self.builder.setup_may_throw();
        }
        quiet
    }

    pub(super) fn call_effect(
        &mut self,
        call: &CallEffect,
        receiver: &Expr,
        receiver_place: Option<String>,
        discard: bool,
        span: Span,
    ) -> Value {
        match (call.effect, receiver_place) {
            (Effect::Acquire, place) => {
                let certain = call.receiver == Receiver::Any
                    || match &place {
                        Some(place) => {
                            self.file.pool_variables.contains(place) || self.looks_like_pool(place)
                        }
                        None => self.is_pool_factory_call(receiver),
                    };
                // One that connects when first used (TypeORM's
                // `createQueryRunner()`) fails there, not here.
                if !call.lazy {
                    self.builder.may_throw(span);
                }
                Value::Acquired {
                    span,
                    certain,
                    via: call.method.clone(),
                    begun: false,
                    pool: place,
                    lazy: call.lazy,
                    refuses_after_release: call.refuses_after_release,
                }
            }
            (Effect::Release, Some(place)) => {
                if discard {
                    self.handle_event(EventKind::Rollback, &place, span);
                }
                self.handle_event(EventKind::Release, &place, span);
                Value::Nothing
            }
            // `pool.end()` shuts the pool down; it is no connection's end,
            // but it closes every connection checked out of it here
            // (`finally { await dataSource.destroy() }`).
            (Effect::Discard, Some(place)) if self.looks_like_pool(&place) => {
                self.builder.pool_closed(&place);
                let closed: Vec<String> = self
                    .acquired_from
                    .iter()
                    .filter(|(_, pool)| **pool == place)
                    .map(|(client, _)| client.clone())
                    .collect();
                for client in closed {
                    let handle = self.builder.handle_in_any_scope(&client);
                    self.builder.event(EventKind::HandedOff, handle, span);
                }
                self.builder.may_throw(span);
                Value::Nothing
            }
            (Effect::Discard, Some(place)) => {
                self.handle_event(EventKind::Rollback, &place, span);
                self.handle_event(EventKind::Release, &place, span);
                self.builder.may_throw(span);
                Value::Nothing
            }
            // A kept result is the transaction (Objection's
            // `const trx = await Person.startTransaction()`, neo4j's
            // `session.beginTransaction()`, an adapter's transaction id put
            // in an object), not a begin on the receiver: a driver that
            // begins on its receiver returns nothing to keep. Unless this
            // function commits or rolls back the receiver itself (`const
            // session = await uow.startTransaction(); .. await
            // uow.commitTransaction()`): then what it kept is not what it
            // ends.
            (Effect::Begin, Some(place))
                if (self.bound_call == Some(span)
                    || self.chained_call == Some(span)
                    || self.statement_call != Some(span))
                    && !self.ended.contains(&place) =>
            {
                self.builder.may_throw(span);
                Value::Transaction { span }
            }
            (Effect::Begin, Some(place)) => {
                let rollback = self
                    .acquired_via
                    .get(&place)
                    .and_then(|via| self.file.vocabulary.rollback_method(&call.method, via));
                let handle = self.builder.handle(&place);
                self.builder.set_rollback_call(
                    handle,
                    rollback.map(|method| format!("{place}.{method}()")),
                );
                self.api_statement(&place, TxStatement::Begin, span, !call.never_rejects);
                self.begun_here.insert(place);
                Value::Nothing
            }
            (Effect::Commit, Some(place)) => {
                self.api_statement(&place, TxStatement::Commit, span, !call.never_rejects);
                Value::Nothing
            }
            (Effect::Rollback, Some(place)) => {
                self.api_statement(&place, TxStatement::Rollback, span, !call.never_rejects);
                Value::Nothing
            }
            // If opening fails the handle holds nothing: that path owes no
            // release.
            (Effect::Open, Some(place)) => {
                let (fails, opens) = self.builder.fork(None);
                self.builder.switch_to(fails);
                self.handle_event(EventKind::Escape, &place, span);
                self.builder.throw(span);
                self.builder.switch_to(opens);
                self.handle_event(EventKind::Use, &place, span);
                Value::Nothing
            }
            // `program.methods.enter(stake).accounts({ .. }).transaction()`
            // builds a blockchain transaction at the end of a builder chain;
            // a database's is asked of a handle.
            (Effect::BeginObject, None) if ends_builder_chain(receiver) => {
                self.builder.may_throw(span);
                Value::Nothing
            }
            (Effect::BeginObject, _) => {
                self.builder.may_throw(span);
                Value::Transaction { span }
            }
            (_, None) => {
                self.builder.may_throw(span);
                Value::Nothing
            }
        }
    }

    /// `client.query('ROLLBACK')` for the call at `call` that sends the
    /// literal `sql` (`client.query('BEGIN')`): its callee as written, and
    /// the literal's quotes. `None` for SQL that is not written in place.
    fn sql_rollback_call(&self, sql: &Expr, call: Span) -> Option<String> {
        let literal = match unwrap(sql) {
            Expr::Lit(Lit::Str(_)) => true,
            Expr::Tpl(template) => template.exprs.is_empty(),
            _ => false,
        };
        let at = span_of(sql.span());
        let text = self.file.text;
        let callee = text.get(call.start as usize..at.start as usize)?;
        let quote = text.get(at.start as usize..)?.chars().next()?;
        (literal && callee.ends_with('(') && !callee.contains('\n'))
            .then(|| format!("{callee}{quote}ROLLBACK{quote})"))
    }

    /// A checked-out client that is not kept (`await pool.connect();` as a
    /// statement, `(await pool.connect()).query(..)`) can never be released.
    pub(super) fn discard(&mut self, value: Value) {
        if let Value::Acquired {
            span,
            certain: true,
            begun,
            ..
        } = value
        {
            self.handle_event(EventKind::Acquire, UNNAMED_HANDLE, span);
            if begun {
                self.handle_event(EventKind::Begin, UNNAMED_HANDLE, span);
            }
        }
    }

    /// A handle put into an object or array: stored, unless the literal is
    /// a call's argument (`{ transaction: t }`), which only lends it.
    pub(super) fn escape(&mut self, value: Value, span: SwcSpan) {
        if let Value::Place(place) = value {
            let kind = match self.in_argument_literal {
                true => EventKind::HandedOff,
                false => EventKind::Escape,
            };
            self.handle_event(kind, &place, span_of(span));
        }
    }
}

/// Whether `receiver` is a call with arguments on the result of another
/// call (`a.b().c(y)`): a builder, not a database handle or a factory of
/// one (`getKnex()`, `db.sequelize`).
fn ends_builder_chain(receiver: &Expr) -> bool {
    let Expr::Call(outer) = unwrap(receiver) else {
        return false;
    };
    let Callee::Expr(callee) = &outer.callee else {
        return false;
    };
    let Expr::Member(member) = unwrap(callee) else {
        return false;
    };
    matches!(unwrap(&member.obj), Expr::Call(_)) && !outer.args.is_empty()
}

/// What an arm of a conditional leaves in its target: a client it checked
/// out is an object, whatever the call looks like.
fn arm_known(arm: &Expr, acquired: bool) -> Known {
    if acquired {
        Known::TRUTHY
    } else {
        known_value(arm)
    }
}

/// `new Promise((resolve) => setTimeout(resolve, ms))`: a promise whose
/// executor takes no `reject` never rejects (a delay, a wrapped event).
fn resolves_only(expr: &Expr) -> bool {
    let Expr::New(new) = unwrap(expr) else {
        return false;
    };
    let executor_params = match new.args.as_deref() {
        Some([executor]) if executor.spread.is_none() => match unwrap(&executor.expr) {
            Expr::Arrow(arrow) => arrow.params.len(),
            Expr::Fn(function) => function.function.params.len(),
            _ => return false,
        },
        _ => return false,
    };
    matches!(&*new.callee, Expr::Ident(class) if &*class.sym == "Promise") && executor_params <= 1
}
