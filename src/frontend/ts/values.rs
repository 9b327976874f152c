//! What is assigned to a place, pools made here (`new Pool`,
//! `createPool`) and how long they live, and transaction statements run
//! through a handle.

use super::*;

impl<'a> Lowerer<'a> {
    /// Tell the engine what is known of the value just assigned to `place`,
    /// so that later tests of it (`if (!committed)`) follow the path.
    pub(super) fn assign(
        &mut self,
        place: &str,
        value: &Value,
        expr: Option<&Expr>,
        span: SwcSpan,
    ) {
        self.copies
            .retain(|copy, original| copy != place && original != place);
        let known = match (value, expr.map(unwrap)) {
            (Value::Acquired { .. }, _) => return,
            // Each branch of `c ? a : b` assigned what its arm is.
            (_, Some(Expr::Cond(_))) => return,
            // A transaction object is an object.
            (Value::Transaction { .. }, _) => Known::TRUTHY,
            (_, None) => Known::NULLISH,
            (_, Some(Expr::Ident(ident))) if self.caught_errors.contains(ident.sym.as_str()) => {
                Known::TRUTHY
            }
            (_, Some(expr)) => known_value(expr),
        };
        self.handle_event(EventKind::Assign(known), place, span_of(span));
    }

    /// `new Pool({..})`: record what its visible options say.
    /// Where a pool is made in this function, `new Pool(..)` or
    /// `mysql.createPool(..)`, and how long it lives.
    pub(super) fn pool_scope(&mut self) -> (Option<String>, PoolScope) {
        let assigned_to = self.assigned_to.take();
        // Kept in a local of a function: made again by every call, unless
        // the module's top level calls that function once. Returned or
        // stored outside, it may be made once.
        let scope = if self.module_scope || self.runs_once {
            PoolScope::Module
        } else if assigned_to
            .as_ref()
            .is_some_and(|place| !place.contains('.') && self.locals.contains(place))
        {
            PoolScope::PerCall
        } else {
            PoolScope::Shared
        };
        (assigned_to, scope)
    }

    /// `mysql.createPool(..)`: a new pool, whose options txlint does not
    /// judge (TX008 speaks of node-postgres's).
    pub(super) fn pool_creation(&mut self, span: Span) {
        let (name, scope) = self.pool_scope();
        self.builder.pool_construction(PoolConstruction {
            span,
            name,
            bounded_wait: None,
            error_listener: None,
            scope,
            closed: false,
            in_request_module: self.file.serves_requests && !self.file.starts_server,
        });
    }

    pub(super) fn pool_construction(
        &mut self,
        new: &NewExpr,
        name: Option<String>,
        scope: PoolScope,
    ) {
        let vocabulary = self.file.vocabulary;
        if !callee_name(&new.callee).is_some_and(|class| self.file.is_pool_class(class)) {
            return;
        }
        let options = new.args.as_ref().and_then(|args| args.first());
        let bounded_wait = match options.map(|o| unwrap(&o.expr)) {
            // No options: the driver's defaults, which wait forever.
            None => Some(false),
            Some(Expr::Object(object)) => {
                let mut spread = false;
                let mut bounded = false;
                for prop in &object.props {
                    match prop {
                        PropOrSpread::Spread(_) => spread = true,
                        PropOrSpread::Prop(prop) => {
                            let key = match &**prop {
                                Prop::KeyValue(kv) => prop_name(&kv.key),
                                Prop::Shorthand(ident) => ident.sym.to_string(),
                                _ => continue,
                            };
                            bounded |= vocabulary.is_pool_timeout_option(&key);
                        }
                    }
                }
                // Options spread from elsewhere may bound it: cannot tell.
                if bounded {
                    Some(true)
                } else if spread {
                    None
                } else {
                    Some(false)
                }
            }
            // Options from a call or a variable: cannot tell.
            Some(_) => None,
        };
        let error_listener = name.as_ref().map(|name| self.file.has_error_listener(name));
        self.builder.pool_construction(PoolConstruction {
            span: span_of(new.span),
            name,
            bounded_wait,
            error_listener,
            scope,
            closed: false,
            in_request_module: self.file.serves_requests && !self.file.starts_server,
        });
    }

    /// A driver API call that begins or ends a transaction on `place`. Its
    /// promise floats only for a place known to be a handle here:
    /// `tx.commit()` on just any object (an IndexedDB transaction) or
    /// MongoDB's `session.startTransaction()` (which returns nothing) says
    /// nothing. A promise that can reject is reported when it floats
    /// (`rejects`); one that never does is not.
    pub(super) fn api_statement(
        &mut self,
        place: &str,
        statement: TxStatement,
        span: Span,
        rejects: bool,
    ) {
        let known = self.parameters.contains(place)
            || self.acquired_via.contains_key(place)
            || self.begun_here.contains(place);
        let floating = self.floating_call;
        if !known {
            self.floating_call = None;
        }
        self.transaction_statements(place, &[statement], span, rejects);
        self.floating_call = floating;
    }

    /// A call that runs transaction statements on `place`. Starting one
    /// happens only if the call succeeds; ending one counts even if the call
    /// throws (the connection is no longer usable for it). Its promise
    /// dropped is reported when it can reject (`rejects`).
    pub(super) fn transaction_statements(
        &mut self,
        place: &str,
        statements: &[TxStatement],
        span: Span,
        rejects: bool,
    ) {
        if rejects && !statements.is_empty() && self.floating_call == Some(span) {
            self.handle_event(EventKind::Unawaited, place, span);
        }
        let begins = statements.last() == Some(&TxStatement::Begin);
        if !begins {
            for statement in statements {
                let kind = match statement {
                    TxStatement::Begin => EventKind::Begin,
                    // A statement of the script fails with its transaction
                    // open.
                    TxStatement::Work if self.floating_call != Some(span) => {
                        self.builder.may_throw(span);
                        continue;
                    }
                    TxStatement::Work => continue,
                    TxStatement::Commit => EventKind::Commit,
                    TxStatement::Rollback => EventKind::Rollback,
                };
                self.handle_event(kind, place, span);
            }
        }
        self.query_through(place, span);
        // A promise nobody awaits rejects later, out of this path: the call
        // itself returns (`connection.query(..)` then `release()`).
        if self.floating_call != Some(span) {
            self.builder.may_throw(span);
        }
        if begins {
            self.handle_event(EventKind::Begin, place, span);
        }
    }
}
