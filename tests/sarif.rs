//! The CI formats as the binary writes them: `--format sarif` on the whole
//! fixture tree, validated against the official SARIF 2.1.0 schema (vendored
//! from the `serde-sarif` crate as `sarif-schema-2.1.0.json`) and checked
//! against `--format json` for the same input; and `--format github` lines.

use std::collections::BTreeSet;
use std::process::{Command, Output};

use serde_json::Value;

const SCHEMA: &str = include_str!("sarif-schema-2.1.0.json");
const GET_WITHOUT_FINALLY: &str = "fixtures/ts/express/reports.ts";

fn txlint(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("txlint runs")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not JSON ({err}); stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `%5Bid%5D` -> `[id]`: enough URI decoding to compare with plain paths.
fn percent_decode(uri: &str) -> String {
    let bytes = uri.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII hex");
            decoded.push(u8::from_str_radix(hex, 16).expect("valid percent escape"));
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).expect("decoded URI is UTF-8")
}

#[test]
fn sarif_is_valid_and_matches_json() {
    let first = txlint(&["check", "--format", "sarif", "fixtures"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = txlint(&["check", "--format", "sarif", "fixtures"]);
    assert!(
        first.stdout == second.stdout,
        "two runs over the same input differ"
    );
    assert!(first.stdout.ends_with(b"}\n"));

    let log = stdout_json(&first);
    // The official schema's two `language` patterns have a stray `]` that
    // only ECMAScript's legacy (Annex B) syntax accepts, reading it as a
    // literal; `jsonschema` rejects the schema for it. Escape it so it means
    // the same thing. The vendored file stays byte-for-byte official.
    let schema_text = SCHEMA.replace(
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#,
        r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#,
    );
    let schema: Value = serde_json::from_str(&schema_text).expect("the vendored schema is JSON");
    assert_eq!(
        schema["title"],
        "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    );
    let validator = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );

    // The validator does check formats: an unencoded `[` is not a URI.
    let mut unencoded = log.clone();
    unencoded["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] =
        Value::from("app/[id]/route.ts");
    assert!(!validator.is_valid(&unencoded));

    let runs = log["runs"].as_array().expect("runs is an array");
    assert_eq!(runs.len(), 1);
    // Fixes are part of what was validated: a TX007 in an `async`
    // function carries one (in a synchronous one there is nothing to
    // `await` with).
    let results = runs[0]["results"].as_array().expect("results");
    let floating: Vec<&Value> = results
        .iter()
        .filter(|r| r["ruleId"] == "TX007" && !r["fixes"].is_null())
        .collect();
    assert!(!floating.is_empty());
    for result in floating {
        let replacement = &result["fixes"][0]["artifactChanges"][0]["replacements"][0];
        assert_eq!(replacement["insertedContent"]["text"], "await ", "{result}");
        let region = &replacement["deletedRegion"];
        assert_eq!(region["startColumn"], region["endColumn"], "an insertion");
    }
    let rules = runs[0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules is an array");
    let rule_ids: Vec<&str> = rules
        .iter()
        .map(|rule| rule["id"].as_str().expect("rule id"))
        .collect();
    let registered: Vec<&str> = txlint::rules::RULES.iter().map(|rule| rule.code).collect();
    assert_eq!(rule_ids, registered);

    let json = stdout_json(&txlint(&["check", "--format", "json", "fixtures"]));
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics");
    let results = runs[0]["results"].as_array().expect("results");
    assert!(!results.is_empty());
    assert_eq!(results.len(), diagnostics.len());

    let mut fingerprints = BTreeSet::new();
    for (result, diagnostic) in results.iter().zip(diagnostics) {
        let rule_id = result["ruleId"].as_str().expect("ruleId");
        assert_eq!(rule_id, diagnostic["code"]);
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], rule_id);
        assert_eq!(rules[index]["name"], diagnostic["rule"]);
        assert_eq!(result["level"], diagnostic["severity"]);
        assert_eq!(result["message"]["text"], diagnostic["message"]);

        let physical = &result["locations"][0]["physicalLocation"];
        let artifact = &physical["artifactLocation"];
        assert_eq!(artifact["uriBaseId"], "%SRCROOT%");
        let uri = artifact["uri"].as_str().expect("uri");
        assert_eq!(percent_decode(uri), diagnostic["path"]);
        let region = &physical["region"];
        assert_eq!(region["startLine"], diagnostic["span"]["start"]["line"]);
        assert_eq!(region["startColumn"], diagnostic["span"]["start"]["column"]);

        let labels = diagnostic["labels"].as_array().expect("labels");
        let related = result["relatedLocations"].as_array().map_or(&[][..], |r| r);
        assert_eq!(related.len(), labels.len());
        for (location, label) in related.iter().zip(labels) {
            assert_eq!(location["message"]["text"], label["message"]);
        }

        let fingerprint = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap_or_else(|| panic!("no primaryLocationLineHash: {result}"));
        let (hash, count) = fingerprint.split_once(':').expect("`<hash>:<n>`");
        assert!(
            hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
            "{fingerprint}"
        );
        assert!(count.parse::<u32>().is_ok_and(|n| n >= 1), "{fingerprint}");
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "{fingerprint} repeats"
        );
    }

    // The Next.js fixtures live under `[id]/`, which a URI must encode.
    assert!(results.iter().any(|r| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|uri| uri.contains("/%5Bid%5D/"))
    }));
}

#[test]
fn github_writes_one_annotation_per_finding() {
    let output = txlint(&["check", "--format", "github", GET_WITHOUT_FINALLY]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "::error file=fixtures/ts/express/reports.ts,line=10,col=26,endLine=10,endColumn=40,\
         title=TX002 missing-release::`client` is checked out of the pool but not released \
         when the catch clause is taken\n"
    );
}
