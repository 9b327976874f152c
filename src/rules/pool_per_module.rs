//! TX003 pool-per-module: a module that serves requests creates its own
//! pool instead of sharing one, or a function creates a pool per call.

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::Facts;
use crate::flow::{FnFlow, PoolScope};

pub(super) const RULE: Rule = Rule {
    code: "TX003",
    name: "pool-per-module",
    severity: Severity::Warning,
    summary: "a route module (or a function, per call) creates its own pool",
    doc: include_str!("../../rules/TX003.md"),
    check: Some(check),
};

fn check(flow: &FnFlow, _facts: &Facts, out: &mut Vec<Diagnostic>) {
    for pool in &flow.pools {
        let message = match pool.scope {
            PoolScope::Module if pool.in_request_module => {
                "this route module creates its own pool; every module that does holds its own connections"
            }
            PoolScope::PerCall => {
                "a new pool is created on every call; its connections are opened again each time and may never be closed"
            }
            PoolScope::Module | PoolScope::Shared => continue,
        };
        let mut diagnostic = RULE.diagnostic(flow, message.to_string());
        diagnostic.span = pool.span;
        diagnostic.labels = vec![Label {
            message: "pool created here".into(),
            span: pool.span,
        }];
        diagnostic.help =
            "create one pool in a shared module (`lib/db-pool.ts` exporting `getPool()`) and import it".into();
        out.push(diagnostic);
    }
}
