//! Test code: files and functions that test runners run. Resource-lifetime
//! findings there are not shown by default (a test's process ends what it
//! leaves open, and tests drop transactions on purpose); the report counts
//! them instead.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::diagnostic::Report;
use crate::rules;

/// Folders of tests when they sit at a package's root, also as a word of
/// a longer name there (`integration-tests`, `tests-api`, `e2e_suite`).
const TEST_FOLDERS: &[&str] = &["test", "tests", "e2e"];

/// Folders of tests wherever they are.
const TEST_FOLDERS_ANYWHERE: &[&str] = &["__tests__", "__test__", "_test", "_tests"];

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
        let path = &file.source.path;
        let test_file = is_test_file(path, &mut is_package_root) || rust_test_module(path);
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
/// or `_test` folder, or under a folder at a package's root (beside its
/// `package.json` or `Cargo.toml`) named `test`, `tests` or `e2e`, or with
/// one of them as a word (`integration-tests`). A `test` folder elsewhere
/// (`app/api/test/route.ts`, `app/api/test-email/route.ts`) is an
/// ordinary name.
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
        if name.is_some_and(|name| TEST_FOLDERS_ANYWHERE.contains(&name)) {
            return true;
        }
        if let Some(name) = name
            && name
                .split(['-', '_', '.'])
                .any(|word| TEST_FOLDERS.contains(&word))
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

/// How many module declarations up a Rust file's parents are read.
const MAX_MODULE_DEPTH: usize = 16;

/// Whether a Rust file is a module compiled only for tests: declared
/// `#[cfg(test)] mod tests;` by its parent module, or inside a module so
/// declared (`#[cfg(test)] pub mod test;` above `test/trie.rs`). The
/// parents are read from disk, only for files with findings to hide.
fn rust_test_module(path: &Path) -> bool {
    if path.extension().is_none_or(|e| e != "rs") {
        return false;
    }
    let mut file = path.to_path_buf();
    for _ in 0..MAX_MODULE_DEPTH {
        let Some((name, folder)) = module_name_and_folder(&file) else {
            return false;
        };
        let parents = ["mod.rs", "lib.rs", "main.rs"]
            .iter()
            .map(|root| folder.join(root))
            .chain(std::iter::once(folder.with_extension("rs")));
        let declared = parents.filter(|parent| *parent != file).find_map(|parent| {
            let text = std::fs::read_to_string(&parent).ok()?;
            declared_under_cfg_test(&text, &name).map(|test| (parent, test))
        });
        match declared {
            Some((_, true)) => return true,
            Some((parent, false)) => file = parent,
            None => return false,
        }
    }
    false
}

/// A module file's name as its parent declares it, and the folder where
/// that parent's file is (`src/a/b.rs` and `src/a/b/mod.rs` are `b`, of
/// `src/a`); `None` for a crate root.
fn module_name_and_folder(file: &Path) -> Option<(String, PathBuf)> {
    let stem = file.file_stem()?.to_str()?;
    let folder = file.parent()?;
    if matches!(stem, "lib" | "main") {
        return None;
    }
    if stem == "mod" {
        let name = folder.file_name()?.to_str()?.to_string();
        return Some((name, folder.parent()?.to_path_buf()));
    }
    Some((stem.to_string(), folder.to_path_buf()))
}

/// Whether `text` declares `mod name;` under `#[cfg(test)]` (or a `cfg`
/// naming `test` among its options, not under `not`); `None` when it does
/// not declare it.
fn declared_under_cfg_test(text: &str, name: &str) -> Option<bool> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let declaration = lines.iter().position(|line| {
        let line = line.strip_prefix("pub").map_or(*line, |rest| {
            rest.strip_prefix('(')
                .and_then(|scoped| scoped.split_once(')'))
                .map_or(rest, |(_, rest)| rest)
        });
        line.trim_start()
            .strip_prefix("mod ")
            .is_some_and(|rest| rest.trim_start().strip_prefix(name) == Some(";"))
    })?;
    let attributes = lines[..declaration]
        .iter()
        .rev()
        .take_while(|line| line.starts_with("#[") || line.starts_with("//"));
    Some(attributes.into_iter().any(|attribute| {
        let compact: String = attribute.chars().filter(|c| !c.is_whitespace()).collect();
        compact.starts_with("#[cfg(")
            && !compact.contains("not(test")
            && (compact.contains("(test)")
                || compact.contains("(test,")
                || compact.contains(",test"))
    }))
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
            "tests-api-integrations/src/setup.js",
            "integration_tests/orders.rs",
            "packages/core/src/_test/globalSetup.ts",
        ] {
            assert!(is_test_file(Path::new(path), &mut is_root), "{path}");
        }
        for path in [
            "app/api/test/route.ts",
            "app/api/test-email/route.ts",
            "api/src/integration-tests/seed.ts",
            "latest/server.ts",
            "src/testing.ts",
            "src/test.ts",
            "api/src/tests/fixtures.ts",
            "crates/store/src/tests.rs",
            "src/contest.spec",
        ] {
            assert!(!is_test_file(Path::new(path), &mut is_root), "{path}");
        }
    }

    #[test]
    fn modules_declared_for_tests_are_test_code() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            "src/lib.rs",
            "pub mod index;\n#[cfg(not(test))]\nmod live;\n",
        );
        write(
            "src/index/mod.rs",
            "pub mod trie;\n#[cfg(test)]\n#[allow(dead_code)]\npub mod test;\n#[cfg(any(test, feature = \"fuzz\"))]\nmod fuzz;\n",
        );
        write("src/index/trie.rs", "");
        write("src/index/test/mod.rs", "mod trie;\n");
        write("src/index/test/trie.rs", "");
        write("src/index/fuzz.rs", "");
        write("src/live.rs", "");
        for (path, test) in [
            ("src/index/test/trie.rs", true),
            ("src/index/test/mod.rs", true),
            ("src/index/fuzz.rs", true),
            ("src/index/trie.rs", false),
            ("src/live.rs", false),
            ("src/lib.rs", false),
        ] {
            assert_eq!(rust_test_module(&root.join(path)), test, "{path}");
        }
    }
}
