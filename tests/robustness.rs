//! The fuzz targets' promise, checked deterministically on every run: no
//! input makes `check_source` panic or overflow its stack. Each fixture is
//! mutated by a seeded PRNG (truncated, cut, duplicated, sprinkled with stray
//! tokens), and generated programs nest far deeper than real code does.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use common::{fixture_files, fixtures_root};
use txlint::source::SourceFile;

/// Random mutants per fixture file, besides the fixed truncations; tuned so
/// the whole file runs in a few seconds in a debug build on two cores.
const MUTANTS_PER_FILE: u64 = 12;

/// Where each file is cut, in tenths of its length.
const TRUNCATION_TENTHS: [usize; 5] = [1, 3, 5, 7, 9];

/// The analysis runs on threads with as much stack as the CLI gives its own.
const ANALYSIS_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Text that unbalances or confuses a parser, or that the analyzer looks for.
const STRAY_TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    "try {",
    "} catch (e) {",
    "} finally {",
    "await ",
    "return;",
    "throw e;",
    "'BEGIN'",
    "'COMMIT'",
    "'ROLLBACK'",
    "client.query('BEGIN')",
    "client.release()",
    "pool.connect()",
    "tx.commit().await?;",
    "?",
    "=>",
    "'",
    "\"",
    "`",
    "${",
    "/*",
    "*/",
    "//",
    "r#\"",
    "#[",
    "<",
    ">",
    "\n",
    "\r\n",
    "\r",
    "\\",
    "\0",
    "é",
    "\u{200b}",
    "\u{feff}",
    "😀",
    "𝔘",
    "// txlint-ignore TX001: reason\n",
    "// txlint-ignore-file TX002\n",
];

/// xorshift64*: small, seedable, and the same on every platform.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        // Zero is xorshift's fixed point; mix the seed so nearby seeds differ.
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (`bound` > 0).
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
}

/// One mutant of `text`, fully determined by `seed`, with what was done to
/// it (for the failure message).
fn mutant(text: &str, seed: u64) -> (String, String) {
    let mut rng = XorShift::new(seed);
    // Char boundaries, so every edit keeps the text valid UTF-8.
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = |rng: &mut XorShift| boundaries[rng.below(boundaries.len())];
    let range = |rng: &mut XorShift, longest: usize| {
        let start = rng.below(boundaries.len());
        let end = (start + 1 + rng.below(longest)).min(boundaries.len() - 1);
        (boundaries[start], boundaries[end.max(start)])
    };
    match rng.below(7) {
        0 => {
            let cut = at(&mut rng);
            (text[..cut].to_string(), format!("truncate at byte {cut}"))
        }
        1 => {
            let (start, end) = range(&mut rng, 80);
            let out = format!("{}{}", &text[..start], &text[end..]);
            (out, format!("delete bytes {start}..{end}"))
        }
        2 => {
            let (start, end) = range(&mut rng, 200);
            let out = format!("{}{}", &text[..end], &text[start..]);
            (out, format!("duplicate bytes {start}..{end}"))
        }
        3 | 4 => {
            // Several stray tokens at once, so nesting and recovery interact.
            let mut out = text.to_string();
            let mut done = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let token = STRAY_TOKENS[rng.below(STRAY_TOKENS.len())];
                let mut place = rng.below(out.len() + 1);
                while !out.is_char_boundary(place) {
                    place -= 1;
                }
                out.insert_str(place, token);
                done.push(format!("{token:?} at byte {place}"));
            }
            (out, format!("insert {}", done.join(", ")))
        }
        5 => {
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            if lines.len() < 2 {
                return (text.to_string(), "unchanged (one line)".into());
            }
            let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
            lines.swap(a, b);
            (
                lines.concat(),
                format!("swap lines {} and {}", a + 1, b + 1),
            )
        }
        _ => {
            let (start, end) = range(&mut rng, 8);
            let token = STRAY_TOKENS[rng.below(STRAY_TOKENS.len())];
            let out = format!("{}{token}{}", &text[..start], &text[end..]);
            (out, format!("replace bytes {start}..{end} with {token:?}"))
        }
    }
}

/// Run `check_source` and report a panic as text instead of unwinding.
fn check_without_panic(path: &Path, text: String) -> Result<(), String> {
    let source = SourceFile {
        path: path.to_path_buf(),
        text,
    };
    catch_unwind(AssertUnwindSafe(|| txlint::check_source(&source)))
        .map(|_| ())
        .map_err(|payload| {
            payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into())
        })
}

/// The per-file seed: the file's name and the mutant's number, so adding a
/// fixture leaves every other file's mutants as they were.
fn mutant_seed(relative: &Path, number: u64) -> u64 {
    let name_hash = relative
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    name_hash ^ number.wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

/// Check every mutant of one fixture; failures are described so that the
/// same mutant can be rebuilt with `mutant(text, seed)`.
fn check_mutants_of(root: &Path, path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).expect("fixtures are UTF-8");
    let relative = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    let mut failures = Vec::new();
    let mut report = |what: String, mutated: String| {
        let Err(panic) = check_without_panic(&relative, mutated.clone()) else {
            return;
        };
        let saved = save_failing_mutant(&relative, &what, &mutated);
        failures.push(format!(
            "{}: {what}: panicked: {panic} (mutant saved to {})",
            relative.display(),
            saved.display()
        ));
    };
    for tenths in TRUNCATION_TENTHS {
        let mut cut = text.len() * tenths / 10;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        report(
            format!("truncate at byte {cut} ({tenths}/10)"),
            text[..cut].to_string(),
        );
    }
    for number in 0..MUTANTS_PER_FILE {
        let seed = mutant_seed(&relative, number);
        let (mutated, what) = mutant(&text, seed);
        report(format!("seed {seed:#x}, {what}"), mutated);
    }
    failures
}

fn save_failing_mutant(relative: &Path, what: &str, text: &str) -> PathBuf {
    let what_hash = what.bytes().fold(0_u64, |h, b| {
        h.rotate_left(5) ^ u64::from(b).wrapping_mul(0x9e37_79b9_7f4a_7c15)
    });
    let name = format!(
        "txlint-mutant-{:x}-{}",
        mutant_seed(relative, what_hash),
        relative
            .file_name()
            .map_or_else(|| "mutant".into(), |n| n.to_string_lossy().into_owned())
    );
    let path = std::env::temp_dir().join(name);
    // Best effort: the failure message still names the seed if this fails.
    let _ = std::fs::write(&path, text);
    path
}

/// Run `work` on each item on as many threads as there are cores, each
/// with the CLI's analysis stack, and gather what they return.
fn on_analysis_threads<T: Sync, R: Send>(
    items: &[T],
    work: impl Fn(&T) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            std::thread::Builder::new()
                .stack_size(ANALYSIS_STACK_BYTES)
                .spawn_scoped(scope, || {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        let found = work(item);
                        results.lock().expect("no worker panics").extend(found);
                    }
                })
                .expect("the analysis thread starts");
        }
    });
    results.into_inner().expect("no worker panics")
}

#[test]
fn mutated_fixtures_never_panic() {
    let root = fixtures_root();
    let files = fixture_files(&root);
    assert!(files.len() >= 150, "found {} fixture files", files.len());

    // The test harness captures what the worker threads print, so the panic
    // hook's output for the tolerated panics shows only on a failure.
    let mut failures = on_analysis_threads(&files, |path| check_mutants_of(&root, path));
    failures.sort();
    assert!(
        failures.is_empty(),
        "{} mutant(s) made check_source panic:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn mutants_are_reproducible_from_their_seed() {
    let text = "const a = 1\nconst b = 'BEGIN'\n";
    for seed in 0..50 {
        assert_eq!(mutant(text, seed), mutant(text, seed));
    }
    let distinct: std::collections::BTreeSet<String> =
        (0..50).map(|seed| mutant(text, seed).0).collect();
    assert!(distinct.len() > 20, "{} distinct mutants", distinct.len());
}

/// swc 47 panics on a JavaScript class cut off after a member name (with
/// `auto_accessors`, which txlint's JavaScript settings turn on): the file
/// is one that cannot be parsed, TX000, and the run goes on.
#[test]
fn a_parser_panic_is_a_parse_error() {
    for name in ["a.js", "a.mjs", "a.jsx"] {
        let source = SourceFile {
            path: name.into(),
            text: "class A { x".into(),
        };
        let diagnostics = catch_unwind(AssertUnwindSafe(|| txlint::check_source(&source)))
            .unwrap_or_else(|_| panic!("{name}: the parser's panic escaped"));
        let codes: Vec<&str> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["TX000"], "{name}");
    }
}

/// How deep the generated programs nest. swc and syn recurse once per `(`
/// and would overflow even the 256 MiB analysis stack at about 15,000
/// (TypeScript) and 20,000 (Rust) levels in a debug build; the front ends
/// refuse brackets nested deeper than 8,000 before parsing, so 10,000 is a
/// TX000 and 200,000 must be one too.
const PARENS: &[usize] = &[7_000, 10_000, 200_000];
const BLOCKS: usize = 5_000;
/// Each nested function is analysed on its own, so the work grows with the
/// square of the depth.
const FUNCTIONS: usize = 400;

/// Programs whose nesting is far deeper than real code: each must come back
/// (with findings or a TX000), not panic.
#[test]
fn deeply_nested_programs_return() {
    for &parens in PARENS {
        let failures = on_analysis_threads(&deep_programs(parens), |(name, text)| {
            check_without_panic(Path::new(name), text.clone())
                .err()
                .map(|panic| format!("{name} ({parens} parentheses): panicked: {panic}"))
                .into_iter()
                .collect()
        });
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}

/// Deeply nested programs of each language, by file name.
fn deep_programs(parens: usize) -> Vec<(&'static str, String)> {
    let (parens_open, parens_close) = ("(".repeat(parens), ")".repeat(parens));
    let (blocks_open, blocks_close) = ("{ ".repeat(BLOCKS), "} ".repeat(BLOCKS));
    vec![
        (
            "parens.ts",
            format!("export const x = {parens_open}1{parens_close}\n"),
        ),
        (
            "parens.rs",
            format!("fn f() -> i32 {{ {parens_open}1{parens_close} }}\n"),
        ),
        (
            "unclosed.ts",
            format!("export function f() {{ x = {parens_open}"),
        ),
        ("unclosed.rs", format!("fn f() {{ let x = {parens_open}")),
        (
            "blocks.ts",
            format!(
                "export async function POST() {{\n  const client = await pool.connect()\n  \
                 await client.query('BEGIN')\n  {blocks_open}await client.query('X'){blocks_close}\n  \
                 await client.query('COMMIT')\n  client.release()\n}}\n"
            ),
        ),
        (
            "blocks.rs",
            format!(
                "async fn f(pool: &PgPool) -> Result<(), E> {{\n    let mut tx = pool.begin().await?;\n    \
                 {blocks_open}sqlx::query(\"X\").execute(&mut *tx).await?;{blocks_close}\n    \
                 tx.commit().await?;\n    Ok(())\n}}\n"
            ),
        ),
        (
            "nested-ifs.ts",
            format!(
                "async function f(c) {{\n{}await c.query('BEGIN'){}\n}}\n",
                "if (c) { ".repeat(BLOCKS),
                " }".repeat(BLOCKS)
            ),
        ),
        (
            "nested-ifs.rs",
            format!(
                "fn f(c: &mut Client) -> Result<(), E> {{\n{}c.batch_execute(\"BEGIN\")?;{}\nOk(())\n}}\n",
                "if x { ".repeat(BLOCKS),
                " }".repeat(BLOCKS)
            ),
        ),
        (
            "nested-try.ts",
            format!(
                "async function f(client) {{\n{}await client.query('BEGIN'){}\n}}\n",
                "try { ".repeat(BLOCKS),
                " } finally { client.release() }".repeat(BLOCKS)
            ),
        ),
        (
            "nested-functions.ts",
            format!(
                "{}const client = await pool.connect(){}\n",
                "async function f() { ".repeat(FUNCTIONS),
                " }".repeat(FUNCTIONS)
            ),
        ),
        (
            "nested-closures.rs",
            format!(
                "fn f() {{ let g = {}conn.execute_batch(\"BEGIN\"){}; }}\n",
                "|| { ".repeat(FUNCTIONS),
                " }".repeat(FUNCTIONS)
            ),
        ),
    ]
}
