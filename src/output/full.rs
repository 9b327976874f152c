//! The human format: one miette graphical report per diagnostic (code and
//! rule, message, source snippet with the labelled spans, help), then files
//! that could not be checked, then a one-line summary. All miette use is here.

use std::fmt;
use std::io::Write;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    NamedSource, SourceCode, SourceSpan, SpanContents,
};

use crate::diagnostic::{Diagnostic, Report, Severity};
use crate::output::{OutputOptions, clamp_span, display_path, locate};
use crate::source::{LineIndex, Span};

/// miette's graphical handler wraps text to fit; below this it stops being
/// readable (and a width of 0 is never what the caller meant).
const MIN_WIDTH: usize = 40;

pub(crate) fn write(
    report: &Report,
    options: &OutputOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let theme = if options.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(options.width.max(MIN_WIDTH))
        .with_links(false);
    let style = Style {
        color: options.color,
    };

    for file in &report.files {
        let source = NamedSource::new(
            display_path(&file.source.path),
            ScalarColumns(file.source.text.clone()),
        );
        let index = LineIndex::new(&file.source.text);
        for diagnostic in &file.diagnostics {
            let mut rendered = String::new();
            if !drawable_lines(&file.source.text, diagnostic) {
                rendered = without_snippet(diagnostic, &file.source, &index, &style);
            } else {
                let shown = Shown {
                    diagnostic,
                    source: &source,
                };
                if handler.render_report(&mut rendered, &shown).is_err() {
                    rendered = without_snippet(diagnostic, &file.source, &index, &style);
                }
            }
            out.write_all(rendered.as_bytes())?;
            if let Some(rule) = crate::rules::rule(diagnostic.code) {
                writeln!(out, "  docs: {}", rule.url())?;
            }
            writeln!(out)?;
        }
    }

    for error in &report.errors {
        writeln!(
            out,
            "{}: {}: {}",
            style.error("error"),
            display_path(&error.path),
            error.message
        )?;
    }
    if options.quiet {
        return Ok(());
    }
    writeln!(out, "{}", style.bold(&super::summary(report)))
}

/// Lines longer than this are not drawn: minified bundles and generated
/// files have lines of megabytes, which no reader wants printed and which
/// miette cannot lay out (it panics past 65,535 columns).
const MAX_DRAWN_LINE: usize = 1_000;

/// Whether every line a diagnostic points into can be drawn: not too long,
/// and free of control characters (a binary file's bytes must never reach
/// the terminal).
fn drawable_lines(text: &str, diagnostic: &Diagnostic) -> bool {
    let spans = std::iter::once(diagnostic.span).chain(diagnostic.labels.iter().map(|l| l.span));
    spans.into_iter().all(|span| {
        let span = clamp_span(text, span);
        [span.start, span.end].into_iter().all(|at| {
            let at = at as usize;
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            let line = &text[start..end];
            line.len() <= MAX_DRAWN_LINE
                && !line
                    .chars()
                    .any(|c| c.is_control() && c != '\t' && c != '\r')
        })
    })
}

/// A diagnostic whose lines cannot be drawn, with its locations as text.
fn without_snippet(
    diagnostic: &Diagnostic,
    source: &crate::source::SourceFile,
    index: &LineIndex<'_>,
    style: &Style,
) -> String {
    let at = |span: Span| {
        let location = locate(index, &source.text, span);
        format!("{}:{}", location.start.line, location.start.column)
    };
    let marker = match diagnostic.severity {
        Severity::Error => style.error("×"),
        Severity::Warning => "⚠".to_string(),
    };
    let mut text = format!(
        "{} {}\n\n  {marker} {}\n   ╭─[{}:{}] (the line is not shown: too long, or not text)\n",
        diagnostic.code,
        diagnostic.rule,
        diagnostic.message,
        display_path(&source.path),
        at(diagnostic.span),
    );
    for label in &diagnostic.labels {
        text.push_str(&format!("   · {}: {}\n", at(label.span), label.message));
    }
    text.push_str("   ╰────\n");
    if !diagnostic.help.is_empty() {
        text.push_str(&format!("  help: {}\n", diagnostic.help));
    }
    text
}

/// ANSI styling for the lines miette does not draw.
struct Style {
    color: bool,
}

impl Style {
    fn error(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1;31m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    fn bold(&self, text: &str) -> String {
        if self.color {
            format!("\x1b[1m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

/// A diagnostic as miette sees it.
struct Shown<'a> {
    diagnostic: &'a Diagnostic,
    source: &'a NamedSource<ScalarColumns>,
}

impl Shown<'_> {
    fn source_span(&self, span: Span) -> SourceSpan {
        let span = super::at_end_shown(&self.source.inner().0, span);
        SourceSpan::from(span.start as usize..span.end as usize)
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl miette::Diagnostic for Shown<'_> {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(format!(
            "{} {}",
            self.diagnostic.code, self.diagnostic.rule
        )))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.diagnostic.help.is_empty() {
            None
        } else {
            Some(Box::new(&self.diagnostic.help))
        }
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let primary = self.diagnostic.span;
        // The first label on the primary span names it; every other label is
        // drawn as its own secondary span.
        let naming = self
            .diagnostic
            .labels
            .iter()
            .position(|label| label.span == primary);
        let primary_text = naming.map(|i| self.diagnostic.labels[i].message.clone());
        let mut spans = vec![LabeledSpan::new_primary_with_span(
            primary_text,
            self.source_span(primary),
        )];
        spans.extend(
            self.diagnostic
                .labels
                .iter()
                .enumerate()
                .filter(|&(i, _)| Some(i) != naming)
                .map(|(_, label)| {
                    LabeledSpan::new_with_span(
                        Some(label.message.clone()),
                        self.source_span(label.span),
                    )
                }),
        );
        Some(Box::new(spans.into_iter()))
    }
}

/// The file text, read as miette reads a `String`, except that the column
/// shown in the snippet header (`path:line:col`) counts Unicode scalars like
/// the other formats do; miette itself counts bytes.
struct ScalarColumns(String);

impl SourceCode for ScalarColumns {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self
            .0
            .read_span(span, context_lines_before, context_lines_after)?;
        if context_lines_before != 0 {
            // The contents start at a line start: column 0 is already right.
            return Ok(contents);
        }
        // Without leading context the contents start at the span itself.
        let offset = clamp_span(
            &self.0,
            Span::new(span.offset() as u32, span.offset() as u32),
        );
        let before = &self.0[..offset.start as usize];
        let line_start = before.rfind(['\n', '\r']).map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count();
        Ok(Box::new(MietteSpanContents::new(
            contents.data(),
            *contents.span(),
            contents.line(),
            column,
            contents.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Report;
    use crate::output::{OutputOptions, test_report};

    fn render(report: &Report, color: bool) -> String {
        let mut out = Vec::new();
        let options = OutputOptions {
            color,
            width: 100,
            quiet: false,
        };
        super::write(report, &options, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("full output is UTF-8")
    }

    #[test]
    fn shows_code_message_help_and_labels() {
        let rendered = render(&test_report::report(), false);
        for expected in [
            "TX001 missing-rollback",
            "transaction begun here is not rolled back when the catch clause is taken",
            "help: run ROLLBACK in the catch block (or use a transaction helper)",
            "transaction begins here",
            "catch clause returns here without ROLLBACK",
            "[app/api/orders/route.ts:5:11]",
            "await client.query('BEGIN');",
            "error: bad/file.ts: could not read: permission denied",
        ] {
            assert!(
                rendered.contains(expected),
                "missing {expected:?} in:\n{rendered}"
            );
        }
        // The primary label's text is drawn once, not again as a secondary.
        assert_eq!(
            rendered.matches("transaction begins here").count(),
            1,
            "{rendered}"
        );
        assert!(
            rendered.ends_with("found 1 error in 1 file (3 files checked, 1 file not checked)\n"),
            "{rendered}"
        );
        assert!(
            !rendered.contains('\x1b'),
            "no colour was asked for:\n{rendered}"
        );
    }

    #[test]
    fn header_column_counts_scalars() {
        let mut report = test_report::report();
        let text = &report.files[0].source.text;
        let orders = text.find("orders").expect("comment names orders") as u32;
        report.files[0].diagnostics[0].span = crate::source::Span::new(orders, orders + 6);
        let rendered = render(&report, false);
        assert!(
            rendered.contains("[app/api/orders/route.ts:1:9]"),
            "{rendered}"
        );
    }

    #[test]
    fn primary_without_a_matching_label_has_no_text() {
        let mut report = test_report::report();
        report.files[0].diagnostics[0].labels.remove(0);
        let rendered = render(&report, false);
        assert!(!rendered.contains("transaction begins here"));
        assert!(
            rendered.contains("catch clause returns here without ROLLBACK"),
            "{rendered}"
        );
    }

    #[test]
    fn colour_is_used_only_when_asked() {
        assert!(render(&test_report::report(), true).contains('\x1b'));
    }

    #[test]
    fn edge_spans_do_not_panic() {
        let rendered = render(&test_report::edge_report(), false);
        assert_eq!(
            rendered.matches("TX002 missing-release").count(),
            5,
            "{rendered}"
        );
        // Every label is drawn, the ones at and past the end of file included.
        assert_eq!(rendered.matches("╰── here").count(), 5, "{rendered}");
        assert!(!rendered.contains("Failed to read"), "{rendered}");
        assert!(rendered.ends_with("found 5 warnings in 1 file (1 file checked)\n"));
    }

    #[test]
    fn end_of_file_spans_are_drawn_on_the_last_line() {
        use crate::source::Span;
        assert_eq!(
            crate::output::at_end_shown("a\nbc\n", Span::new(5, 5)),
            Span::new(4, 4)
        );
        assert_eq!(
            crate::output::at_end_shown("a\r\nbc\r\n", Span::new(7, 7)),
            Span::new(5, 5)
        );
        assert_eq!(
            crate::output::at_end_shown("a\nb\u{e9}", Span::new(5, 5)),
            Span::new(3, 5)
        );
        assert_eq!(
            crate::output::at_end_shown("", Span::new(0, 0)),
            Span::new(0, 0)
        );
        assert_eq!(
            crate::output::at_end_shown("ab", Span::new(1, 1)),
            Span::new(1, 1)
        );
    }

    #[test]
    fn tiny_width_and_empty_text_do_not_panic() {
        let mut report = test_report::edge_report();
        report.files[0].source.text.clear();
        let mut out = Vec::new();
        let options = OutputOptions {
            color: false,
            width: 0,
            quiet: false,
        };
        super::write(&report, &options, &mut out).expect("writes to a Vec");
    }

    /// A report on one file of `text` with one diagnostic at `span`.
    fn report_on(text: String, span: crate::source::Span) -> Report {
        use crate::diagnostic::{Diagnostic, FileReport, Label, Severity};
        let diagnostic = Diagnostic {
            code: "TX000",
            rule: "parse-error",
            severity: Severity::Error,
            message: "unexpected end of input".to_string(),
            function: "<module>".to_string(),
            span,
            labels: vec![Label {
                message: "here".to_string(),
                span,
            }],
            help: "fix the syntax error".to_string(),
            in_test_code: false,
            fix: None,
        };
        Report {
            files: vec![FileReport {
                source: crate::source::SourceFile {
                    path: std::path::PathBuf::from("bundle.min.js"),
                    text,
                },
                diagnostics: vec![diagnostic],
            }],
            files_scanned: 1,
            ..Report::default()
        }
    }

    #[test]
    fn lines_too_long_or_not_text_are_located_not_drawn() {
        // Past 65,535 columns miette's layout panics; long before that a
        // line is no use on a terminal.
        let long = format!("{}(", "var a=1;".repeat(14_000));
        let at = long.len() as u32 - 1;
        let rendered = render(
            &report_on(long, crate::source::Span::new(at, at + 1)),
            false,
        );
        assert!(rendered.contains("[bundle.min.js:1:112001]"), "{rendered}");
        assert!(
            rendered.contains("help: fix the syntax error"),
            "{rendered}"
        );
        assert!(rendered.len() < 1_000, "the line itself is not printed");

        let binary = format!("\u{7f}ELF\0\0\u{1}{}", "\0".repeat(3_000));
        let rendered = render(&report_on(binary, crate::source::Span::new(0, 0)), false);
        assert!(rendered.contains("[bundle.min.js:1:1]"), "{rendered}");
        assert!(
            !rendered.chars().any(|c| c.is_control() && c != '\n'),
            "no control characters reach the terminal: {rendered:?}"
        );
    }

    #[test]
    fn empty_report_says_so() {
        let report = Report {
            files_scanned: 12,
            ..Report::default()
        };
        assert_eq!(
            render(&report, false),
            "no diagnostics (12 files checked)\n"
        );
    }

    #[test]
    fn summary_counts_findings_left_out_in_tests() {
        let report = Report {
            files_scanned: 4,
            hidden_in_tests: 2,
            hidden_by_baseline: 0,
            ..Report::default()
        };
        assert_eq!(
            render(&report, false),
            "no diagnostics (4 files checked); 2 findings in test code not shown (--include-tests shows them)\n"
        );
    }
}
