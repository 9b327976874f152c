//! Renders a finished `Report` for people and tools. Each format is a small
//! module with one function; this is the only place where byte spans become
//! lines and columns, and where paths get their displayed form.

mod concise;
mod full;
mod github;
mod gitlab;
mod json;
mod junit;
mod sarif;

use std::path::Path;

use crate::diagnostic::Report;
use crate::source::{LineCol, LineIndex, Span};

/// How diagnostics are written to the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Source snippets with labelled spans, for people at a terminal.
    Full,
    /// `path:line:col: severity[CODE] message`, one per line, for editors
    /// and grep, and a summary line.
    Concise,
    /// One JSON document, for tools.
    Json,
    /// A SARIF 2.1.0 log, for GitHub code scanning and other SARIF viewers.
    Sarif,
    /// GitHub Actions workflow commands: one annotation per diagnostic.
    Github,
    /// A GitLab Code Quality report, for merge request widgets.
    Gitlab,
    /// JUnit XML, for CI systems that show test results.
    Junit,
}

/// Rendering settings that come from the terminal rather than the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputOptions {
    pub color: bool,
    /// Columns to wrap the `full` rendering at.
    pub width: usize,
    /// Diagnostics and nothing else (no summary line in `full` and
    /// `concise`).
    pub quiet: bool,
}

/// Writes `report` in `format` to `out`.
pub fn write(
    format: Format,
    report: &Report,
    options: &OutputOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Full => full::write(report, options, out),
        Format::Concise => concise::write(report, options, out),
        Format::Json => json::write(report, out),
        Format::Sarif => sarif::write(report, out),
        Format::Github => github::write(report, out),
        Format::Gitlab => gitlab::write(report, out),
        Format::Junit => junit::write(report, out),
    }
}

/// The last line of the `full` and `concise` formats: `found 3 errors and
/// 1 warning in 2 files (12 files checked)`, or `no diagnostics (12 files
/// checked)`, and what was left out in test code.
fn summary(report: &Report) -> String {
    let files = report
        .files
        .iter()
        .filter(|file| !file.diagnostics.is_empty())
        .count();
    let mut checked = plural(report.files_scanned, "file", "files") + " checked";
    if !report.errors.is_empty() {
        let errors = report.errors.len();
        checked += &format!(", {} not checked", plural(errors, "file", "files"));
    }
    let (mut errors, mut warnings) = (0, 0);
    for (_, diagnostic) in report.diagnostics() {
        match diagnostic.severity {
            crate::diagnostic::Severity::Error => errors += 1,
            crate::diagnostic::Severity::Warning => warnings += 1,
        }
    }
    let found: Vec<String> = [
        (errors, plural(errors, "error", "errors")),
        (warnings, plural(warnings, "warning", "warnings")),
    ]
    .into_iter()
    .filter(|(count, _)| *count > 0)
    .map(|(_, text)| text)
    .collect();
    let mut line = if found.is_empty() {
        format!("no diagnostics ({checked})")
    } else {
        format!(
            "found {} in {} ({checked})",
            found.join(" and "),
            plural(files, "file", "files"),
        )
    };
    if report.hidden_in_tests > 0 {
        line += &format!(
            "; {} in test code not shown (--include-tests shows them)",
            plural(report.hidden_in_tests, "finding", "findings")
        );
    }
    if report.hidden_by_baseline > 0 {
        line += &format!(
            "; {} in the baseline not shown",
            plural(report.hidden_by_baseline, "finding", "findings")
        );
    }
    line
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// The path as shown to the user: `/`-separated on every platform so output
/// is the same on Windows and Unix.
pub(crate) fn display_path(path: &Path) -> String {
    let shown = path.to_string_lossy();
    if cfg!(windows) {
        shown.replace('\\', "/")
    } else {
        shown.into_owned()
    }
}

/// A span made safe to slice `text` with: inside the text, on char
/// boundaries (start rounded down, end rounded up), and never inverted.
/// Spans come from front ends; a bad one must still render, not panic.
pub(crate) fn clamp_span(text: &str, span: Span) -> Span {
    let len = text.len();
    let mut start = (span.start as usize).min(len);
    let mut end = (span.end as usize).clamp(start, len);
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start as u32, end as u32)
}

/// Where a span sits, in the units every format reports: 1-based lines,
/// columns in Unicode scalars, byte offset and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) start: LineCol,
    pub(crate) end: LineCol,
    pub(crate) offset: u32,
    pub(crate) length: u32,
}

/// An empty span at the very end of the text (where "unexpected end of
/// file" points) is shown at the end of the last line, or on the last char
/// when the file has no final newline: miette draws nothing past the text,
/// and every format must agree on where a finding is.
pub(crate) fn at_end_shown(text: &str, span: Span) -> Span {
    let span = clamp_span(text, span);
    if !span.is_empty() || span.start as usize != text.len() || text.is_empty() {
        return span;
    }
    let trimmed = text
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t));
    match trimmed {
        Some(trimmed) => Span::new(trimmed.len() as u32, trimmed.len() as u32),
        None => {
            let last = text.char_indices().next_back().map_or(0, |(i, _)| i);
            Span::new(last as u32, text.len() as u32)
        }
    }
}

pub(crate) fn locate(index: &LineIndex<'_>, text: &str, span: Span) -> Location {
    let span = at_end_shown(text, span);
    Location {
        start: index.line_col(span.start),
        end: index.line_col(span.end),
        offset: span.start,
        length: span.len(),
    }
}

/// Like `locate`, for formats whose end line must hold the span's last
/// character (SARIF regions, GitHub annotations): a span that ends just after
/// a line break ends on that line, one column past the break, instead of at
/// column 1 of the next line.
pub(crate) fn locate_region(index: &LineIndex<'_>, text: &str, span: Span) -> Location {
    let mut location = locate(index, text, span);
    if location.end.column == 1 && location.end.line > location.start.line {
        // The byte before the end is the `\n` that ends the previous line.
        let span = at_end_shown(text, span);
        let mut end = index.line_col(span.end - 1);
        end.column += 1;
        location.end = end;
    }
    location
}

#[cfg(test)]
pub(crate) mod test_report {
    //! The hand-built report every format's tests render.

    use std::path::PathBuf;

    use crate::diagnostic::{Diagnostic, FileError, FileReport, Label, Report, Severity};
    use crate::source::{SourceFile, Span};

    pub(crate) const TEXT: &str = "\
// caf\u{e9} orders
export async function POST(req: Request) {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('COMMIT');
  } catch (e) {
    return fail();
  }
}
";

    fn span_of(needle: &str) -> Span {
        let start = TEXT.find(needle).expect("needle is in TEXT") as u32;
        Span::new(start, start + needle.len() as u32)
    }

    pub(crate) fn begin_span() -> Span {
        span_of("client.query('BEGIN')")
    }

    pub(crate) fn catch_span() -> Span {
        span_of("return fail();")
    }

    pub(crate) fn report() -> Report {
        let diagnostic = Diagnostic {
            code: "TX001",
            rule: "missing-rollback",
            severity: Severity::Error,
            message: "transaction begun here is not rolled back when the catch clause is taken"
                .to_string(),
            function: "POST".to_string(),
            span: begin_span(),
            labels: vec![
                Label {
                    message: "transaction begins here".to_string(),
                    span: begin_span(),
                },
                Label {
                    message: "catch clause returns here without ROLLBACK".to_string(),
                    span: catch_span(),
                },
            ],
            help: "run ROLLBACK in the catch block (or use a transaction helper)".to_string(),
            in_test_code: false,
            fix: None,
        };
        Report {
            files: vec![FileReport {
                source: SourceFile {
                    path: PathBuf::from("app/api/orders/route.ts"),
                    text: TEXT.to_string(),
                },
                diagnostics: vec![diagnostic],
            }],
            errors: vec![FileError {
                path: PathBuf::from("bad/file.ts"),
                message: "could not read: permission denied".to_string(),
            }],
            files_scanned: 3,
            hidden_in_tests: 0,
            hidden_by_baseline: 0,
        }
    }

    /// A report whose spans sit at the awkward places: end of file, empty,
    /// inside a multi-byte char, inverted, past the end.
    pub(crate) fn edge_report() -> Report {
        let text = "let caf\u{e9} = 1;\nlet x = '\u{1f600}';";
        let eof = text.len() as u32;
        let inside_emoji = text.find('\u{1f600}').expect("emoji is in text") as u32 + 2;
        let spans = [
            Span::new(eof, eof),
            Span::new(4, 4),
            Span::new(inside_emoji, inside_emoji + 1),
            Span { start: 9, end: 3 },
            Span::new(eof + 10, eof + 20),
        ];
        let diagnostics = spans
            .iter()
            .map(|&span| Diagnostic {
                code: "TX002",
                rule: "missing-release",
                severity: Severity::Warning,
                message: "client is not released".to_string(),
                function: "<module>".to_string(),
                span,
                labels: vec![Label {
                    message: "here".to_string(),
                    span,
                }],
                help: "release it in `finally`".to_string(),
                in_test_code: false,
                fix: None,
            })
            .collect();
        Report {
            files: vec![FileReport {
                source: SourceFile {
                    path: PathBuf::from("edge.ts"),
                    text: text.to_string(),
                },
                diagnostics,
            }],
            errors: vec![],
            files_scanned: 1,
            hidden_in_tests: 0,
            hidden_by_baseline: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clamp_span_stays_on_char_boundaries() {
        let text = "a\u{e9}b"; // 'é' is bytes 1..3
        assert_eq!(clamp_span(text, Span::new(2, 2)), Span::new(1, 3));
        assert_eq!(clamp_span(text, Span::new(0, 99)), Span::new(0, 4));
        assert_eq!(clamp_span(text, Span { start: 3, end: 1 }), Span::new(3, 3));
        assert_eq!(clamp_span("", Span::new(5, 9)), Span::new(0, 0));
    }

    #[test]
    fn locate_counts_scalars_and_bytes() {
        let text = "\u{e9}\u{e9}x\ny";
        let index = LineIndex::new(text);
        let location = locate(&index, text, Span::new(4, 7));
        assert_eq!(location.start, LineCol { line: 1, column: 3 });
        assert_eq!(location.end, LineCol { line: 2, column: 2 });
        assert_eq!((location.offset, location.length), (4, 3));
    }

    #[test]
    fn locate_region_ends_a_span_on_the_line_of_its_last_char() {
        let text = "ab\r\ncd\ne";
        let index = LineIndex::new(text);
        // "ab\r\n": its last char is the `\n` at column 4 of line 1.
        let location = locate_region(&index, text, Span::new(0, 4));
        assert_eq!(location.start, LineCol { line: 1, column: 1 });
        assert_eq!(location.end, LineCol { line: 1, column: 5 });
        assert_eq!((location.offset, location.length), (0, 4));
        // Ending inside a line, or empty at a line start: unchanged.
        assert_eq!(
            locate_region(&index, text, Span::new(0, 6)),
            locate(&index, text, Span::new(0, 6))
        );
        assert_eq!(
            locate_region(&index, text, Span::new(4, 4)),
            locate(&index, text, Span::new(4, 4))
        );
    }

    #[test]
    fn display_path_uses_forward_slashes() {
        assert_eq!(
            display_path(Path::new("app/api/route.ts")),
            "app/api/route.ts"
        );
    }

    #[test]
    fn every_format_renders_an_empty_report() {
        let options = OutputOptions {
            color: false,
            width: 80,
            quiet: false,
        };
        for format in [
            Format::Full,
            Format::Concise,
            Format::Json,
            Format::Sarif,
            Format::Github,
        ] {
            let mut out = Vec::new();
            write(format, &Report::default(), &options, &mut out).expect("writes to a Vec");
            assert!(String::from_utf8(out).is_ok());
        }
    }
}
