//! Fixes: the edits that repair a finding, how safe they are to apply, and
//! applying them to a file's text.

pub(crate) mod try_clauses;

use std::path::Path;

use crate::source::Span;

/// Whether a fix may be applied without a person reading it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Applicability {
    /// Keeps what the code means except for the bug (`--fix`).
    Safe,
    /// Changes control flow; read it before keeping it (`--unsafe-fixes`).
    Unsafe,
}

impl Applicability {
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::Safe => "safe",
            Applicability::Unsafe => "unsafe",
        }
    }
}

/// One replacement of the text at `span`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub content: String,
}

impl Edit {
    pub fn insert(at: u32, content: impl Into<String>) -> Edit {
        Edit {
            span: Span::new(at, at),
            content: content.into(),
        }
    }
}

/// The edits that repair one finding, applied together or not at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    /// What it does, for a code action's title (`Add \`await\``).
    pub message: String,
    pub edits: Vec<Edit>,
}

/// Where the line holding offset `at` starts, and its text up to `at` (the
/// indentation, when nothing comes before): where a fix inserts or removes
/// a statement.
pub(crate) fn line_before(text: &str, at: u32) -> Option<(u32, &str)> {
    let before = text.get(..at as usize)?;
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    Some((line_start as u32, &before[line_start..]))
}

/// `text` with as many of `fixes` applied as do not overlap an earlier
/// one (in source order), and how many were applied. An edit that an
/// earlier fix makes too (two fixes that both move a declaration out of a
/// `try` block) is shared, not a clash. A fix whose edits fall outside the
/// text is skipped.
pub fn apply<'f>(text: &str, fixes: impl IntoIterator<Item = &'f Fix>) -> (String, usize) {
    let mut fixes: Vec<&Fix> = fixes.into_iter().collect();
    fixes.sort_by_key(|fix| fix.edits.iter().map(|e| (e.span.start, e.span.end)).min());
    let mut edits: Vec<&Edit> = Vec::new();
    let mut applied = 0;
    for fix in fixes {
        let fits = fix.edits.iter().all(|edit| {
            edit.span.start <= edit.span.end
                && (edit.span.end as usize) <= text.len()
                && text.is_char_boundary(edit.span.start as usize)
                && text.is_char_boundary(edit.span.end as usize)
                && !edits
                    .iter()
                    .any(|taken| *taken != edit && overlaps(taken.span, edit.span))
        });
        if fits {
            for edit in &fix.edits {
                if !edits.contains(&edit) {
                    edits.push(edit);
                }
            }
            applied += 1;
        }
    }
    edits.sort_by_key(|edit| (edit.span.start, edit.span.end));
    let mut fixed = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        fixed.push_str(&text[at..edit.span.start as usize]);
        fixed.push_str(&edit.content);
        at = edit.span.end as usize;
    }
    fixed.push_str(&text[at..]);
    (fixed, applied)
}

/// Replace the file at `path` with `fixed`, unless it no longer holds
/// `checked` (the text the fixes were made for): it is written to a
/// temporary file beside it and renamed over it, so that a crash leaves
/// the old text or the new one, and it keeps its permissions.
pub fn write_fixed(path: &Path, checked: &str, fixed: &str) -> Result<(), String> {
    let io = |err: std::io::Error| crate::discover::io_message(&err);
    let now = std::fs::read(path).map_err(io)?;
    if now != checked.as_bytes() {
        return Err("changed on disk since it was checked; not fixed".into());
    }
    let permissions = std::fs::metadata(path).map_err(io)?.permissions();
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.txlint-{}", std::process::id()));
    let written = std::fs::write(&temporary, fixed)
        .and_then(|()| std::fs::set_permissions(&temporary, permissions))
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(err) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(io(err));
    }
    Ok(())
}

/// Two edits touch the same text, or insert at the same place.
fn overlaps(a: Span, b: Span) -> bool {
    a.start < b.end && b.start < a.end || a.start == b.start
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: "test".into(),
            edits,
        }
    }

    #[test]
    fn edits_apply_in_source_order_and_overlaps_are_left_for_later() {
        let text = "client.query('BEGIN'); client.query('COMMIT')";
        let first = fix(vec![Edit::insert(0, "await ")]);
        let second = fix(vec![Edit::insert(23, "await ")]);
        let clash = fix(vec![Edit {
            span: Span::new(0, 6),
            content: "db".into(),
        }]);
        let (fixed, applied) = apply(text, [&second, &clash, &first]);
        assert_eq!(
            fixed,
            "await client.query('BEGIN'); await client.query('COMMIT')"
        );
        assert_eq!(applied, 2);
        let outside = fix(vec![Edit::insert(999, "x")]);
        assert_eq!(apply(text, [&outside]), (text.to_string(), 0));
    }

    #[test]
    fn an_edit_two_fixes_make_is_made_once() {
        let text = "try { const c = 1 } catch {}";
        let hoist = || Edit::insert(0, "let c\n");
        let first = fix(vec![hoist(), Edit::insert(27, "a")]);
        let second = fix(vec![hoist(), Edit::insert(5, "b")]);
        let (fixed, applied) = apply(text, [&first, &second]);
        assert_eq!(fixed, "let c\ntry {b const c = 1 } catch {a}");
        assert_eq!(applied, 2);
    }

    #[test]
    fn a_file_changed_since_it_was_checked_is_not_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("route.ts");
        std::fs::write(&path, "edited meanwhile").expect("write");
        let refused = write_fixed(&path, "as checked", "fixed");
        assert!(refused.is_err_and(|message| message.contains("changed on disk")));
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "edited meanwhile"
        );

        write_fixed(&path, "edited meanwhile", "fixed").expect("written");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "fixed");
        let leftovers = std::fs::read_dir(dir.path()).expect("list").count();
        assert_eq!(leftovers, 1, "no temporary file is left");
    }
}
