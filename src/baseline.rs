//! Adopting txlint on an existing codebase: `--write-baseline FILE` records
//! today's findings, `--baseline FILE` reports only the others. A finding is
//! recorded by code, path, function and a hash of its spanned text with
//! whitespace collapsed, not by line, so edits elsewhere keep it matched.
//! Paths are relative to the baseline file's folder, so that it matches
//! from wherever the run starts.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Report, stable_hash};
use crate::output::display_path;

const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    tool: String,
    version: u32,
    findings: Vec<Finding>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Finding {
    code: String,
    path: String,
    function: String,
    fingerprint: String,
}

/// Recorded findings, counted: the same finding twice in one function
/// needs two entries.
#[derive(Debug, Default)]
pub struct Baseline {
    findings: BTreeMap<Finding, usize>,
    paths: RecordedPaths,
}

/// Paths as a baseline file records them: relative to its folder.
#[derive(Debug, Default)]
struct RecordedPaths {
    /// The baseline's folder, absolute and canonical.
    folder: PathBuf,
    /// The current folder, the same way: shown paths are relative to it.
    cwd: PathBuf,
}

impl RecordedPaths {
    /// For the baseline file at `path`.
    fn of(path: &Path) -> RecordedPaths {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        RecordedPaths {
            folder: std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf()),
            cwd: std::env::current_dir()
                .and_then(std::fs::canonicalize)
                .unwrap_or_default(),
        }
    }

    /// `path` (as shown: relative to the current folder, or absolute)
    /// relative to the baseline's folder, `/`-separated: `../app/route.ts`
    /// when it lies beside it.
    fn recorded(&self, path: &Path) -> String {
        let joined = self.cwd.join(path);
        let absolute: Vec<Component> = joined
            .components()
            .filter(|c| *c != Component::CurDir)
            .collect();
        let base: Vec<Component> = self.folder.components().collect();
        let shared = absolute
            .iter()
            .zip(&base)
            .take_while(|(a, b)| a == b)
            .count();
        let mut relative = PathBuf::new();
        for _ in shared..base.len() {
            relative.push("..");
        }
        for component in &absolute[shared..] {
            relative.push(component.as_os_str());
        }
        display_path(&relative)
    }
}

fn finding(path: &str, text: &str, diagnostic: &Diagnostic) -> Finding {
    let start = (diagnostic.span.start as usize).min(text.len());
    let end = (diagnostic.span.end as usize).clamp(start, text.len());
    let spanned = text.get(start..end).unwrap_or_default();
    let spanned: Vec<&str> = spanned.split_whitespace().collect();
    let hash = stable_hash(&[diagnostic.code, &diagnostic.function, &spanned.join(" ")]);
    Finding {
        code: diagnostic.code.to_string(),
        path: path.to_string(),
        function: diagnostic.function.clone(),
        fingerprint: format!("{hash:016x}"),
    }
}

/// Record every diagnostic of `report` in `path`; returns how many.
pub fn write(report: &Report, path: &Path) -> Result<usize, String> {
    // Written first, so that its folder exists to be made canonical.
    std::fs::write(path, "").map_err(|err| {
        format!(
            "{}: could not write the baseline: {}",
            path.display(),
            crate::discover::io_message(&err)
        )
    })?;
    let paths = RecordedPaths::of(path);
    let mut findings: Vec<Finding> = report
        .files
        .iter()
        .flat_map(|file| {
            let shown = paths.recorded(&file.source.path);
            file.diagnostics
                .iter()
                .map(move |d| finding(&shown, &file.source.text, d))
        })
        .collect();
    findings.sort();
    let count = findings.len();
    let document = BaselineFile {
        tool: "txlint".to_string(),
        version: FORMAT_VERSION,
        findings,
    };
    let mut json = serde_json::to_string_pretty(&document).map_err(|err| err.to_string())?;
    json.push('\n');
    std::fs::write(path, json).map_err(|err| {
        format!(
            "{}: could not write the baseline: {}",
            path.display(),
            crate::discover::io_message(&err)
        )
    })?;
    Ok(count)
}

pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        format!(
            "{}: could not read the baseline: {}",
            path.display(),
            crate::discover::io_message(&err)
        )
    })?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|err| {
        format!(
            "{}: not a txlint baseline (line {}, column {}): {err}",
            path.display(),
            err.line(),
            err.column()
        )
    })?;
    if file.tool != "txlint" || file.version != FORMAT_VERSION {
        return Err(format!(
            "{}: a baseline of `{}` version {}, expected txlint version {FORMAT_VERSION}",
            path.display(),
            file.tool,
            file.version
        ));
    }
    let mut findings = BTreeMap::new();
    for finding in file.findings {
        *findings.entry(finding).or_insert(0) += 1;
    }
    Ok(Baseline {
        findings,
        paths: RecordedPaths::of(path),
    })
}

impl Baseline {
    /// Drop the diagnostics the baseline records; what is left is new.
    pub fn filter(&self, report: &mut Report) {
        let mut remaining = self.findings.clone();
        let mut hidden = 0;
        for file in &mut report.files {
            let shown = self.paths.recorded(&file.source.path);
            let text = &file.source.text;
            file.diagnostics.retain(|diagnostic| {
                match remaining.get_mut(&finding(&shown, text, diagnostic)) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        hidden += 1;
                        false
                    }
                    _ => true,
                }
            });
        }
        report.files.retain(|file| !file.diagnostics.is_empty());
        report.hidden_by_baseline += hidden;
    }
}
