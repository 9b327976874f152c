//! TX006 double-release: a client released twice on one path (in `try`
//! and again in `finally`, or by every iteration of a loop).

use super::Rule;
use crate::diagnostic::{Diagnostic, Label, Severity};
use crate::fix::{Applicability, Edit, Fix, line_before};
use crate::flow::state::{DoubleRelease, Facts, release_is_repeated};
use crate::flow::{FnFlow, HandleId};
use crate::source::Span;

pub(super) const RULE: Rule = Rule {
    code: "TX006",
    name: "double-release",
    severity: Severity::Error,
    summary: "a client can be released twice on one path",
    doc: include_str!("../../rules/TX006.md"),
    check: Some(check),
    shown_in_tests: false,
};

fn check(flow: &FnFlow, facts: &Facts, text: &str, out: &mut Vec<Diagnostic>) {
    for (handle_id, handle_facts) in facts.handles.iter().enumerate() {
        let handle = &flow.handles[handle_id];
        if handle_facts.truncated || handle.returns_to_pool_on_drop || handle.pool {
            continue;
        }
        let mut doubles = handle_facts.double_releases.clone();
        doubles.sort_by_key(|d| (d.second, d.first));
        doubles.dedup_by_key(|d| d.second);
        for double in doubles {
            let name = &handle.name;
            let (message, labels) = if double.first == double.second {
                (
                    format!("`{name}` is released again by the next iteration of the loop"),
                    vec![Label {
                        message: "released on every iteration, but checked out once".into(),
                        span: double.second,
                    }],
                )
            } else {
                (
                    format!("`{name}` can be released twice on one path"),
                    vec![
                        Label {
                            message: "released here first".into(),
                            span: double.first,
                        },
                        Label {
                            message: "and again here".into(),
                            span: double.second,
                        },
                    ],
                )
            };
            let mut diagnostic = RULE.diagnostic(flow, message);
            diagnostic.span = double.second;
            diagnostic.labels = labels;
            diagnostic.help =
                "release exactly once, in `finally`, and not also in `try` or `catch`".into();
            diagnostic.fix = removal(flow, handle_id, &double, text);
            out.push(diagnostic);
        }
    }
}

/// Removing the first release, when the statement is alone on its line and
/// the engine shows that the function without it still releases the client
/// on every path through it, and never twice (the other release, in
/// `finally`, does it all).
fn removal(flow: &FnFlow, handle: HandleId, double: &DoubleRelease, text: &str) -> Option<Fix> {
    if double.first == double.second {
        return None;
    }
    let line = statement_line(text, double.first)?;
    if !release_is_repeated(flow, handle, line) {
        return None;
    }
    Some(Fix {
        applicability: Applicability::Safe,
        message: "Remove the release that `finally` repeats".into(),
        edits: vec![Edit {
            span: line,
            content: String::new(),
        }],
    })
}

/// The whole line of the statement at `call` (`client.release()`, also
/// `await ..;`), when nothing else is on it.
fn statement_line(text: &str, call: Span) -> Option<Span> {
    let (line_start, lead) = line_before(text, call.start)?;
    let after = text.get(call.end as usize..)?;
    let trail = &after[..after.find('\n').map_or(after.len(), |at| at + 1)];
    let alone = matches!(lead.trim(), "" | "await") && matches!(trail.trim(), "" | ";");
    alone.then(|| Span::new(line_start, call.end + trail.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_release_is_removed_with_its_line_only_when_alone_on_it() {
        let text =
            "try {\n    client.release()\n    await qr.release();\n  x(); client.release()\n}";
        let span_of = |needle: &str, nth: usize| {
            let at = text.match_indices(needle).nth(nth).expect("in text").0 as u32;
            Span::new(at, at + needle.len() as u32)
        };
        let line = statement_line(text, span_of("client.release()", 0)).expect("alone");
        assert_eq!(
            &text[line.start as usize..line.end as usize],
            "    client.release()\n"
        );
        let line = statement_line(text, span_of("qr.release()", 0)).expect("awaited, alone");
        assert_eq!(
            &text[line.start as usize..line.end as usize],
            "    await qr.release();\n"
        );
        assert_eq!(statement_line(text, span_of("client.release()", 1)), None);
    }
}
