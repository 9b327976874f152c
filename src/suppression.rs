//! `// txlint-ignore TX002: reason` comments. One on the line of a primary
//! span (at its end) or alone on the line above silences that code there;
//! `// txlint-ignore-file TX003: reason` silences it in the whole file. A
//! comment without a reason, with an unknown code, or that silences nothing
//! is itself reported (TX900), so suppressions do not rot.

use crate::diagnostic::{Diagnostic, Label};
use crate::rules;
use crate::source::{LineIndex, Span};

const LINE_MARKER: &str = "txlint-ignore";
const FILE_MARKER: &str = "txlint-ignore-file";

/// One suppression comment as written.
#[derive(Debug)]
struct Suppression {
    /// The comment's span, for TX900.
    span: Span,
    /// 1-based line of the comment.
    line: u32,
    /// Whether the comment is alone on its line (then it covers the next).
    own_line: bool,
    whole_file: bool,
    codes: Vec<String>,
    reason: Option<String>,
    used: bool,
}

/// Drop the diagnostics that a comment suppresses and add TX900 for the
/// comments that are wrong or do nothing.
pub(crate) fn apply(text: &str, diagnostics: &mut Vec<Diagnostic>) {
    let mut suppressions = find(text);
    if suppressions.is_empty() {
        return;
    }
    let index = LineIndex::new(text);
    diagnostics.retain(|diagnostic| {
        let line = index.line_col(diagnostic.span.start).line;
        let suppressor = suppressions.iter_mut().find(|s| {
            s.codes
                .iter()
                .any(|c| c.eq_ignore_ascii_case(diagnostic.code))
                && (s.whole_file || s.line == line || (s.own_line && s.line + 1 == line))
        });
        match suppressor {
            Some(suppression) => {
                suppression.used = true;
                false
            }
            None => true,
        }
    });
    for suppression in &suppressions {
        if let Some(problem) = problem(suppression) {
            diagnostics.push(unused_suppression(suppression, problem));
        }
    }
}

/// What is wrong with a suppression, if anything.
fn problem(suppression: &Suppression) -> Option<String> {
    let marker = if suppression.whole_file {
        FILE_MARKER
    } else {
        LINE_MARKER
    };
    if suppression.codes.is_empty() {
        return Some(format!("`{marker}` names no rule code"));
    }
    if let Some(unknown) = suppression.codes.iter().find(|c| rules::rule(c).is_none()) {
        return Some(format!("`{marker}` names unknown rule code `{unknown}`"));
    }
    if suppression.reason.is_none() {
        return Some(format!("`{marker}` gives no reason after a colon"));
    }
    if !suppression.used {
        let codes = suppression.codes.join(", ");
        return Some(format!("`{marker} {codes}` suppresses nothing"));
    }
    None
}

fn unused_suppression(suppression: &Suppression, message: String) -> Diagnostic {
    let rule = rules::rule("TX900").expect("TX900 is registered");
    Diagnostic {
        code: rule.code,
        rule: rule.name,
        severity: rule.severity,
        message,
        function: "<module>".to_string(),
        span: suppression.span,
        labels: vec![Label {
            message: "suppression written here".to_string(),
            span: suppression.span,
        }],
        help: "give a reason (`// txlint-ignore TX002: released by the caller`), fix the code, \
               or remove the comment"
            .to_string(),
        in_test_code: false,
        fix: None,
    }
}

/// Every suppression comment in `text`: a `//` comment whose text starts
/// with the marker.
fn find(text: &str) -> Vec<Suppression> {
    let mut found = Vec::new();
    if !text.contains(LINE_MARKER) {
        return found;
    }
    let mut offset = 0usize;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += line.len();
        let Some(comment_at) = line.find("//") else {
            continue;
        };
        let comment = line[comment_at + 2..].trim_start();
        let (whole_file, rest) = if let Some(rest) = comment.strip_prefix(FILE_MARKER) {
            (true, rest)
        } else if let Some(rest) = comment.strip_prefix(LINE_MARKER) {
            (false, rest)
        } else {
            continue;
        };
        // `txlint-ignored` or `txlint-ignorefoo` are other words.
        if rest
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '-')
        {
            continue;
        }
        let rest = rest.trim_end();
        let (codes, reason) = match rest.split_once(':') {
            Some((codes, reason)) => (codes, Some(reason.trim()).filter(|r| !r.is_empty())),
            None => (rest, None),
        };
        let codes = codes
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        let start = line_start + comment_at;
        let end = line_start + line.trim_end().len();
        found.push(Suppression {
            span: Span::new(start as u32, end.max(start) as u32),
            line: index as u32 + 1,
            own_line: line[..comment_at].trim().is_empty(),
            whole_file,
            codes,
            reason: reason.map(str::to_string),
            used: false,
        });
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_reasons_and_placement() {
        let text = "a // txlint-ignore TX001, TX002: handled by the caller\n\
                    // txlint-ignore-file TX005\n\
                    b // txlint-ignored here\n";
        let found = find(text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].codes, vec!["TX001", "TX002"]);
        assert_eq!(found[0].reason.as_deref(), Some("handled by the caller"));
        assert!(!found[0].own_line && !found[0].whole_file);
        assert_eq!(found[1].line, 2);
        assert!(found[1].own_line && found[1].whole_file && found[1].reason.is_none());
    }
}
