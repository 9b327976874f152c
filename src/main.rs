//! The `txlint` command line: parses arguments, calls the library, writes
//! the report, and maps the outcome to an exit code.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use txlint::baseline;
use txlint::config::{self, Config};
use txlint::diagnostic::Report;
use txlint::diagnostic::Severity;
use txlint::output::{self, Format, OutputOptions};
use txlint::{CheckOptions, NestedConfigs, rules};

// Allocation-heavy parsing and lowering: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Finds transaction-handling and connection-pool bugs in TypeScript,
/// JavaScript and Rust code.
#[derive(Parser)]
#[command(name = "txlint", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check files and folders (default: the current folder).
    #[command(after_help = "Examples:
  txlint check
  txlint check app/api --format concise
  txlint check src --exclude 'legacy/**' --format json --output-file txlint.json
  txlint check --select TX001,TX002 --statistics
  cat route.ts | txlint check --stdin-filename app/api/orders/route.ts

Configuration is read from the nearest txlint.toml or .txlint.toml (keys:
select, ignore, exclude, drivers, fail_on, [severity]); flags override it.

Exit codes: 0 nothing found (or only warnings), 1 errors reported (also
warnings with --fail-on warning), 2 txlint could not do its job (bad
arguments or configuration, unreadable paths).")]
    Check(Box<CheckArgs>),
    /// Print the documentation of a rule, by code or name: `txlint rule
    /// TX001`, `txlint rule missing-rollback`.
    Rule { code: String },
    /// List every rule with its code, name, severity and summary.
    Rules {
        /// `text` (aligned columns, the default) or `json` (a list).
        #[arg(long, value_enum, default_value = "text", alias = "output-format")]
        format: RulesFormat,
    },
    /// Run the language server on standard input and output, for editors.
    Server,
    /// Print a completion script for a shell (bash, zsh, fish, powershell,
    /// elvish), e.g. `txlint completions bash > /etc/bash_completion.d/txlint`.
    Completions { shell: clap_complete::Shell },
    /// Print the flow graph of each function of a file in Graphviz format.
    #[command(hide = true)]
    DebugFlow { path: PathBuf },
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Files or folders to check. Files named here are checked even when an
    /// exclude pattern matches them, unless --force-exclude.
    paths: Vec<PathBuf>,
    /// Output format (default: full on a terminal, concise otherwise).
    /// `--output-format` is the same flag, as ruff names it.
    #[arg(long, value_enum, alias = "output-format")]
    format: Option<Format>,
    /// Skip paths matching this glob (repeatable), as .gitignore reads it:
    /// `generated` anywhere, `src/generated/**` from the current folder.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Apply exclude patterns to files named on the command line too (for
    /// hooks that pass every changed file).
    #[arg(long)]
    force_exclude: bool,
    /// Report only these rule codes (comma-separated or repeated).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    select: Vec<String>,
    /// Never report these rule codes (comma-separated or repeated).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    ignore: Vec<String>,
    /// Read the configuration from this file instead of looking for one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Read the source from standard input and report it as this path.
    #[arg(long, value_name = "PATH", conflicts_with = "paths")]
    stdin_filename: Option<PathBuf>,
    /// Print how many diagnostics each rule reported instead of each one.
    #[arg(long)]
    statistics: bool,
    /// The least severity that fails the run (exit 1): `error` (the
    /// default: warnings are shown but do not fail, as in oxlint and
    /// ESLint) or `warning` (strict).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    fail_on: Option<FailOn>,
    /// Fail the run on warnings too: the same as `--fail-on warning`.
    #[arg(long, conflicts_with = "fail_on")]
    deny_warnings: bool,
    /// Exit 0 even when diagnostics are reported.
    #[arg(long)]
    exit_zero: bool,
    /// Write the report to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    output_file: Option<PathBuf>,
    /// Record today's findings in FILE (by code, path, function and the
    /// text they point at) and exit 0: for adopting txlint on a codebase.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    write_baseline: Option<PathBuf>,
    /// Report only findings that FILE (from --write-baseline) does not record.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// Worker threads (default: every available core). The output is the
    /// same on any number.
    #[arg(long, value_name = "N")]
    threads: Option<usize>,
    /// Parse every file, also those without a word any finding needs (so
    /// that a syntax error anywhere is reported).
    #[arg(long)]
    no_prefilter: bool,
    /// Print diagnostics and nothing else (no summary, no notes on stderr
    /// except errors).
    #[arg(long, short)]
    quiet: bool,
    /// Also show missing-rollback, missing-release, unterminated and
    /// double-release findings in test code (test files and test
    /// functions), which are counted but not shown by default.
    #[arg(long)]
    include_tests: bool,
    /// Parse every file and stop there: for measuring the parser's share of
    /// a run. Only syntax errors are reported.
    #[arg(long, hide = true)]
    parse_only: bool,
    /// When to use colour in the full format.
    #[arg(long, value_enum, default_value = "auto")]
    color: Color,
    /// Apply the safe fixes and report what is left. With
    /// --stdin-filename, print the fixed text instead.
    #[arg(long)]
    fix: bool,
    /// Apply the unsafe fixes too (they change control flow: read them).
    #[arg(long)]
    unsafe_fixes: bool,
    /// Print the fixes as a unified diff instead of applying them; exit 1
    /// when there is something to fix.
    #[arg(long, conflicts_with_all = ["fix", "fix_only"])]
    diff: bool,
    /// Apply the fixes and report nothing else.
    #[arg(long, conflicts_with = "fix")]
    fix_only: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum RulesFormat {
    Text,
    Json,
}

/// Every rule: aligned columns, or a JSON list with each rule's
/// documentation address.
fn rules_list(format: RulesFormat) -> String {
    if format == RulesFormat::Json {
        let list: Vec<serde_json::Value> = rules::RULES
            .iter()
            .map(|rule| {
                serde_json::json!({
                    "code": rule.code,
                    "name": rule.name,
                    "severity": rule.severity.as_str(),
                    "summary": rule.summary,
                    "url": rule.url(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&list).unwrap_or_default() + "\n";
    }
    let name_width = rules::RULES.iter().map(|r| r.name.len()).max().unwrap_or(0);
    rules::RULES
        .iter()
        .map(|rule| {
            format!(
                "{}  {:<name_width$}  {:<7}  {}\n",
                rule.code,
                rule.name,
                rule.severity.as_str(),
                rule.summary
            )
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FailOn {
    Warning,
    Error,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

/// Exit codes (DESIGN.md): nothing found, something found, could not run.
const EXIT_CLEAN: u8 = 0;
const EXIT_FOUND: u8 = 1;
const EXIT_FAILED: u8 = 2;

fn main() -> ExitCode {
    // A panic that the analysis catches (a parser's, on input it cannot
    // read) is reported as TX000 or a file error; its default message
    // would only garble stderr. Any other panic is a bug, told as usual.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !txlint::panic_is_handled() {
            default_hook(info);
        }
    }));
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check(*args),
        Command::Rule { code } => match rules::find(&code) {
            Some(rule) => print(rule.doc),
            None => {
                eprintln!("error: unknown rule `{code}` (see `txlint rules`)");
                EXIT_FAILED
            }
        },
        Command::Rules { format } => print(&rules_list(format)),
        Command::Server => match txlint::server::run() {
            Ok(()) => EXIT_CLEAN,
            Err(message) => {
                eprintln!("error: {message}");
                EXIT_FAILED
            }
        },
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(
                shell,
                &mut <Cli as clap::CommandFactory>::command(),
                "txlint",
                &mut script,
            );
            print(&String::from_utf8_lossy(&script))
        }
        Command::DebugFlow { path } => match std::fs::read_to_string(&path) {
            Ok(text) => print(&txlint::debug_flow(&txlint::source::SourceFile {
                path,
                text,
            })),
            Err(err) => {
                eprintln!(
                    "error: {}: {}",
                    path.display(),
                    txlint::discover::io_message(&err)
                );
                EXIT_FAILED
            }
        },
    };
    ExitCode::from(code)
}

fn print(text: &str) -> u8 {
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Ok(()) => EXIT_CLEAN,
        // `txlint rule TX001 | head`: the reader has all it wanted.
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => EXIT_CLEAN,
        Err(_) => EXIT_FAILED,
    }
}

fn check(args: CheckArgs) -> u8 {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (options, fail_on_configured) = match check_options(&args, &paths) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return EXIT_FAILED;
        }
    };
    let baseline = match &args.baseline {
        Some(path) => match baseline::load(path) {
            Ok(baseline) => Some(baseline),
            Err(message) => {
                eprintln!("error: {message}");
                return EXIT_FAILED;
            }
        },
        None => None,
    };
    let mut stdin_text = String::new();
    let report = match &args.stdin_filename {
        Some(path) => {
            if let Err(err) = std::io::stdin().read_to_string(&mut stdin_text) {
                eprintln!("error: could not read standard input: {err}");
                return EXIT_FAILED;
            }
            txlint::check_text(path, stdin_text.clone(), &options)
        }
        None => txlint::check_paths(&paths, &options),
    };
    let mut report = match report {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    if let Some(path) = &args.write_baseline {
        return match baseline::write(&report, path) {
            Ok(count) => {
                if !args.quiet {
                    eprintln!("wrote {count} findings to {}", path.display());
                }
                if report.errors.is_empty() {
                    EXIT_CLEAN
                } else {
                    EXIT_FAILED
                }
            }
            Err(message) => {
                eprintln!("error: {message}");
                EXIT_FAILED
            }
        };
    }
    if let Some(baseline) = &baseline {
        baseline.filter(&mut report);
    }
    if args.diff {
        return print_diff(&report, args.unsafe_fixes);
    }
    if args.fix || args.fix_only {
        if args.stdin_filename.is_some() {
            return print_fixed(&report, &stdin_text, args.unsafe_fixes);
        }
        let fixed = fix_files(&report, args.unsafe_fixes);
        if args.fix_only {
            return if fixed.is_ok() {
                EXIT_CLEAN
            } else {
                EXIT_FAILED
            };
        }
        // What is left, read from the fixed files.
        report = match txlint::check_paths(&paths, &options) {
            Ok(report) => report,
            Err(err) => {
                eprintln!("error: {err}");
                return EXIT_FAILED;
            }
        };
        if let Some(baseline) = &baseline {
            baseline.filter(&mut report);
        }
        if fixed.is_err() {
            return EXIT_FAILED;
        }
    }

    let to_terminal = args.output_file.is_none() && std::io::stdout().is_terminal();
    let format = args.format.unwrap_or(if to_terminal {
        Format::Full
    } else {
        Format::Concise
    });
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        // no-color.org: set and not empty.
        Color::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let rendering = OutputOptions {
        color,
        width: terminal_width(),
        quiet: args.quiet,
    };
    let mut rendered = Vec::new();
    let written = if args.statistics {
        rendered.extend_from_slice(statistics(&report, format).as_bytes());
        Ok(())
    } else {
        output::write(format, &report, &rendering, &mut rendered)
    };
    let delivered = written.and_then(|()| match &args.output_file {
        Some(path) => std::fs::write(path, &rendered),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&rendered).and_then(|()| out.flush())
        }
    });
    match (delivered, &args.output_file) {
        (Ok(()), _) => {}
        // `txlint check | head -1`: the reader stopped reading; the exit
        // status still says what was found.
        (Err(err), None) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
        (Err(err), Some(path)) => {
            eprintln!(
                "error: could not write the report to {}: {}",
                path.display(),
                txlint::discover::io_message(&err)
            );
            return EXIT_FAILED;
        }
        (Err(err), None) => {
            eprintln!("error: could not write the report: {err}");
            return EXIT_FAILED;
        }
    }
    if report.files_scanned == 0 && report.errors.is_empty() && !args.quiet {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!(
            "warning: no TypeScript, JavaScript or Rust file to check in {}",
            named.join(", ")
        );
    }
    // The full format lists what could not be checked itself; the others
    // keep their output to findings, so say it on stderr.
    if format != Format::Full || args.statistics {
        for error in &report.errors {
            eprintln!("error: {}: {}", error.path.display(), error.message);
        }
        // The concise summary line, printed when something was found,
        // says it already.
        let summarized =
            format == Format::Concise && !args.statistics && report.diagnostic_count() > 0;
        if report.hidden_in_tests > 0 && !args.quiet && !summarized {
            let count = report.hidden_in_tests;
            let findings = if count == 1 { "finding" } else { "findings" };
            eprintln!(
                "note: {count} {findings} in test code not shown (--include-tests shows them)"
            );
        }
    }
    let fail_on = match args.fail_on {
        _ if args.deny_warnings => Severity::Warning,
        Some(FailOn::Error) => Severity::Error,
        Some(FailOn::Warning) => Severity::Warning,
        None => fail_on_configured.unwrap_or(Severity::Error),
    };
    let failing = report.diagnostics().any(|(_, d)| d.severity >= fail_on);
    if !report.errors.is_empty() {
        EXIT_FAILED
    } else if failing && !args.exit_zero {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    }
}

/// `--diff`: each file's fixes as a unified diff on stdout.
fn print_diff(report: &Report, unsafe_fixes: bool) -> u8 {
    let mut out = String::new();
    let mut count = 0;
    for file in &report.files {
        if let Some((fixed, applied)) = txlint::fixed_text(file, unsafe_fixes) {
            let shown = file.source.path.display().to_string();
            let diff = similar::TextDiff::from_lines(file.source.text.as_str(), fixed.as_str());
            out.push_str(&diff.unified_diff().header(&shown, &shown).to_string());
            count += applied;
        }
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush());
    if count > 0 {
        let fixes = if count == 1 { "fix" } else { "fixes" };
        eprintln!("{count} {fixes} would be applied (--fix applies them)");
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    }
}

/// `--fix --stdin-filename`: the fixed text (or the text as it was) on
/// stdout.
fn print_fixed(report: &Report, text: &str, unsafe_fixes: bool) -> u8 {
    let text = report
        .files
        .first()
        .and_then(|file| txlint::fixed_text(file, unsafe_fixes))
        .map_or_else(|| text.to_string(), |(fixed, _)| fixed);
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    EXIT_CLEAN
}

/// `--fix`: write each file's fixes; says on stderr how many were applied
/// and which files could not be written. `Err` when any could not.
fn fix_files(report: &Report, unsafe_fixes: bool) -> Result<(), ()> {
    let mut applied = 0;
    let mut files = 0;
    let mut failed = false;
    for file in &report.files {
        let Some((fixed, count)) = txlint::fixed_text(file, unsafe_fixes) else {
            continue;
        };
        match txlint::fix::write_fixed(&file.source.path, &file.source.text, &fixed) {
            Ok(()) => {
                applied += count;
                files += 1;
            }
            Err(message) => {
                eprintln!("error: {}: {message}", file.source.path.display());
                failed = true;
            }
        }
    }
    if applied > 0 {
        let fixes = if applied == 1 { "fix" } else { "fixes" };
        let in_files = if files == 1 { "file" } else { "files" };
        eprintln!("applied {applied} {fixes} in {files} {in_files}");
    }
    if failed { Err(()) } else { Ok(()) }
}

/// The configuration file's settings with the flags laid over them.
/// Also the configured failing severity, which is the command line's to use.
fn check_options(
    args: &CheckArgs,
    paths: &[PathBuf],
) -> Result<(CheckOptions, Option<Severity>), String> {
    let start = args
        .stdin_filename
        .as_ref()
        .and_then(|p| p.parent())
        .unwrap_or(&paths[0]);
    let config_path = match &args.config {
        Some(path) => Some(path.clone()),
        None => config::discover(if start.as_os_str().is_empty() {
            Path::new(".")
        } else {
            start
        }),
    };
    let config = match config_path {
        Some(path) => config::load(&path).map_err(|err| err.to_string())?,
        None => Config::default(),
    };
    config::check_codes(&args.select, "--select")?;
    config::check_codes(&args.ignore, "--ignore")?;
    let fail_on = config.fail_on;
    let root = config.path.clone();
    let mut options = CheckOptions::from_config(config);
    // Flags win over the file.
    if !args.exclude.is_empty() {
        options.exclude = args.exclude.clone();
        options.exclude_from = None;
    }
    if !args.select.is_empty() {
        options.select = args.select.clone();
    }
    if !args.ignore.is_empty() {
        options.ignore = args.ignore.clone();
    }
    options.include_tests |= args.include_tests;
    options.force_exclude = args.force_exclude;
    options.threads = args.threads;
    options.no_prefilter = args.no_prefilter;
    options.parse_only = args.parse_only;
    options.progress = if args.quiet { None } else { progress_bar() };
    options.nested_configs = args.config.is_none().then_some(NestedConfigs {
        root,
        select_flag: !args.select.is_empty(),
        ignore_flag: !args.ignore.is_empty(),
        exclude_flag: !args.exclude.is_empty(),
    });
    Ok((options, fail_on))
}

/// A progress line on stderr, only when stderr is a terminal (never in CI or
/// when piped) and only for runs of more than a few hundred files.
fn progress_bar() -> Option<txlint::Progress> {
    const FEW_HUNDRED: usize = 300;
    if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
        return None;
    }
    Some(txlint::Progress(std::sync::Arc::new(|done, total| {
        if total <= FEW_HUNDRED || (done % 100 != 0 && done != total) {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = if done == total {
            write!(err, "\r\x1b[2K")
        } else {
            write!(err, "\rchecked {done}/{total} files")
        };
        let _ = err.flush();
    })))
}

/// `--statistics`: diagnostics per rule, most frequent first.
/// How many diagnostics each rule reported, most first: aligned columns,
/// or with `--format json` a list of `{"code", "rule", "count"}`.
fn statistics(report: &txlint::diagnostic::Report, format: Format) -> String {
    let mut counts: Vec<(&str, &str, usize)> = Vec::new();
    for (_, diagnostic) in report.diagnostics() {
        match counts
            .iter_mut()
            .find(|(code, _, _)| *code == diagnostic.code)
        {
            Some(entry) => entry.2 += 1,
            None => counts.push((diagnostic.code, diagnostic.rule, 1)),
        }
    }
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
    if format == Format::Json {
        let list: Vec<serde_json::Value> = counts
            .iter()
            .map(|(code, rule, count)| serde_json::json!({"code": code, "rule": rule, "count": count}))
            .collect();
        return serde_json::to_string_pretty(&list).unwrap_or_default() + "\n";
    }
    counts
        .iter()
        .map(|(code, rule, count)| format!("{count:>5}  {code}  {rule}\n"))
        .collect()
}

/// `COLUMNS` when set, else the terminal's own width, else 100.
fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .or_else(|| {
            terminal_size::terminal_size_of(std::io::stdout())
                .map(|(terminal_size::Width(width), _)| usize::from(width))
        })
        .unwrap_or(100)
}
