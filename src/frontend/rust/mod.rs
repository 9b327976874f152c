//! Rust front end: parses with `syn` and lowers every `fn`, method, closure
//! and `async` block into a `FnFlow`. Errors are values here: `?`, `return
//! Err(..)` and `bail!` are the error exits; panics are not paths. Transaction
//! objects roll back when dropped and pooled connections go back to their
//! pool, which the handles record for the rules.

mod calls;
mod expressions;
mod interface;
mod macros;
mod sql;
mod statements;
mod summaries;
mod syntax;
mod thinning;
mod trait_methods;

use std::collections::HashMap;

use proc_macro2::Span as SynSpan;
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::{Block, Expr, ImplItemFn, ItemFn, Lit, Macro, Member, Pat, Stmt, TraitItemFn};

use super::names::{named_as_read, named_as_write};
use super::{
    FileContext, LowerError, LoweredFile, MAX_NESTING, ModuleInterface, ObjectSyntax,
    check_bracket_depth, mark_object_transactions,
};
use crate::diagnostic::in_message_style;
use crate::drivers::{
    Effect, Receiver, TxStatement, Vocabulary, identifier_words, sql_writes, sql_writes_lasting,
    temporary_tables, transaction_statements, whole_transaction,
};
use crate::flow::build::{BreakableKind, FlowBuilder};
use crate::flow::summary::{Summaries, Summary};
use crate::flow::{ErrorModel, EventKind, ExitKind, FnFlow, Guard, HandleId, Known, Test};
use crate::source::Span;
use calls::*;
use sql::*;
use summaries::*;
use syntax::*;
use thinning::{passed_as_value, written_calls};

/// Passes over a file beyond the second that learn, link by link, which
/// parameters of private functions every caller closes on drop.
const MAX_CALLER_PASSES: usize = 3;

/// Links after the first that learn what calls mean once the calls before
/// them are known (see `lower_file`).
const MAX_LINK_PASSES: usize = 2;

/// Lower a file; `link` gives the summaries of the functions it imports
/// from other modules, by the names its code calls them with. Bodies of
/// functions that name nothing to follow are not parsed (see `thinning`)
/// unless `all_bodies`.
pub(crate) fn lower_file(
    text: &str,
    vocabulary: &Vocabulary,
    link: &dyn Fn(&ModuleInterface) -> Summaries,
    all_bodies: bool,
    context: FileContext,
) -> Result<LoweredFile, LowerError> {
    // syn would strip these itself, shifting every offset; strip them here
    // and add the length back.
    let base = prefix_len(text);
    check_bracket_depth(text)?;
    let _spans = SpanScope::enter();
    let named_at = vocabulary.words_at(text);
    let handle_traits: Vec<&str> = context
        .trait_methods
        .iter()
        .flat_map(|known| known.traits.iter().map(String::as_str))
        .collect();
    let thinned = thinning::thin(text, &named_at, all_bodies, &handle_traits);
    let parsed = parse_file(&thinned.as_deref().unwrap_or(text)[base..]);
    drop(thinned);
    match parsed {
        Ok(mut file) => {
            let expanded = macros::expand_item_macros(&mut file.items);
            let mut facts = FileFacts::collect(&file, named_at, vocabulary);
            // Macros of other files of the crate, where this one invokes
            // them, are followed as its own are.
            for (name, definition) in context.crate_macros.iter().flat_map(|m| m.iter()) {
                if facts.own_macros.contains_key(name) || !text.contains(&format!("{name}!")) {
                    continue;
                }
                if let Some(own) = syn::parse_str::<syn::ItemMacro>(definition)
                    .ok()
                    .and_then(|item| OwnMacro::of(&item))
                {
                    facts.own_macros.insert(name.clone(), own);
                }
            }
            facts.expanded_functions = expanded
                .into_iter()
                .map(|fn_token| to_span(base, fn_token).start)
                .collect();
            facts.failed_statement_aborts =
                runs_on_postgres(text, context.postgres_package) && !text.contains("ROLLBACK TO");
            facts.scripts_end_themselves = text.contains("surrealdb::");
            facts.temporary_tables = temporary_tables(text);
            facts.trait_methods = context.trait_methods.clone();
            let mut interface = interface::use_imports(&file);
            // The file lowered knowing `facts`: each pass below learns more.
            let lower_again = |facts| {
                let mut collector = Collector::new(facts, base);
                collector.visit_file(&file);
                collector
            };
            let mut collector = lower_again(facts);
            // Functions of this file, and of the modules it imports, that
            // begin or end a transaction on a connection they are passed,
            // or only read through it, change what their calls mean: link
            // the calls lowering asked about, and lower again knowing them.
            let mut consulted = collector.file.consulted.take();
            interface::keep_consulted(&mut interface, &consulted, &file);
            let imported = link(&interface);
            let helpers = transaction_helpers(
                &collector.flows,
                &collector.reports_write,
                &collector.taken_transactions,
            );
            let closed_by_callers = collector.closed_by_callers(text);
            let writing_methods = writing_methods(&collector.flows);
            let writing_functions = match collector.file.asks_writing_functions.get() {
                true => writing_functions(&collector.flows),
                false => Default::default(),
            };
            if !helpers.is_empty()
                || !imported.is_empty()
                || !closed_by_callers.is_empty()
                || !writing_methods.is_empty()
                || !writing_functions.is_empty()
            {
                let mut facts = collector.file;
                facts.writing_methods = writing_methods;
                facts.writing_functions = writing_functions;
                facts.transaction_helpers = helpers;
                facts.imported = imported;
                facts.closed_by_callers = closed_by_callers;
                collector = lower_again(facts);
            }
            // What a link taught lets lowering ask about calls it could not
            // tell before: `lookup(&txn)` lends a transaction once
            // `db.begin_write()` is known to return one.
            for _ in 0..MAX_LINK_PASSES {
                let asked = collector.file.consulted.take();
                if asked.is_subset(&consulted) {
                    break;
                }
                consulted.extend(asked);
                interface = interface::use_imports(&file);
                interface::keep_consulted(&mut interface, &consulted, &file);
                let imported = link(&interface);
                if imported == collector.file.imported {
                    break;
                }
                let mut facts = collector.file;
                facts.imported = imported;
                collector = lower_again(facts);
            }
            // Through a chain of private functions (a constructor that
            // opened the connection, a private `upgrade`, the migration
            // it calls), each pass learns one more link.
            for _ in 0..MAX_CALLER_PASSES {
                let closed_by_callers = collector.closed_by_callers(text);
                if closed_by_callers == collector.file.closed_by_callers {
                    break;
                }
                let mut facts = collector.file;
                facts.closed_by_callers = closed_by_callers;
                collector = lower_again(facts);
            }
            let reads_only = drop_reads_of_own_functions(
                &mut collector.flows,
                &collector.lends,
                &collector.params_passed_to,
                &collector.quiet,
            );
            let readers = readers_for_callers(&collector, &reads_only);
            let writers = parameters_written_through(&collector.flows);
            interface::export_summaries(
                &mut interface,
                &collector.flows,
                interface::HandedConnections {
                    helpers: &collector.file.transaction_helpers,
                    reads_only: &readers,
                    writes: &writers,
                },
                &collector.file.exported_returning,
                &collector.file.opaque_transactions,
                &collector.file.exported_opening,
            );
            mark_object_transactions(
                &mut collector.flows,
                &ObjectSyntax {
                    method_separator: "::",
                    field_prefix: "self.",
                },
            );
            match collector.too_deep {
                Some(span) => Err(LowerError {
                    span,
                    message: format!(
                        "nesting too deep to analyse (more than {MAX_NESTING} levels)"
                    ),
                }),
                None => Ok(LoweredFile {
                    interface,
                    flows: collector.flows,
                    recovered_error: None,
                }),
            }
        }
        Err(err) => Err(syntax_error(text, base, &err)),
    }
}

thread_local! {
    /// How many files this thread is lowering at once: linking may lower
    /// a helper module while the file that imports it is being lowered.
    static LOWERING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Spans live in a thread-wide source map that only grows. It is emptied
/// when the outermost file lowered on this thread is done (also when its
/// lowering panics): emptying it earlier would void the spans of the file
/// that is still being lowered.
struct SpanScope;

impl SpanScope {
    fn enter() -> SpanScope {
        LOWERING.with(|depth| depth.set(depth.get() + 1));
        SpanScope
    }
}

impl Drop for SpanScope {
    fn drop(&mut self) {
        let outermost = LOWERING.with(|depth| {
            depth.set(depth.get() - 1);
            depth.get() == 0
        });
        if outermost {
            proc_macro2::extra::invalidate_current_thread_spans();
        }
    }
}

/// Whether a type's or signature's text, lowercased, names a connection,
/// transaction or executor (`&mut pgconnection`, `transaction<'_, postgres>`,
/// `dbconn`): a function taking one may hand a lent transaction on.
pub(crate) fn names_handle_type(lowercase: &str) -> bool {
    ["transaction", "conn", "executor"]
        .iter()
        .any(|word| lowercase.contains(word))
}

pub(crate) use trait_methods::{MethodEffect, TraitMethods, TraitMethodsReader};

pub(crate) use macros::{
    definitions_in_text as macro_definitions_in_text, invokes_other_files_macro,
};

/// The functions a Rust file's text defines with a parameter typed as a
/// connection, transaction or executor (`fn fill(&self, conn: &mut
/// PgConnection)`), or bounded by one of the `handle_traits` (see
/// `TraitMethods`), by name, read without parsing it.
pub(crate) fn functions_taking_handles(
    text: &str,
    handle_traits: &[&str],
) -> std::collections::HashSet<String> {
    text.split("fn ")
        .skip(1)
        .filter_map(|rest| {
            let name_end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            let signature = &rest[..rest.find(['{', ';']).unwrap_or(rest.len())];
            let takes = names_handle_type(&signature.to_ascii_lowercase())
                || handle_traits
                    .iter()
                    .any(|name| thinning::holds_word(signature.as_bytes(), name.as_bytes()));
            takes.then(|| rest[..name_end].to_string())
        })
        .collect()
}

/// The types a Rust file's text implements something for (`impl Label`,
/// `impl<'a> Crud for Person<'a>`: `Label`, `Person`), read without parsing
/// it: any module of a crate may hold a type's methods.
pub(crate) fn implemented_types(text: &str) -> std::collections::HashSet<String> {
    let mut found = std::collections::HashSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("impl") {
        // An item starts its line (`-> impl Iterator` is no item).
        let line = rest[..at].rsplit('\n').next().unwrap_or_default().trim();
        let after = &rest[at + 4..];
        rest = after;
        if !(line.is_empty() || line == "unsafe" || line.ends_with(']'))
            || !after.starts_with(|c: char| c.is_whitespace() || c == '<')
        {
            continue;
        }
        let header = &after[..after.find(['{', ';']).unwrap_or(after.len()).min(400)];
        let header = skip_generics(header.trim_start());
        // `impl Trait for Type`: the type follows `for`.
        let self_type = match header.split_once(" for ") {
            Some((_, self_type)) => self_type,
            None => header,
        };
        let self_type = self_type.split(" where").next().unwrap_or_default();
        let path = self_type.split('<').next().unwrap_or_default().trim();
        let name = path.rsplit("::").next().unwrap_or_default();
        if name.starts_with(|c: char| c.is_ascii_uppercase())
            && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        {
            found.insert(name.to_string());
        }
    }
    found
}

/// `text` past a leading `<..>`, brackets balanced.
fn skip_generics(text: &str) -> &str {
    if !text.starts_with('<') {
        return text;
    }
    let mut depth = 0usize;
    for (at, c) in text.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return text[at + 1..].trim_start();
                }
            }
            _ => {}
        }
    }
    ""
}

/// Parse only, for measuring the parser's share of a run: the syntax error,
/// if any.
pub(crate) fn parse_only(text: &str) -> Option<LowerError> {
    let base = prefix_len(text);
    if let Err(error) = check_bracket_depth(text) {
        return Some(error);
    }
    let _spans = SpanScope::enter();
    parse_file(&text[base..])
        .err()
        .map(|err| syntax_error(text, base, &err))
}

/// Parse a file. An attribute macro may take what Rust's grammar alone
/// rejects: `#[ext] pub impl Shelf { .. }` (the `extend` crate) compiles,
/// and syn refuses the visibility. The file is read again without it,
/// blanked so that every offset stays.
fn parse_file(text: &str) -> syn::Result<syn::File> {
    let error = match syn::parse_str::<syn::File>(text) {
        Ok(file) => return Ok(file),
        Err(error) => error,
    };
    // Read again with what syn rejects rewritten in place, each rewrite
    // on top of the one before: offsets stay those of the file.
    let mut rewritten: Option<String> = None;
    for rewrite in [without_impl_visibility, in_later_edition] {
        let Some(next) = rewrite(rewritten.as_deref().unwrap_or(text)) else {
            continue;
        };
        if let Ok(file) = syn::parse_str::<syn::File>(&next) {
            return Ok(file);
        }
        rewritten = Some(next);
    }
    Err(error)
}

/// A byte-order mark and a `#!` line that is not an inner attribute.
fn prefix_len(text: &str) -> usize {
    let mut base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[base..];
    if rest.starts_with("#!") && !rest[2..].trim_start().starts_with('[') {
        base += rest.find('\n').unwrap_or(rest.len());
    }
    base
}

/// syn's error in txlint's style, at file offsets (`base` was stripped).
fn syntax_error(text: &str, base: usize, err: &syn::Error) -> LowerError {
    let span = to_span(base, err.span());
    let mut message = in_message_style(&err.to_string());
    // The tokenizer's own error says only that it failed; what is at the
    // place it failed says why.
    if message == "cannot parse string into token stream" {
        message = lexing_failure(text, span.start as usize);
    }
    LowerError {
        span,
        message: if message.is_empty() {
            "syntax error".to_string()
        } else {
            message
        },
    }
}

/// Why the tokenizer stopped at `offset` of `text`.
fn lexing_failure(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or_default();
    let unquoted = rest.trim_start_matches(['b', 'c', 'r', '#']);
    match rest.chars().next() {
        None => "unclosed delimiter: the file ends before it is closed".to_string(),
        Some(open @ ('(' | '[' | '{')) => format!("unclosed delimiter `{open}`"),
        Some(close @ (')' | ']' | '}')) => format!("mismatched closing delimiter `{close}`"),
        Some('\'') => "invalid character literal".to_string(),
        _ if rest.starts_with("/*") => "unterminated block comment".to_string(),
        _ if unquoted.starts_with('"') => "unterminated string literal".to_string(),
        Some(other) => format!("invalid token starting with `{other}`"),
    }
}

/// How deep the file's own macros are expanded inside one another.
const MAX_NESTED_EXPANSIONS: usize = 8;

/// A `macro_rules!` of the file.
struct OwnMacro {
    /// Whether a rule of it commits or rolls back (a `commit`/`rollback`
    /// in its body).
    ends: bool,
    /// Its rules, where they can be followed (see `macros`).
    rules: Option<Vec<macros::Rule>>,
}

impl OwnMacro {
    /// What a `macro_rules!` item defines; `None` for any other macro.
    fn of(item: &syn::ItemMacro) -> Option<OwnMacro> {
        if !item.mac.path.is_ident("macro_rules") {
            return None;
        }
        let mut ends = false;
        names_in_tokens(item.mac.tokens.clone(), &mut |word| {
            ends |= word == "commit" || word == "rollback";
        });
        let rules = macros::definition(item).map(|(_, rules)| rules);
        Some(OwnMacro { ends, rules })
    }
}

/// File-wide facts: `const NAME: &str = "SQL";` bindings, the types of
/// struct fields (`store: Arc<dyn CryptoStore>`), by struct and field, and
/// the fields whose transaction their struct's `Drop` rolls back.
struct FileFacts<'v> {
    /// The file's own `macro_rules!`, by name.
    own_macros: HashMap<String, OwnMacro>,
    /// Its types' methods whose body begins a read-only transaction (see
    /// `begins_read_only`), as `Type::method`: `self.transaction()` of one
    /// returns no work to lose.
    read_only_methods: std::collections::HashSet<String>,
    /// A type's functions of this file that take no `self` and return
    /// the type (`ImportStaging::begin(&tx) -> Result<Self>`), by the path
    /// a call writes: what one builds around a transaction lent to it is
    /// a view of it, as `Type::new(&tx)` is.
    constructors: std::collections::HashSet<String>,
    const_strings: Vec<(String, String)>,
    /// Statics set once (`static POOL: OnceLock<PgPool>`): their `get()`
    /// looks the value up, it checks nothing out.
    set_once: std::collections::HashSet<String>,
    field_types: HashMap<(String, String), String>,
    /// The type whose methods each field offers (see `receiver_type_name`), by
    /// struct and field.
    field_receivers: HashMap<(String, String), String>,
    /// (struct, field) where `impl Drop` rolls back the transaction of
    /// `self.field`: such a type keeps a transaction open across its
    /// methods on purpose (a protocol session), and ends it when dropped.
    rolled_back_by_drop: std::collections::HashSet<(String, String)>,
    vocabulary: &'v Vocabulary,
    /// Offsets, in order, where a word of the vocabulary starts.
    named_at: Vec<u32>,
    /// Functions of this file, by last name, whose signature returns a
    /// database transaction by value (see `returns_transaction`): a call
    /// hands the caller a transaction to end.
    returning_transactions: std::collections::HashSet<String>,
    /// Those of them whose signature hides the type (`-> Result<impl
    /// ConnectionTrait, DbErr>`).
    opaque_transactions: std::collections::HashSet<String>,
    /// Every function of the file by the name other modules call it
    /// with: `name`, or `Type::name` for a type's.
    functions: std::collections::HashSet<String>,
    /// Those of `returning_transactions`, by the name other modules call
    /// them with: a free function's own (`writer`), a type's function or
    /// method with its type (`Tx::open`, `Db::begin`; see
    /// `Lowerer::receiver_type`).
    exported_returning: Vec<String>,
    /// Functions of this file, by last name, that open a connection and
    /// return it (see `opens_and_returns_connection`), and the same by the
    /// name other modules call them with.
    opening_functions: std::collections::HashSet<String>,
    exported_opening: Vec<String>,
    /// Private functions of this file that take a connection: every call of
    /// one is in view (or in a child module).
    private_functions: std::collections::HashSet<String>,
    /// Private functions of the file's own `impl` blocks that take `self`
    /// or a connection, called as methods or through their type's path.
    private_methods: std::collections::HashSet<String>,
    /// Parameters, by private function and position, that every call of
    /// the function in this file fills with a connection that closes when
    /// the caller drops it on an error path (see `Lowerer::closes_on_drop`).
    closed_by_callers: std::collections::HashSet<(String, usize)>,
    /// Functions of this file, by last name, that begin or end the
    /// transaction of a connection passed to them (see
    /// `transaction_helpers`).
    transaction_helpers: HashMap<String, TransactionHelper>,
    /// What the functions it imports from other modules do, by the name a
    /// call writes (`begin`, `db.begin`, `Db.open`; see `interface`).
    imported: Summaries,
    /// The names looked up in `imported`, `.method` for a method: what
    /// lowering asked of other modules.
    consulted: std::cell::RefCell<std::collections::BTreeSet<String>>,
    /// Where the `fn` tokens of functions that the file's own macros write
    /// are (see `macros`): their words are partly in the invocation, so
    /// they are lowered whatever their span names.
    expanded_functions: std::collections::HashSet<u32>,
    /// A statement that fails aborts its transaction: the file's statements
    /// run on PostgreSQL (see `runs_on_postgres`), and none recovers from a
    /// failure with `ROLLBACK TO SAVEPOINT`.
    failed_statement_aborts: bool,
    /// The file's database runs a script whole and cancels the script's
    /// own transaction when one of its statements fails (SurrealDB's
    /// `BEGIN TRANSACTION; ..; COMMIT TRANSACTION;`): no such script leaves
    /// a transaction open.
    scripts_end_themselves: bool,
    /// Methods of the file's own types, by name, that write through a
    /// field of their object (`self.tx.execute("INSERT ..")`): called on a
    /// transaction or a view of it, they write, whatever their name says.
    writing_methods: std::collections::HashSet<String>,
    /// Functions and methods of the file, by name, that write through one
    /// of their parameters (`log_change(pool, ..)` sending an `INSERT` to
    /// `pool`): handed a pool, they write through it.
    writing_functions: std::collections::HashSet<String>,
    /// A pool was handed to a function of the file beside an open
    /// transaction: lowering needs `writing_functions`.
    asks_writing_functions: std::cell::Cell<bool>,
    /// Tables the file creates as temporary (see `temporary_tables`):
    /// what is written to them does not outlive the session.
    temporary_tables: Vec<String>,
    /// What the workspace's trait methods do where they are implemented
    /// for a database handle (see `TraitMethods`).
    trait_methods: Option<std::sync::Arc<TraitMethods>>,
}

/// What the transaction objects in scope were begun from: names bound in
/// a block leave with it, and a name bound anew is forgotten.
#[derive(Clone, Default)]
struct TransactionSources {
    /// Pools, with the transactions begun from each (see
    /// `Handle::begun_from`): a write through one runs beside them.
    pools: HashMap<String, Vec<String>>,
    /// Connections a transaction was begun on without borrowing them
    /// (`let tx = conn.unchecked_transaction()?`), with the transaction:
    /// what is sent through the connection runs in it.
    connections: HashMap<String, String>,
}

impl TransactionSources {
    /// `name` is bound anew: it is none of these any more.
    fn forget(&mut self, name: &str) {
        self.pools.remove(name);
        for transactions in self.pools.values_mut() {
            transactions.retain(|transaction| transaction != name);
        }
        self.connections
            .retain(|connection, transaction| connection != name && transaction != name);
    }
}

/// See `FileFacts::writing_methods`.
fn writing_methods(flows: &[FnFlow]) -> std::collections::HashSet<String> {
    flows
        .iter()
        .filter(|flow| writes_through(flow, |place| place.starts_with("self.")))
        .filter_map(|flow| Some(flow.name.rsplit_once("::")?.1.to_string()))
        .collect()
}

/// See `FileFacts::writing_functions`.
fn writing_functions(flows: &[FnFlow]) -> std::collections::HashSet<String> {
    parameters_written_through(flows)
        .into_iter()
        .map(|(name, _)| match name.rsplit_once("::") {
            Some((_, last)) => last.to_string(),
            None => name,
        })
        .collect()
}

/// The functions that write through some of their parameters, each with
/// those parameters' positions, for callers in other modules (see
/// `Summary::writes`).
fn parameters_written_through(flows: &[FnFlow]) -> Vec<(String, Vec<usize>)> {
    flows
        .iter()
        .filter_map(|flow| {
            let positions: Vec<usize> = flow
                .params
                .iter()
                .enumerate()
                .filter(|(_, param)| {
                    param
                        .as_deref()
                        .is_some_and(|param| writes_through(flow, |place| place == param))
                })
                .map(|(position, _)| position)
                .collect();
            (!positions.is_empty()).then(|| (flow.name.clone(), positions))
        })
        .collect()
}

/// Whether `flow` writes through a place that `through` accepts.
fn writes_through(flow: &FnFlow, through: impl Fn(&str) -> bool) -> bool {
    flow.blocks
        .iter()
        .flat_map(|block| &block.events)
        .any(|event| event.kind == EventKind::Write && through(&flow.handles[event.handle].name))
}

/// Whether a signature's return type is its own type (`Self`, `Owner`,
/// or either inside a `Result` or `Option`).
fn returns_own_type(output: &syn::ReturnType, owner: &str) -> bool {
    let syn::ReturnType::Type(_, returned) = output else {
        return false;
    };
    quote::ToTokens::to_token_stream(&**returned)
        .into_iter()
        .any(|token| matches!(token, proc_macro2::TokenTree::Ident(ident) if ident == "Self" || ident == owner))
}

/// Every identifier in `tokens`, nested groups included.
fn names_in_tokens(tokens: proc_macro2::TokenStream, found: &mut dyn FnMut(&str)) {
    for tree in tokens {
        match tree {
            proc_macro2::TokenTree::Ident(ident) => found(&ident.to_string()),
            proc_macro2::TokenTree::Group(group) => names_in_tokens(group.stream(), found),
            _ => {}
        }
    }
}

/// Whether a function body makes a begin call that opens a read-only
/// transaction (see `read_only_begin`): a helper returning it hands its
/// caller nothing to commit.
fn begins_read_only(body: &Block) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            self.0 |= read_only_begin(call, string_literal);
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let mut finder = Finder(false);
    finder.visit_block(body);
    finder.0
}

/// Whether a file's database is PostgreSQL: it names PostgreSQL's types or
/// crates (`PgPool`, `Transaction<'_, Postgres>`, `tokio_postgres`), or its
/// package uses no other database (`postgres_package`), and it names no
/// other database's. On PostgreSQL a failed statement aborts its
/// transaction; on SQLite and MySQL the transaction goes on without it.
fn runs_on_postgres(text: &str, postgres_package: bool) -> bool {
    const POSTGRES: &[&str] = &[
        "Postgres",
        "PgPool",
        "PgConnection",
        "PgTransaction",
        "PgExecutor",
        "postgres::",
        "diesel::pg",
    ];
    const OTHERS: &[&str] = &[
        "sqlite",
        "mysql",
        "anypool",
        "anyconnection",
        ", any>",
        "mssql",
    ];
    (postgres_package || POSTGRES.iter().any(|word| text.contains(word))) && {
        let lowered = text.to_ascii_lowercase();
        !OTHERS.iter().any(|word| lowered.contains(word))
    }
}

/// What a function does to the transaction of the connection passed at a
/// position: `begin(&mut conn)?` leaves one open on it, `finish(&mut
/// conn)?` commits or rolls it back, `claim(&mut tx)?` writes through it
/// and returns `Ok(true)` exactly when its write changed a row (a
/// compare-and-swap).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TransactionHelper {
    Begins(usize),
    Ends(usize),
    ReportsWrite(usize),
}

/// What the function's successful returns say of its writes so far (see
/// `TransactionHelper::ReportsWrite`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum ReportedWrite {
    /// No success return seen yet, or only `Ok(false)`.
    #[default]
    Nothing,
    /// `Ok(res.rows_affected() == 1)` for a write through this place.
    Through(String),
    /// Anything else.
    Other,
}

impl<'v> FileFacts<'v> {
    fn collect(file: &syn::File, named_at: Vec<u32>, vocabulary: &'v Vocabulary) -> FileFacts<'v> {
        #[derive(Default)]
        struct Found {
            /// Functions returning an opaque type (`impl ConnectionTrait`),
            /// with what their body returns (see `opaque_return`).
            opaque: Vec<(String, OpaqueReturn)>,
            opaque_transactions: std::collections::HashSet<String>,
            consts: Vec<(String, String)>,
            set_once: std::collections::HashSet<String>,
            fields: HashMap<(String, String), String>,
            field_receivers: HashMap<(String, String), String>,
            rolled_back_by_drop: std::collections::HashSet<(String, String)>,
            returning_transactions: std::collections::HashSet<String>,
            /// Functions that open a connection and return it (see
            /// `opens_and_returns_connection`), by last name.
            opening: std::collections::HashSet<String>,
            /// Every function by its last name and the name other modules
            /// call it with (see `FileFacts::exported_returning`).
            qualified: Vec<(String, String)>,
            /// The type whose `impl` is being read; `None` in a trait and
            /// outside both.
            impl_owner: Option<String>,
            /// Inside `impl Trait for Type`, whose functions are the trait's.
            trait_impl: bool,
            /// Signatures of each name that return something else, counted.
            returning_other: HashMap<String, usize>,
            private_functions: std::collections::HashSet<String>,
            private_methods: std::collections::HashSet<String>,
            /// The project's own transaction types: structs that hold a
            /// driver's transaction, whose `impl` has a `commit` method
            /// and no `Drop` (see `holds_transaction`).
            holding_transactions: std::collections::HashSet<String>,
            committing: std::collections::HashSet<String>,
            dropping: std::collections::HashSet<String>,
            /// Functions that return none of the driver's transactions, by
            /// name, with the type they return.
            returned_types: Vec<(String, String)>,
            /// See `FileFacts::constructors`.
            constructors: std::collections::HashSet<String>,
            /// Functions whose body begins a read-only transaction (see
            /// `begins_read_only`): what they return has no work to lose.
            read_only: std::collections::HashSet<String>,
            /// The same, of a type's methods, as `Type::method`.
            read_only_methods: std::collections::HashSet<String>,
            own_macros: HashMap<String, OwnMacro>,
        }
        impl Found {
            fn read_only_body(&mut self, signature: &syn::Signature, body: &Block) {
                if begins_read_only(body) {
                    self.read_only.insert(signature.ident.to_string());
                    if let Some(owner) = &self.impl_owner {
                        self.read_only_methods
                            .insert(format!("{owner}::{}", signature.ident));
                    }
                }
            }
            fn opening_body(&mut self, signature: &syn::Signature, body: &Block) {
                if opens_and_returns_connection(signature, body) {
                    self.opening.insert(signature.ident.to_string());
                }
            }
            fn opaque_body(&mut self, signature: &syn::Signature, body: &Block) {
                if returns_opaque(&signature.output)
                    && let Some(returned) = opaque_return(body)
                {
                    self.opaque.push((signature.ident.to_string(), returned));
                }
            }
        }
        impl<'ast> Visit<'ast> for Found {
            fn visit_item_fn(&mut self, item: &'ast ItemFn) {
                if matches!(item.vis, syn::Visibility::Inherited)
                    && takes_database_handle(&item.sig)
                {
                    self.private_functions.insert(item.sig.ident.to_string());
                }
                self.opaque_body(&item.sig, &item.block);
                self.opening_body(&item.sig, &item.block);
                self.read_only_body(&item.sig, &item.block);
                // A function inside a method's body is no function of the
                // type.
                let owner = self.impl_owner.take();
                let name = item.sig.ident.to_string();
                self.qualified.push((name.clone(), name));
                syn::visit::visit_item_fn(self, item);
                self.impl_owner = owner;
            }
            fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
                if let Some(owner) = &self.impl_owner {
                    let name = item.sig.ident.to_string();
                    if item.sig.receiver().is_none() && returns_own_type(&item.sig.output, owner) {
                        self.constructors.insert(format!("{owner}::{name}"));
                    }
                    self.qualified
                        .push((name.clone(), format!("{owner}::{name}")));
                }
                self.opaque_body(&item.sig, &item.block);
                self.opening_body(&item.sig, &item.block);
                self.read_only_body(&item.sig, &item.block);
                if !self.trait_impl
                    && matches!(item.vis, syn::Visibility::Inherited)
                    && (item.sig.receiver().is_some() || takes_database_handle(&item.sig))
                {
                    self.private_methods.insert(item.sig.ident.to_string());
                }
                let owner = self.impl_owner.take();
                syn::visit::visit_impl_item_fn(self, item);
                self.impl_owner = owner;
            }
            fn visit_signature(&mut self, signature: &'ast syn::Signature) {
                let name = signature.ident.to_string();
                if returns_transaction(&signature.output) {
                    self.returning_transactions.insert(name);
                } else {
                    if let Some(returned) = returned_type_name(&signature.output) {
                        self.returned_types.push((name.clone(), returned));
                    }
                    *self.returning_other.entry(name).or_default() += 1;
                }
            }
            fn visit_item_macro(&mut self, item: &'ast syn::ItemMacro) {
                if let Some(name) = &item.ident
                    && let Some(own) = OwnMacro::of(item)
                {
                    self.own_macros.insert(name.to_string(), own);
                }
                syn::visit::visit_item_macro(self, item);
            }
            fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
                let is_drop = item.trait_.as_ref().is_some_and(|(path, _)| {
                    path.segments.last().is_some_and(|s| s.ident == "Drop")
                });
                if let (true, syn::Type::Path(owner)) = (is_drop, &*item.self_ty)
                    && let Some(owner) = owner.path.segments.last()
                {
                    let mut rollbacks = DropRollbacks::default();
                    rollbacks.visit_item_impl(item);
                    for field in rollbacks.fields {
                        self.rolled_back_by_drop
                            .insert((owner.ident.to_string(), field));
                    }
                }
                let owner = match &*item.self_ty {
                    syn::Type::Path(owner) => {
                        owner.path.segments.last().map(|s| s.ident.to_string())
                    }
                    _ => None,
                };
                if let Some(owner) = &owner {
                    if is_drop {
                        self.dropping.insert(owner.clone());
                    }
                    let commits = item.items.iter().any(|item| {
                        matches!(item, syn::ImplItem::Fn(method)
                            if method.sig.ident == "commit" && method.sig.receiver().is_some())
                    });
                    if commits {
                        self.committing.insert(owner.clone());
                    }
                }
                let outer = std::mem::replace(&mut self.impl_owner, owner);
                let outer_trait = std::mem::replace(&mut self.trait_impl, item.trait_.is_some());
                syn::visit::visit_item_impl(self, item);
                self.impl_owner = outer;
                self.trait_impl = outer_trait;
            }
            fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
                let outer = self.impl_owner.take();
                syn::visit::visit_item_trait(self, item);
                self.impl_owner = outer;
            }
            fn visit_item_static(&mut self, item: &'ast syn::ItemStatic) {
                if let syn::Type::Path(path) = &*item.ty
                    && path
                        .path
                        .segments
                        .last()
                        .is_some_and(|last| last.ident == "OnceLock" || last.ident == "OnceCell")
                {
                    self.set_once.insert(item.ident.to_string());
                }
            }
            fn visit_item_const(&mut self, item: &'ast syn::ItemConst) {
                if let Some(text) = string_literal(&item.expr) {
                    self.consts.push((item.ident.to_string(), text));
                }
            }
            fn visit_item_struct(&mut self, item: &'ast syn::ItemStruct) {
                if item.fields.iter().any(|field| holds_transaction(&field.ty)) {
                    self.holding_transactions.insert(item.ident.to_string());
                }
                for field in &item.fields {
                    if let Some(name) = &field.ident {
                        if let Some(owner) = receiver_type_name(&field.ty) {
                            self.field_receivers
                                .insert((item.ident.to_string(), name.to_string()), owner);
                        }
                        self.fields.insert(
                            (item.ident.to_string(), name.to_string()),
                            type_text(&field.ty),
                        );
                    }
                }
            }
        }
        let mut found = Found::default();
        found.visit_file(file);
        for name in &found.read_only {
            found.returning_transactions.remove(name);
        }
        // A function that returns the project's own transaction type
        // (`-> Result<TxStore, DbErr>`) begins a transaction for its
        // caller, who commits it through the type's `commit`.
        let own_types: std::collections::HashSet<&String> = found
            .holding_transactions
            .iter()
            .filter(|name| found.committing.contains(*name) && !found.dropping.contains(*name))
            .collect();
        for (name, returned) in &found.returned_types {
            if own_types.contains(returned) {
                found.returning_transactions.insert(name.clone());
                if let Some(count) = found.returning_other.get_mut(name) {
                    *count -= 1;
                    if *count == 0 {
                        found.returning_other.remove(name);
                    }
                }
            }
        }
        // A function whose signature hides its type (`-> Result<impl
        // ConnectionTrait, DbErr>`) returns a transaction when its body
        // returns one it began, or what such a function returns.
        loop {
            let before = found.returning_transactions.len();
            for (name, returned) in &found.opaque {
                let begins = match returned {
                    OpaqueReturn::Method { name, arguments } => {
                        vocabulary.begins_object(name, *arguments)
                            || found.returning_transactions.contains(name)
                    }
                    OpaqueReturn::Function(name) => found.returning_transactions.contains(name),
                };
                // Its own signature is the one counted as returning
                // something else; another of the name makes it ambiguous.
                if begins && found.returning_other.get(name) == Some(&1) {
                    found.returning_transactions.insert(name.clone());
                    found.returning_other.remove(name);
                    found.opaque_transactions.insert(name.clone());
                }
            }
            if found.returning_transactions.len() == before {
                break;
            }
        }
        FileFacts {
            own_macros: found.own_macros,
            read_only_methods: found.read_only_methods,
            constructors: found.constructors,
            const_strings: found.consts,
            set_once: found.set_once,
            field_types: found.fields,
            field_receivers: found.field_receivers,
            rolled_back_by_drop: found.rolled_back_by_drop,
            // A name also given to a function that returns something else
            // is not known at its calls.
            returning_transactions: found
                .returning_transactions
                .iter()
                .filter(|name| !found.returning_other.contains_key(*name))
                .cloned()
                .collect(),
            functions: found
                .qualified
                .iter()
                .map(|(_, qualified)| qualified.clone())
                .collect(),
            exported_returning: found
                .qualified
                .iter()
                .filter(|(name, _)| {
                    found.returning_transactions.contains(name)
                        && !found.returning_other.contains_key(name)
                })
                .map(|(_, qualified)| qualified.clone())
                .collect(),
            exported_opening: found
                .qualified
                .iter()
                .filter(|(name, _)| {
                    found.opening.contains(name) && found.returning_other.get(name) == Some(&1)
                })
                .map(|(_, qualified)| qualified.clone())
                .collect(),
            opening_functions: found
                .opening
                .iter()
                .filter(|name| found.returning_other.get(*name) == Some(&1))
                .cloned()
                .collect(),
            private_functions: found.private_functions,
            private_methods: found.private_methods,
            opaque_transactions: found.opaque_transactions,
            closed_by_callers: Default::default(),
            vocabulary,
            named_at,
            transaction_helpers: HashMap::new(),
            imported: Summaries::new(),
            consulted: Default::default(),
            expanded_functions: Default::default(),
            failed_statement_aborts: false,
            scripts_end_themselves: false,
            temporary_tables: Vec::new(),
            writing_methods: Default::default(),
            writing_functions: Default::default(),
            asks_writing_functions: Default::default(),
            trait_methods: None,
        }
    }

    /// What the trait method of this name does where the workspace
    /// implements it for a database handle.
    fn trait_method(&self, method: &str) -> Option<MethodEffect> {
        self.trait_methods.as_ref()?.methods.get(method).copied()
    }

    /// Whether a parameter of this type is bounded by one of the
    /// workspace's traits that a database handle implements
    /// (`store: &mut impl TourStore`, `&mut dyn Store`, `S: TourStore`).
    fn handle_trait_type(&self, ty: &syn::Type, signature: &syn::Signature) -> bool {
        self.trait_methods.as_ref().is_some_and(|known| {
            trait_bounds(ty, signature).any(|bound| known.traits.contains(&bound))
        })
    }

    /// Whether a function takes a parameter bounded by such a trait.
    fn takes_handle_trait(&self, signature: &syn::Signature) -> bool {
        signature.inputs.iter().any(|input| match input {
            syn::FnArg::Typed(typed) => self.handle_trait_type(&typed.ty, signature),
            syn::FnArg::Receiver(_) => false,
        })
    }

    /// Whether `place` is a field of `owner` whose transaction the type's
    /// `Drop` rolls back.
    fn rolled_back_by_drop(&self, owner: Option<&str>, place: &str) -> bool {
        let field = place.strip_prefix("self.").filter(|f| !f.contains('.'));
        owner.zip(field).is_some_and(|(owner, field)| {
            self.rolled_back_by_drop
                .contains(&(owner.to_string(), field.to_string()))
        })
    }

    /// Whether the type's `Drop` rolls back one of its fields: a guard
    /// (`UndoOnDrop { conn: &conn, done: false }`).
    fn rolls_back_on_drop(&self, type_name: &str) -> bool {
        self.rolled_back_by_drop
            .iter()
            .any(|(owner, _)| owner == type_name)
    }

    /// Whether the code at `span` names a word of the vocabulary: one that
    /// does not has nothing to follow.
    fn names_vocabulary(&self, span: Span) -> bool {
        let first = self.named_at.partition_point(|&at| at < span.start);
        self.named_at.get(first).is_some_and(|&at| at < span.end)
    }

    /// The imported function a call of `path` runs (`begin`, `db::begin`).
    fn imported_function(&self, path: &str) -> Option<&Summary> {
        let key = path.replace("::", ".");
        let found = self.imported.get(&key);
        self.consulted.borrow_mut().insert(key);
        found
    }

    /// The imported method that `.method(..)` runs: the one imported
    /// function of a type (`Repo.exists`) with that name, when all of that
    /// name agree (the receiver's type is rarely written at the call).
    fn imported_method(&self, method: &str) -> Option<&Summary> {
        self.consulted.borrow_mut().insert(format!(".{method}"));
        let mut found = self.imported.iter().filter(|(name, _)| {
            name.rsplit_once('.').is_some_and(|(owner, last)| {
                last == method && owner.starts_with(char::is_uppercase)
            })
        });
        let (_, first) = found.next()?;
        found.all(|(_, other)| other == first).then_some(first)
    }

    /// The SQL text of an argument: a literal or a `const` of this file.
    fn sql_text(&self, expr: &Expr) -> Option<String> {
        match peel(expr) {
            Expr::Path(path) => self.const_text(&path.path.segments.last()?.ident.to_string()),
            other => string_literal(other),
        }
    }

    /// The text of a `const` of the file.
    fn const_text(&self, name: &str) -> Option<String> {
        self.const_strings
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, text)| text.clone())
    }
}

/// The fields of `self` that a `Drop` body rolls back:
/// `self.conn.execute_batch("ROLLBACK")`, `self.tx.rollback()`.
#[derive(Default)]
struct DropRollbacks {
    fields: Vec<String>,
}

impl<'ast> Visit<'ast> for DropRollbacks {
    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        let rolls_back = call.method == "rollback"
            || call.args.iter().any(|arg| {
                string_literal(arg).is_some_and(|sql| {
                    transaction_statements(&sql).contains(&TxStatement::Rollback)
                })
            });
        if rolls_back
            && let Some(field) = place_of(&call.receiver)
                .and_then(|place| place.strip_prefix("self.").map(str::to_string))
        {
            self.fields.push(field);
        }
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// Finds every function-like item and names it as a user would.
struct Collector<'v> {
    file: FileFacts<'v>,
    base: usize,
    /// The enclosing `impl` type or trait, for `Type::method`.
    owner: Vec<String>,
    /// Inside a test function or a `#[cfg(test)]` item.
    in_test: usize,
    flows: Vec<FnFlow>,
    /// Per flow, the writes recorded for lending a transaction to a call.
    lends: Vec<Vec<(String, Span)>>,
    /// Per flow, the calls its parameters were handed to (see
    /// `Lowerer::params_passed_to`).
    params_passed_to: Vec<Vec<String>>,
    /// Per flow, the parameter whose write its `Ok(bool)` reports, by
    /// position (see `TransactionHelper::ReportsWrite`).
    reports_write: Vec<Option<usize>>,
    /// Per flow, the transactions it takes by value, by position and name.
    taken_transactions: Vec<Vec<(usize, String)>>,
    /// Functions not lowered because they name nothing to follow.
    quiet: Vec<String>,
    /// For each private function and argument position, whether every
    /// call seen passes a connection that closes on drop (see
    /// `FileFacts::closed_by_callers`).
    closing_arguments: HashMap<(String, usize), bool>,
    private_calls: std::collections::HashSet<(String, u32)>,
    /// Lowered functions that take a parameter a transaction can be lent
    /// through (see `lendable_type`).
    lendable: std::collections::HashSet<String>,
    too_deep: Option<Span>,
}

impl<'v> Collector<'v> {
    /// The parameters (see `FileFacts::closed_by_callers`) that every call
    /// lowered closes on drop, of functions none of whose calls went
    /// unseen: each call written in `text` (in a body not lowered, in a
    /// macro's arguments) was lowered.
    fn closed_by_callers(&self, text: &str) -> std::collections::HashSet<(String, usize)> {
        let mut lowered: HashMap<&str, usize> = HashMap::new();
        for (callee, _) in &self.private_calls {
            *lowered.entry(callee.as_str()).or_default() += 1;
        }
        // Every call of it seen: none written elsewhere (in a macro's
        // text) and none made by code it is handed to as a value.
        lowered.retain(|callee, calls| {
            *calls == written_calls(text, callee) && !passed_as_value(text, callee)
        });
        self.closing_arguments
            .iter()
            .filter(|((callee, _), closes)| **closes && lowered.contains_key(callee.as_str()))
            .map(|(key, _)| key.clone())
            .collect()
    }

    fn new(file: FileFacts<'v>, base: usize) -> Collector<'v> {
        Collector {
            file,
            base,
            owner: Vec::new(),
            in_test: 0,
            flows: Vec::new(),
            lends: Vec::new(),
            params_passed_to: Vec::new(),
            reports_write: Vec::new(),
            taken_transactions: Vec::new(),
            quiet: Vec::new(),
            closing_arguments: HashMap::new(),
            private_calls: Default::default(),
            lendable: Default::default(),
            too_deep: None,
        }
    }

    fn at(&self, span: SynSpan) -> Span {
        to_span(self.base, span)
    }

    /// Lower a function, method or default trait method.
    fn lower_fn(&mut self, signature: &syn::Signature, block: &Block) {
        let span = self.fn_span(signature, block);
        self.lower(
            self.name(&signature.ident),
            span,
            Some(signature),
            signature.asyncness.is_some(),
            FnBody::Block(block),
        );
    }

    /// A function's span, from `fn` to its closing brace: taken from those
    /// two tokens, not from every token of the item.
    fn fn_span(&self, signature: &syn::Signature, block: &Block) -> Span {
        Span::new(
            self.at(signature.fn_token.span).start,
            self.at(block.brace_token.span.close()).end,
        )
    }

    /// Visit an item, counting it as test code when its attributes say so.
    fn visit_marked(&mut self, attrs: &[syn::Attribute], visit: impl FnOnce(&mut Self)) {
        let test = attrs.iter().any(is_test_attribute);
        self.in_test += usize::from(test);
        visit(self);
        self.in_test -= usize::from(test);
    }

    fn name(&self, ident: &syn::Ident) -> String {
        match self.owner.last() {
            Some(owner) => format!("{owner}::{ident}"),
            None => ident.to_string(),
        }
    }

    fn lower(
        &mut self,
        name: String,
        span: Span,
        signature: Option<&syn::Signature>,
        asynchronous: bool,
        body: FnBody,
    ) {
        // Most functions of a crate never touch a database: one whose text
        // names nothing of the vocabulary has nothing to follow. Its name
        // is kept: a transaction lent to it is not written through. One
        // that takes a connection or transaction still hands it on, to a
        // reader or a writer of another module, so it is followed, and so
        // is one that calls a function of the file that begins one.
        if !self.file.names_vocabulary(span)
            && !self.file.expanded_functions.contains(&span.start)
            && !signature.is_some_and(takes_database_handle)
            && !signature.is_some_and(|s| self.file.takes_handle_trait(s))
            && !calls_any(&body, &self.file.private_functions, false)
            && !calls_any(&body, &self.file.private_methods, true)
            && !calls_any(&body, &self.file.returning_transactions, true)
        {
            self.quiet.push(name);
            return;
        }
        if signature.is_some_and(|s| takes_lendable(s) || self.file.takes_handle_trait(s)) {
            self.lendable.insert(name.clone());
        }
        let mut lowerer = Lowerer::new(&self.file, self.base, name, span);
        if self.in_test > 0 {
            lowerer.builder.set_test_code();
        }
        lowerer.owner = self.owner.last().cloned();
        if asynchronous {
            lowerer.builder.set_async();
        }
        if let Some(signature) = signature {
            lowerer.typed_params(signature);
            lowerer.returns_no_error |= !returns_errors(&body);
        }
        lowerer.tested_later = locals_tested_for_errors(&body);
        lowerer.body(body);
        if let Some(span) = lowerer.too_deep {
            self.too_deep.get_or_insert(span);
        }
        let end = Span::new(span.end.saturating_sub(1), span.end);
        self.lends.push(std::mem::take(&mut lowerer.lends));
        for (key, closes) in std::mem::take(&mut lowerer.closing_arguments) {
            *self.closing_arguments.entry(key).or_insert(true) &= closes;
        }
        self.private_calls
            .extend(std::mem::take(&mut lowerer.private_calls));
        self.params_passed_to
            .push(std::mem::take(&mut lowerer.params_passed_to));
        let reported = match &lowerer.reported_write {
            ReportedWrite::Through(place) => lowerer.builder.param_position(place),
            _ => None,
        };
        self.reports_write.push(reported);
        self.taken_transactions
            .push(std::mem::take(&mut lowerer.taken_transactions));
        let mut flow = lowerer.builder.finish(end);
        callbacks_read_uncommitted(&mut flow, &lowerer.callback_writes);
        self.flows.push(flow);
    }
}

/// Whether a body can return an error: a `?`, an `Err(..)`, or a macro
/// that returns one (`bail!`, `ensure!`); not those of the closures,
/// `async` blocks and functions written inside it.
fn returns_errors(body: &FnBody) -> bool {
    let mut exits = EarlyExits::default();
    match body {
        FnBody::Block(block) => exits.visit_block(block),
        FnBody::Expr(expr) => exits.visit_expr(expr),
    }
    exits.question_mark || exits.error_values || exits.error_macros
}

/// The locals a body tests with `.is_err()` or `.is_ok()` (see
/// `Lowerer::tested_later`).
fn locals_tested_for_errors(body: &FnBody) -> std::collections::HashSet<String> {
    struct Tests(std::collections::HashSet<String>);
    impl<'ast> Visit<'ast> for Tests {
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            if call.args.is_empty()
                && (call.method == "is_err" || call.method == "is_ok")
                && let Expr::Path(path) = peel(&call.receiver)
                && let Some(name) = path.path.get_ident()
            {
                self.0.insert(name.to_string());
            }
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    let mut tests = Tests(Default::default());
    match body {
        FnBody::Block(block) => tests.visit_block(block),
        FnBody::Expr(expr) => tests.visit_expr(expr),
    }
    tests.0
}

/// Whether a body calls one of these functions by its bare name.
/// With `by_last_name`, also a method of that name, or a path ending in
/// it (`self.open_work()`, `Db::open_work(..)`).
fn calls_any(body: &FnBody, names: &std::collections::HashSet<String>, by_last_name: bool) -> bool {
    struct Calls<'n> {
        names: &'n std::collections::HashSet<String>,
        by_last_name: bool,
        found: bool,
    }
    impl<'ast> Visit<'ast> for Calls<'_> {
        fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
            self.found |= path_text(&call.func).is_some_and(|f| {
                let last = f.rsplit("::").next().unwrap_or(&f);
                self.names
                    .contains(if self.by_last_name { last } else { &f })
            });
            syn::visit::visit_expr_call(self, call);
        }
        fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
            self.found |= self.by_last_name && self.names.contains(&call.method.to_string());
            syn::visit::visit_expr_method_call(self, call);
        }
    }
    if names.is_empty() {
        return false;
    }
    let mut calls = Calls {
        names,
        by_last_name,
        found: false,
    };
    match body {
        FnBody::Block(block) => calls.visit_block(block),
        FnBody::Expr(expr) => calls.visit_expr(expr),
    }
    calls.found
}

enum FnBody<'a> {
    Block(&'a Block),
    Expr(&'a Expr),
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        self.visit_marked(&item.attrs, |this| {
            this.lower_fn(&item.sig, &item.block);
            syn::visit::visit_item_fn(this, item);
        });
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        self.visit_marked(&item.attrs, |this| {
            this.lower_fn(&item.sig, &item.block);
            syn::visit::visit_impl_item_fn(this, item);
        });
    }

    fn visit_trait_item_fn(&mut self, item: &'ast TraitItemFn) {
        if let Some(block) = &item.default {
            self.lower_fn(&item.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, item);
    }

    fn visit_item_impl(&mut self, item: &'ast syn::ItemImpl) {
        let owner = match &*item.self_ty {
            syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
            _ => None,
        };
        self.owner
            .push(owner.unwrap_or_else(|| "<impl>".to_string()));
        self.visit_marked(&item.attrs, |this| syn::visit::visit_item_impl(this, item));
        self.owner.pop();
    }

    fn visit_item_trait(&mut self, item: &'ast syn::ItemTrait) {
        self.owner.push(item.ident.to_string());
        syn::visit::visit_item_trait(self, item);
        self.owner.pop();
    }

    /// A closure or `async` block run where a `let` binds its result is
    /// part of its function (see `Lowerer::run_in_place`), not one of its
    /// own.
    fn visit_local(&mut self, local: &'ast syn::Local) {
        if let Some(init) = &local.init
            && init.diverge.is_none()
            && binding_name(&local.pat).is_some()
            && let Some(body) = run_at_once(&init.expr)
        {
            self.visit_block(body);
            return;
        }
        syn::visit::visit_local(self, local);
    }

    /// A closure bound to a local and called at the head of the next
    /// statement runs there, in place (see `closures_run_next`).
    fn visit_block(&mut self, block: &'ast Block) {
        let run_next = closures_run_next(&block.stmts);
        if run_next.is_empty() {
            syn::visit::visit_block(self, block);
            return;
        }
        for (index, stmt) in block.stmts.iter().enumerate() {
            match run_next.iter().find(|(at, ..)| *at == index) {
                Some((_, _, body)) => self.visit_block(body),
                None => self.visit_stmt(stmt),
            }
        }
    }

    fn visit_expr_closure(&mut self, closure: &'ast syn::ExprClosure) {
        let name = format!(
            "{}::{{closure}}",
            self.owner.last().map_or("<fn>", String::as_str)
        );
        // From the first `|` to the body's end (a block's closing brace).
        let start = self.at(closure.inputs_begin.span).start;
        let end = match &*closure.body {
            Expr::Block(block) => self.at(block.block.brace_token.span.close()).end,
            body => self.at(body.span()).end,
        };
        self.lower(
            name,
            Span::new(start, end),
            None,
            closure.asyncness.is_some(),
            FnBody::Expr(&closure.body),
        );
        syn::visit::visit_expr_closure(self, closure);
    }

    fn visit_expr_async(&mut self, block: &'ast syn::ExprAsync) {
        let name = format!(
            "{}::{{async block}}",
            self.owner.last().map_or("<fn>", String::as_str)
        );
        let span = Span::new(
            self.at(block.async_token.span).start,
            self.at(block.block.brace_token.span.close()).end,
        );
        self.lower(name, span, None, true, FnBody::Block(&block.block));
        syn::visit::visit_expr_async(self, block);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // A module starts a new naming scope for its items.
        let saved = std::mem::take(&mut self.owner);
        self.visit_marked(&item.attrs, |this| syn::visit::visit_item_mod(this, item));
        self.owner = saved;
    }
}

/// What an owned handle is, for what dropping it does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owned {
    Transaction,
    /// A pooled connection: dropped, it goes back to its pool.
    Connection,
    /// A connection this function opened (`Connection::open(..)`):
    /// dropped, it closes, which ends any transaction open on it.
    Closes,
}

/// What an expression evaluates to, as far as handles go.
#[derive(Clone, Debug, PartialEq)]
enum Value {
    Nothing,
    /// A variable or field path (`tx`, `self.pool`), moved when used by value.
    Place(String),
    /// A borrow of a place (`&mut *tx`, `&conn`): a use, not a move.
    Borrowed(String),
    /// A raw `BEGIN` sent on `place`, which opens the transaction only once
    /// the call is known to have succeeded (after its `?`, or when the
    /// result is used).
    Begins {
        place: String,
        span: Span,
    },
    /// A script that began and ended its own transaction on `place`
    /// (`BEGIN; ..; COMMIT`): where its error is taken, the transaction is
    /// still open, as the statement that failed stopped it there.
    Script {
        place: String,
        span: Span,
    },
    /// A new transaction object that rolls back when dropped.
    TransactionObject(Span),
    /// A connection checked out of a pool, given back when dropped.
    PooledConnection(Span),
    /// What a statement that writes on `place` returned (its row count, its
    /// optional row): a test of it can tell that the write changed nothing.
    Wrote {
        place: String,
        /// The writes it may be the result of (one per branch of an `if`).
        spans: Vec<Span>,
    },
    /// What a call lent the transaction at `place` returned: its `Err`
    /// says the writes it may have made through it failed. Unlike `Wrote`,
    /// its success value is the callee's own (an id, not a row count).
    Attempted {
        place: String,
        span: Span,
    },
    /// The success value of such a call (`helper(&tx).await?`): an arm
    /// that matches it to an outcome named for what was already there
    /// (`Outcome::Existed(..)`) says the call's writes did not happen.
    Answered {
        place: String,
        span: Span,
    },
    /// A statement prepared on `place` (`conn.prepare("..")?`), not yet
    /// run; its SQL text where it can be read.
    Prepared {
        place: String,
        sql: Option<String>,
    },
    /// A branch condition that tests whether a pending BEGIN ran: it ran
    /// on the branch where the condition is the `bool` given.
    BeginTest(Box<Value>, bool),
    /// A statement bound to the handle at `place` by a binder (see
    /// `SqlCalls::binders`), not yet run: run, it may write there.
    Bound {
        place: String,
        span: Span,
    },
    /// A value built around a borrow of the transaction at `place`
    /// (`Accessor::new(&tx)`): its methods are calls on the transaction.
    View(String),
}

/// The blocks the arms of a `match` start from (see
/// `Lowerer::match_dispatch`).
struct MatchDispatch {
    here: crate::flow::BlockId,
    /// Where the result matched holds and where it failed.
    by_result: Option<(crate::flow::BlockId, crate::flow::BlockId)>,
}

impl MatchDispatch {
    fn arm_start(&self, pat: &Pat) -> crate::flow::BlockId {
        match self.by_result {
            Some((_, failed)) if matches_err(unguarded(pat)) == Some(true) => failed,
            Some((ok, _)) => ok,
            None => self.here,
        }
    }
}

/// A branch condition that holds exactly when the write at `span` on
/// `place` changed nothing (`if res.rows_affected() == 0`, `let Some(row)
/// = .. else`): on that branch the transaction has nothing to lose.
#[derive(Clone)]
struct ZeroRows {
    place: String,
    spans: Vec<Span>,
    /// The condition holding means zero rows (else: its failing does).
    when_true: bool,
    why: Unwritten,
}

/// Why a write changed nothing on a path, which says what else is lost
/// there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Unwritten {
    /// The code tested a statement of the transaction (or a helper's
    /// compare-and-set) for having changed no row: a branch on that is
    /// the author abandoning the transaction, so dropping it from there is
    /// the intended rollback of whatever it wrote before.
    NoRow,
    /// The statement failed in the database (its `Err`), which aborts a
    /// PostgreSQL transaction: nothing written before it can be committed.
    StatementFailed,
    /// As `StatementFailed`, for the `Err` arm of the statement itself
    /// (`if let Err(e) = sqlx::query(..).execute(..).await`), whose result
    /// nothing can test again: a function that carries on from there and
    /// commits answers success for a COMMIT that rolls back.
    StatementFailedHere,
    /// A call lent the transaction found its work done, or answered that it
    /// declined: its own writes did not happen, the transaction's earlier
    /// ones still stand.
    CallDeclined,
    /// A call lent the transaction returned an error, of any kind (`Err(_)`,
    /// `is_err()`). On PostgreSQL it may be a failed statement of the call,
    /// which aborted the transaction, so the caller can only give it up;
    /// elsewhere it is `CallDeclined`. An error of a kind the pattern names
    /// (`Err(StockError::OutOfStock)`) is a refusal, `CallDeclined`.
    CallFailed,
}

struct Lowerer<'a> {
    file: &'a FileFacts<'a>,
    base: usize,
    builder: FlowBuilder,
    /// Handles this function holds by value (bound from a `begin()` or a
    /// pool's `get()`): the only ones a call can move away, by name, with
    /// whether dropping one rolls back (a transaction) or returns it (a
    /// pooled connection).
    owned: HashMap<String, Owned>,
    /// Where each owned transaction or pooled connection was begun or
    /// checked out: moved to another local (`let conn = checkout;`), it is
    /// followed there as the same handle.
    taken_at: HashMap<String, Span>,
    /// Owned handles in the order their `let`s ran, and for each enclosing
    /// loop how many were declared outside it: leaving an iteration drops
    /// what the iteration declared.
    declared: Vec<String>,
    loops: Vec<(Option<String>, usize)>,
    /// Transactions of an enclosing scope hidden by a `let` of their name
    /// in a loop body (`let mut tx = tx.begin().await?;`, a savepoint per
    /// item), with the loop's depth and where the hidden one was taken:
    /// named again when the loop ends.
    shadowed_in_loops: Vec<(usize, String, Option<Span>)>,
    /// Variables bound to what a write returned (see `Value::Wrote`).
    write_results: HashMap<String, (String, Vec<Span>)>,
    /// Variables bound to what a call lent the transaction returned (see
    /// `Value::Attempted`), also made an `Option` (`.ok()`).
    attempts: HashMap<String, (String, Span)>,
    /// Variables bound to its success value (see `Value::Answered`).
    answers: HashMap<String, (String, Span)>,
    /// SQL text bound to local variables (`let sql = "BEGIN";`), and
    /// statements pushed onto local vectors to be joined.
    local_texts: HashMap<String, String>,
    /// Locals that hold a test of a write's row count (`let moved =
    /// res.rows_affected() > 0;`), with what the test tells.
    zero_row_tests: HashMap<String, ZeroRows>,
    /// Locals that hold a response built with an error status (`let
    /// response = Response::builder().status(StatusCode::BAD_REQUEST)..`):
    /// returning one gives up on the request (see `answers_http_error`).
    error_answers: std::collections::HashSet<String>,
    /// The statement being lowered throws its result away (see
    /// `result_discarded`).
    commit_result_discarded: bool,
    /// How many of the file's own macros are being expanded around the
    /// expression being lowered (see `macro_call`).
    expanding: usize,
    local_lists: HashMap<String, Vec<String>>,
    /// Statements prepared into local variables (see `Value::Prepared`).
    prepared: HashMap<String, (String, Option<String>)>,
    /// Raw `BEGIN`s bound unsent in an async function (`let q =
    /// db.query("BEGIN");`, neither awaited nor `?`'d): one runs where its
    /// local is first used, and none runs here when the local is handed on
    /// (to a call, or as a request to add statements to).
    unsent: HashMap<String, Value>,
    /// Locals the body tests with `.is_err()` or `.is_ok()` somewhere:
    /// BEGIN's `Result` kept in one (`let started = conn.execute("BEGIN",
    /// ());`) begins where the test says it worked.
    tested_later: std::collections::HashSet<String>,
    /// BEGINs whose `Result` is kept in such a local, by its name, not
    /// known to have worked until the local is read.
    begin_outcomes: HashMap<String, Value>,
    /// Transactions set to commit when dropped (see
    /// `EventKind::CommitsOnDrop`): their `finish()` commits.
    commits_on_drop: std::collections::HashSet<String>,
    /// Transactions bound from a begin whose failure `?` returns (`let tx =
    /// pool.begin().await?;`): the function reports its failures, so one
    /// that logs a failed commit and goes on hides it (see
    /// `commit_failure_carried_on`).
    begun_with_failure_returned: std::collections::HashSet<String>,
    /// Statements built into local variables and not yet run (`let q =
    /// sqlx::query(sql);`), with their text where it can be read.
    built: HashMap<String, Option<String>>,
    /// Where a function of the file that returns its transaction as an
    /// opaque type (`impl ConnectionTrait`) was called.
    opaque_at: Vec<Span>,
    /// `for` loop bindings, with the collection whose elements they are:
    /// an element closes on drop when its collection does.
    elements: HashMap<String, String>,
    /// Locals that reach a transaction through a borrow (see
    /// `Value::View`), with the transaction's place.
    views: HashMap<String, String>,
    /// Locals bound to a copy of another place (`let db = state.pool
    /// .clone()`, `Arc::clone(&pool)`), with that place: a call handed
    /// the copy is handed what it copies.
    copies: HashMap<String, String>,
    /// What the transaction objects in scope were begun from.
    sources: TransactionSources,
    /// Writes recorded because a transaction was lent to a call, with the
    /// called function's name.
    lends: Vec<(String, Span)>,
    /// The parameters that can carry a transaction (see `lendable_type`),
    /// and the calls one was handed to
    /// (as an argument or a method's receiver) that are not statements the
    /// vocabulary knows: what the function may do to a transaction lent to
    /// it depends on them.
    params: Vec<String>,
    params_passed_to: Vec<String>,
    /// Transactions taken by value (`tx: Transaction<'_, Postgres>`), by
    /// position and name: the function's own to end.
    taken_transactions: Vec<(usize, String)>,
    /// Parameters that are the caller's callbacks (see `callback_type`),
    /// and the writes recorded for lending a transaction to one.
    callbacks: Vec<String>,
    callback_writes: Vec<Span>,
    /// Calls of the file's private functions: by function and argument
    /// position, whether the argument closes when this function drops it;
    /// and each call, by function and offset.
    closing_arguments: Vec<((String, usize), bool)>,
    private_calls: Vec<(String, u32)>,
    /// Parameters whose every caller closes them on drop (see
    /// `FileFacts::closed_by_callers`).
    closing_params: Vec<String>,
    /// Locals holding a `Result` that a branch tested (`is_ok()`).
    tested_results: std::collections::HashSet<String>,
    /// Locals the body gives a `true` or `false` somewhere (`let started =
    /// if .. { ..; true } else { false }`): a test of one follows the
    /// paths that gave it.
    flags: std::collections::HashSet<String>,
    /// The local that the `if` or `match` being lowered is assigned to
    /// (see `flag_value`): its arms say which way a test of it goes, and
    /// one that begins a transaction (`None => pool.begin().await?`) binds
    /// it there, on that arm's path only (see `arm_value`).
    flag_target: Option<String>,
    /// The `impl` type the function belongs to, for `self.field` types.
    owner: Option<String>,
    /// Parameters with a concrete type (`store: &CryptoStore`); a generic
    /// one (`db: A`) is not known.
    param_types: HashMap<String, String>,
    /// The type whose methods each parameter offers (see `receiver_type_name`).
    param_receivers: HashMap<String, String>,
    /// Parameters a `let` of the current blocks shadows, with their
    /// receiver types, to be restored when its block ends.
    shadowed_params: Vec<(String, Option<String>)>,
    /// The method takes `self` by value: its fields are dropped with it.
    self_by_value: bool,
    /// The function's signature returns something other than `()`.
    returns_result: bool,
    /// The function has no error to return: its signature returns `()`, or
    /// a `Result` it never makes an `Err` of. It says it failed by logging
    /// an error.
    returns_no_error: bool,
    /// What its successful returns say of its writes.
    reported_write: ReportedWrite,
    /// The closures run in place that a `return` leaves, innermost last:
    /// their labels and the result each gives (see `run_in_place`).
    returns_into: Vec<(String, HandleId)>,
    depth: usize,
    too_deep: Option<Span>,
}

impl<'a> Lowerer<'a> {
    fn new(file: &'a FileFacts<'a>, base: usize, name: String, span: Span) -> Self {
        let mut builder = FlowBuilder::new(name, span);
        builder.set_error_model(ErrorModel::ResultReturns);
        Lowerer {
            file,
            base,
            builder,
            owned: HashMap::new(),
            taken_at: HashMap::new(),
            declared: Vec::new(),
            loops: Vec::new(),
            shadowed_in_loops: Vec::new(),
            write_results: HashMap::new(),
            attempts: HashMap::new(),
            answers: HashMap::new(),
            local_texts: HashMap::new(),
            zero_row_tests: HashMap::new(),
            error_answers: Default::default(),
            commit_result_discarded: false,
            expanding: 0,
            local_lists: HashMap::new(),
            prepared: HashMap::new(),
            unsent: HashMap::new(),
            tested_later: Default::default(),
            begin_outcomes: HashMap::new(),
            commits_on_drop: std::collections::HashSet::new(),
            begun_with_failure_returned: std::collections::HashSet::new(),
            built: HashMap::new(),
            opaque_at: Vec::new(),
            views: HashMap::new(),
            copies: HashMap::new(),
            sources: TransactionSources::default(),
            elements: HashMap::new(),
            lends: Vec::new(),
            params: Vec::new(),
            params_passed_to: Vec::new(),
            taken_transactions: Vec::new(),
            callbacks: Vec::new(),
            callback_writes: Vec::new(),
            closing_arguments: Vec::new(),
            private_calls: Vec::new(),
            closing_params: Vec::new(),
            tested_results: std::collections::HashSet::new(),
            flags: std::collections::HashSet::new(),
            flag_target: None,
            owner: None,
            param_types: HashMap::new(),
            param_receivers: HashMap::new(),
            shadowed_params: Vec::new(),
            self_by_value: false,
            returns_result: false,
            returns_no_error: false,
            reported_write: ReportedWrite::Nothing,
            returns_into: Vec::new(),
            depth: 0,
            too_deep: None,
        }
    }

    fn span(&self, span: SynSpan) -> Span {
        to_span(self.base, span)
    }

    /// Guards recursion on deeply nested input; false means stop descending.
    /// (A syn node's span is computed from all its tokens: only on the way
    /// out.)
    fn enter<T: Spanned + ?Sized>(&mut self, node: &T) -> bool {
        if self.depth >= MAX_NESTING {
            if self.too_deep.is_none() {
                self.too_deep = Some(self.span(node.span()));
            }
            return false;
        }
        self.depth += 1;
        true
    }

    fn event(&mut self, kind: EventKind, place: &str, span: Span) {
        let handle = self.builder.handle(place);
        self.builder.event(kind, handle, span);
        if kind == EventKind::Write
            && let Some(transactions) = self.sources.pools.get(place)
        {
            for transaction in transactions.clone() {
                let beside = self.builder.handle(&transaction);
                self.builder.event(EventKind::WriteBeside, beside, span);
            }
        }
    }

    /// A pending raw `BEGIN` takes effect: the call succeeded. One on a
    /// field whose struct's `Drop` rolls it back is the object's to end.
    fn settle(&mut self, value: Value) {
        match value {
            Value::Begins { place, span } => {
                self.event(EventKind::Begin, &place, span);
                if self.file.rolled_back_by_drop(self.owner.as_deref(), &place) {
                    self.event(EventKind::Escape, &place, span);
                }
            }
            // A bound statement used other than for its rows runs, and may
            // write.
            Value::Bound { place, span } => self.event(EventKind::Write, &place, span),
            _ => {}
        }
    }

    /// The value leaves the function's hands (moved into a call, a struct,
    /// returned).
    fn escape<T: Spanned + ?Sized>(&mut self, value: &Value, node: &T) {
        // Only what this function bound by value can be moved away; a
        // parameter like `conn: &mut PgConnection` is passed on by reborrow.
        if let Value::Place(place) = value
            && self.owned.contains_key(place)
        {
            let span = self.span(node.span());
            self.event(EventKind::Escape, place, span);
        }
        // Moving a collection moves the connections a loop walked in it.
        if let Value::Place(place) = value {
            let mut elements: Vec<String> = self
                .elements
                .iter()
                .filter(|(_, collection)| *collection == place)
                .map(|(element, _)| element.clone())
                .collect();
            elements.sort();
            let span = self.span(node.span());
            for element in elements {
                self.event(EventKind::Escape, &element, span);
            }
        }
    }

    fn bind<T: Spanned + ?Sized>(&mut self, name: &str, value: Value, node: &T) {
        // `let mut tx = tx;` keeps it where it is.
        if matches!(&value, Value::Place(place) if place == name)
            && self.taken_at.contains_key(name)
        {
            return;
        }
        self.taken_at.remove(name);
        self.views.remove(name);
        self.built.remove(name);
        self.unsent.remove(name);
        match value {
            Value::TransactionObject(at) => {
                // A transaction shadowed by another of the same name can no
                // longer be committed: its fate is sealed here, though it is
                // dropped only where its scope ends. Unless the new one
                // lives in a loop body the old one encloses: the old one is
                // named again after the loop.
                if self.owned.get(name) == Some(&Owned::Transaction) {
                    let outer = self.declared.iter().rposition(|declared| declared == name);
                    match (outer, self.loops.last()) {
                        (Some(outer), Some(&(_, mark))) if outer < mark => {
                            self.builder.shadow(name);
                            let hidden_at = self.taken_at.get(name).copied();
                            self.shadowed_in_loops.push((
                                self.loops.len(),
                                name.to_string(),
                                hidden_at,
                            ));
                        }
                        _ => self.event(EventKind::Shadowed, name, at),
                    }
                }
                self.owned.insert(name.to_string(), Owned::Transaction);
                self.taken_at.insert(name.to_string(), at);
                self.declared.push(name.to_string());
                let handle = self.builder.handle(name);
                self.builder.set_drop_behaviour(handle, true, false);
                // An opaque type (`impl ConnectionTrait`) may have no
                // `commit()` to call: no fix.
                if !self.opaque_at.contains(&at)
                    && let Some(statement) = commit_statement(name, self.builder.is_async())
                {
                    self.builder.set_commit_statement(handle, statement);
                }
                self.builder.event(EventKind::Begin, handle, at);
            }
            Value::PooledConnection(at) => {
                self.owned.insert(name.to_string(), Owned::Connection);
                self.taken_at.insert(name.to_string(), at);
                self.declared.push(name.to_string());
                let handle = self.builder.handle(name);
                self.builder.set_drop_behaviour(handle, false, true);
                self.builder.event(EventKind::Acquire, handle, at);
            }
            Value::Wrote { place, spans } => {
                self.write_results.insert(name.to_string(), (place, spans));
            }
            Value::Attempted { place, span } => {
                self.attempts.insert(name.to_string(), (place, span));
            }
            Value::Answered { place, span } => {
                self.answers.insert(name.to_string(), (place, span));
            }
            Value::Prepared { place, sql } => {
                self.prepared.insert(name.to_string(), (place, sql));
            }
            Value::View(place) => {
                self.views.insert(name.to_string(), place);
            }
            // `let conn = &mut *pooled;` reborrows a connection this
            // function holds: what is sent through `conn` is sent on
            // `pooled`, which is what is handed on or dropped.
            Value::Borrowed(place) if self.owned.contains_key(&place) => {
                self.views.insert(name.to_string(), place);
            }
            // `let conn = checkout;` moves it: followed under the new name
            // from here, as if taken where it was.
            Value::Place(place) if self.taken_at.contains_key(&place) => {
                let at = self.taken_at.remove(&place).unwrap_or_default();
                let moved = match self.owned.get(&place) {
                    Some(Owned::Transaction) => Value::TransactionObject(at),
                    _ => Value::PooledConnection(at),
                };
                self.escape(&Value::Place(place), node);
                self.bind(name, moved, node);
            }
            // `let other = tx;` moves it: no longer tracked under this name.
            other => {
                self.write_results.remove(name);
                self.zero_row_tests.remove(name);
                self.attempts.remove(name);
                self.answers.remove(name);
                self.prepared.remove(name);
                self.settle(other.clone());
                self.escape(&other, node);
            }
        }
    }
}
