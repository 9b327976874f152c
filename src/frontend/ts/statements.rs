//! Statements and control flow: blocks, declarations and bindings, loops,
//! `switch`, returns, and branch conditions with what they tell of a place.

use super::*;

impl<'a> Lowerer<'a> {
    /// Top-level code of a module: statements, and the initialisers of
    /// exported variables and default exports.
    pub(super) fn module_item(&mut self, item: &ModuleItem) {
        match item {
            ModuleItem::Stmt(stmt) => self.stmt(stmt),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDecl(ExportDecl {
                decl: Decl::Var(decl),
                ..
            })) => self.var_decl(decl),
            ModuleItem::ModuleDecl(ModuleDecl::ExportDefaultExpr(export)) => {
                self.expr(&export.expr);
            }
            ModuleItem::ModuleDecl(_) => {}
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    pub(super) fn stmts<'s>(&mut self, stmts: impl Iterator<Item = &'s Stmt> + Clone) {
        // Function declarations are hoisted: callable before their line.
        for stmt in stmts.clone() {
            if let Stmt::Decl(Decl::Fn(function)) = stmt
                && let Some(body) = &function.function.body
            {
                let effects = self.closure(function.function.span, body);
                self.local_functions
                    .insert(function.ident.sym.to_string(), effects);
            }
        }
        let mut previous = None;
        for stmt in stmts {
            let span = span_of(stmt.span());
            self.list_item = Some((span, previous));
            self.stmt(stmt);
            previous = Some(span);
        }
    }

    pub(super) fn stmt(&mut self, stmt: &Stmt) {
        if !self.enter(stmt.span()) {
            return;
        }
        let span = span_of(stmt.span());
        let item = self.list_item.take().filter(|(item, _)| *item == span);
        match stmt {
            Stmt::Expr(_) if item.is_some() => self.builder.statement(span),
            Stmt::Decl(Decl::Var(decl)) => self.note_declaration(decl),
            Stmt::Try(_) => self.try_previous = item.and_then(|(_, previous)| previous),
            _ => {}
        }
        self.stmt_inner(stmt, None);
        self.leave();
    }

    /// `const name[: Type] = value` (one name), for `FnFlow::declarations`.
    fn note_declaration(&mut self, decl: &VarDecl) {
        let [declarator] = &decl.decls[..] else {
            return;
        };
        let Pat::Ident(name) = &declarator.name else {
            return;
        };
        let span = span_of(decl.span);
        let word = match decl.kind {
            VarDeclKind::Const => "const",
            VarDeclKind::Let => "let",
            VarDeclKind::Var => "var",
        };
        let keyword = Span::new(span.start, span.start + word.len() as u32);
        if self
            .file
            .text
            .get(keyword.start as usize..keyword.end as usize)
            != Some(word)
        {
            return;
        }
        self.declarations.push((
            name.id.sym.to_string(),
            Declaration {
                span,
                keyword,
                name: span_of(name.id.span),
                annotation: name
                    .type_ann
                    .as_ref()
                    .map(|annotation| span_of(annotation.type_ann.span())),
                only_one: false,
            },
        ));
    }

    pub(super) fn stmt_inner(&mut self, stmt: &Stmt, label: Option<String>) {
        match stmt {
            Stmt::Block(block) => self.stmts(block.stmts.iter()),
            Stmt::Expr(expr) => {
                // A call whose promise the statement drops (`client.query('COMMIT');`).
                self.floating_call = match unwrap(&expr.expr) {
                    Expr::Unary(UnaryExpr {
                        op: UnaryOp::Void,
                        arg,
                        ..
                    }) => floating_call(arg),
                    other => floating_call(other),
                };
                // The call the statement makes, awaited or not: its result
                // is not used.
                self.statement_call = statement_call(&expr.expr);
                let value = self.expr(&expr.expr);
                self.floating_call = None;
                self.statement_call = None;
                self.discard(value);
            }
            Stmt::Decl(Decl::Var(decl)) => self.var_decl(decl),
            Stmt::Decl(Decl::Using(decl)) => {
                // `await using conn = await pool.getConnection()`: disposing
                // releases it at the end of the scope. A disposer that also
                // rolls back (a wrapper's own) ends the transaction there
                // too, as a Rust transaction object's drop does.
                for declarator in &decl.decls {
                    let rolls_back = declarator
                        .init
                        .as_deref()
                        .is_some_and(|init| self.disposed_with_rollback(init));
                    self.declarator(declarator);
                    if let Pat::Ident(name) = &declarator.name {
                        self.handle_event(
                            EventKind::HandedOff,
                            &name.id.sym,
                            span_of(declarator.span),
                        );
                        if rolls_back {
                            let handle = self.builder.handle(&name.id.sym);
                            self.builder.set_drop_behaviour(handle, true, true);
                        }
                    }
                }
            }
            Stmt::Decl(_) => {}
            Stmt::Return(ret) => {
                if let Some(arg) = &ret.arg {
                    let value = self.expr(arg);
                    self.return_value(value, arg);
                }
                match self.callback_labels.last().cloned() {
                    Some(label) => {
                        self.builder.break_(Some(&label));
                    }
                    None => self.builder.return_(span_of(ret.span), ExitKind::Normal),
                }
            }
            Stmt::Throw(throw) => {
                let value = self.expr(&throw.arg);
                self.escape(value, throw.arg.span());
                self.builder.throw(span_of(throw.span));
            }
            Stmt::If(if_stmt) => {
                let (then_block, else_block) = self.branch(&if_stmt.test);
                let after = self.builder.new_block();
                self.builder.switch_to(then_block);
                self.stmt(&if_stmt.cons);
                self.builder.goto(after);
                self.builder.switch_to(else_block);
                if let Some(alt) = &if_stmt.alt {
                    self.stmt(alt);
                }
                self.builder.goto(after);
                self.builder.switch_to(after);
            }
            Stmt::Try(try_stmt) => self.try_stmt(try_stmt),
            Stmt::While(while_stmt) => {
                let head = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                let (body, exit) = self.branch(&while_stmt.test);
                self.loop_body(label, exit, head, body, &while_stmt.body);
                self.builder.switch_to(exit);
            }
            Stmt::DoWhile(do_while) => {
                let body = self.builder.new_block();
                let test = self.builder.new_block();
                let exit = self.builder.new_block();
                self.builder.goto(body);
                self.builder
                    .push_breakable(BreakableKind::Loop, label, exit, Some(test));
                self.builder.switch_to(body);
                self.stmt(&do_while.body);
                self.builder.goto(test);
                self.builder.pop_breakable();
                self.builder.switch_to(test);
                let (again, done) = self.branch(&do_while.test);
                self.builder.switch_to(again);
                self.builder.goto_back(body);
                self.builder.switch_to(done);
                self.builder.goto(exit);
                self.builder.switch_to(exit);
            }
            Stmt::For(for_stmt) => {
                match &for_stmt.init {
                    Some(VarDeclOrExpr::VarDecl(decl)) => self.var_decl(decl),
                    Some(VarDeclOrExpr::Expr(expr)) => {
                        self.expr(expr);
                    }
                    None => {}
                }
                let head = self.builder.new_block();
                self.builder.goto(head);
                self.builder.switch_to(head);
                let (body, exit) = match &for_stmt.test {
                    Some(test) => self.branch(test),
                    None => (self.builder.new_block(), self.builder.new_block()),
                };
                if for_stmt.test.is_none() {
                    self.builder.goto(body);
                }
                let update = self.builder.new_block();
                self.builder
                    .push_breakable(BreakableKind::Loop, label, exit, Some(update));
                self.builder.switch_to(body);
                self.stmt(&for_stmt.body);
                self.builder.goto(update);
                self.builder.pop_breakable();
                self.builder.switch_to(update);
                if let Some(update) = &for_stmt.update {
                    self.expr(update);
                }
                self.builder.goto_back(head);
                self.builder.switch_to(exit);
            }
            Stmt::ForOf(ForOfStmt {
                left,
                right,
                body,
                is_await,
                span,
                ..
            }) => {
                self.for_each(label, left, right, body, is_await.then_some(*span));
            }
            Stmt::ForIn(ForInStmt {
                left, right, body, ..
            }) => {
                self.for_each(label, left, right, body, None);
            }
            Stmt::Labeled(labeled) => {
                let name = labeled.label.sym.to_string();
                match &*labeled.body {
                    Stmt::While(_)
                    | Stmt::DoWhile(_)
                    | Stmt::For(_)
                    | Stmt::ForOf(_)
                    | Stmt::ForIn(_) => self.stmt_inner(&labeled.body, Some(name)),
                    body => {
                        let after = self.builder.new_block();
                        self.builder.push_breakable(
                            BreakableKind::Labeled,
                            Some(name),
                            after,
                            None,
                        );
                        self.stmt(body);
                        self.builder.goto(after);
                        self.builder.pop_breakable();
                        self.builder.switch_to(after);
                    }
                }
            }
            Stmt::Break(brk) => {
                self.builder
                    .break_(brk.label.as_ref().map(|l| l.sym.as_str()));
            }
            Stmt::Continue(cont) => {
                self.builder
                    .continue_(cont.label.as_ref().map(|l| l.sym.as_str()));
            }
            Stmt::Switch(switch) => self.switch(switch, label),
            Stmt::With(with) => {
                self.expr(&with.obj);
                self.stmt(&with.body);
            }
            Stmt::Empty(_) | Stmt::Debugger(_) => {}
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    pub(super) fn loop_body(
        &mut self,
        label: Option<String>,
        exit: usize,
        continue_to: usize,
        body_block: usize,
        body: &Stmt,
    ) {
        self.builder
            .push_breakable(BreakableKind::Loop, label, exit, Some(continue_to));
        self.builder.switch_to(body_block);
        self.stmt(body);
        self.builder.goto_back(continue_to);
        self.builder.pop_breakable();
    }

    pub(super) fn for_each(
        &mut self,
        label: Option<String>,
        left: &ForHead,
        right: &Expr,
        body: &Stmt,
        awaits: Option<SwcSpan>,
    ) {
        self.expr(right);
        if let ForHead::VarDecl(decl) = left {
            for declarator in &decl.decls {
                self.declare_pattern(&declarator.name, false);
            }
        }
        let head = self.builder.new_block();
        self.builder.goto(head);
        self.builder.switch_to(head);
        if let Some(span) = awaits {
            self.builder.may_throw(span_of(span));
        }
        let (body_block, exit) = self.builder.fork(None);
        self.loop_body(label, exit, head, body_block, body);
        self.builder.switch_to(exit);
    }

    pub(super) fn switch(&mut self, switch: &SwitchStmt, label: Option<String>) {
        self.expr(&switch.discriminant);
        let dispatch = self.builder.current();
        let after = self.builder.new_block();
        self.builder
            .push_breakable(BreakableKind::Switch, label, after, None);
        let mut previous_end = None;
        let mut has_default = false;
        for case in &switch.cases {
            has_default |= case.test.is_none();
            let entry = self.builder.new_block();
            self.builder.switch_to(dispatch);
            self.builder.goto(entry);
            if let Some(end) = previous_end {
                // Fall through from the case above.
                self.builder.switch_to(end);
                self.builder.goto(entry);
            }
            self.builder.switch_to(entry);
            self.stmts(case.cons.iter());
            previous_end = Some(self.builder.current());
        }
        if let Some(end) = previous_end {
            self.builder.switch_to(end);
            self.builder.goto(after);
        }
        if !has_default {
            self.builder.switch_to(dispatch);
            self.builder.goto(after);
        }
        self.builder.pop_breakable();
        self.builder.switch_to(after);
    }

    pub(super) fn var_decl(&mut self, decl: &VarDecl) {
        for declarator in &decl.decls {
            self.declarator(declarator);
            // A block-scoped copy holds wherever it can be named (a `var`
            // may be declared on one branch only).
            if decl.kind != VarDeclKind::Var
                && let (Pat::Ident(name), Some(Expr::Ident(original))) =
                    (&declarator.name, declarator.init.as_deref().map(unwrap))
                && self.locals.contains(original.sym.as_str())
            {
                self.copies
                    .insert(name.id.sym.to_string(), original.sym.to_string());
            }
        }
    }

    pub(super) fn declarator(&mut self, declarator: &VarDeclarator) {
        self.declare_pattern(&declarator.name, false);
        // A new binding of a name (`const session` in the next `else if`)
        // has begun nothing yet.
        if let Pat::Ident(name) = &declarator.name {
            self.begun_here.remove(name.id.sym.as_str());
        }
        let Some(init) = &declarator.init else {
            if let Pat::Ident(name) = &declarator.name {
                self.assign(&name.id.sym, &Value::Nothing, None, declarator.span);
            }
            return;
        };
        if let Pat::Ident(name) = &declarator.name {
            let effects = match unwrap(init) {
                Expr::Arrow(arrow) => Some(self.closure(arrow.span, &*arrow.body)),
                Expr::Fn(function) => {
                    Some(self.closure(function.function.span, &function.function.body))
                }
                _ => None,
            };
            if let Some(effects) = effects {
                self.local_functions
                    .insert(name.id.sym.to_string(), effects);
                return;
            }
        }
        // `const runner = lent ?? dataSource.createQueryRunner()`: a client
        // is checked out only on the path where none was lent, and a later
        // `if (!lent)` tells the two apart.
        if let (Pat::Ident(name), Expr::Bin(bin)) = (&declarator.name, unwrap(init))
            && bin.op == BinaryOp::NullishCoalescing
            && let Some(lent) = place_of(&bin.left)
        {
            self.lent_or_created
                .insert(name.id.sym.to_string(), lent.clone());
            let guard = self.guard_for(&lent, Test::Nullish, false);
            let (present, absent) = self.builder.fork(Some(guard));
            self.builder.switch_to(present);
            self.declare_as(&name.id.sym, &declarator.name, &bin.left);
            let present = self.builder.current();
            self.builder.switch_to(absent);
            self.declare_as(&name.id.sym, &declarator.name, &bin.right);
            let absent = self.builder.current();
            self.builder.join(&[present, absent]);
            return;
        }
        // `const own = !lent`, `const mustCreate = runner === undefined ||
        // runner.isReleased`: a flag made of tests is true on the paths
        // where they hold, so a later `if (mustCreate)` follows the
        // checkout they chose.
        if let Pat::Ident(name) = &declarator.name
            && is_condition(init)
        {
            let (holds, fails) = self.branch(init);
            let span = span_of(init.span());
            self.builder.switch_to(holds);
            self.handle_event(EventKind::Assign(Known::TRUTHY), &name.id.sym, span);
            let holds = self.builder.current();
            self.builder.switch_to(fails);
            self.handle_event(EventKind::Assign(Known::FALSY), &name.id.sym, span);
            let fails = self.builder.current();
            self.builder.join(&[holds, fails]);
            self.bind(&name.id.sym, Value::Nothing, init.span(), self.module_scope);
            return;
        }
        match &declarator.name {
            Pat::Ident(name) => self.declare_as(&name.id.sym, &declarator.name, init),
            _ => {
                self.bound_call = bound_call(init);
                let value = self.expr(init);
                self.bound_call = None;
                self.escape(value, init.span());
            }
        }
    }

    /// `const name = init`.
    fn declare_as(&mut self, name: &str, pattern: &Pat, init: &Expr) {
        // `const pool = new Pool(..)` names the pool it constructs.
        self.assigned_to = match (pattern, constructed(init)) {
            (Pat::Ident(_), true) => Some(name.to_string()),
            _ => None,
        };
        self.bound_call = bound_call(init);
        if matches!(unwrap(init), Expr::Cond(_)) {
            self.ternary_target = Some(name.to_string());
            self.ternary_declares = Some(self.module_scope);
        }
        let value = self.expr(init);
        self.ternary_target = None;
        self.ternary_declares = None;
        self.assigned_to = None;
        self.bound_call = None;
        self.assign(name, &value, Some(init), init.span());
        self.bind(name, value, init.span(), self.module_scope)
    }

    /// `place = value`: an acquired client becomes the place's handle; a
    /// handle copied anywhere leaves our tracking; `outside` places (fields,
    /// variables of an enclosing scope) hold what escapes.
    pub(super) fn bind(&mut self, place: &str, value: Value, value_span: SwcSpan, outside: bool) {
        match value {
            Value::Acquired {
                span,
                certain,
                via,
                begun,
                pool,
                lazy,
                refuses_after_release,
            } => {
                if certain || self.released.contains(place) {
                    self.acquired_via.insert(place.to_string(), via);
                    let handle = self.builder.handle(place);
                    if lazy {
                        self.builder.mark_lazy(handle);
                    }
                    if refuses_after_release {
                        self.builder.mark_refuses_after_release(handle);
                    }
                    if let Some(pool) = pool {
                        self.acquired_from.insert(place.to_string(), pool);
                    }
                    self.handle_event(EventKind::Acquire, place, span);
                    if begun {
                        self.begun_here.insert(place.to_string());
                        self.handle_event(EventKind::Begin, place, span);
                    }
                    if outside && !self.module_shared_by_requests() {
                        self.handle_event(EventKind::Escape, place, span_of(value_span));
                    }
                }
            }
            // `const tx = pool.transaction(); await tx.begin()`: made, not
            // begun (mssql's, which txlint does not follow).
            Value::Transaction { .. } if self.file.begun_by_call.contains(place) => {}
            Value::Transaction { span } => {
                self.begun_here.insert(place.to_string());
                self.handle_event(EventKind::Begin, place, span);
                if outside {
                    self.handle_event(EventKind::Escape, place, span_of(value_span));
                } else {
                    let handle = self.builder.handle(place);
                    self.builder.mark_object_begun_here(handle);
                }
            }
            Value::TransactionIn { field, span } => {
                self.bind(
                    &format!("{place}.{field}"),
                    Value::Transaction { span },
                    value_span,
                    outside,
                );
            }
            other => self.escape(other, value_span),
        }
    }

    /// Whether `value` is an object whose disposer rolls back: one of a
    /// class that does (`new Tx(..)`, of this file or imported), or what a
    /// helper returns that says so (`await transaction()`).
    pub(super) fn disposed_with_rollback(&self, value: &Expr) -> bool {
        match unwrap(value) {
            Expr::Await(awaited) => self.disposed_with_rollback(&awaited.arg),
            Expr::New(new) => callee_name(&new.callee).is_some_and(|class| {
                let arguments = new.args.as_ref().map_or(0, Vec::len);
                self.file.rollback_disposers.contains(class)
                    || self
                        .helper(class, arguments)
                        .is_some_and(|summary| summary.returns_rollback_disposer)
            }),
            Expr::Call(call) => match &call.callee {
                Callee::Expr(callee) => expr_path(callee)
                    .and_then(|path| self.helper(&path, call.args.len()))
                    .is_some_and(|summary| summary.returns_rollback_disposer),
                _ => false,
            },
            _ => false,
        }
    }

    /// `return value`: a returned handle leaves our care; a returned client
    /// makes this function an acquire for its callers.
    pub(super) fn return_value(&mut self, value: Value, returned: &Expr) {
        let span = returned.span();
        if self.callback_labels.is_empty() && self.disposed_with_rollback(returned) {
            self.builder.returns_rollback_disposer();
        }
        // A promise callback's value is its chain's. Only a client it hands
        // back is taken for the function's own
        // (`return pool.connect().then((client) => client)`).
        let in_callback = !self.callback_labels.is_empty();
        match value {
            Value::Acquired {
                certain: true,
                lazy,
                ..
            } => self.builder.returns(Returned::FreshClient { lazy }),
            Value::Transaction { .. } if !in_callback => {
                self.builder.returns(Returned::TransactionObject)
            }
            Value::Wraps(place) => {
                self.handle_event(EventKind::Escape, &place, span_of(span));
                if !in_callback {
                    let handle = self.builder.handle(&place);
                    self.builder.returns(Returned::Wrapped(handle));
                }
            }
            Value::Place(place) => {
                self.handle_event(EventKind::Escape, &place, span_of(span));
                if !in_callback || self.acquired_via.contains_key(&place) {
                    let handle = self.builder.handle(&place);
                    self.builder.returns(Returned::Handle(handle));
                }
            }
            _ => {}
        }
        // `return { ok: true, data: t }` (also through `Promise.resolve`): a
        // transaction begun here, handed back in a field of a result object.
        let returned = match unwrap(returned) {
            Expr::Call(call)
                if let Callee::Expr(callee) = &call.callee
                    && expr_path(callee).as_deref() == Some("Promise.resolve")
                    && let [only] = call.args.as_slice() =>
            {
                &*only.expr
            }
            other => other,
        };
        if let Expr::Object(object) = unwrap(returned)
            && !in_callback
        {
            for prop in &object.props {
                // `{ ...options, transaction }`: the transaction leaves with
                // the object; what callers make of it is not followed.
                if let PropOrSpread::Prop(prop) = prop
                    && let Prop::Shorthand(ident) = &**prop
                    && self.begun_here.contains(&*ident.sym)
                {
                    self.handle_event(EventKind::Escape, &ident.sym, span_of(span));
                }
                if let PropOrSpread::Prop(prop) = prop
                    && let Prop::KeyValue(pair) = &**prop
                    && let Some(place) = place_of(&pair.value)
                    && self.begun_here.contains(&place)
                {
                    self.handle_event(EventKind::Escape, &place, span_of(span));
                    let handle = self.builder.handle(&place);
                    let field = prop_name(&pair.key);
                    self.builder.returns(Returned::InField(handle, field));
                }
            }
        }
    }

    /// Evaluate `test` and split into its true and false successors, with
    /// what each side says about a handle variable.
    pub(super) fn branch(&mut self, test: &Expr) -> (usize, usize) {
        match unwrap(test) {
            Expr::Unary(UnaryExpr {
                op: UnaryOp::Bang,
                arg,
                ..
            }) => {
                let (then_block, else_block) = self.branch(arg);
                (else_block, then_block)
            }
            Expr::Bin(bin) if bin.op == BinaryOp::LogicalAnd => {
                let (left_true, left_false) = self.branch(&bin.left);
                self.builder.switch_to(left_true);
                let (right_true, right_false) = self.branch(&bin.right);
                (right_true, self.builder.join(&[left_false, right_false]))
            }
            Expr::Bin(bin) if bin.op == BinaryOp::LogicalOr => {
                let (left_true, left_false) = self.branch(&bin.left);
                self.builder.switch_to(left_false);
                let (right_true, right_false) = self.branch(&bin.right);
                (self.builder.join(&[left_true, right_true]), right_false)
            }
            // `runner?.isTransactionActive` is false when `runner` is not
            // set, and the plain test when it is.
            Expr::OptChain(chain)
                if let Some(place) = optional_object(chain).and_then(place_of) =>
            {
                let present = self.guard_for(&place, Test::Nullish, false);
                let (present, absent) = self.builder.fork(Some(present));
                self.builder.switch_to(present);
                let (then_block, else_block) = self.branch(&without_optional(chain));
                (then_block, self.builder.join(&[absent, else_block]))
            }
            other => {
                let guard = self.null_check(other);
                if guard.is_none() {
                    self.expr(other);
                }
                self.builder.fork(guard)
            }
        }
    }

    /// `x`, `x != null`, `x === undefined`, `typeof x !== 'undefined'`,
    /// and `x.isTransactionActive`-style questions to a handle.
    pub(super) fn null_check(&mut self, test: &Expr) -> Option<Guard> {
        if let Some(guard) = self.transaction_state_test(test) {
            return Some(guard);
        }
        if let Some(place) = place_of(test) {
            // `client.release` of a client is there whenever the client is:
            // the test is the client's own.
            if let Some((client, method)) = place.rsplit_once('.')
                && self.is_handle_here(client)
                && self.is_driver_method(client, method)
            {
                return Some(self.guard_for(client, Test::Truthy, true));
            }
            return Some(self.guard_for(&place, Test::Truthy, true));
        }
        let Expr::Bin(bin) = test else { return None };
        // `committed === false`, `done !== true`: a boolean flag's test.
        let boolean = |expr: &Expr| match unwrap(expr) {
            Expr::Lit(Lit::Bool(value)) => Some(value.value),
            _ => None,
        };
        let equal = match bin.op {
            BinaryOp::EqEqEq | BinaryOp::EqEq => Some(true),
            BinaryOp::NotEqEq | BinaryOp::NotEq => Some(false),
            _ => None,
        };
        if let Some(equal) = equal
            && let Some((client, present)) = self.method_presence(bin)
        {
            return Some(self.guard_for(&client, Test::Truthy, present == equal));
        }
        if let Some(equal) = equal {
            // `t !== lent` after `const t = lent ?? create()`: nothing was
            // lent, and `t` was created here.
            let places = (place_of(&bin.left), place_of(&bin.right));
            if let (Some(left), Some(right)) = &places {
                let lent = |name: &str, other: &str| {
                    self.lent_or_created
                        .get(name)
                        .is_some_and(|lent| lent == other)
                };
                if lent(left, right) || lent(right, left) {
                    let lent = if lent(left, right) { right } else { left };
                    return Some(self.guard_for(lent, Test::Nullish, !equal));
                }
            }
            let flag = place_against(bin, boolean);
            // `queryRunner.isReleased === false` and `session.inTransaction()
            // === false` ask the handle's state.
            let state_test = [&bin.left, &bin.right]
                .into_iter()
                .find_map(|side| self.transaction_state_test(side));
            if let (Some(guard), Some(value)) = (
                state_test,
                boolean(&bin.right).or_else(|| boolean(&bin.left)),
            ) {
                return Some(if value == equal {
                    guard
                } else {
                    guard.negated()
                });
            }
            // `t.finished === 'commit'`: the property names a state only
            // once it is set, so the comparison asks what the property does.
            let names_state = |expr: &Expr| {
                literal_text(expr).is_some_and(|text| !text.is_empty() && text != "undefined")
            };
            if let Some(guard) = state_test
                && (names_state(&bin.left) || names_state(&bin.right))
            {
                return Some(if equal { guard } else { guard.negated() });
            }
            if let Some((place, value)) = flag {
                return Some(self.guard_for(&place, Test::Truthy, value == equal));
            }
            // `this.mode === "all"`: the comparison is a place of its own,
            // so that testing it again gives the same answer until the
            // place compared is assigned (see `flow::Handle`).
            let constant = |expr: &Expr| match unwrap(expr) {
                Expr::Lit(Lit::Num(number)) => Some(number.value.to_string()),
                other => literal_text(other).map(|text| format!("{text:?}")),
            };
            if let Some((place, value)) = place_against(bin, constant)
                && value != "\"undefined\""
            {
                let comparison = format!("{place} === {value}");
                return Some(self.guard_for(&comparison, Test::Truthy, equal));
            }
        }
        let nullish = match bin.op {
            BinaryOp::NotEq | BinaryOp::NotEqEq => false,
            BinaryOp::EqEq | BinaryOp::EqEqEq => true,
            _ => return None,
        };
        let operand = |expr: &Expr| -> Option<String> {
            match unwrap(expr) {
                Expr::Unary(UnaryExpr {
                    op: UnaryOp::TypeOf,
                    arg,
                    ..
                }) => place_of(arg),
                other => place_of(other),
            }
        };
        let (place, other) = match (operand(&bin.left), operand(&bin.right)) {
            (Some(place), _) => (place, &bin.right),
            (_, Some(place)) => (place, &bin.left),
            _ => return None,
        };
        // `!== null` and `!== undefined` are read alike: code that holds a
        // client in a variable means "not set yet" by either.
        let is_absent = match unwrap(other) {
            Expr::Lit(Lit::Null(_)) => true,
            Expr::Ident(ident) => ident.sym == "undefined",
            Expr::Lit(Lit::Str(string)) => string.value.to_string_lossy() == "undefined",
            _ => false,
        };
        is_absent.then(|| self.guard_for(&place, Test::Nullish, nullish))
    }

    /// `typeof client.release === 'function'` (or `!== 'undefined'`) of a
    /// client or transaction this function holds: its methods are there
    /// exactly when it is. The client, and whether the comparison with
    /// that type name says present.
    /// Whether the handle at `place` has `method` by its driver: a
    /// statement, transaction or release method of the vocabulary.
    fn is_driver_method(&self, place: &str, method: &str) -> bool {
        let vocabulary = self.file.vocabulary;
        let name = place.rsplit('.').next().unwrap_or(place);
        vocabulary.is_sql_method(method)
            || vocabulary.is_transaction_method(method)
            || vocabulary.call_effect(method, 0, &[name]).is_some()
    }

    fn method_presence(&self, bin: &BinExpr) -> Option<(String, bool)> {
        let type_of = |expr: &Expr| match unwrap(expr) {
            Expr::Unary(UnaryExpr {
                op: UnaryOp::TypeOf,
                arg,
                ..
            }) => place_of(arg),
            _ => None,
        };
        let (member, kind) = match (type_of(&bin.left), type_of(&bin.right)) {
            (Some(member), _) => (member, literal_text(&bin.right)?),
            (_, Some(member)) => (member, literal_text(&bin.left)?),
            _ => return None,
        };
        let (client, _) = member.rsplit_once('.')?;
        if !self.is_handle_here(client) {
            return None;
        }
        match kind.as_str() {
            "function" => Some((client.to_string(), true)),
            "undefined" => Some((client.to_string(), false)),
            _ => None,
        }
    }

    /// `queryRunner.isTransactionActive`, `trx.isCompleted()`.
    pub(super) fn transaction_state_test(&mut self, test: &Expr) -> Option<Guard> {
        let (object, property) = match unwrap(test) {
            member @ Expr::Member(_) => member_parts(member)?,
            Expr::Call(call) if call.args.is_empty() => {
                let Callee::Expr(callee) = &call.callee else {
                    return None;
                };
                let (object, method) = member_parts(callee)?;
                (object, method)
            }
            _ => return None,
        };
        let question = self.file.vocabulary.state_question(property)?;
        let place = place_of(object)?;
        Some(match question {
            StateQuestion::Transaction { open } => {
                self.guard_for(&place, Test::InTransaction, open)
            }
            StateQuestion::Released => self.guard_for(&place, Test::Released, true),
        })
    }
}

/// `place OP value` or `value OP place`: the place, and what `value_of`
/// makes of the other side.
fn place_against<T>(bin: &BinExpr, value_of: impl Fn(&Expr) -> Option<T>) -> Option<(String, T)> {
    match (place_of(&bin.left), place_of(&bin.right)) {
        (Some(place), _) if let Some(value) = value_of(&bin.right) => Some((place, value)),
        (_, Some(place)) => value_of(&bin.left).map(|value| (place, value)),
        _ => None,
    }
}
