//! TX900 unused-suppression: a `txlint-ignore` comment with no reason, an
//! unknown code, or nothing to suppress. Reported by the library after it
//! applies suppressions, so the rule has no check of its own.

use super::Rule;
use crate::diagnostic::Severity;

pub(super) const RULE: Rule = Rule {
    code: "TX900",
    name: "unused-suppression",
    severity: Severity::Warning,
    summary: "a txlint-ignore comment with no reason, an unknown code, or nothing to suppress",
    doc: include_str!("../../rules/TX900.md"),
    check: None,
    shown_in_tests: true,
};
