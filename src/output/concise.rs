//! `path:line:col: severity[CODE] message`, one diagnostic per line
//! (rustc's and clippy's `error[E0425]`, so that editors show warnings as
//! warnings), then a summary line when there was any, unless quiet. Files
//! that could not be checked are said on stderr by the caller.

use std::io::Write;

use crate::diagnostic::Report;
use crate::output::{OutputOptions, display_path, locate, summary};
use crate::source::LineIndex;

pub(crate) fn write(
    report: &Report,
    options: &OutputOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for file in &report.files {
        let path = display_path(&file.source.path);
        let index = LineIndex::new(&file.source.text);
        for diagnostic in &file.diagnostics {
            let start = locate(&index, &file.source.text, diagnostic.span).start;
            writeln!(
                out,
                "{path}:{}:{}: {}[{}] {}",
                start.line,
                start.column,
                diagnostic.severity.as_str(),
                diagnostic.code,
                diagnostic.message
            )?;
        }
    }
    // A clean run prints nothing, for scripts that test for output.
    if !options.quiet && report.diagnostic_count() > 0 {
        writeln!(out, "{}", summary(report))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::output::test_report;

    fn render(report: &crate::diagnostic::Report) -> String {
        let mut out = Vec::new();
        let quiet = crate::output::OutputOptions {
            color: false,
            width: 100,
            quiet: true,
        };
        super::write(report, &quiet, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("concise output is UTF-8")
    }

    #[test]
    fn one_line_per_diagnostic_and_nothing_else() {
        // Line 5, column 11: the column counts scalars, and the 'é' on line 1
        // does not shift anything on later lines.
        assert_eq!(
            render(&test_report::report()),
            "app/api/orders/route.ts:5:11: error[TX001] transaction begun here is not rolled back \
             when the catch clause is taken\n"
        );
    }

    #[test]
    fn column_counts_scalars_after_non_ascii() {
        let mut report = test_report::report();
        let text = &report.files[0].source.text;
        let orders = text.find("orders").expect("comment names orders") as u32;
        report.files[0].diagnostics[0].span = crate::source::Span::new(orders, orders + 6);
        // "// café " is 8 scalars but 9 bytes.
        assert!(render(&report).starts_with("app/api/orders/route.ts:1:9: error[TX001] "));
    }

    #[test]
    fn edge_spans_do_not_panic() {
        let rendered = render(&test_report::edge_report());
        let lines: Vec<&str> = rendered.lines().collect();
        assert_eq!(
            lines,
            [
                "edge.ts:2:12: warning[TX002] client is not released",
                "edge.ts:1:5: warning[TX002] client is not released",
                "edge.ts:2:10: warning[TX002] client is not released",
                "edge.ts:1:9: warning[TX002] client is not released",
                "edge.ts:2:12: warning[TX002] client is not released",
            ]
        );
    }

    #[test]
    fn empty_report_prints_nothing() {
        assert_eq!(render(&crate::diagnostic::Report::default()), "");
    }
}
