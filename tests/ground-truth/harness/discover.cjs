// What a fixture offers to call, read from its syntax tree: exported functions,
// methods of exported classes and objects, CommonJS exports, Express routes
// and nested server actions; which `//~` labels fall in each; and the declared
// types of their parameters, from which inputs.cjs makes arguments.
'use strict'
const { requireDep } = require('./deps.cjs')
const ts = requireDep('typescript')

const LIFETIME = ['TX001', 'TX002', 'TX005', 'TX006']
const ROUTE_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'all'])

function scriptKind(file) {
  if (file.endsWith('.tsx')) return ts.ScriptKind.TSX
  if (/\.(m|c)?ts$/.test(file)) return ts.ScriptKind.TS
  return ts.ScriptKind.JS
}

/**
 * `//~ CODE` and `//~^ CODE` annotations, as {line, codes}; and findings
 * silenced on purpose by a txlint-ignore comment that names codes and gives
 * a reason (on the line, or on its own line above the next one), which are
 * still there to be observed.
 */
function annotations(text) {
  const found = []
  const lines = text.split('\n')
  lines.forEach((content, index) => {
    const match = /\/\/~(\^*)\s+([A-Z0-9 ]+?)\s*(?::.*)?$/.exec(content)
    if (match) {
      const codes = match[2].split(/\s+/).filter((code) => /^TX\d{3}$/.test(code))
      if (codes.length) found.push({ line: index + 1 - match[1].length, codes })
    }
    const ignored = /\/\/\s*txlint-ignore\s+((?:TX\d{3}[\s,]*)+):\s*\S/.exec(content)
    if (ignored) {
      const codes = ignored[1].split(/[\s,]+/).filter((code) => /^TX\d{3}$/.test(code))
      const ownLine = /^\s*\/\//.test(content)
      found.push({ line: index + 1 + (ownLine ? 1 : 0), codes, suppressed: true })
    }
  })
  return found
}

/** Codes a `txlint-ignore-file CODE: reason` comment silences in the whole file: not judged there. */
function fileSuppressions(text) {
  const match = /\/\/\s*txlint-ignore-file\s+((?:TX\d{3}[\s,]*)+):/.exec(text)
  return match ? match[1].split(/[\s,]+/).filter((code) => /^TX\d{3}$/.test(code)) : []
}

function hasModifier(node, kind) {
  return (ts.canHaveModifiers(node) && ts.getModifiers(node) || []).some((m) => m.kind === kind)
}

function isFunctionLike(node) {
  return node && (ts.isArrowFunction(node) || ts.isFunctionExpression(node) || ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node))
}

function propertyName(name) {
  if (!name) return undefined
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isPrivateIdentifier(name)) return name.text
  return undefined
}

/** A type node as plain data: what inputs.cjs needs to make a value of it. */
function describeType(node, sf) {
  if (!node) return { k: 'unknown' }
  switch (node.kind) {
    case ts.SyntaxKind.NumberKeyword: return { k: 'number' }
    case ts.SyntaxKind.StringKeyword: return { k: 'string' }
    case ts.SyntaxKind.BooleanKeyword: return { k: 'boolean' }
    case ts.SyntaxKind.BigIntKeyword: return { k: 'number' }
    case ts.SyntaxKind.AnyKeyword:
    case ts.SyntaxKind.UnknownKeyword:
    case ts.SyntaxKind.ObjectKeyword: return { k: 'unknown' }
    case ts.SyntaxKind.UndefinedKeyword:
    case ts.SyntaxKind.NullKeyword:
    case ts.SyntaxKind.VoidKeyword: return { k: 'undefined' }
  }
  if (ts.isParenthesizedTypeNode(node)) return describeType(node.type, sf)
  if (ts.isArrayTypeNode(node)) return { k: 'array', of: describeType(node.elementType, sf) }
  if (ts.isTupleTypeNode(node)) return { k: 'tuple', of: node.elements.map((e) => describeType(e, sf)) }
  if (ts.isLiteralTypeNode(node)) {
    const lit = node.literal
    if (ts.isStringLiteral(lit)) return { k: 'literal', value: lit.text }
    if (ts.isNumericLiteral(lit)) return { k: 'literal', value: Number(lit.text) }
    if (lit.kind === ts.SyntaxKind.TrueKeyword) return { k: 'literal', value: true }
    if (lit.kind === ts.SyntaxKind.FalseKeyword) return { k: 'literal', value: false }
    return { k: 'undefined' }
  }
  if (ts.isUnionTypeNode(node)) return { k: 'union', of: node.types.map((t) => describeType(t, sf)) }
  if (ts.isIntersectionTypeNode(node)) return { k: 'intersection', of: node.types.map((t) => describeType(t, sf)) }
  if (ts.isTypeLiteralNode(node)) return describeMembers(node.members, sf)
  if (ts.isFunctionTypeNode(node)) {
    return { k: 'function', params: node.parameters.map((p) => describeType(p.type, sf)) }
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText(sf)
    const args = (node.typeArguments || []).map((t) => describeType(t, sf))
    return { k: 'ref', name, args }
  }
  return { k: 'unknown' }
}

function describeMembers(members, sf) {
  const fields = {}
  for (const member of members) {
    if (ts.isPropertySignature(member) && member.name) {
      fields[propertyName(member.name) ?? member.name.getText(sf)] = {
        type: describeType(member.type, sf),
        optional: !!member.questionToken,
      }
    }
  }
  return { k: 'object', fields }
}

function describeParam(param, sf) {
  const name = ts.isIdentifier(param.name) ? param.name.text : undefined
  const pattern = ts.isObjectBindingPattern(param.name)
    ? param.name.elements.map((e) => propertyName(e.propertyName || e.name)).filter(Boolean)
    : undefined
  return {
    name,
    pattern,
    optional: !!param.questionToken || !!param.initializer,
    rest: !!param.dotDotDotToken,
    type: param.type ? describeType(param.type, sf) : undefined,
  }
}

/** The interfaces and type aliases a file declares, for `ref` types. */
function localTypes(sf) {
  const types = {}
  const visit = (node) => {
    if (ts.isInterfaceDeclaration(node)) types[node.name.text] = describeMembers(node.members, sf)
    else if (ts.isTypeAliasDeclaration(node)) types[node.name.text] = describeType(node.type, sf)
    else if (ts.isModuleDeclaration(node) && node.body) ts.forEachChild(node.body, visit)
  }
  ts.forEachChild(sf, visit)
  return types
}

/** Imported names and the module each comes from. */
function importedNames(sf) {
  const names = {}
  for (const statement of sf.statements) {
    if (!ts.isImportDeclaration(statement) || !statement.importClause) continue
    const from = statement.moduleSpecifier.text
    const clause = statement.importClause
    if (clause.name) names[clause.name.text] = from
    const bindings = clause.namedBindings
    if (bindings && ts.isNamedImports(bindings)) {
      for (const element of bindings.elements) names[element.name.text] = from
    }
  }
  return names
}

/** Names a file declares for the type checker only (`declare const x: any`). */
function ambientNames(sf) {
  const names = []
  for (const statement of sf.statements) {
    if (ts.isVariableStatement(statement) && hasModifier(statement, ts.SyntaxKind.DeclareKeyword)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) names.push(d.name.text)
      }
    }
  }
  return names
}

function lineOf(sf, pos) {
  return sf.getLineAndCharacterOfPosition(pos).line + 1
}

function discover(file, text) {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, scriptKind(file))
  const entries = []
  const functionsByName = new Map()
  const classes = new Map()

  const span = (node) => ({ from: lineOf(sf, node.getStart(sf)), to: lineOf(sf, node.end) })
  const add = (entry, node) => {
    entry.node = node
    entry.span = span(node)
    entry.params = isFunctionLike(node) ? node.parameters.map((p) => describeParam(p, sf)) : []
    entry.async = isFunctionLike(node) && hasModifier(node, ts.SyntaxKind.AsyncKeyword)
    entries.push(entry)
    return entry
  }

  // Named functions anywhere at the top level, for CommonJS exports and routes
  // that name their handler.
  for (const statement of sf.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) functionsByName.set(statement.name.text, statement)
    if (ts.isVariableStatement(statement)) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name) && d.initializer && isFunctionLike(d.initializer)) {
          functionsByName.set(d.name.text, d.initializer)
        }
      }
    }
    if (ts.isClassDeclaration(statement) && statement.name) classes.set(statement.name.text, statement)
  }

  const baseOf = (cls) => cls.heritageClauses?.flatMap((h) => h.types.map((t) => t.expression.getText(sf)))[0]
  const constructorOf = (cls) => {
    // A class without a constructor of its own takes its base class's.
    for (let c = cls; c; c = classes.get(baseOf(c))) {
      const ctor = c.members.find((m) => ts.isConstructorDeclaration(m))
      if (ctor) return ctor
    }
    return undefined
  }
  const classEntries = (cls, exportName) => {
    const ctor = constructorOf(cls)
    const base = baseOf(cls)
    const info = {
      exportName,
      abstract: hasModifier(cls, ts.SyntaxKind.AbstractKeyword),
      ctorParams: ctor ? ctor.parameters.map((p) => describeParam(p, sf)) : undefined,
      base,
    }
    for (const member of cls.members) {
      const name = propertyName(member.name)
      if (!name || (member.name && ts.isPrivateIdentifier(member.name))) continue
      if (hasModifier(member, ts.SyntaxKind.PrivateKeyword) || hasModifier(member, ts.SyntaxKind.ProtectedKeyword)) continue
      const isStatic = hasModifier(member, ts.SyntaxKind.StaticKeyword)
      if (ts.isMethodDeclaration(member) && member.body) {
        add({ kind: 'method', name: `${exportName}.${name}`, exportName, member: name, isStatic, cls: info }, member)
      } else if (ts.isPropertyDeclaration(member) && member.initializer && isFunctionLike(member.initializer)) {
        add({ kind: 'method', name: `${exportName}.${name}`, exportName, member: name, isStatic, cls: info },
          member.initializer)
      }
    }
  }

  const objectEntries = (object, exportName) => {
    for (const prop of object.properties) {
      const name = propertyName(prop.name)
      if (!name) continue
      if (ts.isMethodDeclaration(prop)) {
        add({ kind: 'member', name: `${exportName}.${name}`, exportName, member: name }, prop)
      } else if (ts.isPropertyAssignment(prop) && isFunctionLike(prop.initializer)) {
        add({ kind: 'member', name: `${exportName}.${name}`, exportName, member: name }, prop.initializer)
      }
    }
  }

  const exportValue = (exportName, value) => {
    if (!value) return
    if (isFunctionLike(value)) return add({ kind: 'function', name: exportName, exportName }, value)
    if (ts.isIdentifier(value)) {
      const fn = functionsByName.get(value.text)
      if (fn) return add({ kind: 'function', name: exportName, exportName }, fn)
      const cls = classes.get(value.text)
      if (cls) return classEntries(cls, exportName)
    }
    if (ts.isObjectLiteralExpression(value)) return objectEntries(value, exportName)
  }

  for (const statement of sf.statements) {
    const exported = hasModifier(statement, ts.SyntaxKind.ExportKeyword)
    const isDefault = hasModifier(statement, ts.SyntaxKind.DefaultKeyword)
    if (ts.isFunctionDeclaration(statement) && exported && statement.body) {
      const name = isDefault ? 'default' : statement.name.text
      add({ kind: 'function', name, exportName: name }, statement)
    } else if (ts.isClassDeclaration(statement) && exported) {
      classEntries(statement, isDefault ? 'default' : statement.name.text)
    } else if (ts.isVariableStatement(statement) && exported) {
      for (const d of statement.declarationList.declarations) {
        if (ts.isIdentifier(d.name)) exportValue(d.name.text, d.initializer)
      }
    } else if (ts.isExportAssignment(statement)) {
      exportValue('default', statement.expression)
    } else if (ts.isExpressionStatement(statement) && ts.isBinaryExpression(statement.expression) &&
      statement.expression.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      // CommonJS: module.exports = {...} | fn, exports.x = fn, module.exports.x = fn
      const left = statement.expression.left.getText(sf)
      const right = statement.expression.right
      if (left === 'module.exports') {
        if (ts.isObjectLiteralExpression(right)) {
          for (const prop of right.properties) {
            const name = propertyName(prop.name)
            if (ts.isShorthandPropertyAssignment(prop)) exportValue(name, prop.name)
            else if (ts.isPropertyAssignment(prop)) exportValue(name, prop.initializer)
            else if (ts.isMethodDeclaration(prop)) add({ kind: 'function', name, exportName: name }, prop)
          }
        } else {
          exportValue('module.exports', right)
        }
      } else {
        const match = /^(?:module\.)?exports\.(\w+)$/.exec(left)
        if (match) exportValue(match[1], right)
      }
    }
  }

  // Express routes: app.get('/path', ...handlers) anywhere in the file.
  const visitRoutes = (node) => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) &&
      ROUTE_METHODS.has(node.expression.name.text) && node.arguments.length >= 2 &&
      ts.isStringLiteralLike(node.arguments[0])) {
      const method = node.expression.name.text.toUpperCase()
      const path = node.arguments[0].text
      const last = node.arguments[node.arguments.length - 1]
      const handler = isFunctionLike(last) ? last : ts.isIdentifier(last) ? functionsByName.get(last.text) : undefined
      if (handler) {
        add({ kind: 'route', name: `${method} ${path}`, method, path, router: node.expression.expression.getText(sf) },
          handler)
      }
    }
    ts.forEachChild(node, visitRoutes)
  }
  visitRoutes(sf)

  // Server actions ('use server') declared inside an exported component.
  const visitActions = (node, parent) => {
    if (ts.isFunctionDeclaration(node) && node.name && parent && node.body?.statements[0] &&
      ts.isExpressionStatement(node.body.statements[0]) && ts.isStringLiteral(node.body.statements[0].expression) &&
      node.body.statements[0].expression.text === 'use server') {
      add({ kind: 'action', name: `${parent.name} > ${node.name.text}`, parent: parent.name, action: node.name.text }, node)
    }
    ts.forEachChild(node, (child) => visitActions(child, parent))
  }
  for (const entry of entries.filter((e) => e.kind === 'function')) visitActions(entry.node, entry)

  // Work a script does when it is loaded: its calls at the top level.
  const topLevelCalls = sf.statements.some((st) => ts.isExpressionStatement(st) && !isRegistration(st.expression, sf) &&
    containsCall(st.expression) && !ts.isBinaryExpression(st.expression))
  if (topLevelCalls || hasTopLevelAwait(sf)) {
    add({ kind: 'module', name: '<module>', exportName: '<module>' }, sf)
    entries[entries.length - 1].params = []
  }
  const unattributed = attribute(sf, text, entries)
  for (const entry of entries) delete entry.node
  return {
    entries,
    unattributed,
    types: localTypes(sf),
    imports: importedNames(sf),
    ambient: ambientNames(sf),
    topLevelAwait: hasTopLevelAwait(sf),
    labels: annotations(text),
    fileSuppressed: fileSuppressions(text),
  }
}

function containsCall(node) {
  let found = false
  const visit = (n) => {
    if (found || isFunctionLike(n)) return
    if (ts.isCallExpression(n) || ts.isNewExpression(n)) found = true
    else ts.forEachChild(n, visit)
  }
  visit(node)
  return found
}

/** `pool.on('error', ...)`, `router.get('/x', ...)`, `require('dotenv').config()`: set-up, not work. */
function isRegistration(expr, sf) {
  if (!ts.isCallExpression(expr)) return false
  const callee = expr.expression.getText(sf)
  return /\.(on|once|use|get|post|put|patch|delete|all|set|config|listen)$/.test(callee) && !/^\w+\(\)/.test(callee)
}

function hasTopLevelAwait(sf) {
  let found = false
  const visit = (node) => {
    if (found || isFunctionLike(node) || ts.isClassDeclaration(node)) return
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) found = true
    else ts.forEachChild(node, visit)
  }
  ts.forEachChild(sf, visit)
  return found
}

/**
 * Each label belongs to the innermost entry around it; a label inside a
 * function that is not an entry (a helper of the same file) belongs to the
 * entries that call that helper by name.
 */
function attribute(sf, text, entries) {
  for (const entry of entries) entry.labels = []
  const unattributed = []
  const size = (e) => e.span.to - e.span.from
  const namedFunctions = []
  const visit = (node) => {
    let name
    if (ts.isFunctionDeclaration(node) && node.name) name = node.name.text
    else if ((ts.isArrowFunction(node) || ts.isFunctionExpression(node)) && ts.isVariableDeclaration(node.parent) &&
      ts.isIdentifier(node.parent.name)) name = node.parent.name.text
    else if (ts.isMethodDeclaration(node)) name = propertyName(node.name)
    if (name) namedFunctions.push({ name, node, from: lineOf(sf, node.getStart(sf)), to: lineOf(sf, node.end) })
    ts.forEachChild(node, visit)
  }
  visit(sf)

  const callers = (name, seen = new Set()) => {
    if (seen.has(name)) return []
    seen.add(name)
    const pattern = new RegExp(`(^|[^\\w$.])(this\\.)?${name.replace(/[$]/g, '\\$')}\\s*\\(`)
    const direct = entries.filter((e) => pattern.test(e.node.getText(sf)))
    if (direct.length) return direct
    // Through another helper of the same file.
    return namedFunctions
      .filter((f) => f.name !== name && pattern.test(f.node.getText(sf)))
      .flatMap((f) => callers(f.name, seen))
  }

  for (const label of annotations(text)) {
    const codes = label.codes.filter((c) => LIFETIME.includes(c) || c === 'TX004' || c === 'TX007')
    if (!codes.length) continue
    const moduleEntry = entries.find((e) => e.kind === 'module')
    const around = entries.filter((e) => e.kind !== 'module' && e.span.from <= label.line && label.line <= e.span.to)
    if (around.length) {
      const inner = around.sort((a, b) => size(a) - size(b))[0]
      // A helper declared inside the entry is still the entry's code.
      inner.labels.push({ line: label.line, codes, suppressed: label.suppressed })
      continue
    }
    const helper = namedFunctions
      .filter((f) => f.from <= label.line && label.line <= f.to)
      .sort((a, b) => (a.to - a.from) - (b.to - b.from))[0]
    const via = helper ? callers(helper.name).filter((e) => e.kind !== 'module') : []
    if (via.length) {
      for (const entry of via) entry.labels.push({ line: label.line, codes, via: helper.name })
    } else if (moduleEntry) {
      // Top-level code of a script, or a helper it calls when loaded.
      moduleEntry.labels.push({ line: label.line, codes, via: helper?.name })
    } else {
      unattributed.push({ line: label.line, codes })
    }
  }
  return unattributed
}

module.exports = { discover, annotations, LIFETIME }
