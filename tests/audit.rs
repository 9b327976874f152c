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
