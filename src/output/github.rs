//! `--format github`: GitHub Actions workflow commands, one `::error` or
//! `::warning` line per diagnostic and per file that could not be checked,
//! so a CI step annotates the pull request. Nothing else goes to stdout.

use std::io::Write;

use crate::diagnostic::{Report, Severity};
use crate::output::{display_path, locate_region};
use crate::source::LineIndex;

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for file in &report.files {
        let path = escape_property(&display_path(&file.source.path));
        let text = file.source.text.as_str();
        let index = LineIndex::new(text);
        for diagnostic in &file.diagnostics {
            let command = match diagnostic.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            let location = locate_region(&index, text, diagnostic.span);
            let (start, end) = (location.start, location.end);
            // GitHub takes columns only for an annotation on a single line.
            let properties = if start.line == end.line {
                format!(
                    "file={path},line={},col={},endLine={},endColumn={}",
                    start.line, start.column, end.line, end.column
                )
            } else {
                format!("file={path},line={},endLine={}", start.line, end.line)
            };
            let title = escape_property(&format!("{} {}", diagnostic.code, diagnostic.rule));
            writeln!(
                out,
                "::{command} {properties},title={title}::{}",
                escape_data(&diagnostic.message)
            )?;
        }
    }
    for error in &report.errors {
        writeln!(
            out,
            "::error file={}::{}",
            escape_property(&display_path(&error.path)),
            escape_data(&error.message)
        )?;
    }
    Ok(())
}

/// The message after `::`: a `%` or a line break would end or rewrite it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A `key=value` property: `:` and `,` also delimit the command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::diagnostic::{FileError, Report, Severity};
    use crate::output::test_report;
    use crate::source::Span;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        super::write(report, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("github output is UTF-8")
    }

    #[test]
    fn one_command_per_diagnostic_and_per_unchecked_file() {
        assert_eq!(
            render(&test_report::report()),
            "::error file=app/api/orders/route.ts,line=5,col=11,endLine=5,endColumn=32,\
             title=TX001 missing-rollback::transaction begun here is not rolled back when the \
             catch clause is taken\n\
             ::error file=bad/file.ts::could not read: permission denied\n"
        );
    }

    #[test]
    fn warnings_use_the_warning_command() {
        let rendered = render(&test_report::edge_report());
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(lines.len(), 5);
        assert!(
            lines
                .iter()
                .all(|line| line.starts_with("::warning file=edge.ts,"))
        );
        assert_eq!(
            lines[0],
            "::warning file=edge.ts,line=2,col=12,endLine=2,endColumn=13,\
             title=TX002 missing-release::client is not released"
        );
    }

    #[test]
    fn multi_line_spans_have_no_columns() {
        let mut report = test_report::report();
        let start = test_report::begin_span().start;
        let end = test_report::catch_span().end;
        report.files[0].diagnostics[0].span = Span::new(start, end);
        report.errors.clear();
        assert!(render(&report).starts_with(
            "::error file=app/api/orders/route.ts,line=5,endLine=8,title=TX001 missing-rollback::"
        ));
    }

    #[test]
    fn data_and_properties_are_escaped() {
        let mut report = test_report::report();
        report.files[0].source.path = PathBuf::from("a,b:c%d.ts");
        let diagnostic = &mut report.files[0].diagnostics[0];
        diagnostic.message = "100% sure:\r\nnot, really".to_string();
        diagnostic.severity = Severity::Warning;
        report.errors = vec![FileError {
            path: PathBuf::from("x,y.ts"),
            message: "line one\nline two: 50%".to_string(),
        }];
        assert_eq!(
            render(&report),
            "::warning file=a%2Cb%3Ac%25d.ts,line=5,col=11,endLine=5,endColumn=32,\
             title=TX001 missing-rollback::100%25 sure:%0D%0Anot, really\n\
             ::error file=x%2Cy.ts::line one%0Aline two: 50%25\n"
        );
    }

    #[test]
    fn empty_report_prints_nothing() {
        assert_eq!(render(&Report::default()), "");
    }
}
