//! Links the modules of one run: resolves import specifiers to source files
//! (scripts as TypeScript resolves them, the repository's own workspace
//! packages included, see `scripts`; Rust module paths, see `crates`), so
//! that a call of an imported helper means what the helper's own body does
//! (see `flow::summary`).

mod checkout;
mod crates;
mod scripts;
mod workspaces;

/// Writes `text` at `path` below `root`, making its folders: for tests
/// that lay out a tree on disk.
#[cfg(test)]
fn write_file(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a path below root")).expect("create folders");
    std::fs::write(path, text).expect("write file");
}

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::flow::summary::{Summaries, Summary};
use crate::frontend::rust::{
    TraitMethods, TraitMethodsReader, functions_taking_handles, implemented_types,
    invokes_other_files_macro, macro_definitions_in_text,
};
use crate::frontend::{FileContext, Import, ModuleInterface};

/// Reads what a file outside the run exports (a helper module that an
/// import names but the run does not check), given what it is told
/// beyond its text and the summaries of what that file imports in turn.
pub(crate) type Loader<'a> = dyn Fn(&Path, FileContext, &dyn Fn(&ModuleInterface) -> Summaries) -> Option<ModuleInterface>
    + Sync
    + 'a;

/// How many imports deep files outside the run are read: a helper module,
/// the modules its helpers come from, and theirs (a mail template that
/// fills itself from a model's query). A pre-commit run must not read a
/// project's whole import graph.
const OUTSIDE_DEPTH: usize = 3;

/// Re-exports followed from one module (barrel files of barrel files).
const MAX_REEXPORT_HOPS: usize = 8;

/// The files of a run and what each exports.
pub(crate) struct Linker<'a> {
    paths: &'a [PathBuf],
    files: FxHashMap<Cow<'a, Path>, usize>,
    /// Files of the run named from above the run's folder (`../shared`),
    /// by absolute path.
    above: FxHashMap<PathBuf, usize>,
    interfaces: RwLock<Vec<Option<Arc<ModuleInterface>>>>,
    /// While the run is checked in import order (see `import_order`), the
    /// files each file may see: those it imports, checked before it.
    order: Option<Vec<Vec<usize>>>,
    /// Files outside the run that imports named, read once per depth.
    outside: Mutex<FxHashMap<(PathBuf, usize), Outside>>,
    /// The last reading of each of them, with the summaries its imports
    /// gave it: at another depth that gives the same, it reads the same.
    read_with: Mutex<FxHashMap<PathBuf, (Summaries, Outside)>>,
    load: &'a Loader<'a>,
    /// Where script imports lead.
    scripts: scripts::Scripts,
    /// Where each specifier leads from each importing folder, shared by
    /// the threads: a module's imports are resolved once however often it
    /// is linked.
    resolved: Mutex<FxHashMap<PathBuf, HashMap<String, Option<Resolved>>>>,
    /// The Cargo packages that Rust paths lead through.
    crates: crates::Crates,
    /// Files of the run that are not parsed (the prefilter skipped them).
    unread: Vec<bool>,
    /// What each module exports, re-exports followed, by path, depth and
    /// re-export hops (see `exported_view`): a barrel is flattened once.
    views: Mutex<FxHashMap<(PathBuf, usize, usize), View>>,
    /// What Rust files define, read from their text (see `defined_in`).
    defined: Mutex<FxHashMap<PathBuf, Arc<Defined>>>,
    /// Per crate, by its root's folder: the files implementing each type,
    /// as `implementing` filters them.
    crate_types: Mutex<FxHashMap<PathBuf, Arc<ImplementedTypes>>>,
    /// Per crate, by its root's folder: its `macro_rules!` (see
    /// `crate_macros`).
    crate_macros: Mutex<FxHashMap<PathBuf, Arc<HashMap<String, String>>>>,
    /// Per workspace, by its folder: its trait methods implemented for
    /// database handles (see `trait_methods`).
    trait_methods: Mutex<FxHashMap<PathBuf, Arc<TraitMethods>>>,
    /// The run's files as absolute paths, sorted, made when first asked
    /// (see `out_of_reach`).
    run_paths: std::sync::OnceLock<Vec<Vec<u8>>>,
}

/// What a Rust file defines, read from its text without parsing it.
struct Defined {
    /// Functions with a parameter typed as a connection, transaction or
    /// executor.
    functions: HashSet<String>,
    /// Types it implements something for.
    types: HashSet<String>,
}

/// A crate's files that implement something for each type (`impl Label`,
/// `impl Crud for Person`), in path order: the files `implementing` looks
/// through for a type's methods, found without walking the whole crate
/// again for every importer of every type.
type ImplementedTypes = HashMap<String, Vec<(PathBuf, Arc<Defined>)>>;

/// A module's exported summaries by the path an importer writes.
type View = Arc<Vec<(String, Summary)>>;

/// What a file outside the run exports; `None` when it cannot be read.
type Outside = Option<Arc<ModuleInterface>>;

/// Where a specifier leads: the file, and for a Rust path that goes on
/// past its module, the item it names there, `.`-joined (`begin`,
/// `Db.begin`; empty otherwise).
type Resolved = (Target, String);

/// Where an import leads.
#[derive(Clone)]
enum Target {
    /// A file of the run, by index.
    Run(usize),
    /// A source file outside the run.
    Outside(PathBuf),
}

impl<'a> Linker<'a> {
    /// `interfaces[i]` belongs to `paths[i]`; `None` for a file that was
    /// not lowered.
    pub fn new(
        paths: &'a [PathBuf],
        interfaces: Vec<Option<Box<ModuleInterface>>>,
        load: &'a Loader<'a>,
    ) -> Linker<'a> {
        // Discovered paths are normal already; only odd ones are copied.
        let files = paths
            .iter()
            .enumerate()
            .map(|(index, path)| {
                let normal = normalize(path);
                let key = if normal == *path {
                    Cow::Borrowed(path.as_path())
                } else {
                    Cow::Owned(normal)
                };
                (key, index)
            })
            .collect();
        let cwd = std::env::current_dir().unwrap_or_default();
        // The others are found by the resolver's path spelled as the run
        // spells paths (see `resolve_item`).
        let above = paths
            .iter()
            .enumerate()
            .filter(|(_, path)| path.starts_with(".."))
            .map(|(index, path)| (normalize(&cwd.join(path)), index))
            .collect();
        let scripts = scripts::Scripts::new(cwd);
        Linker {
            paths,
            files,
            above,
            interfaces: RwLock::new(
                interfaces
                    .into_iter()
                    .map(|i| i.map(|i| Arc::new(*i)))
                    .collect(),
            ),
            order: None,
            outside: Mutex::new(FxHashMap::default()),
            read_with: Mutex::new(FxHashMap::default()),
            load,
            scripts,
            resolved: Mutex::new(FxHashMap::default()),
            crates: crates::Crates::default(),
            unread: Vec::new(),
            views: Mutex::new(FxHashMap::default()),
            defined: Mutex::new(FxHashMap::default()),
            crate_types: Mutex::new(FxHashMap::default()),
            crate_macros: Mutex::new(FxHashMap::default()),
            trait_methods: Mutex::new(FxHashMap::default()),
            run_paths: std::sync::OnceLock::new(),
        }
    }

    /// Mark the files of the run that are not parsed, before anything is
    /// resolved (see `resolve_rust`).
    pub fn set_unread(&mut self, unread: Vec<bool>) {
        self.unread = unread;
    }

    /// Whether the file at `index` of the run was lowered.
    pub fn lowered(&self, index: usize) -> bool {
        read(&self.interfaces)[index].is_some()
    }

    /// What the file at `index` exports, now that it was checked again.
    /// The flattened views may have changed with it. A Rust file the
    /// prefilter skipped, lowered now, is linked as the run's from here
    /// on: what its imports give it at any depth is known.
    pub fn set_interface(&mut self, index: usize, interface: Option<Box<ModuleInterface>>) {
        if interface.is_some()
            && let Some(unread) = self.unread.get_mut(index)
        {
            *unread = false;
        }
        self.interfaces.get_mut().unwrap_or_else(|e| e.into_inner())[index] =
            interface.map(|i| Arc::new(*i));
        lock(&self.views).clear();
    }

    /// What the file at `index` exports, as far as linking knows.
    pub fn interface_of(&self, index: usize) -> Option<Arc<ModuleInterface>> {
        read(&self.interfaces)[index].clone()
    }

    /// What the file at `index` exports, checked in import order: only the
    /// files that import it see it, and only after it was checked, so no
    /// view made before is out of date.
    pub fn publish(&self, index: usize, interface: Option<Box<ModuleInterface>>) {
        write(&self.interfaces)[index] = interface.map(|i| Arc::new(*i));
    }

    /// Check in import order (`Some`, from `import_order`), or see every
    /// file (`None`). What was seen in order is forgotten with it.
    pub fn set_order(&mut self, order: Option<Vec<Vec<usize>>>) {
        self.order = order;
        lock(&self.views).clear();
        // A skipped Rust module is read once: what was read of it in order
        // stands (its own functions linked without the files of the run).
        // The re-exports it passes on are followed anew, in views cleared
        // here (see `visible`).
        let unread = |path: &Path| self.unread_rust(path);
        lock(&self.outside).retain(|(path, _), _| unread(path));
    }

    /// A Rust file of the run that was not parsed, read only for the
    /// functions its importers call (see `resolve_rust`).
    fn unread_rust(&self, path: &Path) -> bool {
        is_rust(path)
            && self
                .files
                .get(path)
                .is_some_and(|&index| self.unread.get(index) == Some(&true))
    }

    /// Whether the module at `from` may see the file of the run `to`:
    /// always, except in import order, where a module sees only the files
    /// it imports (checked before it). What a cycle hides then is settled
    /// by checking again.
    fn visible(&self, from: &Path, to: usize) -> bool {
        let Some(order) = &self.order else {
            return true;
        };
        // A skipped Rust module (a `mod.rs` that only passes a function on
        // with `pub use`) is not in the order: it sees the files of the run
        // once all are checked, and its importers are checked again then.
        if self.unread_rust(from) {
            return false;
        }
        self.files
            .get(from)
            .is_some_and(|&from| order[from].binary_search(&to).is_ok())
    }

    /// The order in which linking needs the files of the run: for each
    /// file, the files it imports that must be checked before it, so that
    /// it is checked once, knowing their helpers. `imports[i]` holds the
    /// specifiers of a file to check, `None` for one that is not checked.
    /// An import cycle is cut where a walk of the imports closes it;
    /// `link_helpers` settles what that leaves.
    pub fn import_order(&self, imports: &[Option<&[String]>]) -> Vec<Vec<usize>> {
        let count = imports.len();
        let dependencies: Vec<Vec<usize>> = (0..count)
            .into_par_iter()
            .map(|index| {
                let mut dependencies: Vec<usize> = imports[index]
                    .into_iter()
                    .flatten()
                    .filter_map(
                        |specifier| match self.resolve(&self.paths[index], specifier) {
                            Some(Target::Run(other))
                                if other != index && imports[other].is_some() =>
                            {
                                Some(other)
                            }
                            _ => None,
                        },
                    )
                    .collect();
                dependencies.sort_unstable();
                dependencies.dedup();
                dependencies
            })
            .collect();
        // Each file's depth: one more than its deepest import's, an import
        // still being walked (a cycle) not counted. Depth first, without
        // recursion: a chain of imports can be as long as the run.
        const UNSEEN: usize = usize::MAX;
        const ON_PATH: usize = usize::MAX - 1;
        let mut depth = vec![UNSEEN; count];
        for root in (0..count).filter(|&i| imports[i].is_some()) {
            if depth[root] != UNSEEN {
                continue;
            }
            depth[root] = ON_PATH;
            let mut path: Vec<(usize, usize)> = vec![(root, 0)];
            while let Some((file, next)) = path.last_mut() {
                if let Some(&dependency) = dependencies[*file].get(*next) {
                    *next += 1;
                    if depth[dependency] == UNSEEN {
                        depth[dependency] = ON_PATH;
                        path.push((dependency, 0));
                    }
                    continue;
                }
                let file = *file;
                depth[file] = dependencies[file]
                    .iter()
                    .map(|&dependency| depth[dependency])
                    .filter(|&known| known < ON_PATH)
                    .map(|known| known + 1)
                    .max()
                    .unwrap_or(0);
                path.pop();
            }
        }
        // An import of a deeper file closes a cycle: it is cut.
        dependencies
            .into_iter()
            .enumerate()
            .map(|(file, dependencies)| {
                dependencies
                    .into_iter()
                    .filter(|&dependency| depth[dependency] < depth[file])
                    .collect()
            })
            .collect()
    }

    /// The last name of every helper known so far whose call hands its
    /// caller something to end (a client it returns, a transaction it
    /// returns, or one it began on a connection passed to it), and a Rust
    /// function of a type also with its type (`Tx::new`, as `CalledNames`
    /// keeps it). A file that calls none of them, and holds no word of the
    /// prefilter, cannot hold a client or transaction.
    pub fn duty_words(&self) -> Vec<String> {
        let outside = lock(&self.outside);
        let interfaces = read(&self.interfaces);
        let mut words: Vec<String> = interfaces
            .iter()
            .chain(outside.values())
            .flatten()
            .flat_map(|interface| &interface.summaries)
            .filter(|(_, summary)| summary.hands_duty())
            .flat_map(|(name, _)| {
                let (owner, last) = name.rsplit_once('.').unwrap_or(("", name));
                // A Rust function of a type, by the name `CalledNames` keeps.
                let of_type = owner
                    .starts_with(|c: char| c.is_ascii_uppercase())
                    .then(|| format!("{owner}::{last}"));
                std::iter::once(last.to_string()).chain(of_type)
            })
            .collect();
        words.sort();
        words.dedup();
        words
    }

    /// The summaries of the helpers the file at `index` imports and its
    /// code calls, by the names it calls them with.
    pub fn imported_summaries_used(&self, index: usize, path: &Path) -> Summaries {
        let interface = read(&self.interfaces)[index].clone();
        match interface {
            Some(interface) => interface.uses(&self.imported_summaries(path, &interface)),
            None => Summaries::new(),
        }
    }

    /// What the front end is told about `file`, whose text is `text`,
    /// beyond that text.
    pub fn file_context(&self, file: &Path, text: &str) -> FileContext {
        if !is_rust(file) {
            return FileContext::default();
        }
        // From the working folder, the package may sit above it
        // (`txlint check handlers.rs` inside `src/`).
        let file = match file.is_relative() {
            true => Cow::Owned(normalize(
                &std::env::current_dir().unwrap_or_default().join(file),
            )),
            false => Cow::Borrowed(file),
        };
        let crate_macros = invokes_other_files_macro(text)
            .then(|| self.crate_macros(&file))
            .flatten();
        FileContext {
            postgres_package: self.crates.postgres_only(&file),
            crate_macros,
            trait_methods: self.trait_methods(&file),
        }
    }

    /// What the trait methods of the workspace of `file` (an absolute
    /// path) do where they are implemented for a database handle, read
    /// once per workspace from all its files: the crate that implements a
    /// domain crate's store traits depends on it, not the other way round.
    fn trait_methods(&self, file: &Path) -> Option<Arc<TraitMethods>> {
        let folder = self.crates.workspace_folder(file)?;
        if let Some(known) = lock(&self.trait_methods).get(&folder) {
            return Some(known.clone());
        }
        let mut reader = TraitMethodsReader::default();
        for source in workspace_sources(&folder) {
            if let Ok(text) = std::fs::read_to_string(&source) {
                reader.read(&text);
            }
        }
        let methods = Arc::new(reader.finish());
        lock(&self.trait_methods).insert(folder, methods.clone());
        Some(methods)
    }

    /// The `macro_rules!` defined in the files of the crate of `file` (an
    /// absolute path), by name, read once per crate; `None` for a file of
    /// no Cargo package.
    fn crate_macros(&self, file: &Path) -> Option<Arc<HashMap<String, String>>> {
        if !self.crates.in_package(file) {
            return None;
        }
        let exists = |path: &Path| self.run_index(path).is_some() || path.is_file();
        let folder = self.crates.crate_folder(file, &exists);
        if let Some(known) = lock(&self.crate_macros).get(&folder) {
            return Some(known.clone());
        }
        let mut by_name: HashMap<String, Option<String>> = HashMap::new();
        for source in crate_sources(&folder) {
            let text = std::fs::read_to_string(&source).unwrap_or_default();
            for (name, definition) in macro_definitions_in_text(&text) {
                by_name
                    .entry(name)
                    .and_modify(|only| *only = None)
                    .or_insert(Some(definition));
            }
        }
        let macros: HashMap<String, String> = by_name
            .into_iter()
            .filter_map(|(name, definition)| Some((name, definition?)))
            .collect();
        let macros = Arc::new(macros);
        lock(&self.crate_macros).insert(folder, macros.clone());
        Some(macros)
    }

    /// The summaries of the helpers `importer` imports, by the names its
    /// code calls them with.
    pub fn imported_summaries(&self, importer: &Path, interface: &ModuleInterface) -> Summaries {
        self.imported_summaries_at(importer, interface, 0)
    }

    /// `imported_summaries` for an importer `depth` files outside the run.
    fn imported_summaries_at(
        &self,
        importer: &Path,
        interface: &ModuleInterface,
        depth: usize,
    ) -> Summaries {
        let mut summaries = Summaries::new();
        for import in interface.imports.iter().filter(|import| import.referenced) {
            if self.out_of_reach(importer, &import.specifier, depth) {
                continue;
            }
            let Some((target, imported)) = self.import_target(importer, import) else {
                continue;
            };
            let path = self.path_of(&target);
            let local = &import.local;
            if !(is_rust(importer) && imported.starts_with(char::is_uppercase)) {
                // `use super::*` (or `use crate::*`) also sees what that
                // ancestor imports with a private glob of its own (`use
                // crate::utils::*;`, `use other_crate::*;`).
                let ancestor = ["super", "crate"]
                    .iter()
                    .any(|start| import.specifier.starts_with(start));
                let parent_globs = match imported == "*" && ancestor {
                    true => self
                        .interface(importer, target.clone(), depth)
                        .map(|parent| parent.private_globs.clone())
                        .unwrap_or_default(),
                    false => Vec::new(),
                };
                self.bind(importer, target, &imported, local, depth, &mut summaries);
                for specifier in parent_globs {
                    if let Some(inner) = self.resolve(&path, &specifier) {
                        self.bind(importer, inner, "*", local, depth, &mut summaries);
                    }
                }
                continue;
            }
            // A type: read a module for it only when it defines a function
            // the importer calls, or the one function asked for
            // (`Message.fill`); a module read only for its helpers
            // (`use crate::mail::Message;` then `message.fill(conn)`) is
            // costly, a file of the run is not.
            let wanted = match imported.split_once('.') {
                Some((_, function)) => vec![function.to_string()],
                None => interface.called_on_types.clone(),
            };
            let wanted_count = wanted.len();
            let defined = self.defined_in(&path);
            let elsewhere: Vec<String> = wanted
                .into_iter()
                .filter(|name| !defined.functions.contains(name))
                .collect();
            if elsewhere.len() < wanted_count || matches!(target, Target::Run(_)) {
                self.bind(importer, target, &imported, local, depth, &mut summaries);
            }
            if !elsewhere.is_empty() {
                let type_name = imported.split('.').next().unwrap_or(&imported);
                for other in self.implementing(importer, &path, type_name, &elsewhere) {
                    self.bind(importer, other, &imported, local, depth, &mut summaries);
                }
            }
        }
        summaries
    }

    /// Add to `summaries` what `target` exports under `imported`, by the
    /// names the importer calls it with (`local`).
    fn bind(
        &self,
        importer: &Path,
        target: Target,
        imported: &str,
        local: &str,
        depth: usize,
        summaries: &mut Summaries,
    ) {
        let path = self.path_of(&target);
        let Some(exported) = self.interface(importer, target, depth) else {
            return;
        };
        let view = self.view(&path, &exported, depth, 0);
        // One name and its members (`Db`, `Db.begin`): their run of the
        // sorted view, unless the default import may be an object.
        let named = match imported {
            "*" | "default" => &view[..],
            imported => {
                let start = view.partition_point(|(name, _)| name.as_str() < imported);
                let len = view[start..]
                    .iter()
                    .take_while(|(name, _)| name.starts_with(imported))
                    .count();
                &view[start..start + len]
            }
        };
        for (name, summary) in named.iter().cloned() {
            let bound = match imported {
                // A CommonJS module that is a function (`module.exports =
                // getClient`) is called by the name it is bound to.
                "*" if name == "default" && exported.commonjs => Some(local.to_string()),
                // A Rust glob (`use crate::db::*`) binds each name.
                "*" if local.is_empty() => Some(name.clone()),
                "*" => Some(format!("{local}.{name}")),
                imported => rebase(&name, imported, local).or_else(|| {
                    // The default import of an object of functions
                    // (`module.exports = { getClient }`) is that object.
                    (imported == "default" && exported.default_object)
                        .then(|| format!("{local}.{name}"))
                }),
            };
            if let Some(bound) = bound {
                summaries.insert(bound, summary);
            }
        }
    }

    /// The other files of the crate of `defining` that implement
    /// `type_name` (defined there) and define one of the functions
    /// `wanted` with a handle: Rust lets any module of a crate hold a
    /// type's methods (`impl Label` in `lookups.rs` for the `Label` of
    /// `model.rs`). `importer` is left out: its own functions are its own.
    fn implementing(
        &self,
        importer: &Path,
        defining: &Path,
        type_name: &str,
        wanted: &[String],
    ) -> Vec<Target> {
        let exists = |path: &Path| self.run_index(path).is_some() || path.is_file();
        let defining = self.scripts.absolute(defining);
        let importer = self.scripts.absolute(importer);
        let folder = self.crates.crate_folder(&defining, &exists);
        let types = {
            let known = lock(&self.crate_types).get(&folder).cloned();
            known.unwrap_or_else(|| {
                let types = Arc::new(self.files_by_implemented_type(&folder));
                lock(&self.crate_types).insert(folder.clone(), types.clone());
                types
            })
        };
        types
            .get(type_name)
            .into_iter()
            .flatten()
            .filter(|(file, _)| *file != defining && *file != importer)
            .filter(|(_, defined)| wanted.iter().any(|name| defined.functions.contains(name)))
            .map(|(file, _)| self.rust_target(file))
            .collect()
    }

    /// The files of the crate rooted at `folder` by the types they
    /// implement something for.
    fn files_by_implemented_type(&self, folder: &Path) -> ImplementedTypes {
        let mut types = ImplementedTypes::new();
        for file in crate_sources(folder) {
            let defined = self.defined_in(&self.scripts.shown(&file));
            for type_name in &defined.types {
                types
                    .entry(type_name.clone())
                    .or_default()
                    .push((file.clone(), defined.clone()));
            }
        }
        types
    }

    /// What the Rust file at `path` defines, read once from its text:
    /// far cheaper than lowering a module of types to find that none of
    /// its methods is called with a handle.
    fn defined_in(&self, path: &Path) -> Arc<Defined> {
        let known = lock(&self.defined).get(path).cloned();
        known.unwrap_or_else(|| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let traits = self.trait_methods(&self.scripts.absolute(path));
            let handle_traits: Vec<&str> = traits
                .iter()
                .flat_map(|known| known.traits.iter().map(String::as_str))
                .collect();
            let defined = Arc::new(Defined {
                functions: functions_taking_handles(&text, &handle_traits),
                types: implemented_types(&text),
            });
            lock(&self.defined).insert(path.to_path_buf(), defined.clone());
            defined
        })
    }

    /// `exported_view` of a module, remembered and sorted by name.
    fn view(&self, path: &Path, exported: &ModuleInterface, depth: usize, hops: usize) -> View {
        let key = (path.to_path_buf(), depth, hops);
        if let Some(view) = lock(&self.views).get(&key) {
            return view.clone();
        }
        let mut view = self.exported_view(path, exported, depth, hops);
        view.sort_by(|a, b| a.0.cmp(&b.0));
        let view = Arc::new(view);
        lock(&self.views).insert(key, view.clone());
        view
    }

    /// Every summary a module exports, by the path an importer writes after
    /// the module (`getClient`, `db.getClient`, `default`), re-exports
    /// followed (`export * from './client'`, `export { x } from`, an
    /// imported name exported again).
    fn exported_view(
        &self,
        path: &Path,
        exported: &ModuleInterface,
        depth: usize,
        hops: usize,
    ) -> Vec<(String, Summary)> {
        let mut view = Vec::new();
        let follow = |target: Target| -> View {
            if hops >= MAX_REEXPORT_HOPS {
                return View::default();
            }
            let target_path = self.path_of(&target);
            match self.interface(path, target, depth + 1) {
                Some(module) => self.view(&target_path, &module, depth + 1, hops + 1),
                None => View::default(),
            }
        };
        // The functions of each owner (`Db` for `Db.begin`).
        let mut owned: HashMap<&str, Vec<(&String, &Summary)>> = HashMap::new();
        for (function, summary) in &exported.summaries {
            let owner = function.split('.').next().unwrap_or(function);
            owned.entry(owner).or_default().push((function, summary));
        }
        for (name, owner) in &exported.exports {
            // An instance's own summary (`export const db = new Pool()`:
            // a pool), beside what its class's methods do.
            if name != owner
                && let Some(summary) = exported.summaries.get(name)
            {
                view.push((name.clone(), summary.clone()));
            }
            if let Some(import) = exported.imports.iter().find(|i| &i.local == owner) {
                if self.out_of_reach(path, &import.specifier, depth + 1) {
                    continue;
                }
                let Some((target, imported)) = self.import_target(path, import) else {
                    continue;
                };
                for (inner, summary) in follow(target).iter().cloned() {
                    let outer = match imported.as_str() {
                        "*" => Some(format!("{name}.{inner}")),
                        imported => rebase(&inner, imported, name),
                    };
                    view.extend(outer.map(|outer| (outer, summary)));
                }
                continue;
            }
            for (function, summary) in owned.get(owner.as_str()).into_iter().flatten() {
                if let Some(exported_as) = rebase(function, owner, name) {
                    view.push((exported_as, (*summary).clone()));
                }
            }
        }
        for specifier in &exported.reexports_all {
            if self.out_of_reach(path, specifier, depth + 1) {
                continue;
            }
            let Some(target) = self.resolve(path, specifier) else {
                continue;
            };
            view.extend(
                follow(target)
                    .iter()
                    .filter(|(name, _)| name != "default" && !name.starts_with("default."))
                    .cloned(),
            );
        }
        view
    }

    /// Whether `specifier`, imported by `importer` and asked for `depth`
    /// files outside the run, can only lead to a module too deep to read:
    /// a relative path that no file of the run is under. Resolving it
    /// (a dozen candidate files) would be wasted; a barrel at the last
    /// depth re-exports dozens.
    fn out_of_reach(&self, importer: &Path, specifier: &str, depth: usize) -> bool {
        if depth < OUTSIDE_DEPTH || !specifier.starts_with('.') || is_rust(importer) {
            return false;
        }
        let folder = importer.parent().unwrap_or(Path::new(""));
        let base = self.scripts.absolute(&folder.join(specifier));
        let base = base.as_os_str().as_encoded_bytes();
        let run = self.run_paths.get_or_init(|| {
            let mut run: Vec<Vec<u8>> = self
                .paths
                .iter()
                .map(|path| {
                    self.scripts
                        .absolute(path)
                        .into_os_string()
                        .into_encoded_bytes()
                })
                .collect();
            run.sort_unstable();
            run
        });
        // The run's files that spell `base` at their start sort right
        // after it: `./db` may be `db.ts` or `db/index.ts`.
        let first = run.partition_point(|path| path.as_slice() < base);
        !run.get(first).is_some_and(|path| path.starts_with(base))
    }

    fn path_of(&self, target: &Target) -> PathBuf {
        match target {
            Target::Run(index) => self.paths[*index].clone(),
            Target::Outside(path) => path.clone(),
        }
    }

    /// What `target` exports, as the module at `from` sees it.
    fn interface(&self, from: &Path, target: Target, depth: usize) -> Option<Arc<ModuleInterface>> {
        match target {
            Target::Run(index) if !self.visible(from, index) => None,
            Target::Run(index) => read(&self.interfaces)[index].clone(),
            Target::Outside(_) if depth >= OUTSIDE_DEPTH => None,
            // Read once per depth: what a module's own imports give depends
            // on how deep it is read, and every thread must see the same.
            // Depth grows with each import, so cycles end.
            Target::Outside(path) => {
                let key = (path, depth);
                if let Some(known) = lock(&self.outside).get(&key) {
                    return known.clone();
                }
                // Lowering is a function of the text and of what its
                // imports give: a module read at another depth, whose
                // imports give the same here, is not read again.
                let earlier = lock(&self.read_with).get(&key.0).cloned();
                if let Some((given, interface)) = earlier {
                    let same = match &interface {
                        Some(interface) => {
                            self.imported_summaries_at(&key.0, interface, depth + 1) == given
                        }
                        // Unreadable, or not a module, at any depth.
                        None => true,
                    };
                    if same {
                        lock(&self.outside).insert(key, interface.clone());
                        return interface;
                    }
                }
                let given = Mutex::new(Summaries::new());
                let link = |interface: &ModuleInterface| {
                    let summaries = self.imported_summaries_at(&key.0, interface, depth + 1);
                    *lock(&given) = summaries.clone();
                    summaries
                };
                // Told by its text alone which database it runs on, as a
                // file checked on its own is; its workspace's trait
                // methods are the importer's.
                let context = FileContext {
                    trait_methods: is_rust(&key.0)
                        .then(|| self.trait_methods(&self.scripts.absolute(&key.0)))
                        .flatten(),
                    ..FileContext::default()
                };
                let interface = (self.load)(&key.0, context, &link).map(Arc::new);
                let given = given.into_inner().unwrap_or_else(|e| e.into_inner());
                lock(&self.read_with).insert(key.0.clone(), (given, interface.clone()));
                lock(&self.outside).insert(key, interface.clone());
                interface
            }
        }
    }

    /// The file that `specifier`, imported by `importer`, names: one of the
    /// run, or else a source file on disk when the specifier is a relative
    /// path, matches a `paths` pattern or is a Rust path (never a package
    /// of `node_modules` or a crate of the registry).
    fn resolve(&self, importer: &Path, specifier: &str) -> Option<Target> {
        self.resolve_item(importer, specifier)
            .map(|(target, _)| target)
    }

    /// `resolve`, with the item a Rust path names in the file it leads to.
    fn resolve_item(&self, importer: &Path, specifier: &str) -> Option<Resolved> {
        // A Rust path means something else in each file (`self`, `super`),
        // so one file's answers are not shared: resolving again costs less
        // than the lock of a shared table.
        if is_rust(importer) {
            return self.resolve_rust(importer, specifier);
        }
        let folder = importer.parent().unwrap_or(Path::new(""));
        if let Some(known) = lock(&self.resolved)
            .get(folder)
            .and_then(|specifiers| specifiers.get(specifier))
        {
            return known.clone();
        }
        let resolved = self.scripts.resolve(folder, specifier).map(|path| {
            let shown = self.scripts.shown(&path);
            let run = self
                .files
                .get(shown.as_path())
                .or_else(|| self.above.get(&path));
            let target = match run {
                Some(&index) => Target::Run(index),
                None => Target::Outside(shown),
            };
            (target, String::new())
        });
        lock(&self.resolved)
            .entry(folder.to_path_buf())
            .or_default()
            .insert(specifier.to_string(), resolved.clone());
        resolved
    }

    fn resolve_rust(&self, importer: &Path, specifier: &str) -> Option<Resolved> {
        // Packages are found by climbing folders, which a path relative to
        // the working folder cannot do past it (`cd src && txlint check
        // .`): crates are resolved in absolute paths.
        let exists = |path: &Path| self.run_index(path).is_some() || path.is_file();
        let importer = self.scripts.absolute(importer);
        let (file, item) = self.crates.resolve(&importer, specifier, &exists)?;
        Some((self.rust_target(&file), item))
    }

    /// The run's index of the file at the absolute path `absolute`.
    fn run_index(&self, absolute: &Path) -> Option<usize> {
        self.files
            .get(self.scripts.shown(absolute).as_path())
            .or_else(|| self.above.get(absolute))
            .copied()
    }

    /// Where linking reads the Rust file at the absolute path `absolute`:
    /// from the run, or, for a module the prefilter skipped (it names no
    /// transaction, but its functions may read through one lent to them)
    /// and a file outside the run, from its text, for the functions an
    /// importer calls.
    fn rust_target(&self, absolute: &Path) -> Target {
        match self.run_index(absolute) {
            Some(index) if self.unread.get(index) != Some(&true) => Target::Run(index),
            _ => Target::Outside(self.scripts.shown(absolute)),
        }
    }

    /// Where `import`, written in the module at `importer`, leads, and what
    /// it takes from there: the name `imported` in the module's own terms
    /// (a Rust path's item; `*` for the whole module).
    fn import_target(&self, importer: &Path, import: &Import) -> Option<(Target, String)> {
        let (target, item) = self.resolve_item(importer, &import.specifier)?;
        let imported = match (item.is_empty(), import.imported.as_str()) {
            (true, "") => "*".to_string(),
            (true, imported) => imported.to_string(),
            // `use crate::db::begin`: the item, unless it is a glob of
            // something that is not a module.
            (false, "") => item,
            (false, _) => return None,
        };
        Some((target, imported))
    }
}

/// The Rust files below a crate root's folder, but those of other crates
/// there (`src/bin/`), sorted.
fn crate_sources(folder: &Path) -> Vec<PathBuf> {
    let binaries = folder.join("bin");
    rust_files_below(folder, |dir| dir == binaries)
}

/// The Rust files of a workspace, in path order: those of its members'
/// sources, tests and examples, without build output or hidden folders.
fn workspace_sources(folder: &Path) -> Vec<PathBuf> {
    rust_files_below(folder, |dir| {
        dir.file_name().is_some_and(|name| {
            let name = name.to_string_lossy();
            name.starts_with('.') || name == "target" || name == "node_modules"
        })
    })
}

/// The Rust files below `folder`, sorted, but those of the folders
/// `skipped` names. Symbolic links are not followed (no loops); module
/// trees are shallow.
fn rust_files_below(folder: &Path, skipped: impl Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![(folder.to_path_buf(), 0usize)];
    while let Some((dir, depth)) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() && depth < 16 && !skipped(&path) => {
                    folders.push((path, depth + 1));
                }
                Ok(kind) if kind.is_file() && is_rust(&path) => files.push(path),
                _ => {}
            }
        }
    }
    files.sort();
    files
}

/// What `find` gives for the nearest folder at or above `folder` where it
/// gives something, remembered in `known` for every folder walked through
/// (also when nothing is found), so that each folder is looked into once.
fn nearest<T: Clone>(
    known: &Mutex<FxHashMap<PathBuf, Option<T>>>,
    folder: &Path,
    find: impl Fn(&Path) -> Option<T>,
) -> Option<T> {
    let mut visited = Vec::new();
    let mut current = Some(folder);
    let found = loop {
        let Some(dir) = current else { break None };
        if let Some(cached) = lock(known).get(dir) {
            break cached.clone();
        }
        visited.push(dir.to_path_buf());
        if let Some(found) = find(dir) {
            break Some(found);
        }
        current = dir.parent();
    };
    let mut known = lock(known);
    for dir in visited {
        known.insert(dir, found.clone());
    }
    found
}

/// The names a file calls (`name(` or `.name(`), as hashes: kept for the
/// files the prefilter skips, so that linking can tell, without reading
/// them again, which of them call a helper it found. A Rust function of a
/// type is kept with the type (`Tx::new(` as `Tx::new`): every other file
/// calls some type's `new` or `open`.
pub(crate) struct CalledNames(Vec<u64>);

impl CalledNames {
    pub fn of(text: &str) -> CalledNames {
        let bytes = text.as_bytes();
        let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
        let name_start = |end: usize| {
            bytes[..end]
                .iter()
                .rposition(|&b| !is_name(b))
                .map_or(0, |before| before + 1)
        };
        // From each parenthesis back over blanks to the name before it: far
        // fewer steps than reading every name of the file.
        let mut names: Vec<u64> = memchr::memchr_iter(b'(', bytes)
            .filter_map(|paren| {
                let end = bytes[..paren]
                    .iter()
                    .rposition(|b| !b.is_ascii_whitespace())?
                    + 1;
                let start = name_start(end);
                let before = bytes[..start].trim_ascii_end();
                let defines = before.ends_with(b"fn")
                    && !before[..before.len() - 2]
                        .last()
                        .is_some_and(|&b| is_name(b));
                if start >= end || before.ends_with(b"#[") || defines {
                    // Not a call: an attribute (`#[new(default)]`) or a
                    // Rust function's definition.
                    return None;
                }
                let name = &text[start..end];
                Some(match type_before(bytes, start) {
                    Some(owner) => crate::diagnostic::stable_hash(&[&format!("{owner}::{name}")]),
                    None => crate::diagnostic::stable_hash(&[name]),
                })
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        CalledNames(names)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0
            .binary_search(&crate::diagnostic::stable_hash(&[name]))
            .is_ok()
    }
}

/// The type a Rust path names before `::` and the name at `at`: `Tx` of
/// `Tx::new`, also with type arguments (`Tx::<T>::new`); `None` when the
/// segment before is no type's (a module's, `raw::open`) or there is none.
fn type_before(bytes: &[u8], at: usize) -> Option<&str> {
    let mut end = at.checked_sub(2).filter(|_| bytes[..at].ends_with(b"::"))?;
    if bytes[..end].ends_with(b">") {
        let mut depth = 0usize;
        let open = bytes[..end].iter().rposition(|&b| {
            match b {
                b'>' => depth += 1,
                b'<' => depth = depth.saturating_sub(1),
                _ => {}
            }
            depth == 0
        })?;
        end = open
            .checked_sub(2)
            .filter(|_| bytes[..open].ends_with(b"::"))?;
    }
    let start = bytes[..end]
        .iter()
        .rposition(|&b| !(b.is_ascii_alphanumeric() || b == b'_'))
        .map_or(0, |before| before + 1);
    let owner = std::str::from_utf8(&bytes[start..end]).ok()?;
    owner
        .starts_with(|c: char| c.is_ascii_uppercase())
        .then_some(owner)
}

/// The module specifiers a file's text names, read before the file is
/// parsed to order the run (see `Linker::import_order`).
pub(crate) fn import_specifiers(path: &Path, text: &str) -> Vec<String> {
    match is_rust(path) {
        true => crates::use_specifiers(text),
        false => script_specifiers(text),
    }
}

/// The specifiers a script's text names after `from`, `import`, `require(`
/// and `import(`. Reading one too many or too few costs only order, never
/// a result.
fn script_specifiers(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let mut specifiers = Vec::new();
    for keyword in ["from", "import", "require"] {
        for (at, _) in text.match_indices(keyword) {
            let end = at + keyword.len();
            if (at > 0 && is_name(bytes[at - 1])) || bytes.get(end).is_some_and(|&b| is_name(b)) {
                continue;
            }
            let mut rest = text[end..].trim_start();
            if let Some(inner) = rest.strip_prefix('(') {
                rest = inner.trim_start();
            }
            let Some(quote) = rest
                .chars()
                .next()
                .filter(|c| matches!(c, '\'' | '"' | '`'))
            else {
                continue;
            };
            let rest = &rest[1..];
            if let Some(close) = rest.find([quote, '\n'])
                && rest[close..].starts_with(quote)
                && close > 0
            {
                specifiers.push(rest[..close].to_string());
            }
        }
    }
    specifiers.sort();
    specifiers.dedup();
    specifiers
}

/// A Rust file: its imports are module paths.
fn is_rust(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "rs")
}

/// `path` seen from elsewhere: `from` itself, or a member of it
/// (`from.method`), renamed `onto`.
fn rebase(path: &str, from: &str, onto: &str) -> Option<String> {
    match path.strip_prefix(from)? {
        "" => Some(onto.to_string()),
        rest if rest.starts_with('.') => Some(format!("{onto}{rest}")),
        _ => None,
    }
}

/// Run `work` on every file marked in `todo`, each after `work` ran on the
/// files `order` says it imports, in parallel wherever the order allows.
pub(crate) fn in_import_order(order: &[Vec<usize>], todo: &[bool], work: &(dyn Fn(usize) + Sync)) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let mut importers = vec![Vec::new(); order.len()];
    for (file, imported) in order.iter().enumerate() {
        for &dependency in imported {
            importers[dependency].push(file);
        }
    }
    let waiting: Vec<AtomicUsize> = order.iter().map(|d| AtomicUsize::new(d.len())).collect();
    fn run<'s>(
        file: usize,
        scope: &rayon::Scope<'s>,
        importers: &'s [Vec<usize>],
        waiting: &'s [AtomicUsize],
        work: &'s (dyn Fn(usize) + Sync),
    ) {
        work(file);
        for &next in &importers[file] {
            if waiting[next].fetch_sub(1, Ordering::AcqRel) == 1 {
                scope.spawn(move |scope| run(next, scope, importers, waiting, work));
            }
        }
    }
    let (importers, waiting) = (&importers, &waiting);
    rayon::scope(|scope| {
        for file in (0..order.len()).filter(|&f| todo[f] && order[f].is_empty()) {
            scope.spawn(move |scope| run(file, scope, importers, waiting, work));
        }
    });
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

/// `a/./b/../c` as `a/c`, without touching the file system (symlinks are
/// not followed anywhere in a run).
pub(crate) fn normalize(path: &Path) -> PathBuf {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            // `..` above what is known so far stacks (`../../shared`).
            Component::ParentDir => {
                if matches!(
                    normal.components().next_back(),
                    None | Some(Component::ParentDir)
                ) || !normal.pop()
                {
                    normal.push("..");
                }
            }
            other => normal.push(other),
        }
    }
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn called_names_are_the_names_before_a_parenthesis() {
        let called = CalledNames::of(
            "const c = await db.getClient ();\nconst getPool = x;\nrelease(c) // getConnection",
        );
        assert!(called.contains("getClient"));
        assert!(called.contains("release"));
        assert!(!called.contains("getPool"), "named, not called");
        assert!(!called.contains("getConnection"), "no call follows it");
        assert!(!called.contains("db"));
        let called = CalledNames::of(
            "let tx = DbTxn::new(conn)?;\nlet f = File::open(path)?;\nraw::open(&mut c);\n\
             Vec::<u8>::with_capacity(4); self.close(c); #[new(default)] Pool::<Vec<u8>>::begin()\n\
             pub async fn new(conn: &mut PgConnection)\nfn begin_batch(conn: &mut PgConnection)\n\
             defn(x)",
        );
        assert!(called.contains("DbTxn::new"));
        assert!(
            !called.contains("new"),
            "a type's `new` is not a bare `new`"
        );
        assert!(called.contains("File::open"));
        assert!(
            called.contains("open"),
            "a module's function is called by its name"
        );
        assert!(called.contains("Vec::with_capacity"));
        assert!(!called.contains("with_capacity"));
        assert!(called.contains("Pool::begin"));
        assert!(called.contains("close"));
        assert!(!called.contains("begin_batch"), "defined, not called");
        assert!(called.contains("defn"));
    }

    #[test]
    fn import_specifiers_are_read_from_the_text() {
        let text = "import { a } from './a'\nimport b from \"../b.js\"\nimport './side-effect'\n\
            export * from '@/lib/db'\nconst c = require( './c' )\nconst d = await import(`./d`)\n\
            const from = 1; // transform('x')\nconst e = importer('./no')";
        assert_eq!(
            script_specifiers(text),
            vec!["../b.js", "./a", "./c", "./d", "./side-effect", "@/lib/db"]
        );
    }

    #[test]
    fn files_are_ordered_after_what_they_import() {
        let names = [
            "app/route.ts",
            "lib/db.ts",
            "lib/tx.ts",
            "lib/x.ts",
            "lib/y.ts",
        ];
        let dir = checkout(&names.map(|name| (name, "")));
        let paths: Vec<PathBuf> = names.iter().map(|name| dir.path().join(name)).collect();
        let load = |_: &Path, _: FileContext, _: &dyn Fn(&ModuleInterface) -> Summaries| None;
        let linker = Linker::new(&paths, vec![None; paths.len()], &load);
        let specifiers = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let route = specifiers(&["../lib/tx", "next/server"]);
        let db = specifiers(&[]);
        let tx = specifiers(&["./db", "./db.js"]);
        // A cycle: each of x and y imports the other; the walk from x
        // closes it at y's import of x.
        let x = specifiers(&["./y", "./db"]);
        let y = specifiers(&["./x"]);
        let imports = [
            Some(route.as_slice()),
            Some(db.as_slice()),
            Some(tx.as_slice()),
            Some(x.as_slice()),
            Some(y.as_slice()),
        ];
        assert_eq!(
            linker.import_order(&imports),
            vec![vec![2], vec![], vec![1], vec![1, 4], vec![]]
        );
        // A file not checked is no one's dependency.
        let imports = [
            Some(route.as_slice()),
            None,
            Some(tx.as_slice()),
            None,
            None,
        ];
        assert_eq!(
            linker.import_order(&imports),
            vec![vec![2], vec![], vec![], vec![], vec![]]
        );
    }

    /// A checkout on disk: each (path, text).
    fn checkout(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn a_module_outside_the_run_is_read_once_when_its_imports_give_the_same() {
        // The run's route imports `./db` and `./repo`; `./repo` imports
        // `./db` too, so `./db` is asked for at two depths.
        let dir = checkout(&[("src/route.ts", ""), ("src/repo.ts", ""), ("src/db.ts", "")]);
        let root = dir.path();
        let paths = vec![root.join("src/route.ts")];
        let reads = Mutex::new(HashMap::<String, usize>::new());
        let import = |name: &str, specifier: &str| Import {
            local: name.into(),
            imported: name.into(),
            specifier: specifier.into(),
            referenced: true,
        };
        let load = |path: &Path, _: FileContext, link: &dyn Fn(&ModuleInterface) -> Summaries| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            *lock(&reads).entry(name.clone()).or_default() += 1;
            let mut interface = ModuleInterface::default();
            if name == "repo" {
                interface.imports.push(import("getClient", "./db"));
            }
            let given = link(&interface);
            let function = if name == "db" {
                "getClient"
            } else {
                "findUser"
            };
            interface.exports.insert(function.into(), function.into());
            let summary = Summary {
                returns_client: name == "db" || given.contains_key("getClient"),
                ..Summary::default()
            };
            interface.summaries.insert(function.into(), summary);
            Some(interface)
        };
        let linker = Linker::new(&paths, vec![None], &load);
        let route = ModuleInterface {
            imports: vec![import("findUser", "./repo"), import("getClient", "./db")],
            ..ModuleInterface::default()
        };
        let summaries = linker.imported_summaries(&paths[0], &route);
        assert!(summaries["findUser"].returns_client);
        assert!(summaries["getClient"].returns_client);
        assert_eq!(lock(&reads).get("db"), Some(&1));
        assert_eq!(lock(&reads).get("repo"), Some(&1));
    }

    #[test]
    fn past_the_last_depth_only_files_of_the_run_are_followed() {
        // The route imports `./a`, a barrel of `./b`, of `./c`, which
        // re-exports `./db` (a file of the run) and `./d` (not read: it
        // is past the depth read).
        let dir = checkout(&[
            ("src/route.ts", ""),
            ("src/db.ts", ""),
            ("src/a.ts", ""),
            ("src/b.ts", ""),
            ("src/c.ts", ""),
            ("src/d.ts", ""),
        ]);
        let root = dir.path();
        let paths = vec![root.join("src/route.ts"), root.join("src/db.ts")];
        let reads = Mutex::new(Vec::<String>::new());
        let load = |path: &Path, _: FileContext, link: &dyn Fn(&ModuleInterface) -> Summaries| {
            let name = path.file_stem()?.to_string_lossy().into_owned();
            lock(&reads).push(name.clone());
            let mut interface = ModuleInterface::default();
            let reexported: &[&str] = match name.as_str() {
                "a" => &["./b"],
                "b" => &["./c"],
                "c" => &["./db", "./d"],
                _ => &[],
            };
            interface
                .reexports_all
                .extend(reexported.iter().map(|s| s.to_string()));
            link(&interface);
            Some(interface)
        };
        let mut db = ModuleInterface::default();
        db.exports.insert("getClient".into(), "getClient".into());
        db.summaries.insert(
            "getClient".into(),
            Summary {
                returns_client: true,
                ..Summary::default()
            },
        );
        let linker = Linker::new(&paths, vec![None, Some(Box::new(db))], &load);
        let route = ModuleInterface {
            imports: vec![Import {
                local: "getClient".into(),
                imported: "getClient".into(),
                specifier: "./a".into(),
                referenced: true,
            }],
            ..ModuleInterface::default()
        };
        let summaries = linker.imported_summaries(&paths[0], &route);
        assert!(summaries["getClient"].returns_client);
        assert_eq!(*lock(&reads), ["a", "b", "c"]);
    }

    #[test]
    fn resolves_specifiers_like_typescript() {
        let dir = checkout(&[
            ("a/lib/db.ts", ""),
            ("a/lib/pool/index.ts", ""),
            ("a/routes/x.ts", ""),
            ("a/routes/y.tsx", ""),
            ("a/outside/tx.ts", ""),
            ("a/outside/types.d.ts", ""),
            ("a/node_modules/pg/index.js", ""),
        ]);
        let root = dir.path();
        let paths: Vec<PathBuf> = ["a/lib/db.ts", "a/lib/pool/index.ts", "a/routes/x.ts"]
            .iter()
            .map(|path| root.join(path))
            .collect();
        let load = |_: &Path, _: FileContext, _: &dyn Fn(&ModuleInterface) -> Summaries| None;
        let linker = Linker::new(&paths, vec![None, None, None], &load);
        let importer = root.join("a/routes/x.ts");
        let run = |specifier: &str| match linker.resolve(&importer, specifier) {
            Some(Target::Run(index)) => Some(index),
            _ => None,
        };
        assert_eq!(run("../lib/db"), Some(0));
        assert_eq!(run("../lib/db.js"), Some(0));
        assert_eq!(run("./../lib/pool"), Some(1));
        assert_eq!(run("./x"), Some(2));
        assert_eq!(run("../lib/missing"), None);
        let outside = |specifier: &str| match linker.resolve(&importer, specifier) {
            Some(Target::Outside(path)) => Some(path.strip_prefix(root).unwrap().to_path_buf()),
            _ => None,
        };
        assert_eq!(outside("./y.js"), Some("a/routes/y.tsx".into()));
        assert_eq!(outside("../outside/tx"), Some("a/outside/tx.ts".into()));
        // Declaration files hold no code; installed packages are not followed.
        assert_eq!(outside("../outside/types"), None);
        assert_eq!(outside("pg"), None);
        assert_eq!(outside("../node_modules/pg/index.js"), None);
        assert_eq!(
            rebase("Repo.getClient", "Repo", "db"),
            Some("db.getClient".into())
        );
        assert_eq!(rebase("Repo", "Repo", "db"), Some("db".into()));
        assert_eq!(rebase("Repository.getClient", "Repo", "db"), None);
        assert_eq!(
            normalize(Path::new("a/../../../shared/db")),
            PathBuf::from("../../shared/db")
        );
    }

    #[test]
    fn workspace_packages_resolve_to_their_source() {
        let dir = checkout(&[
            (
                "package.json",
                r#"{"workspaces": ["packages/*", "apps/*"]}"#,
            ),
            // Through `exports`, into a build folder that is not there.
            (
                "packages/db/package.json",
                r#"{"name": "@acme/db", "exports": {".": {"types": "./dist/index.d.ts", "import": "./dist/index.mjs"}, "./tx": "./dist/tx/index.js"}}"#,
            ),
            ("packages/db/src/index.ts", ""),
            ("packages/db/src/tx/index.ts", ""),
            // Through `main`, and a file inside the package.
            (
                "packages/mail/package.json",
                r#"{"name": "mail", "main": "build/main.js"}"#,
            ),
            ("packages/mail/src/main.ts", ""),
            ("packages/mail/src/templates/welcome.ts", ""),
            // A package whose JSON is broken still resolves its files.
            ("packages/broken/package.json", "{ nope"),
            ("packages/broken/index.ts", ""),
            // `paths` of a tsconfig that extends a package not installed.
            (
                "apps/api/tsconfig.json",
                r#"{ "extends": "@tsconfig/node20/tsconfig.json", "compilerOptions": { "paths": { "@/*": ["./src/*"] } } }"#,
            ),
            ("apps/api/package.json", r#"{"name": "api"}"#),
            ("apps/api/src/lib/db.ts", ""),
            ("apps/api/src/routes/x.ts", ""),
            // A tsconfig that is not JSON: relative imports still resolve.
            ("apps/web/tsconfig.json", "{ nope"),
            ("apps/web/a.ts", ""),
            ("apps/web/b.ts", ""),
        ]);
        let root = dir.path();
        let paths = vec![root.join("apps/api/src/routes/x.ts")];
        let load = |_: &Path, _: FileContext, _: &dyn Fn(&ModuleInterface) -> Summaries| None;
        let linker = Linker::new(&paths, vec![None], &load);
        let from = |importer: &str, specifier: &str| {
            let path = match linker.resolve(&root.join(importer), specifier)? {
                Target::Outside(path) => path,
                Target::Run(index) => paths[index].clone(),
            };
            Some(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            )
        };
        let api = "apps/api/src/routes/x.ts";
        assert_eq!(
            from(api, "@acme/db").as_deref(),
            Some("packages/db/src/index.ts")
        );
        assert_eq!(
            from(api, "@acme/db/tx").as_deref(),
            Some("packages/db/src/tx/index.ts")
        );
        assert_eq!(from(api, "@acme/db/other"), None, "not exported");
        assert_eq!(
            from(api, "mail").as_deref(),
            Some("packages/mail/src/main.ts")
        );
        assert_eq!(
            from(api, "mail/src/templates/welcome").as_deref(),
            Some("packages/mail/src/templates/welcome.ts")
        );
        assert_eq!(
            from(api, "@/lib/db").as_deref(),
            Some("apps/api/src/lib/db.ts")
        );
        assert_eq!(
            from("packages/broken/x.ts", "./index").as_deref(),
            Some("packages/broken/index.ts")
        );
        assert_eq!(
            from("apps/web/a.ts", "./b").as_deref(),
            Some("apps/web/b.ts")
        );
        assert_eq!(from(api, "express"), None);
    }
}
