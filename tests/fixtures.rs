//! The one annotation harness: the whole `fixtures/` tree is checked in one
//! run (so that imports between fixture files resolve, as in a real
//! project) and the set of (line, code) pairs each file produces must equal
//! the set written in its `//~ CODE` comments. All mismatches are printed,
//! then the test fails once.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{Expected, fixture_files, fixtures_root, parse_annotations};
use txlint::source::{LineIndex, SourceFile};

#[test]
fn fixtures_report_exactly_their_annotations() {
    let root = fixtures_root();
    let files = fixture_files(&root);
    assert!(
        files.len() >= 60,
        "expected the fixture tree, found {} files",
        files.len()
    );

    let report = txlint::check_paths(std::slice::from_ref(&root), &Default::default())
        .expect("the fixture tree can be checked");
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut mismatches = Vec::new();
    let mut expected_total = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixtures are UTF-8");
        let relative = path.strip_prefix(&root).unwrap_or(path).to_path_buf();
        let source = SourceFile {
            path: relative.clone(),
            text,
        };
        let index = LineIndex::new(&source.text);

        let expected = parse_annotations(&source.text);
        expected_total += expected.len();
        let mut actual: BTreeMap<(u32, String), Vec<String>> = BTreeMap::new();
        let diagnostics = report
            .files
            .iter()
            .filter(|file| Path::new(env!("CARGO_MANIFEST_DIR")).join(&file.source.path) == *path)
            .flat_map(|file| &file.diagnostics);
        for diagnostic in diagnostics {
            let line = index.line_col(diagnostic.span.start).line;
            actual
                .entry((line, diagnostic.code.to_string()))
                .or_default()
                .push(diagnostic.message.clone());
        }

        let shown = relative.display();
        let mut wanted: BTreeMap<(u32, String), Vec<Option<String>>> = BTreeMap::new();
        for e in expected {
            wanted.entry((e.line, e.code)).or_default().push(e.message);
        }
        for ((line, code), messages) in &wanted {
            let got = actual.get(&(*line, code.clone()));
            let got_count = got.map_or(0, Vec::len);
            if got_count != messages.len() {
                mismatches.push(format!(
                    "{shown}:{line}: expected {code} x{}, got x{got_count}",
                    messages.len()
                ));
                continue;
            }
            for message in messages.iter().flatten() {
                if !got.is_some_and(|g| g.iter().any(|m| m.contains(message.as_str()))) {
                    mismatches.push(format!(
                        "{shown}:{line}: {code} message lacks {message:?}: {got:?}"
                    ));
                }
            }
        }
        for ((line, code), messages) in &actual {
            if !wanted.contains_key(&(*line, code.clone())) {
                for message in messages {
                    mismatches.push(format!("{shown}:{line}: unexpected {code}: {message}"));
                }
            }
        }
    }
    assert!(expected_total > 0, "no fixture carries an annotation");
    if !mismatches.is_empty() {
        panic!(
            "{} mismatch(es) across {} fixtures:\n{}",
            mismatches.len(),
            files.len(),
            mismatches.join("\n")
        );
    }
}

#[test]
fn annotations_parse_as_documented() {
    let text = "a //~ TX001\nb\nc //~^ TX002 TX001: not rolled back\n";
    let parsed = parse_annotations(text);
    assert_eq!(
        parsed,
        vec![
            Expected {
                line: 1,
                code: "TX001".into(),
                message: None
            },
            Expected {
                line: 2,
                code: "TX002".into(),
                message: Some("not rolled back".into())
            },
            Expected {
                line: 2,
                code: "TX001".into(),
                message: Some("not rolled back".into())
            },
        ]
    );
}

/// Metamorphic: the same code with unrelated lines and a helper function
/// above it (and its statements reformatted onto more lines) reports the
/// same findings, only on shifted lines.
#[test]
fn unrelated_edits_above_the_code_only_shift_findings() {
    let root = fixtures_root();
    let mut checked = 0;
    for path in fixture_files(&root) {
        let text = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
        // Shebangs, byte-order marks, inner attributes, inner doc comments
        // and a `'use server'` directive must come first; a file-level
        // suppression is about the whole file.
        let first_code = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with("//"));
        if text.starts_with("#!")
            || text.starts_with('\u{feff}')
            || text.contains("#![")
            || text.starts_with("//!")
            || text.contains("txlint-ignore-file")
            || first_code.is_some_and(|line| line.starts_with("'use server'"))
        {
            continue;
        }
        let rust = path.extension().is_some_and(|e| e == "rs");
        let prefix = if rust {
            "// Generated header.\n\nfn unrelated_helper(values: &[i64]) -> i64 {\n    values.iter().sum()\n}\n\n"
        } else {
            "// Generated header.\n\nfunction unrelatedHelper(values: number[]): number {\n  return values.reduce((a, b) => a + b, 0)\n}\n\n"
        };
        let shift = prefix.lines().count() as u32;
        let original = SourceFile {
            path: path.clone(),
            text: text.clone(),
        };
        let shifted = SourceFile {
            path: path.clone(),
            text: format!("{prefix}{text}"),
        };
        let summary = |source: &SourceFile, shift: u32| {
            let index = LineIndex::new(&source.text);
            let mut found: Vec<(u32, String, String)> = txlint::check_source(source)
                .into_iter()
                .map(|d| {
                    (
                        index.line_col(d.span.start).line - shift,
                        d.code.to_string(),
                        d.message,
                    )
                })
                .collect();
            found.sort();
            found
        };
        // JavaScript files must stay JavaScript: the TypeScript annotation in
        // the prefix would be a syntax error there, as the function's body
        // would be in a declaration file (`.d.ts`).
        let declaration = path.to_str().is_some_and(|p| p.ends_with(".d.ts"));
        if !rust
            && (declaration
                || path.extension().is_some_and(|e| {
                    ["js", "mjs", "cjs", "jsx"].contains(&e.to_str().unwrap_or(""))
                }))
        {
            continue;
        }
        assert_eq!(
            summary(&shifted, shift),
            summary(&original, 0),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked > 150, "checked {checked} fixtures");
}

/// Every fixture whose findings have fixes has a `.fixed` twin: the text
/// with every fix applied (`--fix --unsafe-fixes`). Applied, the fixes give
/// exactly the twin, which parses, reports the same findings less the
/// fixed ones, and has nothing left to fix. A fixture without fixes has
/// no twin.
#[test]
fn fixes_give_their_twins_and_leave_nothing_to_fix() {
    let root = fixtures_root();
    let mut fixed_files = 0;
    let mut problems = Vec::new();
    for path in fixture_files(&root) {
        let text = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
        let check = |text: &str| {
            txlint::check_text(&path, text.to_string(), &Default::default())
                .expect("a fixture can be checked")
        };
        let report = check(&text);
        let twin = path.with_file_name(format!(
            "{}.fixed",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
        ));
        let fixed = report
            .files
            .first()
            .and_then(|file| txlint::fixed_text(file, true));
        let shown = path
            .strip_prefix(&root)
            .unwrap_or(&path)
            .display()
            .to_string();
        let Some((fixed, applied)) = fixed else {
            if twin.exists() {
                problems.push(format!("{shown}: has a .fixed twin but nothing to fix"));
            }
            continue;
        };
        fixed_files += 1;
        match std::fs::read_to_string(&twin) {
            Ok(expected) if expected == fixed => {}
            Ok(_) => problems.push(format!("{shown}: the fixes do not give its .fixed twin")),
            Err(_) => problems.push(format!("{shown}: has fixes but no .fixed twin")),
        }
        // What is left: the same findings but the fixed ones, by code,
        // function and message (lines move).
        let summary = |report: &txlint::diagnostic::Report, fixed: bool| {
            let mut found: Vec<(String, String, String)> = report
                .files
                .iter()
                .flat_map(|file| &file.diagnostics)
                .filter(|d| !fixed || d.fix.is_none())
                .map(|d| (d.code.to_string(), d.function.clone(), d.message.clone()))
                .collect();
            found.sort();
            found
        };
        let after = check(&fixed);
        if summary(&after, false) != summary(&report, true) {
            problems.push(format!(
                "{shown}: after {applied} fixes it reports {:?}, not {:?}",
                summary(&after, false),
                summary(&report, true)
            ));
        }
        if after
            .files
            .iter()
            .flat_map(|f| &f.diagnostics)
            .any(|d| d.code == "TX000")
        {
            problems.push(format!("{shown}: the fixed text does not parse"));
        }
        if let Some(file) = after.files.first()
            && txlint::fixed_text(file, true).is_some()
        {
            problems.push(format!("{shown}: a second --fix would change it again"));
        }
    }
    assert!(fixed_files >= 5, "only {fixed_files} fixtures have fixes");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
