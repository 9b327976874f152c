//! The transaction audit txlint grew out of ended in a "Files Summary"
//! table: for each file, whether it has a transaction, whether its error
//! path runs ROLLBACK, whether it releases in `finally`, and a verdict.
//! `txlint check` on the fixture app (the audit's `DatabaseAdapter` and its
//! five routes) must reproduce that table: the "ROLLBACK" column is "no
//! TX001 in the file", the "Finally" column is "no TX002".

use std::path::Path;
use std::process::Command;

/// The audit's table, row for row: (file, has transaction, ROLLBACK,
/// finally, correct).
const AUDIT_TABLE: &[(&str, bool, bool, bool, bool)] = &[
    ("adapter/db.ts", true, true, true, true),
    ("background/route.ts", true, false, false, false),
    ("interests/route.ts", true, false, false, false),
    ("communication-patterns/route.ts", true, false, false, false),
    ("speech-patterns/route.ts", true, false, false, false),
    ("response-style/route.ts", true, false, false, false),
];

const APP: &[&str] = &[
    "fixtures/ts/adapter/db.ts",
    "fixtures/ts/nextjs/app/api/characters/[id]/background/route.ts",
    "fixtures/ts/nextjs/app/api/characters/[id]/interests/route.ts",
    "fixtures/ts/nextjs/app/api/characters/[id]/communication-patterns/route.ts",
    "fixtures/ts/nextjs/app/api/characters/[id]/speech-patterns/route.ts",
    "fixtures/ts/nextjs/app/api/characters/[id]/response-style/route.ts",
];

#[test]
fn the_audits_files_summary_is_reproduced() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(["check", "--format", "json"])
        .args(APP)
        .current_dir(root)
        .output()
        .expect("txlint runs");
    assert_eq!(
        output.status.code(),
        Some(1),
        "the broken routes fail the run"
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON output");
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let codes_in = |file: &str| -> Vec<&str> {
        diagnostics
            .iter()
            .filter(|d| d["path"].as_str().is_some_and(|p| p == file))
            .filter_map(|d| d["code"].as_str())
            .collect()
    };

    let mut table = Vec::new();
    for file in APP {
        let text = std::fs::read_to_string(root.join(file)).expect("fixture");
        let codes = codes_in(file);
        let has_transaction = text.contains("'BEGIN'");
        let rollback = !codes.contains(&"TX001");
        let finally = !codes.contains(&"TX002");
        let correct = codes
            .iter()
            .all(|c| !matches!(*c, "TX001" | "TX002" | "TX005"));
        table.push((
            file.to_string(),
            has_transaction,
            rollback,
            finally,
            correct,
        ));
    }
    for ((file, has, rollback, finally, correct), expected) in table.iter().zip(AUDIT_TABLE) {
        assert!(file.ends_with(expected.0), "{file} vs {}", expected.0);
        assert_eq!(
            (*has, *rollback, *finally, *correct),
            (expected.1, expected.2, expected.3, expected.4),
            "{file}: (has transaction, ROLLBACK, finally, correct)"
        );
    }

    // The audit's two warnings: every route module makes its own pool, and
    // none of those pools has an error listener. Both are one report on
    // each pool: the missing listener is a label of the TX003.
    for route in &APP[1..] {
        let codes = codes_in(route);
        assert!(codes.contains(&"TX003"), "{route}: {codes:?}");
        assert!(!codes.contains(&"TX008"), "{route}: {codes:?}");
        let pool_label = diagnostics
            .iter()
            .filter(|d| d["path"] == *route && d["code"] == "TX003")
            .flat_map(|d| d["labels"].as_array().into_iter().flatten())
            .filter_map(|l| l["message"].as_str())
            .collect::<Vec<_>>()
            .join("; ");
        assert!(
            pool_label.contains("no `'error'` listener"),
            "{route}: {pool_label}"
        );
    }
    let pool_messages: Vec<&str> = diagnostics
        .iter()
        .filter(|d| d["code"] == "TX003")
        .filter_map(|d| d["message"].as_str())
        .collect();
    assert_eq!(pool_messages.len(), 5);
    assert!(
        pool_messages
            .iter()
            .all(|m| m.contains("as 4 other route modules of its package do")),
        "{pool_messages:?}"
    );
    assert!(codes_in(APP[0]).is_empty(), "the adapter is correct");
}

/// The five broken routes, fixed by `--fix --unsafe-fixes`, take the shape
/// of the audit's corrected route: ROLLBACK at the top of the catch clause,
/// the release in `finally`, each client declared before the `try` so that
/// both clauses see it. Nothing is left for TX001 or TX002, and a second
/// run has nothing to fix.
#[test]
fn the_broken_routes_are_fixed_as_the_audit_fixes_them() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temp dir");
    let routes: Vec<String> = APP[1..]
        .iter()
        .map(|file| file.trim_start_matches("fixtures/ts/nextjs/").to_string())
        .collect();
    for (file, route) in APP[1..].iter().zip(&routes) {
        let to = dir.path().join(route);
        std::fs::create_dir_all(to.parent().expect("a folder")).expect("mkdir");
        std::fs::copy(root.join(file), &to).expect("copy");
    }
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_txlint"))
            .args([
                "check",
                "--fix",
                "--unsafe-fixes",
                "--format",
                "json",
                "app",
            ])
            .current_dir(dir.path())
            .output()
            .expect("txlint runs")
    };

    let fixed = run();
    let stderr = String::from_utf8_lossy(&fixed.stderr);
    assert!(stderr.contains("in 5 files"), "{stderr}");
    let json: serde_json::Value = serde_json::from_slice(&fixed.stdout).expect("JSON output");
    let left: Vec<&str> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .filter_map(|d| d["code"].as_str())
        .collect();
    assert!(
        left.iter().all(|code| !matches!(*code, "TX001" | "TX002")),
        "{left:?}"
    );

    let texts: Vec<String> = routes
        .iter()
        .map(|route| std::fs::read_to_string(dir.path().join(route)).expect("fixed route"))
        .collect();
    for (route, text) in routes.iter().zip(&texts) {
        // The blocks a line is in, innermost first: the lines that open
        // them, each indented less than the one inside it.
        let lines: Vec<&str> = text.lines().collect();
        let indent = |line: &str| line.len() - line.trim_start().len();
        let enclosing = |at: usize| {
            let mut depth = indent(lines[at]);
            let mut chain = Vec::new();
            for line in lines[..at].iter().rev() {
                if !line.trim().is_empty() && indent(line) < depth {
                    depth = indent(line);
                    chain.push(line.trim());
                }
            }
            chain
        };
        let at = |needle: &str| -> Vec<usize> {
            (0..lines.len())
                .filter(|&i| lines[i].contains(needle))
                .collect()
        };
        let begins = at("'BEGIN'");
        let rollbacks = at("'ROLLBACK'");
        assert_eq!(rollbacks.len(), begins.len(), "{route}:\n{text}");
        for line in rollbacks {
            // In a `try` of its own, in the catch clause, if a client was
            // checked out.
            assert_eq!(
                enclosing(line)[..3],
                ["try {", "if (client) {", "} catch (error) {"],
                "{route}:\n{text}"
            );
        }
        let releases = at("client.release()");
        assert_eq!(
            releases.len(),
            at("pool.connect()").len(),
            "{route}:\n{text}"
        );
        for line in releases {
            let chain = enclosing(line);
            let clause = chain.iter().find(|opener| !opener.starts_with("if ("));
            assert_eq!(clause, Some(&"} finally {"), "{route}:\n{text}");
        }
        assert!(
            text.contains("\n  let client\n  try {\n"),
            "{route}:\n{text}"
        );
    }

    let again = run();
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("applied"), "{stderr}");
    for (route, text) in routes.iter().zip(&texts) {
        let now = std::fs::read_to_string(dir.path().join(route)).expect("route");
        assert_eq!(&now, text, "{route} changed on the second run");
    }
}
