//! Metamorphic tests: edits that do not change what the code does with its
//! connections must not change what txlint finds, only where. Every fixture
//! (annotated or clean) is renamed, reformatted and extended, and a handful of
//! handlers are checked against the same handler with part of its work moved
//! into a helper.

mod common;

use std::path::{Path, PathBuf};

use common::{fixture_files, fixtures_root};
use txlint::source::{LineIndex, SourceFile};

/// The fewest fixtures each whole-tree check must actually transform, so
/// that a change to the fixture tree cannot make them pass on nothing.
const MIN_FIXTURES_COVERED: usize = 150;

/// Handle names used throughout the fixtures and a new name for each. None
/// of the new names contains `pool`, which the drivers read as a pool.
const RENAMES: &[(&str, &str)] = &[
    ("client", "dbConn"),
    ("conn", "handle2"),
    ("connection", "link7"),
    ("trx", "txn9"),
    ("txn", "unitOfWork3"),
    ("tx", "tx_renamed"),
    ("db", "store3"),
];

/// Known cases where a transformation changes the findings although it
/// should not: (check, fixture path relative to `fixtures/`, why). Each is
/// an analyzer inconsistency; the check fails when one no longer happens,
/// so the entry is removed with the fix.
const KNOWN_DISCREPANCIES: &[(&str, &str, &str)] = &[];

/// One finding, with the parts each check compares.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    code: String,
    function: String,
    line: u32,
    column: u32,
    message: String,
}

fn findings(path: &Path, text: &str) -> Vec<Finding> {
    let source = SourceFile {
        path: path.to_path_buf(),
        text: text.to_string(),
    };
    let index = LineIndex::new(text);
    let mut found: Vec<Finding> = txlint::check_source(&source)
        .into_iter()
        .map(|d| {
            let at = index.line_col(d.span.start);
            Finding {
                code: d.code.to_string(),
                function: d.function,
                line: at.line,
                column: at.column,
                message: d.message,
            }
        })
        .collect();
    found.sort();
    found
}

fn is_javascript(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["js", "jsx", "mjs", "cjs"].contains(&e))
}

fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}

/// Each fixture with its path relative to `fixtures/` (shown and matched
/// against `KNOWN_DISCREPANCIES`) and its text. Declaration files (`.d.ts`)
/// hold no code: a function added to one would be a syntax error.
fn fixtures() -> Vec<(PathBuf, String)> {
    let root = fixtures_root();
    fixture_files(&root)
        .into_iter()
        .filter(|path| !path.to_str().is_some_and(|p| p.ends_with(".d.ts")))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("fixtures are UTF-8");
            (
                path.strip_prefix(&root).unwrap_or(&path).to_path_buf(),
                text,
            )
        })
        .collect()
}

/// Collects the fixtures whose findings changed, minus the known ones, and
/// the known ones that no longer happen.
struct Discrepancies {
    check: &'static str,
    unexpected: Vec<String>,
    seen_known: Vec<String>,
}

impl Discrepancies {
    fn new(check: &'static str) -> Discrepancies {
        Discrepancies {
            check,
            unexpected: Vec::new(),
            seen_known: Vec::new(),
        }
    }

    fn compare<T: PartialEq + std::fmt::Debug>(&mut self, path: &Path, before: T, after: T) {
        if before == after {
            return;
        }
        let shown = path.to_string_lossy().replace('\\', "/");
        if KNOWN_DISCREPANCIES
            .iter()
            .any(|(check, file, _)| *check == self.check && *file == shown)
        {
            self.seen_known.push(shown);
            return;
        }
        self.unexpected.push(format!(
            "{shown}:\n  before: {before:?}\n  after:  {after:?}"
        ));
    }

    fn assert_none(self, covered: usize) {
        assert!(
            covered >= MIN_FIXTURES_COVERED,
            "{}: only {covered} fixtures were transformed",
            self.check
        );
        let stale: Vec<&str> = KNOWN_DISCREPANCIES
            .iter()
            .filter(|(check, file, _)| {
                *check == self.check && !self.seen_known.iter().any(|s| s == file)
            })
            .map(|(_, file, _)| *file)
            .collect();
        assert!(
            stale.is_empty(),
            "{}: these known discrepancies no longer happen, remove them: {stale:?}",
            self.check
        );
        assert!(
            self.unexpected.is_empty(),
            "{}: findings changed in {} fixture(s):\n{}",
            self.check,
            self.unexpected.len(),
            self.unexpected.join("\n")
        );
    }
}

fn is_identifier_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Replace every whole-word `from` with `to`, except after `.` or `::`
/// (a property, method or path segment of that name is a different thing).
/// A lifetime or label of that name (`'tx`) is renamed with it.
fn rename_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = 0;
    for (at, _) in text.match_indices(from) {
        let before = &text[..at];
        let after = &text[at + from.len()..];
        let whole_word = !before.ends_with(is_identifier_char)
            && !after.starts_with(is_identifier_char)
            && !before.ends_with('.')
            && !before.ends_with("::");
        if whole_word {
            out.push_str(&text[rest..at]);
            out.push_str(to);
            rest = at + from.len();
        }
    }
    out.push_str(&text[rest..]);
    out
}

/// The renames that can apply to `text`: those whose new name is not in it,
/// and whose old name is not one a module exports to it (`import { db }
/// from '@vercel/postgres'` names the package's export, not a variable of
/// the file).
fn renames_for(text: &str) -> Vec<(&'static str, &'static str)> {
    RENAMES
        .iter()
        .copied()
        .filter(|(from, to)| !text.contains(to) && !imported_by_name(text, from))
        .collect()
}

/// Whether `name` stands between the braces of an `import { .. } from`.
fn imported_by_name(text: &str, name: &str) -> bool {
    text.split("import {").skip(1).any(|rest| {
        rest.split_once('}').is_some_and(|(names, after)| {
            after.trim_start().starts_with("from")
                && names
                    .split(',')
                    .any(|imported| imported.split_whitespace().next() == Some(name))
        })
    })
}

fn rename_all(text: &str, renames: &[(&str, &str)]) -> String {
    renames.iter().fold(text.to_string(), |text, (from, to)| {
        rename_word(&text, from, to)
    })
}

#[test]
fn renaming_handles_keeps_the_findings() {
    let mut discrepancies = Discrepancies::new("rename");
    let mut covered = 0;
    for (path, text) in fixtures() {
        let renames = renames_for(&text);
        let renamed = rename_all(&text, &renames);
        if renamed == text {
            continue;
        }
        covered += 1;
        // Messages name the variable and columns move; the codes, lines and
        // functions (renamed alike: a function may be named after a handle)
        // may not change.
        let before: Vec<(String, String, u32)> = findings(&path, &text)
            .into_iter()
            .map(|f| (f.code, rename_all(&f.function, &renames), f.line))
            .collect();
        let after: Vec<(String, String, u32)> = findings(&path, &renamed)
            .into_iter()
            .map(|f| (f.code, f.function, f.line))
            .collect();
        discrepancies.compare(&path, sorted(before), sorted(after));
    }
    discrepancies.assert_none(covered);
}

/// Finds, for each line, whether the break that ends it lies in code
/// rather than inside a string, template literal, regular expression or
/// block comment, where a new line would change the text itself.
struct BreakScanner {
    chars: Vec<char>,
    at: usize,
    rust: bool,
    breaks: Vec<bool>,
}

/// Words after which `/` starts a regular expression, not a division.
const WORDS_BEFORE_REGEX: &[&str] = &[
    "return",
    "typeof",
    "case",
    "do",
    "else",
    "in",
    "of",
    "void",
    "yield",
    "await",
    "throw",
    "new",
    "delete",
    "instanceof",
];

impl BreakScanner {
    fn scan(text: &str, rust: bool) -> Vec<bool> {
        let mut scanner = BreakScanner {
            chars: text.chars().collect(),
            at: 0,
            rust,
            breaks: Vec::new(),
        };
        scanner.code(false);
        scanner.breaks
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    /// Step over one character of a literal or comment.
    fn bump_literal(&mut self) {
        if self.peek(0) == Some('\n') {
            self.breaks.push(false);
        }
        self.at += 1;
    }

    /// Code up to the end of the text, or, in a template's `${ }`, up to its
    /// closing brace.
    fn code(&mut self, in_template_hole: bool) {
        let mut braces = 0_u32;
        // The last significant character and whether it ended a word, to
        // tell a regular expression from a division.
        let mut last = None;
        let mut last_word = String::new();
        while let Some(c) = self.peek(0) {
            let next = self.peek(1);
            match c {
                '\n' => {
                    self.breaks.push(true);
                    self.at += 1;
                    continue;
                }
                c if c.is_whitespace() => {
                    self.at += 1;
                    continue;
                }
                '/' if next == Some('/') => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                    continue;
                }
                '/' if next == Some('*') => self.block_comment(),
                '"' => self.quoted('"'),
                '\'' if !self.rust => self.quoted('\''),
                '\'' => self.char_or_lifetime(),
                '`' if !self.rust => self.template(),
                '/' if !self.rust && Self::regex_may_follow(last, &last_word) => self.regex(),
                '{' => {
                    braces += 1;
                    self.at += 1;
                }
                '}' if in_template_hole && braces == 0 => {
                    self.at += 1;
                    return;
                }
                '}' => {
                    braces = braces.saturating_sub(1);
                    self.at += 1;
                }
                c if is_identifier_char(c) => {
                    let start = self.at;
                    while self.peek(0).is_some_and(is_identifier_char) {
                        self.at += 1;
                    }
                    let word: String = self.chars[start..self.at].iter().collect();
                    if self.rust && ["r", "br", "cr"].contains(&word.as_str()) {
                        self.raw_string();
                    }
                    last = Some('a');
                    last_word = word;
                    continue;
                }
                _ => self.at += 1,
            }
            last = Some(c);
            last_word.clear();
        }
    }

    fn regex_may_follow(last: Option<char>, last_word: &str) -> bool {
        match last {
            None => true,
            Some('a') if !last_word.is_empty() => WORDS_BEFORE_REGEX.contains(&last_word),
            Some(c) => "(,=:[!&|?{};+-*%<>~^".contains(c),
        }
    }

    fn block_comment(&mut self) {
        self.at += 2;
        let mut depth = 1;
        while depth > 0 && self.peek(0).is_some() {
            if self.peek(0) == Some('*') && self.peek(1) == Some('/') {
                depth -= 1;
                self.at += 2;
            } else if self.rust && self.peek(0) == Some('/') && self.peek(1) == Some('*') {
                depth += 1;
                self.at += 2;
            } else {
                self.bump_literal();
            }
        }
    }

    fn quoted(&mut self, quote: char) {
        self.at += 1;
        while let Some(c) = self.peek(0) {
            if c == '\\' {
                self.bump_literal();
                self.bump_literal();
            } else if c == quote {
                self.at += 1;
                return;
            } else {
                self.bump_literal();
            }
        }
    }

    /// `'a'` and `'\n'` are characters; `'a` is a lifetime or label.
    fn char_or_lifetime(&mut self) {
        if self.peek(1) == Some('\\') {
            self.quoted('\'');
        } else if self.peek(2) == Some('\'') {
            self.at += 3;
        } else {
            self.at += 1;
        }
    }

    /// After `r`, `br` or `cr`: `#"..."#` with any number of `#`, or nothing
    /// (a raw identifier or an ordinary word).
    fn raw_string(&mut self) {
        let mut hashes = 0;
        while self.peek(hashes) == Some('#') {
            hashes += 1;
        }
        if self.peek(hashes) != Some('"') {
            return;
        }
        self.at += hashes + 1;
        while self.peek(0).is_some() {
            if self.peek(0) == Some('"') && (1..=hashes).all(|k| self.peek(k) == Some('#')) {
                self.at += hashes + 1;
                return;
            }
            self.bump_literal();
        }
    }

    fn template(&mut self) {
        self.at += 1;
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => {
                    self.bump_literal();
                    self.bump_literal();
                }
                '`' => {
                    self.at += 1;
                    return;
                }
                '$' if self.peek(1) == Some('{') => {
                    self.at += 2;
                    self.code(true);
                }
                _ => self.bump_literal(),
            }
        }
    }

    /// A regular expression literal; a line break ends it (then it was a
    /// division after all, and the break is code).
    fn regex(&mut self) {
        self.at += 1;
        let mut in_class = false;
        while let Some(c) = self.peek(0) {
            match c {
                '\n' => return,
                '\\' => self.at += 2,
                '[' => {
                    in_class = true;
                    self.at += 1;
                }
                ']' => {
                    in_class = false;
                    self.at += 1;
                }
                '/' if !in_class => {
                    self.at += 1;
                    return;
                }
                _ => self.at += 1,
            }
        }
    }
}

/// The text with a blank line after every line whose break is in code,
/// except comment lines (a `txlint-ignore` comment alone on its line covers
/// the next one), and the new line number of each old line.
fn add_blank_lines(text: &str, rust: bool) -> (String, Vec<u32>) {
    let breaks = BreakScanner::scan(text, rust);
    let mut out = String::with_capacity(text.len() * 2);
    // new_lines[old line - 1] = new line
    let mut new_lines = Vec::new();
    let mut added = 0;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        new_lines.push(index as u32 + 1 + added);
        out.push_str(line);
        let in_code = breaks.get(index).copied().unwrap_or(false);
        if line.ends_with('\n') && in_code && !line.trim_start().starts_with("//") {
            out.push_str(if line.ends_with("\r\n") { "\r\n" } else { "\n" });
            added += 1;
        }
    }
    (out, new_lines)
}

#[test]
fn blank_lines_between_statements_only_move_findings() {
    let mut discrepancies = Discrepancies::new("reformat");
    let mut covered = 0;
    for (path, text) in fixtures() {
        let (spaced, new_lines) = add_blank_lines(&text, is_rust(&path));
        if spaced == text {
            continue;
        }
        covered += 1;
        let moved: Vec<(String, String, u32)> = findings(&path, &text)
            .into_iter()
            .map(|f| {
                let line = new_lines.get(f.line as usize - 1).copied().unwrap_or(0);
                (f.code, f.function, line)
            })
            .collect();
        let found: Vec<(String, String, u32)> = findings(&path, &spaced)
            .into_iter()
            .map(|f| (f.code, f.function, f.line))
            .collect();
        discrepancies.compare(&path, sorted(moved), sorted(found));
    }
    discrepancies.assert_none(covered);
}

fn sorted<T: Ord>(mut items: Vec<T>) -> Vec<T> {
    items.sort();
    items
}

#[test]
fn a_function_appended_at_the_end_changes_nothing() {
    let mut discrepancies = Discrepancies::new("append");
    let mut covered = 0;
    for (path, text) in fixtures() {
        let unrelated = if is_rust(&path) {
            "fn unrelated_helper(x: u32) -> u32 { x + 1 }\n"
        } else if is_javascript(&path) {
            "export function unrelatedHelper(x) { return x + 1 }\n"
        } else {
            "export function unrelatedHelper(x: number) { return x + 1 }\n"
        };
        let separator = if text.ends_with('\n') { "\n" } else { "\n\n" };
        let extended = format!("{text}{separator}{unrelated}");
        covered += 1;
        discrepancies.compare(&path, findings(&path, &text), findings(&path, &extended));
    }
    discrepancies.assert_none(covered);
}

/// A handler, and the same handler with part of its work moved into a
/// helper in the same file, with the codes both must report.
struct SplitPair {
    name: &'static str,
    path: &'static str,
    codes: &'static [&'static str],
    inline: &'static str,
    split: &'static str,
}

const SPLIT_PAIRS: &[SplitPair] = &[
    SplitPair {
        name: "catch without ROLLBACK",
        path: "app/api/items/route.ts",
        codes: &["TX001"],
        inline: r#"import { pool } from '@/lib/db-pool'

type Row = { name: string }

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (const row of rows) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
    }
    await client.query('UPDATE stats SET item_count = item_count + $1', [rows.length])
    await client.query('COMMIT')
    return Response.json({ ok: true })
  } catch (error) {
    console.error(error)
    return Response.json({ error: 'failed' }, { status: 500 })
  } finally {
    client.release()
  }
}
"#,
        split: r#"import { PoolClient } from 'pg'
import { pool } from '@/lib/db-pool'

type Row = { name: string }

async function insertRows(client: PoolClient, rows: Row[]) {
  for (const row of rows) {
    await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
  }
  await client.query('UPDATE stats SET item_count = item_count + $1', [rows.length])
}

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await insertRows(client, rows)
    await client.query('COMMIT')
    return Response.json({ ok: true })
  } catch (error) {
    console.error(error)
    return Response.json({ error: 'failed' }, { status: 500 })
  } finally {
    client.release()
  }
}
"#,
    },
    SplitPair {
        name: "release only on success",
        path: "app/api/items/route.ts",
        codes: &["TX002"],
        inline: r#"import { pool } from '@/lib/db-pool'

type Row = { name: string }

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (const row of rows) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
    }
    await client.query('UPDATE stats SET item_count = item_count + $1', [rows.length])
    await client.query('COMMIT')
    client.release()
    return Response.json({ ok: true })
  } catch (error) {
    await client.query('ROLLBACK')
    return Response.json({ error: 'failed' }, { status: 500 })
  }
}
"#,
        split: r#"import { PoolClient } from 'pg'
import { pool } from '@/lib/db-pool'

type Row = { name: string }

async function insertRows(client: PoolClient, rows: Row[]) {
  for (const row of rows) {
    await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
  }
  await client.query('UPDATE stats SET item_count = item_count + $1', [rows.length])
}

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await insertRows(client, rows)
    await client.query('COMMIT')
    client.release()
    return Response.json({ ok: true })
  } catch (error) {
    await client.query('ROLLBACK')
    return Response.json({ error: 'failed' }, { status: 500 })
  }
}
"#,
    },
    SplitPair {
        name: "correct Express handler",
        path: "routes/items.js",
        codes: &[],
        inline: r#"const express = require('express')
const { pool } = require('./db')

const router = express.Router()

router.post('/items', async (req, res, next) => {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (const row of req.body.rows) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
    }
    await client.query('UPDATE stats SET item_count = item_count + $1', [req.body.rows.length])
    await client.query('COMMIT')
    res.json({ ok: true })
  } catch (error) {
    await client.query('ROLLBACK')
    next(error)
  } finally {
    client.release()
  }
})

module.exports = router
"#,
        split: r#"const express = require('express')
const { pool } = require('./db')

const router = express.Router()

async function insertRows(client, rows) {
  for (const row of rows) {
    await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
  }
  await client.query('UPDATE stats SET item_count = item_count + $1', [rows.length])
}

router.post('/items', async (req, res, next) => {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await insertRows(client, req.body.rows)
    await client.query('COMMIT')
    res.json({ ok: true })
  } catch (error) {
    await client.query('ROLLBACK')
    next(error)
  } finally {
    client.release()
  }
})

module.exports = router
"#,
    },
    SplitPair {
        name: "ROLLBACK and release in helpers",
        path: "app/api/items/route.ts",
        codes: &[],
        inline: r#"import { pool } from '@/lib/db-pool'

type Row = { name: string }

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (const row of rows) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
    }
    await client.query('COMMIT')
    return Response.json({ ok: true })
  } catch (error) {
    try {
      await client.query('ROLLBACK')
    } catch (rollbackError) {
      console.error('rollback failed', rollbackError)
    }
    return Response.json({ error: 'failed' }, { status: 500 })
  } finally {
    client.release()
  }
}
"#,
        split: r#"import { PoolClient } from 'pg'
import { pool } from '@/lib/db-pool'

type Row = { name: string }

async function rollbackQuietly(client: PoolClient) {
  try {
    await client.query('ROLLBACK')
  } catch (rollbackError) {
    console.error('rollback failed', rollbackError)
  }
}

function releaseClient(client: PoolClient) {
  client.release()
}

export async function POST(request: Request) {
  const rows: Row[] = await request.json()
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    for (const row of rows) {
      await client.query('INSERT INTO items (name) VALUES ($1)', [row.name])
    }
    await client.query('COMMIT')
    return Response.json({ ok: true })
  } catch (error) {
    await rollbackQuietly(client)
    return Response.json({ error: 'failed' }, { status: 500 })
  } finally {
    releaseClient(client)
  }
}
"#,
    },
    SplitPair {
        name: "raw BEGIN with `?` before COMMIT",
        path: "src/import.rs",
        codes: &["TX001"],
        inline: r#"use sqlx::PgPool;

pub struct Row {
    pub name: String,
}

pub async fn import_rows(pool: &PgPool, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    for row in rows {
        sqlx::query("INSERT INTO items (name) VALUES ($1)")
            .bind(&row.name)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE stats SET item_count = item_count + 1")
        .execute(&mut *conn)
        .await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(())
}
"#,
        split: r#"use sqlx::{PgConnection, PgPool};

pub struct Row {
    pub name: String,
}

async fn insert_rows(conn: &mut PgConnection, rows: &[Row]) -> Result<(), sqlx::Error> {
    for row in rows {
        sqlx::query("INSERT INTO items (name) VALUES ($1)")
            .bind(&row.name)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE stats SET item_count = item_count + 1")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn import_rows(pool: &PgPool, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    insert_rows(&mut conn, rows).await?;
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(())
}
"#,
    },
    SplitPair {
        name: "transaction dropped on an early `Ok`",
        path: "src/import.rs",
        codes: &["TX005"],
        inline: r#"use sqlx::PgPool;

pub struct Row {
    pub name: String,
}

pub async fn import_rows(pool: &PgPool, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for row in rows {
        sqlx::query("INSERT INTO items (name) VALUES ($1)")
            .bind(&row.name)
            .execute(&mut *tx)
            .await?;
    }
    if rows.is_empty() {
        return Ok(());
    }
    tx.commit().await?;
    Ok(())
}
"#,
        split: r#"use sqlx::{PgConnection, PgPool};

pub struct Row {
    pub name: String,
}

async fn insert_rows(conn: &mut PgConnection, rows: &[Row]) -> Result<(), sqlx::Error> {
    for row in rows {
        sqlx::query("INSERT INTO items (name) VALUES ($1)")
            .bind(&row.name)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

pub async fn import_rows(pool: &PgPool, rows: &[Row]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    insert_rows(&mut tx, rows).await?;
    if rows.is_empty() {
        return Ok(());
    }
    tx.commit().await?;
    Ok(())
}
"#,
    },
];

#[test]
fn moving_work_into_a_helper_keeps_the_findings() {
    let codes = |text: &str, path: &str| -> Vec<String> {
        sorted(
            findings(Path::new(path), text)
                .into_iter()
                .map(|f| f.code)
                .collect(),
        )
    };
    let mut wrong = Vec::new();
    for pair in SPLIT_PAIRS {
        let expected: Vec<String> = pair.codes.iter().map(|c| c.to_string()).collect();
        let inline = codes(pair.inline, pair.path);
        let split = codes(pair.split, pair.path);
        if inline != expected || split != expected {
            wrong.push(format!(
                "{}: expected {expected:?}, inline {inline:?}, split {split:?}",
                pair.name
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_transformations_do_what_they_say() {
    assert_eq!(
        rename_word("client.client(client) x.client clientele", "client", "c2"),
        "c2.client(c2) x.client clientele"
    );
    assert_eq!(rename_word("Self::tx(tx)", "tx", "t"), "Self::tx(t)");
    assert!(imported_by_name(
        "import { sql, db } from '@vercel/postgres'",
        "db"
    ));
    assert!(!imported_by_name(
        "import { db as pg } from './pg'\nconst db = 1",
        "pg"
    ));
    assert!(!imported_by_name("const { db } = require('./x')", "db"));
    let ts = "const a = `x\ny ${f({\n})}`\nconst r = /\"/g\nconst s = '\"'\n// c\n/* a\nb */ x()\n";
    assert_eq!(
        BreakScanner::scan(ts, false),
        vec![false, true, true, true, true, true, false, true]
    );
    let rust = "let s = r#\"a\n\"#;\nlet c = '\"';\nfn f<'a>() {}\nlet t = \"x\\\ny\";\n";
    assert_eq!(
        BreakScanner::scan(rust, true),
        vec![false, true, true, true, false, true]
    );
    let (spaced, new_lines) = add_blank_lines("a;\r\n// c\nb\n", false);
    assert_eq!(spaced, "a;\r\n\r\n// c\nb\n\n");
    assert_eq!(new_lines, vec![1, 3, 4]);
}
