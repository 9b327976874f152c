//! TypeScript/JavaScript front end: parses with `swc_ecma_parser` and lowers
//! every function-like thing (declarations, arrows, methods, the module body)
//! into a `FnFlow`. swc byte positions become file offsets here, once.

use std::collections::{BTreeSet, HashMap, HashSet};

use swc_common::{BytePos, Span as SwcSpan, Spanned};
use swc_ecma_ast::*;
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax};
use swc_ecma_visit::{Visit, VisitWith};

use super::{Import, LowerError, LoweredFile, MAX_NESTING, ModuleInterface, check_bracket_depth};
use crate::diagnostic::in_message_style;
use crate::drivers::{
    ArgumentShape, CallEffect, Effect, Receiver, StateQuestion, TxStatement, Vocabulary,
    transaction_statements,
};
use crate::flow::build::{BreakableKind, FlowBuilder};
use crate::flow::summary::{Summaries, Summary, summarize};
use crate::flow::{
    EventKind, ExitKind, FnFlow, Guard, Known, PoolConstruction, PoolScope, Returned, Test,
    UNNAMED_HANDLE,
};
use crate::source::{Language, Span};

/// swc reserves position 0; the file starts at 1.
const BASE: u32 = 1;

fn span_of(span: SwcSpan) -> Span {
    Span::new(
        span.lo.0.saturating_sub(BASE),
        span.hi.0.saturating_sub(BASE),
    )
}

/// Parse a file: the program, and a syntax error the parser recovered from.
fn parse(text: &str, language: Language) -> Result<(Program, Option<LowerError>), LowerError> {
    let syntax = match language {
        Language::Rust => {
            return Err(LowerError {
                span: Span::default(),
                message: "not a TypeScript or JavaScript file".to_string(),
            });
        }
        Language::TypeScript { tsx } => Syntax::Typescript(TsSyntax {
            tsx,
            decorators: true,
            ..Default::default()
        }),
        Language::JavaScript { jsx } => Syntax::Es(EsSyntax {
            jsx,
            decorators: true,
            decorators_before_export: true,
            auto_accessors: true,
            explicit_resource_management: true,
            allow_return_outside_function: true,
            ..Default::default()
        }),
    };
    check_bracket_depth(text)?;
    let end = BytePos(BASE + text.len() as u32);
    let mut parser = Parser::new(syntax, StringInput::new(text, BytePos(BASE), end), None);
    // swc can panic on some truncated input (a JavaScript class cut off
    // mid-body); that is a file it cannot parse, not a reason to stop.
    let parsed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let program = parser.parse_program();
        (program, parser.take_errors())
    }));
    let Ok((program, errors)) = parsed else {
        return Err(LowerError {
            span: Span::new(0, 0),
            message: "the parser failed on this file".to_string(),
        });
    };
    let program = program.map_err(|err| syntax_error(&err))?;
    let recovered_error = errors.first().map(syntax_error);
    Ok((program, recovered_error))
}

/// Parse only, for measuring the parser's share of a run: the syntax error,
/// if any.
pub(crate) fn parse_only(text: &str, language: Language) -> Option<LowerError> {
    match parse(text, language) {
        Ok((_, recovered)) => recovered,
        Err(error) => Some(error),
    }
}

pub(crate) fn lower_file(
    text: &str,
    language: Language,
    vocabulary: &Vocabulary,
    link: &dyn Fn(&ModuleInterface) -> Summaries,
) -> Result<LoweredFile, LowerError> {
    let (program, recovered_error) = parse(text, language)?;
    let interface = module_interface(&program);
    let helpers = link(&interface);
    // A file that names nothing to follow has nothing to lower (most files
    // of an app); only what it imports and exports matters to the others.
    let named = !vocabulary.words_at(text).is_empty()
        || helpers
            .keys()
            .any(|helper| text.contains(helper.rsplit('.').next().unwrap_or(helper)));
    if !named {
        return Ok(LoweredFile {
            flows: Vec::new(),
            recovered_error,
            interface,
        });
    }
    let mut file = FileFacts::collect(&program, vocabulary, text, &interface.imports);
    file.helpers = helpers;
    file.find_names();
    let mut flows = lower_program(&program, &file)?;
    // Helpers defined in this file change what calls to them mean: lower
    // again, knowing them.
    let own = own_summaries(&flows, &interface.instances);
    // No helper among them: no summary to export either.
    let mut summaries = Summaries::new();
    if !own.is_empty() {
        file.helpers.extend(own);
        file.find_names();
        flows = lower_program(&program, &file)?;
        summaries = flows
            .iter()
            .map(|flow| (flow.name.clone(), summarize(flow)))
            .filter(|(_, summary)| !summary.is_empty())
            .collect();
    }
    Ok(LoweredFile {
        flows,
        recovered_error,
        interface: ModuleInterface {
            summaries,
            called: file.called.into_inner().into_iter().collect(),
            ..interface
        },
    })
}

/// Summaries of this file's functions by every name this file calls them
/// by: `getClient`, `Repo.getClient` (as `this.getClient` inside `Repo`),
/// and `db.getClient` for `const db = new Repo()`.
fn own_summaries(flows: &[FnFlow], instances: &HashMap<String, String>) -> Summaries {
    let mut own = Summaries::new();
    for flow in flows {
        let summary = summarize(flow);
        if summary.is_empty() {
            continue;
        }
        if let Some((owner, method)) = flow.name.rsplit_once('.') {
            for (instance, _) in instances.iter().filter(|(_, class)| *class == owner) {
                own.insert(format!("{instance}.{method}"), summary.clone());
            }
        }
        own.insert(flow.name.clone(), summary);
    }
    own
}

/// What the module imports and exports, from its top-level statements
/// (ES modules and CommonJS `require` / `module.exports`).
fn module_interface(program: &Program) -> ModuleInterface {
    let mut interface = ModuleInterface::default();
    let items: Vec<&Stmt> = match program {
        Program::Script(script) => script.body.iter().collect(),
        Program::Module(module) => {
            let mut stmts = Vec::new();
            for item in &module.body {
                match item {
                    ModuleItem::Stmt(stmt) => stmts.push(stmt),
                    ModuleItem::ModuleDecl(decl) => module_decl(decl, &mut interface),
                }
            }
            stmts
        }
    };
    for stmt in items {
        match stmt {
            Stmt::Decl(Decl::Var(var)) => {
                for declarator in &var.decls {
                    top_level_binding(declarator, &mut interface);
                }
            }
            // `module.exports = { getClient }`, `exports.getClient = ..`
            Stmt::Expr(ExprStmt { expr, .. }) => {
                if let Expr::Assign(assign) = unwrap(expr)
                    && let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left
                    && let Some(place) = member_place(member)
                {
                    commonjs_export(&place, &assign.right, &mut interface);
                }
            }
            _ => {}
        }
    }
    // An exported instance's functions are its class's.
    for owner in interface.exports.values_mut() {
        if let Some(class) = interface.instances.get(owner.as_str()) {
            *owner = class.clone();
        }
    }
    interface
}

fn module_decl(decl: &ModuleDecl, interface: &mut ModuleInterface) {
    let name = |name: &ModuleExportName| match name {
        ModuleExportName::Ident(ident) => ident.sym.to_string(),
        ModuleExportName::Str(string) => string.value.to_string_lossy().into_owned(),
    };
    match decl {
        ModuleDecl::Import(import) => {
            let specifier = import.src.value.to_string_lossy().into_owned();
            for binding in &import.specifiers {
                let (local, imported) = match binding {
                    ImportSpecifier::Named(named) => (
                        named.local.sym.to_string(),
                        named
                            .imported
                            .as_ref()
                            .map_or_else(|| named.local.sym.to_string(), name),
                    ),
                    ImportSpecifier::Default(default) => {
                        (default.local.sym.to_string(), "default".to_string())
                    }
                    ImportSpecifier::Namespace(namespace) => {
                        (namespace.local.sym.to_string(), "*".to_string())
                    }
                };
                interface.imports.push(Import {
                    local,
                    imported,
                    specifier: specifier.clone(),
                });
            }
        }
        ModuleDecl::ExportDecl(export) => match &export.decl {
            Decl::Fn(function) => {
                let name = function.ident.sym.to_string();
                interface.exports.insert(name.clone(), name);
            }
            Decl::Class(class) => {
                let name = class.ident.sym.to_string();
                interface.exports.insert(name.clone(), name);
            }
            Decl::Var(var) => {
                for declarator in &var.decls {
                    top_level_binding(declarator, interface);
                    if let Pat::Ident(binding) = &declarator.name {
                        let name = binding.id.sym.to_string();
                        interface.exports.insert(name.clone(), name);
                    }
                }
            }
            _ => {}
        },
        ModuleDecl::ExportNamed(named) => {
            let from = named
                .src
                .as_ref()
                .map(|s| s.value.to_string_lossy().into_owned());
            for specifier in &named.specifiers {
                let (original, exported) = match specifier {
                    ExportSpecifier::Named(specifier) => {
                        let original = name(&specifier.orig);
                        let exported = specifier
                            .exported
                            .as_ref()
                            .map_or_else(|| original.clone(), name);
                        (original, exported)
                    }
                    ExportSpecifier::Namespace(namespace) => {
                        ("*".to_string(), name(&namespace.name))
                    }
                    ExportSpecifier::Default(default) => {
                        ("default".to_string(), default.exported.sym.to_string())
                    }
                };
                match &from {
                    // `export { getClient } from './pool'`: an import that
                    // is exported again.
                    Some(specifier) => {
                        let local = format!("<re-export {exported}>");
                        interface.imports.push(Import {
                            local: local.clone(),
                            imported: original,
                            specifier: specifier.clone(),
                        });
                        interface.exports.insert(exported, local);
                    }
                    None => {
                        interface.exports.insert(exported, original);
                    }
                }
            }
        }
        ModuleDecl::ExportAll(all) => {
            interface
                .reexports_all
                .push(all.src.value.to_string_lossy().into_owned());
        }
        ModuleDecl::ExportDefaultDecl(export) => {
            let local = match &export.decl {
                DefaultDecl::Fn(function) => function.ident.as_ref().map(|i| i.sym.to_string()),
                DefaultDecl::Class(class) => class.ident.as_ref().map(|i| i.sym.to_string()),
                DefaultDecl::TsInterfaceDecl(_) => None,
            };
            // An anonymous default export is lowered under `default`.
            interface
                .exports
                .insert("default".into(), local.unwrap_or_else(|| "default".into()));
        }
        ModuleDecl::ExportDefaultExpr(export) => {
            let local = match unwrap(&export.expr) {
                Expr::Ident(ident) => ident.sym.to_string(),
                Expr::Object(object) => {
                    interface.default_object = true;
                    for (key, local) in object_members(object) {
                        interface.exports.insert(format!("default.{key}"), local);
                    }
                    "default".to_string()
                }
                Expr::New(new) => match callee_name(&new.callee) {
                    Some(class) => class.to_string(),
                    None => return,
                },
                _ => "default".to_string(),
            };
            interface.exports.insert("default".into(), local);
        }
        _ => {}
    }
}

/// `module.exports = ..` or `exports.name = ..` (`module.exports.name`).
fn commonjs_export(place: &str, value: &Expr, interface: &mut ModuleInterface) {
    let name = if place == "module.exports" {
        None
    } else if let Some(name) = place
        .strip_prefix("module.exports.")
        .or_else(|| place.strip_prefix("exports."))
    {
        Some(name.to_string())
    } else {
        return;
    };
    interface.commonjs = true;
    match (name, unwrap(value)) {
        (None, Expr::Object(object)) => {
            interface.default_object = true;
            for (key, local) in object_members(object) {
                interface.exports.insert(key, local);
            }
        }
        // `module.exports = getClient`: the module is the function.
        (None, Expr::Ident(ident)) => {
            interface
                .exports
                .insert("default".into(), ident.sym.to_string());
        }
        (None, _) => {
            interface.exports.insert("default".into(), "default".into());
        }
        (Some(name), Expr::Ident(ident)) => {
            interface.exports.insert(name, ident.sym.to_string());
        }
        // Lowered under the name it is exported by (see `Collector`).
        (Some(name), _) => {
            interface.exports.insert(name.clone(), name);
        }
    }
}

/// The members of an exported object, each with the name of what runs
/// when it is called: `{ getClient }` and `{ acquire: getClient }` name a
/// function of the file, `{ getClient: async () => .. }` and
/// `{ async getClient() {..} }` are lowered under their key.
fn object_members(object: &ObjectLit) -> Vec<(String, String)> {
    let mut members = Vec::new();
    for prop in &object.props {
        let PropOrSpread::Prop(prop) = prop else {
            continue;
        };
        match &**prop {
            Prop::Shorthand(ident) => members.push((ident.sym.to_string(), ident.sym.to_string())),
            Prop::KeyValue(kv) => {
                let key = prop_name(&kv.key);
                let local = match unwrap(&kv.value) {
                    Expr::Ident(ident) => ident.sym.to_string(),
                    _ => key.clone(),
                };
                members.push((key, local));
            }
            Prop::Method(method) => {
                let key = prop_name(&method.key);
                members.push((key.clone(), key));
            }
            _ => {}
        }
    }
    members
}

/// `const db = new Database()` and `const { getClient } = require('./db')`
/// at the top level.
fn top_level_binding(declarator: &VarDeclarator, interface: &mut ModuleInterface) {
    let Some(init) = &declarator.init else { return };
    let init = match unwrap(init) {
        Expr::Await(AwaitExpr { arg, .. }) => unwrap(arg),
        other => other,
    };
    match (init, &declarator.name) {
        (Expr::New(new), Pat::Ident(binding)) => {
            if let Some(class) = callee_name(&new.callee) {
                interface
                    .instances
                    .insert(binding.id.sym.to_string(), class.to_string());
            }
        }
        (Expr::Call(call), pattern) => {
            let Callee::Expr(callee) = &call.callee else {
                return;
            };
            if !matches!(unwrap(callee), Expr::Ident(ident) if ident.sym == "require") {
                return;
            }
            let Some(specifier) = call.args.first().and_then(|a| literal_text(&a.expr)) else {
                return;
            };
            let mut import = |local: String, imported: String| {
                interface.imports.push(Import {
                    local,
                    imported,
                    specifier: specifier.clone(),
                });
            };
            match pattern {
                Pat::Ident(binding) => import(binding.id.sym.to_string(), "*".into()),
                Pat::Object(object) => {
                    for prop in &object.props {
                        match prop {
                            ObjectPatProp::Assign(assign) => {
                                let name = assign.key.sym.to_string();
                                import(name.clone(), name);
                            }
                            ObjectPatProp::KeyValue(kv) => {
                                if let Pat::Ident(local) = &*kv.value {
                                    import(local.id.sym.to_string(), prop_name(&kv.key));
                                }
                            }
                            ObjectPatProp::Rest(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

/// Every function-like thing of the program, `<module>` first.
fn lower_program(program: &Program, file: &FileFacts) -> Result<Vec<FnFlow>, LowerError> {
    let mut collector = Collector {
        file,
        prefix: Vec::new(),
        flows: Vec::new(),
        too_deep: None,
        entry_points: entry_points(program, file.text),
        implements: Vec::new(),
        managed_next: false,
    };
    let span = match program {
        Program::Module(module) => module.span,
        Program::Script(script) => script.span,
    };
    collector.lower("<module>".to_string(), span, &[], |lowerer| {
        lowerer.builder.set_errors_end_run();
        lowerer.module_scope = true;
        match program {
            Program::Module(module) => module
                .body
                .iter()
                .for_each(|item| lowerer.module_item(item)),
            Program::Script(script) => lowerer.stmts(script.body.iter()),
        }
    });
    program.visit_with(&mut collector);
    if let Some(span) = collector.too_deep {
        return Err(LowerError {
            span,
            message: format!("nesting too deep to analyse (more than {MAX_NESTING} levels)"),
        });
    }
    Ok(collector.flows)
}

/// swc's message in txlint's style: lowercase, no trailing period.
fn syntax_error(err: &swc_ecma_parser::error::Error) -> LowerError {
    let message = in_message_style(&err.kind().msg());
    let message = if message.is_empty() {
        "syntax error".to_string()
    } else {
        message
    };
    LowerError {
        span: span_of(err.span()),
        message,
    }
}

/// File-wide facts the lowering of each function needs.
struct FileFacts<'v> {
    /// `const NAME = 'text'` bindings, for SQL passed by name.
    const_strings: HashMap<String, String>,
    /// Variables bound to `new Pool(...)`.
    pool_variables: HashSet<String>,
    /// Places with an `'error'` listener (`pool.on('error', ..)`).
    error_listeners: HashSet<String>,
    /// The module exports route handlers (`export async function POST`) or
    /// registers routes (`router.post('/orders', ..)`).
    serves_requests: bool,
    vocabulary: &'v Vocabulary,
    /// Functions whose calls stand for an acquire or a release, by the
    /// name a call uses (this file's own and imported ones).
    helpers: Summaries,
    /// The last names of the functions and methods the lowered code calls,
    /// whatever they turned out to be: a helper that becomes known later
    /// matters to this file only if its name is among them.
    called: std::cell::RefCell<std::collections::BTreeSet<String>>,
    text: &'v str,
    /// Offsets, in order, where something to follow is named: a word of the
    /// vocabulary, a pool variable of this file, or a helper.
    named_at: Vec<u32>,
    /// `class A extends B`: A's superclass, by name.
    superclasses: HashMap<String, String>,
    /// Local names of pool classes (`import { Pool as PgPool } from 'pg'`).
    pool_classes: HashSet<String>,
    /// `a = b` between places anywhere in the file: the same object under
    /// two names (`pool = global.pgPool`).
    aliases: Vec<(String, String)>,
    /// `const END = dryRun ? 'ROLLBACK' : 'COMMIT'`: what such a constant
    /// runs, when both sides agree.
    const_statements: HashMap<String, Vec<TxStatement>>,
    /// `(class, field)` to the class named by the field's type
    /// (`constructor(private readonly db: DatabaseService)`).
    field_classes: HashMap<(String, String), String>,
}

impl<'v> FileFacts<'v> {
    fn collect(
        program: &Program,
        vocabulary: &'v Vocabulary,
        text: &'v str,
        imports: &[Import],
    ) -> FileFacts<'v> {
        // `import { Pool as PgPool } from 'pg'`
        let pool_classes = imports
            .iter()
            .filter(|import| vocabulary.is_pool_constructor(&import.imported))
            .map(|import| import.local.clone())
            .collect();
        let mut facts = FileFacts {
            const_strings: HashMap::new(),
            pool_variables: HashSet::new(),
            error_listeners: HashSet::new(),
            serves_requests: false,
            vocabulary,
            helpers: Summaries::new(),
            called: Default::default(),
            text,
            named_at: Vec::new(),
            superclasses: HashMap::new(),
            field_classes: HashMap::new(),
            pool_classes,
            aliases: Vec::new(),
            const_statements: HashMap::new(),
        };
        program.visit_with(&mut facts);
        facts
    }

    fn is_pool_class(&self, class: &str) -> bool {
        self.vocabulary.is_pool_constructor(class) || self.pool_classes.contains(class)
    }

    /// Whether the pool held by `name` has an `'error'` listener, under that
    /// name or another the file gives the same object.
    fn has_error_listener(&self, name: &str) -> bool {
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
    fn class_member(&self, class: &str, member: &str) -> Option<String> {
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
    fn may_matter(&self, span: SwcSpan) -> bool {
        let span = span_of(span);
        let first = self.named_at.partition_point(|&at| at < span.start);
        self.named_at.get(first).is_some_and(|&at| at < span.end)
    }

    /// Find where things to follow are named, once the helpers are known.
    fn find_names(&mut self) {
        let mut named_at = self.vocabulary.words_at(self.text);
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
    fn statements(&self, expr: &Expr) -> Vec<TxStatement> {
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
    fn sql_text(&self, expr: &Expr) -> Option<String> {
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
            other => literal_text(other),
        }
    }
}

impl FileFacts<'_> {
    /// Whether a value is a pool: `new Pool(..)`, `getPool()`, or
    /// `cached ?? new Pool(..)`.
    fn makes_pool(&self, init: &Expr) -> bool {
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
        let typed = |annotation: Option<&TsTypeAnn>| match annotation.map(|a| &*a.type_ann) {
            Some(TsType::TsTypeRef(reference)) => match &reference.type_name {
                TsEntityName::Ident(ident) => Some(ident.sym.to_string()),
                _ => None,
            },
            _ => None,
        };
        for member in &decl.class.body {
            match member {
                ClassMember::Constructor(constructor) => {
                    for param in &constructor.params {
                        if let ParamOrTsParamProp::TsParamProp(property) = param
                            && let TsParamPropParam::Ident(binding) = &property.param
                            && let Some(type_name) = typed(binding.type_ann.as_deref())
                        {
                            self.field_classes
                                .insert((class.clone(), binding.id.sym.to_string()), type_name);
                        }
                    }
                }
                ClassMember::ClassProp(property) => {
                    if let Some(type_name) = typed(property.type_ann.as_deref()) {
                        self.field_classes
                            .insert((class.clone(), prop_name(&property.key)), type_name);
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
            if self.makes_pool(init) {
                self.pool_variables.insert(name);
            }
        }
        decl.visit_children_with(self);
    }

    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        if let AssignTarget::Simple(SimpleAssignTarget::Ident(name)) = &assign.left
            && let Some(place) = place_of(&assign.right)
        {
            self.aliases.push((name.id.sym.to_string(), place));
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

/// A function of `(req, res)`: an HTTP handler.
fn handles_requests(function: &Expr) -> bool {
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
const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Methods that register a route in Express, Koa Router, Fastify, Hono.
const ROUTE_METHODS: &[&str] = &["get", "post", "put", "patch", "delete", "all", "route"];

/// Finds every function-like node, names it as a user would, and lowers it.
struct Collector<'a> {
    file: &'a FileFacts<'a>,
    /// Enclosing class or object names, for `Class.method`.
    prefix: Vec<String>,
    flows: Vec<FnFlow>,
    too_deep: Option<Span>,
    /// Functions the module's top level calls, and whether each is a
    /// script's entry point (see `entry_points`).
    entry_points: HashMap<String, bool>,
    /// The interfaces each enclosing class implements, innermost last.
    implements: Vec<Vec<String>>,
    /// The function about to be lowered runs inside a transaction its
    /// framework rolls back when it throws (see `ManagedCode`).
    managed_next: bool,
}

/// Test hooks that set up state their teardown hooks undo, also when the
/// setup fails (`beforeEach` BEGIN, `afterEach` ROLLBACK).
const SETUP_HOOKS: &[&str] = &["beforeEach", "beforeAll", "before", "setup"];

/// Test suites whose body runs once, when the file loads.
const TEST_SUITES: &[&str] = &["describe", "suite", "context"];

/// Functions the top level (also inside a top-level `if`) starts in a way
/// that ends the process when they fail: `await main()`, or
/// `main().catch(handler)` whose handler exits (`process.exit`,
/// `process.exitCode`) or re-throws. A failure logged and swallowed
/// (`f().catch(console.error)`) or never handled (`f()`) may leave a
/// server running with the transaction open: those are ordinary functions.
/// Returns, for each function the top level calls, whether it is such an
/// entry point.
fn entry_points(program: &Program, text: &str) -> HashMap<String, bool> {
    let ends_process = |handler: &ExprOrSpread| {
        let span = span_of(handler.expr.span());
        let body = text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default();
        body.contains("process.exit") || body.contains("throw ")
    };
    let called = |expr: &Expr| -> Option<(String, bool)> {
        let mut awaited = false;
        let mut handled_by_exit = false;
        let mut expr = unwrap(expr);
        loop {
            expr = match expr {
                Expr::Await(await_expr) => {
                    awaited = true;
                    unwrap(&await_expr.arg)
                }
                Expr::Unary(UnaryExpr {
                    op: UnaryOp::Void,
                    arg,
                    ..
                }) => unwrap(arg),
                Expr::Call(CallExpr {
                    callee: Callee::Expr(callee),
                    args,
                    ..
                }) => match unwrap(callee) {
                    Expr::Ident(function) => {
                        return Some((function.sym.to_string(), awaited || handled_by_exit));
                    }
                    Expr::Member(member) => {
                        let MemberProp::Ident(method) = &member.prop else {
                            return None;
                        };
                        let on_rejected = match method.sym.as_str() {
                            "catch" => args.first(),
                            "then" => args.get(1),
                            "finally" => None,
                            _ => return None,
                        };
                        handled_by_exit |= on_rejected.is_some_and(ends_process);
                        unwrap(&member.obj)
                    }
                    _ => return None,
                },
                _ => return None,
            }
        }
    };
    fn scan(
        stmt: &Stmt,
        found: &mut HashMap<String, bool>,
        called: &dyn Fn(&Expr) -> Option<(String, bool)>,
    ) {
        match stmt {
            // `(async () => { await setup() })()`: what its body starts
            // runs once too, its failure unhandled.
            Stmt::Expr(expr) if let Some(body) = invoked_at_once(&expr.expr) => {
                let mut inner = HashMap::new();
                body.iter().for_each(|s| scan(s, &mut inner, called));
                for function in inner.into_keys() {
                    found.entry(function).or_insert(false);
                }
            }
            // `try { await install() } catch (e) { .. }` inside one.
            Stmt::Try(try_stmt) => {
                try_stmt
                    .block
                    .stmts
                    .iter()
                    .for_each(|s| scan(s, found, called));
            }
            Stmt::Expr(expr) => {
                if let Some((function, ends_process)) = called(&expr.expr) {
                    found.insert(function, ends_process);
                }
            }
            Stmt::If(if_stmt) => {
                scan(&if_stmt.cons, found, called);
                if let Some(alt) = &if_stmt.alt {
                    scan(alt, found, called);
                }
            }
            Stmt::Block(block) => block.stmts.iter().for_each(|s| scan(s, found, called)),
            _ => {}
        }
    }
    let mut found = HashMap::new();
    match program {
        Program::Module(module) => module
            .body
            .iter()
            .filter_map(|i| i.as_stmt())
            .for_each(|s| scan(s, &mut found, &called)),
        Program::Script(script) => script
            .body
            .iter()
            .for_each(|s| scan(s, &mut found, &called)),
    }
    found
}

impl Collector<'_> {
    fn lower<'p>(
        &mut self,
        name: String,
        span: SwcSpan,
        params: impl IntoIterator<Item = &'p Pat>,
        body: impl FnOnce(&mut Lowerer),
    ) {
        // Most functions of most files never touch a database.
        if name != "<module>" && !self.file.may_matter(span) {
            return;
        }
        let runs_once = self.entry_points.contains_key(&name);
        let managed = std::mem::take(&mut self.managed_next);
        let errors_end_run = managed
            || self.entry_points.get(&name) == Some(&true)
            || name
                .strip_suffix(" callback")
                .is_some_and(|callee| SETUP_HOOKS.contains(&callee));
        // A test suite's body runs once, when the file loads: its variables
        // are module state.
        let suite_body = name
            .strip_suffix(" callback")
            .is_some_and(|callee| TEST_SUITES.contains(&callee));
        let mut lowerer = Lowerer::new(self.file, name, span_of(span));
        if errors_end_run {
            lowerer.builder.set_errors_end_run();
        }
        lowerer.module_scope = suite_body;
        lowerer.runs_once = runs_once;
        for param in params {
            lowerer.builder.param(param_name(param));
            lowerer.declare_pattern(param, true);
        }
        body(&mut lowerer);
        if let Some(span) = lowerer.too_deep {
            self.too_deep.get_or_insert(span);
        }
        let end = Span::new(span_of(span).end.saturating_sub(1), span_of(span).end);
        self.flows.push(lowerer.builder.finish(end));
    }

    fn lower_function(&mut self, name: String, function: &Function) {
        let Some(body) = &function.body else { return };
        self.lower(
            name,
            function.span,
            function.params.iter().map(|p| &p.pat),
            |lowerer| {
                lowerer.collect_released(body);
                lowerer.stmts(body.stmts.iter());
            },
        );
        function.visit_children_with(self);
    }

    fn lower_arrow(&mut self, name: String, arrow: &ArrowExpr) {
        self.lower(name, arrow.span, arrow.params.iter(), |lowerer| {
            lowerer.collect_released(&*arrow.body);
            match &*arrow.body {
                ArrowFunctionBody::FunctionBody(body) => lowerer.stmts(body.stmts.iter()),
                ArrowFunctionBody::Expr(expr) => {
                    let value = lowerer.expr(expr);
                    lowerer.return_value(value, expr.span());
                    lowerer
                        .builder
                        .return_(span_of(expr.span()), ExitKind::Normal);
                }
            }
        });
        arrow.visit_children_with(self);
    }

    /// Lower a function-valued expression under `name`; false if `expr` is
    /// not one.
    fn lower_named(&mut self, name: String, expr: &Expr) -> bool {
        match unwrap(expr) {
            Expr::Arrow(arrow) => self.lower_arrow(name, arrow),
            Expr::Fn(function) => self.lower_function(name, &function.function),
            Expr::Class(class) => {
                self.prefix.push(name);
                class.class.visit_with(self);
                self.prefix.pop();
            }
            Expr::Object(object) => {
                self.prefix.push(name);
                object.visit_with(self);
                self.prefix.pop();
            }
            _ => return false,
        }
        true
    }

    fn member_name(&self, key: &str) -> String {
        match self.prefix.last() {
            Some(owner) => format!("{owner}.{key}"),
            None => key.to_string(),
        }
    }
}

impl Visit for Collector<'_> {
    fn visit_fn_decl(&mut self, decl: &FnDecl) {
        self.lower_function(decl.ident.sym.to_string(), &decl.function);
    }

    fn visit_fn_expr(&mut self, expr: &FnExpr) {
        let name = expr
            .ident
            .as_ref()
            .map_or("<anonymous>".to_string(), |i| i.sym.to_string());
        self.lower_function(name, &expr.function);
    }

    fn visit_arrow_expr(&mut self, arrow: &ArrowExpr) {
        self.lower_arrow("<anonymous>".to_string(), arrow);
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let (Pat::Ident(name), Some(init)) = (&declarator.name, &declarator.init)
            && self.lower_named(name.id.sym.to_string(), init)
        {
            return;
        }
        declarator.visit_children_with(self);
    }

    /// CommonJS exports are lowered under the names importers call them
    /// by: `exports.getClient = async () => ..` as `getClient`, and the
    /// functions of `module.exports = { getClient: .. }` by their keys.
    fn visit_assign_expr(&mut self, assign: &AssignExpr) {
        let place = match &assign.left {
            AssignTarget::Simple(SimpleAssignTarget::Member(member)) => member_place(member),
            _ => None,
        };
        match (place.as_deref(), unwrap(&assign.right)) {
            (Some("module.exports"), Expr::Object(object)) => {
                for prop in &object.props {
                    if let PropOrSpread::Prop(prop) = prop {
                        match &**prop {
                            Prop::KeyValue(kv) if is_nameable(&kv.value) => {
                                if !self.lower_named(prop_name(&kv.key), &kv.value) {
                                    kv.value.visit_with(self);
                                }
                            }
                            Prop::Method(method) => {
                                self.lower_function(prop_name(&method.key), &method.function);
                            }
                            _ => prop.visit_with(self),
                        }
                    }
                }
                return;
            }
            (Some("module.exports"), value) if self.lower_named("default".into(), value) => return,
            (Some(place), value) => {
                if let Some(name) = place
                    .strip_prefix("module.exports.")
                    .or_else(|| place.strip_prefix("exports."))
                    && self.lower_named(name.to_string(), value)
                {
                    return;
                }
            }
            _ => {}
        }
        assign.visit_children_with(self);
    }

    /// `export default async function () {..}` is called as `default` by
    /// whoever imports it.
    fn visit_export_default_decl(&mut self, export: &ExportDefaultDecl) {
        match &export.decl {
            DefaultDecl::Fn(FnExpr {
                ident: None,
                function,
            }) => self.lower_function("default".into(), function),
            _ => export.visit_children_with(self),
        }
    }

    fn visit_export_default_expr(&mut self, export: &ExportDefaultExpr) {
        if !self.lower_named("default".to_string(), &export.expr) {
            export.visit_children_with(self);
        }
    }

    fn visit_call_expr(&mut self, call: &CallExpr) {
        call.callee.visit_with(self);
        let callee = match &call.callee {
            Callee::Expr(callee) => expr_path(callee),
            _ => None,
        };
        for arg in &call.args {
            let named = callee.as_ref().is_some_and(|callee| {
                is_nameable(&arg.expr) && self.lower_named(format!("{callee} callback"), &arg.expr)
            });
            if !named {
                arg.visit_with(self);
            }
        }
    }

    fn visit_class_decl(&mut self, decl: &ClassDecl) {
        self.prefix.push(decl.ident.sym.to_string());
        self.implements.push(implemented(&decl.class));
        decl.class.visit_with(self);
        self.implements.pop();
        self.prefix.pop();
    }

    fn visit_class_expr(&mut self, expr: &ClassExpr) {
        let name = expr
            .ident
            .as_ref()
            .map_or("<class>".to_string(), |i| i.sym.to_string());
        self.prefix.push(name);
        self.implements.push(implemented(&expr.class));
        expr.class.visit_with(self);
        self.implements.pop();
        self.prefix.pop();
    }

    fn visit_class_method(&mut self, method: &ClassMethod) {
        let name = prop_name(&method.key);
        let decorators: Vec<String> = method
            .function
            .decorators
            .iter()
            .filter_map(|d| match unwrap(&d.expr) {
                // `@Transaction('manual')`
                Expr::Call(CallExpr {
                    callee: Callee::Expr(callee),
                    ..
                }) => callee_name(callee).map(str::to_string),
                other => callee_name(other).map(str::to_string),
            })
            .collect();
        let interfaces = self.implements.last().map_or(&[][..], Vec::as_slice);
        self.managed_next = self
            .file
            .vocabulary
            .is_managed(interfaces, &name, &decorators);
        self.lower_function(self.member_name(&name), &method.function);
        self.managed_next = false;
    }

    fn visit_private_method(&mut self, method: &PrivateMethod) {
        let name = self.member_name(&format!("#{}", method.key.name));
        self.lower_function(name, &method.function);
    }

    fn visit_constructor(&mut self, constructor: &Constructor) {
        let Some(body) = &constructor.body else {
            return;
        };
        let params = constructor.params.iter().filter_map(|p| match p {
            ParamOrTsParamProp::Param(param) => Some(&param.pat),
            ParamOrTsParamProp::TsParamProp(_) => None,
        });
        self.lower(
            self.member_name("constructor"),
            constructor.span,
            params,
            |lowerer| {
                lowerer.collect_released(body);
                lowerer.stmts(body.stmts.iter());
            },
        );
        constructor.visit_children_with(self);
    }

    fn visit_class_prop(&mut self, prop: &ClassProp) {
        if let Some(value) = &prop.value
            && self.lower_named(self.member_name(&prop_name(&prop.key)), value)
        {
            return;
        }
        prop.visit_children_with(self);
    }

    fn visit_method_prop(&mut self, method: &MethodProp) {
        self.lower_function(self.member_name(&prop_name(&method.key)), &method.function);
    }

    fn visit_getter_prop(&mut self, getter: &GetterProp) {
        self.lower_function(self.member_name(&prop_name(&getter.key)), &getter.function);
    }

    fn visit_key_value_prop(&mut self, prop: &KeyValueProp) {
        if !self.lower_named(self.member_name(&prop_name(&prop.key)), &prop.value) {
            prop.visit_children_with(self);
        }
    }
}

/// What an expression evaluates to, as far as handles go.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Nothing,
    /// A variable or field path that may name a handle.
    Place(String),
    /// A freshly checked-out client (`await pool.connect()`); `certain` is
    /// false when the receiver does not look like a pool, and the result
    /// counts only if the function releases it somewhere.
    Acquired {
        span: Span,
        certain: bool,
        /// The method that checked it out (`createQueryRunner`).
        via: String,
    },
    /// A transaction object that holds its connection until it is
    /// committed or rolled back (`await knex.transaction()`); `span` is the
    /// call that begins it.
    Transaction {
        span: Span,
    },
}

/// What `Collector::lower_named` lowers under a name of its own.
fn is_nameable(expr: &Expr) -> bool {
    matches!(
        unwrap(expr),
        Expr::Arrow(_) | Expr::Fn(_) | Expr::Class(_) | Expr::Object(_)
    )
}

/// Whether the value is built here: `new X(..)`, or `cached ?? new X(..)`.
fn constructed(expr: &Expr) -> bool {
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
fn bound_call(init: &Expr) -> Option<Span> {
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
fn param_name(param: &Pat) -> Option<String> {
    match param {
        Pat::Ident(name) => Some(name.id.sym.to_string()),
        Pat::Assign(assign) => param_name(&assign.left),
        _ => None,
    }
}

/// `{ isolationLevel: 'serializable' }`, or `null` where a callback could
/// go (`knex.transaction(null, config)`): not a callback.
fn is_options_object(expr: &Expr) -> bool {
    match unwrap(expr) {
        Expr::Object(_) | Expr::Lit(Lit::Null(_)) => true,
        Expr::Ident(ident) => ident.sym == "undefined",
        _ => false,
    }
}

/// Calls that do not throw in practice and keep nothing they are given:
/// logging, timers and pure built-ins. Anything else may throw.
fn is_quiet_call(callee: &str) -> bool {
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
    let receiver = receiver
        .rsplit('.')
        .next()
        .unwrap_or(receiver)
        .to_ascii_lowercase();
    // Loggers by convention, and the common logging packages called by
    // their import names.
    const LOGGERS: &[&str] = &["log", "winston", "pino", "bunyan", "consola", "signale"];
    LOG_METHODS.contains(&method)
        && (receiver.ends_with("logger") || LOGGERS.contains(&receiver.as_str()))
}

/// Built-in functions that throw on malformed input, wherever called.
fn throws_on_bad_input(callee: &str) -> bool {
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
    THROWING.contains(&callee)
}

/// Constructors that do not throw for the arguments code passes them.
fn is_quiet_constructor(class: &str) -> bool {
    const QUIET: &[&str] = &[
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

/// Lowers one function body into the builder.
struct Lowerer<'a> {
    file: &'a FileFacts<'a>,
    builder: FlowBuilder,
    /// Names declared in this function (parameters included): assigning to
    /// anything else stores outside the function.
    locals: HashSet<String>,
    parameters: HashSet<String>,
    /// Places released somewhere in this function (nested closures too):
    /// evidence that `x.connect()`'s result is a pooled client.
    released: HashSet<String>,
    /// The method that checked out each handle, for vocabulary entries
    /// that apply only to what one method returns.
    acquired_via: HashMap<String, String>,
    depth: usize,
    too_deep: Option<Span>,
    /// Labels of inline promise callbacks being lowered; `return` inside one
    /// leaves the callback, not the function.
    callback_labels: Vec<String>,
    /// Lowering a module's top level, whose variables are module state.
    module_scope: bool,
    /// Closures of this function by name, with what they do to our places.
    local_functions: HashMap<String, Vec<(String, EndEffect)>>,
    /// Catch clause parameters: a caught error is an object in practice, so
    /// `failure = err` makes `if (failure)` true.
    caught_errors: HashSet<String>,
    /// The call an expression statement makes and drops the result of.
    floating_call: Option<Span>,
    /// The place the expression being lowered is assigned to, for naming a
    /// pool constructed there.
    assigned_to: Option<String>,
    /// Lowering an object or array literal that is a call's argument.
    in_argument_literal: bool,
    /// The call whose result the statement being lowered keeps
    /// (`const trx = await Model.startTransaction()`).
    bound_call: Option<Span>,
    /// The call whose result a method is called on, being lowered.
    chained_call: Option<Span>,
    /// Places that hold a transaction object or were begun through a
    /// driver's API here: known handles, whose unawaited statements float.
    begun_here: HashSet<String>,
    /// Lowering a catch or finally clause (or a `.catch`/`.finally`
    /// callback), where a synchronous plain function call is taken not to
    /// throw (see `Lowerer::call`).
    in_error_handler: usize,
    /// The call an `await` being lowered awaits.
    awaited_call: Option<Span>,
    /// The call an expression statement makes (`await conn.beginTransaction();`).
    statement_call: Option<Span>,
    /// The module's top level calls this function, once, when it loads.
    runs_once: bool,
}

impl<'a> Lowerer<'a> {
    fn new(file: &'a FileFacts<'a>, name: String, span: Span) -> Self {
        Lowerer {
            file,
            builder: FlowBuilder::new(name, span),
            locals: HashSet::new(),
            parameters: HashSet::new(),
            released: HashSet::new(),
            acquired_via: HashMap::new(),
            depth: 0,
            too_deep: None,
            callback_labels: Vec::new(),
            module_scope: false,
            local_functions: HashMap::new(),
            caught_errors: HashSet::new(),
            floating_call: None,
            assigned_to: None,
            in_argument_literal: false,
            bound_call: None,
            chained_call: None,
            begun_here: HashSet::new(),
            in_error_handler: 0,
            awaited_call: None,
            statement_call: None,
            runs_once: false,
        }
    }

    fn collect_released<N: for<'f> VisitWith<EffectScan<'f>>>(&mut self, node: &N) {
        self.released = EffectScan::of(self.file, node)
            .into_iter()
            .filter(|(_, effect)| *effect == EndEffect::Release)
            .map(|(place, _)| place)
            .collect();
    }

    fn declare_pattern(&mut self, pattern: &Pat, parameter: bool) {
        match pattern {
            Pat::Ident(name) => {
                self.locals.insert(name.id.sym.to_string());
                if parameter {
                    self.parameters.insert(name.id.sym.to_string());
                }
            }
            Pat::Assign(assign) => self.declare_pattern(&assign.left, parameter),
            Pat::Array(array) => {
                for element in array.elems.iter().flatten() {
                    self.declare_pattern(element, false);
                }
            }
            Pat::Object(object) => {
                for prop in &object.props {
                    match prop {
                        ObjectPatProp::KeyValue(kv) => self.declare_pattern(&kv.value, false),
                        ObjectPatProp::Assign(assign) => {
                            self.locals.insert(assign.key.id.sym.to_string());
                        }
                        ObjectPatProp::Rest(rest) => self.declare_pattern(&rest.arg, false),
                    }
                }
            }
            Pat::Rest(rest) => self.declare_pattern(&rest.arg, false),
            Pat::Expr(_) | Pat::Invalid(_) => {}
            #[allow(unreachable_patterns)]
            _ => {}
        }
    }

    /// Guards recursion on deeply nested input; false means stop descending.
    fn enter(&mut self, span: SwcSpan) -> bool {
        if self.depth >= MAX_NESTING {
            self.too_deep.get_or_insert(span_of(span));
            return false;
        }
        self.depth += 1;
        true
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn handle_event(&mut self, kind: EventKind, place: &str, span: Span) {
        if matches!(kind, EventKind::Escape | EventKind::HandedOff) {
            self.builder.pool_kept(place);
        }
        let handle = self.builder.handle(place);
        self.builder.event(kind, handle, span);
    }

    /// A statement runs through `place`: it is a database handle.
    fn query_through(&mut self, place: &str, span: Span) {
        let handle = self.builder.handle(place);
        self.builder.mark_queried(handle);
        self.builder.event(EventKind::Use, handle, span);
    }

    /// `queryRunner.isTransactionActive`, `trx.isCompleted()`.
    fn transaction_state_test(&mut self, test: &Expr) -> Option<Guard> {
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

    fn guard_for(&mut self, place: &str, test: Test, holds: bool) -> Guard {
        Guard {
            place: self.builder.handle(place),
            test,
            holds,
        }
    }

    /// Tell the engine what is known of the value just assigned to `place`,
    /// so that later tests of it (`if (!committed)`) follow the path.
    fn assign(&mut self, place: &str, value: &Value, expr: Option<&Expr>, span: SwcSpan) {
        let known = match (value, expr.map(unwrap)) {
            (Value::Acquired { .. }, _) => return,
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

    // ---- statements ----

    /// Top-level code of a module: statements, and the initialisers of
    /// exported variables and default exports.
    fn module_item(&mut self, item: &ModuleItem) {
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

    fn stmts<'s>(&mut self, stmts: impl Iterator<Item = &'s Stmt> + Clone) {
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
        for stmt in stmts {
            self.stmt(stmt);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        if !self.enter(stmt.span()) {
            return;
        }
        self.stmt_inner(stmt, None);
        self.leave();
    }

    fn stmt_inner(&mut self, stmt: &Stmt, label: Option<String>) {
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
                // releases it at the end of the scope.
                for declarator in &decl.decls {
                    self.declarator(declarator);
                    if let Pat::Ident(name) = &declarator.name {
                        self.handle_event(
                            EventKind::HandedOff,
                            &name.id.sym,
                            span_of(declarator.span),
                        );
                    }
                }
            }
            Stmt::Decl(_) => {}
            Stmt::Return(ret) => {
                if let Some(arg) = &ret.arg {
                    let value = self.expr(arg);
                    self.return_value(value, arg.span());
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

    fn loop_body(
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

    fn for_each(
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

    fn switch(&mut self, switch: &SwitchStmt, label: Option<String>) {
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

    fn try_stmt(&mut self, try_stmt: &TryStmt) {
        let catch_clause = try_stmt.handler.as_ref().map(|h| span_of(h.span));
        let token = self
            .builder
            .try_start(catch_clause, try_stmt.finalizer.is_some());
        self.stmts(try_stmt.block.stmts.iter());
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
        self.builder.try_end(token);
    }

    fn var_decl(&mut self, decl: &VarDecl) {
        for declarator in &decl.decls {
            self.declarator(declarator);
        }
    }

    fn declarator(&mut self, declarator: &VarDeclarator) {
        self.declare_pattern(&declarator.name, false);
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
        // `const pool = new Pool(..)` names the pool it constructs.
        self.assigned_to = match (&declarator.name, constructed(init)) {
            (Pat::Ident(name), true) => Some(name.id.sym.to_string()),
            _ => None,
        };
        self.bound_call = bound_call(init);
        let value = self.expr(init);
        self.assigned_to = None;
        self.bound_call = None;
        match &declarator.name {
            Pat::Ident(name) => {
                self.assign(&name.id.sym, &value, Some(init), init.span());
                self.bind(&name.id.sym, value, init.span(), self.module_scope)
            }
            _ => self.escape(value, init.span()),
        }
    }

    /// `place = value`: an acquired client becomes the place's handle; a
    /// handle copied anywhere leaves our tracking; `outside` places (fields,
    /// variables of an enclosing scope) hold what escapes.
    fn bind(&mut self, place: &str, value: Value, value_span: SwcSpan, outside: bool) {
        match value {
            Value::Acquired { span, certain, via } => {
                if certain || self.released.contains(place) {
                    self.acquired_via.insert(place.to_string(), via);
                    self.handle_event(EventKind::Acquire, place, span);
                    if outside {
                        self.handle_event(EventKind::Escape, place, span_of(value_span));
                    }
                }
            }
            Value::Transaction { span } => {
                self.begun_here.insert(place.to_string());
                self.handle_event(EventKind::Begin, place, span);
                if outside {
                    self.handle_event(EventKind::Escape, place, span_of(value_span));
                }
            }
            other => self.escape(other, value_span),
        }
    }

    /// `new Pool({..})`: record what its visible options say.
    /// Where a pool is made in this function, `new Pool(..)` or
    /// `mysql.createPool(..)`, and how long it lives.
    fn pool_scope(&mut self) -> (Option<String>, PoolScope) {
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
    fn pool_creation(&mut self, span: Span) {
        let (name, scope) = self.pool_scope();
        self.builder.pool_construction(PoolConstruction {
            span,
            name,
            bounded_wait: None,
            error_listener: None,
            scope,
            closed: false,
            in_request_module: self.file.serves_requests,
        });
    }

    fn pool_construction(&mut self, new: &NewExpr, name: Option<String>, scope: PoolScope) {
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
            in_request_module: self.file.serves_requests,
        });
    }

    /// A checked-out client that is not kept (`await pool.connect();` as a
    /// statement, `(await pool.connect()).query(..)`) can never be released.
    fn discard(&mut self, value: Value) {
        if let Value::Acquired {
            span,
            certain: true,
            ..
        } = value
        {
            self.handle_event(EventKind::Acquire, UNNAMED_HANDLE, span);
        }
    }

    /// `return value`: a returned handle leaves our care; a returned client
    /// makes this function an acquire for its callers.
    fn return_value(&mut self, value: Value, span: SwcSpan) {
        match value {
            Value::Acquired { certain: true, .. } => self.builder.returns(Returned::FreshClient),
            Value::Place(place) => {
                self.handle_event(EventKind::Escape, &place, span_of(span));
                let handle = self.builder.handle(&place);
                self.builder.returns(Returned::Handle(handle));
            }
            _ => {}
        }
    }

    /// A handle put into an object or array: stored, unless the literal is
    /// a call's argument (`{ transaction: t }`), which only lends it.
    fn escape(&mut self, value: Value, span: SwcSpan) {
        if let Value::Place(place) = value {
            let kind = match self.in_argument_literal {
                true => EventKind::HandedOff,
                false => EventKind::Escape,
            };
            self.handle_event(kind, &place, span_of(span));
        }
    }

    // ---- branches ----

    /// Evaluate `test` and split into its true and false successors, with
    /// what each side says about a handle variable.
    fn branch(&mut self, test: &Expr) -> (usize, usize) {
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
                (right_true, self.join(&[left_false, right_false]))
            }
            Expr::Bin(bin) if bin.op == BinaryOp::LogicalOr => {
                let (left_true, left_false) = self.branch(&bin.left);
                self.builder.switch_to(left_false);
                let (right_true, right_false) = self.branch(&bin.right);
                (self.join(&[left_true, right_true]), right_false)
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
    fn null_check(&mut self, test: &Expr) -> Option<Guard> {
        if let Some(guard) = self.transaction_state_test(test) {
            return Some(guard);
        }
        if let Some(place) = place_of(test) {
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
        if let Some(equal) = equal {
            let flag = match (
                place_of(&bin.left),
                boolean(&bin.right),
                place_of(&bin.right),
                boolean(&bin.left),
            ) {
                (Some(place), Some(value), _, _) | (_, _, Some(place), Some(value)) => {
                    Some((place, value))
                }
                _ => None,
            };
            // `queryRunner.isReleased === false` asks the handle's state.
            let state_test = [&bin.left, &bin.right]
                .into_iter()
                .find_map(|side| self.transaction_state_test(side));
            if let (Some(guard), Some((_, value))) = (state_test, &flag) {
                return Some(if *value == equal {
                    guard
                } else {
                    guard.negated()
                });
            }
            if let Some((place, value)) = flag {
                return Some(self.guard_for(&place, Test::Truthy, value == equal));
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

    fn join(&mut self, blocks: &[usize]) -> usize {
        let joined = self.builder.new_block();
        for &block in blocks {
            self.builder.switch_to(block);
            self.builder.goto(joined);
        }
        self.builder.switch_to(joined);
        joined
    }

    // ---- expressions ----

    fn expr(&mut self, expr: &Expr) -> Value {
        if !self.enter(expr.span()) {
            return Value::Nothing;
        }
        let value = self.expr_inner(expr);
        self.leave();
        value
    }

    fn expr_inner(&mut self, expr: &Expr) -> Value {
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
                if let Expr::Call(call) = unwrap(&await_expr.arg) {
                    self.awaited_call = Some(span_of(call.span));
                }
                let value = self.expr(&await_expr.arg);
                // A call already has its throw edge; awaiting anything else
                // (a stored promise) may throw too.
                if !matches!(unwrap(&await_expr.arg), Expr::Call(_) | Expr::OptChain(_)) {
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
                let quiet = expr_path(&new.callee).is_some_and(|class| {
                    is_quiet_constructor(&class) || self.file.vocabulary.is_submittable(&class)
                });
                if let Some(args) = &new.args {
                    self.args(args, quiet);
                }
                if !quiet {
                    self.builder.may_throw(span_of(new.span));
                }
                Value::Nothing
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
                let value = self.expr(&assign.right);
                self.assigned_to = None;
                self.bound_call = None;
                let assigned = (assign.op == AssignOp::Assign).then_some(&*assign.right);
                let target = match &assign.left {
                    AssignTarget::Simple(SimpleAssignTarget::Ident(name)) => {
                        Some(name.id.sym.to_string())
                    }
                    AssignTarget::Simple(SimpleAssignTarget::Member(member)) => {
                        member_place(member)
                    }
                    _ => None,
                };
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
                    let (left_true, left_false) = if bin.op == BinaryOp::NullishCoalescing {
                        let guard =
                            place_of(&bin.left).map(|p| self.guard_for(&p, Test::Nullish, false));
                        if guard.is_none() {
                            self.expr(&bin.left);
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
                    self.escape(value, bin.right.span());
                    let right_end = self.builder.current();
                    self.join(&[right_end, skip_right]);
                    Value::Nothing
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
            Expr::Cond(cond) => {
                let (then_block, else_block) = self.branch(&cond.test);
                self.builder.switch_to(then_block);
                let value = self.expr(&cond.cons);
                self.escape(value, cond.cons.span());
                let then_end = self.builder.current();
                self.builder.switch_to(else_block);
                let value = self.expr(&cond.alt);
                self.escape(value, cond.alt.span());
                let else_end = self.builder.current();
                self.join(&[then_end, else_end]);
                Value::Nothing
            }
            Expr::Unary(unary) => {
                self.expr(&unary.arg);
                Value::Nothing
            }
            Expr::Update(update) => {
                self.expr(&update.arg);
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
                self.expr(&tagged.tag);
                for expr in &tagged.tpl.exprs {
                    self.expr(expr);
                }
                self.builder.may_throw(span_of(tagged.span));
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

    /// A closure created here is lowered on its own; if it releases one of
    /// our handles, releasing is its business from now on. Returns what it
    /// does to our places, for calls to it by name.
    fn closure<N: for<'f> VisitWith<EffectScan<'f>>>(
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
    fn call_local_function(&mut self, name: &str, span: Span) {
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

    /// `key: value` in an object literal. A key that names the transaction
    /// a call runs in (`{ transaction: t }`) only uses it.
    fn property(&mut self, key: &str, value: Value, span: SwcSpan) {
        match value {
            // Also in an options object kept for several calls.
            Value::Place(place) if self.file.vocabulary.is_transaction_option(key) => {
                self.query_through(&place, span_of(span));
            }
            value => self.escape(value, span),
        }
    }

    /// A call's argument; what an object or array literal there holds is
    /// lent to the call.
    fn argument(&mut self, expr: &Expr) -> Value {
        let literal = matches!(unwrap(expr), Expr::Object(_) | Expr::Array(_));
        let outer = std::mem::replace(&mut self.in_argument_literal, literal);
        let value = self.expr(expr);
        self.in_argument_literal = outer;
        value
    }

    /// The summary of the function a call path names, if it is a helper
    /// this file knows (`this.getClient` inside `Repo` is `Repo.getClient`)
    /// or one the configuration declares safe.
    fn helper(&self, path: &str, arguments: usize) -> Option<Summary> {
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
    fn helper_call(
        &mut self,
        summary: &Summary,
        path: &str,
        args: &[ExprOrSpread],
        span: Span,
    ) -> Value {
        let mut released_on_return = Vec::new();
        for (position, arg) in args.iter().enumerate() {
            if let Value::Place(place) = self.argument(&arg.expr) {
                let ends = summary.ends.contains(&position);
                let releases = summary.releases.contains(&position);
                let releases_on_return = summary.releases_on_return.contains(&position);
                if ends {
                    self.handle_event(EventKind::Commit, &place, span);
                }
                if releases {
                    self.handle_event(EventKind::Release, &place, span);
                }
                if releases || releases_on_return || summary.keeps.contains(&position) {
                    self.handle_event(EventKind::Use, &place, span_of(arg.expr.span()));
                } else {
                    self.handle_event(EventKind::HandedOff, &place, span_of(arg.expr.span()));
                }
                if releases_on_return {
                    released_on_return.push(place);
                }
            }
        }
        self.builder.may_throw(span);
        // Released only if the helper returns: a throw out of it (its own
        // ROLLBACK failing) leaves the client checked out.
        for place in released_on_return {
            self.handle_event(EventKind::Release, &place, span);
        }
        if summary.returns_client {
            Value::Acquired {
                span,
                certain: true,
                via: path.to_string(),
            }
        } else {
            Value::Nothing
        }
    }

    fn args(&mut self, args: &[ExprOrSpread], lent_to_callee: bool) {
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

    fn opt_chain(&mut self, chain: &OptChainExpr) -> Value {
        // `client?.release()`: the call runs only when `client` is set.
        if let Some(place) = optional_object(chain).and_then(place_of) {
            let guard = self.guard_for(&place, Test::Nullish, false);
            let (then_block, else_block) = self.builder.fork(Some(guard));
            self.builder.switch_to(then_block);
            self.opt_chain_body(chain);
            let then_end = self.builder.current();
            self.join(&[then_end, else_block]);
            return Value::Nothing;
        }
        self.opt_chain_body(chain)
    }

    fn opt_chain_body(&mut self, chain: &OptChainExpr) -> Value {
        match &*chain.base {
            OptChainBase::Call(call) => self.call(&call.callee, &call.args, call.span),
            OptChainBase::Member(member) => {
                self.expr(&member.obj);
                Value::Nothing
            }
        }
    }

    fn call(&mut self, callee: &Expr, args: &[ExprOrSpread], span: SwcSpan) -> Value {
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
        if let Some(summary) = path
            .as_deref()
            .and_then(|path| self.helper(path, args.len()))
        {
            return self.helper_call(
                &summary,
                path.as_deref().unwrap_or_default(),
                args,
                call_span,
            );
        }
        let Some((receiver, method)) = member_parts(callee) else {
            // A plain function call. Calling one of our own parameters (a
            // callback) with a client lends it; anything else may keep it.
            let lent = path.as_ref().is_some_and(|p| self.parameters.contains(p));
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
            self.args(args, lent);
            if let Some(path) = &path {
                self.call_local_function(path, call_span);
            }

            // In a catch or finally clause, a synchronous call of a plain
            // function is error coercion or logging (`coerceError(err)`,
            // `log(err)`): taken not to throw, so that it is not blamed for
            // a ROLLBACK or release after it. An awaited one may.
            let handling_quietly = self.in_error_handler > 0
                && !awaited
                && !path.as_deref().is_some_and(throws_on_bad_input);
            if !handling_quietly && !path.as_deref().is_some_and(is_quiet_call) {
                self.builder.may_throw(call_span);
            }
            return Value::Nothing;
        };

        if let Some(value) = self.promise_chain(receiver, method, args) {
            return value;
        }

        // A call whose result is called on (`db.startTransaction().execute()`)
        // returns an object: its result is kept, like a bound one.
        let outer_chain = self.chained_call;
        self.chained_call = match unwrap(receiver) {
            Expr::Call(inner) => Some(span_of(inner.span)),
            _ => None,
        };
        let receiver_value = self.expr(receiver);
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
        if let Some(effect) = vocabulary.call_effect(method, args.len(), &known_as)
            && !(effect.unless_callback && args.iter().any(|a| !is_options_object(&a.expr)))
            && args.iter().all(|a| effect.fits(&argument_shape(&a.expr)))
        {
            // A method that only checks out connections names its effect
            // whatever the receiver looks like (`createQueryRunner()`).
            let receiver_matches = match effect.receiver {
                Receiver::Pool => true,
                Receiver::Any => {
                    receiver_place.is_some()
                        || matches!(effect.effect, Effect::Acquire | Effect::BeginObject)
                }
            };
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
        self.args(args, quiet || vocabulary.is_transaction_method(method));
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
            let on_pool = self.looks_like_pool(&place) || place.ends_with("()");
            if on_pool {
                // `pool.query('BEGIN')`: transaction statements on a pool.
                let handle = self.builder.handle(&place);
                self.builder.mark_pool(handle);
            }
            let first = args.first().map(|a| unwrap(&a.expr));
            if let Some(Expr::New(new)) = first
                && expr_path(&new.callee).is_some_and(|class| vocabulary.is_submittable(&class))
            {
                self.query_through(&place, call_span);
                return Value::Nothing;
            }
            let mut statements = first.map_or_else(Vec::new, |arg| self.file.statements(arg));
            // A whole `BEGIN; ..; COMMIT;` script in one call runs on one
            // connection, pool or not.
            if on_pool
                && statements.first() == Some(&TxStatement::Begin)
                && statements.last() != Some(&TxStatement::Begin)
            {
                statements.clear();
            }
            self.transaction_statements(&place, &statements, call_span);
            return Value::Nothing;
        }
        if !quiet {
            self.builder.may_throw(call_span);
        }
        Value::Nothing
    }

    fn call_effect(
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
                        Some(place) => self.looks_like_pool(place),
                        None => self.is_pool_factory_call(receiver),
                    };
                self.builder.may_throw(span);
                Value::Acquired {
                    span,
                    certain,
                    via: call.method.clone(),
                }
            }
            (Effect::Release, Some(place)) => {
                if discard {
                    self.handle_event(EventKind::Rollback, &place, span);
                }
                self.handle_event(EventKind::Release, &place, span);
                Value::Nothing
            }
            // `pool.end()` shuts the pool down; it is no connection's end.
            (Effect::Discard, Some(place)) if self.looks_like_pool(&place) => {
                self.builder.pool_closed(&place);
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
            // begins on its receiver returns nothing to keep.
            (Effect::Begin, Some(_))
                if self.bound_call == Some(span)
                    || self.chained_call == Some(span)
                    || self.statement_call != Some(span) =>
            {
                self.builder.may_throw(span);
                Value::Transaction { span }
            }
            (Effect::Begin, Some(place)) => {
                self.api_statement(&place, TxStatement::Begin, span);
                self.begun_here.insert(place);
                Value::Nothing
            }
            (Effect::Commit, Some(place)) => {
                self.api_statement(&place, TxStatement::Commit, span);
                Value::Nothing
            }
            (Effect::Rollback, Some(place)) => {
                self.api_statement(&place, TxStatement::Rollback, span);
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

    /// Whether `place` holds a client or transaction this function checked
    /// out or began.
    fn is_handle_here(&self, place: &str) -> bool {
        self.acquired_via.contains_key(place) || self.begun_here.contains(place)
    }

    /// A driver API call that begins or ends a transaction on `place`. Its
    /// promise floats only for a place known to be a handle here:
    /// `tx.commit()` on just any object (an IndexedDB transaction) or
    /// MongoDB's `session.startTransaction()` (which returns nothing) says
    /// nothing.
    fn api_statement(&mut self, place: &str, statement: TxStatement, span: Span) {
        let known = self.parameters.contains(place)
            || self.acquired_via.contains_key(place)
            || self.begun_here.contains(place);
        let floating = self.floating_call;
        if !known {
            self.floating_call = None;
        }
        self.transaction_statements(place, &[statement], span);
        self.floating_call = floating;
    }

    /// A call that runs transaction statements on `place`. Starting one
    /// happens only if the call succeeds; ending one counts even if the call
    /// throws (the connection is no longer usable for it).
    fn transaction_statements(&mut self, place: &str, statements: &[TxStatement], span: Span) {
        if !statements.is_empty() && self.floating_call == Some(span) {
            self.handle_event(EventKind::Unawaited, place, span);
        }
        let begins = statements.last() == Some(&TxStatement::Begin);
        if !begins {
            for statement in statements {
                let kind = match statement {
                    TxStatement::Begin => EventKind::Begin,
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

    /// `.then(cb)`, `.catch(cb)`, `.finally(cb)` with an inline callback:
    /// lowered as the `try` statement it stands for, so that
    /// `.finally(() => client.release())` releases on every path.
    fn promise_chain(
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

    fn inline_callback(&mut self, callback: InlineCallback, argument: Value) {
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

    /// A pool by its name, its binding in this file, or `getPool()`; not a
    /// client checked out here (`const poolClient = await pool.connect()`).
    fn looks_like_pool(&self, place: &str) -> bool {
        if self.acquired_via.contains_key(place) {
            return false;
        }
        self.file.vocabulary.is_pool_name(place) || self.file.pool_variables.contains(place)
    }

    fn is_pool_factory_call(&self, expr: &Expr) -> bool {
        let Expr::Call(call) = unwrap(expr) else {
            return false;
        };
        let Callee::Expr(callee) = &call.callee else {
            return false;
        };
        expr_path(callee).is_some_and(|path| {
            let function = path.rsplit('.').next().unwrap_or(&path);
            self.file.vocabulary.is_pool_factory(function)
                || self.file.vocabulary.is_pool_name(function)
        })
    }
}

/// Collects what a body does to places it does not own (nested closures
/// included): which it releases, rolls back, commits. Used for evidence
/// that `connect()` returned a pooled client, and for closures.
pub(crate) struct EffectScan<'a> {
    file: &'a FileFacts<'a>,
    effects: BTreeSet<(String, EndEffect)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EndEffect {
    Commit,
    Rollback,
    Release,
}

impl<'a> EffectScan<'a> {
    fn of<N: VisitWith<Self>>(file: &'a FileFacts<'a>, node: &N) -> BTreeSet<(String, EndEffect)> {
        let mut scan = EffectScan {
            file,
            effects: BTreeSet::new(),
        };
        node.visit_with(&mut scan);
        scan.effects
    }

    fn note(&mut self, callee: &Expr, args: &[ExprOrSpread]) {
        let vocabulary = self.file.vocabulary;
        let Some((receiver, method)) = member_parts(callee) else {
            return;
        };
        let Some(place) = place_of(receiver) else {
            return;
        };
        let mut add = |effect| {
            self.effects.insert((place.clone(), effect));
        };
        match vocabulary
            .call_effect(method, args.len(), &[])
            .map(|c| c.effect)
        {
            Some(Effect::Release) => add(EndEffect::Release),
            Some(Effect::Discard) => {
                add(EndEffect::Rollback);
                add(EndEffect::Release);
            }
            Some(Effect::Commit) => add(EndEffect::Commit),
            Some(Effect::Rollback) => add(EndEffect::Rollback),
            Some(Effect::Acquire | Effect::Begin | Effect::BeginObject | Effect::Open) => {}
            None if vocabulary.is_sql_method(method) => {
                let statements = args
                    .first()
                    .map_or_else(Vec::new, |a| self.file.statements(&a.expr));
                for statement in statements {
                    match statement {
                        TxStatement::Commit => add(EndEffect::Commit),
                        TxStatement::Rollback => add(EndEffect::Rollback),
                        TxStatement::Begin => {}
                    }
                }
            }
            None => {}
        }
    }
}

impl Visit for EffectScan<'_> {
    fn visit_call_expr(&mut self, call: &CallExpr) {
        if let Callee::Expr(callee) = &call.callee {
            self.note(callee, &call.args);
        }
        call.visit_children_with(self);
    }

    fn visit_opt_call(&mut self, call: &OptCall) {
        self.note(&call.callee, &call.args);
        call.visit_children_with(self);
    }
}

/// A function written inline as a promise callback.
struct InlineCallback<'a> {
    params: Vec<&'a Pat>,
    body: InlineBody<'a>,
}

enum InlineBody<'a> {
    Block(&'a [Stmt]),
    Expr(&'a Expr),
}

fn inline_callback(expr: &Expr) -> Option<InlineCallback<'_>> {
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
fn floating_call(expr: &Expr) -> Option<Span> {
    let Expr::Call(call) = unwrap(expr) else {
        return None;
    };
    let callback = call.args.last().is_some_and(|arg| {
        matches!(
            unwrap(&arg.expr),
            Expr::Arrow(_) | Expr::Fn(_) | Expr::Ident(_)
        )
    });
    (!callback).then(|| span_of(call.span))
}

/// Strip parentheses and TypeScript-only wrappers.
fn unwrap(mut expr: &Expr) -> &Expr {
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
fn place_of(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::Ident(ident) if ident.sym != "undefined" => Some(ident.sym.to_string()),
        Expr::Member(member) => member_place(member),
        _ => None,
    }
}

fn member_place(member: &MemberExpr) -> Option<String> {
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
fn member_parts(callee: &Expr) -> Option<(&Expr, &str)> {
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
fn optional_object(chain: &OptChainExpr) -> Option<&Expr> {
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

/// A dotted name for a callee (`pool.connect`, `withTransaction`,
/// `this.repo.save`), when it has one.
fn expr_path(expr: &Expr) -> Option<String> {
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

/// The class name of `new Pool(...)` / `new pg.Pool(...)`.
fn callee_name(expr: &Expr) -> Option<&str> {
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
fn known_value(expr: &Expr) -> Known {
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
fn literal_text(expr: &Expr) -> Option<String> {
    match unwrap(expr) {
        Expr::Lit(Lit::Str(string)) => Some(string.value.to_string_lossy().into_owned()),
        Expr::Tpl(tpl) if tpl.exprs.is_empty() => tpl.quasis.first().map(|quasi| {
            quasi.cooked.as_ref().map_or_else(
                || quasi.raw.to_string(),
                |c| c.to_string_lossy().into_owned(),
            )
        }),
        _ => None,
    }
}

fn prop_name(name: &PropName) -> String {
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

/// The statements of a function expression called where it stands
/// (`(async () => { .. })()`).
fn invoked_at_once(expr: &Expr) -> Option<&[Stmt]> {
    let Expr::Call(CallExpr {
        callee: Callee::Expr(callee),
        ..
    }) = unwrap(expr)
    else {
        return None;
    };
    match unwrap(callee) {
        Expr::Arrow(arrow) => match &*arrow.body {
            ArrowFunctionBody::FunctionBody(body) => Some(&body.stmts),
            ArrowFunctionBody::Expr(_) => None,
        },
        Expr::Fn(function) => function.function.body.as_ref().map(|b| b.stmts.as_slice()),
        _ => None,
    }
}

/// What an argument visibly is: a string, an object literal's keys, or
/// something else.
fn argument_shape(expr: &Expr) -> ArgumentShape {
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
fn implemented(class: &Class) -> Vec<String> {
    class
        .implements
        .iter()
        .filter_map(|i| callee_name(&i.expr).map(str::to_string))
        .collect()
}

/// The call an expression statement makes, through `await` and `void`.
fn statement_call(expr: &Expr) -> Option<Span> {
    match unwrap(expr) {
        Expr::Await(AwaitExpr { arg, .. })
        | Expr::Unary(UnaryExpr {
            op: UnaryOp::Void,
            arg,
            ..
        }) => statement_call(arg),
        Expr::Call(call) => Some(span_of(call.span)),
        _ => None,
    }
}
