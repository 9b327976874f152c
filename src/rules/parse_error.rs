//! TX000 parse-error: the file cannot be read as code. Reported by the
//! library when a front end fails, so the rule has no check of its own.

use super::Rule;
use crate::diagnostic::Severity;

pub(super) const RULE: Rule = Rule {
    code: "TX000",
    name: "parse-error",
    severity: Severity::Error,
    summary: "the file cannot be parsed (syntax error, not UTF-8, binary)",
    doc: include_str!("../../rules/TX000.md"),
    check: None,
    shown_in_tests: true,
};
