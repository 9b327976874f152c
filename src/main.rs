//! The `txlint` command line: parses arguments, calls the library, writes
//! the report, and maps the outcome to an exit code.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use txlint::output::{self, Format, OutputOptions};
use txlint::{CheckOptions, rules};

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
    #[command(
        after_help = "Examples:\n  txlint check\n  txlint check app/api --format concise\n  \
                            txlint check src --exclude 'legacy/**' --format json"
    )]
    Check {
        /// Files or folders to check. Files named here are always checked.
        paths: Vec<PathBuf>,
        /// Output format (default: full on a terminal, concise otherwise).
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Skip paths matching this glob (repeatable), e.g. `generated/**`.
        #[arg(long, value_name = "GLOB")]
        exclude: Vec<String>,
    },
    /// Print the documentation of a rule, e.g. `txlint rule TX001`.
    Rule { code: String },
    /// List every rule with its code, name and severity.
    Rules,
    /// Print the flow graph of each function of a file in Graphviz format.
    #[command(hide = true)]
    DebugFlow { path: PathBuf },
}

/// Exit codes (DESIGN.md): nothing found, something found, could not run.
const EXIT_CLEAN: u8 = 0;
const EXIT_FOUND: u8 = 1;
const EXIT_FAILED: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check {
            paths,
            format,
            exclude,
        } => check(paths, format, exclude),
        Command::Rule { code } => match rules::rule(&code) {
            Some(rule) => print(rule.doc),
            None => {
                eprintln!("error: unknown rule code `{code}` (see `txlint rules`)");
                EXIT_FAILED
            }
        },
        Command::Rules => {
            let mut table = String::new();
            for rule in rules::RULES {
                table.push_str(&format!(
                    "{}  {:<18} {:<8} {}\n",
                    rule.code,
                    rule.name,
                    rule.severity.as_str(),
                    rule.summary
                ));
            }
            print(&table)
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
        Err(_) => EXIT_FAILED,
    }
}

fn check(paths: Vec<PathBuf>, format: Option<Format>, exclude: Vec<String>) -> u8 {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        paths
    };
    let report = match txlint::check_paths(&paths, &CheckOptions { exclude }) {
        Ok(report) => report,
        Err(err) => {
            eprintln!("error: {err}");
            return EXIT_FAILED;
        }
    };
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let format = format.unwrap_or(if terminal {
        Format::Full
    } else {
        Format::Concise
    });
    let options = OutputOptions {
        color: terminal && std::env::var_os("NO_COLOR").is_none(),
        width: terminal_width(),
    };
    let mut out = stdout.lock();
    if output::write(format, &report, &options, &mut out)
        .and_then(|()| out.flush())
        .is_err()
    {
        return EXIT_FAILED;
    }
    // Concise and json keep stdout to the findings; what could not be
    // checked is said on stderr, so it is never silent.
    if format != Format::Full {
        for error in &report.errors {
            eprintln!("error: {}: {}", error.path.display(), error.message);
        }
    }
    if !report.errors.is_empty() {
        EXIT_FAILED
    } else if report.diagnostic_count() > 0 {
        EXIT_FOUND
    } else {
        EXIT_CLEAN
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
