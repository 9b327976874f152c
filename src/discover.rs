//! Finds the files to check: walks folders (skipping dependency, build and
//! hidden folders and `--exclude` globs), keeps files named on the command
//! line whatever their folder, and returns one sorted list.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use walkdir::WalkDir;

use crate::diagnostic::FileError;
use crate::source::Language;

/// Folders never walked into: dependencies, build output, VCS metadata.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    ".next",
    "dist",
    "build",
    "out",
    "coverage",
    "target",
];

/// `--exclude` patterns, matched against the whole path and each component.
pub struct Excludes {
    set: GlobSet,
}

impl Excludes {
    pub fn new(patterns: &[String]) -> Result<Excludes, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(Glob::new(pattern)?);
        }
        Ok(Excludes {
            set: builder.build()?,
        })
    }

    pub fn matches(&self, path: &Path) -> bool {
        if self.set.is_empty() {
            return false;
        }
        self.set.is_match(path)
            || path
                .components()
                .any(|c| matches!(c, Component::Normal(name) if self.set.is_match(name)))
    }
}

/// The files under `paths`, sorted and without duplicates, and the paths
/// that could not be walked.
pub fn discover(paths: &[PathBuf], excludes: &Excludes) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let cwd = std::env::current_dir().ok();
    for root in paths {
        let root = display_path(root);
        let metadata = match std::fs::metadata(&root) {
            Ok(metadata) => metadata,
            Err(err) => {
                errors.push(FileError {
                    path: root.clone(),
                    message: io_message(&err),
                });
                continue;
            }
        };
        if !metadata.is_file() && !metadata.is_dir() {
            // A FIFO, a socket or a device: reading it could block forever.
            errors.push(FileError {
                path: root,
                message: "not a regular file (a FIFO, socket or device); not read".to_string(),
            });
            continue;
        }
        if metadata.is_file() {
            // Named on the command line: always checked (pre-commit passes
            // file lists), if it is a language txlint reads.
            if Language::from_path(&root).is_some() {
                files.push(root);
            } else {
                errors.push(FileError {
                    path: root,
                    message: "not a TypeScript, JavaScript or Rust file".to_string(),
                });
            }
            continue;
        }
        let walker = WalkDir::new(&root)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|entry| {
                entry.depth() == 0
                    || !(entry.file_type().is_dir() && is_skipped_dir(entry.file_name()))
            });
        for entry in walker {
            let entry = match entry {
                Ok(entry) => entry,
                Err(err) => {
                    let path = err.path().map_or_else(|| root.clone(), Path::to_path_buf);
                    let message = err.io_error().map_or_else(|| err.to_string(), io_message);
                    errors.push(FileError {
                        path: display_path(&path),
                        message,
                    });
                    continue;
                }
            };
            let path = entry.path();
            if entry.file_type().is_file()
                && Language::from_path(path).is_some()
                && !excludes.matches(path)
            {
                files.push(display_path_in(path, cwd.as_deref()));
            }
        }
    }
    files.sort();
    files.dedup();
    (files, errors)
}

fn is_skipped_dir(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || SKIPPED_DIRS.contains(&name.as_ref())
}

/// A path as shown to the user: relative to the working directory when it
/// lies below it, without a leading `./`.
pub fn display_path(path: &Path) -> PathBuf {
    display_path_in(path, std::env::current_dir().ok().as_deref())
}

/// `display_path` with the working directory already known (a walk asks
/// for it once, not once per file).
fn display_path_in(path: &Path, cwd: Option<&Path>) -> PathBuf {
    let path = match cwd {
        Some(cwd) if path.is_absolute() => path
            .strip_prefix(cwd)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf),
        _ => path.to_path_buf(),
    };
    let cleaned: PathBuf = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}

/// `permission denied`, `no such file or directory`: the OS message without
/// the `(os error N)` tail, lowercase like every other message.
pub fn io_message(err: &std::io::Error) -> String {
    let message = match err.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let text = err.to_string();
            text.split(" (os error").next().unwrap_or(&text).to_string()
        }
    };
    crate::diagnostic::in_message_style(&message)
}
