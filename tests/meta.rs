//! Tests about the rules as a whole: the registry, the docs in `rules/`,
//! the fixtures and the message style agree with each other, and each doc's
//! examples do what they say when run through the analyzer.

use std::path::{Path, PathBuf};

use txlint::rules::RULES;
use txlint::source::{Language, SourceFile};

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn fixture_texts() -> Vec<(PathBuf, String)> {
    walkdir::WalkDir::new(manifest().join("fixtures"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && Language::from_path(e.path()).is_some())
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).expect("fixture is UTF-8");
            (e.into_path(), text)
        })
        .collect()
}

#[test]
fn registry_is_sorted_and_unique() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(codes, sorted);
}

#[test]
fn every_rule_has_its_documentation_and_every_doc_a_rule() {
    for rule in RULES {
        let title = format!("# {} {}\n", rule.code, rule.name);
        assert!(
            rule.doc.starts_with(&title),
            "{} doc must start with {title:?}",
            rule.code
        );
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## Use instead",
            "## Known limitations",
        ] {
            assert!(
                rule.doc.contains(heading),
                "{} doc lacks {heading:?}",
                rule.code
            );
        }
        let on_disk =
            std::fs::read_to_string(manifest().join("rules").join(format!("{}.md", rule.code)))
                .expect("rules/<CODE>.md exists");
        assert_eq!(on_disk, rule.doc);
    }
    for entry in std::fs::read_dir(manifest().join("rules")).expect("rules/") {
        let name = entry
            .expect("entry")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if let Some(code) = name.strip_suffix(".md") {
            assert!(
                txlint::rules::rule(code).is_some(),
                "rules/{name} documents no registered rule"
            );
        }
    }
}

#[test]
fn every_rule_has_a_fixture_that_expects_it() {
    let fixtures = fixture_texts();
    for rule in RULES {
        let annotated = fixtures.iter().any(|(_, text)| {
            text.lines().any(|line| {
                line.split_once("//~")
                    .is_some_and(|(_, codes)| codes.contains(rule.code))
            })
        });
        assert!(annotated, "no fixture expects {}", rule.code);
    }
}

#[test]
fn messages_labels_and_help_follow_the_style() {
    let mut seen = 0;
    for (path, text) in fixture_texts() {
        let source = SourceFile {
            path: path.clone(),
            text,
        };
        for diagnostic in txlint::check_source(&source) {
            seen += 1;
            let shown = format!(
                "{}: {} {:?}",
                path.display(),
                diagnostic.code,
                diagnostic.message
            );
            let first = diagnostic
                .message
                .chars()
                .next()
                .expect("message is not empty");
            assert!(!first.is_uppercase(), "message starts uppercase: {shown}");
            assert!(
                !diagnostic.message.ends_with('.'),
                "message ends with a period: {shown}"
            );
            assert!(
                !diagnostic.help.is_empty() && !diagnostic.help.ends_with('.'),
                "help: {shown}"
            );
            assert!(!diagnostic.labels.is_empty(), "no labels: {shown}");
            for label in &diagnostic.labels {
                let first = label.message.chars().next().expect("label is not empty");
                assert!(
                    !first.is_uppercase() && !label.message.ends_with('.'),
                    "label {:?}: {shown}",
                    label.message
                );
            }
            assert!(!diagnostic.function.is_empty(), "no function: {shown}");
        }
    }
    assert!(
        seen > 50,
        "expected the fixtures to produce diagnostics, saw {seen}"
    );
}

/// The fenced code blocks of one section of a rule's doc, each with the
/// file name its fence language stands for (```ts, ```rust).
fn code_blocks(doc: &str, heading: &str) -> Vec<SourceFile> {
    let start = doc.find(heading).expect("heading") + heading.len();
    let section = &doc[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    let mut blocks = Vec::new();
    let mut rest = section;
    while let Some(open) = rest.find("```") {
        let after = &rest[open + 3..];
        let newline = after.find('\n').expect("fence line");
        let language = after[..newline].trim();
        let body = &after[newline + 1..];
        let close = body.find("```").expect("closing fence");
        let file = match language {
            "rust" => "example.rs",
            "js" => "example.js",
            _ => "example.ts",
        };
        blocks.push(SourceFile {
            path: file.into(),
            text: body[..close].to_string(),
        });
        rest = &body[close + 3..];
    }
    assert!(!blocks.is_empty(), "{heading} has no code block");
    blocks
}

#[test]
fn doc_examples_report_and_their_fixes_do_not() {
    for rule in RULES {
        for example in code_blocks(rule.doc, "## Example") {
            let found = txlint::check_source(&example);
            assert!(
                found.iter().any(|d| d.code == rule.code),
                "{} example {} reports {found:?}",
                rule.code,
                example.path.display()
            );
        }
        for fixed in code_blocks(rule.doc, "## Use instead") {
            let found = txlint::check_source(&fixed);
            assert!(
                found.is_empty(),
                "{} fixed example still reports {found:?}",
                rule.code
            );
        }
    }
}
