//! A Rust file's interface for linking: the paths its `use` items and the
//! calls its lowering asked about import, and, once lowered, what its
//! functions do for callers in other modules.

use std::collections::BTreeSet;

use super::*;
use crate::flow::summary::{Summaries, Summary};
use crate::frontend::{Import, ModuleInterface};

/// What the file's `use` items import, and which of them it re-exports.
///
/// Imports are written for the linker as full Rust paths: `use
/// crate::db::begin as open` is `open` from `crate::db::begin`, with
/// `imported` empty ("what the path names"); a glob is `*` bound to no
/// name. A child module declared with `mod db;` is written `self::db`, as
/// the linker reads a bare first name as another crate.
pub(super) fn use_imports(file: &syn::File) -> ModuleInterface {
    let mut interface = ModuleInterface::default();
    let children = declared_modules(file, false);
    let inline = declared_modules(file, true);
    for item in &file.items {
        if let syn::Item::Use(item) = item {
            let public = !matches!(item.vis, syn::Visibility::Inherited);
            let mut found = Vec::new();
            flatten(&item.tree, String::new(), &mut found);
            for mut import in found {
                // `pub use request::BlockId` of a `mod request { .. }` in
                // this file: its functions are this file's, exported by
                // their own names (see `export_summaries`).
                let first = import.specifier.split("::").next().unwrap_or_default();
                if inline.iter().any(|module| module == first) {
                    continue;
                }
                import.specifier = rooted(import.specifier, &children);
                // Of this crate's modules or of another crate's (`use
                // other_crate::*;`): `use super::*` below sees both.
                if !public && import.imported == "*" {
                    interface.private_globs.push(import.specifier.clone());
                }
                if public {
                    if import.imported == "*" {
                        interface.reexports_all.push(import.specifier.clone());
                    } else {
                        // Seen from elsewhere, `pub use` names what it
                        // imports.
                        interface
                            .exports
                            .insert(import.local.clone(), import.local.clone());
                    }
                }
                interface.imports.push(import);
            }
        }
    }
    interface
}

/// Link only what lowering asked about (`consulted`, see
/// `FileFacts::imported_function`): a call of a path of two segments or
/// more (`db::begin(..)`, `crate::db::begin(..)`, `Db::open(..)`) imports
/// that path under the name it was looked up by (`db.begin`), going on from
/// where a `use` leads when it starts at one (`use crate::repo;` then
/// `repo::users::find(..)`). Of the `use` imports, those stay that can bind
/// a name asked about, and those re-exported. No other import can change
/// how the file lowers, and a module the prefilter skipped is read only
/// when a call asks for it.
pub(super) fn keep_consulted(
    interface: &mut ModuleInterface,
    consulted: &BTreeSet<String>,
    file: &syn::File,
) {
    let methods = consulted.iter().any(|name| name.starts_with('.'));
    let binds = |local: &str| {
        consulted.iter().any(|name| {
            name.strip_prefix(local)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
        })
    };
    let exports = &interface.exports;
    interface.imports.retain(|import| {
        let local = import.local.as_str();
        exports.contains_key(local)
            || (local.is_empty() && !consulted.is_empty())
            || (local.starts_with(char::is_uppercase) && methods)
            || binds(local)
    });
    let children = declared_modules(file, false);
    let mut paths = Vec::new();
    for name in consulted
        .iter()
        .filter(|name| name.contains('.') && !name.starts_with('.'))
    {
        let segments: Vec<&str> = name.split('.').collect();
        let rest = segments[1..].join("::");
        let specifier = match interface
            .imports
            .iter()
            .find(|import| import.local == segments[0] && import.imported.is_empty())
        {
            Some(import) => format!("{}::{rest}", import.specifier),
            // A type's (`Utc::now`, `Self::open`) that no `use` brought in
            // is not another module's.
            None if segments[0].starts_with(char::is_uppercase) => continue,
            None => rooted(segments.join("::"), &children),
        };
        paths.push(Import {
            local: name.clone(),
            imported: String::new(),
            specifier,
            referenced: true,
        });
    }
    interface.imports.extend(paths);
    // Last names, for telling whether a changed summary matters.
    let last = |name: &String| name.rsplit('.').next().unwrap_or(name).to_string();
    let mut called: Vec<String> = consulted.iter().map(last).collect();
    called.sort();
    called.dedup();
    interface.called = called;
    let on_types = |name: &&String| {
        let mut owners = name.split('.').rev().skip(1);
        name.starts_with('.') || owners.any(|owner| owner.starts_with(char::is_uppercase))
    };
    let mut called_on_types: Vec<String> = consulted.iter().filter(on_types).map(last).collect();
    called_on_types.sort();
    called_on_types.dedup();
    interface.called_on_types = called_on_types;
}

/// The modules the file declares: written out in it (`mod name { .. }`,
/// `inline`), or in files of their own (`mod name;`).
fn declared_modules(file: &syn::File, inline: bool) -> Vec<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(module) if module.content.is_some() == inline => {
                Some(module.ident.to_string())
            }
            _ => None,
        })
        .collect()
}

/// `path`, written `self::..` when it starts at a child module.
fn rooted(path: String, children: &[String]) -> String {
    match path.split("::").next() {
        Some(first) if children.iter().any(|child| child == first) => format!("self::{path}"),
        _ => path,
    }
}

/// The bindings of one `use` tree below `prefix`.
fn flatten(tree: &syn::UseTree, prefix: String, found: &mut Vec<Import>) {
    let join = |name: &str| match prefix.is_empty() {
        true => name.to_string(),
        false => format!("{prefix}::{name}"),
    };
    match tree {
        syn::UseTree::Path(path) => flatten(&path.tree, join(&path.ident.to_string()), found),
        syn::UseTree::Name(name) => {
            let name = name.ident.to_string();
            // `use crate::db::{self}` binds the module itself.
            let (specifier, local) = match name.as_str() {
                "self" => (
                    prefix.clone(),
                    prefix.rsplit("::").next().unwrap_or(&prefix).to_string(),
                ),
                _ => (join(&name), name),
            };
            found.push(Import {
                local,
                imported: String::new(),
                specifier,
                referenced: true,
            });
        }
        syn::UseTree::Rename(rename) => {
            let name = rename.ident.to_string();
            found.push(Import {
                local: rename.rename.to_string(),
                imported: String::new(),
                specifier: match name.as_str() {
                    "self" => prefix.clone(),
                    _ => join(&name),
                },
                referenced: true,
            });
        }
        syn::UseTree::Glob(_) => found.push(Import {
            local: String::new(),
            imported: "*".to_string(),
            specifier: prefix,
            referenced: true,
        }),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten(tree, prefix.clone(), found);
            }
        }
    }
}

/// What the file's functions do with the connections and transactions
/// handed to them, by name.
pub(super) struct HandedConnections<'a> {
    /// Those that begin or end a transaction on one, or report their write.
    pub helpers: &'a HashMap<String, TransactionHelper>,
    /// Those that only read through a transaction lent to them.
    pub reads_only: &'a [String],
    /// Those that write through some of their parameters, with the
    /// parameters' positions.
    pub writes: &'a [(String, Vec<usize>)],
}

/// The summaries of the file's functions, for other modules: each by its
/// name in the file (`begin`, `Db.begin`), exported under its first
/// segment, as every item is reachable by path (`rustc` checks
/// visibility; a call that compiles may rely on it).
pub(super) fn export_summaries(
    interface: &mut ModuleInterface,
    flows: &[FnFlow],
    handed: HandedConnections<'_>,
    returning_transactions: &[String],
    hidden_types: &std::collections::HashSet<String>,
    opening: &[String],
) {
    let mut summaries = Summaries::new();
    let key = |name: &str| name.replace("::", ".");
    for flow in flows {
        let last = flow.name.rsplit("::").next().unwrap_or(&flow.name);
        let Some(helper) = handed.helpers.get(last) else {
            continue;
        };
        let mut summary = Summary::default();
        match *helper {
            TransactionHelper::Begins(position) => summary.begins.push(position),
            TransactionHelper::Ends(position) => summary.ends.push(position),
            TransactionHelper::ReportsWrite(position) => summary.reports_write.push(position),
        }
        summaries.insert(key(&flow.name), summary);
    }
    for name in handed.reads_only {
        summaries.entry(key(name)).or_default().reads_only = true;
    }
    for (name, positions) in handed.writes {
        summaries.entry(key(name)).or_default().writes = positions.clone();
    }
    // From signatures: the function may name nothing to lower
    // (`begin_transaction(&self.db).await`).
    for name in returning_transactions {
        let last = name.rsplit("::").next().unwrap_or(name);
        let summary = summaries.entry(key(name)).or_default();
        summary.returns_transaction_object = true;
        summary.transaction_type_hidden = hidden_types.contains(last);
    }
    for name in opening {
        summaries.entry(key(name)).or_default().opens_connection = true;
    }
    for name in summaries.keys() {
        let owner = name.split('.').next().unwrap_or(name).to_string();
        interface.exports.insert(owner.clone(), owner);
    }
    interface.summaries = summaries;
}
