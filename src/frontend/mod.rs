//! Front ends: the only code that knows a parser. Each lowers one file into
//! `FnFlow`s, one per function-like thing, with file-relative spans.

pub(crate) mod rust;
pub(crate) mod ts;

use crate::flow::FnFlow;
use crate::source::Span;

/// What lowering a file produced: its functions, and a syntax error that the
/// parser recovered from, if any.
pub(crate) struct LoweredFile {
    pub flows: Vec<FnFlow>,
    pub recovered_error: Option<LowerError>,
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
