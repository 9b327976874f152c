//! `--format gitlab`: a GitLab Code Quality report, the JSON list a merge
//! request widget reads (`artifacts: reports: codequality`). Each finding
//! has a fingerprint that survives edits elsewhere in its file (the same
//! line hash as SARIF's), unique within the report.

use std::io::Write;

use serde::Serialize;

use crate::diagnostic::{Report, Severity};
use crate::output::display_path;
use crate::output::sarif::{Fingerprints, line_hash, line_text};
use crate::source::LineIndex;

#[derive(Serialize)]
struct Issue<'a> {
    description: &'a str,
    check_name: &'static str,
    fingerprint: String,
    severity: &'static str,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: u32,
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut fingerprints = Fingerprints::default();
    let mut issues = Vec::with_capacity(report.diagnostic_count());
    for file in &report.files {
        let path = display_path(&file.source.path);
        let text = file.source.text.as_str();
        let index = LineIndex::new(text);
        for diagnostic in &file.diagnostics {
            let line = crate::output::locate(&index, text, diagnostic.span)
                .start
                .line;
            let hash = line_hash(
                diagnostic.code,
                &path,
                &diagnostic.function,
                line_text(text, diagnostic.span),
            );
            issues.push(Issue {
                description: &diagnostic.message,
                check_name: diagnostic.code,
                fingerprint: fingerprints.next(hash),
                // GitLab's scale: info, minor, major, critical, blocker.
                severity: match diagnostic.severity {
                    Severity::Error => "major",
                    Severity::Warning => "minor",
                },
                location: Location {
                    path: path.clone(),
                    lines: Lines { begin: line },
                },
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &issues)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use crate::output::test_report;

    #[test]
    fn one_issue_per_finding_with_unique_fingerprints() {
        let mut out = Vec::new();
        super::write(&test_report::edge_report(), &mut out).expect("writes to a Vec");
        let issues: serde_json::Value = serde_json::from_slice(&out).expect("JSON");
        let issues = issues.as_array().expect("a list");
        assert_eq!(issues.len(), 5);
        assert_eq!(issues[0]["check_name"], "TX002");
        assert_eq!(issues[0]["severity"], "minor");
        assert_eq!(issues[0]["location"]["path"], "edge.ts");
        assert_eq!(issues[0]["location"]["lines"]["begin"], 2);
        let mut fingerprints: Vec<&str> = issues
            .iter()
            .map(|issue| issue["fingerprint"].as_str().expect("fingerprint"))
            .collect();
        fingerprints.sort();
        fingerprints.dedup();
        assert_eq!(fingerprints.len(), 5, "fingerprints are unique");
    }
}
