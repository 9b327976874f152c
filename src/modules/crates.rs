//! Rust paths to files: `crate::db::begin`, `super::db`, `self::store`,
//! and `other_crate::db` for a crate the package depends on by path (a
//! workspace's members). A child module named without a prefix is written
//! `self::db` by the front end, which sees the `mod db;` that declares it. Modules are
//! found by the file layout `rustc` uses: `a/b.rs` or `a/b/mod.rs` under
//! the crate root's folder. `#[path]` attributes and inline `mod` blocks
//! are not followed.

use rustc_hash::FxHashMap;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A Cargo package: its folder, and the crates it depends on by path.
#[derive(Debug)]
pub(super) struct Package {
    dir: PathBuf,
    /// The crate's name as code writes it (`my_db` for `my-db`).
    name: String,
    /// Path dependencies by the name code writes, to their package folder.
    dependencies: HashMap<String, PathBuf>,
    /// `[lib] path`, when the library's root is not `src/lib.rs`.
    lib_path: Option<PathBuf>,
    /// `[[bin]] path`s: roots of binaries outside `src/` (`main.rs` beside
    /// the manifest).
    bin_paths: Vec<PathBuf>,
    /// Its database drivers are PostgreSQL's and no other's.
    postgres_only: bool,
}

impl Package {
    fn read(manifest: &Path) -> Option<Package> {
        let text = std::fs::read_to_string(manifest).ok()?;
        let table: toml::Table = text.parse().ok()?;
        let package = table.get("package")?.as_table()?;
        let dir = manifest.parent()?.to_path_buf();
        let name = package.get("name")?.as_str()?.replace('-', "_");
        let lib_path = table
            .get("lib")
            .and_then(|lib| lib.get("path"))
            .and_then(|path| path.as_str())
            .map(|path| dir.join(path));
        let bin_paths = table
            .get("bin")
            .and_then(|bins| bins.as_array())
            .into_iter()
            .flatten()
            .filter_map(|bin| bin.get("path")?.as_str())
            .map(|path| dir.join(path))
            .collect();
        let mut dependencies = HashMap::new();
        let workspace = std::cell::OnceCell::new();
        let workspace_specs = std::cell::OnceCell::new();
        let mut databases = Databases::default();
        for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
            let Some(listed) = table.get(section).and_then(|d| d.as_table()) else {
                continue;
            };
            for (key, spec) in listed {
                if section == "dependencies" {
                    // `sqlx = { workspace = true }`: its features are the
                    // workspace's, and the member's own.
                    let inherited = spec
                        .get("workspace")
                        .and_then(|w| w.as_bool())
                        .filter(|inherits| *inherits)
                        .and_then(|_| {
                            workspace_specs
                                .get_or_init(|| workspace_specs_of(&dir))
                                .get(key)
                                .cloned()
                        });
                    databases.note(key, spec);
                    if let Some(inherited) = &inherited {
                        databases.note(key, inherited);
                    }
                }
                let folder = match spec.get("path").and_then(|p| p.as_str()) {
                    Some(path) => Some(dir.join(path)),
                    // `db = { workspace = true }`: the path is the
                    // workspace's.
                    None if spec.get("workspace").and_then(|w| w.as_bool()) == Some(true) => {
                        workspace
                            .get_or_init(|| workspace_dependencies(&dir))
                            .get(key)
                            .cloned()
                    }
                    None => None,
                };
                let Some(folder) = folder else { continue };
                // `db = { package = "acme-db", path = ".." }` is written `db`.
                dependencies.insert(key.replace('-', "_"), super::normalize(&folder));
            }
        }
        Some(Package {
            dir,
            name,
            dependencies,
            lib_path,
            bin_paths,
            postgres_only: databases.postgres && !databases.other,
        })
    }

    /// The library crate's root file.
    fn lib_root(&self) -> PathBuf {
        self.lib_path
            .clone()
            .unwrap_or_else(|| self.dir.join("src").join("lib.rs"))
    }
}

/// The databases a package's drivers speak, from its dependencies and
/// their features (`sqlx` with `"postgres"`, `tokio-postgres`, `rusqlite`).
#[derive(Default)]
struct Databases {
    postgres: bool,
    /// SQLite, MySQL, SQL Server, or sqlx's `Any`.
    other: bool,
}

impl Databases {
    fn note(&mut self, key: &str, spec: &toml::Value) {
        let crate_name = spec
            .get("package")
            .and_then(|name| name.as_str())
            .unwrap_or(key)
            .replace('_', "-");
        let features = spec
            .get("features")
            .and_then(|features| features.as_array())
            .into_iter()
            .flatten()
            .filter_map(|feature| feature.as_str());
        let postgres_crates = [
            "tokio-postgres",
            "postgres",
            "deadpool-postgres",
            "bb8-postgres",
            "r2d2-postgres",
        ];
        let other_crates = ["rusqlite", "mysql", "mysql-async", "tiberius", "libsql"];
        self.postgres |= postgres_crates.contains(&crate_name.as_str());
        self.other |= other_crates.contains(&crate_name.as_str());
        if ["sqlx", "sea-orm", "diesel", "diesel-async"].contains(&crate_name.as_str()) {
            for feature in features {
                let feature = feature.strip_prefix("sqlx-").unwrap_or(feature);
                match feature {
                    "postgres" | "postgresql" => self.postgres = true,
                    "sqlite" | "mysql" | "mssql" | "any" => self.other = true,
                    _ => {}
                }
            }
        }
    }
}

/// The `[workspace]` table of the workspace above `member`, if any.
fn workspace_table(member: &Path) -> Option<(PathBuf, toml::Table)> {
    for dir in member.ancestors() {
        let manifest = dir.join("Cargo.toml");
        let Some(mut table) = std::fs::read_to_string(&manifest)
            .ok()
            .and_then(|text| text.parse::<toml::Table>().ok())
        else {
            continue;
        };
        if let Some(toml::Value::Table(workspace)) = table.remove("workspace") {
            return Some((dir.to_path_buf(), workspace));
        }
    }
    None
}

/// `[workspace.dependencies]` of the workspace above `member`, each key to
/// its specification.
fn workspace_specs_of(member: &Path) -> toml::Table {
    workspace_table(member)
        .and_then(
            |(_, mut workspace)| match workspace.remove("dependencies") {
                Some(toml::Value::Table(listed)) => Some(listed),
                _ => None,
            },
        )
        .unwrap_or_default()
}

/// `[workspace.dependencies]` with a `path`, of the workspace above
/// `member`: each key, to the package folder.
fn workspace_dependencies(member: &Path) -> HashMap<String, PathBuf> {
    let Some((dir, workspace)) = workspace_table(member) else {
        return HashMap::new();
    };
    let listed = workspace.get("dependencies").and_then(|d| d.as_table());
    listed
        .into_iter()
        .flatten()
        .filter_map(|(key, spec)| {
            let path = spec.get("path")?.as_str()?;
            Some((key.clone(), super::normalize(&dir.join(path))))
        })
        .collect()
}

/// A module: the file that holds it, and the folder of its children.
#[derive(Clone, Debug)]
struct Module {
    file: PathBuf,
    children: PathBuf,
}

impl Module {
    /// A crate root's children sit beside it (`src/lib.rs`, `src/db.rs`).
    fn root(file: PathBuf) -> Module {
        let children = file.parent().unwrap_or(Path::new("")).to_path_buf();
        Module { file, children }
    }
}

/// The packages of a run, found from the folders asked about.
#[derive(Default)]
pub(super) struct Crates {
    packages: Mutex<FxHashMap<PathBuf, Option<Arc<Package>>>>,
    /// Each package's workspace folder, by the package's folder.
    workspaces: Mutex<FxHashMap<PathBuf, PathBuf>>,
}

impl Crates {
    /// The file that the module path `specifier` leads to from `importer`,
    /// with what is left of the path inside that file, `.`-joined (`begin`,
    /// `Db.begin`; empty when the path names the module itself). `exists`
    /// tells whether a file is there (in the run or on disk).
    pub fn resolve(
        &self,
        importer: &Path,
        specifier: &str,
        exists: &dyn Fn(&Path) -> bool,
    ) -> Option<(PathBuf, String)> {
        let segments: Vec<&str> = specifier.split("::").filter(|s| !s.is_empty()).collect();
        let (first, mut rest) = segments.split_first()?;
        if !matches!(*first, "crate" | "self" | "super") {
            // Another crate of the workspace (a child module is written
            // `self::name`); most such paths lead to the registry's crates.
            let package = self.package_of(importer.parent()?)?;
            let dir = if package.name == *first {
                package.dir.clone()
            } else {
                package.dependencies.get(*first)?.clone()
            };
            let lib = self.package_of(&dir)?.lib_root();
            if !exists(&lib) {
                return None;
            }
            return descend(Module::root(lib), rest, exists);
        }
        let (root, mut path) = self.crate_of(importer, exists);
        if *first == "super" {
            path.pop()?;
            while rest.first() == Some(&"super") {
                path.pop()?;
                rest = &rest[1..];
            }
        } else if *first == "crate" {
            path.clear();
        }
        let start = path;
        let module = walk(&root, &start, exists)?;
        descend(module, rest, exists)
    }

    /// Whether the package of `file` speaks to PostgreSQL and to no other
    /// database.
    pub fn postgres_only(&self, file: &Path) -> bool {
        file.parent()
            .and_then(|dir| self.package_of(dir))
            .is_some_and(|package| package.postgres_only)
    }

    /// The folder of the workspace `file`'s package belongs to, or the
    /// package's own folder when it is in none; `None` for a file of no
    /// package.
    pub fn workspace_folder(&self, file: &Path) -> Option<PathBuf> {
        let package = file.parent().and_then(|dir| self.package_of(dir))?;
        let known = super::lock(&self.workspaces).get(&package.dir).cloned();
        Some(known.unwrap_or_else(|| {
            let folder = workspace_table(&package.dir)
                .map(|(dir, _)| dir)
                .unwrap_or_else(|| package.dir.clone());
            super::lock(&self.workspaces).insert(package.dir.clone(), folder.clone());
            folder
        }))
    }

    /// Whether `file` belongs to a Cargo package.
    pub fn in_package(&self, file: &Path) -> bool {
        file.parent().and_then(|dir| self.package_of(dir)).is_some()
    }

    /// The folder of the crate root of `file`'s crate, where its modules
    /// live.
    pub fn crate_folder(&self, file: &Path, exists: &dyn Fn(&Path) -> bool) -> PathBuf {
        self.crate_of(file, exists).0.children
    }

    /// The crate root of `file`'s crate, and `file`'s module path in it.
    /// A file beside or below a root of its package (the library's, then
    /// `src/main.rs`, then a `[[bin]] path`) belongs to that crate, except
    /// under `src/bin/`; any other file (a test, an example, a script) is
    /// a crate of its own.
    fn crate_of(&self, file: &Path, exists: &dyn Fn(&Path) -> bool) -> (Module, Vec<String>) {
        let alone = || (Module::root(file.to_path_buf()), Vec::new());
        let Some(package) = file.parent().and_then(|dir| self.package_of(dir)) else {
            return alone();
        };
        let src = package.dir.join("src");
        if file.starts_with(src.join("bin")) {
            return alone();
        }
        let roots = [package.lib_root(), src.join("main.rs")]
            .into_iter()
            .chain(package.bin_paths.iter().cloned());
        // Cargo's own target folders beside a root are crates of their own.
        let own_target = |inside: &Path| {
            ["tests", "examples", "benches"]
                .iter()
                .any(|folder| inside.starts_with(folder))
                || inside == Path::new("build.rs")
        };
        let found = roots.filter(|root| exists(root)).find_map(|root| {
            let inside = file.strip_prefix(root.parent()?).ok()?.to_path_buf();
            (!own_target(&inside)).then_some((root, inside))
        });
        let Some((root, inside)) = found else {
            return alone();
        };
        if root == file {
            return alone();
        }
        let mut path: Vec<String> = inside
            .with_extension("")
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if path.last().is_some_and(|last| last == "mod") {
            path.pop();
        }
        (Module::root(root), path)
    }

    /// The nearest package at or above `dir`.
    fn package_of(&self, dir: &Path) -> Option<Arc<Package>> {
        super::nearest(&self.packages, dir, |dir| {
            let manifest = dir.join("Cargo.toml");
            manifest
                .is_file()
                .then(|| Package::read(&manifest))
                .flatten()
                .map(Arc::new)
        })
    }
}

/// The module at `path` below `root`.
fn walk(root: &Module, path: &[String], exists: &dyn Fn(&Path) -> bool) -> Option<Module> {
    path.iter()
        .try_fold(root.clone(), |module, name| child(&module, name, exists))
}

/// Follow `rest` into child modules as far as files exist; what is left
/// names an item of the last one.
fn descend(
    mut module: Module,
    rest: &[&str],
    exists: &dyn Fn(&Path) -> bool,
) -> Option<(PathBuf, String)> {
    let mut rest = rest;
    while let Some((name, tail)) = rest.split_first()
        && let Some(inner) = child(&module, name, exists)
    {
        module = inner;
        rest = tail;
    }
    Some((module.file, rest.join(".")))
}

/// The child module `name` of `module`: `name.rs` or `name/mod.rs` in its
/// children's folder.
fn child(module: &Module, name: &str, exists: &dyn Fn(&Path) -> bool) -> Option<Module> {
    if !name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_') {
        return None;
    }
    let children = module.children.join(name);
    [
        module.children.join(format!("{name}.rs")),
        children.join("mod.rs"),
    ]
    .into_iter()
    .find(|file| exists(file))
    .map(|file| Module { file, children })
}

/// The module paths a Rust file's text names, read before it is parsed to
/// order the run: every path of its `use` items, and every call of a path
/// that starts with a module name (`crate::db::begin(`, `db::begin(`).
/// Reading one too many or too few costs only order, never a result.
pub(super) fn use_specifiers(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let is_name = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut specifiers = Vec::new();
    let mut children = Vec::new();
    for (at, _) in text.match_indices("mod ") {
        if at > 0 && is_name(bytes[at - 1]) {
            continue;
        }
        let rest = &text[at + 4..];
        let name: &str = rest
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .next()
            .unwrap_or("");
        if !name.is_empty() && rest[name.len()..].trim_start().starts_with(';') {
            children.push(name);
        }
    }
    for (at, _) in text.match_indices("use ") {
        if at > 0 && is_name(bytes[at - 1]) {
            continue;
        }
        let rest = &text[at + 4..];
        let Some(end) = rest.find(';').filter(|&end| end < 4096) else {
            continue;
        };
        // Spaces only where a word ends (`begin as open`).
        let words: Vec<&str> = rest[..end].split_whitespace().collect();
        let mut tree = String::new();
        for pair in words.windows(2) {
            tree.push_str(pair[0]);
            let is_word_end = |c: char| c.is_ascii_alphanumeric() || c == '_';
            if pair[0].ends_with(is_word_end) && pair[1].starts_with(is_word_end) {
                tree.push(' ');
            }
        }
        tree.push_str(words.last().copied().unwrap_or(""));
        flatten_use(&tree, "", &mut specifiers);
    }
    // `ident::ident(`, a call through a module path.
    let is_path = |b: u8| is_name(b) || b == b':';
    let mut next = 0;
    for colons in memchr::memmem::find_iter(bytes, b"::") {
        if colons < next {
            continue;
        }
        let start = bytes[..colons]
            .iter()
            .rposition(|&b| !is_path(b))
            .map_or(0, |i| i + 1);
        let end = bytes[colons..]
            .iter()
            .position(|&b| !is_path(b))
            .map_or(bytes.len(), |i| colons + i);
        next = end;
        if start < colons
            && bytes[start].is_ascii_lowercase()
            && text[end..].trim_start().starts_with('(')
        {
            specifiers.push(text[start..end].trim_end_matches(':').to_string());
        }
    }
    for specifier in &mut specifiers {
        let first = specifier.split("::").next().unwrap_or("");
        if children.contains(&first) {
            *specifier = format!("self::{specifier}");
        }
    }
    specifiers.sort();
    specifiers.dedup();
    specifiers
}

/// The paths of a `use` tree written with spaces only between words
/// (`a::{b,c::d as e}`).
fn flatten_use(tree: &str, prefix: &str, found: &mut Vec<String>) {
    let join = |name: &str| match prefix.is_empty() {
        true => name.to_string(),
        false => format!("{prefix}::{name}"),
    };
    let tree = tree.trim_start_matches("::");
    match tree.find('{') {
        Some(open) if tree.ends_with('}') => {
            let head = join(tree[..open].trim_end_matches("::"));
            let inner = &tree[open + 1..tree.len() - 1];
            let mut depth = 0;
            let mut start = 0;
            for (index, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        flatten_use(&inner[start..index], &head, found);
                        start = index + 1;
                    }
                    _ => {}
                }
            }
            flatten_use(&inner[start..], &head, found);
        }
        Some(_) => {}
        None => {
            let path = tree.split(" as ").next().unwrap_or(tree);
            let path = path.trim_end_matches("::*").trim_end_matches("::self");
            match path {
                // A trailing comma's empty item.
                "" => {}
                "self" | "*" if !prefix.is_empty() => found.push(prefix.to_string()),
                "self" | "*" => {}
                path => found.push(join(path)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frontend::rust::{functions_taking_handles, implemented_types};

    use super::super::write_file as write;

    #[test]
    fn rust_paths_lead_to_module_files_and_workspace_crates() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "Cargo.toml",
            "[workspace]\nmembers = [\"api\", \"store\"]\n[workspace.dependencies]\nacme-store = { path = \"store\" }\n",
        );
        write(
            root,
            "api/Cargo.toml",
            "[package]\nname = \"api\"\n[dependencies]\nacme-store = { workspace = true }\nlocal = { package = \"x\", path = \"../store\" }\n",
        );
        write(
            root,
            "store/Cargo.toml",
            "[package]\nname = \"acme-store\"\n",
        );
        for file in [
            "api/src/lib.rs",
            "api/src/db.rs",
            "api/src/routes/mod.rs",
            "api/src/routes/orders.rs",
            "api/src/routes/orders/lines.rs",
            "api/tests/flow.rs",
            "store/src/lib.rs",
            "store/src/accounts.rs",
        ] {
            write(root, file, "");
        }
        let crates = Crates::default();
        let exists = |path: &Path| path.is_file();
        let orders = root.join("api/src/routes/orders.rs");
        let resolve = |from: &Path, path: &str| {
            crates.resolve(from, path, &exists).map(|(file, item)| {
                let file = file
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                (file, item)
            })
        };
        let cases = [
            ("crate::db::begin", "api/src/db.rs", "begin"),
            ("crate::Error", "api/src/lib.rs", "Error"),
            (
                "super::orders::Repo::save",
                "api/src/routes/orders.rs",
                "Repo.save",
            ),
            ("super::super::db", "api/src/db.rs", ""),
            ("self::lines::add", "api/src/routes/orders/lines.rs", "add"),
            (
                "acme_store::accounts::balance",
                "store/src/accounts.rs",
                "balance",
            ),
            ("local::accounts", "store/src/accounts.rs", ""),
        ];
        for (path, file, item) in cases {
            let expected = Some((file.to_string(), item.to_string()));
            assert_eq!(resolve(&orders, path), expected, "{path}");
        }
        let at = |file: &str, item: &str| Some((file.to_string(), item.to_string()));
        // The package's own library, from a test crate; the registry's
        // crates and the standard library lead nowhere.
        let test = root.join("api/tests/flow.rs");
        assert_eq!(
            resolve(&test, "api::db::begin"),
            at("api/src/db.rs", "begin")
        );
        assert_eq!(resolve(&test, "crate::db"), at("api/tests/flow.rs", "db"));
        // A `mod.rs` is its folder's module: its `super` is the parent.
        let routes = root.join("api/src/routes/mod.rs");
        assert_eq!(
            resolve(&routes, "super::db::begin"),
            at("api/src/db.rs", "begin")
        );
        assert_eq!(
            resolve(&routes, "self::orders::lines::add"),
            at("api/src/routes/orders/lines.rs", "add")
        );
        assert_eq!(resolve(&orders, "sqlx::query"), None);
        // A binary whose root is `main.rs` beside its manifest.
        write(
            root,
            "web/Cargo.toml",
            "[package]\nname = \"web\"\n[[bin]]\nname = \"web\"\npath = \"main.rs\"\n",
        );
        for file in [
            "web/main.rs",
            "web/handlers/mod.rs",
            "web/handlers/console/utils.rs",
            "web/tests/smoke.rs",
        ] {
            write(root, file, "");
        }
        let console = root.join("web/handlers/console/mod.rs");
        write(root, "web/handlers/console/mod.rs", "");
        assert_eq!(
            resolve(&console, "self::utils::process"),
            at("web/handlers/console/utils.rs", "process")
        );
        assert_eq!(
            resolve(&console, "super::super::serve"),
            at("web/main.rs", "serve")
        );
        let smoke = root.join("web/tests/smoke.rs");
        assert_eq!(resolve(&smoke, "crate::x"), at("web/tests/smoke.rs", "x"));
        assert_eq!(resolve(&orders, "std::mem::drop"), None);
        assert_eq!(resolve(&root.join("api/src/lib.rs"), "super::x"), None);
    }

    #[test]
    fn functions_taking_a_connection_are_read_from_the_text() {
        let text = "impl Notice {\n    pub fn key(&self) -> &str { \"k\" }\n    pub async fn fill(&self, conn: &mut PgConnection) -> Result<String> { todo!() }\n}\nfn all<'e, E: PgExecutor<'e>>(e: E);\nfn new(context: Context) -> Self { Self }";
        let mut found: Vec<String> = functions_taking_handles(text, &[]).into_iter().collect();
        found.sort();
        assert_eq!(found, ["all", "fill"]);
    }

    #[test]
    fn implemented_types_are_read_from_the_text() {
        let text = "// implements nothing\nimpl Label {\n}\nimpl<'a> Crud for crate::model::Person<'a> where 'a: 'static {}\n\
            impl<T: Into<String>> From<T> for Tag {}\nfn rows(&self) -> impl Iterator<Item = Row> + '_ {}\nunsafe impl Send for Shelf {}";
        let mut found: Vec<String> = implemented_types(text).into_iter().collect();
        found.sort();
        assert_eq!(found, ["Label", "Person", "Shelf", "Tag"]);
    }

    #[test]
    fn use_items_and_module_calls_are_read_from_the_text() {
        let text = "mod db;\nuse crate::{store::{self, Store as S}, util::*};\nuse db::begin;\n\
            use crate::database::{\n    pools as p,\n    Basket,\n};\n\
            // use nothing here\nfn f() { db::finish(&mut c); crate::audit::log(1); Utc::now(); x.y::<u8>(); }";
        assert_eq!(
            use_specifiers(text),
            vec![
                "crate::audit::log",
                "crate::database::Basket",
                "crate::database::pools",
                "crate::store",
                "crate::store::Store",
                "crate::util",
                "self::db::begin",
                "self::db::finish",
            ]
        );
    }
}
