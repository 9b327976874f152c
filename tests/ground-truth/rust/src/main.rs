//! Proof by execution for the Rust fixtures: their functions run on sqlx
//! and tokio-postgres against a real PostgreSQL, and what they leave behind is compared with
//! their `//~` labels (see `../README.md`, "Rust").

mod db;
mod fixtures;
mod labels;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::db::{Db, Failure, Pools, Seen};

/// What a call returned: `Ok` or `Err`, printed.
pub type Outcome = Result<String, String>;
// Not `Send`: the calls run on this thread, and rustc cannot prove some
// fixtures' futures `Send` (sqlx's `raw_sql(..).execute(&mut *conn)` meets
// rust-lang/rust#102211).
type Call = fn(Pools) -> Pin<Box<dyn Future<Output = Outcome>>>;

/// One way of calling one function of a fixture.
pub struct Case {
    /// The function's key in `labels::functions` (`name`, `name#2`).
    pub function: &'static str,
    /// What the input is meant to exercise.
    pub input: &'static str,
    pub pool_max: u32,
    /// The input makes one of the function's statements fail by itself (a
    /// duplicate key it then answers): its success run is a failure run.
    pub fails_by_itself: bool,
    /// SQL run on the seeded tables before the call, for an input that
    /// needs other rows than the fixture's other calls.
    pub given: Option<&'static str>,
    pub call: Call,
}

impl Case {
    pub fn given(self, sql: &'static str) -> Case {
        Case {
            given: Some(sql),
            ..self
        }
    }
}

/// An executed fixture: its path under `fixtures/rust`, the calls, and the
/// functions it does not call, with why (a labelled one must have a why).
pub struct Fixture {
    pub path: &'static str,
    pub cases: Vec<Case>,
    pub not_called: Vec<(&'static str, &'static str)>,
}

pub fn outcome<T: Debug, E: Debug>(result: Result<T, E>) -> Outcome {
    result
        .map(|v| format!("{v:?}"))
        .map_err(|e| format!("{e:?}"))
}

/// `case!("fn", "input", |pool| call(..))`: the call's future is awaited and
/// its result printed. `case!(failing "fn", ..)` marks an input that makes a
/// statement fail by itself; `case!(deadpool "fn", ..)` gives the call a
/// deadpool-postgres pool instead of sqlx's.
#[macro_export]
macro_rules! case {
    (failing $function:expr, $input:expr, |$pool:ident| $call:expr) => {
        $crate::Case {
            fails_by_itself: true,
            ..$crate::case!($function, $input, 1, |$pool| $call)
        }
    };
    ($function:expr, $input:expr, |$pool:ident| $call:expr) => {
        $crate::case!($function, $input, 1, |$pool| $call)
    };
    ($function:expr, $input:expr, $max:expr, |$pool:ident| $call:expr) => {
        $crate::Case {
            function: $function,
            input: $input,
            pool_max: $max,
            fails_by_itself: false,
            given: None,
            call: |pools| {
                let $pool = pools.sqlx;
                Box::pin(async move { $crate::outcome($call.await) })
            },
        }
    };
    (deadpool $function:expr, $input:expr, |$pool:ident| $call:expr) => {
        $crate::Case {
            function: $function,
            input: $input,
            pool_max: 1,
            fails_by_itself: false,
            given: None,
            call: |pools| {
                let $pool = pools.deadpool;
                Box::pin(async move { $crate::outcome($call.await) })
            },
        }
    };
}

/// Codes this harness can show. TX004 and TX007 (a write beside an open
/// transaction, a transaction through a pool) have no effect of their own
/// that the database shows. TX006 (a double release) cannot be written
/// with sqlx or deadpool, whose connections go back by being dropped.
const JUDGED: [&str; 3] = ["TX001", "TX002", "TX005"];

/// Labels execution disagrees with: (fixture, function, code, what is seen).
/// Printed on every run; the run fails if one stops happening.
const KNOWN_DISAGREEMENTS: &[(&str, &str, &str, &str)] = &[(
    "sqlx/rebuild_scripts.rs",
    "rebuild_search_index",
    "TX001",
    "TX001 not labelled: the script (`BEGIN; DELETE ..; INSERT ..; COMMIT;`) sent through the \
         pool runs on one of its connections, and when a statement fails PostgreSQL stops there \
         inside the script's transaction; sqlx gives that connection back to the pool as it is, \
         and the pool's next user meets `idle in transaction (aborted)`. The fixture takes the \
         pool for a place no connection of the function's own is left in",
)];

struct Args {
    only: Option<String>,
    trace: bool,
}

#[derive(Default)]
struct Report {
    executed: usize,
    functions: usize,
    confirmed: usize,
    silent: usize,
    lines: Vec<String>,
    disagreements: Vec<String>,
    known: Vec<String>,
    problems: Vec<String>,
    not_called: Vec<String>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let mut args = Args {
        only: None,
        trace: false,
    };
    let mut argv = std::env::args().skip(1);
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--only" => args.only = argv.next(),
            "--trace" => args.trace = true,
            // The TypeScript part's options pass through run.sh.
            _ => {}
        }
    }
    // A fixture's panic is an outcome of its call, printed in the trace;
    // the harness's own panics are reported as usual.
    let report_panic = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !info
            .location()
            .is_some_and(|l| l.file().contains("/fixtures/"))
        {
            report_panic(info);
        }
    }));
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL names the test cluster");
    let mut db = Db::setup(&url, "ground_truth_rust")
        .await
        .expect("the harness's database");
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = here.join("../../../fixtures/rust");
    let schema = std::fs::read_to_string(here.join("schema.sql")).expect("schema.sql");
    let sections = schema_sections(&schema);

    let mut report = Report::default();
    let all = fixtures::executed();
    let not_executed = fixtures::not_executed();
    check_every_fixture_is_listed(&root, &all, &not_executed, &mut report);
    for fixture in all {
        if args
            .only
            .as_ref()
            .is_some_and(|o| !fixture.path.contains(o.as_str()))
        {
            continue;
        }
        run_fixture(&mut db, &root, &sections, fixture, &args, &mut report).await;
    }
    db.end_app_sessions().await.ok();

    for line in &report.lines {
        println!("{line}");
    }
    print_list(
        "not executed",
        not_executed.iter().map(|(p, why)| format!("{p}: {why}")),
    );
    print_list("functions not called", report.not_called.iter().cloned());
    print_list("harness problems", report.problems.iter().cloned());
    print_list(
        "known disagreements (labels found wrong)",
        report.known.iter().cloned(),
    );
    print_list("disagreements", report.disagreements.iter().cloned());
    println!(
        "\nground truth (Rust): {} fixtures executed ({} functions, {}s), {} findings confirmed, \
         {} silent functions confirmed, {} disagreements ({} known), {} harness problems, \
         {} fixtures not executed",
        report.executed,
        report.functions,
        started.elapsed().as_secs(),
        report.confirmed,
        report.silent,
        report.disagreements.len(),
        report.known.len(),
        report.problems.len(),
        not_executed.len(),
    );
    if !report.disagreements.is_empty() || !report.problems.is_empty() {
        std::process::exit(1);
    }
}

fn print_list(title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if !items.is_empty() {
        println!("\n{title} ({}):", items.len());
        for item in items {
            println!("  {item}");
        }
    }
}

/// `schema.sql` is split by `-- fixture: <path>` lines; each part is that
/// fixture's tables and seed rows.
fn schema_sections(text: &str) -> BTreeMap<String, String> {
    let mut sections = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(path) = line.strip_prefix("-- fixture: ") {
            sections.extend(current.take());
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, sql)) = current.as_mut() {
            sql.push_str(line);
            sql.push('\n');
        }
    }
    sections.extend(current);
    sections
}

/// Every sqlx and tokio-postgres fixture is either executed or listed with
/// a reason, so that the README's figures cannot drift from the code.
fn check_every_fixture_is_listed(
    root: &std::path::Path,
    executed: &[Fixture],
    not_executed: &[(&str, &str)],
    report: &mut Report,
) {
    let mut listed: BTreeSet<String> = executed.iter().map(|f| f.path.to_string()).collect();
    for (path, _) in not_executed {
        if !listed.insert(path.to_string()) {
            report.problems.push(format!("{path}: listed twice"));
        }
    }
    for dir in ["sqlx", "tokio_postgres"] {
        let entries = std::fs::read_dir(root.join(dir)).expect("fixture folder");
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            if name.ends_with(".rs") && !listed.contains(&format!("{dir}/{name}")) {
                report.problems.push(format!(
                    "{dir}/{name}: neither executed nor listed as not executed"
                ));
            }
        }
    }
}

/// Where a failure answered with `Ok` lost the work (see `judge`).
const LOST_AFTER_FAILURE: &str = "TX005 after a failure answered with Ok";

/// What the scenarios showed for one function: code -> first evidence.
type Shown = BTreeMap<&'static str, String>;

async fn run_fixture(
    db: &mut Db,
    root: &std::path::Path,
    sections: &BTreeMap<String, String>,
    fixture: Fixture,
    args: &Args,
    report: &mut Report,
) {
    let text = match std::fs::read_to_string(root.join(fixture.path)) {
        Ok(text) => text,
        Err(e) => {
            report.problems.push(format!("{}: {e}", fixture.path));
            return;
        }
    };
    let Some(sql) = sections.get(fixture.path) else {
        report
            .problems
            .push(format!("{}: no section in schema.sql", fixture.path));
        return;
    };
    let schema = fixture
        .path
        .trim_end_matches(".rs")
        .replace(['/', '-'], "_");
    let functions = labels::functions(&text);
    let mut shown: BTreeMap<&'static str, Shown> = BTreeMap::new();
    for case in &fixture.cases {
        if !functions.iter().any(|f| f.key == case.function) {
            report
                .problems
                .push(format!("{}: no function {}", fixture.path, case.function));
            continue;
        }
        let seen = shown.entry(case.function).or_default();
        if let Err(e) = run_case(db, &schema, sql, case, fixture.path, args, seen).await {
            report.problems.push(format!(
                "{} {} ({}): {e}",
                fixture.path, case.function, case.input
            ));
        }
    }
    report.executed += 1;
    for function in &functions {
        let judged: BTreeSet<&str> = function
            .codes
            .iter()
            .map(String::as_str)
            .filter(|c| JUDGED.contains(c))
            .collect();
        let Some(seen) = shown.get(function.key.as_str()) else {
            let listed = fixture.not_called.iter().any(|(f, _)| *f == function.key);
            if !judged.is_empty() || listed {
                let why = fixture
                    .not_called
                    .iter()
                    .find(|(f, _)| *f == function.key)
                    .map(|(_, why)| *why);
                match why {
                    Some(why) => report
                        .not_called
                        .push(format!("{} {}: {why}", fixture.path, function.key)),
                    None => report.problems.push(format!(
                        "{} {}: labelled {:?}, not called and no reason given",
                        fixture.path, function.key, judged
                    )),
                }
            }
            continue;
        };
        report.functions += 1;
        // An open transaction in a function labelled TX004 or TX007 is that
        // finding's doing (a BEGIN sent through a pool).
        let beside = function.codes.iter().any(|c| c == "TX004" || c == "TX007");
        let mut agree = true;
        for code in JUDGED {
            let labelled = judged.contains(code);
            let evidence = seen
                .get(code)
                .or_else(|| {
                    seen.get(LOST_AFTER_FAILURE)
                        .filter(|_| labelled && code == "TX005")
                })
                .filter(|_| !beside);
            let known = KNOWN_DISAGREEMENTS
                .iter()
                .find(|k| k.0 == fixture.path && k.1 == function.key && k.2 == code);
            let disagreement = match (labelled, evidence) {
                (true, Some(e)) => {
                    report.confirmed += 1;
                    if args.trace {
                        report.lines.push(format!(
                            "ok   {} {}: {code} shown: {e}",
                            fixture.path, function.key
                        ));
                    }
                    None
                }
                (true, None) if beside => None,
                (true, None) => Some(format!("{code} labelled, not shown by any scenario")),
                (false, Some(e)) => Some(format!("{code} not labelled, shown: {e}")),
                (false, None) => None,
            };
            match (disagreement, known) {
                (Some(d), Some(k)) => {
                    agree = false;
                    report.known.push(format!(
                        "{} {}: {d}\n    why: {}",
                        fixture.path, function.key, k.3
                    ));
                }
                (Some(d), None) => {
                    agree = false;
                    report
                        .disagreements
                        .push(format!("{} {}: {d}", fixture.path, function.key));
                }
                (None, Some(_)) => report.problems.push(format!(
                    "{} {}: the known disagreement on {code} no longer happens",
                    fixture.path, function.key
                )),
                (None, None) => {}
            }
        }
        if agree && judged.is_empty() {
            report.silent += 1;
        }
        if beside {
            report.lines.push(format!(
                "--   {} {}: {} not observable, not judged",
                fixture.path,
                function.key,
                function
                    .codes
                    .iter()
                    .filter(|c| *c == "TX004" || *c == "TX007")
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
    }
}

/// The success run, then a run per row write of it (up to three) where that
/// write fails in PostgreSQL, and one where COMMIT fails after the writes.
async fn run_case(
    db: &mut Db,
    schema: &str,
    sql: &str,
    case: &Case,
    path: &str,
    args: &Args,
    shown: &mut Shown,
) -> sqlx::Result<()> {
    let success = run_once(db, schema, sql, case, Failure::None).await?;
    judge(&success, Failure::None, case.fails_by_itself, shown);
    trace(args, path, case, Failure::None, &success);
    let writes = success.1.attempted.min(3) as u32;
    let failures = (1..=writes)
        .map(Failure::Write)
        .chain((writes > 0).then_some(Failure::Commit));
    for failure in failures {
        let failed = run_once(db, schema, sql, case, failure).await?;
        judge(&failed, failure, false, shown);
        trace(args, path, case, failure, &failed);
    }
    Ok(())
}

fn trace(
    args: &Args,
    path: &str,
    case: &Case,
    failure: Failure,
    (outcome, seen): &(Outcome, Seen),
) {
    if args.trace {
        let scenario = describe(failure);
        let outcome = match outcome {
            Ok(v) => format!("Ok({v})"),
            Err(e) => format!("Err({e})"),
        };
        println!(
            "     {path} {} [{}] {scenario}: {}; {seen:?}",
            case.function,
            case.input,
            truncate(&outcome, 160)
        );
    }
}

fn describe(failure: Failure) -> String {
    match failure {
        Failure::None => "success".to_string(),
        Failure::Write(n) => format!("row write {n} fails"),
        Failure::Commit => "COMMIT fails".to_string(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}..", &text[..at]),
        None => text.to_string(),
    }
}

const CALL_LIMIT: Duration = Duration::from_secs(5);

async fn run_once(
    db: &mut Db,
    schema: &str,
    sql: &str,
    case: &Case,
    failure: Failure,
) -> sqlx::Result<(Outcome, Seen)> {
    db.reset(schema, sql).await?;
    if let Some(given) = case.given {
        db.run(schema, given).await?;
    }
    let before = db.counters().await?;
    let pools = db.pools(schema, case.pool_max, failure);
    let given = Pools {
        sqlx: pools.sqlx.clone(),
        deadpool: pools.deadpool.clone(),
    };
    // A task of its own, so that a fixture's `.expect(..)` that panics is
    // an error exit of the call, not the harness's end.
    let local = tokio::task::LocalSet::new();
    let call = local.run_until(async move {
        tokio::time::timeout(CALL_LIMIT, tokio::task::spawn_local((case.call)(given))).await
    });
    let outcome = match call.await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(e)) if e.is_panic() => {
            let payload = e.into_panic();
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| payload.downcast_ref::<&str>().copied())
                .unwrap_or_default();
            Err(format!("panicked: {message}"))
        }
        Ok(Err(e)) => Err(format!("{e}")),
        Err(_) => Err(format!("did not return within {CALL_LIMIT:?}")),
    };
    let seen = db.observe(&pools, before).await?;
    // A connection the call kept would make close() wait for ever.
    let _ = tokio::time::timeout(Duration::from_secs(1), pools.sqlx.close()).await;
    pools.deadpool.close();
    Ok((outcome, seen))
}

/// TX005: rows written and lost, or a session left in a transaction, after
/// a run where the function answered `Ok` and nothing failed (or, for a
/// label only, rows lost where it answered `Ok` to a failure). TX001: a transaction left open, or aborted, on a
/// connection after a failure (injected, or an `Err` the function returned).
fn judge(
    (outcome, seen): &(Outcome, Seen),
    failure: Failure,
    fails_by_itself: bool,
    shown: &mut Shown,
) {
    let failed = fails_by_itself || seen.injected > 0 || outcome.is_err();
    // A failure answered with `Ok` (a discarded COMMIT result, a statement
    // whose error was thrown away before the commit) loses the work too,
    // but the harness cannot see whether the function logged it, as a
    // best-effort write may: such a run confirms a TX005 label and refutes
    // no silence.
    let (quiet, key) = match failure {
        Failure::None => (!failed, "TX005"),
        _ => (outcome.is_ok(), LOST_AFTER_FAILURE),
    };
    // A raw BEGIN left open after `Ok` hands its transaction to whoever
    // gets the connection next, whether or not it wrote.
    if matches!(failure, Failure::None) && !failed && !seen.open.is_empty() {
        shown
            .entry("TX005")
            .or_insert_with(|| format!("sessions left {:?} after Ok", seen.open));
    }
    if quiet && seen.lost > 0 {
        shown.entry(key).or_insert_with(|| {
            format!(
                "{} of {} rows written were not committed after Ok ({})",
                seen.lost,
                seen.attempted,
                describe(failure)
            )
        });
    }
    if seen.pool_stuck {
        shown.entry("TX002").or_insert_with(|| {
            "the pool's connection did not come back within 1s of the return".to_string()
        });
    }
    if failed && !seen.open.is_empty() {
        let how = match failure {
            Failure::None => "after the function's own Err".to_string(),
            f => format!("after {}", describe(f)),
        };
        shown
            .entry("TX001")
            .or_insert_with(|| format!("{how}, sessions left {:?}", seen.open));
    }
}
