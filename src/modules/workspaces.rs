//! The packages of a repository's own workspaces, by name, read from the
//! workspace root's manifests (`package.json` `workspaces`,
//! `pnpm-workspace.yaml`, `lerna.json`): `@acme/db` imported in
//! `packages/api` leads to `packages/db` with nothing installed (a CI
//! checkout, a pre-commit hook).

use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use globset::{GlobBuilder, GlobSetBuilder};
use serde::de::IgnoredAny;

use super::checkout::read_regular;
use super::lock;

/// Folders looked into while matching one root's package globs, at most:
/// a `**` glob in a large checkout must not walk all of it.
const MAX_FOLDERS: usize = 20_000;

/// The workspace roots met so far, each read once.
#[derive(Default)]
pub(crate) struct Workspaces {
    /// The workspace that applies in each folder asked about: the nearest
    /// root at or above it.
    roots: Mutex<FxHashMap<PathBuf, Option<Arc<Workspace>>>>,
    pub manifests: Manifests,
}

/// Each folder's `package.json`, read once: the resolver, the workspaces
/// and the build layouts all ask for it.
#[derive(Default)]
pub(crate) struct Manifests(Mutex<HashMap<PathBuf, Option<Arc<[u8]>>>>);

impl Manifests {
    /// The text of the `package.json` in `folder`, `{}` for one that is not
    /// a JSON object (so that one broken file stops nothing, and no nesting
    /// deeper than `serde_json` takes reaches the resolver's parser); `None`
    /// without one.
    pub fn of(&self, folder: &Path) -> Option<Arc<[u8]>> {
        if let Some(known) = lock(&self.0).get(folder) {
            return known.clone();
        }
        let manifest = read_regular(&folder.join("package.json"))
            .ok()
            .map(|bytes| {
                let text = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(&bytes);
                match serde_json::from_slice::<BTreeMap<String, IgnoredAny>>(text) {
                    Ok(_) => Arc::from(bytes),
                    Err(_) => Arc::from(&b"{}"[..]),
                }
            });
        lock(&self.0).insert(folder.to_path_buf(), manifest.clone());
        manifest
    }

    /// The parsed `package.json` in `folder`.
    fn json(&self, folder: &Path) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.of(folder)?).ok()
    }
}

/// The packages of one workspace root: each `name` and its folder.
#[derive(Debug, Default)]
pub(crate) struct Workspace {
    packages: HashMap<String, PathBuf>,
}

impl Workspaces {
    /// The folder of the workspace package `name` as the module in `folder`
    /// (absolute) sees it.
    pub fn package(&self, folder: &Path, name: &str) -> Option<PathBuf> {
        let workspace = super::nearest(&self.roots, folder, |dir| {
            let globs = package_globs(dir, &self.manifests)?;
            Some(Arc::new(Workspace::read(dir, &globs, &self.manifests)))
        })?;
        workspace.packages.get(name).cloned()
    }
}

impl Workspace {
    /// The packages that `globs` (relative to `root`) name. Two packages of
    /// one name: the first in path order counts.
    fn read(root: &Path, globs: &[String], manifests: &Manifests) -> Workspace {
        let mut packages = HashMap::new();
        for folder in package_folders(root, globs, manifests) {
            let name = manifests
                .json(&folder)
                .and_then(|manifest| manifest.get("name")?.as_str().map(str::to_string));
            if let Some(name) = name {
                packages.entry(name).or_insert(folder);
            }
        }
        Workspace { packages }
    }
}

/// The package globs that `root` declares, or `None` when it is no
/// workspace root. Globs starting with `!` leave folders out.
fn package_globs(root: &Path, manifests: &Manifests) -> Option<Vec<String>> {
    let strings = |list: &serde_json::Value| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter_map(|glob| glob.as_str().map(str::to_string))
            .collect()
    };
    // Every package manager's workspace root holds a `package.json`: a
    // folder without one costs one look.
    let manifest = manifests.of(root)?;
    let mut globs = None::<Vec<String>>;
    // npm and yarn: an array, or yarn's `{ "packages": [..], "nohoist": [..] }`.
    if let Some(workspaces) = memchr::memmem::find(&manifest, b"\"workspaces\"")
        .and_then(|_| serde_json::from_slice::<serde_json::Value>(&manifest).ok())
        .as_ref()
        .and_then(|manifest| manifest.get("workspaces"))
    {
        let list = workspaces.get("packages").unwrap_or(workspaces);
        globs.get_or_insert_default().extend(strings(list));
    }
    if let Some(text) = read_regular(&root.join("pnpm-workspace.yaml"))
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
    {
        globs.get_or_insert_default().extend(pnpm_globs(&text));
    }
    // Lerna reads the other two when they exist; its own default otherwise.
    if let Some(lerna) = read_json(&root.join("lerna.json")) {
        match lerna.get("packages") {
            Some(list) => globs.get_or_insert_default().extend(strings(list)),
            None if globs.is_none() => globs = Some(vec!["packages/*".to_string()]),
            None => {}
        }
    }
    globs
}

/// The `packages` list of a `pnpm-workspace.yaml`; nothing when the text
/// is not YAML.
fn pnpm_globs(text: &str) -> Vec<String> {
    let Ok(documents) = yaml_rust2::YamlLoader::load_from_str(text) else {
        return Vec::new();
    };
    documents
        .first()
        .and_then(|document| document["packages"].as_vec())
        .into_iter()
        .flatten()
        .filter_map(|glob| glob.as_str().map(str::to_string))
        .collect()
}

/// The folders below `root` that `globs` name and that hold a
/// `package.json`, sorted. Dependencies and hidden folders are not walked,
/// nor symbolic links (a link loop cannot hold the walk).
fn package_folders(root: &Path, globs: &[String], manifests: &Manifests) -> Vec<PathBuf> {
    let mut included = GlobSetBuilder::new();
    let mut excluded = GlobSetBuilder::new();
    // Where each glob can match: below its literal start, so deep.
    let mut reaches: Vec<(PathBuf, Option<usize>)> = Vec::new();
    for glob in globs {
        let (negated, glob) = match glob.strip_prefix('!') {
            Some(glob) => (true, glob),
            None => (false, glob.as_str()),
        };
        let glob = glob.trim_start_matches("./").trim_end_matches('/');
        let Ok(compiled) = GlobBuilder::new(glob).literal_separator(true).build() else {
            continue;
        };
        if negated {
            excluded.add(compiled);
        } else {
            included.add(compiled);
            let literal: PathBuf = Path::new(glob)
                .components()
                .take_while(|c| {
                    !c.as_os_str()
                        .to_string_lossy()
                        .contains(['*', '?', '[', '{'])
                })
                .collect();
            let depth = (!glob.contains("**")).then(|| Path::new(glob).components().count());
            reaches.push((literal, depth));
        }
    }
    let (Ok(included), Ok(excluded)) = (included.build(), excluded.build()) else {
        return Vec::new();
    };
    let worth_walking = |relative: &Path| {
        let depth = relative.components().count();
        reaches.iter().any(|(literal, max_depth)| {
            (literal.starts_with(relative) || relative.starts_with(literal))
                && max_depth.is_none_or(|max| depth < max)
        })
    };
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    let mut visited = 0;
    while let Some(relative) = pending.pop() {
        visited += 1;
        if visited > MAX_FOLDERS {
            break;
        }
        let folder = root.join(&relative);
        if !relative.as_os_str().is_empty()
            && included.is_match(&relative)
            && !excluded.is_match(&relative)
            && manifests.of(&folder).is_some()
        {
            found.push(folder.clone());
        }
        if !worth_walking(&relative) {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut children: Vec<PathBuf> = entries
            .flatten()
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .map(|entry| entry.file_name())
            .filter(|name| {
                let name = name.to_string_lossy();
                !name.starts_with('.') && name != "node_modules"
            })
            .map(|name| relative.join(name))
            .collect();
        // Reversed onto the stack: folders are walked in name order, so the
        // same folders are found whatever the walk's limit cuts.
        children.sort_unstable_by(|a, b| b.cmp(a));
        pending.extend(children);
    }
    found.sort();
    found
}

/// A JSON file's value; `None` when it cannot be read or parsed.
fn read_json(path: &Path) -> Option<serde_json::Value> {
    serde_json::from_slice(&read_regular(path).ok()?).ok()
}

/// The package name a bare specifier starts with (`@acme/db` of
/// `@acme/db/client`, `lodash` of `lodash/fp`), and the rest.
pub(crate) fn package_name(specifier: &str) -> Option<(&str, &str)> {
    if specifier.starts_with(['.', '/', '#']) || specifier.is_empty() {
        return None;
    }
    let segments = if specifier.starts_with('@') { 2 } else { 1 };
    let end = specifier
        .match_indices('/')
        .nth(segments - 1)
        .map_or(specifier.len(), |(at, _)| at);
    let (name, rest) = specifier.split_at(end);
    let valid = Path::new(name)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    valid.then(|| (name, rest.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::super::write_file as write;

    #[test]
    fn package_names_are_split_from_their_subpaths() {
        assert_eq!(package_name("@acme/db"), Some(("@acme/db", "")));
        assert_eq!(
            package_name("@acme/db/client/x"),
            Some(("@acme/db", "client/x"))
        );
        assert_eq!(package_name("lodash/fp"), Some(("lodash", "fp")));
        assert_eq!(package_name("./db"), None);
        assert_eq!(package_name("#internal"), None);
        assert_eq!(package_name("@acme/.."), None);
    }

    #[test]
    fn every_workspace_style_names_its_packages() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "npm/package.json",
            r#"{"workspaces": ["packages/*", "!packages/old"]}"#,
        );
        write(
            root,
            "npm/packages/db/package.json",
            r#"{"name": "@acme/db"}"#,
        );
        write(
            root,
            "npm/packages/old/package.json",
            r#"{"name": "@acme/old"}"#,
        );
        write(root, "npm/packages/no-name/package.json", "{}");
        write(root, "npm/packages/broken/package.json", "{ not json");
        write(
            root,
            "yarn/package.json",
            r#"{"workspaces": {"packages": ["libs/**"]}}"#,
        );
        write(root, "yarn/libs/deep/db/package.json", r#"{"name": "db"}"#);
        write(
            root,
            "yarn/libs/node_modules/x/package.json",
            r#"{"name": "x"}"#,
        );
        write(root, "pnpm/package.json", "{ broken");
        write(
            root,
            "pnpm/pnpm-workspace.yaml",
            "packages:\n  - 'apps/*'\n  - \"libs/*\"\n",
        );
        write(root, "pnpm/libs/db/package.json", r#"{"name": "@pn/db"}"#);
        write(root, "lerna/package.json", "{}");
        write(root, "lerna/lerna.json", r#"{"version": "1.0.0"}"#);
        write(
            root,
            "lerna/packages/db/package.json",
            r#"{"name": "@le/db"}"#,
        );
        write(root, "bad/package.json", "{}");
        write(root, "bad/pnpm-workspace.yaml", "packages: [unclosed");
        let workspaces = Workspaces::default();
        let seen_from = |root: &Path, name: &str| {
            workspaces
                .package(&root.join("apps/api/src"), name)
                .map(|folder| folder.strip_prefix(root).unwrap().to_path_buf())
        };
        let npm = root.join("npm");
        assert_eq!(seen_from(&npm, "@acme/db"), Some("packages/db".into()));
        assert_eq!(seen_from(&npm, "@acme/old"), None);
        let yarn = root.join("yarn");
        assert_eq!(seen_from(&yarn, "db"), Some("libs/deep/db".into()));
        assert_eq!(seen_from(&yarn, "x"), None);
        let pnpm = root.join("pnpm");
        assert_eq!(seen_from(&pnpm, "@pn/db"), Some("libs/db".into()));
        let lerna = root.join("lerna");
        assert_eq!(seen_from(&lerna, "@le/db"), Some("packages/db".into()));
        assert_eq!(seen_from(&root.join("bad"), "db"), None);
    }
}
