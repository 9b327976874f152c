//! The rule registry, sorted by code. A rule is plain data plus one check
//! function over a function's flow and the engine's facts about it (and the
//! file's text, which fixes are cut from); it never sees a parser type and
//! never prints.

mod double_release;
mod floating_transaction_statement;
mod missing_release;
mod missing_rollback;
mod parse_error;
mod pool_config;
mod pool_per_module;
mod transaction_on_pool;
mod unterminated_transaction;
mod unused_suppression;

use crate::diagnostic::{Diagnostic, Severity};
use crate::flow::FnFlow;
use crate::flow::state::Facts;

pub(crate) type Check = fn(&FnFlow, &Facts, &str, &mut Vec<Diagnostic>);

pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// One line for `txlint rules`.
    pub summary: &'static str,
    /// The user documentation, `rules/<CODE>.md`.
    pub doc: &'static str,
    /// `None` for rules the library reports itself (TX000).
    pub(crate) check: Option<Check>,
    /// Whether its findings in test code are shown by default. A resource
    /// lifetime rule's are not: a test's process ends what it leaves open,
    /// and tests drop transactions on purpose. Nor are those about how
    /// production code shares and configures its pool: a pool per test is
    /// the norm.
    pub shown_in_tests: bool,
}

pub static RULES: &[Rule] = &[
    parse_error::RULE,
    missing_rollback::RULE,
    missing_release::RULE,
    pool_per_module::RULE,
    transaction_on_pool::RULE,
    unterminated_transaction::RULE,
    double_release::RULE,
    floating_transaction_statement::RULE,
    pool_config::RULE,
    unused_suppression::RULE,
];

/// Facts that only a whole run shows, added to its reports.
pub(crate) fn across_files(files: &mut [crate::diagnostic::FileReport]) {
    pool_per_module::count_across_files(files);
}

pub fn rule(code: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.code.eq_ignore_ascii_case(code))
}

/// A rule by its code or its name (`TX001`, `missing-rollback`).
pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    rule(code_or_name).or_else(|| {
        RULES
            .iter()
            .find(|r| r.name.eq_ignore_ascii_case(code_or_name))
    })
}

/// Where each rule's documentation (`rules/<CODE>.md`) is published.
const DOCS: &str = "https://github.com/txlint/txlint/blob/main/rules";

impl Rule {
    /// The address of this rule's documentation.
    pub fn url(&self) -> String {
        format!("{DOCS}/{}.md", self.code)
    }

    /// A diagnostic of this rule with its code, name and severity filled in.
    pub(crate) fn diagnostic(&self, flow: &FnFlow, message: String) -> Diagnostic {
        Diagnostic {
            code: self.code,
            rule: self.name,
            severity: self.severity,
            message,
            function: flow.name.clone(),
            span: flow.span,
            labels: Vec::new(),
            help: String::new(),
            in_test_code: flow.test_code,
            fix: None,
        }
    }
}
