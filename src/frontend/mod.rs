//! Front ends: the only code that knows a parser. Each lowers one file into
//! `FnFlow`s, one per function-like thing, with file-relative spans.

pub(crate) mod rust;
pub(crate) mod ts;

use std::collections::HashMap;

use crate::flow::FnFlow;
use crate::flow::summary::Summaries;
use crate::source::Span;

/// What lowering a file produced: its functions, a syntax error that the
/// parser recovered from, if any, and what other files may use of it.
pub(crate) struct LoweredFile {
    pub flows: Vec<FnFlow>,
    pub recovered_error: Option<LowerError>,
    pub interface: ModuleInterface,
}

/// A module as other modules of the run see it: what it imports, what it
/// exports, and what its functions do for their callers.
#[derive(Clone, Debug, Default)]
pub(crate) struct ModuleInterface {
    pub imports: Vec<Import>,
    /// Exported name to the name of its functions' owner in this file:
    /// `getClient` to `getClient`, `db` to `Database` for
    /// `export const db = new Database()`, `default` to what it exports.
    pub exports: HashMap<String, String>,
    /// Module-level `const name = new Class(..)`: calls of `name.method`
    /// run `Class.method`.
    pub instances: HashMap<String, String>,
    /// Non-empty summaries of this file's functions, by function name.
    pub summaries: Summaries,
}

/// One imported binding: `import { imported as local } from 'specifier'`;
/// `imported` is `default` for a default import and `*` for a namespace
/// (or a whole CommonJS module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Import {
    pub local: String,
    pub imported: String,
    pub specifier: String,
}

/// Statements and expressions nested deeper than this are not analysed; the
/// file gets a TX000 instead of a stack overflow.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Why a file could not be lowered (or what the parser recovered from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LowerError {
    pub span: Span,
    pub message: String,
}
