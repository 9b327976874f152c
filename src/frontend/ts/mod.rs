//! TypeScript/JavaScript front end: parses with `swc_ecma_parser` and lowers
//! every function-like thing (declarations, arrows, methods, the module body)
//! into a `FnFlow`. swc byte positions become file offsets here, once.

mod expressions;
mod facts;
mod interface;
mod statements;
mod syntax;
mod try_finally;
mod values;

use std::collections::{BTreeSet, HashMap, HashSet};

use swc_common::{BytePos, Span as SwcSpan, Spanned};
use swc_ecma_ast::*;
use swc_ecma_parser::{EsSyntax, Parser, StringInput, Syntax, TsSyntax};
use swc_ecma_visit::{Visit, VisitWith};

use super::names::named_as_read;
use super::{
    Import, LowerError, LoweredFile, MAX_NESTING, ModuleInterface, ObjectSyntax,
    check_bracket_depth, mark_object_transactions,
};
use crate::diagnostic::in_message_style;
use crate::drivers::{
    ArgumentShape, CallEffect, Effect, Receiver, StateQuestion, TxStatement, Vocabulary,
    sql_writes, transaction_statements, whole_transaction,
};
use crate::flow::build::{BreakableKind, FlowBuilder};
use crate::flow::summary::{Summaries, Summary, summarize};
use crate::flow::{
    CatchLayout, Declaration, EventKind, ExitKind, FnFlow, Guard, Known, MODULE_BODY,
    PoolConstruction, PoolScope, Returned, Test, TryLayout, UNNAMED_HANDLE,
};
use crate::source::{Language, Span};
use facts::*;
use interface::*;
use syntax::*;

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
        Language::TypeScript { tsx, declaration } => Syntax::Typescript(TsSyntax {
            tsx,
            dts: declaration,
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
    let parsed = crate::catching(|| {
        let program = parser.parse_program();
        (program, parser.take_errors())
    });
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
    let words_at = vocabulary.words_at(text);
    let named = !words_at.is_empty()
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
    let mut file = FileFacts::collect(&program, vocabulary, text, words_at, &interface.imports);
    file.helpers = helpers;
    file.find_names();
    let mut flows = lower_program(&program, &file, Earlier::default())?;
    // Helpers defined in this file change what calls to them mean: lower
    // again, knowing them, the functions that name one.
    let own = own_summaries(&flows, &interface.instances);
    // No helper among them: no summary to export either.
    let mut summaries = Summaries::new();
    if !own.is_empty() {
        let mut helper_names_at: Vec<u32> = own
            .keys()
            .map(|helper| helper.rsplit('.').next().unwrap_or(helper))
            .flat_map(|name| text.match_indices(name).map(|(at, _)| at as u32))
            .collect();
        helper_names_at.sort_unstable();
        file.helpers.extend(own);
        file.find_names();
        let earlier = Earlier {
            flows: flows
                .into_iter()
                .map(|flow| ((flow.span.start, flow.span.end), flow))
                .collect(),
            helper_names_at,
        };
        flows = lower_program(&program, &file, earlier)?;
        summaries = flows
            .iter()
            .map(|flow| (flow.name.clone(), summarize(flow)))
            .filter(|(_, summary)| !summary.is_empty())
            .collect();
    }
    mark_object_transactions(
        &mut flows,
        &ObjectSyntax {
            method_separator: ".",
            field_prefix: "this.",
        },
    );
    // `new Tx(..)` of a class whose disposer rolls back makes such an
    // object, wherever the class is imported.
    for class in &file.rollback_disposers {
        summaries
            .entry(class.clone())
            .or_default()
            .returns_rollback_disposer = true;
    }
    // A pool this file makes and exports: statements its importers send
    // through it may each run on another connection. An instance
    // (`export const db = new Pool(..)`, `export default db`) is exported
    // as its class, so its summary goes under the name exported; a
    // binding of another kind (`const db = getPool()`) under its own.
    for (name, owner) in &interface.exports {
        let instance_of_pool = interface
            .instances
            .iter()
            .any(|(instance, class)| class == owner && file.pool_variables.contains(instance));
        let imported = interface
            .imports
            .iter()
            .any(|import| &import.local == owner);
        if instance_of_pool {
            summaries.entry(name.clone()).or_default().pool = true;
        } else if !imported && file.pool_variables.contains(owner) {
            summaries.entry(owner.clone()).or_default().pool = true;
        }
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

/// Flows of a lowering before this file's helpers were known, and where
/// those helpers are named: a function that names none lowers the same.
#[derive(Default)]
struct Earlier {
    flows: HashMap<(u32, u32), FnFlow>,
    helper_names_at: Vec<u32>,
}

impl Earlier {
    /// The earlier flow of the function `name` at `span`, if it names no
    /// helper of this file.
    fn take(&mut self, name: &str, span: Span) -> Option<FnFlow> {
        let first = self.helper_names_at.partition_point(|&at| at < span.start);
        if self
            .helper_names_at
            .get(first)
            .is_some_and(|&at| at < span.end)
        {
            return None;
        }
        let flow = self.flows.remove(&(span.start, span.end))?;
        (flow.name == name).then_some(flow)
    }
}

/// Every function-like thing of the program, `<module>` first.
fn lower_program(
    program: &Program,
    file: &FileFacts,
    earlier: Earlier,
) -> Result<Vec<FnFlow>, LowerError> {
    let mut collector = Collector {
        file,
        earlier,
        prefix: Vec::new(),
        flows: Vec::new(),
        too_deep: None,
        top_level: top_level(program, file.text),
        implements: Vec::new(),
        ends_run_next: false,
    };
    let span = match program {
        Program::Module(module) => module.span,
        Program::Script(script) => script.span,
    };
    // Top-level `await` only in modules: not known to be allowed here.
    collector.lower(MODULE_BODY.to_string(), span, false, &[], |lowerer| {
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

/// Finds every function-like node, names it as a user would, and lowers it.
struct Collector<'a> {
    file: &'a FileFacts<'a>,
    /// Flows to keep from the lowering before this one.
    earlier: Earlier,
    /// Enclosing class or object names, for `Class.method`.
    prefix: Vec<String>,
    flows: Vec<FnFlow>,
    too_deep: Option<Span>,
    /// What the module's top level starts (see `TopLevel`).
    top_level: TopLevel,
    /// The interfaces each enclosing class implements, innermost last.
    implements: Vec<Vec<String>>,
    /// The function about to be lowered ends its run when it throws: it
    /// runs inside a transaction its framework rolls back (see
    /// `ManagedCode`), or it is a command of a command-line program.
    ends_run_next: bool,
}

/// Test hooks that set up state their teardown hooks undo, also when the
/// setup fails (`beforeEach` BEGIN, `afterEach` ROLLBACK).
const SETUP_HOOKS: &[&str] = &["beforeEach", "beforeAll", "before", "setup"];

/// Test suites whose body runs once, when the file loads.
const TEST_SUITES: &[&str] = &["describe", "suite", "context"];

/// Functions that call their callback and drop what it returns: an `async`
/// callback's promise floats (rxjs's `tap`, `Array.prototype.forEach`).
const IGNORE_CALLBACK_PROMISES: &[&str] = &["tap", "forEach"];

/// What the top level of a file starts when it runs as a program.
#[derive(Default)]
struct TopLevel {
    /// Functions the top level (also inside a top-level `if`) calls, and
    /// whether each is started in a way that ends the process when it
    /// fails: `await main()`, or `main().catch(handler)` whose handler exits
    /// (`process.exit`, `process.exitCode`) or re-throws. A failure logged
    /// and swallowed (`f().catch(console.error)`) or never handled (`f()`)
    /// may leave a server running with the transaction open: those are
    /// ordinary functions.
    entry_points: HashMap<String, bool>,
    /// Functions the top level invokes where it defines them (`(async ()
    /// => { .. })()`), by their span: they run once, as an entry point
    /// does.
    invoked_at_once: HashSet<(u32, u32)>,
    /// A command-line parser's `parse()`/`parseAsync()` whose failure is
    /// caught and not ended with the process: a command's failure then
    /// leaves the process running (see `is_command_action`).
    command_failures_swallowed: bool,
}

/// How the top level meets the failure of a call it starts.
#[derive(Clone, Copy, PartialEq)]
enum Failure {
    /// Awaited, or handled by exiting or re-throwing.
    EndsProcess,
    /// Handled by a handler that neither exits nor re-throws.
    Swallowed,
    Unhandled,
}

fn top_level(program: &Program, text: &str) -> TopLevel {
    fn scan(stmt: &Stmt, found: &mut TopLevel, in_iife: bool, text: &str) {
        match stmt {
            // `(async () => { await setup() })()`: what its body starts
            // runs once too, its failure unhandled.
            Stmt::Expr(expr) if let Some((span, body)) = invoked_at_once(&expr.expr) => {
                found.invoked_at_once.insert((span.lo.0, span.hi.0));
                body.iter().for_each(|s| scan(s, found, true, text));
            }
            // `try { await install() } catch (e) { .. }` inside one.
            Stmt::Try(try_stmt) => {
                try_stmt
                    .block
                    .stmts
                    .iter()
                    .for_each(|s| scan(s, found, in_iife, text));
            }
            Stmt::Expr(expr) => match started_call(&expr.expr, text) {
                Some((Expr::Ident(function), failure)) => {
                    let function = function.sym.to_string();
                    if in_iife {
                        found.entry_points.entry(function).or_insert(false);
                    } else {
                        found
                            .entry_points
                            .insert(function, failure == Failure::EndsProcess);
                    }
                }
                Some((Expr::Member(member), Failure::Swallowed))
                    if matches!(&member.prop, MemberProp::Ident(method)
                        if method.sym == "parse" || method.sym == "parseAsync") =>
                {
                    found.command_failures_swallowed = true;
                }
                _ => {}
            },
            Stmt::If(if_stmt) => {
                scan(&if_stmt.cons, found, in_iife, text);
                if let Some(alt) = &if_stmt.alt {
                    scan(alt, found, in_iife, text);
                }
            }
            Stmt::Block(block) => block
                .stmts
                .iter()
                .for_each(|s| scan(s, found, in_iife, text)),
            _ => {}
        }
    }
    let mut found = TopLevel::default();
    match program {
        Program::Module(module) => module
            .body
            .iter()
            .filter_map(|i| i.as_stmt())
            .for_each(|s| scan(s, &mut found, false, text)),
        Program::Script(script) => script
            .body
            .iter()
            .for_each(|s| scan(s, &mut found, false, text)),
    }
    found
}

/// The callee of the call that a top-level expression starts (`main()`,
/// `await main()`, `void main()`, `main().catch(handler)`), and how its
/// failure is met.
fn started_call<'e>(expr: &'e Expr, text: &str) -> Option<(&'e Expr, Failure)> {
    let ends_process = |handler: &ExprOrSpread| {
        let span = span_of(handler.expr.span());
        let body = text
            .get(span.start as usize..span.end as usize)
            .unwrap_or_default();
        body.contains("process.exit") || body.contains("throw ")
    };
    let mut awaited = false;
    let mut handled_by_exit = false;
    let mut handled = false;
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
            }) => {
                let callee = unwrap(callee);
                let Expr::Member(member) = callee else {
                    break Some((callee, Failure::Unhandled));
                };
                let MemberProp::Ident(method) = &member.prop else {
                    return None;
                };
                let on_rejected = match method.sym.as_str() {
                    "catch" => args.first(),
                    "then" => args.get(1),
                    "finally" => None,
                    _ => break Some((callee, Failure::Unhandled)),
                };
                handled |= on_rejected.is_some();
                handled_by_exit |= on_rejected.is_some_and(ends_process);
                unwrap(&member.obj)
            }
            _ => return None,
        }
    }
    .map(|(callee, _)| {
        let failure = if awaited || handled_by_exit {
            Failure::EndsProcess
        } else if handled {
            Failure::Swallowed
        } else {
            Failure::Unhandled
        };
        (callee, failure)
    })
}

impl Collector<'_> {
    fn lower<'p>(
        &mut self,
        name: String,
        span: SwcSpan,
        is_async: bool,
        params: impl IntoIterator<Item = &'p Pat>,
        body: impl FnOnce(&mut Lowerer),
    ) {
        // Most functions of most files never touch a database.
        if name != MODULE_BODY && !self.file.may_matter(span) {
            return;
        }
        if let Some(flow) = self.earlier.take(&name, span_of(span)) {
            // `ends_run_next` is this function's, kept in `flow`.
            self.ends_run_next = false;
            self.flows.push(flow);
            return;
        }
        let runs_once = self.top_level.entry_points.contains_key(&name)
            || self
                .top_level
                .invoked_at_once
                .contains(&(span.lo.0, span.hi.0));
        let errors_end_run = std::mem::take(&mut self.ends_run_next)
            || self.top_level.entry_points.get(&name) == Some(&true)
            || name
                .strip_suffix(" callback")
                .is_some_and(|callee| SETUP_HOOKS.contains(&callee));
        // A test suite's body runs once, when the file loads: its variables
        // are module state.
        let suite_body = name
            .strip_suffix(" callback")
            .is_some_and(|callee| TEST_SUITES.contains(&callee));
        // `tap(async () => { await commit() })`: the callee drops the
        // callback's promise.
        let promise_ignored_by = name
            .strip_suffix(" callback")
            .map(|callee| callee.rsplit('.').next().unwrap_or(callee))
            .filter(|callee| IGNORE_CALLBACK_PROMISES.contains(callee))
            .map(str::to_string);
        let mut lowerer = Lowerer::new(self.file, name, span_of(span));
        if errors_end_run {
            lowerer.builder.set_errors_end_run();
        }
        if is_async {
            lowerer.builder.set_async();
            if let Some(callee) = &promise_ignored_by {
                lowerer.builder.set_promise_ignored_by(callee);
            }
        }
        lowerer.module_scope = suite_body;
        lowerer.runs_once = runs_once;
        for param in params {
            lowerer.builder.param(param_name(param));
            if let Pat::Assign(assign) = param
                && known_value(unwrap(&assign.right)).truthy == Some(true)
            {
                lowerer.builder.truthy_default();
            }
            lowerer.declare_pattern(param, true);
        }
        body(&mut lowerer);
        lowerer.record_declarations();
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
            function.is_async,
            function.params.iter().map(|p| &p.pat),
            |lowerer| {
                lowerer.collect_released(body);
                lowerer.stmts(body.stmts.iter());
            },
        );
        function.visit_children_with(self);
    }

    fn lower_arrow(&mut self, name: String, arrow: &ArrowExpr) {
        self.lower(
            name,
            arrow.span,
            arrow.is_async,
            arrow.params.iter(),
            |lowerer| {
                lowerer.collect_released(&*arrow.body);
                match &*arrow.body {
                    ArrowFunctionBody::FunctionBody(body) => lowerer.stmts(body.stmts.iter()),
                    ArrowFunctionBody::Expr(expr) => {
                        let value = lowerer.expr(expr);
                        lowerer.return_value(value, expr);
                        lowerer
                            .builder
                            .return_(span_of(expr.span()), ExitKind::Normal);
                    }
                }
            },
        );
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
        // A command's failure ends a command-line program, whose exit
        // closes its connections, unless the program swallows it.
        let command = is_command_action(call) && !self.top_level.command_failures_swallowed;
        for arg in &call.args {
            self.ends_run_next = command;
            let named = callee.as_ref().is_some_and(|callee| {
                is_nameable(&arg.expr) && self.lower_named(format!("{callee} callback"), &arg.expr)
            });
            if !named {
                arg.visit_with(self);
            }
            self.ends_run_next = false;
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
        self.ends_run_next = self
            .file
            .vocabulary
            .is_managed(interfaces, &name, &decorators);
        self.lower_function(self.member_name(&name), &method.function);
        self.ends_run_next = false;
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
            false,
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
        /// A helper began a transaction on it before handing it back.
        begun: bool,
        /// The pool it was checked out of, by place.
        pool: Option<String>,
        /// It takes its connection only when first used.
        lazy: bool,
        /// Once released, it refuses every statement (see
        /// `CallEffect::refuses_after_release`).
        refuses_after_release: bool,
    },
    /// An object built around a handle of this function
    /// (`new Transaction(client)`): returning it returns the handle.
    Wraps(String),
    /// A transaction object that holds its connection until it is
    /// committed or rolled back (`await knex.transaction()`); `span` is the
    /// call that begins it.
    Transaction {
        span: Span,
    },
    /// An object whose field holds a transaction object begun by the call
    /// at `span` (`{ ok: true, data: t }` from a begin helper).
    TransactionIn {
        field: String,
        span: Span,
    },
}

/// Lowers one function body into the builder.
struct Lowerer<'a> {
    file: &'a FileFacts<'a>,
    builder: FlowBuilder,
    /// Names declared in this function (parameters included): assigning to
    /// anything else stores outside the function.
    locals: HashSet<String>,
    parameters: HashSet<String>,
    /// Parameters typed as NestJS's `CallHandler`: `next.handle()` builds
    /// a lazy `Observable`, and the route handler runs only when it is
    /// subscribed to, so neither it nor the operators piped onto it throw
    /// where they are called.
    call_handlers: HashSet<String>,
    /// Parameters typed as NestJS's `ExecutionContext` or `ArgumentsHost`:
    /// their accessors (`ctx.switchToHttp().getRequest()`) hand back what
    /// the framework holds, and neither throw nor are a client's calls.
    execution_contexts: HashSet<String>,
    /// Places released somewhere in this function (nested closures too):
    /// evidence that `x.connect()`'s result is a pooled client.
    released: HashSet<String>,
    /// Places the body commits or rolls back by a driver call with no
    /// argument (see `EffectScan`).
    ended: HashSet<String>,
    /// The method that checked out each handle, for vocabulary entries
    /// that apply only to what one method returns.
    acquired_via: HashMap<String, String>,
    /// `const t = lent ?? create()`: `t` by name, to `lent`. `t !== lent`
    /// holds exactly when nothing was lent.
    lent_or_created: HashMap<String, String>,
    /// `let t = outer`: `t` by name, to `outer`, until either is assigned
    /// again. A test of `t` until then is a test of `outer`, which later
    /// tests of `outer` agree with.
    copies: HashMap<String, String>,
    /// The expression being lowered is a tagged template that a method is
    /// called on: a statement built, not run (see the `TaggedTpl` arm).
    built_statement: bool,
    /// The pool each handle was checked out of, by place: closing the pool
    /// closes it too. Sorted, so that events come in the same order.
    acquired_from: std::collections::BTreeMap<String, String>,
    depth: usize,
    too_deep: Option<Span>,
    /// Labels of inline promise callbacks being lowered; `return` inside one
    /// leaves the callback, not the function.
    callback_labels: Vec<String>,
    /// Lowering a module's top level, whose variables are module state.
    module_scope: bool,
    /// Closures of this function by name, with what they do to our places.
    local_functions: HashMap<String, Vec<(String, EndEffect)>>,
    /// Functions a callback checkout handed over with the client, by name,
    /// with the client they give back (pg's `done` of `pool.connect((err,
    /// client, done) => ..)`).
    release_functions: HashMap<String, String>,
    /// Inside a callback of the callback API (see `node_callback`), where
    /// handing the client to a callback parameter passes it on for good.
    in_node_callback: usize,
    /// Catch clause parameters: a caught error is an object in practice, so
    /// `failure = err` makes `if (failure)` true.
    caught_errors: HashSet<String>,
    /// The call an expression statement makes and drops the result of.
    floating_call: Option<Span>,
    /// The place the expression being lowered is assigned to, for naming a
    /// pool constructed there.
    assigned_to: Option<String>,
    /// The place a conditional expression being lowered is assigned to
    /// (`savepoint = nested ? 'sp1' : undefined`): each branch assigns
    /// what its arm is.
    ternary_target: Option<String>,
    /// The `ternary_target` is being declared (`const client = useTx ?
    /// await pool.connect() : pool`): a client an arm checks out is bound
    /// to it on that arm's path; whether the variable is an outer one.
    ternary_declares: Option<bool>,
    /// Lowering the left of `??`, whose optional call's value is kept.
    left_of_nullish: bool,
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
    /// How many `try` blocks (not their clauses) enclose the code lowered now.
    try_depth: usize,
    /// The call an `await` being lowered awaits.
    awaited_call: Option<Span>,
    /// The call an expression statement makes (`await conn.beginTransaction();`).
    statement_call: Option<Span>,
    /// The module's top level calls this function, once, when it loads.
    runs_once: bool,
    /// The statement about to be lowered as an item of a list, and the
    /// item before it (see `FnFlow::statements`, `TryLayout::previous`).
    list_item: Option<(Span, Option<Span>)>,
    /// The item before the `try` statement about to be lowered.
    try_previous: Option<Span>,
    /// Declarations of one plain name, by name, for `FnFlow::declarations`.
    declarations: Vec<(String, Declaration)>,
    /// How many times each name is declared in the function.
    declared: HashMap<String, usize>,
}

impl<'a> Lowerer<'a> {
    fn new(file: &'a FileFacts<'a>, name: String, span: Span) -> Self {
        Lowerer {
            file,
            builder: FlowBuilder::new(name, span),
            locals: HashSet::new(),
            parameters: HashSet::new(),
            call_handlers: HashSet::new(),
            execution_contexts: HashSet::new(),
            released: HashSet::new(),
            ended: HashSet::new(),
            acquired_via: HashMap::new(),
            lent_or_created: HashMap::new(),
            copies: HashMap::new(),
            built_statement: false,
            acquired_from: Default::default(),
            depth: 0,
            too_deep: None,
            callback_labels: Vec::new(),
            module_scope: false,
            local_functions: HashMap::new(),
            release_functions: HashMap::new(),
            in_node_callback: 0,
            caught_errors: HashSet::new(),
            floating_call: None,
            assigned_to: None,
            ternary_target: None,
            ternary_declares: None,
            left_of_nullish: false,
            in_argument_literal: false,
            bound_call: None,
            chained_call: None,
            begun_here: HashSet::new(),
            in_error_handler: 0,
            try_depth: 0,
            awaited_call: None,
            statement_call: None,
            runs_once: false,
            list_item: None,
            try_previous: None,
            declarations: Vec::new(),
            declared: HashMap::new(),
        }
    }

    /// Hand the declarations to the builder, each knowing whether its name
    /// is declared anywhere else in the function.
    fn record_declarations(&mut self) {
        for (name, mut declaration) in std::mem::take(&mut self.declarations) {
            declaration.only_one = self.declared.get(&name) == Some(&1);
            self.builder.declaration(declaration);
        }
    }

    fn collect_released<N: for<'f> VisitWith<EffectScan<'f>>>(&mut self, node: &N) {
        let scan = EffectScan::scan(self.file, node, HashMap::new());
        self.released = scan
            .effects
            .into_iter()
            .filter(|(_, effect)| *effect == EndEffect::Release)
            .map(|(place, _)| place)
            .collect();
        self.ended = scan.own_ends;
    }

    fn declare_pattern(&mut self, pattern: &Pat, parameter: bool) {
        match pattern {
            Pat::Ident(name) => {
                *self.declared.entry(name.id.sym.to_string()).or_default() += 1;
                self.locals.insert(name.id.sym.to_string());
                if parameter {
                    self.parameters.insert(name.id.sym.to_string());
                    match type_name(name.type_ann.as_deref()).as_deref() {
                        Some("CallHandler") => {
                            self.call_handlers.insert(name.id.sym.to_string());
                        }
                        Some("ExecutionContext" | "ArgumentsHost") => {
                            self.execution_contexts.insert(name.id.sym.to_string());
                        }
                        _ => {}
                    }
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
                            *self
                                .declared
                                .entry(assign.key.id.sym.to_string())
                                .or_default() += 1;
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

    fn guard_for(&mut self, place: &str, test: Test, holds: bool) -> Guard {
        let original = self.copies.get(place).cloned();
        Guard {
            place: self.builder.handle(original.as_deref().unwrap_or(place)),
            test,
            holds,
        }
    }

    /// Whether `place` holds a client or transaction this function checked
    /// out or began.
    fn is_handle_here(&self, place: &str) -> bool {
        self.acquired_via.contains_key(place) || self.begun_here.contains(place)
    }

    /// A pool by its name, its binding in this file, or `getPool()`; not a
    /// client checked out here (`const poolClient = await pool.connect()`).
    fn looks_like_pool(&self, place: &str) -> bool {
        if self.acquired_via.contains_key(place) {
            return false;
        }
        self.file.vocabulary.is_pool_name(place)
            || self.file.pool_variables.contains(place)
            || self.helper(place, 0).is_some_and(|summary| summary.pool)
            || self.field_typed_as_pool(place)
    }

    /// `this.store` of a class whose field is typed as a pool
    /// (`constructor(private store: Pool)`), whatever its name.
    fn field_typed_as_pool(&self, place: &str) -> bool {
        let Some(field) = place.strip_prefix("this.").filter(|f| !f.contains('.')) else {
            return false;
        };
        let Some((owner, _)) = self.builder.name().rsplit_once('.') else {
            return false;
        };
        self.file
            .field_classes
            .get(&(owner.to_string(), field.to_string()))
            .is_some_and(|class| self.file.is_pool_class(class))
    }

    fn is_pool_factory_call(&self, expr: &Expr) -> bool {
        let Expr::Call(call) = unwrap(expr) else {
            return false;
        };
        let Callee::Expr(callee) = &call.callee else {
            return false;
        };
        expr_path(callee).is_some_and(|path| {
            let (object, function) = path.rsplit_once('.').unwrap_or(("", &path));
            self.file.vocabulary.is_pool_factory(function)
                || self.file.vocabulary.is_pool_name(function)
                || (self.file.vocabulary.is_pool_view(function)
                    && call.args.is_empty()
                    && self.looks_like_pool(object))
        })
    }
}

/// Collects what a body does to places it does not own (nested closures
/// included): which it releases, rolls back, commits. Used for evidence
/// that `connect()` returned a pooled client, and for closures.
pub(crate) struct EffectScan<'a> {
    file: &'a FileFacts<'a>,
    effects: BTreeSet<(String, EndEffect)>,
    /// Places committed or rolled back by a driver call with no argument:
    /// their own transaction, not one named by an id.
    own_ends: HashSet<String>,
    /// Names bound inside the code scanned (its variables, the parameters
    /// of functions nested in it): a `conn` of theirs is not ours, unless
    /// it is bound to one of ours (`const current = pool`), as `aliases`
    /// says.
    bound: HashSet<String>,
    aliases: HashMap<String, String>,
    /// The release functions of checkout callbacks around the code (see
    /// `Lowerer::release_functions`), by name, with their client.
    release_functions: HashMap<String, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum EndEffect {
    Commit,
    Rollback,
    Release,
}

impl<'a> EffectScan<'a> {
    /// What the code does to places it does not bind itself, inside
    /// checkout callbacks whose release functions are `release_functions`
    /// (`done` of `pool.connect((err, c, done) => ..)`).
    fn of<N: VisitWith<Self>>(
        file: &'a FileFacts<'a>,
        node: &N,
        release_functions: HashMap<String, String>,
    ) -> BTreeSet<(String, EndEffect)> {
        let scan = Self::scan(file, node, release_functions);
        let bound = scan.bound;
        let mut effects = scan.effects;
        effects.retain(|(place, _)| !bound.contains(place.split('.').next().unwrap_or(place)));
        effects
    }

    fn scan<N: VisitWith<Self>>(
        file: &'a FileFacts<'a>,
        node: &N,
        release_functions: HashMap<String, String>,
    ) -> EffectScan<'a> {
        let mut scan = EffectScan {
            file,
            effects: BTreeSet::new(),
            own_ends: HashSet::new(),
            bound: HashSet::new(),
            aliases: HashMap::new(),
            release_functions,
        };
        node.visit_with(&mut scan);
        scan
    }

    fn note(&mut self, callee: &Expr, args: &[ExprOrSpread]) {
        // `done()`, `done.apply(conn, [err])`: a checkout's release function.
        let function = match member_parts(callee) {
            Some((function, "call" | "apply")) => expr_path(function),
            _ => expr_path(callee),
        };
        if let Some(client) = function.and_then(|f| self.release_functions.get(&f)) {
            self.effects.insert((client.clone(), EndEffect::Release));
            return;
        }
        let vocabulary = self.file.vocabulary;
        let Some((receiver, method)) = member_parts(callee) else {
            return;
        };
        let Some(mut place) = place_of(receiver) else {
            return;
        };
        let root = place.split('.').next().unwrap_or(&place);
        if let Some(aliased) = self.aliases.get(root) {
            place = format!("{aliased}{}", &place[root.len()..]);
        }
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
            Some(effect @ (Effect::Commit | Effect::Rollback)) => {
                add(match effect {
                    Effect::Commit => EndEffect::Commit,
                    _ => EndEffect::Rollback,
                });
                if args.is_empty() {
                    self.own_ends.insert(place);
                }
            }
            Some(Effect::Acquire | Effect::Begin | Effect::BeginObject | Effect::Open) => {}
            None if vocabulary.is_sql_method(method) => {
                let statements = args
                    .first()
                    .map_or_else(Vec::new, |a| self.file.statements(&a.expr));
                for statement in statements {
                    match statement {
                        TxStatement::Commit => add(EndEffect::Commit),
                        TxStatement::Rollback => add(EndEffect::Rollback),
                        TxStatement::Begin | TxStatement::Work => {}
                    }
                }
            }
            None => {}
        }
    }
}

impl Visit for EffectScan<'_> {
    fn visit_binding_ident(&mut self, ident: &BindingIdent) {
        self.bound.insert(ident.id.sym.to_string());
    }

    fn visit_var_declarator(&mut self, declarator: &VarDeclarator) {
        if let (Pat::Ident(name), Some(init)) = (&declarator.name, &declarator.init)
            && let Some(aliased) = place_of(init)
        {
            let aliased = self.aliases.get(&aliased).cloned().unwrap_or(aliased);
            self.aliases.insert(name.id.sym.to_string(), aliased);
        }
        declarator.visit_children_with(self);
    }

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
