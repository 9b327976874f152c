//! Where a TypeScript or JavaScript import leads, as TypeScript and Node
//! find it: `oxc_resolver` (relative paths and `index` files, `.js` written
//! for `.ts`, tsconfig `paths`/`baseUrl`/`extends`, package `exports` and
//! `imports`), then the packages of the repository's own workspaces.

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use oxc_resolver::{ResolveContext, ResolveOptions, ResolverGeneric, TsConfig, TsconfigDiscovery};

use super::checkout::{Checkout, Overlay};
use super::workspaces::package_name;
use super::{nearest, normalize};

/// Extensions an extensionless specifier may stand for, in the order
/// TypeScript tries them (its declaration files hold no code to follow).
const EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/// What a config file gives: nothing when it cannot be read or parsed.
type Config = Option<Arc<TsConfig>>;

/// The module resolver of a run, with its caches of what it read.
pub(crate) struct Scripts {
    resolver: ResolverGeneric<Checkout>,
    overlay: Arc<Overlay>,
    /// The `tsconfig.json` (or `jsconfig.json`) that applies in each folder
    /// asked about, if any, and what it gives.
    configs: Mutex<FxHashMap<PathBuf, Option<Config>>>,
    /// The folder that relative paths of the run start from.
    cwd: PathBuf,
}

impl Scripts {
    /// The resolver of a run in the folder `cwd`.
    pub fn new(cwd: PathBuf) -> Scripts {
        let options = ResolveOptions {
            // Set so that the config given with each resolution counts; it is
            // found per folder here (`config_for`), `jsconfig.json` too.
            tsconfig: Some(TsconfigDiscovery::Auto),
            extensions: EXTENSIONS.iter().map(|e| e.to_string()).collect(),
            // What TypeScript tries for a specifier written with the
            // extension of the JavaScript it compiles to.
            extension_alias: [
                (".js", &[".ts", ".tsx", ".js"][..]),
                (".jsx", &[".tsx", ".jsx"]),
                (".mjs", &[".mts", ".mjs"]),
                (".cjs", &[".cts", ".cjs"]),
            ]
            .iter()
            .map(|(from, to)| (from.to_string(), to.iter().map(|e| e.to_string()).collect()))
            .collect(),
            // Not `types`: a declaration file holds no code to follow.
            condition_names: ["node", "import", "require", "default"]
                .iter()
                .map(|c| c.to_string())
                .collect(),
            main_fields: vec!["module".into(), "main".into()],
            // Installed packages are not followed, so `node_modules` is not
            // looked into (nor `NODE_PATH`); the repository's own packages
            // are found through its workspaces (`in_workspace`).
            modules: Vec::new(),
            node_path: false,
            // Paths stay as the run spells them.
            symlinks: false,
            ..ResolveOptions::default()
        };
        let checkout = Checkout {
            overlay: Arc::default(),
        };
        let overlay = checkout.overlay.clone();
        Scripts {
            resolver: ResolverGeneric::new_with_file_system(checkout, options),
            overlay,
            configs: Mutex::new(FxHashMap::default()),
            cwd,
        }
    }

    /// `path` from the run's folder, `.` and `..` taken out.
    pub fn absolute(&self, path: &Path) -> PathBuf {
        normalize(&self.cwd.join(path))
    }

    /// An absolute path as the run spells paths: relative to its folder
    /// when below it.
    pub fn shown(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.cwd)
            .map_or_else(|_| path.to_path_buf(), Path::to_path_buf)
    }

    /// The source file that `specifier`, imported by a module in `folder`
    /// (as the run names it), leads to, absolute; `None` for a package
    /// that is not the repository's own, or a file that is not a script.
    pub fn resolve(&self, folder: &Path, specifier: &str) -> Option<PathBuf> {
        let folder = self.absolute(folder);
        let config = self.config_for(&folder);
        let found = self
            .resolver
            .resolve_with_context(
                &folder,
                specifier,
                config.as_deref(),
                &mut ResolveContext::default(),
            )
            .or_else(|_| self.in_workspace(&folder, specifier))
            .ok()?;
        let path = self.overlay.source_of(found.path());
        let script = EXTENSIONS.iter().any(|e| {
            path.to_str()
                .is_some_and(|p| p.ends_with(e) && !p.ends_with(&format!(".d{e}")))
        });
        let installed = path.components().any(|c| c.as_os_str() == "node_modules");
        (script && !installed).then_some(path)
    }

    /// A package of the repository's own workspaces, as if installed:
    /// through its `exports` (Node's resolution of a package's import of
    /// its own name), else its folder (`module`, `main`, `index`) or a file
    /// in it.
    fn in_workspace(
        &self,
        folder: &Path,
        specifier: &str,
    ) -> Result<oxc_resolver::Resolution, oxc_resolver::ResolveError> {
        let not_found = || oxc_resolver::ResolveError::NotFound(specifier.to_string());
        let (name, subpath) = package_name(specifier).ok_or_else(not_found)?;
        let package = self
            .overlay
            .workspaces
            .package(folder, name)
            .ok_or_else(not_found)?;
        self.resolver
            .resolve(&package, specifier)
            .or_else(|_| self.resolver.resolve(&package, &format!("./{subpath}")))
    }

    /// The nearest `tsconfig.json` (or `jsconfig.json`) at or above
    /// `folder`, with what it `extends`. One that cannot be read or parsed
    /// gives nothing: it is the TypeScript compiler's job to complain.
    fn config_for(&self, folder: &Path) -> Option<Arc<TsConfig>> {
        nearest(&self.configs, folder, |dir| {
            let path = ["tsconfig.json", "jsconfig.json"]
                .iter()
                .map(|name| dir.join(name))
                .find(|path| path.is_file())?;
            Some(self.resolver.resolve_tsconfig(&path).ok())
        })
        .flatten()
    }
}
