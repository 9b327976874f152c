//! `txlint.toml` (or `.txlint.toml`): which rules run, at which severity,
//! and which paths are skipped. Found by walking up from the first checked
//! path (and, for each file, from its folder), or named with `--config`.
//! Mistakes are errors that name the file, line and key: a typo in a
//! linter's config must not silently do nothing.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::{Excludes, WalkedFolder, WalkedFolders};
use crate::rules;
use crate::source::LineIndex;
use crate::{CheckOptions, NestedConfigs};

pub const FILE_NAMES: &[&str] = &["txlint.toml", ".txlint.toml"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    select: Vec<String>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    #[serde(default)]
    drivers: Vec<PathBuf>,
    #[serde(default)]
    fail_on: Option<String>,
    #[serde(default)]
    safe_helpers: Vec<String>,
    #[serde(default)]
    tests: Option<String>,
}

/// A checked configuration.
#[derive(Debug, Default, Clone)]
pub struct Config {
    /// Where it was read from, if anywhere.
    pub path: Option<PathBuf>,
    /// Rule codes to report; empty means all.
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub exclude: Vec<String>,
    /// Per-rule severity overrides, by code.
    pub severity: BTreeMap<String, Severity>,
    /// Extra driver files (the format of `rules/drivers/`), relative to the
    /// configuration file.
    pub drivers: Vec<PathBuf>,
    /// The least severity that makes a run fail (exit 1).
    pub fail_on: Option<Severity>,
    /// Functions that take care of the clients and transactions passed to
    /// them, though txlint cannot see their bodies (a package's
    /// `withTransaction`): by name (`runInTransaction`) or call path
    /// (`db.tx`).
    pub safe_helpers: Vec<String>,
    /// `tests = "check"`: show resource-lifetime findings in test code too
    /// (by default, `"skip"`, they are counted and not shown).
    pub check_tests: bool,
}

/// A configuration file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `folder` made canonical, built on its parent's canonical form: a folder
/// that is no symbolic link is its parent's plus its name. `realpath` of
/// every folder of a large tree would read every component's link again.
fn canonical_folder(
    folder: &Path,
    known: &mut FxHashMap<PathBuf, Option<PathBuf>>,
) -> Option<PathBuf> {
    if let Some(found) = known.get(folder) {
        return found.clone();
    }
    let found = match (folder.parent(), folder.file_name()) {
        (Some(parent), Some(name))
            if !parent.as_os_str().is_empty()
                && std::fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir()) =>
        {
            canonical_folder(parent, known).map(|parent| parent.join(name))
        }
        _ => std::fs::canonicalize(folder).ok(),
    };
    known.insert(folder.to_path_buf(), found.clone());
    found
}

/// The nearest configuration file at or above the canonical folder
/// `folder`, each folder looked into once per run.
fn nearest_in(folder: &Path, known: &mut FxHashMap<PathBuf, Option<PathBuf>>) -> Option<PathBuf> {
    if let Some(found) = known.get(folder) {
        return found.clone();
    }
    let found = FILE_NAMES
        .iter()
        .map(|name| folder.join(name))
        .find(|candidate| candidate.is_file())
        .or_else(|| nearest_in(folder.parent()?, known));
    known.insert(folder.to_path_buf(), found.clone());
    found
}

/// Finds the nearest configuration of the files of a folder as shown.
struct Lookup<'l> {
    walked: &'l WalkedFolders,
    /// By the folder as shown, each looked up once.
    by_folder: FxHashMap<PathBuf, Option<PathBuf>>,
    /// Each folder made canonical once (see `canonical_folder`).
    canonical: FxHashMap<PathBuf, Option<PathBuf>>,
    /// By canonical folder, so that each folder's files are looked for once
    /// (see `nearest_in`).
    nearest: FxHashMap<PathBuf, Option<PathBuf>>,
}

impl<'l> Lookup<'l> {
    fn new(walked: &'l WalkedFolders) -> Lookup<'l> {
        Lookup {
            walked,
            by_folder: FxHashMap::default(),
            canonical: FxHashMap::default(),
            nearest: FxHashMap::default(),
        }
    }

    /// Below a folder named on the command line, read off the walk, which
    /// saw each folder's entries; at and above it, looked for on disk.
    fn nearest(&mut self, folder: &Path) -> Option<PathBuf> {
        if let Some(found) = self.by_folder.get(folder) {
            return found.clone();
        }
        let found = match self.walked.get(folder) {
            Some(WalkedFolder {
                config: Some(name), ..
            }) => {
                canonical_folder(folder, &mut self.canonical).map(|canonical| canonical.join(name))
            }
            // Up by name, unless the folder is `.` or ends in `..` (the
            // run started inside the folder it checks): their parents are
            // not their prefixes, and are looked for on disk below.
            Some(WalkedFolder {
                config: None,
                root: false,
            }) if folder.file_name().is_some() => match folder.parent() {
                Some(parent) if parent.as_os_str().is_empty() => self.nearest(Path::new(".")),
                Some(parent) => self.nearest(parent),
                None => None,
            },
            _ => canonical_folder(folder, &mut self.canonical)
                .and_then(|canonical| nearest_in(&canonical, &mut self.nearest)),
        };
        self.by_folder.insert(folder.to_path_buf(), found.clone());
        found
    }
}

/// The nearest configuration file at or above `start`.
pub fn discover(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let mut dir = if start.is_dir() {
        Some(start.as_path())
    } else {
        start.parent()
    };
    while let Some(current) = dir {
        for name in FILE_NAMES {
            let candidate = current.join(name);
            if candidate.is_file() {
                return Some(candidate);
            }
        }
        dir = current.parent();
    }
    None
}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|err| {
        ConfigError(format!(
            "{}: could not read: {}",
            path.display(),
            crate::discover::io_message(&err)
        ))
    })?;
    let mut config = parse(&text, path)?;
    let folder = path.parent().unwrap_or(Path::new("."));
    config.drivers = config
        .drivers
        .iter()
        .map(|driver| folder.join(driver))
        .collect();
    Ok(config)
}

/// Parse and check a configuration's text; `path` is only for messages.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let at = |offset: usize| {
        let position = LineIndex::new(text).line_col(offset as u32);
        format!("{}:{}:{}", path.display(), position.line, position.column)
    };
    let raw: RawConfig = toml::from_str(text).map_err(|err| {
        let location = err
            .span()
            .map_or_else(|| path.display().to_string(), |span| at(span.start));
        ConfigError(format!("{location}: {}", err.message().trim()))
    })?;
    // Point at the key's line for mistakes found after parsing.
    let key_at = |key: &str| {
        text.lines()
            .position(|line| line.trim_start().starts_with(key))
            .map_or_else(
                || path.display().to_string(),
                |line| format!("{}:{}", path.display(), line + 1),
            )
    };
    for (key, codes) in [("select", &raw.select), ("ignore", &raw.ignore)] {
        check_codes(codes, key)
            .map_err(|message| ConfigError(format!("{}: {message}", key_at(key))))?;
    }
    let mut severity = BTreeMap::new();
    for (code, level) in &raw.severity {
        let rule = rules::rule(code).ok_or_else(|| {
            ConfigError(format!(
                "{}: `severity.{code}`: unknown rule code",
                key_at(code)
            ))
        })?;
        let Some(level) = parse_severity(level) else {
            return Err(ConfigError(format!(
                "{}: `severity.{code}`: `{level}` is not a severity (use \"error\" or \"warning\")",
                key_at(code)
            )));
        };
        severity.insert(rule.code.to_string(), level);
    }
    let fail_on = match raw.fail_on.as_deref() {
        None => None,
        Some(level) => Some(parse_severity(level).ok_or_else(|| {
            ConfigError(format!(
                "{}: `fail_on`: `{level}` is not a severity (use \"error\" or \"warning\")",
                key_at("fail_on")
            ))
        })?),
    };
    let check_tests = match raw.tests.as_deref() {
        None | Some("skip") => false,
        Some("check") => true,
        Some(other) => {
            return Err(ConfigError(format!(
                "{}: `tests`: `{other}` is not a choice (use \"check\" or \"skip\")",
                key_at("tests")
            )));
        }
    };
    Ok(Config {
        fail_on,
        check_tests,
        path: Some(path.to_path_buf()),
        select: normalize(&raw.select),
        ignore: normalize(&raw.ignore),
        exclude: raw.exclude,
        severity,
        drivers: raw.drivers,
        safe_helpers: raw.safe_helpers,
    })
}

/// Which rules a file reports, at which severity.
#[derive(Debug, Clone)]
pub(crate) struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub severity: BTreeMap<String, Severity>,
}

impl Selection {
    pub fn apply(&self, diagnostics: &mut Vec<Diagnostic>) {
        let wanted = |code: &str| {
            (self.select.is_empty() || self.select.iter().any(|c| c.eq_ignore_ascii_case(code)))
                && !self.ignore.iter().any(|c| c.eq_ignore_ascii_case(code))
        };
        diagnostics.retain(|d| wanted(d.code));
        for diagnostic in diagnostics {
            if let Some(&severity) = self.severity.get(diagnostic.code) {
                diagnostic.severity = severity;
            }
        }
    }
}

/// For each file, the selection of its nearest configuration when that is
/// not the root's (`None` for the root's); files a nested configuration
/// excludes are dropped, unless named on the command line.
pub(crate) fn nested_selections<T>(
    paths: &[PathBuf],
    files: &mut Vec<(PathBuf, T)>,
    walked: &WalkedFolders,
    options: &CheckOptions,
    nested: &NestedConfigs,
) -> Result<Vec<Option<Arc<Selection>>>, ConfigError> {
    let root = nested
        .root
        .as_ref()
        .and_then(|p| std::fs::canonicalize(p).ok());
    let mut lookup = Lookup::new(walked);
    let mut loaded: HashMap<PathBuf, (Arc<Selection>, Excludes)> = HashMap::new();
    let mut selections = Vec::with_capacity(files.len());
    let mut kept = Vec::with_capacity(files.len());
    for (file, item) in files.drain(..) {
        let folder = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        let folder = if folder.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            folder
        };
        let config_path = lookup.nearest(&folder);
        let Some(config_path) = config_path.filter(|p| Some(p) != root.as_ref()) else {
            selections.push(None);
            kept.push((file, item));
            continue;
        };
        if !loaded.contains_key(&config_path) {
            let config = load(&config_path)?;
            let pick = |flag: bool, root: &[String], own: Vec<String>| match flag {
                true => root.to_vec(),
                false => own,
            };
            let exclude = pick(nested.exclude_flag, &options.exclude, config.exclude);
            let base = match nested.exclude_flag {
                true => Path::new("."),
                false => config_path.parent().unwrap_or(Path::new(".")),
            };
            let excludes = Excludes::new(&exclude, base).map_err(|err| {
                ConfigError(format!(
                    "{}: invalid `exclude` pattern: {err}",
                    config_path.display()
                ))
            })?;
            let selection = Selection {
                select: pick(nested.select_flag, &options.select, config.select),
                ignore: pick(nested.ignore_flag, &options.ignore, config.ignore),
                severity: config.severity,
            };
            loaded.insert(config_path.clone(), (Arc::new(selection), excludes));
        }
        let (selection, excludes) = &loaded[&config_path];
        if excludes.matches(&file) && (options.force_exclude || !paths.contains(&file)) {
            continue;
        }
        selections.push(Some(selection.clone()));
        kept.push((file, item));
    }
    *files = kept;
    Ok(selections)
}

fn parse_severity(level: &str) -> Option<Severity> {
    match level {
        "error" => Some(Severity::Error),
        "warning" => Some(Severity::Warning),
        _ => None,
    }
}

/// Every code must be a registered rule; `message` names the bad one.
pub fn check_codes(codes: &[String], key: &str) -> Result<(), String> {
    match codes.iter().find(|code| rules::rule(code).is_none()) {
        Some(unknown) => Err(format!(
            "`{key}`: unknown rule code `{unknown}` (see `txlint rules`)"
        )),
        None => Ok(()),
    }
}

fn normalize(codes: &[String]) -> Vec<String> {
    codes.iter().map(|c| c.to_ascii_uppercase()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Config, ConfigError> {
        parse(text, Path::new("txlint.toml"))
    }

    #[test]
    fn reads_every_key() {
        let config = parse_str(
            "select = [\"TX001\", \"tx002\"]\nignore = [\"TX005\"]\nexclude = [\"legacy/**\"]\n\
             fail_on = \"error\"\nsafe_helpers = [\"runInTransaction\"]\ntests = \"check\"\n\
             [severity]\nTX002 = \"warning\"\n",
        )
        .expect("valid");
        assert_eq!(config.select, vec!["TX001", "TX002"]);
        assert_eq!(config.ignore, vec!["TX005"]);
        assert_eq!(config.exclude, vec!["legacy/**"]);
        assert_eq!(config.severity.get("TX002"), Some(&Severity::Warning));
        assert_eq!(config.fail_on, Some(Severity::Error));
        assert_eq!(config.safe_helpers, vec!["runInTransaction"]);
        assert!(config.check_tests);
        assert!(!parse_str("").expect("empty is valid").check_tests);
        let error = parse_str("tests = \"always\"\n").expect_err("not a choice");
        assert!(error.0.contains("`tests`"), "{}", error.0);
    }

    #[test]
    fn mistakes_name_file_line_and_key() {
        let err =
            parse_str("select = [\"TX001\"]\nselekt = [\"TX002\"]\n").expect_err("unknown key");
        assert!(
            err.0.starts_with("txlint.toml:2:1: unknown field `selekt`"),
            "{err}"
        );
        let err = parse_str("\nignore = [\"TX777\"]\n").expect_err("unknown code");
        assert_eq!(
            err.0,
            "txlint.toml:2: `ignore`: unknown rule code `TX777` (see `txlint rules`)"
        );
        let err = parse_str("[severity]\nTX001 = \"loud\"\n").expect_err("bad severity");
        assert!(
            err.0.contains("`severity.TX001`: `loud` is not a severity"),
            "{err}"
        );
        let err = parse_str("select = \"TX001\"\n").expect_err("wrong type");
        assert!(err.0.starts_with("txlint.toml:1:"), "{err}");
    }
}
