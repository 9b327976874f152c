//! The `--format json` document described in DESIGN.md ("Outputs"): plain
//! serde structs, pretty-printed, so tools get a stable shape.

use std::io::Write;

use serde::Serialize;

use crate::diagnostic::Report;
use crate::output::{Location, display_path, locate};
use crate::source::{LineIndex, Span};

#[derive(Serialize)]
struct Document<'a> {
    tool: &'static str,
    version: &'static str,
    diagnostics: Vec<JsonDiagnostic<'a>>,
    errors: Vec<JsonError<'a>>,
    summary: Summary,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    rule: &'static str,
    severity: &'static str,
    message: &'a str,
    path: String,
    function: &'a str,
    span: JsonSpan,
    labels: Vec<JsonLabel<'a>>,
    help: &'a str,
    /// The rule's documentation.
    url: String,
    /// The edits that repair it, when a fix exists for its shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    /// `safe` (applied by `--fix`) or `unsafe` (also `--unsafe-fixes`).
    applicability: &'static str,
    message: &'a str,
    /// Replacements as UTF-8 byte ranges of the checked text.
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    offset: u32,
    length: u32,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    message: &'a str,
    span: JsonSpan,
}

#[derive(Serialize)]
struct JsonSpan {
    start: Position,
    end: Position,
    offset: u32,
    length: u32,
}

#[derive(Serialize)]
struct Position {
    line: u32,
    column: u32,
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: String,
    message: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files_scanned: usize,
    files_with_diagnostics: usize,
    diagnostics: usize,
    /// Findings in test code left out (`--include-tests` shows them).
    hidden_in_tests: usize,
    hidden_by_baseline: usize,
}

impl JsonSpan {
    fn new(index: &LineIndex<'_>, text: &str, span: Span) -> Self {
        let Location {
            start,
            end,
            offset,
            length,
        } = locate(index, text, span);
        JsonSpan {
            start: Position {
                line: start.line,
                column: start.column,
            },
            end: Position {
                line: end.line,
                column: end.column,
            },
            offset,
            length,
        }
    }
}

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let mut diagnostics = Vec::with_capacity(report.diagnostic_count());
    for file in &report.files {
        let path = display_path(&file.source.path);
        let text = file.source.text.as_str();
        let index = LineIndex::new(text);
        for diagnostic in &file.diagnostics {
            diagnostics.push(JsonDiagnostic {
                code: diagnostic.code,
                rule: diagnostic.rule,
                severity: diagnostic.severity.as_str(),
                message: &diagnostic.message,
                path: path.clone(),
                function: &diagnostic.function,
                span: JsonSpan::new(&index, text, diagnostic.span),
                labels: diagnostic
                    .labels
                    .iter()
                    .map(|label| JsonLabel {
                        message: &label.message,
                        span: JsonSpan::new(&index, text, label.span),
                    })
                    .collect(),
                help: &diagnostic.help,
                url: crate::rules::rule(diagnostic.code)
                    .map(|rule| rule.url())
                    .unwrap_or_default(),
                fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
                    applicability: fix.applicability.as_str(),
                    message: &fix.message,
                    edits: fix
                        .edits
                        .iter()
                        .map(|edit| JsonEdit {
                            offset: edit.span.start,
                            length: edit.span.end - edit.span.start,
                            content: &edit.content,
                        })
                        .collect(),
                }),
            });
        }
    }
    let document = Document {
        tool: "txlint",
        version: env!("CARGO_PKG_VERSION"),
        diagnostics,
        errors: report
            .errors
            .iter()
            .map(|error| JsonError {
                path: display_path(&error.path),
                message: &error.message,
            })
            .collect(),
        summary: Summary {
            files_scanned: report.files_scanned,
            files_with_diagnostics: report
                .files
                .iter()
                .filter(|file| !file.diagnostics.is_empty())
                .count(),
            diagnostics: report.diagnostic_count(),
            hidden_in_tests: report.hidden_in_tests,
            hidden_by_baseline: report.hidden_by_baseline,
        },
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::output::test_report;

    fn render(report: &crate::diagnostic::Report) -> (String, Value) {
        let mut out = Vec::new();
        super::write(report, &mut out).expect("writes to a Vec");
        let text = String::from_utf8(out).expect("json output is UTF-8");
        let value = serde_json::from_str(&text).expect("json output parses");
        (text, value)
    }

    #[test]
    fn document_matches_the_design() {
        let (text, value) = render(&test_report::report());
        assert!(text.ends_with("}\n"));
        assert!(text.starts_with("{\n  \"tool\": \"txlint\",\n"));

        assert_eq!(value["tool"], "txlint");
        assert_eq!(value["version"], env!("CARGO_PKG_VERSION"));
        let diagnostics = value["diagnostics"]
            .as_array()
            .expect("diagnostics is an array");
        assert_eq!(diagnostics.len(), 1);
        let diagnostic = &diagnostics[0];
        assert_eq!(diagnostic["code"], "TX001");
        assert_eq!(diagnostic["rule"], "missing-rollback");
        assert_eq!(diagnostic["severity"], "error");
        assert_eq!(
            diagnostic["message"],
            "transaction begun here is not rolled back when the catch clause is taken"
        );
        assert_eq!(diagnostic["path"], "app/api/orders/route.ts");
        assert_eq!(diagnostic["function"], "POST");
        assert_eq!(
            diagnostic["help"],
            "run ROLLBACK in the catch block (or use a transaction helper)"
        );

        // "client.query('BEGIN')" on line 5: 21 bytes from column 11. The 'é'
        // on line 1 makes byte offsets one more than scalar counts.
        let begin = test_report::begin_span();
        assert_eq!(
            diagnostic["span"],
            json!({
                "start": {"line": 5, "column": 11},
                "end": {"line": 5, "column": 32},
                "offset": begin.start,
                "length": 21,
            })
        );
        let chars_before = test_report::TEXT[..begin.start as usize].chars().count() as u32;
        assert_eq!(begin.start, chars_before + 1);

        let labels = diagnostic["labels"].as_array().expect("labels is an array");
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0]["message"], "transaction begins here");
        assert_eq!(labels[0]["span"], diagnostic["span"]);
        let catch = test_report::catch_span();
        assert_eq!(
            labels[1]["message"],
            "catch clause returns here without ROLLBACK"
        );
        assert_eq!(
            labels[1]["span"],
            json!({
                "start": {"line": 8, "column": 5},
                "end": {"line": 8, "column": 19},
                "offset": catch.start,
                "length": 14,
            })
        );

        assert_eq!(
            value["errors"],
            json!([{"path": "bad/file.ts", "message": "could not read: permission denied"}])
        );
        assert_eq!(
            value["summary"],
            json!({"files_scanned": 3, "files_with_diagnostics": 1, "diagnostics": 1, "hidden_in_tests": 0, "hidden_by_baseline": 0})
        );
    }

    #[test]
    fn keys_come_in_the_documented_order() {
        let (text, _) = render(&test_report::report());
        let keys = [
            "\"tool\"",
            "\"version\"",
            "\"diagnostics\"",
            "\"code\"",
            "\"rule\"",
            "\"severity\"",
            "\"message\"",
            "\"path\"",
            "\"function\"",
            "\"span\"",
            "\"labels\"",
            "\"help\"",
            "\"errors\"",
            "\"summary\"",
        ];
        let positions: Vec<usize> = keys
            .iter()
            .map(|key| text.find(key).expect("key is present"))
            .collect();
        assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    }

    #[test]
    fn edge_spans_are_clamped() {
        let (_, value) = render(&test_report::edge_report());
        let spans: Vec<&serde_json::Value> = value["diagnostics"]
            .as_array()
            .expect("array")
            .iter()
            .map(|d| &d["span"])
            .collect();
        // End of file without a final newline: the last char, as the full
        // format draws it.
        assert_eq!(
            *spans[0],
            json!({"start": {"line": 2, "column": 12}, "end": {"line": 2, "column": 13},
                   "offset": 29, "length": 1})
        );
        // Inside the emoji: widened to the whole char.
        assert_eq!(
            *spans[2],
            json!({"start": {"line": 2, "column": 10}, "end": {"line": 2, "column": 11},
                   "offset": 24, "length": 4})
        );
        // Inverted: empty at its start.
        assert_eq!(spans[3]["length"], 0);
        // Past the end: the end of file.
        assert_eq!(*spans[4], *spans[0]);
    }

    #[test]
    fn empty_report_is_a_complete_document() {
        let (_, value) = render(&crate::diagnostic::Report::default());
        assert_eq!(value["diagnostics"], json!([]));
        assert_eq!(value["errors"], json!([]));
        assert_eq!(
            value["summary"],
            json!({"files_scanned": 0, "files_with_diagnostics": 0, "diagnostics": 0, "hidden_in_tests": 0, "hidden_by_baseline": 0})
        );
    }
}
