//! TX003 pool-per-module: a module that serves requests creates its own
//! pool instead of sharing one, or a function creates a pool per call.

use super::Rule;
use crate::diagnostic::{Diagnostic, FileReport, Label, Severity};
use crate::flow::state::Facts;
use crate::flow::{FnFlow, PoolScope};

pub(super) const RULE: Rule = Rule {
    code: "TX003",
    name: "pool-per-module",
    severity: Severity::Warning,
    summary: "a route module (or a function, per call) creates its own pool",
    doc: include_str!("../../rules/TX003.md"),
    check: Some(check),
    shown_in_tests: true,
};

const ROUTE_MODULE_POOL: &str =
    "this route module creates its own pool; every module that does holds its own connections";

fn help(modules: usize) -> String {
    let importers = match modules {
        0 | 1 => "import it".to_string(),
        n => format!("import it in all {n} route modules"),
    };
    format!(
        "create one pool in a shared module (`lib/db-pool.ts` exporting `getPool()`) and {importers}"
    )
}

fn check(flow: &FnFlow, _facts: &Facts, out: &mut Vec<Diagnostic>) {
    for pool in &flow.pools {
        let message = match pool.scope {
            PoolScope::Module if pool.in_request_module => ROUTE_MODULE_POOL,
            // A script's `main()` runs once.
            PoolScope::PerCall if flow.errors_end_run => continue,
            PoolScope::PerCall if pool.closed => {
                "a new pool is created and closed on every call; its connections are opened again each time"
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
        diagnostic.help = help(1);
        out.push(diagnostic);
    }
}

/// When several route modules of one run each create a pool, each
/// report says how many do: together they hold that many pools'
/// connections.
pub(crate) fn count_across_files(files: &mut [FileReport]) {
    let is_route_pool = |d: &Diagnostic| d.code == RULE.code && d.message == ROUTE_MODULE_POOL;
    let modules = files
        .iter()
        .filter(|file| file.diagnostics.iter().any(is_route_pool))
        .count();
    if modules < 2 {
        return;
    }
    let others = modules - 1;
    let (noun, verb) = if others == 1 {
        ("module", "does")
    } else {
        ("modules", "do")
    };
    for diagnostic in files
        .iter_mut()
        .flat_map(|file| &mut file.diagnostics)
        .filter(|d| is_route_pool(d))
    {
        diagnostic.message = format!(
            "this route module creates its own pool, as {others} other route {noun} in this run {verb}; each holds its own connections"
        );
        diagnostic.help = help(modules);
    }
}
