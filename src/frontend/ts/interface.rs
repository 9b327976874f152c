//! A module's interface for linking: what it imports and exports, in ES
//! module and CommonJS forms, read from the top level only.

use super::*;

/// What the module imports and exports, from its top-level statements
/// (ES modules and CommonJS `require` / `module.exports`).
pub(super) fn module_interface(program: &Program) -> ModuleInterface {
    let mut interface = ModuleInterface::default();
    let items: Vec<&Stmt> = match program {
        Program::Script(script) => script.body.iter().collect(),
        Program::Module(module) => {
            let mut stmts = Vec::new();
            for item in &module.body {
                match item {
                    ModuleItem::Stmt(stmt) => stmts.push(stmt),
                    ModuleItem::ModuleDecl(decl) => module_decl(decl, &mut interface),
                }
            }
            stmts
        }
    };
    for stmt in items {
        match stmt {
            Stmt::Decl(Decl::Var(var)) => {
                for declarator in &var.decls {
                    top_level_binding(declarator, &mut interface);
                }
            }
            // `module.exports = { getClient }`, `exports.getClient = ..`
            Stmt::Expr(ExprStmt { expr, .. }) => {
                if let Expr::Assign(assign) = unwrap(expr)
                    && let AssignTarget::Simple(SimpleAssignTarget::Member(member)) = &assign.left
                    && let Some(place) = member_place(member)
                {
                    commonjs_export(&place, &assign.right, &mut interface);
                }
            }
            _ => {}
        }
    }
    // An exported instance's functions are its class's.
    for owner in interface.exports.values_mut() {
        if let Some(class) = interface.instances.get(owner.as_str()) {
            *owner = class.clone();
        }
    }
    let mut referenced = ReferencedImports(
        interface
            .imports
            .iter()
            .map(|import| (import.local.clone(), false))
            .collect(),
    );
    program.visit_with(&mut referenced);
    for import in &mut interface.imports {
        import.referenced = referenced.0[&import.local];
    }
    interface
}

/// Which import bindings the module's code names as values: anywhere but
/// in its imports, its export lists and its types, except the class that
/// types a field (`constructor(private db: Database)`), whose methods
/// `this.db.getClient()` calls. A `require` binding names itself, which
/// errs on the side of linking.
struct ReferencedImports(HashMap<String, bool>);

impl ReferencedImports {
    fn field_type(&mut self, annotation: Option<&TsTypeAnn>) {
        if let Some(TsType::TsTypeRef(TsTypeRef {
            type_name: TsEntityName::Ident(ident),
            ..
        })) = annotation.map(|annotation| &*annotation.type_ann)
        {
            self.visit_ident(ident);
        }
    }
}

impl Visit for ReferencedImports {
    fn visit_ident(&mut self, ident: &Ident) {
        if let Some(referenced) = self.0.get_mut(&*ident.sym) {
            *referenced = true;
        }
    }
    fn visit_ts_param_prop(&mut self, property: &TsParamProp) {
        if let TsParamPropParam::Ident(binding) = &property.param {
            self.field_type(binding.type_ann.as_deref());
        }
        property.visit_children_with(self);
    }
    fn visit_class_prop(&mut self, property: &ClassProp) {
        self.field_type(property.type_ann.as_deref());
        property.visit_children_with(self);
    }
    fn visit_import_decl(&mut self, _: &ImportDecl) {}
    fn visit_named_export(&mut self, _: &NamedExport) {}
    fn visit_ts_type(&mut self, _: &TsType) {}
    fn visit_ts_expr_with_type_args(&mut self, _: &TsExprWithTypeArgs) {}
    fn visit_ts_interface_decl(&mut self, _: &TsInterfaceDecl) {}
    fn visit_ts_type_alias_decl(&mut self, _: &TsTypeAliasDecl) {}
}

pub(super) fn module_decl(decl: &ModuleDecl, interface: &mut ModuleInterface) {
    let name = |name: &ModuleExportName| match name {
        ModuleExportName::Ident(ident) => ident.sym.to_string(),
        ModuleExportName::Str(string) => string.value.to_string_lossy().into_owned(),
    };
    match decl {
        ModuleDecl::Import(import) => {
            let specifier = import.src.value.to_string_lossy().into_owned();
            for binding in &import.specifiers {
                let (local, imported) = match binding {
                    ImportSpecifier::Named(named) => (
                        named.local.sym.to_string(),
                        named
                            .imported
                            .as_ref()
                            .map_or_else(|| named.local.sym.to_string(), name),
                    ),
                    ImportSpecifier::Default(default) => {
                        (default.local.sym.to_string(), "default".to_string())
                    }
                    ImportSpecifier::Namespace(namespace) => {
                        (namespace.local.sym.to_string(), "*".to_string())
                    }
                };
                interface.imports.push(Import {
                    local,
                    imported,
                    specifier: specifier.clone(),
                    referenced: false,
                });
            }
        }
        ModuleDecl::ExportDecl(export) => match &export.decl {
            Decl::Fn(function) => {
                let name = function.ident.sym.to_string();
                interface.exports.insert(name.clone(), name);
            }
            Decl::Class(class) => {
                let name = class.ident.sym.to_string();
                interface.exports.insert(name.clone(), name);
            }
            Decl::Var(var) => {
                for declarator in &var.decls {
                    top_level_binding(declarator, interface);
                    if let Pat::Ident(binding) = &declarator.name {
                        let name = binding.id.sym.to_string();
                        // `export const kit = { start, abort }`: an object
                        // of the file's functions.
                        if let Some(Expr::Object(object)) = declarator.init.as_deref().map(unwrap) {
                            for (key, local) in object_members(object) {
                                interface.exports.insert(format!("{name}.{key}"), local);
                            }
                        }
                        interface.exports.insert(name.clone(), name);
                    }
                }
            }
            _ => {}
        },
        ModuleDecl::ExportNamed(named) => {
            let from = named
                .src
                .as_ref()
                .map(|s| s.value.to_string_lossy().into_owned());
            for specifier in &named.specifiers {
                let (original, exported) = match specifier {
                    ExportSpecifier::Named(specifier) => {
                        let original = name(&specifier.orig);
                        let exported = specifier
                            .exported
                            .as_ref()
                            .map_or_else(|| original.clone(), name);
                        (original, exported)
                    }
                    ExportSpecifier::Namespace(namespace) => {
                        ("*".to_string(), name(&namespace.name))
                    }
                    ExportSpecifier::Default(default) => {
                        ("default".to_string(), default.exported.sym.to_string())
                    }
                };
                match &from {
                    // `export { getClient } from './pool'`: an import that
                    // is exported again.
                    Some(specifier) => {
                        let local = format!("<re-export {exported}>");
                        interface.imports.push(Import {
                            local: local.clone(),
                            imported: original,
                            specifier: specifier.clone(),
                            referenced: false,
                        });
                        interface.exports.insert(exported, local);
                    }
                    None => {
                        interface.exports.insert(exported, original);
                    }
                }
            }
        }
        ModuleDecl::ExportAll(all) => {
            interface
                .reexports_all
                .push(all.src.value.to_string_lossy().into_owned());
        }
        ModuleDecl::ExportDefaultDecl(export) => {
            let local = match &export.decl {
                DefaultDecl::Fn(function) => function.ident.as_ref().map(|i| i.sym.to_string()),
                DefaultDecl::Class(class) => class.ident.as_ref().map(|i| i.sym.to_string()),
                DefaultDecl::TsInterfaceDecl(_) => None,
            };
            // An anonymous default export is lowered under `default`.
            interface
                .exports
                .insert("default".into(), local.unwrap_or_else(|| "default".into()));
        }
        ModuleDecl::ExportDefaultExpr(export) => {
            let local = match unwrap(&export.expr) {
                Expr::Ident(ident) => ident.sym.to_string(),
                Expr::Object(object) => {
                    interface.default_object = true;
                    for (key, local) in object_members(object) {
                        interface.exports.insert(format!("default.{key}"), local);
                    }
                    "default".to_string()
                }
                Expr::New(new) => match callee_name(&new.callee) {
                    Some(class) => class.to_string(),
                    None => return,
                },
                _ => "default".to_string(),
            };
            interface.exports.insert("default".into(), local);
        }
        _ => {}
    }
}

/// `module.exports = ..` or `exports.name = ..` (`module.exports.name`).
pub(super) fn commonjs_export(place: &str, value: &Expr, interface: &mut ModuleInterface) {
    let name = if place == "module.exports" {
        None
    } else if let Some(name) = place
        .strip_prefix("module.exports.")
        .or_else(|| place.strip_prefix("exports."))
    {
        Some(name.to_string())
    } else {
        return;
    };
    interface.commonjs = true;
    match (name, unwrap(value)) {
        (None, Expr::Object(object)) => {
            interface.default_object = true;
            for (key, local) in object_members(object) {
                interface.exports.insert(key, local);
            }
        }
        // `module.exports = getClient`: the module is the function.
        (None, Expr::Ident(ident)) => {
            interface
                .exports
                .insert("default".into(), ident.sym.to_string());
        }
        (None, _) => {
            interface.exports.insert("default".into(), "default".into());
        }
        (Some(name), Expr::Ident(ident)) => {
            interface.exports.insert(name, ident.sym.to_string());
        }
        // Lowered under the name it is exported by (see `Collector`).
        (Some(name), _) => {
            interface.exports.insert(name.clone(), name);
        }
    }
}

/// The members of an exported object, each with the name of what runs
/// when it is called: `{ getClient }` and `{ acquire: getClient }` name a
/// function of the file, `{ getClient: async () => .. }` and
/// `{ async getClient() {..} }` are lowered under their key.
pub(super) fn object_members(object: &ObjectLit) -> Vec<(String, String)> {
    let mut members = Vec::new();
    for prop in &object.props {
        let PropOrSpread::Prop(prop) = prop else {
            continue;
        };
        match &**prop {
            Prop::Shorthand(ident) => members.push((ident.sym.to_string(), ident.sym.to_string())),
            Prop::KeyValue(kv) => {
                let key = prop_name(&kv.key);
                let local = match unwrap(&kv.value) {
                    Expr::Ident(ident) => ident.sym.to_string(),
                    _ => key.clone(),
                };
                members.push((key, local));
            }
            Prop::Method(method) => {
                let key = prop_name(&method.key);
                members.push((key.clone(), key));
            }
            _ => {}
        }
    }
    members
}

/// `const db = new Database()` and `const { getClient } = require('./db')`
/// at the top level.
pub(super) fn top_level_binding(declarator: &VarDeclarator, interface: &mut ModuleInterface) {
    let Some(init) = &declarator.init else { return };
    let init = match unwrap(init) {
        Expr::Await(AwaitExpr { arg, .. }) => unwrap(arg),
        other => other,
    };
    match (init, &declarator.name) {
        (Expr::New(new), Pat::Ident(binding)) => {
            if let Some(class) = callee_name(&new.callee) {
                interface
                    .instances
                    .insert(binding.id.sym.to_string(), class.to_string());
            }
        }
        (Expr::Call(call), pattern) => {
            let Callee::Expr(callee) = &call.callee else {
                return;
            };
            if !matches!(unwrap(callee), Expr::Ident(ident) if ident.sym == "require") {
                return;
            }
            let Some(specifier) = call.args.first().and_then(|a| literal_text(&a.expr)) else {
                return;
            };
            let mut import = |local: String, imported: String| {
                interface.imports.push(Import {
                    local,
                    imported,
                    specifier: specifier.clone(),
                    referenced: false,
                });
            };
            match pattern {
                Pat::Ident(binding) => import(binding.id.sym.to_string(), "*".into()),
                Pat::Object(object) => {
                    for prop in &object.props {
                        match prop {
                            ObjectPatProp::Assign(assign) => {
                                let name = assign.key.sym.to_string();
                                import(name.clone(), name);
                            }
                            ObjectPatProp::KeyValue(kv) => {
                                if let Pat::Ident(local) = &*kv.value {
                                    import(local.id.sym.to_string(), prop_name(&kv.key));
                                }
                            }
                            ObjectPatProp::Rest(_) => {}
                        }
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_imports_the_code_can_call_through_are_referenced() {
        let text = "\
import { getClient, type PoolClient } from './db'
import type { Row } from './rows'
import { Database } from './database'
import { Audit } from './audit'
import { Mailer } from './mailer'
import { format } from './format'
export { format }
export class Service {
  constructor(private readonly db: Database, audit: Audit) {}
  mailer: Mailer
  async find(client: PoolClient): Promise<Row> {
    const own = await getClient()
    return this.db.getClient()
  }
}
";
        let (program, _) = parse(
            text,
            Language::TypeScript {
                tsx: false,
                declaration: false,
            },
        )
        .expect("parses");
        let interface = module_interface(&program);
        let referenced: Vec<(&str, bool)> = interface
            .imports
            .iter()
            .map(|import| (import.local.as_str(), import.referenced))
            .collect();
        assert_eq!(
            referenced,
            [
                ("getClient", true),
                ("PoolClient", false),
                ("Row", false),
                // A field's class: `this.db.getClient()` runs its method.
                ("Database", true),
                // A plain parameter's type is not a field's.
                ("Audit", false),
                ("Mailer", true),
                // Exported again, never called here.
                ("format", false),
            ]
        );
    }
}
