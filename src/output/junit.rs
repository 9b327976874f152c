//! `--format junit`: a JUnit XML report, which most CI systems show as test
//! results: one test suite per file, one failing test case per finding
//! (named by its code, at its line and column), and one passing case when
//! nothing was found.

use std::io::Write;

use crate::diagnostic::Report;
use crate::output::{display_path, locate};
use crate::source::LineIndex;

pub(crate) fn write(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let count = report.diagnostic_count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="txlint" tests="{}" failures="{count}" errors="{}">"#,
        count.max(1),
        report.errors.len()
    )?;
    if count == 0 && report.errors.is_empty() {
        writeln!(
            out,
            r#"  <testsuite name="txlint" tests="1" failures="0" errors="0">"#
        )?;
        writeln!(
            out,
            r#"    <testcase name="no diagnostics" classname="txlint"/>"#
        )?;
        writeln!(out, "  </testsuite>")?;
    }
    for file in &report.files {
        let path = escape(&display_path(&file.source.path));
        let text = file.source.text.as_str();
        let index = LineIndex::new(text);
        let failures = file.diagnostics.len();
        writeln!(
            out,
            r#"  <testsuite name="{path}" tests="{failures}" failures="{failures}" errors="0">"#
        )?;
        for diagnostic in &file.diagnostics {
            let start = locate(&index, text, diagnostic.span).start;
            writeln!(
                out,
                r#"    <testcase name="{} {}" classname="{path}" file="{path}" line="{}">"#,
                diagnostic.code, diagnostic.rule, start.line
            )?;
            writeln!(
                out,
                r#"      <failure message="{}" type="{}">{path}:{}:{}: {}</failure>"#,
                escape(&diagnostic.message),
                diagnostic.severity.as_str(),
                start.line,
                start.column,
                escape(&diagnostic.help)
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    if !report.errors.is_empty() {
        let errors = report.errors.len();
        writeln!(
            out,
            r#"  <testsuite name="files not checked" tests="{errors}" failures="0" errors="{errors}">"#
        )?;
        for error in &report.errors {
            let path = escape(&display_path(&error.path));
            writeln!(
                out,
                r#"    <testcase name="{path}" classname="txlint"><error message="{}"/></testcase>"#,
                escape(&error.message)
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// Text for an XML attribute or element; control characters (which XML
/// 1.0 cannot hold) become spaces.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => escaped.push(' '),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Report;
    use crate::output::test_report;

    fn render(report: &Report) -> String {
        let mut out = Vec::new();
        super::write(report, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn one_failing_case_per_finding_and_errors_apart() {
        let rendered = render(&test_report::report());
        assert!(
            rendered.contains(r#"<testsuites name="txlint" tests="1" failures="1" errors="1">"#)
        );
        assert!(rendered.contains(
            r#"<testcase name="TX001 missing-rollback" classname="app/api/orders/route.ts" file="app/api/orders/route.ts" line="5">"#
        ));
        assert!(rendered.contains(r#"type="error">app/api/orders/route.ts:5:11: "#));
        assert!(rendered.contains(r#"<testcase name="bad/file.ts" classname="txlint"><error message="could not read: permission denied"/>"#));
        assert_eq!(
            rendered.matches("<testsuite ").count(),
            rendered.matches("</testsuite>").count()
        );
    }

    #[test]
    fn a_clean_run_is_one_passing_case() {
        let rendered = render(&Report::default());
        assert!(rendered.contains(r#"<testcase name="no diagnostics" classname="txlint"/>"#));
        assert!(rendered.contains(r#"failures="0""#));
    }

    #[test]
    fn markup_in_messages_is_escaped() {
        assert_eq!(
            super::escape("a < b && \"c\"\u{0}"),
            "a &lt; b &amp;&amp; &quot;c&quot; "
        );
    }
}
