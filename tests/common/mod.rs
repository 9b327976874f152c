//! Shared by the test files: the fixture tree and its `//~` annotations.

#![allow(dead_code)] // each test file uses its own part

use std::path::{Path, PathBuf};

use txlint::source::Language;

/// One expected diagnostic: `//~ TX001` (optionally `//~^^ TX001: text`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Expected {
    pub line: u32,
    pub code: String,
    pub message: Option<String>,
}

pub fn parse_annotations(text: &str) -> Vec<Expected> {
    let mut expected = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let Some(at) = line.find("//~") else { continue };
        let rest = &line[at + 3..];
        let carets = rest.chars().take_while(|&c| c == '^').count();
        let rest = &rest[carets..];
        let (codes, message) = match rest.split_once(':') {
            Some((codes, message)) => (codes, Some(message.trim().to_string())),
            None => (rest, None),
        };
        let line_number = (index + 1 - carets) as u32;
        for code in codes.split_whitespace() {
            expected.push(Expected {
                line: line_number,
                code: code.to_string(),
                message: message.clone(),
            });
        }
    }
    expected
}

pub fn fixture_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && Language::from_path(e.path()).is_some())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

pub fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}
