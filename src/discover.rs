//! Finds the files to check: walks folders (skipping dependency, build and
//! hidden folders and `--exclude` globs), keeps files named on the command
//! line whatever their folder, and returns one sorted list.

use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use rayon::prelude::*;
use std::sync::Mutex;

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
        let found = std::sync::Mutex::new(Walked::default());
        walk(&root, excludes, cwd.as_deref(), &found);
        let walked = found.into_inner().unwrap_or_else(|e| e.into_inner());
        files.extend(walked.files);
        errors.extend(walked.errors);
    }
    files.sort();
    files.dedup();
    (files, errors)
}

/// What a walk found, in no particular order.
#[derive(Default)]
struct Walked {
    files: Vec<PathBuf>,
    errors: Vec<FileError>,
}

/// Walk `folder` and the folders below it, each folder's subfolders in
/// parallel (a large tree spends most of its discovery waiting on the file
/// system). Symbolic links are not followed, except a root named on the
/// command line.
fn walk(folder: &Path, excludes: &Excludes, cwd: Option<&Path>, found: &Mutex<Walked>) {
    let failed = |path: &Path, err: &std::io::Error| FileError {
        path: display_path_in(path, cwd),
        message: io_message(err),
    };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(err) => {
            lock(found).errors.push(failed(folder, &err));
            return;
        }
    };
    let mut files = Vec::new();
    let mut errors = Vec::new();
    let mut folders = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(err) => {
                errors.push(failed(folder, &err));
                continue;
            }
        };
        let path = entry.path();
        let file_type = match entry.file_type() {
            Ok(file_type) => file_type,
            Err(err) => {
                errors.push(failed(&path, &err));
                continue;
            }
        };
        if file_type.is_dir() {
            if !is_skipped_dir(&entry.file_name()) {
                folders.push(path);
            }
        } else if file_type.is_file()
            && Language::from_path(&path).is_some()
            && !excludes.matches(&path)
        {
            files.push(display_path_in(&path, cwd));
        }
    }
    {
        let mut found = lock(found);
        found.files.append(&mut files);
        found.errors.append(&mut errors);
    }
    folders
        .par_iter()
        .for_each(|folder| walk(folder, excludes, cwd, found));
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
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
