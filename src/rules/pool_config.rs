//! TX008 pool-config: a pool constructed with no bound on waiting for a
//! free connection, or with no `'error'` listener anywhere in its module.

use super::Rule;
use super::pool_per_module;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::flow::state::Facts;
use crate::flow::{FnFlow, PoolConstruction};

pub(super) const RULE: Rule = Rule {
    code: "TX008",
    name: "pool-config",
    severity: Severity::Warning,
    summary: "a pool created with no wait timeout or no 'error' listener",
    doc: include_str!("../../rules/TX008.md"),
    check: Some(check),
    shown_in_tests: false,
};

fn check(flow: &FnFlow, _facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    for pool in &flow.pools {
        // A pool that should not exist at all (TX003) carries its
        // configuration's problems in that one report.
        if pool_per_module::reported(flow, pool).is_some() {
            continue;
        }
        let Some(problems) = problems(pool) else {
            continue;
        };
        let name = pool.name.as_deref().unwrap_or("pool");
        let message = match (problems.unbounded, problems.unheard) {
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
        diagnostic.help = problems.help().into();
        out.push(diagnostic);
    }
}

/// What a pool's visible configuration lacks.
pub(super) struct Problems {
    /// No option bounds the wait for a free connection.
    pub unbounded: bool,
    /// Nothing listens for the pool's `'error'` event.
    pub unheard: bool,
}

impl Problems {
    /// What the problems are, as a clause (`no \`connectionTimeoutMillis\``).
    pub fn described(&self) -> &'static str {
        match (self.unbounded, self.unheard) {
            (true, true) => "no `connectionTimeoutMillis` and no `'error'` listener",
            (true, false) => "no `connectionTimeoutMillis`",
            _ => "no `'error'` listener",
        }
    }

    /// The remedy in a few words, for a report that has its own help.
    pub fn fix(&self) -> &'static str {
        match (self.unbounded, self.unheard) {
            (true, true) => "pass `connectionTimeoutMillis` and add `pool.on('error', ..)`",
            (true, false) => "pass `connectionTimeoutMillis`",
            _ => "add `pool.on('error', ..)`",
        }
    }

    pub fn help(&self) -> &'static str {
        match (self.unbounded, self.unheard) {
            (true, true) => {
                "pass `connectionTimeoutMillis` and add `pool.on('error', ..)`, once, in a shared pool module"
            }
            (true, false) => {
                "pass `connectionTimeoutMillis` (for example 2000) so a request fails instead of hanging"
            }
            _ => "add `pool.on('error', (err) => ..)` where the pool is created",
        }
    }
}

/// Judged only by what is visible: options from a call or a spread, or a
/// pool not held in a variable, say nothing.
pub(super) fn problems(pool: &PoolConstruction) -> Option<Problems> {
    let problems = Problems {
        unbounded: pool.bounded_wait == Some(false),
        unheard: pool.error_listener == Some(false),
    };
    (problems.unbounded || problems.unheard).then_some(problems)
}
