//! TX006 double-release: a client released twice on one path (in `try`
//! and again in `finally`, or by every iteration of a loop).

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::FnFlow;
use crate::flow::state::Facts;

pub(super) const RULE: Rule = Rule {
    code: "TX006",
    name: "double-release",
    severity: Severity::Error,
    summary: "a client can be released twice on one path",
    doc: include_str!("../../rules/TX006.md"),
    check: Some(check),
    shown_in_tests: false,
};

fn check(flow: &FnFlow, facts: &Facts, out: &mut Vec<Diagnostic>) {
    for (handle, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle];
        if handle_facts.truncated || handle.returns_to_pool_on_drop || handle.pool {
            continue;
        }
        let mut doubles = handle_facts.double_releases.clone();
        doubles.sort_by_key(|d| (d.second, d.first));
        doubles.dedup_by_key(|d| d.second);
        for double in doubles {
            let name = &handle.name;
            let (message, labels) = if double.first == double.second {
                (
                    format!("`{name}` is released again by the next iteration of the loop"),
                    vec![Label {
                        message: "released on every iteration, but checked out once".into(),
                        span: double.second,
                    }],
                )
            } else {
                (
                    format!("`{name}` can be released twice on one path"),
                    vec![
                        Label {
                            message: "released here first".into(),
                            span: double.first,
                        },
                        Label {
                            message: "and again here".into(),
                            span: double.second,
                        },
                    ],
                )
            };
            let mut diagnostic = RULE.diagnostic(flow, message);
            diagnostic.span = double.second;
            diagnostic.labels = labels;
            diagnostic.help =
                "release exactly once, in `finally`, and not also in `try` or `catch`".into();
            out.push(diagnostic);
        }
    }
}
