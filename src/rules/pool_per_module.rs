//! TX003 pool-per-module: a module that serves requests creates its own
//! pool instead of sharing one, or a function creates a pool per call.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::Rule;
use super::pool_config;
use crate::diagnostic::{Diagnostic, FileReport, Label, Severity};
use crate::flow::state::Facts;
use crate::flow::{FnFlow, PoolConstruction, PoolScope};

pub(super) const RULE: Rule = Rule {
    code: "TX003",
    name: "pool-per-module",
    severity: Severity::Warning,
    summary: "a route module (or a function, per call) creates its own pool",
    doc: include_str!("../../rules/TX003.md"),
    check: Some(check),
    shown_in_tests: false,
};

const ROUTE_MODULE_POOL: &str =
    "this route module creates its own pool; every module that does holds its own connections";

const HELP: &str =
    "create one pool in a shared module (`lib/db-pool.ts` exporting `getPool()`) and import it";

fn check(flow: &FnFlow, _facts: &Facts, _text: &str, out: &mut Vec<Diagnostic>) {
    for pool in &flow.pools {
        let Some(message) = reported(flow, pool) else {
            continue;
        };
        let mut diagnostic = RULE.diagnostic(flow, message.to_string());
        diagnostic.span = pool.span;
        let mut label = "pool created here".to_string();
        diagnostic.help = HELP.to_string();
        if let Some(problems) = pool_config::problems(pool) {
            label.push_str(&format!(", with {}", problems.described()));
            diagnostic.help = format!("{HELP}; there, {}", problems.fix());
        }
        diagnostic.labels = vec![Label {
            message: label,
            span: pool.span,
        }];
        out.push(diagnostic);
    }
}

/// What TX003 says of `pool`, if it reports it.
pub(super) fn reported(flow: &FnFlow, pool: &PoolConstruction) -> Option<&'static str> {
    Some(match pool.scope {
        PoolScope::Module if pool.in_request_module => ROUTE_MODULE_POOL,
        // A script's `main()` runs once.
        PoolScope::PerCall if flow.errors_end_run => return None,
        PoolScope::PerCall if pool.closed => {
            "a new pool is created and closed on every call; its connections are opened again each time"
        }
        PoolScope::PerCall => {
            "a new pool is created on every call; its connections are opened again each time and may never be closed"
        }
        PoolScope::Module | PoolScope::Shared => return None,
    })
}

/// When several route modules of one package each create a pool, each
/// report says how many do: together they hold that many pools'
/// connections. Separate packages (an API server and a folder of
/// serverless functions in one repository) each may hold a pool.
pub(crate) fn count_across_files(files: &mut [FileReport]) {
    let is_route_pool = |d: &Diagnostic| d.code == RULE.code && d.message == ROUTE_MODULE_POOL;
    let mut packages: HashMap<PathBuf, Option<PathBuf>> = HashMap::new();
    let package_of: Vec<Option<PathBuf>> = files
        .iter()
        .map(|file| {
            if !file.diagnostics.iter().any(is_route_pool) {
                return None;
            }
            let folder = file.source.path.parent().unwrap_or(Path::new(""));
            Some(nearest_package(folder, &mut packages).unwrap_or_default())
        })
        .collect();
    for (index, file) in files.iter_mut().enumerate() {
        let Some(package) = &package_of[index] else {
            continue;
        };
        let modules = package_of
            .iter()
            .filter(|other| other.as_ref() == Some(package))
            .count();
        if modules < 2 {
            continue;
        }
        let others = modules - 1;
        let (noun, verb) = if others == 1 {
            ("module", "does")
        } else {
            ("modules", "do")
        };
        for diagnostic in file.diagnostics.iter_mut().filter(|d| is_route_pool(d)) {
            diagnostic.message = format!(
                "this route module creates its own pool, as {others} other route {noun} of its package {verb}; each holds its own connections"
            );
            diagnostic.help = diagnostic.help.replacen(
                "import it",
                &format!("import it in all {modules} route modules"),
                1,
            );
        }
    }
}

/// The folder of the `package.json` nearest to `folder` (itself or above),
/// remembered per folder.
fn nearest_package(
    folder: &Path,
    known: &mut HashMap<PathBuf, Option<PathBuf>>,
) -> Option<PathBuf> {
    if let Some(found) = known.get(folder) {
        return found.clone();
    }
    let found = if folder.join("package.json").is_file() {
        Some(folder.to_path_buf())
    } else {
        match folder.parent() {
            Some(parent) if !folder.as_os_str().is_empty() => nearest_package(parent, known),
            _ => None,
        }
    };
    known.insert(folder.to_path_buf(), found.clone());
    found
}
