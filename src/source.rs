//! A source file as txlint sees it: its display path, its text, and byte spans
//! into that text. Lines and columns are computed only when a diagnostic is
//! rendered (`LineIndex`), never during analysis.

use std::path::PathBuf;

/// A file-relative byte range (UTF-8 offsets). Front ends convert parser
/// positions to this once; everything after works in these offsets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: u32, end: u32) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

/// The language a file is read as, chosen from its extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    TypeScript { tsx: bool, declaration: bool },
    JavaScript { jsx: bool },
    Rust,
}

impl Language {
    pub fn from_path(path: &std::path::Path) -> Option<Language> {
        let ext = path.extension()?.to_str()?;
        // `index.d.ts`: a declaration file, where every declaration is
        // ambient (`export const Role: Roles;` has no initializer).
        let declaration = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .is_some_and(|stem| stem.ends_with(".d"));
        Some(match ext {
            "ts" | "mts" | "cts" => Language::TypeScript {
                tsx: false,
                declaration,
            },
            "tsx" => Language::TypeScript {
                tsx: true,
                declaration: false,
            },
            "js" | "jsx" | "mjs" | "cjs" => Language::JavaScript { jsx: true },
            "rs" => Language::Rust,
            _ => return None,
        })
    }
}

/// One file's text, with the path shown to the user.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: String,
}

/// 1-based line and column; the column counts Unicode scalar values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// Line starts of a text, for turning byte offsets into lines and columns.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<u32>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i as u32 + 1),
        );
        LineIndex { text, line_starts }
    }

    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        // Clamp to a char boundary so a span inside a multi-byte char cannot panic.
        let mut end = offset as usize;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() as u32 + 1;
        LineCol {
            line: line as u32 + 1,
            column,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_scalars_not_bytes() {
        let text = "ab\n\u{e9}x\ny";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(index.line_col(3), LineCol { line: 2, column: 1 });
        // 'x' follows a two-byte 'é'
        assert_eq!(index.line_col(5), LineCol { line: 2, column: 2 });
        assert_eq!(index.line_col(7), LineCol { line: 3, column: 1 });
        assert_eq!(index.line_col(99), LineCol { line: 3, column: 2 });
    }
}
