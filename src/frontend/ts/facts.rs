//! File-wide facts the lowering consults: `const` SQL strings, pool
//! variables and classes, `'error'` listeners, whether the module serves
//! requests, class fields' types, and where anything to follow is named.

use super::*;

/// File-wide facts the lowering of each function needs.
pub(super) struct FileFacts<'v> {
    /// `const NAME = 'text'` bindings, for SQL passed by name.
    pub(super) const_strings: HashMap<String, String>,
    /// Variables bound to `new Pool(...)`, and pools a package exports
    /// ready-made (see `PoolShape::exported`).
    pub(super) pool_variables: HashSet<String>,
    /// Places with an `'error'` listener (`pool.on('error', ..)`).
    pub(super) error_listeners: HashSet<String>,
    /// The module exports route handlers (`export async function POST`) or
    /// registers routes (`router.post('/orders', ..)`).
    pub(super) serves_requests: bool,
    /// The module starts the server (`app.listen(..)`): it is the app's
    /// entry, and a pool made there is the app's one pool.
    pub(super) starts_server: bool,
    pub(super) vocabulary: &'v Vocabulary,
    /// Functions whose calls stand for an acquire or a release, by the
    /// name a call uses (this file's own and imported ones).
    pub(super) helpers: Summaries,
    /// The last names of the functions and methods the lowered code calls,
    /// whatever they turned out to be: a helper that becomes known later
    /// matters to this file only if its name is among them.
    pub(super) called: std::cell::RefCell<std::collections::BTreeSet<String>>,
    pub(super) text: &'v str,
    /// Offsets, in order, where a word of the vocabulary is.
    pub(super) words_at: Vec<u32>,
    /// Offsets, in order, where something to follow is named: a word of the
    /// vocabulary, a pool variable of this file, or a helper.
    pub(super) named_at: Vec<u32>,
    /// `class A extends B`: A's superclass, by name.
    pub(super) superclasses: HashMap<String, String>,
    /// Local names of pool classes (`import { Pool as PgPool } from 'pg'`).
    pub(super) pool_classes: HashSet<String>,
    /// Variables given an object of a class by `new` anywhere in the file,
    /// with those classes: a `pool` made by `new mssql.ConnectionPool(..)`
    /// is not a pool whose `connect()` checks a client out.
    pub(super) constructed: HashMap<String, Vec<String>>,
    /// Variables whose object the file opens with `.begin()`: a
    /// transaction object made by `pool.transaction()` that begins only
    /// then (mssql's) is not one that `transaction()` began (knex's,
    /// Sequelize's, which have no `begin()`).
    pub(super) begun_by_call: HashSet<String>,
    /// `a = b` between places anywhere in the file: the same object under
    /// two names (`pool = global.pgPool`).
    pub(super) aliases: Vec<(String, String)>,
    /// `const END = dryRun ? 'ROLLBACK' : 'COMMIT'`: what such a constant
    /// runs, when both sides agree.
    pub(super) const_statements: HashMap<String, Vec<TxStatement>>,
    /// `(class, field)` to the class named by the field's type
    /// (`constructor(private readonly db: DatabaseService)`).
    pub(super) field_classes: HashMap<(String, String), String>,
    /// Classes of this file whose construction cannot throw: no superclass,
    /// and a constructor (if any) that only stores its arguments.
    pub(super) plain_classes: HashSet<String>,
    /// Classes of this file whose disposer (`[Symbol.asyncDispose]`,
    /// `[Symbol.dispose]`) rolls back: an `await using` of one ends the
    /// transaction it holds on every way out.
    pub(super) rollback_disposers: HashSet<String>,
}

impl<'v> FileFacts<'v> {
    pub(super) fn collect(
        program: &Program,
        vocabulary: &'v Vocabulary,
        text: &'v str,
        words_at: Vec<u32>,
        imports: &[Import],
    ) -> FileFacts<'v> {
        // `import { Pool as PgPool } from 'pg'`
        let pool_classes = imports
            .iter()
            .filter(|import| vocabulary.is_pool_constructor(&import.imported))
            .map(|import| import.local.clone())
            .collect();
        let exported_pools = imports
            .iter()
            .filter(|import| vocabulary.is_exported_pool(&import.specifier, &import.imported))
            .map(|import| import.local.clone())
            .collect();
        let mut facts = FileFacts {
            const_strings: HashMap::new(),
            pool_variables: exported_pools,
            error_listeners: HashSet::new(),
            serves_requests: false,
            starts_server: false,
            vocabulary,
            helpers: Summaries::new(),
            called: Default::default(),
            text,
            words_at,
            named_at: Vec::new(),
            superclasses: HashMap::new(),
            field_classes: HashMap::new(),
            plain_classes: HashSet::new(),
            rollback_disposers: HashSet::new(),
            pool_classes,
            constructed: HashMap::new(),
            begun_by_call: HashSet::new(),
            aliases: Vec::new(),
            const_statements: HashMap::new(),
        };
        program.visit_with(&mut facts);
        // Next.js server actions: every export of a `"use server"` module
        // is called by requests.
        if starts_with_directive(program, "use server") {
            facts.serves_requests = true;
        }
        facts
    }

    pub(super) fn is_pool_class(&self, class: &str) -> bool {
        self.vocabulary.is_pool_constructor(class) || self.pool_classes.contains(class)
    }

    /// Whether every object `new` gave `place` in this file is of a class
    /// that no driver has, nor extends one (`class Db extends Pool`): a
    /// `pool` made by `new mssql.ConnectionPool(..)` is another library's.
    pub(super) fn constructed_as_other(&self, place: &str) -> bool {
        let descends_from_pool = |class: &str| {
            let mut current = Some(class);
            // A bound on the chain, in case of a cycle in invalid code.
            for _ in 0..8 {
                let Some(class) = current else { return false };
                if self.is_pool_class(class) || self.vocabulary.is_driver_class(class) {
                    return true;
                }
                current = self.superclasses.get(class).map(String::as_str);
            }
            false
        };
        self.constructed
            .get(place)
            .is_some_and(|classes| !classes.iter().any(|class| descends_from_pool(class)))
    }

    /// `name = new C(..)`: remember C for `name`, from each arm of a
    /// conditional (`url ? new C(url) : new C(options)`).
    fn note_construction(&mut self, name: &str, value: &Expr) {
        match unwrap(value) {
            Expr::New(new) => {
                if let Some(class) = callee_name(&new.callee) {
                    self.constructed
                        .entry(name.to_string())
                        .or_default()
                        .push(class.to_string());
                }
            }
            Expr::Cond(cond) => {
                self.note_construction(name, &cond.cons);
                self.note_construction(name, &cond.alt);
            }
            _ => {}
        }
    }

    /// Whether the pool held by `name` has an `'error'` listener, under that
    /// name or another the file gives the same object.
    pub(super) fn has_error_listener(&self, name: &str) -> bool {
        self.error_listeners.contains(name)
            || self.aliases.iter().any(|(a, b)| {
                (a == name && self.error_listeners.contains(b))
                    || (b == name && self.error_listeners.contains(a))
            })
    }

    /// The function `this.<member>` calls inside `class`: its own method,
    /// one it inherits from a class named here (`extends BaseRepository`),
    /// or a method of a typed field (`this.db.getClient()` with
    /// `constructor(private db: DatabaseService)`), as `Class.method`.
    pub(super) fn class_member(&self, class: &str, member: &str) -> Option<String> {
        let mut owner = class;
        // A chain of `extends`, cut short of a cycle.
        for _ in 0..8 {
            let own = format!("{owner}.{member}");
            if let Some((field, method)) = member.split_once('.')
                && let Some(field_class) = self
                    .field_classes
                    .get(&(owner.to_string(), field.to_string()))
            {
                return Some(format!("{field_class}.{method}"));
            }
            if self.helpers.contains_key(&own) {
                return Some(own);
            }
            owner = self.superclasses.get(owner)?;
        }
        None
    }

    /// Whether the code at `span` may hold anything to follow: a word of the
    /// vocabulary, a pool variable of this file, or a helper's name. Code
    /// without any has no events, so its flow would be empty.
    pub(super) fn may_matter(&self, span: SwcSpan) -> bool {
        let span = span_of(span);
        let first = self.named_at.partition_point(|&at| at < span.start);
        self.named_at.get(first).is_some_and(|&at| at < span.end)
    }

    /// Find where things to follow are named, once the helpers are known.
    pub(super) fn find_names(&mut self) {
        let mut named_at = self.words_at.clone();
        let names = self.pool_variables.iter().map(String::as_str).chain(
            self.helpers
                .keys()
                .map(|h| h.rsplit('.').next().unwrap_or(h)),
        );
        for name in names {
            named_at.extend(self.text.match_indices(name).map(|(at, _)| at as u32));
        }
        named_at.sort_unstable();
        named_at.dedup();
        self.named_at = named_at;
    }

    /// The transaction statements a query argument runs, when its text is
    /// known: also `cond ? 'BEGIN READ ONLY' : 'BEGIN'` when both sides
    /// agree on whether they begin or end.
    pub(super) fn statements(&self, expr: &Expr) -> Vec<TxStatement> {
        if let Expr::Ident(ident) = unwrap(expr)
            && let Some(statements) = self.const_statements.get(ident.sym.as_str())
        {
            return statements.clone();
        }
        if let Expr::Cond(cond) = unwrap(expr) {
            let (cons, alt) = (self.statements(&cond.cons), self.statements(&cond.alt));
            let ends =
                |s: &[TxStatement]| !s.is_empty() && s.iter().all(|s| *s != TxStatement::Begin);
            return if cons == alt || (ends(&cons) && ends(&alt)) {
                cons
            } else {
                Vec::new()
            };
        }
        self.sql_text(expr)
            .map_or_else(Vec::new, |sql| transaction_statements(&sql))
    }

    /// The SQL text of a query argument, when it is known in this file.
    pub(super) fn sql_text(&self, expr: &Expr) -> Option<String> {
        match unwrap(expr) {
            Expr::Ident(ident) => self.const_strings.get(ident.sym.as_str()).cloned(),
            Expr::Member(member) => self.const_strings.get(&member_place(member)?).cloned(),
            Expr::Object(object) => object.props.iter().find_map(|prop| match prop {
                PropOrSpread::Prop(prop) => match &**prop {
                    Prop::KeyValue(kv) if prop_name(&kv.key) == "text" => self.sql_text(&kv.value),
                    Prop::Shorthand(ident) if ident.sym == "text" => {
                        self.const_strings.get("text").cloned()
                    }
                    _ => None,
                },
                PropOrSpread::Spread(_) => None,
            }),
            // A script built around values (`BEGIN; UPDATE t SET a = ${a};
            // COMMIT;`): its statements, each value a placeholder.
            Expr::Tpl(tpl) => Some(
                tpl.quasis
                    .iter()
                    .map(quasi_text)
                    .collect::<Vec<_>>()
                    .join("?"),
            ),
            other => literal_text(other),
        }
    }
}

impl FileFacts<'_> {
    /// Whether a value is a pool: `new Pool(..)`, `getPool()`, or
    /// `cached ?? new Pool(..)`.
    pub(super) fn makes_pool(&self, init: &Expr) -> bool {
        match unwrap(init) {
            Expr::New(new) => callee_name(&new.callee).is_some_and(|c| self.is_pool_class(c)),
            Expr::Await(AwaitExpr { arg, .. }) => self.makes_pool(arg),
            Expr::Call(call) => match &call.callee {
                Callee::Expr(callee) => callee_name(callee).is_some_and(|function| {
                    self.vocabulary.is_pool_factory(function)
                        || self.vocabulary.is_pool_creator(function)
                }),
                _ => false,
            },
            Expr::Bin(bin)
                if matches!(bin.op, BinaryOp::NullishCoalescing | BinaryOp::LogicalOr) =>
            {
                self.makes_pool(&bin.right)
            }
            _ => false,
        }
    }
}

impl Visit for FileFacts<'_> {
    /// `type Database = Pool`: a field typed `Database` holds a pool.
    fn visit_ts_type_alias_decl(&mut self, alias: &TsTypeAliasDecl) {
        if let TsType::TsTypeRef(TsTypeRef {
            type_name: TsEntityName::Ident(named),
            ..
        }) = &*alias.type_ann
            && self.is_pool_class(&named.sym)
        {
            self.pool_classes.insert(alias.id.sym.to_string());
        }
    }

    /// A Next.js Pages Router API route: `export default async function
    /// handler(req, res)`.
    fn visit_export_default_decl(&mut self, export: &ExportDefaultDecl) {
        if let DefaultDecl::Fn(function) = &export.decl
            && let [request, response, ..] = function.function.params.as_slice()
        {
            let named = |param: &Param, names: &[&str], type_name: &str| match &param.pat {
                Pat::Ident(binding) => {
                    names.contains(&binding.id.sym.as_str())
                        || matches!(
                            binding.type_ann.as_deref().map(|a| &*a.type_ann),
                            Some(TsType::TsTypeRef(TsTypeRef {
                                type_name: TsEntityName::Ident(ident),
                                ..
                            })) if ident.sym == type_name
                        )
                }
                _ => false,
            };
            if named(request, &["req", "request"], "NextApiRequest")
                && named(response, &["res", "response"], "NextApiResponse")
            {
                self.serves_requests = true;
            }
        }
        export.visit_children_with(self);
    }

    fn visit_class_decl(&mut self, decl: &ClassDecl) {
        let class = decl.ident.sym.to_string();
        if let Some(parent) = decl.class.super_class.as_deref().and_then(callee_name) {
            self.superclasses.insert(class.clone(), parent.to_string());
        }
        let constructor_body = decl.class.body.iter().find_map(|member| match member {
            ClassMember::Constructor(constructor) => Some(constructor.body.as_ref()),
            _ => None,
        });
        let stores_only = constructor_body
            .flatten()
            .is_none_or(|body| body.stmts.iter().all(only_stores));
        if decl.class.super_class.is_none() && stores_only {
            self.plain_classes.insert(class.clone());
        }
        if disposer_rolls_back(&decl.class, self.vocabulary) {
            self.rollback_disposers.insert(class.clone());
        }
        for member in &decl.class.body {
            match member {
                ClassMember::Constructor(constructor) => {
                    for param in &constructor.params {
                        if let ParamOrTsParamProp::TsParamProp(property) = param
                            && let TsParamPropParam::Ident(binding) = &property.param
                            && let Some(type_name) = type_name(binding.type_ann.as_deref())
                        {
                            self.field_classes
                                .insert((class.clone(), binding.id.sym.to_string()), type_name);
                        }
                    }
                    // `this.seeds = new SeedModel()`: the field's class, when
                    // no type says it.
                    let statements = constructor.body.iter().flat_map(|body| &body.stmts);
                    for (field, made) in statements.filter_map(field_construction) {
                        self.field_classes
                            .entry((class.clone(), field))
                            .or_insert(made);
                    }
                }
                ClassMember::ClassProp(property) => {
                    if let Some(type_name) = type_name(property.type_ann.as_deref()) {
                        self.field_classes
                            .insert((class.clone(), prop_name(&property.key)), type_name);
                    }
                    if let Some(Expr::New(new)) = property.value.as_deref().map(unwrap)
                        && let Some(made) = callee_name(&new.callee)
                    {
                        self.field_classes
                            .entry((class.clone(), prop_name(&property.key)))
                            .or_insert_with(|| made.to_string());
                    }
                    // `private pool = new sql.ConnectionPool(config)`
                    if let Some(value) = &property.value {
                        let field = format!("this.{}", prop_name(&property.key));
                        self.note_construction(&field, value);
                    }
                }
                _ => {}
            }
        }
        decl.visit_children_with(self);
    }

    fn visit_export_decl(&mut self, export: &ExportDecl) {
        let name = match &export.decl {
            Decl::Fn(function) => Some(function.ident.sym.to_string()),
            Decl::Var(var) => var.decls.first().and_then(|d| match &d.name {
                Pat::Ident(name) => Some(name.id.sym.to_string()),
                _ => None,
            }),
            _ => None,
        };
        // App Router handlers, and a Lambda-style `export const handler`.
        if name.is_some_and(|n| HTTP_METHODS.contains(&n.as_str()) || n == "handler") {
            self.serves_requests = true;
        }
        export.visit_children_with(self);
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        // `router.post('/orders', handler)`, `app.get('/health', ..)`
        if let Callee::Expr(callee) = &call.callee
            && let Some((_, method)) = member_parts(callee)
            && ROUTE_METHODS.contains(&method)
            && call
                .args
                .first()
                .and_then(|a| literal_text(&a.expr))
                .is_some_and(|path| path.starts_with('/'))
            && call.args.len() >= 2
        {
            self.serves_requests = true;
        }
        if let Callee::Expr(callee) = &call.callee
            && member_parts(callee).is_some_and(|(_, method)| method == "listen")
        {
            self.starts_server = true;
        }
        if let Callee::Expr(callee) = &call.callee
            && let Some((receiver, "begin")) = member_parts(callee)
            && call.args.len() <= 1
            && let Some(place) = place_of(receiver)
        {
            self.begun_by_call.insert(place);
        }
        if let Callee::Expr(callee) = &call.callee
            && let Some((receiver, method)) = member_parts(callee)
            && matches!(method, "on" | "once" | "addListener" | "prependListener")
            && call
                .args
                .first()
                .and_then(|a| literal_text(&a.expr))
                .as_deref()
                == Some("error")
            && let Some(place) = place_of(receiver)
        {
            self.error_listeners.insert(place);
        }
        call.visit_children_with(self);
    }

    fn visit_var_decl(&mut self, decl: &VarDecl) {
        for declarator in &decl.decls {
            let (Pat::Ident(name), Some(init)) = (&declarator.name, &declarator.init) else {
                continue;
            };
            let name = name.id.sym.to_string();
            if decl.kind == VarDeclKind::Const {
                if let Some(text) = literal_text(init) {
                    self.const_strings.insert(name.clone(), text);
                }
                // `const SQL = { begin: 'BEGIN', ... } as const`
                if let Expr::Object(object) = unwrap(init) {
                    for prop in &object.props {
                        if let PropOrSpread::Prop(prop) = prop
                            && let Prop::KeyValue(kv) = &**prop
                            && let Some(text) = literal_text(&kv.value)
                        {
                            self.const_strings
                                .insert(format!("{name}.{}", prop_name(&kv.key)), text);
                        }
                    }
                }
            }
            if decl.kind == VarDeclKind::Const && matches!(unwrap(init), Expr::Cond(_)) {
                let statements = self.statements(init);
                if !statements.is_empty() {
                    self.const_statements.insert(name.clone(), statements);
                }
            }
            if let Some(place) = place_of(init) {
                self.aliases.push((name.clone(), place));
            }
            self.note_construction(&name, init);
            if self.makes_pool(init) {
                self.pool_variables.insert(name);
            }
        }
        decl.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(name)) = &assign.left {
            if let Some(place) = place_of(&assign.right) {
                self.aliases.push((name.id.sym.to_string(), place));
            }
            self.note_construction(&name.id.sym, &assign.right);
        }
        // `this.pool = new sql.ConnectionPool(config)`
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left
            && let Some(target) = expr_path(&Expr::Member(member.clone()))
        {
            self.note_construction(&target, &assign.right);
        }
        // A serverless function's module: `module.exports = async (req,
        // res) => ..`, `exports.handler = async (event) => ..`.
        if let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left
            && let Some(target) = expr_path(&Expr::Member(member.clone()))
            && matches!(
                target.as_str(),
                "module.exports" | "module.exports.handler" | "exports.handler"
            )
            && (target.ends_with("handler") || handles_requests(&assign.right))
            && matches!(unwrap(&assign.right), Expr::Arrow(_) | Expr::Fn(_))
        {
            self.serves_requests = true;
        }
        assign.visit_children_with(self);
    }

    /// `export default async (req, res) => ..` (Vercel, Netlify functions).
    fn visit_export_default_expr(&mut self, export: &ExportDefaultExpr) {
        if handles_requests(&export.expr) {
            self.serves_requests = true;
        }
        export.visit_children_with(self);
    }
}

/// Whether a class's disposer rolls back: it calls a driver's rollback
/// (`this.raw.rollback()`), sends `ROLLBACK`, or calls a method of the
/// class that does (`if (this.inTx) await this.rollback()`).
fn disposer_rolls_back(class: &Class, vocabulary: &Vocabulary) -> bool {
    struct Rollbacks<'v> {
        vocabulary: &'v Vocabulary,
        found: bool,
        own_calls: Vec<String>,
    }
    impl Visit for Rollbacks<'_> {
        fn visit_call_expr(&mut self, call: &CallExpr) {
            if let Callee::Expr(callee) = &call.callee
                && let Some((object, method)) = member_parts(callee)
            {
                let effect = self.vocabulary.call_effect(method, call.args.len(), &[]);
                let sql = call.args.first().and_then(|arg| literal_text(&arg.expr));
                self.found |= effect.is_some_and(|e| e.effect == Effect::Rollback)
                    || sql.is_some_and(|sql| {
                        transaction_statements(&sql).contains(&TxStatement::Rollback)
                    });
                if matches!(unwrap(object), Expr::This(_)) {
                    self.own_calls.push(method.to_string());
                }
            }
            call.visit_children_with(self);
        }
    }
    let scan = |function: &Function| {
        let mut rollbacks = Rollbacks {
            vocabulary,
            found: false,
            own_calls: Vec::new(),
        };
        function.visit_with(&mut rollbacks);
        rollbacks
    };
    let methods: Vec<(&PropName, &Function)> = class
        .body
        .iter()
        .filter_map(|member| match member {
            ClassMember::Method(method) => Some((&method.key, &*method.function)),
            _ => None,
        })
        .collect();
    let is_disposer = |key: &PropName| {
        let PropName::Computed(computed) = key else {
            return false;
        };
        expr_path(&computed.expr)
            .is_some_and(|path| matches!(path.as_str(), "Symbol.asyncDispose" | "Symbol.dispose"))
    };
    methods
        .iter()
        .filter(|(key, _)| is_disposer(key))
        .any(|(_, disposer)| {
            let found = scan(disposer);
            found.found
                || found.own_calls.iter().any(|called| {
                    methods
                        .iter()
                        .any(|(key, method)| prop_name(key) == *called && scan(method).found)
                })
        })
}

/// `this.field = new Class(..);` as a statement: the field and the class.
fn field_construction(statement: &Stmt) -> Option<(String, String)> {
    let Stmt::Expr(ExprStmt { expr, .. }) = statement else {
        return None;
    };
    let Expr::Assign(assign) = &**expr else {
        return None;
    };
    let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left else {
        return None;
    };
    let field = expr_path(&Expr::Member(member.clone()))?
        .strip_prefix("this.")
        .filter(|field| !field.contains('.'))?
        .to_string();
    let Expr::New(new) = unwrap(&assign.right) else {
        return None;
    };
    Some((field, callee_name(&new.callee)?.to_string()))
}

/// A function of `(req, res)`: an HTTP handler.
pub(super) fn handles_requests(function: &Expr) -> bool {
    let names: Vec<String> = match unwrap(function) {
        Expr::Arrow(arrow) => arrow
            .params
            .iter()
            .filter_map(|p| p.as_ident().map(|i| i.id.sym.to_string()))
            .collect(),
        Expr::Fn(function) => function
            .function
            .params
            .iter()
            .filter_map(|p| p.pat.as_ident().map(|i| i.id.sym.to_string()))
            .collect(),
        _ => return false,
    };
    matches!(
        names.as_slice(),
        [request, response, ..]
            if matches!(request.as_str(), "req" | "request")
                && matches!(response.as_str(), "res" | "response")
    )
}

/// Names of route handlers a module exports (Next.js App Router).
pub(super) const HTTP_METHODS: &[&str] =
    &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Methods that register a route in Express, Koa Router, Fastify, Hono.
pub(super) const ROUTE_METHODS: &[&str] =
    &["get", "post", "put", "patch", "delete", "all", "route"];

/// `this.field = value` with a plain value: a statement that cannot throw.
fn only_stores(stmt: &Stmt) -> bool {
    let Stmt::Expr(ExprStmt { expr, .. }) = stmt else {
        return false;
    };
    let Expr::Assign(assign) = unwrap(expr) else {
        return false;
    };
    matches!(
        unwrap(&assign.right),
        Expr::Ident(_) | Expr::Lit(_) | Expr::This(_) | Expr::Array(_) | Expr::Object(_)
    ) && matches!(
        &assign.left,
        AssignTarget::Simple(SimpleAssignTarget::Member(_))
    )
}

/// The module's prologue holds the directive (`"use server";`).
fn starts_with_directive(program: &Program, directive: &str) -> bool {
    let statements: Vec<&Stmt> = match program {
        Program::Module(module) => module
            .body
            .iter()
            .map_while(|item| match item {
                ModuleItem::Stmt(statement) => Some(statement),
                ModuleItem::ModuleDecl(_) => None,
            })
            .collect(),
        Program::Script(script) => script.body.iter().collect(),
    };
    statements
        .iter()
        .map_while(|statement| match statement {
            Stmt::Expr(ExprStmt { expr, .. }) => match &**expr {
                Expr::Lit(Lit::Str(text)) => Some(text),
                _ => None,
            },
            _ => None,
        })
        .any(|text| text.value.to_string_lossy() == directive)
}
