//! Test code: files and functions that test runners run. Resource-lifetime
//! findings there are not shown by default (a test's process ends what it
//! leaves open, and tests drop transactions on purpose); the report counts
//! them instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Report;
use crate::rules;

/// Folders of tests when they sit at a package's root.
const TEST_FOLDERS: &[&str] = &["test", "tests", "e2e"];

/// Files beside which a folder is a package's root.
const PACKAGE_MANIFESTS: &[&str] = &["package.json", "Cargo.toml"];

/// Take findings in test code out of `report` and count them, unless
/// `include_tests`.
pub(crate) fn hide_findings_in_tests(report: &mut Report, include_tests: bool) {
    if include_tests {
        return;
    }
    let mut package_roots: HashMap<PathBuf, bool> = HashMap::new();
    let mut is_package_root = |folder: &Path| {
        *package_roots
            .entry(folder.to_path_buf())
            .or_insert_with(|| PACKAGE_MANIFESTS.iter().any(|m| folder.join(m).is_file()))
    };
    let mut hidden = 0;
    for file in &mut report.files {
        let hidable = |code: &str| rules::rule(code).is_some_and(|rule| !rule.shown_in_tests);
        if !file.diagnostics.iter().any(|d| hidable(d.code)) {
            continue;
        }
        let test_file = is_test_file(&file.source.path, &mut is_package_root);
        let before = file.diagnostics.len();
        file.diagnostics
            .retain(|d| !(hidable(d.code) && (test_file || d.in_test_code)));
        hidden += before - file.diagnostics.len();
    }
    report.files.retain(|file| !file.diagnostics.is_empty());
    report.hidden_in_tests += hidden;
}

/// Whether `path` is a test file by the conventions of test runners: named
/// `*.test.*` or `*.spec.*` (`app.e2e-spec.ts` too), under a `__tests__`
/// folder, or under a `test`, `tests` or `e2e` folder at a package's root
/// (beside its `package.json` or `Cargo.toml`). A `test` folder elsewhere
/// (`app/api/test/route.ts`) is an ordinary name.
pub(crate) fn is_test_file(path: &Path, is_package_root: &mut impl FnMut(&Path) -> bool) -> bool {
    let named_as_test = path
        .file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| {
            let parts: Vec<&str> = name.split('.').collect();
            parts.len() > 2
                && parts[1..parts.len() - 1].iter().any(|part| {
                    ["test", "spec"]
                        .iter()
                        .any(|word| *part == *word || part.ends_with(&format!("-{word}")))
                })
        });
    if named_as_test {
        return true;
    }
    let mut folder = path.parent();
    while let Some(current) = folder {
        let name = current.file_name().and_then(|n| n.to_str());
        if name == Some("__tests__") {
            return true;
        }
        if let Some(name) = name
            && TEST_FOLDERS.contains(&name)
        {
            let parent = current.parent().filter(|p| !p.as_os_str().is_empty());
            if is_package_root(parent.unwrap_or(Path::new("."))) {
                return true;
            }
        }
        folder = current.parent();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_files_by_name_and_by_folder() {
        let roots = ["api", "crates/store", "."];
        let mut is_root = |folder: &Path| roots.iter().any(|r| Path::new(r) == folder);
        for path in [
            "src/orders.test.ts",
            "src/orders.spec.tsx",
            "test/app.e2e-spec.ts",
            "src/__tests__/orders.ts",
            "api/test/orders.ts",
            "api/e2e/flows/checkout.ts",
            "crates/store/tests/migrations.rs",
            "tests/integration.rs",
        ] {
            assert!(is_test_file(Path::new(path), &mut is_root), "{path}");
        }
        for path in [
            "app/api/test/route.ts",
            "src/testing.ts",
            "src/test.ts",
            "api/src/tests/fixtures.ts",
            "crates/store/src/tests.rs",
            "src/contest.spec",
        ] {
            assert!(!is_test_file(Path::new(path), &mut is_root), "{path}");
        }
    }
}
