//! The `txlint` binary as users run it: exit codes, every format, the rule
//! documentation, and bad input that must be reported without stopping the
//! run. Whole renderings of two fixtures are pinned with snapshots.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BROKEN_ROUTE: &str = "fixtures/ts/nextjs/app/api/characters/[id]/interests/route.ts";
const FIXED_ROUTE: &str = "fixtures/ts/nextjs-fixed/app/api/characters/[id]/interests/route.ts";
const GET_WITHOUT_FINALLY: &str = "fixtures/ts/express/reports.ts";

/// The audit's broken interests route, to copy into scratch trees.
fn broken_route() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(BROKEN_ROUTE)).expect("fixture")
}

fn broken_route_text() -> String {
    String::from_utf8(broken_route()).expect("UTF-8 fixture")
}

fn txlint(args: &[&str]) -> Output {
    txlint_in(Path::new(env!("CARGO_MANIFEST_DIR")), args)
}

/// The code in a concise line's `severity[CODE]` (`None` for the summary
/// line).
fn concise_code(rest: &str) -> Option<&str> {
    let token = rest.split_whitespace().next()?;
    token
        .strip_suffix(']')?
        .split_once('[')
        .map(|(_, code)| code)
}

/// The lines of concise output that are findings (not the summary line).
fn finding_lines(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|line| {
            line.split_once(": ")
                .is_some_and(|(_, rest)| concise_code(rest).is_some())
        })
        .collect()
}

fn txlint_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(dir)
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR")
        .output()
        .expect("txlint runs")
}

/// Concise lines, `path:line:col: severity[CODE] message`, as
/// `path:line:col CODE`.
fn located(output: &Output) -> Vec<String> {
    stdout(output)
        .lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once(": ")?;
            Some(format!("{place} {}", concise_code(rest)?))
        })
        .collect()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn clean_code_exits_zero_and_prints_nothing() {
    let output = txlint(&["check", "--format", "concise", FIXED_ROUTE]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}

#[test]
fn findings_exit_one_in_concise_lines() {
    let output = txlint(&["check", "--format", "concise", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let lines: Vec<&str> = finding_lines(&text);
    let expected = [
        format!("{BROKEN_ROUTE}:6:14: warning[TX003] this route module creates its own pool"),
        format!("{BROKEN_ROUTE}:72:26: error[TX002] `client` is checked out of the pool"),
        format!("{BROKEN_ROUTE}:73:11: error[TX001] transaction begun on `client`"),
    ];
    assert_eq!(lines.len(), expected.len(), "{text}");
    for (line, start) in lines.iter().zip(&expected) {
        assert!(
            line.starts_with(start.as_str()),
            "{line} should start with {start}"
        );
    }
}

#[test]
fn piped_output_defaults_to_concise() {
    let output = txlint(&["check", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).starts_with(&format!("{BROKEN_ROUTE}:6:")));
}

#[test]
fn json_follows_the_documented_schema() {
    let output = txlint(&["check", "--format", "json", BROKEN_ROUTE, FIXED_ROUTE]);
    assert_eq!(output.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    assert_eq!(json["tool"], "txlint");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let diagnostics = json["diagnostics"].as_array().expect("diagnostics array");
    assert_eq!(diagnostics.len(), 3);
    assert_eq!(diagnostics[0]["code"], "TX003");
    assert_eq!(diagnostics[0]["severity"], "warning");
    let first = &diagnostics[1];
    assert_eq!(first["code"], "TX002");
    assert_eq!(first["rule"], "missing-release");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["path"], BROKEN_ROUTE);
    assert_eq!(first["function"], "POST");
    assert_eq!(first["span"]["start"]["line"], 72);
    assert!(first["span"]["offset"].as_u64().is_some());
    assert!(first["labels"].as_array().is_some_and(|l| !l.is_empty()));
    assert!(first["help"].as_str().is_some_and(|h| !h.is_empty()));
    assert_eq!(json["errors"], serde_json::json!([]));
    assert_eq!(
        json["summary"],
        serde_json::json!({"files_scanned": 2, "files_with_diagnostics": 1, "diagnostics": 3, "hidden_in_tests": 0, "hidden_by_baseline": 0})
    );
}

#[test]
fn json_offsets_point_at_the_spanned_text() {
    let output = txlint(&["check", "--format", "json", BROKEN_ROUTE]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("valid JSON");
    let text = broken_route_text();
    for diagnostic in json["diagnostics"].as_array().expect("array") {
        let offset = diagnostic["span"]["offset"].as_u64().expect("offset") as usize;
        let length = diagnostic["span"]["length"].as_u64().expect("length") as usize;
        let spanned = &text[offset..offset + length];
        match diagnostic["code"].as_str() {
            Some("TX001") => assert_eq!(spanned, "client.query('BEGIN')"),
            Some("TX002") => assert_eq!(spanned, "pool.connect()"),
            Some("TX003" | "TX008") => assert_eq!(spanned, "new Pool(getDatabaseConfig())"),
            other => panic!("unexpected code {other:?}"),
        }
    }
}

#[test]
fn full_rendering_of_a_broken_route() {
    let output = txlint(&["check", "--format", "full", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("full_broken_route", stdout(&output));
}

#[test]
fn full_rendering_of_a_handler_without_finally() {
    let output = txlint(&["check", "--format", "full", GET_WITHOUT_FINALLY]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!("full_get_without_finally", stdout(&output));
}

#[test]
fn json_rendering_of_a_broken_route() {
    let output = txlint(&["check", "--format", "json", BROKEN_ROUTE]);
    insta::assert_snapshot!("json_broken_route", stdout(&output));
}

#[test]
fn json_rendering_of_a_handler_without_finally() {
    let output = txlint(&["check", "--format", "json", GET_WITHOUT_FINALLY]);
    insta::assert_snapshot!("json_get_without_finally", stdout(&output));
}

/// (path, line, code) for every annotation in the fixture tree.
fn annotated_fixture_set() -> BTreeSet<(String, u32, String)> {
    let root = common::fixtures_root();
    let mut expected = BTreeSet::new();
    for path in common::fixture_files(&root) {
        let text = std::fs::read_to_string(&path).expect("fixture");
        let shown = format!(
            "fixtures/{}",
            path.strip_prefix(&root).expect("below root").display()
        );
        for annotation in common::parse_annotations(&text) {
            expected.insert((shown.clone(), annotation.line, annotation.code));
        }
    }
    expected
}

#[test]
fn every_format_reports_exactly_the_annotated_fixture_set() {
    let expected = annotated_fixture_set();
    assert!(expected.len() > 50);

    let concise = stdout(&txlint(&["check", "--format", "concise", "fixtures"]));
    let from_concise: BTreeSet<(String, u32, String)> = concise
        .lines()
        .filter(|line| !line.starts_with("found ") && !line.starts_with("no diagnostics"))
        .map(|line| {
            let (location, rest) = line
                .split_once(": ")
                .expect("path:line:col: severity[CODE] message");
            let mut parts = location.rsplitn(3, ':');
            let (_column, line_number, path) = (parts.next(), parts.next(), parts.next());
            let code = concise_code(rest).expect("code");
            (
                path.expect("path").to_string(),
                line_number.expect("line").parse().expect("number"),
                code.to_string(),
            )
        })
        .collect();
    assert_eq!(from_concise, expected, "concise");

    let json: serde_json::Value =
        serde_json::from_slice(&txlint(&["check", "--format", "json", "fixtures"]).stdout)
            .expect("JSON");
    let from_json: BTreeSet<(String, u32, String)> = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            let path = d["path"].as_str().expect("path").to_string();
            let line = d["span"]["start"]["line"].as_u64().expect("line") as u32;
            (path, line, d["code"].as_str().expect("code").to_string())
        })
        .collect();
    assert_eq!(from_json, expected, "json");
    assert_eq!(
        json["summary"]["diagnostics"].as_u64(),
        Some(expected.len() as u64)
    );

    let full = stdout(&txlint(&["check", "--format", "full", "fixtures"]));
    for (path, line, code) in &expected {
        let header = format!("[{path}:{line}:");
        assert!(
            full.contains(&header),
            "full output lacks {header} ({code})"
        );
    }
    let reports = full
        .lines()
        .filter(|l| l.starts_with("TX") && l[2..].starts_with(|c: char| c.is_ascii_digit()))
        .count();
    assert_eq!(reports, expected.len(), "full: one report per diagnostic");
}

#[test]
fn same_bytes_on_any_thread_count_and_with_or_without_the_prefilter() {
    let run = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        args.push("fixtures");
        let output = txlint(&args);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        output.stdout
    };
    let one_thread = run(&["--threads", "1"]);
    assert_eq!(run(&["--threads", "2"]), one_thread, "2 threads");
    assert_eq!(run(&["--threads", "8"]), one_thread, "8 threads");
    assert_eq!(run(&["--threads", "2"]), one_thread, "a second run");
    // The prefilter skips only files that cannot report anything.
    assert_eq!(run(&["--no-prefilter"]), one_thread, "prefilter off");
}

#[test]
fn bad_arguments_exit_two() {
    let output = txlint(&["check", "--format", "yaml"]);
    assert_eq!(output.status.code(), Some(2));
    let output = txlint(&["check", "--exclude", "[unclosed", "fixtures"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid --exclude pattern"));
}

#[test]
fn missing_path_exits_two_but_other_files_are_still_checked() {
    let output = txlint(&["check", "--format", "concise", "no/such/dir", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("no/such/dir: no such file or directory"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("TX001"));
}

#[test]
fn rule_documentation_is_printed() {
    let output = txlint(&["rule", "TX001"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("# TX001 missing-rollback"));
    let output = txlint(&["rule", "tx002"]);
    assert!(stdout(&output).starts_with("# TX002 missing-release"));
    let output = txlint(&["rule", "missing-rollback"]);
    assert!(stdout(&output).starts_with("# TX001 missing-rollback"));
    let output = txlint(&["rule", "TX999"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown rule `TX999`"));
}

/// `txlint check | head -1`: the reader stops early, and txlint exits with
/// the status its findings deserve, without an error.
#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(["check", "--format", "concise", "--no-prefilter", "fixtures"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("txlint runs");
    // Close the reading end at once, as `head -1` does after one line.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("txlint ends");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(!stderr(&output).contains("error"), "{}", stderr(&output));
}

#[test]
fn invalid_combinations_and_empty_runs_are_told() {
    let output = txlint(&["check", "--stdin-filename", "a.ts", "fixtures"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--stdin-filename"),
        "{}",
        stderr(&output)
    );
    let empty = tempfile::tempdir().expect("temp dir");
    let output = txlint_in(empty.path(), &["check", "."]);
    assert_eq!(output.status.code(), Some(0));
    assert!(
        stderr(&output).contains("no TypeScript, JavaScript or Rust file to check"),
        "{}",
        stderr(&output)
    );
    let target = empty.path().join("missing/report.json");
    let output = txlint(&[
        "check",
        "--output-file",
        target.to_str().expect("utf-8 path"),
        BROKEN_ROUTE,
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("report.json"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn rules_list_aligns_columns_and_has_json() {
    let text = stdout(&txlint(&["rules"]));
    // The severity column starts at the same place on every line.
    let starts: BTreeSet<usize> = text
        .lines()
        .map(|line| {
            line.find(" error ")
                .or(line.find(" warning "))
                .expect("severity")
        })
        .collect();
    assert_eq!(starts.len(), 1, "{text}");
    let json: serde_json::Value =
        serde_json::from_slice(&txlint(&["rules", "--format", "json"]).stdout).expect("JSON");
    assert_eq!(json[1]["code"], "TX001");
    assert_eq!(json[1]["name"], "missing-rollback");
    assert!(
        json[1]["url"]
            .as_str()
            .is_some_and(|url| url.ends_with("/rules/TX001.md"))
    );
    // Every format of a finding links the rule's documentation.
    let found: serde_json::Value =
        serde_json::from_slice(&txlint(&["check", "--format", "json", BROKEN_ROUTE]).stdout)
            .expect("JSON");
    assert_eq!(found["diagnostics"][0]["url"], json[3]["url"]);
    let full = stdout(&txlint(&["check", "--format", "full", BROKEN_ROUTE]));
    assert!(full.contains("docs: https://"), "{full}");
}

#[test]
fn rules_lists_every_code() {
    let output = txlint(&["rules"]);
    assert_eq!(output.status.code(), Some(0));
    let text = stdout(&output);
    for code in [
        "TX000  parse-error",
        "TX001  missing-rollback",
        "TX002  missing-release",
    ] {
        assert!(text.contains(code), "{text}");
    }
}

/// A temporary tree with one buggy route beside every kind of bad input.
fn bad_input_tree() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().to_path_buf();
    let broken = broken_route();
    std::fs::write(root.join("route.ts"), broken).expect("write");
    std::fs::write(
        root.join("syntax.ts"),
        "export function f(pool {\n  return pool.connect()\n",
    )
    .expect("write");
    std::fs::write(
        root.join("utility.ts"),
        "export const pad = (s: string => s.padStart(2)\n",
    )
    .expect("write");
    std::fs::write(
        root.join("binary.ts"),
        [0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 0xff],
    )
    .expect("write");
    std::fs::write(root.join("latin1.ts"), b"const name = 'caf\xe9'\n").expect("write");
    std::fs::write(root.join("empty.ts"), "").expect("write");
    let mut big = String::with_capacity(5 << 20);
    let mut n = 0;
    while big.len() < 5 << 20 {
        big.push_str(&format!(
            "export const value{n} = {{ id: {n}, name: 'item {n}', tags: ['a', 'b'] }}\n"
        ));
        n += 1;
    }
    std::fs::write(root.join("generated.ts"), big).expect("write");
    (dir, root)
}

#[test]
fn bad_input_is_reported_and_the_run_goes_on() {
    let (_dir, root) = bad_input_tree();
    let output = txlint_in(&root, &["check", "--format", "concise", "."]);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("route.ts:72:"),
        "the buggy route is still checked: {text}"
    );
    // Without a word any finding needs, a file is not parsed unless asked.
    assert!(!text.contains("utility.ts"), "{text}");
    let all = stdout(&txlint_in(
        &root,
        &["check", "--format", "concise", "--no-prefilter", "."],
    ));
    assert!(all.contains("utility.ts:1:47: error[TX000]"), "{all}");
    assert!(
        text.contains("syntax.ts:1:24: error[TX000] expected ',', got"),
        "{text}"
    );
    assert!(
        text.contains("binary.ts:1:1: error[TX000] binary file"),
        "{text}"
    );
    assert!(
        text.contains("latin1.ts:1:18: error[TX000] file is not valid UTF-8"),
        "{text}"
    );
    assert!(!text.contains("empty.ts"), "{text}");
    assert!(!text.contains("generated.ts"), "{text}");
    let lines = finding_lines(&text).len();
    assert_eq!(lines, 6, "{text}");
}

#[test]
fn a_rust_syntax_error_in_code_that_names_nothing_is_reported_when_asked() {
    // The body of `render` names nothing of the vocabulary, so it is not
    // parsed, as a file without such a word is not: `ship` is still
    // checked. `--no-prefilter` parses everything and reports the error.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("orders.rs"),
        "fn render(total: u64) -> String {\n    let shown = format!(\"{total}\") +;\n    shown\n}\n\n\
         pub async fn ship(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {\n    \
         let mut tx = pool.begin().await?;\n    \
         sqlx::query(\"UPDATE orders SET shipped = true\").execute(&mut *tx).await?;\n    \
         Ok(())\n}\n",
    )
    .expect("write");
    let text = stdout(&txlint_in(
        dir.path(),
        &["check", "--format", "concise", "."],
    ));
    assert_eq!(finding_lines(&text).len(), 1, "{text}");
    assert!(text.contains("orders.rs:7:18: error[TX005]"), "{text}");
    let all = stdout(&txlint_in(
        dir.path(),
        &["check", "--format", "concise", "--no-prefilter", "."],
    ));
    assert_eq!(finding_lines(&all).len(), 1, "{all}");
    assert!(
        all.contains("orders.rs:2:37: error[TX000] expected an expression"),
        "{all}"
    );
}

#[test]
fn unreadable_file_is_an_error_not_a_crash() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, root) = bad_input_tree();
    let locked = root.join("locked.ts");
    std::fs::write(&locked, "export const x = 1\n").expect("write");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read(&locked).is_ok() {
        // Running with privileges that read anything (root): the file is
        // simply checked. Nothing to assert about the error path here.
        eprintln!("note: permission bits are not enforced for this user; skipping");
        return;
    }
    let output = txlint_in(&root, &["check", "--format", "concise", "."]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("locked.ts: could not read: permission denied"));
    assert!(stdout(&output).contains("route.ts:72:"));
}

#[test]
fn dependency_and_hidden_folders_are_skipped_but_named_files_are_not() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route();
    for folder in [
        "node_modules/pkg",
        ".next/server",
        "dist",
        "app/[id]",
        "legacy",
    ] {
        std::fs::create_dir_all(root.join(folder)).expect("mkdir");
        std::fs::write(root.join(folder).join("route.ts"), &broken).expect("write");
    }
    let output = txlint_in(
        root,
        &["check", "--format", "concise", "--exclude", "legacy"],
    );
    let text = stdout(&output);
    let paths: Vec<&str> = finding_lines(&text)
        .into_iter()
        .filter_map(|l| l.split(':').next())
        .collect();
    assert_eq!(paths, vec!["app/[id]/route.ts"; 3], "{text}");

    let output = txlint_in(
        root,
        &["check", "--format", "concise", "node_modules/pkg/route.ts"],
    );
    assert!(
        stdout(&output).contains("node_modules/pkg/route.ts:72:"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn deeply_nested_code_is_reported_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let depth = 10_000;
    let calls = format!(
        "import {{ pool }} from './db'\nexport const x = {}1{}\n",
        "f(".repeat(depth),
        ")".repeat(depth)
    );
    std::fs::write(root.join("calls.ts"), calls).expect("write");
    // A function that holds a client must be analysed, however deep.
    let blocks = format!(
        "export async function g(pool) {{ const c = await pool.connect(); {}{} }}\n",
        "{".repeat(5_000),
        "}".repeat(5_000)
    );
    std::fs::write(root.join("blocks.ts"), blocks).expect("write");
    // One that cannot touch a database needs no analysis, and gets none.
    let plain = format!(
        "export function h() {{{}{}}}\n",
        "{".repeat(5_000),
        "}".repeat(5_000)
    );
    std::fs::write(root.join("plain.ts"), plain).expect("write");
    let sum = format!("export const total = {}\n", vec!["1"; depth].join(" + "));
    std::fs::write(root.join("sum.ts"), sum).expect("write");
    let broken = broken_route();
    std::fs::write(root.join("route.ts"), broken).expect("write");

    let output = txlint_in(
        root,
        &["check", "--format", "concise", "--no-prefilter", "."],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("calls.ts:2:") && text.contains("error[TX000] nesting too deep"),
        "{text}"
    );
    assert!(text.contains("blocks.ts:1:"), "{text}");
    assert!(!text.contains("plain.ts"), "{text}");
    assert!(
        !text.contains("sum.ts"),
        "a long flat chain is analysed, not refused: {text}"
    );
    assert!(text.contains("route.ts:72:"), "{text}");
}

#[test]
fn deeply_nested_rust_is_reported_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let depth = 10_000;
    // Each names a pool, so that it is lowered, not skipped as naming
    // nothing to follow.
    let calls = format!(
        "fn f(pool: &Pool) -> Option<i32> {{ {}1{} }}\n",
        "Some(".repeat(depth),
        ")".repeat(depth)
    );
    std::fs::write(root.join("calls.rs"), calls).expect("write");
    let blocks = format!(
        "fn g(pool: &Pool) {{ {}{} }}\n",
        "{".repeat(5_000),
        "}".repeat(5_000)
    );
    std::fs::write(root.join("blocks.rs"), blocks).expect("write");
    let sum = format!("fn total() -> i32 {{ {} }}\n", vec!["1"; depth].join(" + "));
    std::fs::write(root.join("sum.rs"), sum).expect("write");
    // A web router of 2,000 routes, one method call on the next.
    let routes: String = (0..2_000)
        .map(|n| format!("\n        .route(\"/r{n}\", get(handler))"))
        .collect();
    let router = format!("fn router(pool: &PgPool) -> Router {{\n    Router::new(){routes}\n}}\n");
    std::fs::write(root.join("router.rs"), router).expect("write");
    let unbalanced = format!("fn h() {{ {}\n", "(".repeat(depth));
    std::fs::write(root.join("unbalanced.rs"), unbalanced).expect("write");
    let raw_begin = "async fn f(pool: &Pool) -> Result<(), E> {\n    let c = pool.get().await?;\n    \
                     c.batch_execute(\"BEGIN\").await?;\n    c.execute(\"X\", &[]).await?;\n    \
                     c.batch_execute(\"COMMIT\").await?;\n    Ok(())\n}\n";
    std::fs::write(root.join("worker.rs"), raw_begin).expect("write");

    let output = txlint_in(
        root,
        &["check", "--format", "concise", "--no-prefilter", "."],
    );
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("calls.rs:1:") && text.contains("error[TX000] nesting too deep"),
        "{text}"
    );
    assert!(text.contains("blocks.rs:1:"), "{text}");
    assert!(text.contains("unbalanced.rs:"), "a syntax error: {text}");
    assert!(
        !text.contains("sum.rs"),
        "a long flat chain is analysed, not refused: {text}"
    );
    assert!(
        !text.contains("router.rs"),
        "a long method chain is analysed, not refused: {text}"
    );
    assert!(text.contains("worker.rs:3:5: error[TX001]"), "{text}");
}

fn txlint_with_stdin(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("txlint runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input)
        .expect("write stdin");
    child.wait_with_output().expect("txlint finishes")
}

#[test]
fn select_and_ignore_filter_codes() {
    let output = txlint(&[
        "check",
        "--format",
        "concise",
        "--select",
        "TX001",
        BROKEN_ROUTE,
    ]);
    let text = stdout(&output);
    assert_eq!(finding_lines(&text).len(), 1, "{text}");
    assert!(text.contains("[TX001] "), "{text}");
    let output = txlint(&[
        "check",
        "--format",
        "concise",
        "--ignore",
        "TX001,TX002,TX003,TX008",
        BROKEN_ROUTE,
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = txlint(&["check", "--select", "TX123", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("`--select`: unknown rule code `TX123`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_run_started_inside_the_folder_it_checks_finds_the_configuration_above() {
    // Run from `root/app` on `root` given as an absolute path: the walk
    // shows `app`'s files as `route.ts`, in the folder `.`, whose parent
    // is `..`, not a prefix of it.
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("app")).expect("mkdir");
    std::fs::write(root.join("app/route.ts"), broken_route()).expect("write");
    std::fs::write(root.join("txlint.toml"), "select = [\"TX002\"]\n").expect("write");
    let absolute = root.to_str().expect("UTF-8 temp path");

    let output = txlint_in(
        &root.join("app"),
        &["check", "--format", "concise", absolute],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let codes: BTreeSet<String> = located(&output)
        .iter()
        .map(|line| line.rsplit(' ').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(codes, BTreeSet::from(["TX002".to_string()]));
}

#[test]
fn a_run_inside_a_crate_resolves_its_modules_as_from_the_root() {
    // Crates are found by climbing folders: from `src`, past the folder
    // the run started in.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let crate_src = "fixtures/rust/workspace/crates/payments/src";
    let from_root = located(&txlint(&["check", "--format", "concise", crate_src]));
    let inside = located(&txlint_in(
        &root.join(crate_src),
        &["check", "--format", "concise", "."],
    ));
    let inside: Vec<String> = inside
        .iter()
        .map(|line| format!("{crate_src}/{line}"))
        .collect();
    assert!(from_root.len() >= 8, "{from_root:?}");
    assert_eq!(inside, from_root);
}

#[test]
fn configuration_file_is_found_and_checked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route();
    std::fs::create_dir_all(root.join("app/api")).expect("mkdir");
    std::fs::create_dir_all(root.join("legacy")).expect("mkdir");
    std::fs::write(root.join("app/api/route.ts"), &broken).expect("write");
    std::fs::write(root.join("legacy/route.ts"), &broken).expect("write");
    std::fs::write(
        root.join("txlint.toml"),
        "ignore = [\"TX001\", \"TX003\", \"TX008\"]\nexclude = [\"legacy\"]\n[severity]\nTX002 = \"warning\"\n",
    )
    .expect("write");

    let output = txlint_in(&root.join("app"), &["check", "--format", "json", "."]);
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let diagnostics = json["diagnostics"].as_array().expect("array");
    assert_eq!(diagnostics.len(), 1, "{json}");
    assert_eq!(diagnostics[0]["code"], "TX002");
    assert_eq!(diagnostics[0]["severity"], "warning");

    let output = txlint_in(root, &["check", "--format", "concise", "--ignore", "TX002"]);
    let text = stdout(&output);
    assert!(
        text.contains("app/api/route.ts:73:") && !text.contains("legacy"),
        "flags override: {text}"
    );

    std::fs::write(
        root.join("txlint.toml"),
        "ignore = [\"TX001\"]\nexclud = [\"legacy\"]\n",
    )
    .expect("write");
    let output = txlint_in(root, &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("txlint.toml:2:1: unknown field `exclud`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn stdin_is_checked_as_the_named_file() {
    let source = broken_route();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = txlint_with_stdin(
        dir,
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "app/api/orders/route.ts",
        ],
        &source,
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.starts_with("app/api/orders/route.ts:6:14: warning[TX003]"),
        "{text}"
    );
    assert!(text.contains("app/api/orders/route.ts:72:"), "{text}");

    let output = txlint_with_stdin(dir, &["check", "--stdin-filename", "notes.md"], b"# notes");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("notes.md: not a TypeScript, JavaScript or Rust file name"));
}

#[test]
fn exit_zero_statistics_and_output_file() {
    let output = txlint(&["check", "--exit-zero", "--format", "concise", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(finding_lines(&stdout(&output)).len(), 3);

    let output = txlint(&["check", "--statistics", "fixtures/ts/nextjs"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "    7  TX002  missing-release\n    5  TX001  missing-rollback\n    5  TX003  pool-per-module\n"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().expect("UTF-8 path");
    let output = txlint(&[
        "check",
        "--format",
        "json",
        "--output-file",
        report_arg,
        BROKEN_ROUTE,
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report written")).expect("JSON");
    assert_eq!(json["summary"]["diagnostics"], 3);
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route_text();
    std::fs::write(root.join("route.ts"), &broken).expect("write");

    let output = txlint_in(root, &["check", "--write-baseline", "baseline.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("wrote 3 findings to baseline.json"));

    let output = txlint_in(
        root,
        &[
            "check",
            "--format",
            "concise",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "");

    // Edits above the findings move them, but they stay known; a new bug does not.
    let shifted = format!("// Character interests.\n\n{broken}");
    let with_new_bug = format!(
        "{shifted}\nexport async function DELETE() {{\n  const client = await pool.connect()\n  \
         await client.query('DELETE FROM character_interests')\n  client.release()\n}}\n"
    );
    std::fs::write(root.join("route.ts"), with_new_bug).expect("write");
    let output = txlint_in(
        root,
        &[
            "check",
            "--format",
            "concise",
            "--baseline",
            "baseline.json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert_eq!(finding_lines(&text).len(), 1, "{text}");
    assert!(
        text.contains("[TX002] ") && text.contains("route.ts:"),
        "{text}"
    );
    // The summary says what the baseline hid.
    assert!(
        text.contains("; 3 findings in the baseline not shown"),
        "{text}"
    );

    std::fs::write(
        root.join("corrupt.json"),
        "{\"tool\": \"txlint\", \"findings\": [",
    )
    .expect("write");
    let output = txlint_in(root, &["check", "--baseline", "corrupt.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("corrupt.json: not a txlint baseline"),
        "{}",
        stderr(&output)
    );
    let output = txlint_in(root, &["check", "--baseline", "missing.json"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output)
            .contains("missing.json: could not read the baseline: no such file or directory")
    );
}

#[test]
fn configuration_adds_drivers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("txlint")).expect("mkdir");
    std::fs::write(
        root.join("txlint/house-pool.toml"),
        "# Our in-house pool wrapper.\nname = \"house-pool\"\nlanguage = \"typescript\"\n\n\
         [[call]]\nmethod = \"checkout\"\neffect = \"acquire\"\nreceiver = \"pool\"\n\n\
         [[call]]\nmethod = \"checkin\"\neffect = \"release\"\n",
    )
    .expect("write");
    std::fs::write(
        root.join("txlint.toml"),
        "drivers = [\"txlint/house-pool.toml\"]\n",
    )
    .expect("write");
    std::fs::write(
        root.join("report.ts"),
        "export async function report(pool: HousePool) {\n  const conn = await pool.checkout()\n  \
         const rows = await conn.query('SELECT 1')\n  conn.checkin()\n  return rows\n}\n",
    )
    .expect("write");
    let output = txlint_in(root, &["check", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("report.ts:2:22: error[TX002] `conn`"),
        "{}",
        stdout(&output)
    );

    std::fs::write(
        root.join("txlint/house-pool.toml"),
        "name = \"house-pool\"\nlanguage = \"typescript\"\nmethods = []\n",
    )
    .expect("write");
    let output = txlint_in(root, &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("house-pool.toml:3:1: unknown field `methods`"),
        "{}",
        stderr(&output)
    );
}

/// Each file follows its nearest configuration: a package's own
/// `txlint.toml` replaces the root's selection and exclusions below it,
/// while command-line flags still win everywhere.
#[test]
fn nearest_configuration_applies_to_each_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route();
    for folder in [
        "app/api",
        "packages/billing/api",
        "packages/billing/generated",
    ] {
        std::fs::create_dir_all(root.join(folder)).expect("mkdir");
        std::fs::write(root.join(folder).join("route.ts"), &broken).expect("write");
    }
    std::fs::write(root.join("txlint.toml"), "select = [\"TX001\"]\n").expect("write");
    std::fs::write(
        root.join("packages/billing/txlint.toml"),
        "select = [\"TX002\"]\nexclude = [\"generated\"]\n",
    )
    .expect("write");
    let located = |output: &Output| -> BTreeSet<String> {
        stdout(output)
            .lines()
            .filter_map(|line| {
                let (place, rest) = line.split_once(": ")?;
                let (path, _) = place.split_once(':')?;
                Some(format!("{path} {}", concise_code(rest)?))
            })
            .collect()
    };

    let output = txlint_in(root, &["check", "--format", "concise"]);
    assert_eq!(
        located(&output),
        BTreeSet::from([
            "app/api/route.ts TX001".to_string(),
            "packages/billing/api/route.ts TX002".to_string(),
        ]),
        "{}",
        stderr(&output)
    );

    let output = txlint_in(root, &["check", "--format", "concise", "--select", "TX003"]);
    assert_eq!(
        located(&output),
        BTreeSet::from([
            "app/api/route.ts TX003".to_string(),
            "packages/billing/api/route.ts TX003".to_string(),
        ])
    );

    // A run of a folder below a configuration still follows it.
    let output = txlint_in(
        root,
        &["check", "--format", "concise", "packages/billing/api"],
    );
    assert_eq!(
        located(&output),
        BTreeSet::from(["packages/billing/api/route.ts TX002".to_string()])
    );

    // The hidden name is a configuration too.
    std::fs::write(root.join("app/.txlint.toml"), "select = [\"TX003\"]\n").expect("write");
    let output = txlint_in(root, &["check", "--format", "concise"]);
    assert_eq!(
        located(&output),
        BTreeSet::from([
            "app/api/route.ts TX003".to_string(),
            "packages/billing/api/route.ts TX002".to_string(),
        ])
    );

    // A broken nested configuration stops the run, naming it.
    std::fs::write(root.join("packages/billing/txlint.toml"), "selekt = []\n").expect("write");
    let output = txlint_in(root, &["check"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("billing/txlint.toml:1:1: unknown field `selekt`"),
        "{}",
        stderr(&output)
    );
}

/// A helper from a package, whose body txlint cannot see, that rolls the
/// transaction back: named in `safe_helpers`, its call ends the
/// transaction.
#[test]
fn configured_safe_helpers_end_what_is_passed_to_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("transfer.ts"),
        "import { Pool } from 'pg'\nimport { abortTransaction } from '@acme/db-kit'\n\n\
         export async function transfer(pool: Pool, from: string, to: string, cents: number) {\n\
         \x20 const client = await pool.connect()\n\
         \x20 try {\n\
         \x20   await client.query('BEGIN')\n\
         \x20   await client.query('UPDATE accounts SET cents = cents - $2 WHERE id = $1', [from, cents])\n\
         \x20   await client.query('UPDATE accounts SET cents = cents + $2 WHERE id = $1', [to, cents])\n\
         \x20   await client.query('COMMIT')\n\
         \x20 } catch (error) {\n\
         \x20   await abortTransaction(client, error)\n\
         \x20   throw error\n\
         \x20 } finally {\n\
         \x20   client.release()\n\
         \x20 }\n\
         }\n",
    )
    .expect("write");
    let output = txlint_in(root, &["check", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stdout(&output).starts_with("transfer.ts:7:11: error[TX001]"),
        "{}",
        stdout(&output)
    );

    std::fs::write(
        root.join("txlint.toml"),
        "safe_helpers = [\"abortTransaction\"]\n",
    )
    .expect("write");
    let output = txlint_in(root, &["check", "--format", "concise"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn quiet_full_output_has_no_summary() {
    let loud = stdout(&txlint(&["check", "--format", "full", BROKEN_ROUTE]));
    let quiet = stdout(&txlint(&[
        "check",
        "--format",
        "full",
        "--quiet",
        BROKEN_ROUTE,
    ]));
    assert!(
        loud.contains("found 2 errors and 1 warning in 1 file"),
        "{loud}"
    );
    assert!(!quiet.contains("found 2 errors"), "{quiet}");
    assert!(quiet.contains("TX001 missing-rollback"), "{quiet}");
}

#[test]
fn parse_only_reports_syntax_errors_and_nothing_else() {
    let output = txlint(&["check", "--format", "concise", "--parse-only", BROKEN_ROUTE]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = txlint(&["check", "--format", "concise", "--parse-only", "fixtures"]);
    let text = stdout(&output);
    assert_eq!(finding_lines(&text).len(), 1, "{text}");
    assert!(
        text.starts_with("fixtures/ts/parse-error/broken.ts:6:"),
        "{text}"
    );
}

#[test]
fn warnings_pass_unless_fail_on_warning() {
    let pool_module = "fixtures/ts/pools/pool-shapes.ts";
    let output = txlint(&["check", "--format", "concise", pool_module]);
    assert_eq!(output.status.code(), Some(0), "warnings pass by default");
    assert!(
        stdout(&output).contains("TX008"),
        "warnings are still shown"
    );
    let output = txlint(&[
        "check",
        "--format",
        "concise",
        "--fail-on",
        "warning",
        pool_module,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let output = txlint(&[
        "check",
        "--format",
        "concise",
        "--deny-warnings",
        pool_module,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let output = txlint(&[
        "check",
        "--format",
        "concise",
        "--fail-on",
        "error",
        BROKEN_ROUTE,
    ]);
    assert_eq!(output.status.code(), Some(1), "errors still fail");
}

/// Run txlint, but give up (and fail) instead of hanging forever.
fn txlint_within(dir: &Path, args: &[&str], seconds: u64) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_txlint"))
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("txlint runs");
    let started = std::time::Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if started.elapsed().as_secs() > seconds {
            let _ = child.kill();
            panic!("txlint did not finish within {seconds} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn fifos_symlink_loops_and_links_outside_do_not_hang_or_leak_in() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().expect("temp dir");
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route();
    std::fs::write(root.join("route.ts"), &broken).expect("write");
    std::fs::write(outside.path().join("elsewhere.ts"), &broken).expect("write");
    symlink(outside.path().join("elsewhere.ts"), root.join("linked.ts")).expect("symlink");
    std::fs::create_dir(root.join("nested")).expect("mkdir");
    symlink(root, root.join("nested/loop")).expect("symlink loop");
    let fifo = Command::new("mkfifo")
        .arg(root.join("pipe.ts"))
        .status()
        .expect("mkfifo runs");
    assert!(fifo.success());

    let output = txlint_within(root, &["check", "--format", "concise", "."], 30);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(text.contains("route.ts:72:"), "{text}");
    assert!(
        !text.contains("linked.ts") && !text.contains("elsewhere"),
        "links are not followed: {text}"
    );
    assert!(
        !text.contains("pipe.ts") && !text.contains("loop"),
        "{text}"
    );

    let output = txlint_within(
        root,
        &["check", "--format", "concise", "pipe.ts", "route.ts"],
        30,
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("pipe.ts: not a regular file"),
        "{}",
        stderr(&output)
    );
    assert!(stdout(&output).contains("route.ts:72:"));
}

/// Broken workspace manifests and configs of a monorepo: none of them
/// stops the run, hangs it or hides the route's finding.
#[test]
fn broken_monorepo_manifests_do_not_stop_the_run() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    let fifo = |path: &str| {
        let made = Command::new("mkfifo")
            .arg(root.join(path))
            .status()
            .expect("mkfifo runs");
        assert!(made.success());
    };
    write("package.json", r#"{"workspaces": ["packages/*""#);
    write(
        "pnpm-workspace.yaml",
        "packages:\n  - 'packages/**'\n  - [unclosed\n",
    );
    fifo("lerna.json");
    write(
        "packages/app/package.json",
        r#"{"name": 5, "main": {"not": "a path"}}"#,
    );
    write(
        "packages/app/tsconfig.json",
        r#"{"extends": ["./tsconfig.json", "@acme/config", "@missing/config"]}"#,
    );
    write(
        "packages/config/package.json",
        r#"{"name": "@acme/config"}"#,
    );
    write(
        "packages/config/tsconfig.json",
        r#"{"extends": "@acme/config"}"#,
    );
    std::fs::create_dir_all(root.join("packages/db/dist")).expect("mkdir");
    fifo("packages/db/package.json");
    fifo("packages/db/tsconfig.json");
    symlink(root, root.join("packages/loop")).expect("symlink loop");
    symlink("dist", root.join("packages/db/out")).expect("symlink");
    let route = broken_route_text().replacen(
        "import",
        "import { db } from '@acme/db'\nimport { x } from '@acme/config/dist/x.js'\nimport",
        1,
    );
    write("packages/app/src/route.ts", &route);

    let output = txlint_within(root, &["check", "--format", "concise", "."], 30);
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{text}\n{}", stderr(&output));
    assert!(text.contains("packages/app/src/route.ts:74:"), "{text}");
    let output = txlint_within(
        root,
        &["check", "--format", "concise", "packages/app/src/route.ts"],
        30,
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
}

#[test]
fn progress_is_told_every_file_once() {
    use std::sync::{Arc, Mutex};
    let seen: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let record = Arc::clone(&seen);
    let options = txlint::CheckOptions {
        progress: Some(txlint::Progress(Arc::new(move |done, total| {
            record.lock().expect("lock").push((done, total));
        }))),
        ..txlint::CheckOptions::default()
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ts");
    let report = txlint::check_paths(&[root], &options).expect("runs");
    let mut seen = seen.lock().expect("lock").clone();
    seen.sort();
    let total = report.files_scanned;
    assert!(total > 100);
    assert_eq!(
        seen,
        (1..=total).map(|done| (done, total)).collect::<Vec<_>>()
    );
}

/// A pre-commit hook in a monorepo runs at its root and names only the
/// staged route: the helpers of the sibling package it imports are read
/// from that package's source (no `node_modules`, no build output), so
/// the route reports what its annotations say, and nothing else is. An
/// editor's buffer of the same file gives the same.
#[test]
fn staged_routes_of_a_monorepo_see_their_sibling_packages() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ts");
    let staged = [
        ("monorepo-npm", "apps/api/src/routes/orders.ts"),
        (
            "monorepo-yarn",
            "services/storefront/app/api/checkout/route.ts",
        ),
        ("monorepo-pnpm", "apps/worker/src/jobs/settle.ts"),
        (
            "monorepo-exports-dist",
            "packages/ledger-api/src/handlers/entries.ts",
        ),
        (
            "monorepo-tsconfig-extends",
            "apps/billing/src/routes/invoices.ts",
        ),
    ];
    for (repository, route) in staged {
        let root = fixtures.join(repository);
        let text = std::fs::read_to_string(root.join(route)).expect("fixture");
        let expected: Vec<String> = common::parse_annotations(&text)
            .into_iter()
            .map(|annotation| format!("{route}:{} {}", annotation.line, annotation.code))
            .collect();
        assert!(!expected.is_empty(), "{route} has annotations");
        let lines = |output: &Output| -> Vec<String> {
            located(output)
                .iter()
                .map(|place| {
                    // `path:line:col CODE` as `path:line CODE`.
                    let (place, code) = place.split_once(' ').expect("a code");
                    let (place, _column) = place.rsplit_once(':').expect("a column");
                    format!("{place} {code}")
                })
                .collect()
        };
        let output = txlint_in(&root, &["check", "--format", "concise", route]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        assert_eq!(lines(&output), expected, "{repository}");
        let output = txlint_with_stdin(
            &root,
            &["check", "--format", "concise", "--stdin-filename", route],
            text.as_bytes(),
        );
        assert_eq!(
            lines(&output),
            expected,
            "{repository}, from standard input"
        );
    }
}

/// A pre-commit run names only the staged route: the helpers it imports
/// (by the `@/` alias of `tsconfig.json`) are read from disk, and only the
/// named file is reported.
#[test]
fn helpers_imported_from_files_outside_the_run_are_understood() {
    let app = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/ts/cross-file");
    let output = txlint_in(
        &app,
        &[
            "check",
            "--format",
            "concise",
            "src/app/api/orders/route.ts",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        located(&output),
        [
            "src/app/api/orders/route.ts:28:24 TX002",
            "src/app/api/orders/route.ts:30:11 TX001"
        ]
    );

    // A staged file with no word the prefilter looks for, whose only
    // client comes from a helper outside the run: a small run reads its
    // imports anyway.
    let output = txlint_in(
        &app,
        &["check", "--format", "concise", "src/app/api/stats/route.ts"],
    );
    assert_eq!(located(&output), ["src/app/api/stats/route.ts:6:24 TX002"]);

    // Several staged files whose helpers lie outside the run, some two
    // imports away: the same bytes on any number of threads.
    let staged = [
        "src/app/api/orders/route.ts",
        "src/app/api/audit/route.ts",
        "src/app/api/customers/route.ts",
        "src/services/legacy-bridge.ts",
        "src/nest/users.service.ts",
    ];
    let run = |threads: &str| {
        let mut args = vec!["check", "--format", "json", "--threads", threads];
        args.extend(staged);
        stdout(&txlint_in(&app, &args))
    };
    let one = run("1");
    assert!(one.contains("src/app/api/audit/route.ts"), "{one}");
    assert!(one.contains("src/nest/users.service.ts"), "{one}");
    assert_eq!(one, run("8"));

    // An editor's unsaved buffer of the same file: the same findings.
    let text = std::fs::read(app.join("src/app/api/orders/route.ts")).expect("fixture");
    let output = txlint_with_stdin(
        &app,
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            "src/app/api/orders/route.ts",
        ],
        &text,
    );
    assert_eq!(
        located(&output),
        [
            "src/app/api/orders/route.ts:28:24 TX002",
            "src/app/api/orders/route.ts:30:11 TX001"
        ]
    );

    // The same file without its helpers: what `getClient()` returns is not
    // known to be a pooled client, so only the transaction is reported.
    let scratch = tempfile::tempdir().expect("temp dir");
    std::fs::copy(
        app.join("src/app/api/orders/route.ts"),
        scratch.path().join("route.ts"),
    )
    .expect("copy");
    let output = txlint_in(
        scratch.path(),
        &["check", "--format", "concise", "route.ts"],
    );
    assert_eq!(located(&output), ["route.ts:30:11 TX001"]);
}

/// The same for Rust: a staged module's helpers in other modules and in
/// another crate of the workspace are read from disk (lowering them while
/// the staged file is lowered), and an unsaved buffer sees them too.
#[test]
fn rust_helpers_of_modules_outside_the_run_are_understood() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rust/workspace");
    let staged = [
        "crates/payments/src/quotes.rs",
        "crates/payments/src/batch.rs",
        // Names no word of the prefilter: only `raw::open`'s summary says
        // what its call leaves open.
        "crates/payments/src/refunds.rs",
    ];
    let mut args = vec!["check", "--format", "concise"];
    args.extend(staged);
    let output = txlint_in(&workspace, &args);
    assert_eq!(stderr(&output), "", "no file fails to analyse");
    assert_eq!(
        located(&output),
        [
            "crates/payments/src/batch.rs:13:5 TX001",
            "crates/payments/src/batch.rs:24:5 TX001",
            "crates/payments/src/quotes.rs:28:18 TX005",
            "crates/payments/src/quotes.rs:49:18 TX005",
            "crates/payments/src/quotes.rs:69:18 TX005",
            "crates/payments/src/quotes.rs:104:18 TX005",
            "crates/payments/src/refunds.rs:25:5 TX001",
        ]
    );
    let text = std::fs::read(workspace.join(staged[0])).expect("fixture");
    let output = txlint_with_stdin(
        &workspace,
        &[
            "check",
            "--format",
            "concise",
            "--stdin-filename",
            staged[0],
        ],
        &text,
    );
    assert_eq!(
        located(&output),
        [
            "crates/payments/src/quotes.rs:28:18 TX005",
            "crates/payments/src/quotes.rs:49:18 TX005",
            "crates/payments/src/quotes.rs:69:18 TX005",
            "crates/payments/src/quotes.rs:104:18 TX005",
        ]
    );
}

/// Lifetime findings in test code are counted and left out by default;
/// `--include-tests` and `tests = "check"` show them; TX004 shows either way.
#[test]
fn findings_in_test_code_are_counted_and_shown_on_request() {
    let paths = [
        "fixtures/ts/tests/__tests__/inventory.ts",
        "fixtures/rust/services/sqlx_tests.rs",
    ];
    let findings = |extra: &[&str]| {
        let mut args = vec!["check", "--format", "json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&paths);
        let json: serde_json::Value = serde_json::from_slice(&txlint(&args).stdout).expect("JSON");
        let found: Vec<(String, u64, String)> = json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .map(|d| {
                (
                    d["path"].as_str().expect("path").to_string(),
                    d["span"]["start"]["line"].as_u64().expect("line"),
                    d["code"].as_str().expect("code").to_string(),
                )
            })
            .collect();
        (found, json["summary"]["hidden_in_tests"].as_u64())
    };
    let tx004 = (paths[0].to_string(), 22, "TX004".to_string());
    assert_eq!(findings(&[]), (vec![tx004.clone()], Some(3)));
    let all = vec![
        (paths[1].to_string(), 37, "TX005".to_string()),
        (paths[0].to_string(), 13, "TX002".to_string()),
        (paths[0].to_string(), 14, "TX001".to_string()),
        tx004,
    ];
    let mut shown = findings(&["--include-tests"]);
    shown.0.sort();
    let mut expected = all.clone();
    expected.sort();
    assert_eq!(shown, (expected.clone(), Some(0)));

    // Concise output says it in its summary line.
    let concise = txlint(&["check", "--format", "concise", paths[0]]);
    assert!(
        stdout(&concise)
            .ends_with("; 2 findings in test code not shown (--include-tests shows them)\n"),
        "{}",
        stdout(&concise)
    );
    assert_eq!(stderr(&concise), "");

    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("__tests__")).expect("mkdir");
    std::fs::copy(paths[0], root.join("__tests__/inventory.ts")).expect("copy");
    std::fs::write(root.join("txlint.toml"), "tests = \"check\"\n").expect("write");
    let output = txlint_in(root, &["check", "--format", "concise"]);
    let printed = stdout(&output);
    let codes: Vec<&str> = printed
        .lines()
        .filter_map(|line| concise_code(line.split(": ").nth(1)?))
        .collect();
    assert_eq!(codes, ["TX002", "TX001", "TX004"], "{printed}");
}

/// A minified bundle's one long line and a binary file are reported in
/// every format without a panic and without their bytes on the terminal.
#[test]
fn long_lines_and_binary_files_render_in_every_format() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let bundle = format!("{}function f( {{", "var a=1;".repeat(14_000));
    std::fs::write(root.join("bundle.min.js"), bundle).expect("write");
    let mut binary = b"\x7fELF\x02\x01\x01".to_vec();
    binary.extend(std::iter::repeat_n(0u8, 4_000));
    std::fs::write(root.join("blob.ts"), binary).expect("write");
    for format in [
        "full", "concise", "json", "sarif", "github", "gitlab", "junit",
    ] {
        let output = txlint_in(
            root,
            &[
                "check",
                "--no-prefilter",
                "--color",
                "never",
                "--format",
                format,
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{format}: {}",
            stderr(&output)
        );
        let text = stdout(&output);
        assert!(text.contains("bundle.min.js"), "{format}: {text}");
        assert!(text.contains("blob.ts"), "{format}: {text}");
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r'),
            "{format}: control characters in the output"
        );
        assert!(
            !text.contains(&"var a=1;".repeat(8)),
            "{format}: the long line is not printed"
        );
    }
    // A binary file is not told to fix its syntax.
    let output = txlint_in(root, &["check", "--format", "json", "blob.ts"]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("json");
    let help = json["diagnostics"][0]["help"].as_str().expect("help");
    assert!(
        help.contains("binary file") && !help.contains("syntax"),
        "{help}"
    );
}

/// A parser panic on input it cannot read is a TX000, and its default
/// message never reaches the terminal (the debug build's parser panics on
/// this truncated class).
#[test]
fn a_caught_parser_panic_prints_nothing_on_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("cut.js"), "class A { x").expect("write");
    let output = txlint_in(
        dir.path(),
        &["check", "--no-prefilter", "--format", "concise", "cut.js"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stdout(&output).contains("cut.js:1:"), "{}", stdout(&output));
    assert!(
        !stderr(&output).contains("panicked"),
        "stderr: {}",
        stderr(&output)
    );
}

/// Exclude patterns read as `.gitignore` reads them: a bare name anywhere,
/// a path anchored at the current folder (`--exclude`) or at the folder of
/// the configuration that declares it; `--force-exclude` applies them to
/// files named on the command line too.
#[test]
fn exclude_patterns_are_anchored_like_gitignore() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let broken = broken_route();
    for folder in ["app/legacy", "app/src", "app/src/legacy", "tools"] {
        std::fs::create_dir_all(root.join(folder)).expect("mkdir");
        std::fs::write(root.join(folder).join("route.ts"), &broken).expect("write");
    }
    let checked = |cwd: &Path, args: &[&str]| -> Vec<String> {
        let mut all = vec!["check", "--format", "concise", "--select", "TX001"];
        all.extend_from_slice(args);
        let output = txlint_in(cwd, &all);
        let text = stdout(&output);
        let mut paths: Vec<String> = finding_lines(&text)
            .into_iter()
            .filter_map(|l| l.split(':').next().map(str::to_string))
            .collect();
        paths.dedup();
        paths
    };
    // Anchored at the current folder: only `app/legacy`, not `app/src/legacy`.
    assert_eq!(
        checked(root, &["--exclude", "app/legacy/**"]),
        [
            "app/src/legacy/route.ts",
            "app/src/route.ts",
            "tools/route.ts"
        ]
    );
    assert_eq!(
        checked(&root.join("app"), &["--exclude", "legacy/**"]),
        ["src/legacy/route.ts", "src/route.ts"]
    );
    // A bare name matches at any depth.
    assert_eq!(
        checked(root, &["--exclude", "legacy"]),
        ["app/src/route.ts", "tools/route.ts"]
    );
    // A configuration's patterns start at its own folder, wherever the run
    // starts.
    std::fs::write(root.join("app/txlint.toml"), "exclude = [\"src/legacy\"]\n").expect("write");
    assert_eq!(
        checked(root, &["app"]),
        ["app/legacy/route.ts", "app/src/route.ts"]
    );
    assert_eq!(checked(&root.join("app/src"), &["."]), ["route.ts"]);
    // A file named on the command line is checked, unless --force-exclude.
    assert_eq!(
        checked(root, &["--exclude", "tools", "tools/route.ts"]),
        ["tools/route.ts"]
    );
    assert!(
        checked(
            root,
            &["--exclude", "tools", "--force-exclude", "tools/route.ts"]
        )
        .is_empty()
    );
    // A bad pattern in a configuration is blamed on that file and key.
    std::fs::write(root.join("app/txlint.toml"), "exclude = [\"[z\"]\n").expect("write");
    let output = txlint_in(root, &["check", "app"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("txlint.toml: invalid `exclude` pattern"),
        "{}",
        stderr(&output)
    );
}

/// `--statistics` honours `--format json`, and `--output-format` is
/// `--format` by ruff's name.
#[test]
fn statistics_in_json_and_the_output_format_alias() {
    let output = txlint(&[
        "check",
        "--statistics",
        "--output-format",
        "json",
        BROKEN_ROUTE,
    ]);
    let list: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(
        list,
        serde_json::json!([
            {"code": "TX001", "rule": "missing-rollback", "count": 1},
            {"code": "TX002", "rule": "missing-release", "count": 1},
            {"code": "TX003", "rule": "pool-per-module", "count": 1},
        ])
    );
}

/// A baseline written at the root of a project and used from a subfolder
/// (or from elsewhere) matches the same findings: its paths are relative to
/// its own folder.
#[test]
fn a_baseline_matches_from_any_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::create_dir_all(root.join("app/api")).expect("mkdir");
    std::fs::write(root.join("app/api/route.ts"), broken_route()).expect("write");
    let output = txlint_in(root, &["check", "--write-baseline", "txlint-baseline.json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let written = std::fs::read_to_string(root.join("txlint-baseline.json")).expect("baseline");
    assert!(
        written.contains("\"path\": \"app/api/route.ts\""),
        "{written}"
    );
    for (cwd, baseline, target) in [
        (root.join("app"), "../txlint-baseline.json", "."),
        (
            root.join("app/api"),
            "../../txlint-baseline.json",
            "route.ts",
        ),
    ] {
        let output = txlint_in(
            &cwd,
            &[
                "check",
                "--format",
                "concise",
                "--baseline",
                baseline,
                target,
            ],
        );
        assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
        assert!(
            finding_lines(&stdout(&output)).is_empty(),
            "{}",
            stdout(&output)
        );
    }
}

/// A Rust file the tokenizer cannot read says why, where it stopped.
#[test]
fn rust_tokenizer_errors_say_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    std::fs::write(
        root.join("string.rs"),
        "fn main() {\n    let x = \"open;\n}\n",
    )
    .expect("write");
    std::fs::write(root.join("brace.rs"), "fn main() {\n    let x = 1;\n").expect("write");
    std::fs::write(
        root.join("paren.rs"),
        "fn main() {\n    let x = (1, 2;\n}\n",
    )
    .expect("write");
    let output = txlint_in(
        root,
        &["check", "--no-prefilter", "--format", "concise", "."],
    );
    let text = stdout(&output);
    for expected in [
        "brace.rs:1:11: error[TX000] unclosed delimiter `{`",
        "paren.rs:3:1: error[TX000] mismatched closing delimiter `}`",
        "string.rs:2:13: error[TX000] unterminated string literal",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    assert!(!text.contains("token stream"), "{text}");
}

/// Full and concise output agree on where a finding at the end of a file
/// is, with or without a final newline.
#[test]
fn full_and_concise_agree_at_the_end_of_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    for (name, text) in [
        (
            "cut.ts",
            "export function f(pool) {\n  return pool.connect(",
        ),
        (
            "cut-newline.ts",
            "export function f(pool) {\n  return pool.connect(\n",
        ),
    ] {
        std::fs::write(root.join(name), text).expect("write");
        let concise = stdout(&txlint_in(root, &["check", "--format", "concise", name]));
        let full = stdout(&txlint_in(
            root,
            &["check", "--format", "full", "--color", "never", name],
        ));
        let (location, _) = concise.split_once(": ").expect("a finding");
        assert!(
            full.contains(&format!("[{location}]")),
            "{location} in {full}"
        );
    }
}

/// `txlint completions SHELL` prints a script that knows the flags.
#[test]
fn completions_know_the_flags() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let output = txlint(&["completions", shell]);
        assert_eq!(output.status.code(), Some(0), "{shell}");
        assert!(stdout(&output).contains("force-exclude"), "{shell}");
    }
}

/// On a terminal (a pseudo-terminal from util-linux's `script`), colour
/// follows `NO_COLOR` as no-color.org says (set and not empty), and the
/// full format wraps at the terminal's width.
#[cfg(target_os = "linux")]
#[test]
fn on_a_terminal_colour_and_width_follow_the_terminal() {
    let on_terminal = |setup: &str| -> String {
        let command = format!(
            "{setup}; {} check --format full {BROKEN_ROUTE}",
            env!("CARGO_BIN_EXE_txlint")
        );
        let output = Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env_remove("COLUMNS")
            .env_remove("NO_COLOR")
            .output()
            .expect("util-linux's script runs");
        String::from_utf8_lossy(&output.stdout).replace('\r', "")
    };
    assert!(
        on_terminal("export NO_COLOR=").contains("\u{1b}["),
        "empty NO_COLOR: colour"
    );
    assert!(
        !on_terminal("export NO_COLOR=1").contains("\u{1b}["),
        "NO_COLOR=1: none"
    );
    let narrow = on_terminal("stty rows 40 cols 60; export NO_COLOR=1");
    let wide = on_terminal("stty rows 40 cols 160; export NO_COLOR=1");
    let help = |text: &str| {
        text.lines()
            .find(|line| line.trim_start().starts_with("help:"))
            .map(|line| line.chars().count())
            .unwrap_or(0)
    };
    assert!(help(&narrow) <= 60 && help(&wide) > 60, "{narrow}\n{wide}");
}

const FLOATING_COMMIT: &str = "\
import { pool } from './db'

export async function archive(id: number) {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('UPDATE notes SET archived = true WHERE id = $1', [id])
    client.query('COMMIT')
  } catch (error) {
    console.error(error)
  } finally {
    client.release()
  }
}
";

/// `--diff` shows the safe fix and writes nothing; `--fix` writes it and
/// reports what is left; a second `--fix` has nothing to do; JSON carries
/// the fix's edits; `--stdin-filename` with `--fix` prints the fixed text.
#[test]
fn fixes_are_shown_applied_and_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    let route = dir.path().join("route.ts");
    std::fs::write(&route, FLOATING_COMMIT).expect("write");

    let json: serde_json::Value = serde_json::from_slice(
        &txlint_in(dir.path(), &["check", "--format", "json", "route.ts"]).stdout,
    )
    .expect("json");
    let floating = json["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .find(|d| d["code"] == "TX007")
        .expect("a TX007");
    let offset = FLOATING_COMMIT
        .find("client.query('COMMIT')")
        .expect("in text");
    assert_eq!(
        floating["fix"],
        serde_json::json!({"applicability": "safe", "message": "Add `await`",
            "edits": [{"offset": offset, "length": 0, "content": "await "}]})
    );
    assert!(
        json["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["code"] == "TX001")
            .all(|d| d["fix"]["applicability"] == "unsafe"),
        "the rollback is an unsafe fix, left out by `--fix`: {json}"
    );

    let diff = txlint_in(dir.path(), &["check", "--diff", "route.ts"]);
    assert_eq!(diff.status.code(), Some(1));
    assert!(
        stdout(&diff).contains("-    client.query('COMMIT')\n+    await client.query('COMMIT')\n"),
        "{}",
        stdout(&diff)
    );
    assert_eq!(
        std::fs::read_to_string(&route).expect("read"),
        FLOATING_COMMIT
    );

    let fixed = txlint_in(
        dir.path(),
        &["check", "--fix", "--format", "concise", "route.ts"],
    );
    assert_eq!(fixed.status.code(), Some(1), "the TX001 is left");
    assert!(
        stderr(&fixed).contains("applied 1 fix in 1 file"),
        "{}",
        stderr(&fixed)
    );
    let reported = stdout(&fixed);
    let codes: Vec<&str> = reported
        .lines()
        .filter_map(|line| concise_code(line.split_once(": ")?.1))
        .collect();
    assert_eq!(codes, ["TX001"]);
    let text = std::fs::read_to_string(&route).expect("read");
    assert_eq!(
        text,
        FLOATING_COMMIT.replace(
            "    client.query('COMMIT')",
            "    await client.query('COMMIT')"
        )
    );

    let again = txlint_in(dir.path(), &["check", "--fix", "route.ts"]);
    assert!(!stderr(&again).contains("applied"), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(&route).expect("read"), text);

    let piped = txlint_with_stdin(
        dir.path(),
        &["check", "--fix", "--stdin-filename", "other.ts"],
        FLOATING_COMMIT.as_bytes(),
    );
    assert_eq!(piped.status.code(), Some(0));
    assert_eq!(stdout(&piped), text);
}
