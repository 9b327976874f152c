//! Front ends: the only code that knows a parser. Each lowers one file into
//! `FnFlow`s, one per function-like thing, with file-relative spans.

pub(crate) mod ts;

use crate::source::Span;

/// Statements and expressions nested deeper than this are not analysed; the
/// file gets a TX000 instead of a stack overflow.
pub(crate) const MAX_NESTING: usize = 1_000;

/// Why a file could not be lowered (or what the parser recovered from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LowerError {
    pub span: Span,
    pub message: String,
}
