//! txlint: finds transaction-handling and connection-pool bugs. Files are
//! discovered, parsed by a front end, lowered to a flow IR per function, run
//! through the typestate engine, and the rules turn its facts into
//! diagnostics (`check_source` for one file, `check_paths` for a run).

pub mod baseline;
pub mod config;
pub mod diagnostic;
pub mod discover;
pub mod drivers;
pub mod fix;
mod flow;
mod frontend;
mod modules;
pub mod output;
mod prefilter;
pub mod rules;
pub mod server;
pub mod source;
mod suppression;
mod test_code;

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use diagnostic::{Diagnostic, FileError, FileReport, Label, Report};
use discover::{Excludes, discover, io_message};
use drivers::Drivers;
use flow::summary::Summaries;
use frontend::{FileContext, LowerError, LoweredFile, ModuleInterface};
use modules::{CalledNames, Linker, in_import_order, lock};
use prefilter::Prefilter;
use source::{Language, SourceFile, Span};

thread_local! {
    /// How many `catching` calls enclose the code running on this thread.
    static CATCHING: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Run `work`, catching a panic in it (a parser's, say) that then becomes
/// a finding or a file error.
pub(crate) fn catching<T>(work: impl FnOnce() -> T) -> std::thread::Result<T> {
    CATCHING.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(work));
    CATCHING.with(|depth| depth.set(depth.get() - 1));
    result
}

/// Whether a panic on this thread now would be caught and reported as a
/// finding or a file error: a panic hook keeps quiet about those.
pub fn panic_is_handled() -> bool {
    CATCHING.with(|depth| depth.get() > 0)
}

/// Analysis recurses over the syntax tree; it runs on a thread with this
/// much stack so that deep but legal nesting cannot overflow.
const ANALYSIS_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Check one file's text as if it were at `source.path`, with the
/// built-in drivers.
pub fn check_source(source: &SourceFile) -> Vec<Diagnostic> {
    check_source_with(source, Drivers::builtin())
}

fn check_source_with(source: &SourceFile, drivers: &Drivers) -> Vec<Diagnostic> {
    analyze(source, drivers, &no_imports, false, FileContext::default()).diagnostics
}

/// What a file imports is unknown when it is checked on its own.
fn no_imports(_: &ModuleInterface) -> Summaries {
    Summaries::new()
}

/// What checking one file found, and what other files may use of it.
struct Analysis {
    diagnostics: Vec<Diagnostic>,
    interface: Option<Box<ModuleInterface>>,
}

/// Check one file; `link` gives the summaries of the helpers it imports.
/// `all_bodies` parses the bodies of functions that name nothing to
/// follow too, so that a syntax error in one is reported.
fn analyze(
    source: &SourceFile,
    drivers: &Drivers,
    link: &Link,
    all_bodies: bool,
    context: FileContext,
) -> Analysis {
    let Some(language) = Language::from_path(&source.path) else {
        return Analysis {
            diagnostics: Vec::new(),
            interface: None,
        };
    };
    let mut diagnostics = Vec::new();
    let mut interface = None;
    match lower(&source.text, language, drivers, link, all_bodies, context) {
        Ok(lowered) => {
            if let Some(error) = lowered.recovered_error {
                diagnostics.push(parse_error(error));
            }
            for flow in &lowered.flows {
                let facts = flow::state::analyze(flow);
                for rule in rules::RULES {
                    if let Some(check) = rule.check {
                        check(flow, &facts, &source.text, &mut diagnostics);
                    }
                }
            }
            // A file that names nothing to follow has no flows, and no
            // helpers for others (unless it passes on another file's); the
            // run need not keep what it imports.
            if !lowered.flows.is_empty() || lowered.interface.reexports() {
                interface = Some(Box::new(lowered.interface));
            }
        }
        Err(error) => diagnostics.push(parse_error(error)),
    }
    suppression::apply(&source.text, &mut diagnostics);
    sort_diagnostics(&mut diagnostics);
    Analysis {
        diagnostics,
        interface,
    }
}

/// Gives a file the summaries of the helpers it imports.
type Link<'l> = dyn Fn(&ModuleInterface) -> Summaries + 'l;

/// Hand the text to the front end of its language.
fn lower(
    text: &str,
    language: Language,
    drivers: &Drivers,
    link: &Link,
    all_bodies: bool,
    context: FileContext,
) -> Result<LoweredFile, LowerError> {
    match language {
        Language::Rust => {
            frontend::rust::lower_file(text, drivers.rust(), link, all_bodies, context)
        }
        Language::TypeScript { .. } | Language::JavaScript { .. } => {
            frontend::ts::lower_file(text, language, drivers.typescript(), link)
        }
    }
}

/// `--parse-only`: the file's syntax error as TX000, nothing else.
fn parse_errors(source: &SourceFile) -> Vec<Diagnostic> {
    let error = match Language::from_path(&source.path) {
        Some(Language::Rust) => frontend::rust::parse_only(&source.text),
        Some(language) => frontend::ts::parse_only(&source.text, language),
        None => None,
    };
    error.map(parse_error).into_iter().collect()
}

fn parse_error(error: LowerError) -> Diagnostic {
    let rule = rules::rule("TX000").expect("TX000 is registered");
    Diagnostic {
        code: rule.code,
        rule: rule.name,
        severity: rule.severity,
        message: error.message.clone(),
        function: "<module>".to_string(),
        span: error.span,
        labels: vec![Label {
            message: error.message,
            span: error.span,
        }],
        help: "fix the syntax error; txlint cannot check this file until it parses".to_string(),
        in_test_code: false,
        fix: None,
    }
}

fn sort_diagnostics(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| {
        (a.span.start, a.code, a.span.end).cmp(&(b.span.start, b.code, b.span.end))
    });
    diagnostics.dedup_by(|a, b| (a.span, a.code) == (b.span, b.code));
}

/// What a run checks besides the paths themselves.
#[derive(Debug, Default, Clone)]
pub struct CheckOptions {
    pub exclude: Vec<String>,
    /// The configuration file `exclude` comes from, whose folder its
    /// patterns are relative to; `None` when they come from the command
    /// line (relative to the current folder).
    pub exclude_from: Option<PathBuf>,
    /// Exclude files named on the command line too (`--force-exclude`).
    pub force_exclude: bool,
    /// Rule codes to report; empty means all.
    pub select: Vec<String>,
    /// Rule codes never to report.
    pub ignore: Vec<String>,
    /// Severity overrides by rule code.
    pub severity: std::collections::BTreeMap<String, diagnostic::Severity>,
    /// Worker threads; `None` uses every available core.
    pub threads: Option<usize>,
    /// Parse every file, even those that contain none of the words any
    /// finding needs (see `Drivers::prefilter_words`).
    pub no_prefilter: bool,
    /// Driver files in the format of `rules/drivers/`, added to the
    /// built-in ones.
    pub drivers: Vec<PathBuf>,
    /// Functions that take care of what is passed to them (see
    /// `config::Config::safe_helpers`).
    pub safe_helpers: Vec<String>,
    /// Parse every file and stop there (for benchmarks): only syntax errors
    /// are reported.
    pub parse_only: bool,
    /// Told how many files are done of how many, as the run goes.
    pub progress: Option<Progress>,
    /// Also look for the configuration nearest to each checked file (see
    /// `NestedConfigs`); `None` when one configuration was named for all.
    pub nested_configs: Option<NestedConfigs>,
    /// Show resource-lifetime findings in test code too (see
    /// `Rule::shown_in_tests`).
    pub include_tests: bool,
}

/// A configuration file below the root of the run applies to the files
/// below it: its `select`, `ignore`, `severity` and `exclude` replace the
/// root's, except where the command line set them. Drivers, safe helpers
/// and `fail_on` are the root's, for the whole run.
#[derive(Debug, Default, Clone)]
pub struct NestedConfigs {
    /// The configuration whose settings the options already hold.
    pub root: Option<PathBuf>,
    pub select_flag: bool,
    pub ignore_flag: bool,
    pub exclude_flag: bool,
}

/// A callback for progress: `(files done, files in all)`, from any worker
/// thread.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress")
    }
}

impl CheckOptions {
    /// What a configuration file says, with no flag laid over it.
    pub fn from_config(config: config::Config) -> CheckOptions {
        CheckOptions {
            exclude_from: (!config.exclude.is_empty())
                .then_some(config.path)
                .flatten(),
            exclude: config.exclude,
            select: config.select,
            ignore: config.ignore,
            severity: config.severity,
            drivers: config.drivers,
            safe_helpers: config.safe_helpers,
            include_tests: config.check_tests,
            ..CheckOptions::default()
        }
    }

    fn load_drivers(&self) -> Result<std::borrow::Cow<'static, Drivers>, RunError> {
        if self.drivers.is_empty() && self.safe_helpers.is_empty() {
            return Ok(std::borrow::Cow::Borrowed(Drivers::builtin()));
        }
        Drivers::with_user_files(&self.drivers, &self.safe_helpers)
            .map(std::borrow::Cow::Owned)
            .map_err(RunError)
    }
}

impl CheckOptions {
    /// Keep the selected codes and give them their configured severity.
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        self.selection().apply(diagnostics);
    }

    fn selection(&self) -> config::Selection {
        config::Selection {
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            severity: self.severity.clone(),
        }
    }
}

/// Why a run could not start (bad arguments); per-file problems are in
/// `Report::errors` instead.
#[derive(Debug)]
pub struct RunError(pub String);

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Check text that is not on disk (an editor's unsaved buffer) as if it
/// were the file at `path`.
pub fn check_text(path: &Path, text: String, options: &CheckOptions) -> Result<Report, RunError> {
    check_text_among(path, text, options, Arc::default())
}

/// Unsaved buffers by absolute path: the text a helper module has in the
/// editor wins over its file on disk.
pub type OpenBuffers = Arc<HashMap<PathBuf, String>>;

/// `check_text`, reading the helper modules it imports from `open` first
/// and from disk otherwise.
pub fn check_text_among(
    path: &Path,
    text: String,
    options: &CheckOptions,
    open: OpenBuffers,
) -> Result<Report, RunError> {
    if Language::from_path(path).is_none() {
        return Err(RunError(format!(
            "{}: not a TypeScript, JavaScript or Rust file name",
            path.display()
        )));
    }
    let source = SourceFile {
        path: discover::display_path(path),
        text,
    };
    let drivers = options.load_drivers()?.into_owned();
    let worker = std::thread::Builder::new()
        .name("txlint-analysis".into())
        .stack_size(ANALYSIS_STACK_BYTES)
        .spawn({
            let options = options.clone();
            move || {
                // The unsaved buffer's imports are read as a check of the
                // saved file would read them, unless they are open too.
                let read = |path: &Path| match open.get(&absolute(path)) {
                    Some(text) => Some(text.clone()),
                    None => std::fs::read_to_string(path).ok(),
                };
                let load = |path: &Path, context: FileContext, link: &Link| {
                    module_interface(path, &read, &drivers, context, link)
                };
                let linker = Linker::new(&[], Vec::new(), &load);
                let link = |interface: &ModuleInterface| {
                    linker.imported_summaries(&source.path, interface)
                };
                let context = linker.file_context(&source.path, &source.text);
                let mut diagnostics =
                    analyze(&source, &drivers, &link, options.no_prefilter, context).diagnostics;
                options.apply(&mut diagnostics);
                let mut report = Report {
                    files_scanned: 1,
                    ..Report::default()
                };
                if !diagnostics.is_empty() {
                    report.files.push(FileReport {
                        source,
                        diagnostics,
                    });
                }
                test_code::hide_findings_in_tests(&mut report, options.include_tests);
                report
            }
        })
        .map_err(|err| RunError(format!("could not start the analysis thread: {err}")))?;
    worker
        .join()
        .map_err(|_| RunError("the analysis of standard input stopped unexpectedly".into()))
}

/// Check every file under `paths`.
pub fn check_paths(paths: &[PathBuf], options: &CheckOptions) -> Result<Report, RunError> {
    let base = options
        .exclude_from
        .as_deref()
        .and_then(Path::parent)
        .unwrap_or(Path::new("."));
    let excludes = Excludes::new(&options.exclude, base).map_err(|err| {
        RunError(match &options.exclude_from {
            Some(config) => format!("{}: invalid `exclude` pattern: {err}", config.display()),
            None => format!("invalid --exclude pattern: {err}"),
        })
    })?;
    let threads = options.threads.unwrap_or_else(|| {
        std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
    });
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .stack_size(ANALYSIS_STACK_BYTES)
        .thread_name(|index| format!("txlint-analysis-{index}"))
        .build()
        .map_err(|err| RunError(format!("could not start the analysis threads: {err}")))?;
    let drivers = options.load_drivers()?;
    let prefilter = (!options.no_prefilter).then(|| Prefilter::new(&drivers));
    let link_imports = !options.parse_only;
    // Each file is read, and scanned by the prefilter, as the walk finds it.
    let read = |path: &Path| read_file(path, prefilter.as_ref(), link_imports);
    let mut found = pool.install(|| discover(paths, &excludes, options.force_exclude, &read));
    let selections = match &options.nested_configs {
        Some(nested) => {
            config::nested_selections(paths, &mut found.files, &found.folders, options, nested)
                .map_err(|err| RunError(err.0))?
        }
        None => vec![None; found.files.len()],
    };
    let errors = found.errors;
    let (files, reads): (Vec<PathBuf>, Vec<Read>) = found.files.into_iter().unzip();
    let outcomes = pool.install(|| check_files(&files, reads, &drivers, options));
    let results = outcomes.into_iter().map(|outcome| outcome.result).collect();
    Ok(assemble(files.len(), results, &selections, errors, options))
}

/// Parse and check the files read already (`reads`, one per file) that
/// the prefilter keeps, in the order of their imports: a file is checked
/// after the files it imports, knowing their helpers, so that most files
/// are parsed and lowered once. What that order cannot settle (an import
/// cycle, a file the prefilter skipped that calls a helper found later)
/// is settled by `link_helpers`. Results are in the order of `files`, the
/// same on any number of threads.
fn check_files(
    files: &[PathBuf],
    reads: Vec<Read>,
    drivers: &Drivers,
    options: &CheckOptions,
) -> Vec<FileOutcome> {
    let done = std::sync::atomic::AtomicUsize::new(0);
    let progress = || {
        if let Some(progress) = &options.progress {
            let done = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            (progress.0)(done, files.len());
        }
    };
    let link_imports = !options.parse_only;
    let (slots, specifiers): (Vec<std::sync::Mutex<Slot>>, Vec<Option<Vec<String>>>) = reads
        .into_iter()
        .map(|read| match read {
            Read::Done(outcome) => {
                progress();
                (Slot::done(outcome), None)
            }
            Read::Pending { source, imports } => (Slot::pending(source), Some(imports)),
        })
        .unzip();
    let imports: Vec<Option<&[String]>> = specifiers.iter().map(Option::as_deref).collect();
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    let load = |path: &Path, context: FileContext, link: &Link| {
        module_interface(path, &read, drivers, context, link)
    };
    let mut linker = Linker::new(files, vec![None; files.len()], &load);
    let todo: Vec<bool> = imports.iter().map(Option::is_some).collect();
    linker.set_unread(todo.iter().map(|parsed| !parsed).collect());
    let order = linker.import_order(&imports);
    linker.set_order(Some(order.clone()));
    in_import_order(&order, &todo, &|index| {
        let Some(source) = lock(&slots[index]).pending.take() else {
            return;
        };
        let (used, mut outcome) = check_linked(source, drivers, options.into(), &linker);
        linker.publish(index, outcome.interface.take());
        let mut slot = lock(&slots[index]);
        slot.outcome = Some(outcome);
        slot.checked_with = used;
        drop(slot);
        progress();
    });
    linker.set_order(None);
    let mut outcomes = Vec::with_capacity(files.len());
    // What each file was checked with, of the helpers its code calls.
    let mut checked_with = Vec::with_capacity(files.len());
    for (index, slot) in slots.into_iter().enumerate() {
        let slot = slot.into_inner().unwrap_or_else(|e| e.into_inner());
        checked_with.push(match linker.interface_of(index) {
            Some(interface) => interface.uses(&slot.checked_with),
            None => slot.checked_with,
        });
        outcomes.push(slot.outcome.unwrap_or_else(FileOutcome::nothing));
    }
    if link_imports {
        link_helpers(
            files,
            &mut outcomes,
            drivers,
            options.into(),
            &mut linker,
            checked_with,
        );
    }
    outcomes
}

/// Check one file read already, giving it the helpers it imports from the
/// files the linker knows; also returns those it was given.
fn check_linked(
    source: SourceFile,
    drivers: &Drivers,
    reading: Reading,
    linker: &Linker,
) -> (Summaries, FileOutcome) {
    let used = std::sync::Mutex::new(Summaries::new());
    let path = source.path.clone();
    let link = |interface: &ModuleInterface| {
        let summaries = linker.imported_summaries(&path, interface);
        *used.lock().unwrap_or_else(|e| e.into_inner()) = summaries.clone();
        summaries
    };
    let context = linker.file_context(&path, &source.text);
    let outcome = check_read(source, drivers, reading, &link, context);
    let used = used.into_inner().unwrap_or_else(|e| e.into_inner());
    (used, outcome)
}

/// Rounds of checking files again as helpers become known through
/// other helpers (a helper built on an imported helper).
const MAX_LINK_ROUNDS: usize = 4;

/// A run with at most this many files skipped by the prefilter parses them
/// anyway, for their imports.
const SMALL_RUN: usize = 256;

/// Check again, knowing the helpers of the other files, each file that
/// calls one it was not checked with (`checked_with`): a file lowered
/// already that imports one (an import cycle), and a file the prefilter
/// skipped that names a helper returning a client. A file checked again
/// may show new helpers, so this repeats until nothing changes. An
/// imported file outside the run is read for its helpers but not reported.
fn link_helpers(
    files: &[PathBuf],
    outcomes: &mut [FileOutcome],
    drivers: &Drivers,
    reading: Reading,
    linker: &mut Linker,
    mut checked_with: Vec<Summaries>,
) {
    let mut scanned_words: Vec<String> = Vec::new();
    // A run of a few files (a pre-commit hook's) reads what the skipped
    // ones import: a helper outside the run may hand them a client or
    // begin a transaction on their connection.
    let skipped: Vec<usize> = (0..files.len()).filter(|&i| outcomes[i].skipped).collect();
    let mut first_round = if skipped.len() <= SMALL_RUN {
        skipped
    } else {
        Vec::new()
    };
    for _ in 0..MAX_LINK_ROUNDS {
        let mut again: Vec<usize> = (0..files.len())
            .into_par_iter()
            .filter(|&index| {
                linker.lowered(index)
                    && linker.imported_summaries_used(index, &files[index]) != checked_with[index]
            })
            .collect();
        let words = linker.duty_words();
        again.append(&mut first_round);
        if words != scanned_words && !words.is_empty() {
            let named: Vec<usize> = (0..files.len())
                .into_par_iter()
                .filter(|&index| {
                    outcomes[index].skipped
                        && !linker.lowered(index)
                        && outcomes[index]
                            .called
                            .as_ref()
                            .is_some_and(|called| words.iter().any(|w| called.contains(w)))
                })
                .collect();
            again.extend(named);
            scanned_words = words;
        }
        again.sort_unstable();
        again.dedup();
        if again.is_empty() {
            break;
        }
        let redone: Vec<(usize, Summaries, FileOutcome)> = again
            .into_par_iter()
            .map(|index| {
                let (used, outcome) = match read_source(&files[index]) {
                    Ok(Ok(source)) => check_linked(source, drivers, reading, linker),
                    // Unreadable now, or no longer text: what the first
                    // reading found stands.
                    _ => (Summaries::new(), FileOutcome::nothing()),
                };
                (index, used, outcome)
            })
            .collect();
        for (index, used, mut outcome) in redone {
            // A file the prefilter skipped keeps its silence about syntax
            // errors (see `Prefilter`): only what linking found is new.
            let only_parse_errors = matches!(&outcome.result, Ok(Some(file))
                if file.diagnostics.iter().all(|d| d.code == "TX000"));
            if !(outcomes[index].skipped && only_parse_errors) {
                outcomes[index].result = outcome.result;
            }
            outcomes[index].skipped = outcome.skipped;
            checked_with[index] = match &outcome.interface {
                Some(interface) => interface.uses(&used),
                None => used,
            };
            linker.set_interface(index, outcome.interface.take());
        }
    }
}

/// What a file outside the run exports, for the files of the run that
/// import it; `None` when it cannot be read or parsed.
fn module_interface(
    path: &Path,
    read: &dyn Fn(&Path) -> Option<String>,
    drivers: &Drivers,
    context: FileContext,
    link: &Link,
) -> Option<ModuleInterface> {
    let language = Language::from_path(path)?;
    let text = read(path)?;
    let lower = || lower(&text, language, drivers, link, false, context).ok();
    catching(lower)
        .ok()
        .flatten()
        .map(|lowered| lowered.interface)
}

fn assemble(
    scanned: usize,
    results: Vec<Result<Option<FileReport>, FileError>>,
    selections: &[Option<std::sync::Arc<config::Selection>>],
    mut errors: Vec<FileError>,
    options: &CheckOptions,
) -> Report {
    let mut report = Report {
        files_scanned: scanned,
        ..Report::default()
    };
    let root = options.selection();
    for (result, selection) in results.into_iter().zip(selections) {
        match result {
            Ok(Some(mut file)) => {
                selection
                    .as_deref()
                    .unwrap_or(&root)
                    .apply(&mut file.diagnostics);
                if !file.diagnostics.is_empty() {
                    report.files.push(file);
                }
            }
            Ok(None) => {}
            Err(error) => errors.push(error),
        }
    }
    report
        .files
        .sort_by(|a, b| a.source.path.cmp(&b.source.path));
    rules::across_files(&mut report.files);
    test_code::hide_findings_in_tests(&mut report, options.include_tests);
    errors.sort_by(|a, b| a.path.cmp(&b.path));
    report.errors = errors;
    report
}

/// One file's result, and what the run needs to link it with the others.
struct FileOutcome {
    /// `None` when it has nothing to report.
    result: Result<Option<FileReport>, FileError>,
    interface: Option<Box<ModuleInterface>>,
    /// Nothing in it was lowered: the prefilter found none of its words,
    /// or it names nothing to follow.
    skipped: bool,
    /// For a file the prefilter skipped, the names it calls (see
    /// `CalledNames`): a helper found later can matter to it only if it
    /// calls it, and only then is the file read again.
    called: Option<CalledNames>,
}

impl FileOutcome {
    /// A file with nothing to report and nothing to link.
    fn nothing() -> FileOutcome {
        FileOutcome {
            result: Ok(None),
            interface: None,
            skipped: false,
            called: None,
        }
    }
}

/// One file of the run while it waits for its turn, and after.
struct Slot {
    /// Its text, until it is checked.
    pending: Option<SourceFile>,
    outcome: Option<FileOutcome>,
    /// The imported helpers it was checked with.
    checked_with: Summaries,
}

impl Slot {
    fn done(outcome: FileOutcome) -> std::sync::Mutex<Slot> {
        std::sync::Mutex::new(Slot {
            pending: None,
            outcome: Some(outcome),
            checked_with: Summaries::new(),
        })
    }

    fn pending(source: SourceFile) -> std::sync::Mutex<Slot> {
        std::sync::Mutex::new(Slot {
            pending: Some(source),
            outcome: None,
            checked_with: Summaries::new(),
        })
    }
}

/// A file as read, before it is checked.
enum Read {
    /// Nothing more to do: unreadable, binary, not UTF-8, or skipped by the
    /// prefilter.
    Done(FileOutcome),
    /// To be parsed and checked, after the files it imports.
    Pending {
        source: SourceFile,
        /// The specifiers its text imports (see `import_specifiers`).
        imports: Vec<String>,
    },
}

/// Read one file and decide whether it needs parsing.
fn read_file(path: &Path, prefilter: Option<&Prefilter>, link_imports: bool) -> Read {
    let done = |result| {
        Read::Done(FileOutcome {
            result,
            ..FileOutcome::nothing()
        })
    };
    let source = match read_source(path) {
        Ok(Ok(source)) => source,
        Ok(Err(report)) => return done(Ok(Some(report))),
        Err(error) => return done(Err(error)),
    };
    let language = Language::from_path(path);
    let links = link_imports && language.is_some();
    if let (Some(prefilter), Some(language)) = (prefilter, language)
        && !prefilter.may_report(language, source.text.as_bytes())
    {
        return Read::Done(FileOutcome {
            skipped: true,
            called: links.then(|| CalledNames::of(&source.text)),
            ..FileOutcome::nothing()
        });
    }
    let imports = match links {
        true => modules::import_specifiers(path, &source.text),
        false => Vec::new(),
    };
    Read::Pending { source, imports }
}

/// How far the files of a run are read.
#[derive(Clone, Copy)]
struct Reading {
    /// `--parse-only`: parse, and report syntax errors only.
    parse_only: bool,
    /// `--no-prefilter`: parse every function body, even those that name
    /// nothing to follow, as every file is parsed.
    all_bodies: bool,
}

impl From<&CheckOptions> for Reading {
    fn from(options: &CheckOptions) -> Reading {
        Reading {
            parse_only: options.parse_only,
            all_bodies: options.no_prefilter,
        }
    }
}

/// Parse and check one file's text (or only parse it, `--parse-only`).
fn check_read(
    source: SourceFile,
    drivers: &Drivers,
    reading: Reading,
    link: &Link,
    context: FileContext,
) -> FileOutcome {
    let check = || match reading.parse_only {
        true => Analysis {
            diagnostics: parse_errors(&source),
            interface: None,
        },
        false => analyze(&source, drivers, link, reading.all_bodies, context),
    };
    let Ok(analysis) = catching(check) else {
        return FileOutcome {
            result: Err(FileError {
                path: source.path,
                message: "internal error while analysing this file".to_string(),
            }),
            ..FileOutcome::nothing()
        };
    };
    let skipped = analysis.interface.is_none();
    let diagnostics = analysis.diagnostics;
    FileOutcome {
        result: Ok((!diagnostics.is_empty()).then_some(FileReport {
            source,
            diagnostics,
        })),
        interface: analysis.interface,
        skipped,
        called: None,
    }
}

/// A file's text; a binary or non-UTF-8 file is, instead, its report with
/// the TX000 that says so.
fn read_source(path: &Path) -> Result<Result<SourceFile, FileReport>, FileError> {
    let bytes = std::fs::read(path).map_err(|err| FileError {
        path: path.to_path_buf(),
        message: format!("could not read: {}", io_message(&err)),
    })?;
    let (text, error, help) = if looks_binary(&bytes) {
        let error = LowerError {
            span: Span::new(0, 0),
            message: "binary file, not source code".into(),
        };
        let help = "nothing to check in a binary file: leave it out with `--exclude` or `exclude` in txlint.toml";
        (String::from_utf8_lossy(&bytes).into_owned(), error, help)
    } else {
        match String::from_utf8(bytes) {
            Ok(text) => {
                return Ok(Ok(SourceFile {
                    path: path.to_path_buf(),
                    text,
                }));
            }
            Err(err) => {
                let offset = err.utf8_error().valid_up_to() as u32;
                let error = LowerError {
                    span: Span::new(offset, offset),
                    message: format!("file is not valid UTF-8 (invalid byte at offset {offset})"),
                };
                let help = "save the file as UTF-8: txlint reads source text as UTF-8";
                (
                    String::from_utf8_lossy(err.as_bytes()).into_owned(),
                    error,
                    help,
                )
            }
        }
    };
    let mut diagnostic = parse_error(error);
    diagnostic.help = help.to_string();
    Ok(Err(FileReport {
        source: SourceFile {
            path: path.to_path_buf(),
            text,
        },
        diagnostics: vec![diagnostic],
    }))
}

/// The text of a checked file with its fixes applied (safe ones, and
/// unsafe ones too with `unsafe_fixes`), and how many were applied; `None`
/// when there is nothing to apply, or when the result would not parse.
pub fn fixed_text(file: &FileReport, unsafe_fixes: bool) -> Option<(String, usize)> {
    let fixes: Vec<&fix::Fix> = file
        .diagnostics
        .iter()
        .filter_map(|diagnostic| diagnostic.fix.as_ref())
        .filter(|fix| unsafe_fixes || fix.applicability == fix::Applicability::Safe)
        .collect();
    let (text, applied) = fix::apply(&file.source.text, fixes);
    let fixed = SourceFile {
        path: file.source.path.clone(),
        text,
    };
    (applied > 0 && parse_errors(&fixed).is_empty()).then_some((fixed.text, applied))
}

/// `path` from the working folder, `.` and `..` taken out.
fn absolute(path: &Path) -> PathBuf {
    modules::normalize(&std::env::current_dir().unwrap_or_default().join(path))
}

/// A file whose first 8 KiB are more than one part in 128 NUL bytes is
/// not source code. Source text may hold a few (a raw NUL separator in a
/// JavaScript string); binary formats and UTF-16 text hold many.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = &bytes[..bytes.len().min(8192)];
    let nuls = sample.iter().filter(|&&byte| byte == 0).count();
    nuls * 128 > sample.len()
}

/// The flow graph of every function in `source`, in Graphviz format (for
/// `txlint debug-flow`), lowered as a check of the file alone lowers it:
/// knowing the helpers it imports.
pub fn debug_flow(source: &SourceFile) -> String {
    let Some(language) = Language::from_path(&source.path) else {
        return String::from("// not a TypeScript, JavaScript or Rust file\n");
    };
    let drivers = Drivers::builtin();
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    let load = |path: &Path, context: FileContext, link: &Link| {
        module_interface(path, &read, drivers, context, link)
    };
    let linker = Linker::new(&[], Vec::new(), &load);
    let link = |interface: &ModuleInterface| linker.imported_summaries(&source.path, interface);
    let context = linker.file_context(&source.path, &source.text);
    match lower(&source.text, language, drivers, &link, false, context) {
        Ok(lowered) => lowered.flows.iter().map(flow::dot::to_dot).collect(),
        Err(error) => format!("// {}\n", error.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file that disappears between its folder's listing and its reading
    /// (a branch switch, a build step cleaning up) is an error for that
    /// file; the files around it are still checked.
    #[test]
    fn a_file_that_vanishes_before_it_is_read_is_an_error_for_that_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let broken = std::fs::read(root.join("fixtures/ts/express/reports.ts")).expect("fixture");
        for name in ["b.ts", "c.ts"] {
            std::fs::write(dir.path().join(name), &broken).expect("write");
        }
        let read = |path: &Path| {
            if path.ends_with("b.ts") {
                std::fs::remove_file(path).expect("remove");
            }
            read_file(path, None, true)
        };
        let excludes = Excludes::new(&[], Path::new(".")).expect("no pattern");
        let found = discover(&[dir.path().to_path_buf()], &excludes, false, &read);
        let (files, reads): (Vec<PathBuf>, Vec<Read>) = found.files.into_iter().unzip();
        let outcomes = check_files(&files, reads, Drivers::builtin(), &CheckOptions::default());
        let results: Vec<_> = outcomes.into_iter().map(|outcome| outcome.result).collect();
        match &results[..] {
            [Err(vanished), Ok(Some(checked))] => {
                assert!(vanished.path.ends_with("b.ts"));
                assert!(
                    vanished.message.starts_with("could not read"),
                    "{vanished:?}"
                );
                assert!(checked.source.path.ends_with("c.ts"));
                assert!(!checked.diagnostics.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
}
