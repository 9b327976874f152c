//! TX008 pool-config: a pool constructed with no bound on waiting for a
//! free connection, or with no `'error'` listener anywhere in its module.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::FnFlow;
use crate::flow::state::Facts;

pub(super) const RULE: Rule = Rule {
    code: "TX008",
    name: "pool-config",
    severity: Severity::Warning,
    summary: "a pool created with no wait timeout or no 'error' listener",
    doc: include_str!("../../rules/TX008.md"),
    check: Some(check),
    shown_in_tests: true,
};

fn check(flow: &FnFlow, _facts: &Facts, out: &mut Vec<Diagnostic>) {
    for pool in &flow.pools {
        // Judged only by what is visible: options from a call or a spread,
        // or a pool not held in a variable, say nothing.
        let unbounded = pool.bounded_wait == Some(false);
        let unheard = pool.error_listener == Some(false);
        if !unbounded && !unheard {
            continue;
        }
        let name = pool.name.as_deref().unwrap_or("pool");
        let message = match (unbounded, unheard) {
            (true, true) => {
                format!("pool `{name}` has no `connectionTimeoutMillis` and no `'error'` listener")
            }
            (true, false) => format!(
                "pool `{name}` has no `connectionTimeoutMillis`: waiting for a connection never times out"
            ),
            _ => format!(
                "pool `{name}` has no `'error'` listener: an idle client's error crashes the process"
            ),
        };
        let mut diagnostic = RULE.diagnostic(flow, message);
        diagnostic.span = pool.span;
        diagnostic.labels = vec![Label {
            message: "pool created here".into(),
            span: pool.span,
        }];
        diagnostic.help = match (unbounded, unheard) {
            (true, true) => "pass `connectionTimeoutMillis` and add `pool.on('error', ..)`, once, in a shared pool module",
            (true, false) => "pass `connectionTimeoutMillis` (for example 2000) so a request fails instead of hanging",
            _ => "add `pool.on('error', (err) => ..)` where the pool is created",
        }
        .into();
        out.push(diagnostic);
    }
}
