//! Small readings of syn's syntax: places, paths, patterns, literals and
//! attributes, shared by the rest of the Rust front end.

use super::*;

/// Single-segment paths named in a body.
pub(super) struct Names(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for Names {
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if let Some(ident) = path.path.get_ident() {
            self.0.push(ident.to_string());
        }
    }
}

/// Single-segment paths a body uses by value, which moves them into a
/// closure: not borrowed (`&tx`, `&mut *tx`), not the base of a field or
/// the receiver of a method (`tx.execute(..)` borrows it, as a method
/// taking `self` by value ends it).
pub(super) struct MovedNames(pub(super) Vec<String>);

impl<'ast> Visit<'ast> for MovedNames {
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        if let Some(ident) = path.path.get_ident() {
            self.0.push(ident.to_string());
        }
    }
    fn visit_expr_reference(&mut self, _: &'ast syn::ExprReference) {}
    fn visit_expr_field(&mut self, _: &'ast syn::ExprField) {}
    fn visit_expr_unary(&mut self, unary: &'ast syn::ExprUnary) {
        if !matches!(unary.op, syn::UnOp::Deref(_)) {
            syn::visit::visit_expr_unary(self, unary);
        }
    }
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if !matches!(peel(&call.receiver), Expr::Path(_)) {
            self.visit_expr(&call.receiver);
        }
        for arg in &call.args {
            self.visit_expr(arg);
        }
    }
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
}

/// Whether a call's path names a type's constructor: `Accessor::new`,
/// `Repo::from`, `Store::with_options`.
pub(super) fn constructs(path: &str) -> bool {
    let mut segments = path.rsplit("::");
    let function = segments.next().unwrap_or_default();
    let is_type = segments
        .next()
        .is_some_and(|owner| owner.starts_with(char::is_uppercase));
    is_type && (matches!(function, "new" | "from") || function.starts_with("with_"))
}

/// A syn span as file offsets (`base` is what was stripped before parsing).
pub(super) fn to_span(base: usize, span: SynSpan) -> Span {
    let range = span.byte_range();
    Span::new((base + range.start) as u32, (base + range.end) as u32)
}

/// Strip parentheses and invisible groups.
pub(super) fn peel(mut expr: &Expr) -> &Expr {
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
pub(super) fn place_of(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Path(path) if path.qself.is_none() => path.path.get_ident().map(|i| i.to_string()),
        // A named field, or a tuple struct's (`self.0` of `struct
        // Repo(PgPool)`).
        Expr::Field(field) => match &field.member {
            Member::Named(name) => Some(format!("{}.{name}", place_of(&field.base)?)),
            Member::Unnamed(index) => Some(format!("{}.{}", place_of(&field.base)?, index.index)),
        },
        Expr::Reference(reference) => place_of(&reference.expr),
        Expr::Unary(unary) if matches!(unary.op, syn::UnOp::Deref(_)) => place_of(&unary.expr),
        Expr::MethodCall(call)
            if call.args.is_empty()
                && matches!(
                    call.method.to_string().as_str(),
                    "as_ref" | "as_mut" | "deref" | "deref_mut"
                ) =>
        {
            place_of(&call.receiver)
        }
        _ => None,
    }
}

/// The methods called along a receiver chain (`client.build_transaction()
/// .isolation_level(..)` gives `["isolation_level", "build_transaction"]`).
pub(super) fn method_chain(expr: &Expr) -> Vec<String> {
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

/// The place a method chain starts from (`state.pool` of `state.pool
/// .begin().await?`); `None` for anything but a method call.
pub(super) fn chain_root(expr: &Expr) -> Option<String> {
    let mut current = peel(expr);
    let mut called = false;
    loop {
        current = match current {
            Expr::MethodCall(call) => {
                called = true;
                peel(&call.receiver)
            }
            Expr::Await(await_expr) => peel(&await_expr.base),
            Expr::Try(try_expr) => peel(&try_expr.expr),
            other => return called.then(|| place_of(other)).flatten(),
        };
    }
}

/// Macros that read their arguments and never move one away.
pub(super) const READING_MACROS: &[&str] = &[
    "format",
    "format_args",
    "print",
    "println",
    "eprint",
    "eprintln",
    "write",
    "writeln",
    "dbg",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "matches",
    "vec",
    "info",
    "warn",
    "debug",
    "trace",
    "error",
    "log",
    "event",
    "span",
    "info_span",
    "debug_span",
    "error_span",
    "trace_span",
    "warn_span",
];

/// Whether running `expr` may leave the enclosing function, loop or
/// closure body early: a `return`, `?`, `break`, `continue`, or a macro
/// other than a logging or formatting one (`bail!`, `panic!`, a project's
/// own). Closures and `async` blocks inside it leave only themselves.
pub(super) fn may_leave(expr: &Expr) -> bool {
    leaves_early(|leaves| leaves.visit_expr(expr))
}

/// `may_leave` of a block.
pub(super) fn block_may_leave(block: &syn::Block) -> bool {
    leaves_early(|leaves| leaves.visit_block(block))
}

/// Runs `visit` with a visitor that notes what leaves early (see `may_leave`).
fn leaves_early(visit: impl FnOnce(&mut dyn for<'ast> Visit<'ast>)) -> bool {
    struct Leaves(bool);
    impl<'ast> Visit<'ast> for Leaves {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            match expr {
                Expr::Return(_) | Expr::Try(_) | Expr::Break(_) | Expr::Continue(_) => {
                    self.0 = true;
                }
                Expr::Closure(_) | Expr::Async(_) => {}
                _ => syn::visit::visit_expr(self, expr),
            }
        }
        fn visit_macro(&mut self, mac: &'ast Macro) {
            // Logging and formatting stay; an assertion may panic.
            let name = macro_name(mac);
            self.0 |= !READING_MACROS.contains(&name.as_str()) || name.contains("assert");
        }
        fn visit_item(&mut self, _: &'ast syn::Item) {}
    }
    let mut leaves = Leaves(false);
    visit(&mut leaves);
    leaves.0
}

/// Whether `expr` evaluates to `()` by its shape: an `if` without `else`,
/// a macro statement's call, a block ending in a statement, or a `match`
/// whose arms all do.
pub(super) fn gives_no_value(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::If(branch) => branch.else_branch.is_none(),
        Expr::Macro(_) => true,
        Expr::Tuple(unit) => unit.elems.is_empty(),
        Expr::Block(block) => !matches!(block.block.stmts.last(), Some(Stmt::Expr(_, None))),
        Expr::Match(choice) => choice.arms.iter().all(|arm| gives_no_value(&arm.body)),
        _ => false,
    }
}

/// What a transaction bound by a `let` was begun on: the root of the
/// begin's chain (`state.db` of `state.db.begin().await?`), also when a
/// `match` unwraps it (`match pool.begin().await { Ok(tx) => tx, .. }`).
pub(super) fn begin_root(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Match(unwrapped) => chain_root(&unwrapped.expr),
        other => chain_root(other),
    }
}

pub(super) fn path_string(path: &syn::Path) -> String {
    path.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

/// Whether a function takes a parameter that a transaction can be lent
/// through (see `lendable_type`).
pub(super) fn takes_lendable(signature: &syn::Signature) -> bool {
    signature.inputs.iter().any(|input| match input {
        syn::FnArg::Typed(typed) => lendable_type(&typed.ty, signature),
        syn::FnArg::Receiver(_) => false,
    })
}

/// Whether a parameter is typed as a connection, transaction or executor
/// by name (`&mut PgConnection`, `&Transaction<'_>`, `DbConn`), also
/// through a generic's bounds (`db: &C` with `C: ConnectionTrait`).
pub(super) fn takes_database_handle(signature: &syn::Signature) -> bool {
    signature.inputs.iter().any(|input| match input {
        syn::FnArg::Typed(typed) => {
            names_handle_type(&type_text(&typed.ty).to_ascii_lowercase())
                || generic_bounds(&typed.ty, signature)
                    .any(|bound| names_handle_type(&bound.to_ascii_lowercase()))
        }
        syn::FnArg::Receiver(_) => false,
    })
}

/// The names of the traits bounding `ty` when it is one of the
/// signature's generic types (`C` of `<C: ConnectionTrait>` or `where C:
/// ConnectionTrait`), through references.
fn generic_bounds<'s>(
    ty: &syn::Type,
    signature: &'s syn::Signature,
) -> impl Iterator<Item = String> + 's {
    let mut ty = ty;
    while let syn::Type::Reference(reference) = ty {
        ty = &reference.elem;
    }
    let ident = match ty {
        syn::Type::Path(path) => path.path.get_ident().cloned(),
        _ => None,
    };
    let bounded = ident.clone();
    let inline = signature
        .generics
        .type_params()
        .filter(move |param| bounded.as_ref() == Some(&param.ident))
        .flat_map(|param| param.bounds.iter());
    let in_where = signature
        .generics
        .where_clause
        .iter()
        .flat_map(|clause| clause.predicates.iter())
        .filter_map(move |predicate| match predicate {
            syn::WherePredicate::Type(bounded)
                if matches!(&bounded.bounded_ty, syn::Type::Path(p)
                    if ident.as_ref().is_some_and(|ident| p.path.is_ident(ident))) =>
            {
                Some(bounded.bounds.iter())
            }
            _ => None,
        })
        .flatten();
    inline.chain(in_where).filter_map(|bound| match bound {
        syn::TypeParamBound::Trait(bound) => Some(bound.path.segments.last()?.ident.to_string()),
        _ => None,
    })
}

/// The names of the traits bounding a parameter's type: an `impl` or
/// `dyn` type's (`&mut (impl TourStore + Send)`), or a generic type's
/// (`S` of `S: TourStore`), through references and parentheses.
pub(super) fn trait_bounds<'s>(
    ty: &'s syn::Type,
    signature: &'s syn::Signature,
) -> Box<dyn Iterator<Item = String> + 's> {
    let mut ty = ty;
    loop {
        match ty {
            syn::Type::Reference(reference) => ty = &reference.elem,
            syn::Type::Paren(inner) => ty = &inner.elem,
            _ => break,
        }
    }
    let named = |bound: &syn::TypeParamBound| match bound {
        syn::TypeParamBound::Trait(bound) => Some(bound.path.segments.last()?.ident.to_string()),
        _ => None,
    };
    match ty {
        syn::Type::ImplTrait(bounds) => Box::new(bounds.bounds.iter().filter_map(named)),
        syn::Type::TraitObject(object) => Box::new(object.bounds.iter().filter_map(named)),
        syn::Type::Path(_) => Box::new(generic_bounds(ty, signature)),
        _ => Box::new(std::iter::empty()),
    }
}

/// Whether a parameter of this type is a callback the caller supplies
/// (`f: impl FnOnce(&mut Tx) -> R`, `f: &dyn Fn(..)`, or `f: F` with `F:
/// AsyncFnOnce(..)`): what it does is the caller's code, not this
/// function's.
pub(super) fn callback_type(ty: &syn::Type, signature: &syn::Signature) -> bool {
    fn callable_name(name: &str) -> bool {
        name.starts_with("Fn") || name.starts_with("AsyncFn")
    }
    fn callable<'b>(mut bounds: impl Iterator<Item = &'b syn::TypeParamBound>) -> bool {
        bounds.any(|bound| {
            matches!(bound, syn::TypeParamBound::Trait(bound)
            if bound.path.segments.last().is_some_and(|last| callable_name(&last.ident.to_string())))
        })
    }
    let mut ty = ty;
    while let syn::Type::Reference(reference) = ty {
        ty = &reference.elem;
    }
    match ty {
        syn::Type::ImplTrait(bounds) => callable(bounds.bounds.iter()),
        syn::Type::TraitObject(object) => callable(object.bounds.iter()),
        syn::Type::Path(_) => generic_bounds(ty, signature).any(|name| callable_name(&name)),
        _ => false,
    }
}

/// Whether a parameter of this type can carry a transaction: one typed as
/// a connection, transaction, client or executor (`&mut PgConnection`,
/// `&Transaction<'_>`), an `impl Trait`, or one of the function's generic
/// types (`E: Executor`), unless its bounds are all the standard library's
/// traits of plain values (`impl AsRef<str>`, `T: IntoIterator`).
pub(super) fn lendable_type(ty: &syn::Type, signature: &syn::Signature) -> bool {
    const DATABASE_TYPES: &[&str] = &["transaction", "conn", "executor", "client", "tx"];
    let mut ty = ty;
    while let syn::Type::Reference(reference) = ty {
        ty = &reference.elem;
    }
    let generic = match ty {
        syn::Type::Path(path) => path.path.get_ident().and_then(|ident| {
            signature
                .generics
                .type_params()
                .find(|param| param.ident == *ident)
        }),
        _ => None,
    };
    let text = type_text(ty).to_ascii_lowercase();
    match (ty, generic) {
        (syn::Type::ImplTrait(bounds), _) => !only_value_traits(&bounds.bounds),
        (_, Some(param)) => !only_value_traits(&param.bounds),
        _ => DATABASE_TYPES.iter().any(|word| text.contains(word)),
    }
}

/// Whether there are trait bounds and every one is the standard library's
/// for plain values, which no connection implements for a caller to lend
/// it. (A closure may capture one: `Fn` traits are not among them.)
fn only_value_traits(
    bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>,
) -> bool {
    const VALUE_TRAITS: &[&str] = &[
        "AsRef",
        "Borrow",
        "Into",
        "ToString",
        "Display",
        "Debug",
        "IntoIterator",
        "Iterator",
        "Clone",
        "Copy",
        "Hash",
        "Eq",
        "PartialEq",
        "Ord",
        "PartialOrd",
        "Serialize",
        "Send",
        "Sync",
    ];
    let mut traits = bounds.iter().filter_map(|bound| match bound {
        syn::TypeParamBound::Trait(bound) => Some(bound),
        _ => None,
    });
    traits.clone().next().is_some()
        && traits.all(|bound| {
            bound
                .path
                .segments
                .last()
                .is_some_and(|last| VALUE_TRAITS.contains(&last.ident.to_string().as_str()))
        })
}

/// Whether a signature returns a database transaction by value:
/// `Transaction<'_, Postgres>`, `rusqlite::Transaction<'c>`, sea-orm's
/// `DatabaseTransaction`, also inside a `Result` or `Option`. A type named
/// `Transaction` without a lifetime or a driver's path is more often a
/// record (a payment), one of another name is a project's own (a store's
/// lock guard), and a reference is a view of a transaction someone else
/// ends.
pub(super) fn returns_transaction(output: &syn::ReturnType) -> bool {
    matches!(output, syn::ReturnType::Type(_, ty) if transaction_type(ty))
}

/// The crates of the SQL drivers whose transactions txlint follows.
const DRIVER_CRATES: &[&str] = &[
    "sqlx",
    "rusqlite",
    "tokio_postgres",
    "postgres",
    "diesel",
    "sea_orm",
];

/// Whether `ty` is a driver's transaction (see `returns_transaction`),
/// also inside a `Result` or `Option`.
fn transaction_type(ty: &syn::Type) -> bool {
    const NAMES: &[&str] = &[
        "Transaction",
        "PgTransaction",
        "SqliteTransaction",
        "MySqlTransaction",
    ];
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let Some(last) = path.path.segments.last() else {
        return false;
    };
    let name = last.ident.to_string();
    if matches!(name.as_str(), "Result" | "Option") {
        return type_arguments(last).next().is_some_and(transaction_type);
    }
    let arguments: Vec<&syn::GenericArgument> = match &last.arguments {
        syn::PathArguments::AngleBracketed(arguments) => arguments.args.iter().collect(),
        _ => Vec::new(),
    };
    let from_driver = path
        .path
        .segments
        .first()
        .is_some_and(|first| DRIVER_CRATES.iter().any(|driver| first.ident == driver));
    let borrows_connection = arguments
        .iter()
        .any(|argument| matches!(argument, syn::GenericArgument::Lifetime(_)));
    NAMES.contains(&name.as_str()) && (from_driver || borrows_connection)
        || name == "DatabaseTransaction"
}

/// The type arguments of a path's segment: `T` and `E` of `Result<T, E>`.
pub(super) fn type_arguments(segment: &syn::PathSegment) -> impl Iterator<Item = &syn::Type> {
    let arguments = match &segment.arguments {
        syn::PathArguments::AngleBracketed(arguments) => Some(arguments.args.iter()),
        _ => None,
    };
    arguments
        .into_iter()
        .flatten()
        .filter_map(|argument| match argument {
            syn::GenericArgument::Type(ty) => Some(ty),
            _ => None,
        })
}

/// Whether a struct field of type `ty` holds a driver's transaction, also
/// behind a pointer, lock or `Option` (`tx: Arc<DatabaseTransaction>`,
/// `inner: Option<Transaction<'static, Postgres>>`).
pub(super) fn holds_transaction(ty: &syn::Type) -> bool {
    const HOLDERS: &[&str] = &["Arc", "Rc", "Box", "Mutex", "RwLock", "RefCell", "Option"];
    if let syn::Type::Path(path) = ty
        && let Some(last) = path.path.segments.last()
        && HOLDERS.iter().any(|holder| last.ident == holder)
    {
        return type_arguments(last).any(holds_transaction);
    }
    sql_transaction_type(ty)
}

/// `transaction_type`, written as a SQL driver's: unqualified
/// (`Transaction<'static, Postgres>`, brought in by a `use`) or under a
/// driver's path, not another crate's (`mdbx::Transaction<'env, RW>`) nor
/// an associated type (`<C::Tx as Transaction>::Transaction<'a>`, often a
/// reference).
fn sql_transaction_type(ty: &syn::Type) -> bool {
    let syn::Type::Path(path) = ty else {
        return false;
    };
    let segments = &path.path.segments;
    path.qself.is_none()
        && (segments.len() == 1
            || segments
                .first()
                .is_some_and(|first| DRIVER_CRATES.iter().any(|driver| first.ident == driver)))
        && transaction_type(ty)
}

/// The name of the type a signature returns, through `Result` (or a
/// project's alias of it) and `Option`: `TxStore` of `-> Result<TxStore,
/// DbErr>`, `Connection` of `-> StoreResult<Connection>`.
pub(super) fn returned_type_name(output: &syn::ReturnType) -> Option<String> {
    fn named(ty: &syn::Type) -> Option<String> {
        let syn::Type::Path(path) = ty else {
            return None;
        };
        let last = path.path.segments.last()?;
        // `Result<T, E>`, also a project's alias (`DbResult<T>`).
        let name = last.ident.to_string();
        if name.ends_with("Result") || name == "Option" {
            return type_arguments(last).next().and_then(named);
        }
        Some(name)
    }
    match output {
        syn::ReturnType::Type(_, ty) => named(ty),
        syn::ReturnType::Default => None,
    }
}

/// Whether a parameter of type `ty` takes a driver's transaction by value
/// (`mut tx: Transaction<'static, Postgres>`): the function owns it, and
/// dropping it rolls it back.
pub(super) fn owned_transaction_type(ty: &syn::Type) -> bool {
    matches!(ty, syn::Type::Path(path)
        if path.path.segments.last().is_some_and(|last| last.ident != "Result" && last.ident != "Option"))
        && sql_transaction_type(ty)
}

/// The collection a `for` loop walks, by place: `&mut conns`,
/// `conns.iter_mut()`, `conns` itself.
pub(super) fn iterated_place(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Reference(reference) => place_of(&reference.expr),
        Expr::MethodCall(call)
            if call.args.is_empty()
                && matches!(
                    call.method.to_string().as_str(),
                    "iter" | "iter_mut" | "into_iter"
                ) =>
        {
            place_of(&call.receiver)
        }
        other => place_of(other),
    }
}

/// `drop`, `sqlx::query`, `Transaction::new`: a called path as text.
pub(super) fn path_text(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Path(path) if path.qself.is_none() => Some(path_string(&path.path)),
        _ => None,
    }
}

pub(super) fn macro_name(mac: &Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

/// `Err(..)` (also `Err(..)?`-free forms like `Err(e.into())`).
pub(super) fn is_err_constructor(expr: &Expr) -> bool {
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

/// `Ok(..)`.
pub(super) fn is_ok_constructor(expr: &Expr) -> bool {
    matches!(peel(expr), Expr::Call(call)
        if path_text(&call.func).is_some_and(|f| f == "Ok" || f.ends_with("::Ok")))
}

/// `Ok(ApiResponse::with_status(StatusCode::BAD_REQUEST))`,
/// `Ok(HttpResponse::NotFound().finish())`, `Ok(Error::redirect(..))`,
/// `Ok(Err(Rejection::NotMember))`, `Ok(bad_request())`, or
/// a response returned bare (`(StatusCode::CONFLICT, ..).into_response()`):
/// a handler's success value that answers with an error. Returning it is
/// giving up on the request, as `Err(..)` is; a transaction dropped there
/// is meant to roll back.
pub(super) fn answers_http_error(expr: &Expr) -> bool {
    /// `StatusCode` constants (http, axum, actix) of 4xx and 5xx.
    const ERROR_STATUSES: &[&str] = &[
        "BAD_REQUEST",
        "UNAUTHORIZED",
        "PAYMENT_REQUIRED",
        "FORBIDDEN",
        "NOT_FOUND",
        "METHOD_NOT_ALLOWED",
        "NOT_ACCEPTABLE",
        "REQUEST_TIMEOUT",
        "CONFLICT",
        "GONE",
        "PRECONDITION_FAILED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "UNPROCESSABLE_ENTITY",
        "LOCKED",
        "PRECONDITION_REQUIRED",
        "TOO_MANY_REQUESTS",
        "INTERNAL_SERVER_ERROR",
        "NOT_IMPLEMENTED",
        "BAD_GATEWAY",
        "SERVICE_UNAVAILABLE",
        "GATEWAY_TIMEOUT",
    ];
    /// actix-web's `HttpResponse` builders of the same statuses.
    const ERROR_BUILDERS: &[&str] = &[
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "MethodNotAllowed",
        "Conflict",
        "Gone",
        "PreconditionFailed",
        "UnprocessableEntity",
        "TooManyRequests",
        "InternalServerError",
        "NotImplemented",
        "BadGateway",
        "ServiceUnavailable",
        "GatewayTimeout",
    ];
    /// Variants that name a failed outcome, also one refused because the
    /// request conflicts with what is stored (an idempotency key reused
    /// with other content), in any case: `Conflict`, `CONFLICT`,
    /// `ALREADY_EXISTS`.
    const FAILURE_VARIANTS: &[&str] = &[
        "failure",
        "failed",
        "rejected",
        "refused",
        "denied",
        "conflict",
        "alreadyexists",
    ];
    fn names_failure(name: &str) -> bool {
        FAILURE_VARIANTS.contains(&folded(name).as_str())
    }
    /// Whether an error status was found; with `statuses_only`, only the
    /// statuses count, not the project's names for failure.
    struct Statuses {
        found: bool,
        statuses_only: bool,
    }
    impl<'ast> Visit<'ast> for Statuses {
        fn visit_path(&mut self, path: &'ast syn::Path) {
            let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            if let [.., owner, name] = names.as_slice() {
                self.found |= (owner == "StatusCode" && ERROR_STATUSES.contains(&name.as_str()))
                    || (owner == "HttpResponse" && ERROR_BUILDERS.contains(&name.as_str()))
                    // The project's error type made into the answer
                    // (`Ok(Error::redirect(500, ..))`, `Ok(AppError::page(..))`),
                    // or a body that says the request failed (`Ok(Json(Reply {
                    // status: Outcome::Failure, .. }))`).
                    || (!self.statuses_only && (owner.ends_with("Error") || names_failure(name)));
            }
            syn::visit::visit_path(self, path);
        }
        /// A function named for an error status builds its response
        /// (`bad_request()`, `not_found(msg)`).
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            if let Expr::Path(path) = peel(&call.func)
                && let Some(last) = path.path.segments.last()
            {
                let name = folded(&last.ident.to_string());
                self.found |= ERROR_STATUSES.iter().any(|status| folded(status) == name);
            }
            syn::visit::visit_expr_call(self, call);
        }
        // A status chosen by a branch (`Ok(match .. { Ok(v) => ..OK..,
        // Err(e) => ..BAD_REQUEST.. })`) does not say how this exit answers.
        fn visit_expr_match(&mut self, _: &'ast syn::ExprMatch) {}
        fn visit_expr_if(&mut self, _: &'ast syn::ExprIf) {}
        fn visit_expr_block(&mut self, _: &'ast syn::ExprBlock) {}
        fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    }
    let mut statuses = Statuses {
        found: false,
        statuses_only: false,
    };
    match peel(expr) {
        // A nested result's error (`Ok(Err(Rejection::NotMember))`): the
        // operation was refused.
        Expr::Call(call) if is_ok_constructor(expr) && call.args.iter().any(is_err_constructor) => {
            return true;
        }
        // An error handed back inside the success value
        // (`Ok(ControlFlow::Continue(error))`, a retry loop's "try again").
        Expr::Call(call) if is_ok_constructor(expr) && call.args.iter().any(carries_error) => {
            return true;
        }
        Expr::Call(call) if is_ok_constructor(expr) => {
            for arg in &call.args {
                statuses.visit_expr(arg);
            }
        }
        // A handler that returns its response itself:
        // `(StatusCode::NOT_FOUND, Json(..)).into_response()`.
        other => {
            statuses.statuses_only = true;
            statuses.visit_expr(other);
        }
    }
    statuses.found
}

/// `error`, or a variant or call wrapping it (`ControlFlow::Continue(err)`):
/// a value named as an error (`e`, `err`, `error`, `db_error`).
fn carries_error(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::Path(path) => path.path.get_ident().is_some_and(|name| {
            let name = name.to_string();
            matches!(name.as_str(), "e" | "err" | "error")
                || name.ends_with("_err")
                || name.ends_with("_error")
        }),
        Expr::Call(call) => call.args.iter().any(carries_error),
        _ => false,
    }
}

/// Whether a pattern matches an outcome named for work found done
/// already (`Outcome::Existed(doc)`, `Stored::AlreadyThere { id }`,
/// `Sync::UNCHANGED`), in any case: a call that answers so wrote nothing.
pub(super) fn names_existing(pat: &Pat) -> bool {
    const EXISTING: &[&str] = &[
        "existed",
        "exists",
        "alreadyexists",
        "alreadyexisted",
        "alreadythere",
        "alreadypresent",
        "alreadystored",
        "duplicate",
        "unchanged",
        "notmodified",
        "uptodate",
    ];
    let path = match pat {
        Pat::TupleStruct(tuple) => &tuple.path,
        Pat::Struct(strukt) => &strukt.path,
        Pat::Path(path) => &path.path,
        Pat::Or(or) => return or.cases.iter().all(names_existing),
        // Not a plain name: `Ok(exists) => ..` binds a flag.
        _ => return false,
    };
    path.segments
        .last()
        .is_some_and(|last| EXISTING.contains(&folded(&last.ident.to_string()).as_str()))
}

/// A name in lowercase without underscores: `ALREADY_EXISTS` and
/// `AlreadyExists` alike.
pub(super) fn folded(name: &str) -> String {
    name.chars()
        .filter(|&c| c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Whether a pattern is `Err(..)` (then `Some(true)`), `Ok(..)`/`Some(..)`
/// (then `Some(false)`), or anything else.
pub(super) fn matches_err(pat: &Pat) -> Option<bool> {
    let Pat::TupleStruct(tuple) = pat else {
        return None;
    };
    match tuple.path.segments.last()?.ident.to_string().as_str() {
        "Err" => Some(true),
        "Ok" | "Some" => Some(false),
        _ => None,
    }
}

/// `Ok(_)`, `Ok(done)`: a pattern every success matches, so that only an
/// `Err` misses it.
pub(super) fn any_success(pat: &Pat) -> bool {
    matches_whole(pat, "Ok")
}

/// `Err(_)`, `Err(err)`: a pattern every error matches, whatever failed (a
/// database error among them), unlike `Err(StockError::OutOfStock)`.
pub(super) fn any_error(pat: &Pat) -> bool {
    matches_whole(pat, "Err")
}

/// `Variant(_)`, `Variant(name)` or `Variant(())`.
fn matches_whole(pat: &Pat, variant: &str) -> bool {
    let Pat::TupleStruct(tuple) = pat else {
        return false;
    };
    tuple
        .path
        .segments
        .last()
        .is_some_and(|s| s.ident == variant)
        && tuple.elems.len() == 1
        && match &tuple.elems[0] {
            Pat::Wild(_) => true,
            Pat::Ident(ident) => ident.subpat.is_none(),
            Pat::Tuple(unit) => unit.elems.is_empty(),
            _ => false,
        }
}

/// A match arm's pattern without its guard.
pub(super) fn unguarded(pat: &Pat) -> &Pat {
    match pat {
        Pat::Guard(guarded) => &guarded.pat,
        other => other,
    }
}

/// The one variable bound inside `Ok(x)` / `Some(x)`.
pub(super) fn success_binding(pat: &Pat) -> Option<String> {
    let Pat::TupleStruct(tuple) = pat else {
        return None;
    };
    if matches_err(pat) != Some(false) || tuple.elems.len() != 1 {
        return None;
    }
    binding_name(tuple.elems.first()?)
}

/// The variable a `let` pattern binds, when it binds exactly one.
pub(super) fn binding_name(pat: &Pat) -> Option<String> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() => Some(ident.ident.to_string()),
        Pat::Type(typed) => binding_name(&typed.pat),
        _ => None,
    }
}

/// `State(db)`, `Data(pool)`: the one name a handler's extractor pattern
/// binds, whose type is the extractor's (`State<DatabaseConnection>`).
pub(super) fn extracted_binding(pat: &Pat) -> Option<String> {
    match pat {
        Pat::TupleStruct(tuple) if tuple.elems.len() == 1 => binding_name(&tuple.elems[0]),
        _ => None,
    }
}

/// The `true` or `false` an expression evaluates to when it is written as
/// one: a literal, or a block that ends in one (`{ begin()?; true }`).
pub(super) fn bool_value(expr: &Expr) -> Option<bool> {
    match peel(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Bool(value) => Some(value.value),
            _ => None,
        },
        Expr::Block(block) if block.label.is_none() => block_bool_value(&block.block),
        _ => None,
    }
}

pub(super) fn block_bool_value(block: &Block) -> Option<bool> {
    match block.stmts.last() {
        Some(Stmt::Expr(tail, None)) => bool_value(tail),
        _ => None,
    }
}

/// Whether `expr` is a `true` or `false`, or an `if` or `match` with a
/// branch that ends in one.
pub(super) fn gives_bool_literal(expr: &Expr) -> bool {
    match peel(expr) {
        Expr::If(if_expr) => {
            block_bool_value(&if_expr.then_branch).is_some()
                || if_expr
                    .else_branch
                    .as_ref()
                    .is_some_and(|(_, other)| gives_bool_literal(other))
        }
        Expr::Match(match_expr) => match_expr
            .arms
            .iter()
            .any(|arm| bool_value(&arm.body).is_some()),
        other => bool_value(other).is_some(),
    }
}

pub(super) fn string_literal(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::Lit(lit) => match &lit.lit {
            Lit::Str(text) => Some(text.value()),
            _ => None,
        },
        Expr::Reference(reference) => string_literal(&reference.expr),
        _ => None,
    }
}

/// `#[test]`, `#[tokio::test]`, `#[sqlx::test(..)]`, `#[rstest]`, a test
/// suite's own `#[driver_test(..)]` or `#[wasm_bindgen_test]`, and
/// `#[cfg(test)]` (not `#[cfg(not(test))]`).
pub(super) fn is_test_attribute(attribute: &syn::Attribute) -> bool {
    let path = attribute.path();
    let last = path.segments.last().map(|s| s.ident.to_string());
    // rstest's cases and rstest_reuse's `#[apply(template)]` are tests.
    if matches!(last.as_deref(), Some("test" | "rstest" | "apply"))
        || last.as_deref().is_some_and(|name| name.ends_with("_test"))
    {
        return true;
    }
    path.is_ident("cfg")
        && attribute
            .parse_args::<syn::Ident>()
            .is_ok_and(|ident| ident == "test")
}

/// `tx.commit().await?;` (`tx.commit()?;` outside an `async fn`): the
/// statement that commits the transaction object held by `place`, built
/// from syntax, for a fix.
pub(super) fn commit_statement(place: &str, awaits: bool) -> Option<String> {
    let place: Expr = syn::parse_str(place).ok()?;
    let statement = match awaits {
        true => quote::quote!(#place.commit().await?;),
        false => quote::quote!(#place.commit()?;),
    };
    Some(compact(statement))
}

/// Tokens as code is written: a space only between two words.
fn compact(tokens: proc_macro2::TokenStream) -> String {
    use proc_macro2::{Delimiter, TokenTree};
    let mut text = String::new();
    let mut after_word = false;
    for token in tokens {
        match token {
            TokenTree::Ident(_) | TokenTree::Literal(_) => {
                if after_word {
                    text.push(' ');
                }
                text.push_str(&token.to_string());
                after_word = true;
            }
            TokenTree::Punct(punct) => {
                text.push(punct.as_char());
                after_word = false;
            }
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{", "}"),
                    Delimiter::None => ("", ""),
                };
                text.push_str(open);
                text.push_str(&compact(group.stream()));
                text.push_str(close);
                after_word = false;
            }
        }
    }
    text
}

/// Whether a signature returns an opaque type (`impl ConnectionTrait`),
/// also inside a `Result` or `Option`: its body says what it is.
pub(super) fn returns_opaque(output: &syn::ReturnType) -> bool {
    fn opaque(ty: &syn::Type) -> bool {
        match ty {
            syn::Type::ImplTrait(_) => true,
            syn::Type::Path(path) => path.path.segments.last().is_some_and(|last| {
                (last.ident == "Result" || last.ident == "Option")
                    && type_arguments(last).any(opaque)
            }),
            _ => false,
        }
    }
    matches!(output, syn::ReturnType::Type(_, ty) if opaque(ty))
}

/// What a function's body returns, read through `Ok(..)`, `?`, `.await`
/// and one local: a method's result (`db.begin()`, which may begin a
/// transaction) or a function's (`Self::open_tx(db)`, which may return
/// one).
pub(super) enum OpaqueReturn {
    Method { name: String, arguments: usize },
    Function(String),
}

/// The body's tail as an `OpaqueReturn`; `None` when it returns anything
/// else.
pub(super) fn opaque_return(body: &Block) -> Option<OpaqueReturn> {
    let Some(Stmt::Expr(tail, None)) = body.stmts.last() else {
        return None;
    };
    let mut value = unwrapped(tail);
    if let Expr::Path(path) = value
        && let Some(local) = path.path.get_ident()
    {
        value = body.stmts.iter().rev().find_map(|stmt| match stmt {
            Stmt::Local(local_stmt) => match (&local_stmt.pat, &local_stmt.init) {
                (Pat::Ident(binding), Some(init)) if binding.ident == *local => {
                    Some(unwrapped(&init.expr))
                }
                _ => None,
            },
            _ => None,
        })?;
    }
    match value {
        Expr::MethodCall(call) => Some(OpaqueReturn::Method {
            name: call.method.to_string(),
            arguments: call.args.len(),
        }),
        Expr::Call(call) => {
            let function = path_text(&call.func)?;
            let name = function.rsplit("::").next().unwrap_or(&function);
            Some(OpaqueReturn::Function(name.to_string()))
        }
        _ => None,
    }
}

/// An expression without `?`, `.await` and error adapters (`.map_err(..)`)
/// around it: the success value it gives.
pub(super) fn result_value(mut expr: &Expr) -> &Expr {
    loop {
        expr = match peel(expr) {
            Expr::MethodCall(call)
                if RESULT_ADAPTERS.contains(&call.method.to_string().as_str()) =>
            {
                &call.receiver
            }
            Expr::Try(inner) => &inner.expr,
            Expr::Await(inner) => &inner.base,
            other => return other,
        };
    }
}

/// `result_value`, also without `Ok(..)` around it.
fn unwrapped(mut expr: &Expr) -> &Expr {
    loop {
        let value = result_value(expr);
        expr = match value {
            Expr::Call(call) if call.args.len() == 1 && is_ok_constructor(value) => &call.args[0],
            other => return other,
        };
    }
}

/// Every variable a pattern binds (`(owner, db)`, `Opened { db, .. }`).
pub(super) fn pattern_names(pat: &Pat) -> Vec<String> {
    struct Bound(Vec<String>);
    impl<'ast> Visit<'ast> for Bound {
        fn visit_pat_ident(&mut self, ident: &'ast syn::PatIdent) {
            self.0.push(ident.ident.to_string());
            syn::visit::visit_pat_ident(self, ident);
        }
    }
    let mut bound = Bound(Vec::new());
    bound.visit_pat(pat);
    bound.0
}

/// Whether a function opens a connection of its own and returns it: its
/// signature returns a driver's connection by value (`-> Result<Connection,
/// E>`, `-> Client`), and its body opens one (`Connection::open(..)`,
/// `Client::connect(..)`). Its caller owns what it gets, and dropping that
/// closes it, whatever the function is called (`get_connection()`).
pub(super) fn opens_and_returns_connection(signature: &syn::Signature, body: &Block) -> bool {
    const CONNECTIONS: &[&str] = &[
        "Connection",
        "Client",
        "PgConnection",
        "SqliteConnection",
        "MySqlConnection",
    ];
    struct Opens(bool);
    impl<'ast> Visit<'ast> for Opens {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            if self.0 {
                return;
            }
            if matches!(expr, Expr::Call(_) | Expr::MethodCall(_)) && opens_connection(expr) {
                self.0 = true;
                return;
            }
            syn::visit::visit_expr(self, expr);
        }
    }
    let returns = returned_type_name(&signature.output)
        .is_some_and(|name| CONNECTIONS.contains(&name.as_str()));
    returns && {
        let mut opens = Opens(false);
        opens.visit_block(body);
        opens.0
    }
}

/// The write result a row count is read from: `res` of sqlx's
/// `res.rows_affected()` and of sea-orm's `res.rows_affected`.
pub(super) fn counted_rows(expr: &Expr) -> Option<&Expr> {
    match peel(expr) {
        Expr::MethodCall(call) if call.method == "rows_affected" && call.args.is_empty() => {
            Some(&call.receiver)
        }
        Expr::Field(field) if matches!(&field.member, Member::Named(name) if name == "rows_affected") => {
            Some(&field.base)
        }
        _ => None,
    }
}

/// The body of a closure called where it is written (`(|| { .. })()`,
/// `(move || { .. })()`) or of an `async` block awaited there: a `?`, a
/// `return` and an error macro (`bail!`) leave only the body.
pub(super) fn run_at_once(expr: &Expr) -> Option<&Block> {
    let body = match peel(expr) {
        Expr::Call(call) if call.args.is_empty() => match peel(&call.func) {
            Expr::Closure(closure) if closure.inputs.is_empty() => match peel(&closure.body) {
                Expr::Block(block) if block.label.is_none() => &block.block,
                _ => return None,
            },
            _ => return None,
        },
        Expr::Await(awaited) => match peel(&awaited.base) {
            Expr::Async(block) => &block.block,
            _ => return None,
        },
        _ => return None,
    };
    Some(body)
}

/// `let run = || { .. };` whose only use is a call at the head of the
/// next statement (`match run() { .. }`, `let n = run()?;`, `if let Err(e)
/// = run() { .. }`): the closure runs there, before anything else that
/// statement does, so it runs as if called where it is bound. The index of
/// each such `let`, its name and the closure's body.
pub(super) fn closures_run_next(stmts: &[Stmt]) -> Vec<(usize, String, &Block)> {
    let mut found = Vec::new();
    for (index, pair) in stmts.windows(2).enumerate() {
        let Stmt::Local(local) = &pair[0] else {
            continue;
        };
        let Some(init) = local.init.as_ref().filter(|init| init.diverge.is_none()) else {
            continue;
        };
        let Expr::Closure(closure) = peel(&init.expr) else {
            continue;
        };
        let Expr::Block(body) = peel(&closure.body) else {
            continue;
        };
        if !closure.inputs.is_empty() || closure.asyncness.is_some() || body.label.is_some() {
            continue;
        }
        let Some(name) = binding_name(&local.pat) else {
            continue;
        };
        let mut next = pair[1].clone();
        let called_at_head = head_call(&mut next, &name).is_some();
        let mut names = Names(Vec::new());
        for stmt in &stmts[index + 1..] {
            names.visit_stmt(stmt);
        }
        let uses = names.0.iter().filter(|used| **used == name).count();
        if called_at_head && uses == 1 {
            found.push((index, name, &body.block));
        }
    }
    found
}

/// `stmts` with each closure of `closures_run_next` called where it is
/// bound (`let run = (|| { .. })();`) and its call in the next statement
/// read as its result (`match run { .. }`), so that the body runs in place
/// (see `run_at_once`); `let n = run();` becomes `let n = (|| { .. })();`.
/// `None` when there is none.
pub(super) fn with_closures_run_where_bound(stmts: &[Stmt]) -> Option<Vec<Stmt>> {
    let found = closures_run_next(stmts);
    if found.is_empty() {
        return None;
    }
    let mut rewritten = stmts.to_vec();
    let mut unneeded = Vec::new();
    for (index, name, _) in found {
        let Stmt::Local(local) = &rewritten[index] else {
            continue;
        };
        let Some(closure) = local.init.as_ref().map(|init| (*init.expr).clone()) else {
            continue;
        };
        let span = closure.span();
        let called = Expr::Call(syn::ExprCall {
            attrs: Vec::new(),
            func: Box::new(Expr::Paren(syn::ExprParen {
                attrs: Vec::new(),
                paren_token: syn::token::Paren(span),
                expr: Box::new(closure),
            })),
            paren_token: syn::token::Paren(span),
            args: Default::default(),
        });
        let next = &mut rewritten[index + 1];
        let result_bound = matches!(next, Stmt::Local(local)
            if local.init.as_ref().is_some_and(|init| init.diverge.is_none()
                && matches!(peel(&init.expr), Expr::Call(_))));
        let Some(call) = head_call(next, &name) else {
            continue;
        };
        if result_bound {
            *call = called;
            unneeded.push(index);
            continue;
        }
        let ident = syn::Ident::new(&name, call.span());
        *call = Expr::Path(syn::ExprPath {
            attrs: Vec::new(),
            qself: None,
            path: ident.into(),
        });
        if let Stmt::Local(local) = &mut rewritten[index]
            && let Some(init) = &mut local.init
        {
            *init.expr = called;
        }
    }
    for index in unneeded.into_iter().rev() {
        rewritten.remove(index);
    }
    Some(rewritten)
}

/// The call `name()` that `stmt` evaluates first, if it is one: the
/// scrutinee of a `match` or `if let`, a `let`'s value or the statement
/// itself, through the `?`s, `.await`s and method calls applied to it.
fn head_call<'s>(stmt: &'s mut Stmt, name: &str) -> Option<&'s mut Expr> {
    let mut expr = match stmt {
        Stmt::Local(local) => &mut *local.init.as_mut()?.expr,
        Stmt::Expr(expr, _) => expr,
        _ => return None,
    };
    loop {
        expr = match expr {
            Expr::Match(inner) => &mut *inner.expr,
            Expr::If(inner) => &mut *inner.cond,
            Expr::Let(inner) => &mut *inner.expr,
            Expr::Return(inner) => inner.expr.as_deref_mut()?,
            Expr::Try(inner) => &mut *inner.expr,
            Expr::MethodCall(inner) => &mut *inner.receiver,
            Expr::Paren(inner) => &mut *inner.expr,
            Expr::Call(call)
                if call.args.is_empty()
                    && matches!(peel(&call.func), Expr::Path(path) if path.path.is_ident(name)) =>
            {
                return Some(expr);
            }
            _ => return None,
        };
    }
}

/// `first.and_then(|_| next).and_then(|_| last)`: what runs, in order,
/// each only when the one before it succeeded (`first`, then each
/// closure's body), when no closure leaves it early.
pub(super) fn and_then_links(expr: &Expr) -> Option<Vec<&Expr>> {
    let mut bodies = Vec::new();
    let mut current = peel(expr);
    // A link that is not such a closure (`.and_then(parse)`) is where the
    // chain starts.
    while let Expr::MethodCall(call) = current
        && call.method == "and_then"
        && let [argument] = call.args.iter().collect::<Vec<_>>()[..]
        && let Expr::Closure(closure) = peel(argument)
        && closure.inputs.len() <= 1
        && closure.asyncness.is_none()
        && !matches!(peel(&closure.body), Expr::Async(_))
    {
        let mut exits = EarlyExits::default();
        exits.visit_expr(&closure.body);
        if exits.returns || exits.error_macros {
            break;
        }
        bodies.push(&*closure.body);
        current = peel(&call.receiver);
    }
    if bodies.is_empty() {
        return None;
    }
    bodies.push(current);
    bodies.reverse();
    Some(bodies)
}

/// `tried.inspect_err(|e| ..).context("..").map_err(|e| ..)`: what is
/// tried, and the bodies of the closures that run on its error, in order,
/// when there are some and nothing in them leaves them early.
pub(super) fn error_handlers(expr: &Expr) -> Option<(&Expr, Vec<&Expr>)> {
    let mut handlers = Vec::new();
    let mut tried = peel(expr);
    while let Expr::MethodCall(call) = tried {
        let method = call.method.to_string();
        match method.as_str() {
            "map_err" | "inspect_err" => {
                let [argument] = call.args.iter().collect::<Vec<_>>()[..] else {
                    return None;
                };
                let Expr::Closure(closure) = peel(argument) else {
                    return None;
                };
                let mut exits = EarlyExits::default();
                exits.visit_expr(&closure.body);
                if closure.asyncness.is_some()
                    || exits.returns
                    || exits.question_mark
                    || exits.error_macros
                {
                    return None;
                }
                handlers.push(&*closure.body);
            }
            // Adapters that only describe the error.
            "context" | "with_context" | "wrap_err" | "wrap_err_with" | "into_diagnostic" => {}
            _ => break,
        }
        tried = peel(&call.receiver);
    }
    handlers.reverse();
    (!handlers.is_empty()).then_some((tried, handlers))
}

/// How a body can leave early, not counting the closures, `async` blocks
/// and items written inside it, which leave themselves.
#[derive(Default)]
pub(super) struct EarlyExits {
    /// A `?`.
    pub question_mark: bool,
    /// A `return`.
    pub returns: bool,
    /// An `Err(..)` made (not matched: `Err(e) => ..` handles one), also
    /// inside a macro's arguments.
    pub error_values: bool,
    /// A macro that returns an error: `bail!`, `ensure!`.
    pub error_macros: bool,
}

impl<'ast> Visit<'ast> for EarlyExits {
    fn visit_expr_closure(&mut self, _: &'ast syn::ExprClosure) {}
    fn visit_expr_async(&mut self, _: &'ast syn::ExprAsync) {}
    fn visit_item(&mut self, _: &'ast syn::Item) {}
    fn visit_expr_try(&mut self, try_expr: &'ast syn::ExprTry) {
        self.question_mark = true;
        syn::visit::visit_expr_try(self, try_expr);
    }
    fn visit_expr_return(&mut self, ret: &'ast syn::ExprReturn) {
        self.returns = true;
        syn::visit::visit_expr_return(self, ret);
    }
    fn visit_expr_path(&mut self, path: &'ast syn::ExprPath) {
        self.error_values |= path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Err");
    }
    fn visit_macro(&mut self, mac: &'ast Macro) {
        self.error_macros |= matches!(macro_name(mac).as_str(), "bail" | "ensure");
        self.error_values |= mac.tokens.to_string().contains("Err");
    }
}

/// The place a `let` copies: `pool`, `&pool`, `state.pool.clone()`,
/// `Arc::clone(&pool)`.
pub(super) fn copied_place(expr: &Expr) -> Option<String> {
    match peel(expr) {
        Expr::MethodCall(call) if call.args.is_empty() && call.method == "clone" => {
            place_of(&call.receiver)
        }
        Expr::Call(call)
            if call.args.len() == 1
                && matches!(&*call.func, Expr::Path(path)
                    if path.path.segments.last().is_some_and(|s| s.ident == "clone")) =>
        {
            place_of(&call.args[0])
        }
        _ => place_of(expr),
    }
}

/// `Connection::begin`, `sqlx::Acquire::begin`, `TransactionTrait::begin`:
/// a path to a method of a driver's connection, client, pool or
/// transaction type or trait, by the type's name or the driver crate's.
pub(super) fn names_driver_method(path: &str) -> bool {
    const TYPE_ENDINGS: &[&str] = &[
        "Connection",
        "Conn",
        "Client",
        "Pool",
        "Acquire",
        "Transaction",
        "TransactionTrait",
        "Executor",
        "Queryable",
    ];
    let mut segments: Vec<&str> = path.split("::").collect();
    segments.pop();
    let Some(owner) = segments.last() else {
        return false;
    };
    segments
        .iter()
        .any(|segment| DRIVER_CRATES.contains(segment))
        || TYPE_ENDINGS.iter().any(|ending| owner.ends_with(ending))
}

/// A value built by `Type::new(a, b)` (also behind `?`) or `Type { f: a }`:
/// the type's name and the places it was given.
pub(super) fn constructed(expr: &Expr) -> Option<(String, Vec<String>)> {
    match peel(expr) {
        Expr::Try(tried) => constructed(&tried.expr),
        Expr::Call(call) => {
            let Expr::Path(path) = peel(&call.func) else {
                return None;
            };
            let segments = &path.path.segments;
            let type_name = segments.iter().nth_back(1)?.ident.to_string();
            Some((type_name, call.args.iter().filter_map(place_of).collect()))
        }
        Expr::Struct(built) => Some((
            built.path.segments.last()?.ident.to_string(),
            built
                .fields
                .iter()
                .filter_map(|field| place_of(&field.expr))
                .collect(),
        )),
        _ => None,
    }
}

/// `text` with the visibility of every `impl` block blanked (`pub impl`,
/// `pub(crate) impl`), or `None` when it has none.
pub(super) fn without_impl_visibility(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let word_at = |at: usize, word: &str| {
        bytes[at..].starts_with(word.as_bytes())
            && (at == 0 || !is_ident_byte(bytes[at - 1]))
            && bytes
                .get(at + word.len())
                .is_none_or(|&next| !is_ident_byte(next))
    };
    let mut blanked = bytes.to_vec();
    let mut any = false;
    let mut at = 0;
    while let Some(found) = text[at..].find("pub") {
        let start = at + found;
        at = start + 3;
        if !word_at(start, "pub") {
            continue;
        }
        let mut end = start + 3;
        let skip_space = |mut at: usize| {
            while bytes.get(at).is_some_and(u8::is_ascii_whitespace) {
                at += 1;
            }
            at
        };
        end = skip_space(end);
        if bytes.get(end) == Some(&b'(') {
            match text[end..].find(')') {
                Some(close) => end = skip_space(end + close + 1),
                None => continue,
            }
        }
        if word_at(end, "impl") {
            blanked[start..end].fill(b' ');
            any = true;
        }
    }
    if !any {
        return None;
    }
    String::from_utf8(blanked).ok()
}

/// `text` with edition-2015 syntax that syn rejects rewritten in place, at
/// the same length, or `None` when it has none: a bare trait object
/// (`Box<Fn(u8) -> T>`, `&FnMut()`) becomes a function pointer type
/// (`Box<fn(u8) -> T>`), and `async` as a path segment (`stripe::async::
/// Client`) a name (`_sync`).
pub(super) fn in_later_edition(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut rewritten = bytes.to_vec();
    let mut any = false;
    let before = |at: usize| {
        let mut at = at;
        while at > 0 && bytes[at - 1].is_ascii_whitespace() {
            at -= 1;
        }
        at
    };
    for (word, pointer) in [("FnOnce(", "fn    ("), ("FnMut(", "fn   ("), ("Fn(", "fn(")] {
        for (start, _) in text.match_indices(word) {
            if start > 0 && is_ident_byte(bytes[start - 1]) {
                continue;
            }
            let end = before(start);
            let bare = match end.checked_sub(1).map(|at| bytes[at]) {
                Some(b'<' | b',' | b'&') => true,
                // `&mut Fn(..)`
                Some(b't') => {
                    end >= 3
                        && &bytes[end - 3..end] == b"mut"
                        && bytes[..before(end - 3)].ends_with(b"&")
                }
                _ => false,
            };
            if bare {
                rewritten[start..start + word.len()].copy_from_slice(pointer.as_bytes());
                any = true;
            }
        }
    }
    for (start, _) in text.match_indices("async") {
        let end = start + 5;
        let word = (start == 0 || !is_ident_byte(bytes[start - 1]))
            && bytes.get(end).is_none_or(|&next| !is_ident_byte(next));
        if word && (text[end..].starts_with("::") || text[..start].ends_with("::")) {
            rewritten[start..end].copy_from_slice(b"_sync");
            any = true;
        }
    }
    if !any {
        return None;
    }
    String::from_utf8(rewritten).ok()
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// Whether a begin call opens a read-only transaction: `begin_with("BEGIN
/// READ ONLY")` (its first argument's text, by `text`), sea-orm's
/// `begin_with_config(.., Some(AccessMode::ReadOnly))`, or a builder's
/// `build_transaction().read_only(true).start()`.
pub(super) fn read_only_begin(
    call: &syn::ExprMethodCall,
    text: impl Fn(&Expr) -> Option<String>,
) -> bool {
    let read_only_text = call
        .args
        .first()
        .and_then(text)
        .is_some_and(|sql| sql.to_ascii_uppercase().contains("READ ONLY"));
    let read_only_mode = call.args.iter().any(|arg| {
        let arg = match peel(arg) {
            Expr::Call(some) if some.args.len() == 1 => &some.args[0],
            other => other,
        };
        matches!(peel(arg), Expr::Path(path)
            if path.path.segments.iter().rev().take(2).map(|s| s.ident.to_string())
                .eq(["ReadOnly", "AccessMode"]))
    });
    let mut current = peel(&call.receiver);
    let mut read_only_builder = false;
    while let Expr::MethodCall(inner) = current {
        read_only_builder |= inner.method == "read_only"
            && matches!(inner.args.first().map(peel), Some(Expr::Lit(lit))
                if matches!(&lit.lit, Lit::Bool(b) if b.value));
        current = peel(&inner.receiver);
    }
    // An embedded store's read transaction (heed's `env.read_txn()`,
    // lmdb's `begin_ro_txn()`, redb's `begin_read()`).
    let store_reader = matches!(
        call.method.to_string().as_str(),
        "read_txn" | "begin_ro_txn" | "begin_read"
    );
    read_only_text || read_only_mode || read_only_builder || store_reader
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edition_2015_syntax_is_rewritten_in_place() {
        let text = "struct S { f: Rc<Fn(u8) -> Box<Repo>>, g: &mut FnMut(), h: Box<dyn Fn()> }\n\
                    use stripe::async::Client;\nfn w<F: Fn(u8)>(f: F) { async { 1 }; }";
        let rewritten = in_later_edition(text).expect("rewritten");
        assert_eq!(rewritten.len(), text.len());
        assert!(rewritten.contains("Rc<fn(u8) -> Box<Repo>>"));
        assert!(rewritten.contains("&mut fn   ()"));
        assert!(rewritten.contains("Box<dyn Fn()>"));
        assert!(rewritten.contains("stripe::_sync::Client"));
        assert!(rewritten.contains("F: Fn(u8)"));
        assert!(rewritten.contains("async { 1 }"));
        assert!(syn::parse_str::<syn::File>(&rewritten).is_ok());
        assert_eq!(in_later_edition("fn f(x: Box<dyn Fn()>) {}"), None);
    }

    #[test]
    fn commit_statements_are_written_as_code_is() {
        assert_eq!(
            commit_statement("tx", true).as_deref(),
            Some("tx.commit().await?;")
        );
        assert_eq!(
            commit_statement("self.tx", false).as_deref(),
            Some("self.tx.commit()?;")
        );
        assert_eq!(commit_statement("not a place!", true), None);
    }

    #[test]
    fn driver_methods_are_named_by_their_crate_or_type() {
        assert!(names_driver_method("sqlx::Connection::begin"));
        assert!(names_driver_method("Acquire::begin"));
        assert!(names_driver_method("rusqlite::Transaction::new_unchecked"));
        assert!(names_driver_method("PgConnection::begin"));
        assert!(!names_driver_method("ImportStaging::begin"));
        assert!(!names_driver_method("begin"));
    }

    #[test]
    fn lets_copy_places_and_guards_are_built_from_them() {
        let expr = |text: &str| syn::parse_str::<Expr>(text).unwrap();
        assert_eq!(
            copied_place(&expr("state.pool.clone()")).as_deref(),
            Some("state.pool")
        );
        assert_eq!(
            copied_place(&expr("Arc::clone(&pool)")).as_deref(),
            Some("pool")
        );
        assert_eq!(copied_place(&expr("pool.get()")), None);
        assert_eq!(
            constructed(&expr("UndoOnDrop::arm(&self.conn)?")),
            Some(("UndoOnDrop".to_string(), vec!["self.conn".to_string()]))
        );
        assert_eq!(
            constructed(&expr("UndoOnDrop { conn: &conn, done: false }")),
            Some(("UndoOnDrop".to_string(), vec!["conn".to_string()]))
        );
    }

    #[test]
    fn impl_visibility_is_blanked_in_place() {
        let text = "#[ext]\npub impl Shelf {}\npub(crate)  impl X for Y {}\nfn republic_impl() {}\npub fn f() {}\n";
        let unmarked = without_impl_visibility(text).unwrap();
        assert_eq!(unmarked.len(), text.len());
        assert_eq!(
            unmarked,
            "#[ext]\n    impl Shelf {}\n            impl X for Y {}\nfn republic_impl() {}\npub fn f() {}\n"
        );
        assert_eq!(without_impl_visibility("pub fn f() {}\n"), None);
    }
}
