//! A Rust file's interface for linking: the paths its `use` items and its
//! calls of qualified paths import, the names it calls, and, once lowered,
//! what its functions do for callers in other modules.

use std::collections::BTreeSet;

use super::*;
use crate::flow::summary::{Summaries, Summary};
use crate::frontend::{Import, ModuleInterface};

/// What the file imports and calls, read before it is lowered.
///
/// Imports are written for the linker as full Rust paths: `use
/// crate::db::begin as open` is `open` from `crate::db::begin`, with
/// `imported` empty ("what the path names"); a glob is `*` bound to no
/// name. A call of a path of two segments or more (`db::begin(..)`,
/// `crate::db::begin(..)`, `Db::open(..)`) imports that path under the
/// name the call site looks up, `::` written `.` (`db.begin`).
pub(super) fn imports(file: &syn::File, facts: &FileFacts, base: usize) -> ModuleInterface {
    let mut interface = ModuleInterface::default();
    // `mod db;` declares a child module that paths may start at (`use
    // db::begin`); written `self::db` for the linker, whose bare first
    // names are other crates.
    let children: Vec<String> = file
        .items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Mod(module) if module.content.is_none() => Some(module.ident.to_string()),
            _ => None,
        })
        .collect();
    let rooted = |path: String| match path.split("::").next() {
        Some(first) if children.iter().any(|child| child == first) => format!("self::{path}"),
        _ => path,
    };
    for item in &file.items {
        if let syn::Item::Use(item) = item {
            let public = !matches!(item.vis, syn::Visibility::Inherited);
            let mut found = Vec::new();
            flatten(&item.tree, String::new(), &mut found);
            for mut import in found {
                import.specifier = rooted(import.specifier);
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
    let mut calls = Calls {
        facts,
        base,
        paths: BTreeSet::new(),
        names: BTreeSet::new(),
    };
    calls.visit_file(file);
    // An imported function or module that no lowered code calls cannot
    // change how the file lowers (types stay: their methods are looked up
    // by name).
    let first_segments: BTreeSet<&str> = calls
        .paths
        .iter()
        .filter_map(|path| path.split("::").next())
        .collect();
    interface.imports.retain(|import| {
        let local = import.local.as_str();
        local.is_empty()
            || local.starts_with(char::is_uppercase)
            || calls.names.contains(local)
            || first_segments.contains(local)
            || interface.exports.contains_key(local)
    });
    for path in calls.paths {
        let segments: Vec<&str> = path.split("::").collect();
        // A path that starts at an imported name goes on from where that
        // import leads (`use crate::repo;` then `repo::users::find(..)`).
        let specifier = match interface
            .imports
            .iter()
            .find(|import| import.local == segments[0] && import.imported.is_empty())
        {
            Some(import) => format!("{}::{}", import.specifier, segments[1..].join("::")),
            // A type's (`Utc::now`) that no `use` brought in is not
            // another module's.
            None if segments[0].starts_with(char::is_uppercase) => continue,
            None => rooted(path.clone()),
        };
        interface.imports.push(Import {
            local: segments.join("."),
            imported: String::new(),
            specifier,
        });
    }
    interface.called = calls.names.into_iter().collect();
    interface
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
            });
        }
        syn::UseTree::Glob(_) => found.push(Import {
            local: String::new(),
            imported: "*".to_string(),
            specifier: prefix,
        }),
        syn::UseTree::Group(group) => {
            for tree in &group.items {
                flatten(tree, prefix.clone(), found);
            }
        }
    }
}

/// The paths of two segments or more that the file's functions call, and
/// the last names of everything they call (functions and methods). A
/// function that names nothing of the vocabulary is not lowered, so what
/// it calls does not matter.
struct Calls<'f, 'v> {
    facts: &'f FileFacts<'v>,
    base: usize,
    paths: BTreeSet<String>,
    names: BTreeSet<String>,
}

impl Calls<'_, '_> {
    fn lowered(&self, signature: &syn::Signature, block: &Block) -> bool {
        let span = Span::new(
            to_span(self.base, signature.fn_token.span).start,
            to_span(self.base, block.brace_token.span.close()).end,
        );
        self.facts.names_vocabulary(span)
    }
}

impl<'ast> Visit<'ast> for Calls<'_, '_> {
    fn visit_item_fn(&mut self, item: &'ast ItemFn) {
        if self.lowered(&item.sig, &item.block) {
            syn::visit::visit_item_fn(self, item);
        }
    }

    fn visit_impl_item_fn(&mut self, item: &'ast ImplItemFn) {
        if self.lowered(&item.sig, &item.block) {
            syn::visit::visit_impl_item_fn(self, item);
        }
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if let Expr::Path(path) = &*call.func
            && path.qself.is_none()
            && let Some(last) = path.path.segments.last()
        {
            self.names.insert(last.ident.to_string());
            let first = path.path.segments[0].ident.to_string();
            if path.path.segments.len() > 1 && first != "Self" {
                self.paths.insert(path_string(&path.path));
            }
        }
        syn::visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        self.names.insert(call.method.to_string());
        syn::visit::visit_expr_method_call(self, call);
    }
}

/// The summaries of the file's functions, for other modules: each by its
/// name in the file (`begin`, `Db.begin`), exported under its first
/// segment, as every item is reachable by path (`rustc` checks
/// visibility; a call that compiles may rely on it).
pub(super) fn export_summaries(
    interface: &mut ModuleInterface,
    flows: &[FnFlow],
    helpers: &HashMap<String, TransactionHelper>,
    reads_only: &[String],
) {
    let mut summaries = Summaries::new();
    let key = |name: &str| name.replace("::", ".");
    for flow in flows {
        let last = flow.name.rsplit("::").next().unwrap_or(&flow.name);
        let Some(helper) = helpers.get(last) else {
            continue;
        };
        let mut summary = Summary::default();
        match *helper {
            TransactionHelper::Begins(position) => summary.begins.push(position),
            TransactionHelper::Ends(position) => summary.ends.push(position),
        }
        summaries.insert(key(&flow.name), summary);
    }
    for name in reads_only {
        summaries.entry(key(name)).or_default().reads_only = true;
    }
    for name in summaries.keys() {
        let owner = name.split('.').next().unwrap_or(name).to_string();
        interface.exports.insert(owner.clone(), owner);
    }
    interface.summaries = summaries;
}
