//! Front ends: the only code that knows a parser. Each lowers one file into
//! `FnFlow`s, one per function-like thing, with file-relative spans.

mod names;
pub(crate) mod rust;
pub(crate) mod ts;

use std::collections::HashMap;

use crate::flow::summary::Summaries;
use crate::flow::{EventKind, FnFlow, HandleId};
use crate::source::Span;

/// What lowering a file produced: its functions, a syntax error that the
/// parser recovered from, if any, and what other files may use of it.
pub(crate) struct LoweredFile {
    pub flows: Vec<FnFlow>,
    pub recovered_error: Option<LowerError>,
    pub interface: ModuleInterface,
}

/// What the front end is told about a file beyond its text: facts of the
/// package it belongs to.
#[derive(Clone, Debug, Default)]
pub(crate) struct FileContext {
    /// Its package's database drivers are PostgreSQL's only (a Rust
    /// package's `Cargo.toml`), though the file may not say so.
    pub postgres_package: bool,
    /// The `macro_rules!` of the other files of its crate, by name, each
    /// as its item's text, when the file invokes a macro it does not
    /// define; a name defined twice in the crate is left out.
    pub crate_macros: Option<std::sync::Arc<HashMap<String, String>>>,
    /// What its workspace's trait methods do where they are implemented
    /// for a database handle (a Rust file of a Cargo package).
    pub trait_methods: Option<std::sync::Arc<rust::TraitMethods>>,
}

/// A module as other modules of the run see it: what it imports, what it
/// exports, and what its functions do for their callers.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleInterface {
    pub imports: Vec<Import>,
    /// Exported name (or path, `default.getClient`) to the name of its
    /// functions' owner in this file: `getClient` to `getClient`, `db` to
    /// `Database` for `export const db = new Database()`, `default` to what
    /// it exports. An owner that is an import binding is re-exported.
    pub exports: HashMap<String, String>,
    /// Module-level `const name = new Class(..)`: calls of `name.method`
    /// run `Class.method`.
    pub instances: HashMap<String, String>,
    /// Non-empty summaries of this file's functions, by function name.
    pub summaries: Summaries,
    /// `export * from '..'`: everything those modules export, this one does.
    pub reexports_all: Vec<String>,
    /// Rust: the crate's modules it imports whole without `pub` (`use
    /// crate::utils::*;`), which its child modules' `use super::*` sees.
    pub private_globs: Vec<String>,
    /// A CommonJS module (`module.exports`, `exports.x`).
    pub commonjs: bool,
    /// Its default export is an object of its functions
    /// (`module.exports = { getClient }`, `export default { getClient }`).
    pub default_object: bool,
    /// The last names of what its lowered code calls, sorted (see
    /// `ModuleInterface::uses`).
    pub called: Vec<String>,
    /// Those it calls as methods or through a type's path (`.fill`,
    /// `Label.by_url`), sorted: what a type imported whole may be asked
    /// for.
    pub called_on_types: Vec<String>,
}

impl ModuleInterface {
    /// The summaries among `summaries` that its code may call: a change in
    /// any other cannot change how the file lowers.
    pub fn uses(&self, summaries: &Summaries) -> Summaries {
        summaries
            .iter()
            .filter(|(name, _)| {
                let last = name.rsplit('.').next().unwrap_or(name);
                self.called
                    .binary_search_by(|c| c.as_str().cmp(last))
                    .is_ok()
            })
            .map(|(name, summary)| (name.clone(), summary.clone()))
            .collect()
    }

    /// Whether it exports what it imports (a barrel file, or a Rust parent
    /// module's private glob): importers see through it to the helpers of
    /// other files.
    pub fn reexports(&self) -> bool {
        !self.reexports_all.is_empty()
            || !self.private_globs.is_empty()
            || self
                .exports
                .values()
                .any(|owner| self.imports.iter().any(|import| &import.local == owner))
    }
}

/// One imported binding: `import { imported as local } from 'specifier'`;
/// `imported` is `default` for a default import and `*` for a namespace
/// (or a whole CommonJS module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Import {
    pub local: String,
    pub imported: String,
    pub specifier: String,
    /// Whether the module's own code refers to the binding. One named only
    /// in types or exported again cannot be called here, so linking does
    /// not read its module for this module's calls.
    pub referenced: bool,
}

/// Statements and expressions nested deeper than this are not analysed; the
/// file gets a TX000 instead of a stack overflow.
pub(crate) const MAX_NESTING: usize = 2_500;

/// Brackets nested deeper than this are refused before parsing: both
/// parsers recurse once per bracket and would overflow even the analysis
/// stack long before a real program gets there.
pub(crate) const MAX_BRACKET_DEPTH: usize = 8_000;

/// Refuse text whose brackets nest deeper than `MAX_BRACKET_DEPTH`.
/// Brackets in strings and comments count too: a real program is nowhere
/// near the limit either way.
pub(crate) fn check_bracket_depth(text: &str) -> Result<(), LowerError> {
    let mut depth = 0usize;
    for (offset, byte) in text.bytes().enumerate() {
        match byte {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_BRACKET_DEPTH {
                    let at = offset as u32;
                    return Err(LowerError {
                        span: Span::new(at, at + 1),
                        message: format!(
                            "nesting too deep to analyse (more than {MAX_BRACKET_DEPTH} levels of brackets)"
                        ),
                    });
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Why a file could not be lowered (or what the parser recovered from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LowerError {
    pub span: Span,
    pub message: String,
}

/// How a language writes a method's name and a field of its object: `Repo.save`
/// and `this.client` in TypeScript, `Repo::save` and `self.conn` in Rust.
pub(crate) struct ObjectSyntax {
    pub method_separator: &'static str,
    pub field_prefix: &'static str,
}

/// Mark the fields on which a method only begins a transaction that
/// another method of its type only ends, by a commit or a rollback (see
/// `Handle::begun_for_object`). A service whose methods each run a whole
/// transaction on a field has no such method.
pub(crate) fn mark_object_transactions(flows: &mut [FnFlow], syntax: &ObjectSyntax) {
    let commits = |flow: &FnFlow, handle: HandleId| {
        flow.events_of(handle, EventKind::Commit).next().is_some()
    };
    let ends = |flow: &FnFlow, handle: HandleId| {
        commits(flow, handle) || flow.events_of(handle, EventKind::Rollback).next().is_some()
    };
    let begins =
        |flow: &FnFlow, handle: HandleId| flow.events_of(handle, EventKind::Begin).next().is_some();
    // A closure (`Db::{closure}`, `Repo.<anonymous>`) is part of the
    // method it is written in, not a method of its own.
    fn owner_and_method<'f>(flow: &'f FnFlow, separator: &str) -> Option<(&'f str, &'f str)> {
        let name = flow.name.as_str();
        let (owner, method) = name
            .rfind(separator)
            .map(|at| (&name[..at], &name[at + separator.len()..]))?;
        let identifier = method
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$');
        (identifier && !method.is_empty()).then_some((owner, method))
    }
    // (type, field) of every method that only ends a transaction on a field
    // of its object, and the method.
    let mut ended: Vec<(&str, &str, &str)> = Vec::new();
    for flow in flows.iter() {
        let Some((owner, method)) = owner_and_method(flow, syntax.method_separator) else {
            continue;
        };
        for (handle, place) in flow.handles.iter().enumerate() {
            if let Some(field) = place.name.strip_prefix(syntax.field_prefix)
                && ends(flow, handle)
                && !begins(flow, handle)
            {
                ended.push((owner, field, method));
            }
        }
    }
    let mut marks = Vec::new();
    for (index, flow) in flows.iter().enumerate() {
        let Some((owner, method)) = owner_and_method(flow, syntax.method_separator) else {
            continue;
        };
        for (handle, place) in flow.handles.iter().enumerate() {
            let Some(field) = place.name.strip_prefix(syntax.field_prefix) else {
                continue;
            };
            let ended_elsewhere = ended
                .iter()
                .any(|&(o, f, m)| o == owner && f == field && m != method);
            if begins(flow, handle) && !commits(flow, handle) && ended_elsewhere {
                marks.push((index, handle));
            }
        }
    }
    for (index, handle) in marks {
        flows[index].handles[handle].begun_for_object = true;
    }
}
