//! What a rule reports: a primary span, labels that explain the path, and a
//! one-line remedy. Rendering lives in `output/`; nothing here knows a format.

use std::path::PathBuf;

use crate::source::{SourceFile, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A secondary span with the part of the story it tells
/// ("this call can throw", "released only here").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub message: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable rule code, e.g. `TX001`.
    pub code: &'static str,
    /// Rule name, e.g. `missing-rollback`.
    pub rule: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The enclosing function as a user would name it (`POST`,
    /// `DatabaseAdapter.updateCharacter`, `<module>`).
    pub function: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub help: String,
    /// Found in a test function (the file may be test code too; see
    /// `discover::is_test_file`).
    pub in_test_code: bool,
    /// The edits that repair it, where a fix can be made for its shape.
    pub fix: Option<crate::fix::Fix>,
}

/// One checked file that has something to report, with its text kept for
/// rendering.
#[derive(Debug)]
pub struct FileReport {
    pub source: SourceFile,
    pub diagnostics: Vec<Diagnostic>,
}

/// A path that could not be checked at all (unreadable, vanished, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub path: PathBuf,
    pub message: String,
}

/// Everything one run found, sorted by path, then offset, then code.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<FileReport>,
    pub errors: Vec<FileError>,
    pub files_scanned: usize,
    /// Findings in test code not shown (see `Rule::shown_in_tests`).
    pub hidden_in_tests: usize,
    /// Findings a baseline recorded, not shown (see `baseline`).
    pub hidden_by_baseline: usize,
}

impl Report {
    pub fn diagnostic_count(&self) -> usize {
        self.files.iter().map(|f| f.diagnostics.len()).sum()
    }

    pub fn diagnostics(&self) -> impl Iterator<Item = (&SourceFile, &Diagnostic)> {
        self.files
            .iter()
            .flat_map(|f| f.diagnostics.iter().map(move |d| (&f.source, d)))
    }
}

/// Text from elsewhere (a parser, the OS) in txlint's message style:
/// trimmed, lowercase first letter, no trailing period.
pub(crate) fn in_message_style(text: &str) -> String {
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// FNV-1a 64 over `fields`, each ended by a byte UTF-8 never uses, so that
/// fields cannot run together: stable across runs, platforms and Rust
/// versions, for fingerprints that must survive between commits.
pub(crate) fn stable_hash(fields: &[&str]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET_BASIS;
    for field in fields {
        for &byte in field.as_bytes().iter().chain(&[0xff]) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(PRIME);
        }
    }
    hash
}
