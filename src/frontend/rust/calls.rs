//! Calls and method calls: driver vocabulary effects, helpers of the file,
//! what is moved or lent to a call, and the types and ownership that decide
//! whether a call is a database's (a crypto store's `transaction()` is not).

use super::*;

impl<'a> Lowerer<'a> {
    /// Values moved into a tuple, array or call by value leave our hands.
    pub(super) fn moved_all<'e>(&mut self, exprs: impl Iterator<Item = &'e Expr>) {
        for expr in exprs {
            if self.hands_on_unsent(expr) {
                continue;
            }
            let value = self.expr(expr);
            self.settle(value.clone());
            self.escape(&value, &expr);
        }
    }

    /// A request bound unsent (see `unsent`) handed to a call is the
    /// call's to send, or to add statements to.
    fn hands_on_unsent(&mut self, expr: &Expr) -> bool {
        matches!(peel(expr), Expr::Path(_))
            && place_of(expr).is_some_and(|place| self.unsent.remove(&place).is_some())
    }

    /// Arguments of a call of `callee`: what is moved leaves our hands, and
    /// a transaction lent to it (`save(&mut tx, ..)`) may be written
    /// through, unless `callee` is a function of this file that does not
    /// write (see `drop_reads_of_own_functions`). The call's result, when it
    /// was lent one transaction: whether its writes happened (an `Err` says
    /// they failed).
    pub(super) fn lent_all<'e>(
        &mut self,
        exprs: impl Iterator<Item = &'e Expr>,
        callee: Option<&str>,
    ) -> Value {
        let mut written_through = Vec::new();
        for expr in exprs {
            if self.hands_on_unsent(expr) {
                continue;
            }
            let value = self.expr(expr);
            if let Value::Borrowed(place) | Value::Place(place) = &value {
                self.passing_param(place, callee.unwrap_or_default());
            }
            if let Value::Borrowed(place) = &value
                && let Some(written) = self.written_through(place, expr.span())
            {
                if let Some(callee) = callee {
                    self.lends.push((callee.to_string(), written));
                }
                written_through.push((place.clone(), written));
            }
            self.settle(value.clone());
            self.escape(&value, &expr);
        }
        match written_through.as_slice() {
            [(place, written)] => Value::Attempted {
                place: place.clone(),
                span: *written,
            },
            _ => Value::Nothing,
        }
    }

    /// The transaction a view reaches (see `Value::View`), or the place.
    fn through_view(&self, place: String) -> String {
        self.views.get(&place).cloned().unwrap_or(place)
    }

    /// The connection or transaction of this function among a call's
    /// arguments (`&tx`, `&mut *conn`, `client` given as a parameter).
    fn handle_among(
        &self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Option<String> {
        args.iter().filter_map(reborrowed_place).find_map(|place| {
            let place = self.through_view(place);
            let root = place.split('.').next().unwrap_or(&place);
            (self.owned.contains_key(&place) || self.params.iter().any(|param| param == root))
                .then_some(place)
        })
    }

    /// Whether a call is handed a connection or transaction this function
    /// holds or was given (`&mut tx`, `conn`, `&mut *self.conn`): only such
    /// a call can begin, end or write through one.
    pub(super) fn passes_handles(
        &self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> bool {
        args.iter().filter_map(reborrowed_place).any(|place| {
            let place = self.original(place);
            let root = place.split('.').next().unwrap_or(&place);
            self.owned.contains_key(&place)
                || self.params.iter().any(|param| param == root)
                || root == "self"
        })
    }

    /// Whether a call is handed a pool (`open_tx(&pool)`): a function of
    /// another module may begin a transaction on it for the caller.
    fn passes_pool(&self, args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) -> bool {
        args.iter().filter_map(place_of).any(|place| {
            let place = self.original(place);
            let last = place.rsplit('.').next().unwrap_or(&place);
            self.file.vocabulary.is_pool_name(last)
        })
    }

    /// The place a local copies (see `copies`), or the place itself.
    fn original(&self, place: String) -> String {
        let (root, rest) = place.split_once('.').unwrap_or((&place, ""));
        match self.copies.get(root) {
            Some(copied) if rest.is_empty() => copied.clone(),
            Some(copied) => format!("{copied}.{rest}"),
            None => place,
        }
    }

    /// A statement run on `place` by `method`: its SQL when it can be read,
    /// else a write when the method may write (`execute`), else nothing.
    fn run_statement(
        &mut self,
        place: String,
        sql: Option<String>,
        method: &str,
        span: Span,
    ) -> Value {
        match sql {
            Some(sql) => self.run_sql(&place, &sql, span),
            None if self.file.vocabulary.may_write(method) => {
                self.event(EventKind::Write, &place, span);
                Value::Wrote {
                    place,
                    spans: vec![span],
                }
            }
            None => Value::Nothing,
        }
    }

    /// A commit of a transaction this function owns whose result is thrown
    /// away: `let _ = tx.commit().await`, `drop(tx.commit())`,
    /// `tx.commit().await.ok();`, in a function that returns a result.
    /// Lowered as two paths: on one it committed, on the other it failed
    /// and the work is lost while the function goes on. Returns whether
    /// `discarded` was such a commit.
    pub(super) fn discarded_commit(&mut self, discarded: &Expr) -> bool {
        self.commit_carried_past(discarded, discarded)
    }

    /// `if let Err(e) = tx.commit().await { warn!(..) }`, or a `match` on
    /// the commit whose `Err` arms only log: the function goes on past a
    /// failed commit as if it had committed, as `let _ =` does (see
    /// `discarded_commit`). `statement` is lowered where it committed.
    pub(super) fn commit_failure_carried_on(&mut self, statement: &Expr) -> bool {
        let (commit, carried_on) = match peel(statement) {
            Expr::If(branch) if branch.else_branch.is_none() => match peel(&branch.cond) {
                Expr::Let(test) if matches_err(&test.pat) == Some(true) => {
                    (&*test.expr, !block_may_leave(&branch.then_branch))
                }
                _ => return false,
            },
            Expr::Match(choice) => {
                let mut failures = choice
                    .arms
                    .iter()
                    .filter(|arm| matches_err(&arm.pat) == Some(true))
                    .peekable();
                let handled = failures.peek().is_some();
                let carried_on = failures.all(|arm| !may_leave(&arm.body));
                (&*choice.expr, handled && carried_on)
            }
            _ => return false,
        };
        // A best-effort function answers every failure with `Ok` by
        // design: one that never returns an `Err`, or one whose begin's
        // failure it did not return either (`if let Ok(tx) = ..`).
        let reports_failures = !self.returns_no_error
            && commit_receiver(commit)
                .is_some_and(|place| self.begun_with_failure_returned.contains(&place));
        carried_on && reports_failures && self.commit_carried_past(commit, statement)
    }

    /// Whether `commit` commits a transaction of this function, lowered as
    /// two paths (see `discarded_commit`), `lowered` on the one where it
    /// committed.
    fn commit_carried_past(&mut self, discarded: &Expr, lowered: &Expr) -> bool {
        let Some(call) = result_of_call(discarded) else {
            return false;
        };
        // The driver's `tx.commit()`, or a function of this file that ends
        // the transaction it is handed (`self.commit(tx)`).
        let method = call.method.to_string();
        let committed = match self.file.transaction_helpers.get(&method) {
            Some(&TransactionHelper::Ends(position)) => call.args.iter().nth(position),
            // postgres 0.15's `finish()` of a transaction set to commit.
            _ if method == "finish"
                && call.args.is_empty()
                && place_of(&call.receiver)
                    .is_some_and(|place| self.commits_on_drop.contains(&place)) =>
            {
                Some(&*call.receiver)
            }
            _ => self
                .file
                .vocabulary
                .call_effect(&method, call.args.len(), &[])
                .is_some_and(|effect| effect.effect == Effect::Commit)
                .then_some(&*call.receiver),
        };
        let Some(place) = committed.and_then(place_of) else {
            return false;
        };
        // A function with no result to report an error through (a
        // best-effort `()` task, a closure) says nothing by succeeding.
        if !self.returns_result || self.owned.get(&place) != Some(&Owned::Transaction) {
            return false;
        }
        let span = self.span(call.span());
        self.commit_or_discarded(&place, span, |this| {
            let value = this.expr(lowered);
            this.settle(value);
        });
        true
    }

    /// A commit of `place` whose result is thrown away: `commit` lowers it
    /// where it succeeded; where it failed, the function goes on as if it
    /// had (see `EventKind::CommitDiscarded`).
    pub(super) fn commit_or_discarded(
        &mut self,
        place: &str,
        span: Span,
        commit: impl FnOnce(&mut Self),
    ) {
        let (committed, failed) = self.builder.fork(None);
        self.builder.switch_to(failed);
        self.event(EventKind::CommitDiscarded, place, span);
        let failed = self.builder.current();
        self.builder.switch_to(committed);
        commit(self);
        let committed = self.builder.current();
        self.builder.join(&[committed, failed]);
    }

    /// `drop(C)`, `C.ok()`, `C.unwrap_or_default()`, or `C` itself as a
    /// statement: the result of `C` is thrown away (see
    /// `discarded_commit`).
    pub(super) fn discards_result(&mut self, statement: &Expr) -> bool {
        match peel(statement) {
            Expr::Call(call)
                if call.args.len() == 1
                    && matches!(
                        path_text(&call.func).as_deref(),
                        Some("drop" | "std::mem::drop" | "mem::drop")
                    ) =>
            {
                self.discarded_commit(&call.args[0])
            }
            Expr::MethodCall(call)
                if matches!(
                    call.method.to_string().as_str(),
                    "ok" | "unwrap_or_default" | "unwrap_or" | "unwrap_or_else"
                ) =>
            {
                self.discarded_commit(&call.receiver)
            }
            // `tx.commit().await;`: the compiler only warns.
            Expr::MethodCall(_) | Expr::Await(_) => self.discarded_commit(statement),
            _ => false,
        }
    }

    /// Remember that a parameter (or a field of one) is handed to `callee`.
    pub(super) fn passing_param(&mut self, place: &str, callee: &str) {
        if self.through_param(place) {
            self.params_passed_to.push(callee.to_string());
        }
    }

    /// Whether `place` is a parameter a transaction can be lent through,
    /// or reached through one (`store.inner`).
    fn through_param(&self, place: &str) -> bool {
        let root = place.split('.').next().unwrap_or(place);
        self.params.iter().any(|param| param == root)
    }

    /// Code that may write reaches the transaction `place` owns; the
    /// write's span, if one was recorded.
    pub(super) fn written_through(&mut self, place: &str, span: SynSpan) -> Option<Span> {
        if self.owned.get(place) == Some(&Owned::Transaction) {
            let span = self.span(span);
            self.event(EventKind::Write, place, span);
            return Some(span);
        }
        None
    }

    /// A closure's or `async` block's body, which runs when it is called
    /// or awaited: a `move` one takes every handle it names; another takes
    /// those it uses by value (`opt.map(|id| (id, tx))`) and may write
    /// through the transactions it borrows when it runs.
    pub(super) fn runs_later(&mut self, body: FnBody, moves: bool, span: SynSpan) {
        let mut names = Names(Vec::new());
        let mut moved = MovedNames(Vec::new());
        match body {
            FnBody::Block(block) => {
                names.visit_block(block);
                moved.visit_block(block);
            }
            FnBody::Expr(expr) => {
                names.visit_expr(expr);
                moved.visit_expr(expr);
            }
        }
        if moves {
            self.moved_into_closure(names, span);
            return;
        }
        let mut borrowed: Vec<String> = names
            .0
            .into_iter()
            .filter(|name| {
                !moved.0.contains(name) && self.owned.get(name) == Some(&Owned::Transaction)
            })
            .collect();
        borrowed.sort();
        borrowed.dedup();
        if !borrowed.is_empty() {
            self.writes_when_run(body, &borrowed);
        }
        self.moved_into_closure(Names(moved.0), span);
    }

    /// A closure or block that borrows transactions of this function
    /// writes through them when it runs, as its body does (`.then(||
    /// db.block_header(..))` only reads). The body is lowered on its own to
    /// find out; its writes, and the functions of this file it lends the
    /// transactions to, are recorded here, at their places in the body.
    fn writes_when_run(&mut self, body: FnBody, borrowed: &[String]) {
        let span = self.span(match body {
            FnBody::Block(block) => block.span(),
            FnBody::Expr(expr) => expr.span(),
        });
        let mut scratch = Lowerer::new(self.file, self.base, String::new(), span);
        scratch.depth = self.depth;
        scratch.owner = self.owner.clone();
        scratch.param_types = self.param_types.clone();
        scratch.param_receivers = self.param_receivers.clone();
        scratch.local_texts = self.local_texts.clone();
        scratch.views = self.views.clone();
        for name in borrowed {
            scratch.owned.insert(name.clone(), Owned::Transaction);
        }
        scratch.body(body);
        if let Some(deep) = scratch.too_deep {
            self.too_deep.get_or_insert(deep);
        }
        let lends = std::mem::take(&mut scratch.lends);
        let flow = scratch.builder.finish(span);
        let writes = flow
            .blocks
            .iter()
            .flat_map(|block| &block.events)
            .filter(|event| {
                event.kind == EventKind::Write
                    && borrowed.contains(&flow.handles[event.handle].name)
            });
        for event in writes {
            let name = &flow.handles[event.handle].name;
            self.event(EventKind::Write, name, event.span);
            self.lends
                .extend(lends.iter().filter(|(_, at)| *at == event.span).cloned());
        }
    }

    /// A closure or `async` block takes these handles: those a `move` one
    /// names, or those another uses by value.
    pub(super) fn moved_into_closure(&mut self, mut names: Names, span: SynSpan) {
        names.0.sort();
        names.0.dedup();
        let span = self.span(span);
        for name in names.0 {
            if self.owned.contains_key(&name) {
                self.event(EventKind::Escape, &name, span);
            }
        }
    }

    /// `return Err(..)` written as a macro: out of the function, or out of
    /// a closure run in place into its result (see `return_from_closure`).
    fn return_error(&mut self, span: Span) {
        if self.returns_into.is_empty() {
            self.builder.return_(span, ExitKind::Error);
        } else {
            self.builder.throw(span);
        }
    }

    /// What an invocation of the file's own macro stands for, where it
    /// runs its body in place (`let tx = open_tx!(pool);`); one that
    /// invokes itself is expanded only so deep.
    pub(super) fn own_expansion(&self, mac: &Macro) -> Option<Expr> {
        let Some(OwnMacro {
            rules: Some(rules), ..
        }) = self.file.own_macros.get(&macro_name(mac))
        else {
            return None;
        };
        (self.expanding < MAX_NESTED_EXPANSIONS)
            .then(|| macros::expression(mac, rules))
            .flatten()
    }

    /// Lower `expanded`, what a macro invocation stands for, with `lower`.
    pub(super) fn in_expansion<T>(
        &mut self,
        expanded: &Expr,
        lower: impl FnOnce(&mut Self, &Expr) -> T,
    ) -> T {
        self.expanding += 1;
        let lowered = lower(self, expanded);
        self.expanding -= 1;
        lowered
    }

    pub(super) fn macro_call(&mut self, mac: &Macro) -> Value {
        if let Some(expanded) = self.own_expansion(mac) {
            return self.in_expansion(&expanded, Self::expr);
        }
        let name = macro_name(mac);
        let span = self.span(mac.span());
        match name.as_str() {
            // `bail!(..)` is `return Err(..)`.
            "bail" => self.return_error(span),
            // `ensure!(cond, ..)` returns an error when `cond` is false.
            "ensure" => {
                let (fails, holds) = self.builder.fork(None);
                self.builder.switch_to(fails);
                self.return_error(span);
                self.builder.switch_to(holds);
            }
            // Panics are not paths.
            "panic" | "unreachable" | "todo" | "unimplemented" => self.builder.start_unreachable(),
            // A function with no error to return says it failed by logging
            // one (`error!("insert failed: {e}"); return;`, or `return
            // Ok(())` where it never returns an `Err`): the path handles an
            // error from here, like an `Err(..)` arm.
            "error" if self.returns_no_error => self.builder.mark_error_path(span),
            // Other bodies are opaque, but one that commits or rolls back an
            // owned transaction (`tokio::select! { .. => tx.commit() .. }`)
            // may end it.
            _ => {
                let mut ended = Vec::new();
                ended_in_tokens(mac.tokens.clone(), &mut ended);
                // A macro of another module given the transaction itself
                // (`commit_staged!(txn, tiles)`) may move it and end it;
                // the standard and logging macros only format or compare,
                // and the file's own say whether they end anything.
                let may_end = match self.file.own_macros.get(&name) {
                    Some(own) => own.ends,
                    None => !READING_MACROS.contains(&name.as_str()),
                };
                if may_end {
                    ended.extend(whole_arguments(mac.tokens.clone()));
                    // A parameter named inside it may be written through
                    // (`map_db_error!(insert_league(conn, ..).await)`): the
                    // function is no reader for its callers.
                    let mut named = Vec::new();
                    names_in_tokens(mac.tokens.clone(), &mut |word| {
                        if self.params.iter().any(|param| param == word) {
                            named.push(word.to_string());
                        }
                    });
                    for param in named {
                        self.passing_param(&param, &format!("{name}!"));
                    }
                }
                ended.sort();
                ended.dedup();
                for name in ended {
                    if self.owned.contains_key(&name) {
                        self.event(EventKind::HandedOff, &name, span);
                    }
                }
            }
        }
        Value::Nothing
    }

    pub(super) fn call(&mut self, call: &syn::ExprCall) -> Value {
        if let Some(args) = self.name_temporary_transaction(&call.args) {
            let named = syn::ExprCall {
                args,
                ..call.clone()
            };
            let value = self.call(&named);
            self.drop_temporary_transaction(call.span());
            return value;
        }
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
        // `futures::executor::block_on(pool.begin())` is what it runs, and
        // `Box::pin(process(&mut tx))` (a large future boxed) what it pins.
        let pinned = matches!(
            function.as_deref(),
            Some("Box::pin" | "std::boxed::Box::pin")
        );
        if (name == Some("block_on") || pinned) && call.args.len() == 1 {
            return self.expr(&call.args[0]);
        }
        // `sqlx::Connection::begin(&mut conn)`, `Acquire::begin(&pool)`:
        // a method called through its path, its receiver first. A
        // project's own `Staging::begin(&tx)` is not a driver's.
        if let Some(method) = name
            && function.as_deref().is_some_and(names_driver_method)
            && !call.args.is_empty()
            && self
                .file
                .vocabulary
                .begins_object(method, call.args.len() - 1)
        {
            self.moved_all(call.args.iter());
            return Value::TransactionObject(self.span(call.span()));
        }
        // `SimpleAsyncConnection::batch_execute(conn, "BEGIN")`,
        // `Queryable::query_drop(&mut conn, ..)`: a driver's statement
        // method called through its trait, its receiver first, is the
        // method call it stands for.
        if let Some(method) = name
            && function.as_deref().is_some_and(names_driver_method)
            && self.file.vocabulary.is_sql_method(method)
            && let Some((receiver, rest)) = call.args.iter().collect::<Vec<_>>().split_first()
            && place_of(receiver).is_some()
            && let Expr::Path(func) = &*call.func
            && let Some(last) = func.path.segments.last()
        {
            let method_call = syn::ExprMethodCall {
                attrs: Vec::new(),
                receiver: Box::new((*receiver).clone()),
                dot_token: Default::default(),
                method: last.ident.clone(),
                turbofish: None,
                paren_token: call.paren_token,
                args: rest.iter().map(|arg| (*arg).clone()).collect(),
            };
            return self.method_call(&method_call);
        }
        if function.is_none() {
            let value = self.expr(&call.func);
            self.settle(value);
        }
        // `helper(&mut db)`, or a type's own `Self::migrate(self)`.
        if let Some(callee) = name.filter(|n| match function.as_deref() == Some(*n) {
            true => self.file.private_functions.contains(*n),
            false => self.file.private_methods.contains(*n),
        }) {
            let at = self.span(call.span()).start;
            self.private_call(callee, at, call.args.iter());
        }
        // `Staging::begin(&tx)?`: what a type's own function builds around
        // the transaction is a view of it, whatever the function did.
        let constructed_view = function
            .as_deref()
            .is_some_and(|f| constructs(f) || self.file.constructors.contains(f))
            .then(|| self.view_of(&call.args))
            .flatten();
        if let Some(helper) = name.and_then(|n| self.file.transaction_helpers.get(n).copied()) {
            let span = self.span(call.span());
            let value = self.helper_call(helper, call.args.iter(), span);
            if let Some(viewed) = constructed_view {
                self.settle(value);
                return Value::View(viewed);
            }
            return value;
        }
        if let Some(name) = name.filter(|n| self.file.returning_transactions.contains(*n)) {
            self.moved_all(call.args.iter());
            let at = self.span(call.span());
            return self.transaction_returned(at, self.file.opaque_transactions.contains(name));
        }
        let file = self.file;
        if let Some(summary) = function
            .as_deref()
            .filter(|_| self.passes_handles(&call.args) || self.passes_pool(&call.args))
            .and_then(|f| file.imported_function(f))
            && let Some(value) = self.imported_call(summary, call.args.iter(), call.span())
        {
            return value;
        }
        if let Some(viewed) = constructed_view {
            self.moved_all(call.args.iter());
            return Value::View(viewed);
        }
        if name.is_some_and(named_as_read) {
            self.moved_all(call.args.iter());
            Value::Nothing
        } else {
            // `Set(db)` builds a value (a tuple struct or variant); it
            // writes nothing.
            if let Some(name) = name.filter(|name| !name.starts_with(char::is_uppercase)) {
                let span = self.span(call.span());
                let writes = named_as_write(name)
                    || self.file.writing_functions.contains(name)
                    || self.imported_writes_beside(function.as_deref(), &call.args);
                self.written_beside(call.args.iter(), Some(name), writes, span);
            }
            let lent_before = self.lends.len();
            // `league::create_league(&mut tx, ..)` is another module's
            // function, whatever this file names its own: only a bare name,
            // `self::` or a type's path (`Db::lookup`) may be one of them.
            let own = match function.as_deref().and_then(|f| f.split_once("::")) {
                Some((first, _)) => {
                    first == "self" || first.starts_with(|c: char| c.is_ascii_uppercase())
                }
                None => true,
            };
            let callee = match own {
                true => name,
                false => function.as_deref(),
            };
            let value = self.lent_all(call.args.iter(), callee);
            if function
                .as_deref()
                .is_some_and(|f| self.callbacks.iter().any(|c| c == f))
            {
                let lent = self.lends[lent_before..].iter().map(|(_, at)| *at);
                self.callback_writes.extend(lent);
            }
            value
        }
    }

    /// The transaction of this function that a constructor's arguments
    /// borrow, when one does and no other handle is passed: the value built
    /// (`Accessor::new(&tx)`) reaches the transaction through the borrow.
    fn view_of(&self, args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>) -> Option<String> {
        let mut viewed = None;
        for arg in args {
            let Some(place) = place_of(arg).map(|place| self.through_view(place)) else {
                continue;
            };
            let borrowed = matches!(peel(arg), Expr::Reference(_));
            match self.owned.get(&place) {
                Some(Owned::Transaction) if borrowed && viewed.is_none() => viewed = Some(place),
                Some(_) => return None,
                None => {}
            }
        }
        viewed
    }

    /// The transaction a call at `at` returns; one whose type is hidden
    /// (`impl ConnectionTrait`) may have no `commit()`, so it gets no fix.
    fn transaction_returned(&mut self, at: Span, type_hidden: bool) -> Value {
        if type_hidden {
            self.opaque_at.push(at);
        }
        Value::TransactionObject(at)
    }

    /// A call of a transaction helper of this file: the connection at its
    /// position begins a transaction once the call succeeded, or has its
    /// transaction ended.
    pub(super) fn helper_call<'e>(
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
                // What it returns tells whether the write changed a row.
                (TransactionHelper::ReportsWrite(at), Some(place))
                    if at == position
                        && let Some(written) = self.written_through(&place, arg.span()) =>
                {
                    result = Value::Wrote {
                        place,
                        spans: vec![written],
                    };
                }
                _ => {
                    self.settle(value.clone());
                    self.escape(&value, &arg);
                }
            }
        }
        result
    }

    /// A call of a function of another module that does something to the
    /// transaction of a connection passed to it, or only reads through
    /// one; `None` when its summary says neither.
    pub(super) fn imported_call<'e>(
        &mut self,
        summary: &Summary,
        args: impl Iterator<Item = &'e Expr>,
        span: SynSpan,
    ) -> Option<Value> {
        let helper = match (summary.begins.first(), summary.ends.first()) {
            (Some(&position), _) => TransactionHelper::Begins(position),
            (None, Some(&position)) => TransactionHelper::Ends(position),
            (None, None) if let Some(&position) = summary.reports_write.first() => {
                TransactionHelper::ReportsWrite(position)
            }
            // A begin helper also only reads through the connection it is
            // given (`db.begin().await`): what it returns comes first.
            (None, None) if summary.returns_transaction_object => {
                self.moved_all(args);
                let at = self.span(span);
                return Some(self.transaction_returned(at, summary.transaction_type_hidden));
            }
            (None, None) if summary.reads_only => {
                self.moved_all(args);
                return Some(Value::Nothing);
            }
            (None, None) => return None,
        };
        let span = self.span(span);
        Some(self.helper_call(helper, args, span))
    }

    pub(super) fn method_call(&mut self, call: &syn::ExprMethodCall) -> Value {
        if let Some(args) = self.name_temporary_transaction(&call.args) {
            let named = syn::ExprMethodCall {
                args,
                ..call.clone()
            };
            let value = self.method_call(&named);
            self.drop_temporary_transaction(call.span());
            return value;
        }
        let method = call.method.to_string();
        // `db.query("BEGIN").query(..).query("COMMIT")`: no driver's
        // statement method returns something to send the next statement
        // with. This builds one request of another database's client
        // (SurrealDB's), sent whole when awaited: no statement of it runs
        // on its own.
        if self.statement_link(call).is_some() {
            let mut link = call;
            self.moved_all(link.args.iter());
            while let Some(inner) = self.statement_link(link) {
                link = inner;
                self.moved_all(link.args.iter());
            }
            let receiver = self.expr(&link.receiver);
            self.settle(receiver);
            return Value::Nothing;
        }
        if self.file.private_methods.contains(&method) {
            let at = self.span(call.span()).start;
            let receiver = std::iter::once(&*call.receiver);
            self.private_call(&method, at, receiver.chain(call.args.iter()));
        }
        let vocabulary = self.file.vocabulary;
        let receiver = self.expr(&call.receiver);
        // Error adapters keep the success value: `pool.begin().await
        // .context("..")?` is still the transaction.
        if RESULT_ADAPTERS.contains(&method.as_str()) {
            self.moved_all(call.args.iter());
            return receiver;
        }
        // So are a project's own (`.or_retry()?` from an extension trait
        // on `Result`): a BEGIN's or a checkout's outcome is its
        // `Result`'s.
        if let Value::Begins { .. } | Value::PooledConnection(_) = &receiver
            && call.args.is_empty()
            && vocabulary.call_effect(&method, 0, &[]).is_none()
        {
            return receiver;
        }
        // `user_by_id().bind(&tx, &id)`: a statement bound to a handle. One
        // named for a write (`insert_user().bind(..)`) writes whatever
        // takes its rows (`RETURNING`).
        if vocabulary.is_binder(&method)
            && !built_by_write(&call.receiver)
            && !built_by_call_named(&call.receiver, named_as_write)
            && let Some(place) = self.handle_among(&call.args)
        {
            self.settle(receiver);
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            return Value::Bound { place, span };
        }
        // `insert_user().bind(&tx, ..)`: its result tells whether the write
        // happened (an `Err` arm of a unique violation wrote nothing).
        if vocabulary.is_binder(&method)
            && let Some(place) = self.handle_among(&call.args)
        {
            self.settle(receiver);
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            self.event(EventKind::Write, &place, span);
            return Value::Wrote {
                place,
                spans: vec![span],
            };
        }
        // Taking the rows a write returns (`RETURNING`) still tells of it.
        if let Value::Wrote { .. } = &receiver
            && vocabulary.only_reads(&method)
        {
            self.moved_all(call.args.iter());
            return receiver;
        }
        // `.bind(&tx, &id).one()` takes the rows: a read. `.map(..)`
        // shapes them first.
        if let Value::Bound { .. } = &receiver
            && (vocabulary.only_reads(&method) || method == "map")
        {
            self.moved_all(call.args.iter());
            return if method == "map" {
                receiver
            } else {
                Value::Nothing
            };
        }
        if method == "push_str"
            && let Value::Place(local) = &receiver
            && self.local_texts.contains_key(local)
            && let Some(piece) = call.args.first()
        {
            let local = local.clone();
            self.append_text(&local, piece);
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
                    Value::Wrote {
                        place,
                        spans: vec![span],
                    }
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
            // The guard of a lock around a connection (`self.conn.lock()`,
            // `.lock().unwrap()`) is a view of it: its statements run on it.
            (Value::Place(place) | Value::Borrowed(place), "lock") if call.args.is_empty() => {
                return Value::View(place.clone());
            }
            (Value::View(_), "unwrap" | "expect") => return receiver,
            // `trans.set_commit()` (postgres 0.15): dropping it commits, on
            // every exit from here, and `finish()` commits it.
            (Value::Place(place), "set_commit")
                if call.args.is_empty() && self.owned.get(place) == Some(&Owned::Transaction) =>
            {
                let place = place.clone();
                let span = self.call_span(call);
                self.event(EventKind::CommitsOnDrop, &place, span);
                self.commits_on_drop.insert(place);
                return Value::Nothing;
            }
            // `tx.set_drop_behavior(DropBehavior::Commit)` (rusqlite,
            // duckdb): a transaction that commits whatever it did, however
            // it ends, by the author's choice for its whole life: nothing
            // of ours to follow.
            (Value::Place(place), "set_drop_behavior")
                if call.args.len() == 1
                    && self.owned.get(place) == Some(&Owned::Transaction)
                    && path_text(&call.args[0]).is_some_and(|arg| arg.ends_with("Commit")) =>
            {
                let span = self.call_span(call);
                self.event(EventKind::Escape, &place.clone(), span);
                return Value::Nothing;
            }
            (Value::Place(place), "finish")
                if call.args.is_empty() && self.commits_on_drop.contains(place) =>
            {
                let place = place.clone();
                let span = self.call_span(call);
                self.event(EventKind::Commit, &place, span);
                return Value::Nothing;
            }
            // `tx.acquire().await?` on a transaction or connection (not a
            // pool) is a reborrow of its connection (sqlx's `Acquire`).
            (Value::Place(place) | Value::Borrowed(place), "acquire")
                if call.args.is_empty() && self.holds_connection(place) =>
            {
                return Value::Borrowed(place.clone());
            }
            // The count of rows a write changed still tells of the write,
            // and so does its result mapped (`.map(|_| id)`): an `Err` stays
            // an `Err`. An `Err` made a default (`.unwrap_or(0)`,
            // `.map(|n| n > 0).unwrap_or(false)`) says no row, as a failed
            // statement changed none.
            (
                Value::Wrote { .. },
                "rows_affected" | "map" | "unwrap_or" | "unwrap_or_default" | "unwrap_or_else",
            ) => return receiver,
            // So do the rows it returned (`RETURNING`), looked at whole:
            // `rows.is_empty()`, `match rows.as_slice() { [] => .. }`.
            (Value::Wrote { .. }, "is_empty" | "is_none" | "is_some" | "as_slice")
                if call.args.is_empty() =>
            {
                return receiver;
            }
            // The count of a query result a helper lent the transaction
            // returned (`save(&mut *tx, ..).await?.rows_affected()`) tells
            // of the helper's write.
            (Value::Answered { place, span }, "rows_affected") if call.args.is_empty() => {
                return Value::Wrote {
                    place: place.clone(),
                    spans: vec![*span],
                };
            }
            // Its `Err` made `None` (`.ok()`), or tested, still tells that
            // the writes failed.
            (Value::Attempted { .. }, "ok" | "is_ok" | "is_err" | "is_some" | "is_none")
                if call.args.is_empty() =>
            {
                return receiver;
            }
            _ => {}
        }
        // `q.query("..")` on an unsent `BEGIN`'s request adds to it.
        if let Value::Begins { .. } = &receiver
            && vocabulary.is_sql_method(&method)
        {
            self.moved_all(call.args.iter());
            return Value::Nothing;
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
        // The same, built into a local first (`let q = sqlx::query(sql);`).
        if vocabulary.is_sql_executor(&method)
            && let Some(sql) = self.statement_in_local(&call.receiver)
            && let Some(handle) = call.args.first().and_then(place_of)
        {
            self.moved_all(call.args.iter());
            let span = self.call_span(call);
            return self.run_statement(handle, sql, &method, span);
        }

        if let Some(effect) = vocabulary.call_effect(&method, call.args.len(), &receiver_calls) {
            let pooled = effect.returns_to_pool_on_drop();
            let receiver_is_pool = receiver_place
                .as_deref()
                .is_some_and(|p| vocabulary.is_pool_name(p) && !self.owned.contains_key(p));
            match (effect.effect, receiver_place.as_deref()) {
                // `self.store.transaction()` on a crypto store's lock is
                // not a database's transaction.
                (Effect::BeginObject, place)
                    if place.is_some_and(|place| self.typed_as_not_database(place)) => {}
                // A read-only transaction has no work to lose, also one a
                // method of this file begins (`self.transaction()` over a
                // key-value store's `read_txn()`).
                (Effect::BeginObject, place)
                    if self.begins_read_only(call)
                        || (place == Some("self")
                            && self.owner.as_ref().is_some_and(|owner| {
                                self.file
                                    .read_only_methods
                                    .contains(&format!("{owner}::{method}"))
                            })) =>
                {
                    self.moved_all(call.args.iter());
                    return Value::Nothing;
                }
                (Effect::BeginObject, _) => {
                    self.moved_all(call.args.iter());
                    return Value::TransactionObject(self.call_span(call));
                }
                // `POOL.get()` of a `static POOL: OnceLock<PgPool>` is the
                // pool.
                (Effect::Acquire, Some(place)) if self.file.set_once.contains(place) => {
                    return Value::Nothing;
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
            return self.run_statement(place, sql, &method, span);
        }

        // A method of another type than this file's functions of the name
        // (`self.repo.reserve(tx, ..)` inside `Service::reserve`): it is
        // none of them, and is known by its type's name.
        let other_type = receiver_place
            .as_deref()
            .and_then(|place| self.receiver_type(place))
            .filter(|owner| !self.file.functions.contains(&format!("{owner}::{method}")))
            .map(str::to_string);
        let callee = match &other_type {
            Some(owner) => format!("{owner}::{method}"),
            None => method.clone(),
        };
        if let Some(helper) = self
            .file
            .transaction_helpers
            .get(&method)
            .filter(|_| other_type.is_none())
            .copied()
        {
            let span = self.call_span(call);
            return self.helper_call(helper, call.args.iter(), span);
        }
        if other_type.is_none() && self.file.returning_transactions.contains(&method) {
            self.moved_all(call.args.iter());
            let at = self.call_span(call);
            return self.transaction_returned(at, self.file.opaque_transactions.contains(&method));
        }
        let file = self.file;
        // A method of a type another module defines, on a receiver whose
        // type is written down (`connections: DatabaseConnections`).
        if other_type.is_some()
            && let Some(summary) = file.imported_function(&callee)
            && let Some(value) = self.imported_call(summary, call.args.iter(), call.span())
        {
            return value;
        }
        if let Some(summary) = Some(&method)
            .filter(|_| self.passes_handles(&call.args))
            .and_then(|method| file.imported_method(method))
            && let Some(value) = self.imported_call(summary, call.args.iter(), call.span())
        {
            return value;
        }

        // A trait method the workspace implements for a database handle,
        // called on a handle (`store.tour_get(id)` on a `store: &mut impl
        // TourStore`, or on the transaction itself), does what its SQL
        // there does. Handed the transaction instead (`repo.lock_next(&mut
        // tx)`), it reads when every implementation does; a write there may
        // depend on what it found (a `get` that deletes the rows it
        // returns), so that one is left to its name, as any other method.
        let on_handle = receiver_place.as_deref().is_some_and(|place| {
            self.through_param(place) || self.owned.get(place) == Some(&Owned::Transaction)
        });
        let (reads_by_name, writes_by_name) = match self.file.trait_method(&method) {
            Some(effect) if on_handle => (
                effect == MethodEffect::Reads,
                effect == MethodEffect::Writes,
            ),
            Some(MethodEffect::Reads) => (true, false),
            _ => (named_as_read(&method), named_as_write(&method)),
        };
        // `query.fetch_all(&mut *tx)` reads, unless the statement was
        // built by a call that writes (`insert_into(t).values(..)`).
        if (vocabulary.only_reads(&method) && !built_by_write(&call.receiver)) || reads_by_name {
            self.moved_all(call.args.iter());
        } else {
            // A method of the transaction or connection itself that the
            // vocabulary does not know (a project's wrapper, an extension
            // trait) is taken at its name: `tx.insert_block(..)` writes,
            // `tx.block_hash(..)` does not.
            let mut written = None;
            if let Some(place) = &receiver_place
                && (writes_by_name || self.file.writing_methods.contains(&method))
            {
                self.passing_param(place, &callee);
                written = self
                    .written_through(place, call.method.span())
                    .map(|span| (place.clone(), span));
            }
            // A method of the transaction itself handed the store it was
            // begun from writes in the transaction (`txn.insert_batch(&map,
            // ..)` of an embedded store).
            let writes = (writes_by_name
                || self.file.writing_methods.contains(&method)
                || built_by_write(&call.receiver))
                && written.is_none();
            let span = self.call_span(call);
            self.written_beside(call.args.iter(), None, writes, span);
            let value = self.lent_all(call.args.iter(), Some(&callee));
            // Its `Result` tells whether the write it was taken for
            // happened (`let Ok(_) = tx.set_processed(id) else { .. }`).
            let value = match (value, written) {
                (Value::Nothing, Some((place, span))) => Value::Attempted { place, span },
                (value, _) => value,
            };
            // `Entity::insert(row).exec(&txn)`: the statement's own result,
            // which tells whether it changed a row
            // (`TryInsertResult::Conflicted`).
            return match value {
                Value::Attempted { place, span } if built_by_write(&call.receiver) => {
                    Value::Wrote {
                        place,
                        spans: vec![span],
                    }
                }
                other => other,
            };
        }
        Value::Nothing
    }

    /// A method call's span. Computed from all its tokens, so only when an
    /// event needs it.
    pub(super) fn call_span(&self, call: &syn::ExprMethodCall) -> Span {
        self.span(call.span())
    }

    /// Remember the parameters' types, except those that name one of the
    /// function's generic parameters (their type is the caller's).
    pub(super) fn typed_params(&mut self, signature: &syn::Signature) {
        let generics: Vec<String> = signature
            .generics
            .type_params()
            .map(|p| p.ident.to_string())
            .collect();
        self.returns_result = match &signature.output {
            syn::ReturnType::Default => false,
            syn::ReturnType::Type(_, ty) => {
                !matches!(&**ty, syn::Type::Tuple(unit) if unit.elems.is_empty())
            }
        };
        self.returns_no_error = !self.returns_result;
        let function = signature.ident.to_string();
        for (position, input) in signature.inputs.iter().enumerate() {
            if self
                .file
                .closed_by_callers
                .contains(&(function.clone(), position))
            {
                match input {
                    syn::FnArg::Typed(typed) => {
                        self.closing_params.extend(binding_name(&typed.pat))
                    }
                    syn::FnArg::Receiver(_) => self.closing_params.push("self".to_string()),
                }
            }
            if let syn::FnArg::Receiver(receiver) = input {
                self.self_by_value = matches!(receiver.kind, syn::ReceiverKind::Value);
            }
            if let syn::FnArg::Typed(typed) = input {
                let name = binding_name(&typed.pat);
                if lendable_type(&typed.ty, signature)
                    || self.file.handle_trait_type(&typed.ty, signature)
                {
                    self.params.extend(name.clone());
                }
                if callback_type(&typed.ty, signature) {
                    self.callbacks.extend(name.clone());
                }
                // A transaction taken by value is this function's to end,
                // as one it began: its callers have given it away.
                match name {
                    Some(name) if owned_transaction_type(&typed.ty) => {
                        let position = self.builder.param_count();
                        self.taken_transactions.push((position, name.clone()));
                        self.builder.param(None);
                        let at = self.span(typed.pat.span());
                        self.bind(&name, Value::TransactionObject(at), &*typed.pat);
                    }
                    name => self.builder.param(name),
                }
            }
            if let syn::FnArg::Typed(typed) = input
                && let Some((name, text)) = self.typed_param(&typed.pat, &typed.ty)
            {
                let generic = text
                    .split(|c: char| !c.is_alphanumeric() && c != '_')
                    .any(|word| generics.iter().any(|g| g == word));
                if !generic {
                    if let Some(owner) = receiver_type_name(&typed.ty) {
                        self.param_receivers.insert(name.clone(), owner);
                    }
                    self.param_types.insert(name, text);
                }
            }
        }
    }

    /// A parameter's name and the text of its type: a plain binding's, or
    /// an extractor's (`State(db): State<DatabaseConnection>`) when that
    /// names a database type (a `State<AppState>` is the application's,
    /// whose methods may begin transactions).
    fn typed_param(&self, pat: &Pat, ty: &syn::Type) -> Option<(String, String)> {
        let text = type_text(ty);
        match binding_name(pat) {
            Some(name) => Some((name, text)),
            None => extracted_binding(pat)
                .filter(|_| names_database_type(&text))
                .map(|name| (name, text)),
        }
    }

    /// A begin call that opens a read-only transaction (see
    /// `read_only_begin`), its text read through the file's `const`s.
    pub(super) fn begins_read_only(&self, call: &syn::ExprMethodCall) -> bool {
        read_only_begin(call, |arg| self.sql_text(arg))
    }

    /// A call of one of the file's private functions, its arguments in
    /// the order of the callee's inputs (a method's receiver first): for
    /// each, whether it closes when this function drops it.
    fn private_call<'e>(&mut self, callee: &str, at: u32, args: impl Iterator<Item = &'e Expr>) {
        self.private_calls.push((callee.to_string(), at));
        for (position, arg) in args.enumerate() {
            let closes = place_of(arg).is_some_and(|place| self.closes_on_drop(&place));
            self.closing_arguments
                .push(((callee.to_string(), position), closes));
        }
    }

    /// Whether dropping `place` closes its connection: one this function
    /// opened (or a field of a struct that holds one), one taken by value
    /// (`conn: Connection`), a field of a `self` taken by value, or one
    /// that every caller closes when it drops it. A pooled connection goes
    /// back to its pool instead, and a borrowed one lives on.
    pub(super) fn closes_on_drop(&self, place: &str) -> bool {
        match self.owned.get(place) {
            Some(Owned::Closes) => return true,
            Some(_) => return false,
            None => {}
        }
        if let Some((holder, _)) = place.split_once('.')
            && self.owned.get(holder) == Some(&Owned::Closes)
        {
            return true;
        }
        if place == "self" || place.starts_with("self.") {
            return self.self_by_value || self.closing_params.iter().any(|param| param == "self");
        }
        if let Some(collection) = self.elements.get(place)
            && collection != place
        {
            return self.closes_on_drop(collection);
        }
        if self.closing_params.iter().any(|param| param == place) {
            return true;
        }
        self.param_types.get(place).is_some_and(|text| {
            !text.starts_with('&') && names_database_type(text) && !text.contains("Pool")
        })
    }

    /// Whether `place` is a pool, by its name or its written type, and not
    /// a name rebound to what this function holds.
    pub(super) fn is_pool(&self, place: &str) -> bool {
        (self.file.vocabulary.is_pool_name(place) || self.typed_as_pool(place))
            && !self.owned.contains_key(place)
    }

    /// Whether `place` is a field (`state.db`, `self.database`) not named
    /// for a connection or transaction that a transaction was begun on: a
    /// handle shared by reference, as a pool is. A connection begun on
    /// stays borrowed by its transaction until the transaction ends, so
    /// compiled code sends nothing else through it meanwhile.
    pub(super) fn is_shared_field(&self, place: &str) -> bool {
        let Some((_, field)) = place.rsplit_once('.') else {
            return false;
        };
        let names_other = identifier_words(field).iter().any(|word| {
            word.contains("conn")
                || word.contains("client")
                || matches!(word.as_str(), "tx" | "txn" | "trx" | "transaction")
        });
        !names_other && !self.owned.contains_key(place)
    }

    /// A call that writes (by its name, a statement built to write, or a
    /// function of this file that writes through what it is handed, see
    /// `FileFacts::writing_functions`) handed a pool that a transaction of
    /// this function was begun from:
    /// a write beside the transaction, if it is open (see
    /// `Handle::begun_from`). A function of this file that only reads
    /// drops it, as it does a transaction's (see `lends`); a method
    /// (`model.delete(db)`) is known by its name only, which may also be
    /// one of the file's functions.
    pub(super) fn written_beside<'e>(
        &mut self,
        args: impl Iterator<Item = &'e Expr>,
        function: Option<&str>,
        writes: bool,
        span: Span,
    ) {
        if self.sources.pools.is_empty() {
            return;
        }
        let pools: Vec<String> = args
            .filter_map(place_of)
            .filter(|place| self.sources.pools.contains_key(place))
            .collect();
        if !writes {
            // Whether the file's function writes through it is known once
            // the file is lowered (see `FileFacts::writing_functions`).
            if function.is_some() && !pools.is_empty() {
                self.file.asks_writing_functions.set(true);
            }
            return;
        }
        for pool in pools {
            self.event(EventKind::Write, &pool, span);
            if let Some(function) = function {
                self.lends.push((function.to_string(), span));
            }
        }
    }

    /// Whether `function`, of another module, writes through an argument
    /// that is a pool a transaction of this function was begun from
    /// (`catalog::retire_listing(&state.pool, slug)`, see
    /// `Summary::writes`).
    fn imported_writes_beside(
        &self,
        function: Option<&str>,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> bool {
        if self.sources.pools.is_empty() {
            return false;
        }
        let Some(summary) = function.and_then(|f| self.file.imported_function(f)) else {
            return false;
        };
        summary.writes.iter().any(|&position| {
            args.iter()
                .nth(position)
                .and_then(place_of)
                .is_some_and(|place| self.sources.pools.contains_key(&place))
        })
    }

    /// Whether `place` is a parameter, or a field of the struct `self` or a
    /// parameter is, typed as a driver's pool (`&PgPool`, `Pool<Postgres>`,
    /// sea-orm's `DatabaseConnection`). A project's own type (`DbPool`) may
    /// be anything, a connection behind a mutex too.
    pub(super) fn typed_as_pool(&self, place: &str) -> bool {
        const POOLS: &[&str] = &[
            "Pool",
            "PgPool",
            "SqlitePool",
            "MySqlPool",
            "AnyPool",
            "DatabaseConnection",
        ];
        let type_text = match place.split_once('.') {
            Some((root, field)) if !field.contains('.') => {
                let owner = match root {
                    "self" => self.owner.as_deref(),
                    param => self.param_receivers.get(param).map(String::as_str),
                };
                owner.and_then(|owner| {
                    self.file
                        .field_types
                        .get(&(owner.to_string(), field.to_string()))
                })
            }
            Some(_) => None,
            None => self.param_types.get(place),
        };
        type_text.is_some_and(|text| {
            text.split(|c: char| !c.is_alphanumeric() && c != '_')
                .any(|word| POOLS.contains(&word))
        })
    }

    /// Whether `place` is a transaction or connection, not a pool: one this
    /// function began, or a parameter typed as one.
    pub(super) fn holds_connection(&self, place: &str) -> bool {
        self.owned.get(place) == Some(&Owned::Transaction)
            || self.param_types.get(place).is_some_and(|text| {
                let text = text.to_lowercase();
                names_handle_type(&text) && !text.contains("pool")
            })
    }

    /// The type whose methods `place` offers, when its type is written
    /// down: a parameter's, or a field of a struct of this file that
    /// `self` or a parameter is (`self.repo`, `state.store`; see
    /// `receiver_type_name`).
    pub(super) fn receiver_type(&self, place: &str) -> Option<&str> {
        let owner_of = |root: &str| match root {
            "self" => self.owner.as_deref(),
            param => self.param_receivers.get(param).map(String::as_str),
        };
        match place.split_once('.') {
            Some((root, field)) if !field.contains('.') => owner_of(root).and_then(|owner| {
                self.file
                    .field_receivers
                    .get(&(owner.to_string(), field.to_string()))
                    .map(String::as_str)
            }),
            Some(_) => None,
            None if place == "self" => None,
            None => owner_of(place),
        }
    }

    /// Whether `place` has a type the front end can see (a parameter's, a
    /// field of `self`'s struct in this file) that names no database type.
    pub(super) fn typed_as_not_database(&self, place: &str) -> bool {
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
}

impl Lowerer<'_> {
    /// The statement method `call` is sent on, when its receiver is one
    /// and it is one too.
    fn statement_link<'e>(&self, call: &'e syn::ExprMethodCall) -> Option<&'e syn::ExprMethodCall> {
        let is_statement = |call: &syn::ExprMethodCall| {
            self.file.vocabulary.is_sql_method(&call.method.to_string())
        };
        match peel(&call.receiver) {
            Expr::MethodCall(inner) if is_statement(call) && is_statement(inner) => Some(inner),
            _ => None,
        }
    }
}

/// The method call whose result `expr` is, through awaits and what keeps
/// a result a result: `tx.commit()` of `let _ =
/// tx.commit().await.map_err(Error::from);`.
fn result_of_call(expr: &Expr) -> Option<&syn::ExprMethodCall> {
    let mut current = peel(expr);
    loop {
        current = match current {
            Expr::Await(awaited) => peel(&awaited.base),
            Expr::MethodCall(call)
                if RESULT_ADAPTERS.contains(&call.method.to_string().as_str())
                    && call.method != "unwrap"
                    && call.method != "expect" =>
            {
                peel(&call.receiver)
            }
            Expr::MethodCall(call) => return Some(call),
            _ => return None,
        };
    }
}

/// The receiver of the commit call `commit` awaits (`tx` of
/// `tx.commit().await`).
fn commit_receiver(commit: &Expr) -> Option<String> {
    result_of_call(commit).and_then(|call| place_of(&call.receiver))
}

/// The place an argument lends: `&mut tx`, `&mut *conn`, or its
/// connection reborrowed with sqlx's `Acquire` (`tx.acquire().await?`).
fn reborrowed_place(expr: &Expr) -> Option<String> {
    if let Some(place) = place_of(expr) {
        return Some(place);
    }
    let Expr::Try(tried) = peel(expr) else {
        return None;
    };
    let Expr::Await(awaited) = peel(&tried.expr) else {
        return None;
    };
    match peel(&awaited.base) {
        Expr::MethodCall(call) if call.method == "acquire" && call.args.is_empty() => {
            place_of(&call.receiver)
        }
        _ => None,
    }
}

/// `name.commit` / `name.rollback` anywhere in a macro's tokens.
pub(super) fn ended_in_tokens(tokens: proc_macro2::TokenStream, ended: &mut Vec<String>) {
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

/// The arguments of a macro call that are one name each (`txn` of
/// `commit_staged!(txn, tiles)`): what the macro may move.
fn whole_arguments(tokens: proc_macro2::TokenStream) -> Vec<String> {
    use proc_macro2::TokenTree;
    let mut names = Vec::new();
    let mut argument: Vec<TokenTree> = Vec::new();
    let mut flush = |argument: &mut Vec<TokenTree>| {
        if let [TokenTree::Ident(name)] = argument.as_slice() {
            names.push(name.to_string());
        }
        argument.clear();
    };
    for tree in tokens {
        match &tree {
            TokenTree::Punct(comma) if comma.as_char() == ',' => flush(&mut argument),
            _ => argument.push(tree),
        }
    }
    flush(&mut argument);
    names
}

/// The name a transaction begun as an argument is lowered under (see
/// `Lowerer::name_temporary_transaction`).
const TEMPORARY_TRANSACTION: &str = "temporary";

impl Lowerer<'_> {
    /// Whether the value of `expr` is a connection it opened: by the
    /// call's name (`Connection::open(..)`, `establish(..)`), or a function
    /// of this crate that opens one and returns it (`get_connection()?`).
    pub(super) fn opened_connection(&self, expr: &Expr) -> bool {
        if opens_connection(expr) {
            return true;
        }
        // `Store { conn, path }`: a struct that took an opened connection
        // closes it when dropped.
        if let Expr::Struct(built) = peel(expr) {
            return built.fields.iter().any(|field| {
                place_of(&field.expr)
                    .is_some_and(|place| self.owned.get(&place) == Some(&Owned::Closes))
                    || self.opened_connection(&field.expr)
            });
        }
        let Expr::Call(call) = result_value(expr) else {
            return false;
        };
        let Some(function) = path_text(&call.func) else {
            return false;
        };
        let last = function.rsplit("::").next().unwrap_or(&function);
        (function == last && self.file.opening_functions.contains(last))
            || self
                .file
                .imported_function(&function)
                .is_some_and(|summary| summary.opens_connection)
    }

    /// `record(&mut pool.begin().await?, ..)`: a transaction begun as an
    /// argument lives to the end of the statement, and nothing can commit
    /// it. The first such argument is begun under a name and the call's
    /// arguments come back with that name in its place, so that the call
    /// lends it as it would a local; `drop_temporary_transaction` ends it.
    fn name_temporary_transaction(
        &mut self,
        args: &syn::punctuated::Punctuated<Expr, syn::Token![,]>,
    ) -> Option<syn::punctuated::Punctuated<Expr, syn::Token![,]>> {
        let vocabulary = self.file.vocabulary;
        let position = args.iter().position(|arg| {
            let Expr::Reference(reference) = peel(arg) else {
                return false;
            };
            // A begin's result is a `Result` or a future: one lent as it
            // is (`&mut wrapper.transaction()`) is an accessor's borrow.
            let mut begun = peel(&reference.expr);
            let mut unwrapped = false;
            loop {
                match begun {
                    Expr::Try(inner) => begun = peel(&inner.expr),
                    Expr::Await(inner) => begun = peel(&inner.base),
                    Expr::MethodCall(call)
                        if RESULT_ADAPTERS.contains(&call.method.to_string().as_str()) =>
                    {
                        begun = peel(&call.receiver)
                    }
                    Expr::MethodCall(call) => {
                        return unwrapped
                            && vocabulary.begins_object(&call.method.to_string(), call.args.len());
                    }
                    _ => return false,
                }
                unwrapped = true;
            }
        })?;
        let Expr::Reference(reference) = peel(&args[position]) else {
            return None;
        };
        let value = self.expr(&reference.expr);
        let replacement: Expr = match value {
            Value::TransactionObject(_) => {
                self.bind(TEMPORARY_TRANSACTION, value, &*reference.expr);
                // Spanned as the argument was, for the labels.
                let span = reference.span();
                let name = syn::Ident::new(TEMPORARY_TRANSACTION, span);
                match reference.mutability {
                    Some(_) => syn::parse_quote_spanned!(span=> &mut #name),
                    None => syn::parse_quote_spanned!(span=> &#name),
                }
            }
            other => {
                self.settle(other);
                syn::parse_quote!(())
            }
        };
        let mut named = args.clone();
        named[position] = replacement;
        Some(named)
    }

    /// The end of the statement that began a transaction as an argument:
    /// it is dropped there.
    fn drop_temporary_transaction(&mut self, call: proc_macro2::Span) {
        if self.owned.contains_key(TEMPORARY_TRANSACTION) {
            let span = self.span(call);
            self.event(EventKind::Dropped, TEMPORARY_TRANSACTION, span);
        }
    }
}

/// Methods on a `Result` that change only its error (or panic on it): the
/// success value passes through.
pub(super) const RESULT_ADAPTERS: &[&str] = &[
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
pub(super) fn first_macro_argument(input: syn::parse::ParseStream) -> syn::Result<Expr> {
    let first: Expr = input.parse()?;
    let _: proc_macro2::TokenStream = input.parse()?;
    Ok(first)
}

/// The type whose methods a value of type `ty` offers: `Repo` of `Repo`,
/// `&Repo`, `Arc<Repo>` or `Box<Repo>`, and of the web frameworks'
/// extractors, which dereference to what they hold (actix's
/// `web::Data<Repo>`, axum's `State<Repo>` and `Extension<Repo>`), written
/// with its path (`slots::Slot`) when it has one; `None`
/// for a trait object, a tuple, or `Self` (whose methods are this file's).
pub(super) fn receiver_type_name(ty: &syn::Type) -> Option<String> {
    const LENDING: &[&str] = &["Arc", "Rc", "Box", "Data", "State", "Extension"];
    match ty {
        syn::Type::Reference(reference) => receiver_type_name(&reference.elem),
        syn::Type::Paren(inner) => receiver_type_name(&inner.elem),
        syn::Type::Group(inner) => receiver_type_name(&inner.elem),
        syn::Type::Path(path) if path.qself.is_none() => {
            let last = path.path.segments.last()?;
            let name = last.ident.to_string();
            if LENDING.contains(&name.as_str()) {
                return type_arguments(last).next().and_then(receiver_type_name);
            }
            if name == "Self" || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
                return None;
            }
            // `&slots::Slot`, with only the module imported: its methods
            // are found through the module's path.
            let path: Vec<String> = path
                .path
                .segments
                .iter()
                .map(|segment| segment.ident.to_string())
                .collect();
            Some(path.join("::"))
        }
        _ => None,
    }
}

/// A type as the names in it, with `&` for a reference
/// (`&mut Transaction<'_, Postgres>` as `&TransactionPostgres`): enough to
/// tell a database type and a borrow, without printing the type.
pub(super) fn type_text(ty: &syn::Type) -> String {
    let mut text = String::new();
    type_names(ty, &mut text);
    text
}

pub(super) fn type_names(ty: &syn::Type, text: &mut String) {
    // Each name a word of its own (`sqlx::PgPool`, `State<PgPool>`).
    let path_names = |path: &syn::Path, text: &mut String| {
        for segment in &path.segments {
            if !text.is_empty() && !text.ends_with('&') {
                text.push(' ');
            }
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
pub(super) fn names_database_type(text: &str) -> bool {
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
pub(super) fn opens_connection(expr: &Expr) -> bool {
    // Not `connection()`: a project's accessor, or its pool's checkout.
    let opens = |name: &str| {
        name.starts_with("open")
            || name == "connect"
            || name.starts_with("connect_")
            || name == "establish"
    };
    let value = result_value(expr);
    match value {
        Expr::MethodCall(call) => opens(&call.method.to_string()) && !of_pool_type(&call.receiver),
        Expr::Call(call) => {
            path_text(&call.func).is_some_and(|f| opens(f.rsplit("::").next().unwrap_or(&f)))
                && !of_pool_type(value)
        }
        _ => false,
    }
}

/// `PgPool::connect(url)`, `PgPoolOptions::new().max_connections(5)`: a
/// call of a pool type's function, which makes a pool, not a connection.
fn of_pool_type(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::MethodCall(call) => of_pool_type(&call.receiver),
        Expr::Call(call) => path_text(&call.func).is_some_and(|function| {
            function
                .rsplit("::")
                .nth(1)
                .is_some_and(|type_name| type_name.contains("Pool"))
        }),
        _ => false,
    }
}
