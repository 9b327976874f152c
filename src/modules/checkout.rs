//! The checkout as the module resolver reads it. A checkout in CI or in a
//! pre-commit hook is source only: build output that is not there reads as
//! the source it is built from (`dist/index.js` as `src/index.ts`), a
//! tsconfig that `extends` a package that is not installed extends the
//! workspace package of that name or nothing, and a `package.json` that is
//! not JSON reads as an empty one, so one broken file stops nothing.

use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use oxc_resolver::{FileMetadata, FileSystem, FileSystemOs, ResolveError};

use super::workspaces::{Manifests, Workspaces, package_name};
use super::{lock, nearest};

/// Build folders of a package whose `tsconfig.json` names none.
const BUILD_FOLDERS: &[&str] = &["dist", "build", "lib"];

/// What the resolver's file system knows beyond the disk, shared with the
/// code that asks the resolver.
#[derive(Default)]
pub(crate) struct Overlay {
    pub workspaces: Workspaces,
    /// Each package folder's build layout; `None` for a folder that holds
    /// no `package.json`.
    layouts: Mutex<FxHashMap<PathBuf, Option<Arc<Layout>>>>,
    /// The source file or folder each missing build path was read as.
    sources: Mutex<HashMap<PathBuf, PathBuf>>,
}

/// Where a package's build output comes from.
#[derive(Debug)]
struct Layout {
    /// The package's folder.
    folder: PathBuf,
    /// Each folder its builds write to, relative, with the folder of the
    /// sources it is built from; the deepest first (`dist/cjs` before
    /// `dist`).
    builds: Vec<(PathBuf, PathBuf)>,
}

impl Overlay {
    /// The file a path the resolver gave leads to: itself, or the source a
    /// missing build file was read as.
    pub fn source_of(&self, path: &Path) -> PathBuf {
        lock(&self.sources)
            .get(path)
            .cloned()
            .unwrap_or_else(|| path.to_path_buf())
    }

    /// The source that a missing `path` of build output is built from, if
    /// it is one and the source exists.
    fn source_for_missing(&self, path: &Path) -> Option<PathBuf> {
        if path.components().any(|c| c.as_os_str() == "node_modules") {
            return None;
        }
        let layout = nearest(&self.layouts, path.parent()?, |folder| {
            Layout::read(folder, &self.workspaces.manifests)
        })?;
        let below = path.strip_prefix(&layout.folder).ok()?;
        let (sources, built) = layout.builds.iter().find_map(|(output, sources)| {
            below
                .strip_prefix(output)
                .ok()
                .map(|built| (sources, built))
        })?;
        let source = source_candidates(&layout.folder.join(sources).join(built))
            .into_iter()
            .find(|candidate| FileSystemOs::symlink_metadata(candidate).is_ok())?;
        lock(&self.sources).insert(path.to_path_buf(), source.clone());
        Some(source)
    }

    /// A tsconfig's text with each `extends` of a package that is not
    /// installed leading to the workspace package of that name instead, or
    /// left out. Unchanged when nothing is to change or it is not JSON.
    fn tsconfig_text(&self, path: &Path, text: String) -> String {
        if !text.contains("\"extends\"") {
            return text;
        }
        let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&strip_jsonc(&text)) else {
            return text;
        };
        let Some(folder) = path.parent() else {
            return text;
        };
        let Some(object) = json.as_object_mut() else {
            return text;
        };
        let Some(extends) = object.get("extends") else {
            return text;
        };
        let listed = match extends {
            serde_json::Value::Array(list) => list.clone(),
            single => vec![single.clone()],
        };
        let was_list = extends.is_array();
        let mut changed = false;
        let mut kept = Vec::new();
        for entry in listed {
            let Some((name, rest)) = entry.as_str().and_then(package_name) else {
                kept.push(entry);
                continue;
            };
            if installed(folder, name) {
                kept.push(entry);
                continue;
            }
            changed = true;
            if let Some(package) = self.workspaces.package(folder, name) {
                let target = match rest {
                    "" => package,
                    rest => package.join(rest),
                };
                kept.push(target.to_string_lossy().into_owned().into());
            }
        }
        if !changed {
            return text;
        }
        match (was_list, kept.len()) {
            (_, 0) => object.remove("extends"),
            (false, _) => object.insert("extends".into(), kept.remove(0)),
            (true, _) => object.insert("extends".into(), kept.into()),
        };
        serde_json::to_string(&json).unwrap_or(text)
    }
}

impl Layout {
    /// The layout of the package in `folder`; `None` when `folder` holds
    /// no `package.json`. Each `tsconfig*.json` of the package that sets
    /// `outDir` says where one build writes (`tsconfig.cjs.json`,
    /// `tsconfig.esm.json`), from its `rootDir`, else `src`; with none,
    /// the usual build folders.
    fn read(folder: &Path, manifests: &Manifests) -> Option<Arc<Layout>> {
        manifests.of(folder)?;
        let mut configs: Vec<PathBuf> = std::fs::read_dir(folder)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|name| name.to_str())
                    .is_some_and(|name| name.starts_with("tsconfig") && name.ends_with(".json"))
            })
            .collect();
        configs.sort();
        let mut builds: Vec<(PathBuf, PathBuf)> = Vec::new();
        let mut default_sources = None;
        for config in configs {
            let Some(options) = read_regular(&config)
                .ok()
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .and_then(|text| {
                    serde_json::from_str::<serde_json::Value>(&strip_jsonc(&text)).ok()
                })
                .and_then(|json| json.get("compilerOptions").cloned())
            else {
                continue;
            };
            let option = |name: &str| folder_option(&options, name);
            let sources = option("rootDir");
            if config.ends_with("tsconfig.json") {
                default_sources.clone_from(&sources);
            }
            if let Some(output) = option("outDir") {
                builds.push((output, sources.unwrap_or_else(|| PathBuf::from("src"))));
            }
        }
        if builds.is_empty() {
            let sources = default_sources.unwrap_or_else(|| PathBuf::from("src"));
            builds = BUILD_FOLDERS
                .iter()
                .map(|output| (PathBuf::from(output), sources.clone()))
                .collect();
        }
        // Never the sources themselves (`rootDir` `.` and `outDir` `lib`).
        builds.retain(|(output, sources)| {
            !output.as_os_str().is_empty() && !sources.starts_with(output)
        });
        builds.sort_by_key(|(output, _)| std::cmp::Reverse(output.components().count()));
        Some(Arc::new(Layout {
            folder: folder.to_path_buf(),
            builds,
        }))
    }
}

/// A folder option of a tsconfig (`outDir`, `rootDir`), relative to the
/// config's folder; `None` when unset or leading out of it.
fn folder_option(options: &serde_json::Value, name: &str) -> Option<PathBuf> {
    let value = options.get(name)?.as_str()?;
    let value = value.strip_prefix("${configDir}").unwrap_or(value);
    let relative = super::normalize(Path::new(value.trim_start_matches('/')));
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(relative)
}

/// The source files a build file may come from, in order: the same name,
/// then TypeScript's (`index.js`, `index.mjs`, `index.d.ts` from
/// `index.ts`).
fn source_candidates(built: &Path) -> Vec<PathBuf> {
    let name = built.to_string_lossy();
    let mut candidates = vec![built.to_path_buf()];
    let typed: &[(&str, &[&str])] = &[
        (".d.ts", &[".ts", ".tsx"]),
        (".d.mts", &[".mts"]),
        (".d.cts", &[".cts"]),
        (".js", &[".ts", ".tsx"]),
        (".jsx", &[".tsx"]),
        (".mjs", &[".mts", ".ts"]),
        (".cjs", &[".cts", ".ts"]),
    ];
    if let Some((stem, sources)) = typed
        .iter()
        .find_map(|(built, sources)| name.strip_suffix(built).map(|stem| (stem, sources)))
    {
        candidates.extend(sources.iter().map(|e| PathBuf::from(format!("{stem}{e}"))));
    }
    candidates
}

/// Whether `node_modules/<name>` exists at or above `folder`.
fn installed(folder: &Path, name: &str) -> bool {
    folder
        .ancestors()
        .any(|dir| dir.join("node_modules").join(name).is_dir())
}

/// The resolver's file system: the disk, with the `Overlay`.
pub(crate) struct Checkout {
    pub overlay: Arc<Overlay>,
}

impl Checkout {
    /// `read` of `path`, or of the source that a missing build path is
    /// read as.
    fn or_source<T>(&self, path: &Path, read: impl Fn(&Path) -> io::Result<T>) -> io::Result<T> {
        match read(path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                match self.overlay.source_for_missing(path) {
                    Some(source) => read(&source),
                    None => Err(err),
                }
            }
            other => other,
        }
    }
}

impl FileSystem for Checkout {
    fn new() -> Self {
        Checkout {
            overlay: Arc::default(),
        }
    }

    /// Only `package.json` files are read as bytes.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let manifests = &self.overlay.workspaces.manifests;
        self.or_source(path, |path| {
            path.parent()
                .and_then(|folder| manifests.of(folder))
                .map(|bytes| bytes.to_vec())
                .ok_or_else(|| io::ErrorKind::NotFound.into())
        })
    }

    /// Only tsconfig files are read as text.
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        let bytes = self.or_source(path, read_regular)?;
        let text = String::from_utf8(bytes)
            .map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))?;
        Ok(self.overlay.tsconfig_text(path, text))
    }

    fn metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        self.or_source(path, FileSystemOs::metadata)
    }

    fn symlink_metadata(&self, path: &Path) -> io::Result<FileMetadata> {
        self.or_source(path, FileSystemOs::symlink_metadata)
    }

    fn read_link(&self, path: &Path) -> Result<PathBuf, ResolveError> {
        FileSystemOs::read_link(path)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.or_source(path, FileSystemOs::canonicalize)
    }
}

/// The bytes of a regular file: a FIFO or a device named like a config
/// file must not block the run.
pub(crate) fn read_regular(path: &Path) -> io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    std::fs::read(path)
}

/// JSON with comments and trailing commas, as `tsconfig.json` allows, made
/// plain JSON.
pub(crate) fn strip_jsonc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => out.extend(chars.next()),
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            _ => out.push(c),
        }
    }
    // A comma followed only by whitespace and a closing bracket.
    let mut plain = String::with_capacity(out.len());
    let mut in_string = false;
    let mut escaped = false;
    for (index, c) in out.char_indices() {
        if in_string {
            plain.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if c == '"' {
            in_string = true;
        }
        if c == ',' && out[index + 1..].trim_start().starts_with(['}', ']']) {
            continue;
        }
        plain.push(c);
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tsconfig_with_comments_and_trailing_commas() {
        let text = r#"{
  // Next.js default
  "compilerOptions": {
    "baseUrl": ".", /* root */
    "paths": { "@/*": ["./src/*"], "~lib": ["lib/index.ts"], },
    "note": "a // not a comment, and \"quoted\"",
  },
}"#;
        let json: serde_json::Value = serde_json::from_str(&strip_jsonc(text)).unwrap();
        assert_eq!(json["compilerOptions"]["paths"]["@/*"][0], "./src/*");
        assert_eq!(
            json["compilerOptions"]["note"],
            "a // not a comment, and \"quoted\""
        );
    }

    #[test]
    fn build_files_come_from_their_typescript_sources() {
        let names = |built: &str| -> Vec<String> {
            source_candidates(Path::new(built))
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(
            names("src/index.js"),
            ["src/index.js", "src/index.ts", "src/index.tsx"]
        );
        assert_eq!(
            names("src/index.d.ts"),
            ["src/index.d.ts", "src/index.ts", "src/index.tsx"]
        );
        assert_eq!(
            names("src/index.mjs"),
            ["src/index.mjs", "src/index.mts", "src/index.ts"]
        );
        assert_eq!(names("src/utils"), ["src/utils"]);
    }

    #[test]
    fn missing_build_output_reads_as_source() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| super::super::write_file(root, path, text);
        write("db/package.json", r#"{"main": "dist/index.js"}"#);
        write("db/src/index.ts", "");
        write("own/package.json", "{}");
        write(
            "own/tsconfig.json",
            r#"{"compilerOptions": {"outDir": "${configDir}/out/esm", "rootDir": "./source", }}"#,
        );
        write("own/source/client.ts", "");
        write("dual/package.json", "{}");
        write(
            "dual/tsconfig.json",
            r#"{"compilerOptions": {"outDir": "./dist"}}"#,
        );
        write(
            "dual/tsconfig.cjs.json",
            r#"{"compilerOptions": {"outDir": "./dist/cjs"}}"#,
        );
        write("dual/src/index.ts", "");
        write("plain/package.json", "{}");
        write("plain/lib/index.js", "");
        let overlay = Overlay::default();
        let source = |path: &str| {
            overlay
                .source_for_missing(&root.join(path))
                .map(|source| source.strip_prefix(root).unwrap().to_path_buf())
        };
        assert_eq!(source("db/dist/index.js"), Some("db/src/index.ts".into()));
        assert_eq!(source("db/dist"), Some("db/src".into()));
        assert_eq!(source("db/dist/missing.js"), None);
        assert_eq!(source("db/src/other.ts"), None, "not build output");
        assert_eq!(
            source("own/out/esm/client.js"),
            Some("own/source/client.ts".into())
        );
        assert_eq!(
            source("own/dist/client.js"),
            None,
            "its tsconfig says where"
        );
        assert_eq!(
            source("dual/dist/cjs/index.js"),
            Some("dual/src/index.ts".into())
        );
        assert_eq!(
            source("dual/dist/index.js"),
            Some("dual/src/index.ts".into())
        );
        assert_eq!(source("plain/lib/other.js"), None, "no sources to map to");
        assert_eq!(
            overlay.source_of(&root.join("db/dist/index.js")),
            root.join("db/src/index.ts")
        );
    }

    #[test]
    fn extends_of_packages_not_installed_lead_to_workspace_packages_or_nowhere() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| super::super::write_file(root, path, text);
        write("package.json", r#"{"workspaces": ["packages/*"]}"#);
        write(
            "packages/config/package.json",
            r#"{"name": "@acme/tsconfig"}"#,
        );
        write("node_modules/@tsconfig/strictest/tsconfig.json", "{}");
        let overlay = Overlay::default();
        let config = root.join("packages/api/tsconfig.json");
        let text = |text: &str| -> serde_json::Value {
            serde_json::from_str(&overlay.tsconfig_text(&config, text.to_string())).unwrap()
        };
        let missing = r#"{ "extends": "@tsconfig/node20/tsconfig.json", // not installed
            "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }"#;
        assert_eq!(
            text(missing),
            serde_json::json!({"compilerOptions": {"paths": {"@/*": ["./src/*"]}}})
        );
        let listed =
            r#"{"extends": ["@tsconfig/strictest", "./base.json", "@acme/tsconfig/node.json"]}"#;
        let workspace = root.join("packages/config/node.json");
        assert_eq!(
            text(listed),
            serde_json::json!({"extends": ["@tsconfig/strictest", "./base.json", workspace.to_string_lossy()]})
        );
        let relative = r#"{"extends": "./base.json"} // untouched"#;
        assert_eq!(overlay.tsconfig_text(&config, relative.into()), relative);
    }
}
