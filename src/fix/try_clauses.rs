//! Edits that put a statement into a `try` statement's clauses (a rollback
//! at the top of `catch`, a release in `finally`): the declaration moved
//! out of the `try` block so that the clauses see it, statements taken out,
//! and new text laid out with the file's own indentation and semicolons.

use super::{Edit, line_before};
use crate::flow::{Declaration, FnFlow, TryLayout};
use crate::source::Span;

/// How the code around a `try` statement is laid out.
pub(crate) struct Indent {
    /// The `try` statement's own indentation.
    pub outer: String,
    /// One level more, as its block indents.
    pub unit: String,
}

impl Indent {
    /// The indentation of the `try` statement at `layout`, when nothing
    /// comes before it on its line, and the step its block indents by.
    pub fn of(text: &str, layout: &TryLayout) -> Option<Indent> {
        let (_, outer) = line_before(text, layout.span.start)?;
        if !outer.trim().is_empty() {
            return None;
        }
        let unit = layout
            .statements
            .first()
            .and_then(|first| line_before(text, first.start))
            .and_then(|(_, inner)| inner.strip_prefix(outer))
            .filter(|unit| !unit.is_empty() && unit.trim().is_empty())
            .unwrap_or("  ");
        Some(Indent {
            outer: outer.to_string(),
            unit: unit.to_string(),
        })
    }

    /// The lines of a statement one level inside the `try` statement, each
    /// on a line of its own.
    pub fn lines(&self, lines: &[String]) -> String {
        lines
            .iter()
            .map(|line| format!("\n{}{}{line}", self.outer, self.unit))
            .collect()
    }
}

/// Where a name used in a `try` block is declared, as code added to the
/// statement's clauses sees it.
pub(crate) enum Scope<'f> {
    /// Declared before the `try` statement (or a parameter, or a field):
    /// visible in its clauses already.
    Outside,
    /// Declared by one of the `try` block's own statements: the
    /// declaration must move out, before the statement.
    Inside(&'f Declaration),
}

/// Where `name` is declared, when that is clear: declared once in the
/// function, by a statement of `layout`'s block or before the `try`
/// statement; or a parameter; or a field (`this.client`).
pub(crate) fn scope_of<'f>(
    flow: &'f FnFlow,
    text: &str,
    name: &str,
    layout: &TryLayout,
) -> Option<Scope<'f>> {
    if name.starts_with("this.") && is_identifier(&name["this.".len()..]) {
        return Some(Scope::Outside);
    }
    if !is_identifier(name) {
        return None;
    }
    let mut declared = flow
        .declarations
        .iter()
        .filter(|d| slice(text, d.name) == Some(name));
    let Some(declaration) = declared.next() else {
        return flow
            .params
            .iter()
            .any(|param| param.as_deref() == Some(name))
            .then_some(Scope::Outside);
    };
    if declared.next().is_some() || !declaration.only_one {
        return None;
    }
    if slice(text, declaration.keyword) == Some("var") || declaration.span.end <= layout.span.start
    {
        return Some(Scope::Outside);
    }
    layout
        .statements
        .contains(&declaration.span)
        .then_some(Scope::Inside(declaration))
}

/// The edits that move `declaration` (`const client: PoolClient = ..`)
/// out of the `try` statement at `layout`: `let client: PoolClient |
/// undefined` before it, and an assignment where it was. A fix that needs
/// it makes exactly these edits, so that two fixes share them.
pub(crate) fn hoisting(
    text: &str,
    declaration: &Declaration,
    layout: &TryLayout,
    indent: &Indent,
) -> Option<Vec<Edit>> {
    let name = slice(text, declaration.name)?;
    let end = declaration
        .annotation
        .map_or(declaration.name.end, |a| a.end);
    // Only a declaration with a value becomes an assignment.
    text.get(end as usize..declaration.span.end as usize)?
        .trim_start()
        .strip_prefix('=')?;
    let annotation = match declaration.annotation {
        Some(annotation) => format!(": {} | undefined", slice(text, annotation)?),
        None => String::new(),
    };
    let semicolon = semicolon_after(text, declaration.span);
    let mut edits = vec![
        Edit::insert(
            layout.span.start,
            format!("let {name}{annotation}{semicolon}\n{}", indent.outer),
        ),
        Edit {
            span: Span::new(declaration.keyword.start, declaration.name.start),
            content: String::new(),
        },
    ];
    if declaration.annotation.is_some() {
        edits.push(Edit {
            span: Span::new(declaration.name.end, end),
            content: String::new(),
        });
    }
    Some(edits)
}

/// The edit that takes out the statement at `span`: its whole line when
/// nothing else is on it.
pub(crate) fn removal(text: &str, span: Span) -> Option<Edit> {
    let (line_start, lead) = line_before(text, span.start)?;
    let after = text.get(span.end as usize..)?;
    let trail = &after[..after.find('\n').map_or(after.len(), |at| at + 1)];
    let span = if lead.trim().is_empty() && matches!(trail.trim(), "" | ";") {
        Span::new(line_start, span.end + trail.len() as u32)
    } else {
        span
    };
    Some(Edit {
        span,
        content: String::new(),
    })
}

/// The edit that puts `lines` at the top of the `finally` block of
/// `layout`, or adds one that holds them.
pub(crate) fn into_finally(
    text: &str,
    layout: &TryLayout,
    indent: &Indent,
    lines: &[String],
) -> Option<Edit> {
    let body = indent.lines(lines);
    let Some(finally) = layout.finally else {
        let end = layout.catch.as_ref().map_or(layout.block, |c| c.body).end;
        return Some(Edit::insert(
            end,
            format!(" finally {{{body}\n{}}}", indent.outer),
        ));
    };
    let inside = Span::new(finally.start + 1, finally.end.saturating_sub(1));
    if slice(text, inside)?.trim().is_empty() {
        return Some(Edit {
            span: inside,
            content: format!("{body}\n{}", indent.outer),
        });
    }
    Some(Edit::insert(inside.start, body))
}

/// The edit that puts `lines` at the top of the catch clause of `layout`,
/// or adds one that runs them and re-throws.
pub(crate) fn into_catch(
    text: &str,
    layout: &TryLayout,
    indent: &Indent,
    lines: &[String],
    semicolon: &str,
) -> Option<Edit> {
    let Some(catch) = &layout.catch else {
        let mut lines = lines.to_vec();
        lines.push(format!("throw error{semicolon}"));
        return Some(Edit::insert(
            layout.block.end,
            format!(
                " catch (error) {{{}\n{}}}",
                indent.lines(&lines),
                indent.outer
            ),
        ));
    };
    let at = catch.body.start + 1;
    let rest = text.get(at as usize..)?;
    let rest_of_line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let mut content = indent.lines(lines);
    if !rest_of_line.trim().is_empty() {
        // `catch (e) { throw e }`: what followed the brace goes on a line
        // of its own.
        content.push('\n');
        content.push_str(&indent.outer);
        content.push_str(&indent.unit);
        return Some(Edit {
            span: Span::new(
                at,
                at + (rest_of_line.len() - rest_of_line.trim_start().len()) as u32,
            ),
            content,
        });
    }
    Some(Edit::insert(at, content))
}

/// `;` when the statement at `span` ends with one (the file's style).
pub(crate) fn semicolon_after(text: &str, span: Span) -> &'static str {
    let ends = slice(text, span).is_some_and(|s| s.trim_end().ends_with(';'))
        || text
            .get(span.end as usize..)
            .is_some_and(|rest| rest.starts_with(';'));
    if ends { ";" } else { "" }
}

/// The quote the file writes strings with, as `near` shows it first.
pub(crate) fn quote_in(near: &str) -> char {
    near.chars()
        .find(|c| matches!(c, '\'' | '"'))
        .unwrap_or('\'')
}

/// `await call` in a `try` of its own whose catch logs: a rollback whose
/// failure neither replaces the error being handled nor stops the clause.
pub(crate) fn rollback_lines(
    call: &str,
    semicolon: &str,
    quote: char,
    indent: &Indent,
) -> Vec<String> {
    vec![
        "try {".to_string(),
        format!("{}await {call}{semicolon}", indent.unit),
        "} catch (rollbackError) {".to_string(),
        format!(
            "{}console.error({quote}Error rolling back transaction:{quote}, rollbackError){semicolon}",
            indent.unit
        ),
        "}".to_string(),
    ]
}

/// `lines` inside `if (name) { .. }`, one level deeper.
pub(crate) fn guarded(name: &str, lines: Vec<String>, indent: &Indent) -> Vec<String> {
    let mut guarded = vec![format!("if ({name}) {{")];
    guarded.extend(
        lines
            .into_iter()
            .map(|line| format!("{}{line}", indent.unit)),
    );
    guarded.push("}".to_string());
    guarded
}

pub(crate) fn contains(outer: Span, inner: Span) -> bool {
    outer.start <= inner.start && inner.end <= outer.end
}

pub(crate) fn slice(text: &str, span: Span) -> Option<&str> {
    text.get(span.start as usize..span.end as usize)
}

pub(crate) fn is_identifier(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
}
