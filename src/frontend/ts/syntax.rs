//! Small readings of swc's syntax: places, member paths, literals, callee
//! names, and which calls are quiet or throw; shared by the TypeScript
//! front end.

use super::*;

/// What `Collector::lower_named` lowers under a name of its own.
pub(super) fn is_nameable(expr: &Expr) -> bool {
    matches!(
        unwrap(expr),
        Expr::Arrow(_) | Expr::Fn(_) | Expr::Class(_) | Expr::Object(_)
    )
}

/// Whether the value is built here: `new X(..)`, or `cached ?? new X(..)`.
pub(super) fn constructed(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::New(_) => true,
        Expr::Bin(bin) if matches!(bin.op, BinaryOp::NullishCoalescing | BinaryOp::LogicalOr) => {
            constructed(&bin.right)
        }
        _ => false,
    }
}

/// The call whose result a declaration or assignment keeps, if its value
/// is one (`await` and parentheses aside).
pub(super) fn bound_call(init: &Expr) -> Option<Span> {
    let init = match unwrap(init) {
        Expr::Await(AwaitExpr { arg, .. }) => unwrap(arg),
        other => other,
    };
    match init {
        Expr::Call(call) => Some(span_of(call.span)),
        _ => None,
    }
}

/// A parameter's name, when it is a plain one (`client`, `client = x`).
pub(super) fn param_name(param: &Pat) -> Option<String> {
    match param {
        Pat::Ident(name) => Some(name.id.sym.to_string()),
        Pat::Assign(assign) => param_name(&assign.left),
        _ => None,
    }
}

/// `{ isolationLevel: 'serializable' }`, or `null` where a callback could
/// go (`knex.transaction(null, config)`): not a callback.
pub(super) fn is_options_object(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::Object(_) | Expr::Lit(Lit::Null(_)) => true,
        Expr::Ident(ident) => ident.sym == "undefined",
        _ => false,
    }
}

/// The name of a type annotation that names a type (`client: PoolClient`
/// gives `PoolClient`).
pub(super) fn type_name(annotation: Option<&TsTypeAnn>) -> Option<String> {
    match annotation.map(|annotation| &*annotation.type_ann) {
        Some(TsType::TsTypeRef(reference)) => match &reference.type_name {
            TsEntityName::Ident(ident) => Some(ident.sym.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// Calls that do not throw in practice and keep nothing they are given:
/// logging, timers and pure built-ins. Anything else may throw.
pub(super) fn is_quiet_call(callee: &str) -> bool {
    const QUIET: &[&str] = &[
        "parseInt",
        "parseFloat",
        "Number",
        "String",
        "Boolean",
        "Symbol",
        "Date.now",
        "performance.now",
        "Array.isArray",
        "Object.keys",
        "Object.values",
        "Object.entries",
        "Promise.resolve",
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
        "setImmediate",
        "clearImmediate",
        // The `debug` package's logger, called by its conventional name.
        "debug",
    ];
    const LOG_METHODS: &[&str] = &["log", "error", "warn", "info", "debug", "trace", "fatal"];
    // EventEmitter's listener bookkeeping.
    const LISTENER_METHODS: &[&str] = &[
        "on",
        "once",
        "off",
        "addListener",
        "prependListener",
        "prependOnceListener",
        "removeListener",
        "removeAllListeners",
    ];
    if QUIET.contains(&callee) || callee.starts_with("Math.") || callee.starts_with("console.") {
        return true;
    }
    let Some((receiver, method)) = callee.rsplit_once('.') else {
        return false;
    };
    if LISTENER_METHODS.contains(&method) {
        return true;
    }
    LOG_METHODS.contains(&method) && is_logger(receiver)
}

/// A logger by convention (`logger`, `this.auditLogger`, `log`), or a
/// common logging package called by its import name (`pino`, `winston`).
pub(super) fn is_logger(place: &str) -> bool {
    const LOGGERS: &[&str] = &["log", "winston", "pino", "bunyan", "consola", "signale"];
    let name = place
        .rsplit('.')
        .next()
        .unwrap_or(place)
        .to_ascii_lowercase();
    name.ends_with("logger") || LOGGERS.contains(&name.as_str())
}

/// Functions that throw on malformed input, wherever called: built-ins,
/// and by their conventional names the validators whose job is to throw
/// (`schema.parse(body)`, `assert(ok)`).
pub(super) fn throws_on_bad_input(callee: &str) -> bool {
    const THROWING: &[&str] = &[
        "decodeURIComponent",
        "decodeURI",
        "encodeURIComponent",
        "encodeURI",
        "structuredClone",
        "BigInt",
        "atob",
        "btoa",
        "require",
    ];
    const THROWING_NAMES: &[&str] = &["parse", "stringify", "assert", "invariant", "validateSync"];
    let name = callee.rsplit('.').next().unwrap_or(callee);
    THROWING.contains(&callee) || THROWING_NAMES.contains(&name)
}

/// `JSON.stringify`: throws only on a cycle or a `BigInt`, which a value
/// being logged rarely has.
pub(super) fn formats_value(callee: &str) -> bool {
    callee.rsplit('.').next() == Some("stringify")
}

/// Constructors that do not throw for the arguments code passes them.
pub(super) fn is_quiet_constructor(class: &str) -> bool {
    const QUIET: &[&str] = &[
        // What its executor throws rejects the promise.
        "Promise",
        "Date",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "Error",
        "TypeError",
        "RangeError",
        "AbortController",
        "DisposableStack",
        "AsyncDisposableStack",
    ];
    QUIET.contains(&class)
}

/// A function written inline as a promise callback.
pub(super) struct InlineCallback<'a> {
    pub(super) params: Vec<&'a Pat>,
    pub(super) body: InlineBody<'a>,
}

pub(super) enum InlineBody<'a> {
    Block(&'a [Stmt]),
    Expr(&'a Expr),
}

pub(super) fn inline_callback(expr: &Expr) -> Option<InlineCallback<'_>> {
    match unwrap(expr) {
        Expr::Arrow(arrow) => Some(InlineCallback {
            params: arrow.params.iter().collect(),
            body: match &*arrow.body {
                ArrowFunctionBody::FunctionBody(body) => InlineBody::Block(&body.stmts),
                ArrowFunctionBody::Expr(expr) => InlineBody::Expr(expr),
            },
        }),
        Expr::Fn(function) => function.function.body.as_ref().map(|body| InlineCallback {
            params: function.function.params.iter().map(|p| &p.pat).collect(),
            body: InlineBody::Block(&body.stmts),
        }),
        _ => None,
    }
}

/// The span of a call whose result an expression statement drops, unless it
/// passes a callback (`client.query('BEGIN', (err) => ..)` is the callback
/// API, not a dropped promise). Only transaction statements are asked
/// about, and they take no parameters: a trailing name is a callback too.
pub(super) fn floating_call(expr: &Expr) -> Option<Span> {
    let (args, span) = call_parts(expr)?;
    let callback = args.last().is_some_and(|arg| {
        matches!(
            unwrap(&arg.expr),
            Expr::Arrow(_) | Expr::Fn(_) | Expr::Ident(_)
        )
    });
    (!callback).then(|| span_of(span))
}

/// The arguments and span of a call, also an optional one (`tx?.rollback()`).
fn call_parts(expr: &Expr) -> Option<(&[ExprOrSpread], SwcSpan)> {
    match unwrap(expr) {
        Expr::Call(call) => Some((&call.args, call.span)),
        Expr::OptChain(OptChainExpr { base, .. }) => match &**base {
            OptChainBase::Call(call) => Some((&call.args, call.span)),
            OptChainBase::Member(_) => None,
        },
        _ => None,
    }
}

/// Strip parentheses and TypeScript-only wrappers.
pub(super) fn unwrap(mut expr: &Expr) -> &Expr {
    loop {
        expr = match expr {
            Expr::Paren(ParenExpr { expr, .. })
            | Expr::TsAs(TsAsExpr { expr, .. })
            | Expr::TsNonNull(TsNonNullExpr { expr, .. })
            | Expr::TsTypeAssertion(TsTypeAssertion { expr, .. })
            | Expr::TsConstAssertion(TsConstAssertion { expr, .. })
            | Expr::TsSatisfies(TsSatisfiesExpr { expr, .. }) => expr,
            other => return other,
        }
    }
}

/// `client`, `this.client`, `this.db.client`: a path that can name a handle.
pub(super) fn place_of(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::Ident(ident) if ident.sym != "undefined" => Some(ident.sym.to_string()),
        Expr::Member(member) => member_place(member),
        _ => None,
    }
}

/// The place an assignment writes: `name` or `a.b`.
pub(super) fn assign_target_place(target: &AssignTarget) -> Option<String> {
    match target {
        AssignTarget::Simple(SimpleAssignTarget::Ident(name)) => Some(name.id.sym.to_string()),
        AssignTarget::Simple(SimpleAssignTarget::Member(member)) => member_place(member),
        _ => None,
    }
}

pub(super) fn member_place(member: &MemberExpr) -> Option<String> {
    let MemberProp::Ident(prop) = &member.prop else {
        return None;
    };
    let object = match unwrap(&member.obj) {
        Expr::This(_) => "this".to_string(),
        other => place_of(other)?,
    };
    Some(format!("{object}.{}", prop.sym))
}

/// The receiver and method name of `receiver.method` (also `receiver?.method`).
pub(super) fn member_parts(callee: &Expr) -> Option<(&Expr, &str)> {
    let member = match unwrap(callee) {
        Expr::Member(member) => member,
        Expr::OptChain(OptChainExpr { base, .. }) => match &**base {
            OptChainBase::Member(member) => member,
            OptChainBase::Call(_) => return None,
        },
        _ => return None,
    };
    match &member.prop {
        MemberProp::Ident(prop) => Some((&member.obj, prop.sym.as_str())),
        _ => None,
    }
}

/// The object whose absence short-circuits an optional chain.
pub(super) fn optional_object(chain: &OptChainExpr) -> Option<&Expr> {
    match &*chain.base {
        OptChainBase::Member(member) if chain.optional => Some(&member.obj),
        OptChainBase::Member(member) => match unwrap(&member.obj) {
            Expr::OptChain(inner) => optional_object(inner),
            _ => None,
        },
        OptChainBase::Call(call) => match unwrap(&call.callee) {
            Expr::OptChain(inner) => optional_object(inner),
            callee if chain.optional => Some(callee),
            _ => None,
        },
    }
}

/// `a?.b?.c()` as `a.b.c()`: what the chain evaluates once every optional
/// part is set.
pub(super) fn without_optional(chain: &OptChainExpr) -> Expr {
    let plain = |expr: &Expr| match unwrap(expr) {
        Expr::OptChain(inner) => without_optional(inner),
        other => other.clone(),
    };
    match &*chain.base {
        OptChainBase::Member(member) => Expr::Member(MemberExpr {
            span: member.span,
            obj: Box::new(plain(&member.obj)),
            prop: member.prop.clone(),
        }),
        OptChainBase::Call(call) => Expr::Call(CallExpr {
            span: call.span,
            ctxt: call.ctxt,
            callee: Callee::Expr(Box::new(plain(&call.callee))),
            args: call.args.clone(),
            type_args: call.type_args.clone(),
        }),
    }
}

/// A dotted name for a callee (`pool.connect`, `withTransaction`,
/// `this.repo.save`), when it has one.
pub(super) fn expr_path(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::This(_) => Some("this".to_string()),
        Expr::Ident(ident) => Some(ident.sym.to_string()),
        Expr::Member(member) => {
            let MemberProp::Ident(prop) = &member.prop else {
                return None;
            };
            Some(format!("{}.{}", expr_path(&member.obj)?, prop.sym))
        }
        Expr::OptChain(OptChainExpr { base, .. }) => match &**base {
            OptChainBase::Member(member) => {
                let MemberProp::Ident(prop) = &member.prop else {
                    return None;
                };
                Some(format!("{}.{}", expr_path(&member.obj)?, prop.sym))
            }
            OptChainBase::Call(_) => None,
        },
        _ => None,
    }
}

/// `Model.find` for `new Model(..).find`: the method of a class called on
/// an object made for the call.
pub(super) fn constructed_method(callee: &Expr) -> Option<String> {
    let Expr::Member(member) = unwrap(callee) else {
        return None;
    };
    let (Expr::New(new), MemberProp::Ident(method)) = (unwrap(&member.obj), &member.prop) else {
        return None;
    };
    Some(format!("{}.{}", expr_path(&new.callee)?, method.sym))
}

/// The class name of `new Pool(...)` / `new pg.Pool(...)`.
pub(super) fn callee_name(expr: &Expr) -> Option<&str> {
    match unwrap(expr) {
        Expr::Ident(ident) => Some(ident.sym.as_str()),
        Expr::Member(MemberExpr {
            prop: MemberProp::Ident(prop),
            ..
        }) => Some(prop.sym.as_str()),
        _ => None,
    }
}

/// What a literal tells of a value's truthiness; anything else is unknown.
pub(super) fn known_value(expr: &Expr) -> Known {
    match expr {
        Expr::Lit(Lit::Null(_)) => Known::NULLISH,
        Expr::Ident(ident) if ident.sym == "undefined" => Known::NULLISH,
        Expr::Lit(Lit::Bool(value)) if value.value => Known::TRUTHY,
        Expr::Lit(Lit::Bool(_)) => Known::FALSY,
        Expr::Lit(Lit::Num(number)) if number.value != 0.0 && !number.value.is_nan() => {
            Known::TRUTHY
        }
        Expr::Lit(Lit::Num(_)) => Known::FALSY,
        Expr::Lit(Lit::Str(string)) if string.value.is_empty() => Known::FALSY,
        Expr::Lit(Lit::Str(_))
        | Expr::Object(_)
        | Expr::Array(_)
        | Expr::Arrow(_)
        | Expr::Fn(_) => Known::TRUTHY,
        Expr::New(_) => Known::TRUTHY,
        _ => Known::UNKNOWN,
    }
}

/// The text of a string literal or a template literal without substitutions.
pub(super) fn literal_text(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::Lit(Lit::Str(string)) => Some(string.value.to_string_lossy().into_owned()),
        Expr::Tpl(tpl) if tpl.exprs.is_empty() => tpl.quasis.first().map(quasi_text),
        _ => None,
    }
}

/// The text of a template literal's literal part, escapes applied.
pub(super) fn quasi_text(quasi: &TplElement) -> String {
    quasi.cooked.as_ref().map_or_else(
        || quasi.raw.to_string(),
        |c| c.to_string_lossy().into_owned(),
    )
}

pub(super) fn prop_name(name: &PropName) -> String {
    match name {
        PropName::Ident(ident) => ident.sym.to_string(),
        PropName::Str(string) => string.value.to_string_lossy().into_owned(),
        PropName::Num(number) => number.value.to_string(),
        PropName::Computed(_) => "[computed]".to_string(),
        PropName::BigInt(big) => big.value.to_string(),
        #[allow(unreachable_patterns)]
        _ => "<key>".to_string(),
    }
}

/// `program.command('import <file>').option(..).action(async (file) => ..)`:
/// the handler of a command of a command-line program (commander, cac).
pub(super) fn is_command_action(call: &CallExpr) -> bool {
    let Callee::Expr(callee) = &call.callee else {
        return false;
    };
    let Expr::Member(MemberExpr {
        obj,
        prop: MemberProp::Ident(method),
        ..
    }) = unwrap(callee)
    else {
        return false;
    };
    let [handler] = call.args.as_slice() else {
        return false;
    };
    if method.sym != "action" || !matches!(unwrap(&handler.expr), Expr::Arrow(_) | Expr::Fn(_)) {
        return false;
    }
    let mut receiver = unwrap(obj);
    while let Expr::Call(CallExpr {
        callee: Callee::Expr(callee),
        ..
    }) = receiver
    {
        let Expr::Member(member) = unwrap(callee) else {
            return false;
        };
        if matches!(&member.prop, MemberProp::Ident(m) if m.sym == "command") {
            return true;
        }
        receiver = unwrap(&member.obj);
    }
    false
}

/// The span and statements of a function expression called where it
/// stands (`(async () => { .. })()`).
pub(super) fn invoked_at_once(expr: &Expr) -> Option<(SwcSpan, &[Stmt])> {
    let Expr::Call(CallExpr {
        callee: Callee::Expr(callee),
        ..
    }) = unwrap(expr)
    else {
        return None;
    };
    match unwrap(callee) {
        Expr::Arrow(arrow) => match &*arrow.body {
            ArrowFunctionBody::FunctionBody(body) => Some((arrow.span, &body.stmts)),
            ArrowFunctionBody::Expr(_) => None,
        },
        Expr::Fn(function) => function
            .function
            .body
            .as_ref()
            .map(|b| (function.function.span, b.stmts.as_slice())),
        _ => None,
    }
}

/// What an argument visibly is: a string, an object literal's keys, or
/// something else.
pub(super) fn argument_shape(expr: &Expr) -> ArgumentShape {
    match unwrap(expr) {
        Expr::Object(object) => {
            let mut keys = Vec::new();
            for prop in &object.props {
                match prop {
                    PropOrSpread::Prop(prop) => match &**prop {
                        Prop::KeyValue(kv) => keys.push(prop_name(&kv.key)),
                        Prop::Shorthand(ident) => keys.push(ident.sym.to_string()),
                        _ => return ArgumentShape::Other,
                    },
                    PropOrSpread::Spread(_) => return ArgumentShape::Other,
                }
            }
            ArgumentShape::Keys(keys)
        }
        other => literal_text(other).map_or(ArgumentShape::Other, ArgumentShape::Text),
    }
}

/// The interfaces a class says it implements (`implements
/// MigrationInterface`), by name.
pub(super) fn implemented(class: &Class) -> Vec<String> {
    class
        .implements
        .iter()
        .filter_map(|i| callee_name(&i.expr).map(str::to_string))
        .collect()
}

/// The call an expression statement makes, through `await` and `void`.
pub(super) fn statement_call(expr: &Expr) -> Option<Span> {
    match unwrap(expr) {
        Expr::Await(AwaitExpr { arg, .. })
        | Expr::Unary(UnaryExpr {
            op: UnaryOp::Void,
            arg,
            ..
        }) => statement_call(arg),
        other => call_parts(other).map(|(_, span)| span_of(span)),
    }
}

/// `!outer`, `lent === undefined`, `a === undefined || b.isReleased`: a
/// test, or tests joined by `&&` or `||` with at least one a comparison or
/// a negation; a boolean rather than a value (`options.name || "main"`).
pub(super) fn is_condition(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::Unary(UnaryExpr {
            op: UnaryOp::Bang, ..
        }) => true,
        Expr::Bin(bin) if matches!(bin.op, BinaryOp::LogicalAnd | BinaryOp::LogicalOr) => {
            is_condition(&bin.left) || is_condition(&bin.right)
        }
        Expr::Bin(bin) => matches!(
            bin.op,
            BinaryOp::EqEqEq
                | BinaryOp::NotEqEq
                | BinaryOp::EqEq
                | BinaryOp::NotEq
                | BinaryOp::Lt
                | BinaryOp::LtEq
                | BinaryOp::Gt
                | BinaryOp::GtEq
                | BinaryOp::InstanceOf
                | BinaryOp::In
        ),
        _ => false,
    }
}
