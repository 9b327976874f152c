// Loads a fixture as the program it is, without rewriting it: esbuild strips
// its types, and a `require` of our own resolves its imports. `pg` is the real
// driver (watched, pg.cjs); other packages are stand-ins (fakes.cjs) or, for
// zod, the real package; a local module that the fixtures do not contain
// becomes a stand-in whose pools are real. Every scenario gets a fresh set of
// module instances, so module-level pools and state start over.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const vm = require('node:vm')
const util = require('node:util')
const { builtinModules } = require('node:module')
const { requireDep } = require('./deps.cjs')
const esbuild = requireDep('esbuild')
const { facade, state, inCall } = require('./pg.cjs')
const fakes = require('./fakes.cjs')

const EXTENSIONS = ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs']
// Real packages: the driver's own companions, and a validator whose
// behaviour decides which requests get through.
const REAL_PACKAGES = new Set(['zod', 'pg-query-stream'])
// Names that a missing local module is taken to export as the app's pool.
const POOL_NAME = /^(pool|db|database|default|(?!get|create|make)[a-z]+Pool)$/

const compiled = new Map()

function loaderFor(file) {
  if (file.endsWith('.tsx')) return 'tsx'
  if (/\.(m|c)?ts$/.test(file)) return 'ts'
  return 'js'
}

/** Wrapper parameters: CommonJS's own, then globals a fixture is handed by us. */
const WRAPPER = ['exports', 'require', 'module', '__filename', '__dirname', 'console', 'process', 'fetch',
  '__gtJsx', '__gtFragment', 'Error']

/**
 * The fixture's `Error`: the real one, except that making one (or one of a
 * class that extends it) during the call is noted. An error the function
 * throws and catches itself leaves no other trace, and it makes the path an
 * error path.
 */
class FixtureError extends Error {
  constructor(...args) {
    super(...args)
    if (state.scenario && inCall.getStore()) state.scenario.appErrors.push(this.message)
  }

  static [Symbol.hasInstance](value) {
    return value instanceof Error
  }
}
Object.defineProperty(FixtureError, 'name', { value: 'Error' })

/** esbuild's options for a fixture: its types stripped, JSX made calls. */
function transformOptions(file, format) {
  return {
    loader: loaderFor(file),
    format,
    platform: 'node',
    target: 'node20',
    sourcefile: file,
    jsx: 'transform',
    jsxFactory: '__gtJsx',
    jsxFragment: '__gtFragment',
    tsconfigRaw: { compilerOptions: { experimentalDecorators: true } },
  }
}

function compile(file, ambient) {
  const key = file
  if (compiled.has(key)) return compiled.get(key)
  const source = fs.readFileSync(file, 'utf8')
  let code
  try {
    code = esbuild.transformSync(source, transformOptions(file, 'cjs')).code
  } catch (error) {
    const failure = { error: `esbuild: ${error.errors?.[0]?.text ?? error.message}` }
    compiled.set(key, failure)
    return failure
  }
  const params = [...WRAPPER, ...ambient.filter((name) => !WRAPPER.includes(name))]
  const fn = vm.compileFunction(code, params, { filename: file })
  const result = { fn, params }
  compiled.set(key, result)
  return result
}

/**
 * A module with top-level await cannot be CommonJS: it is loaded as an ES
 * module (node's vm modules), its imports linked to what `require` gives.
 */
const esmCompiled = new Map()
function compileESM(file, ambient) {
  if (esmCompiled.has(file)) return esmCompiled.get(file)
  const names = [...WRAPPER.slice(5), ...ambient.filter((name) => !WRAPPER.includes(name))]
  const code = esbuild.transformSync(fs.readFileSync(file, 'utf8'), {
    ...transformOptions(file, 'esm'),
    // The same globals as a CommonJS fixture gets, from the realm loading it.
    banner: `const { ${names.join(', ')} } = globalThis.__gtModuleGlobals;`,
  }).code
  // What each import asks of its module: default, names, or everything.
  const wanted = new Map()
  for (const m of code.matchAll(/^import\s+(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\}|\*\s+as\s+[\w$]+)?\s*from\s*["']([^"']+)["']/gm)) {
    const list = wanted.get(m[3]) || new Set()
    if (m[1]) list.add('default')
    for (const part of (m[2] || '').split(',')) {
      const name = part.trim().split(/\s+as\s+/)[0]
      if (name) list.add(name)
    }
    wanted.set(m[3], list)
  }
  const result = { code, wanted, names }
  esmCompiled.set(file, result)
  return result
}

class Realm {
  /**
   * @param fixtures  the fixtures/ts folder
   * @param options   aliases [{under, from, to}], modules {spec: overrides},
   *                  ambient {file: names}, globals {name: value}
   */
  constructor(fixtures, options = {}) {
    this.fixtures = fixtures
    this.options = options
    this.cache = new Map()
    this.pools = new Map()
    this.routes = []
    this.express = fakes.fakeExpress(this.routes)
    this.exited = undefined
    this.jsx = (type, props, ...children) => ({ type, props: props || {}, children })
    this.fragment = Symbol('fragment')
  }

  /** The app's shared pool behind a module that is not in the fixtures. */
  pool(name = 'pool') {
    const key = name === 'db' || name === 'database' || name === 'default' ? 'pool' : name
    if (!this.pools.has(key)) {
      // Set up as the audit recommends, with an 'error' listener (its absence is TX008's business).
      const pool = new facade.Pool({})
      pool.on('error', () => {})
      this.pools.set(key, pool)
    }
    return this.pools.get(key)
  }

  /** The module's exports; an ES module with top-level await is evaluated to its end first. */
  async loadAsync(file) {
    const absolute = path.resolve(file)
    if (this.cache.has(absolute)) return this.cache.get(absolute).exports
    const unit = compile(absolute, this.options.ambient?.(absolute) ?? [])
    if (unit.error && /Top-level await/.test(unit.error)) return this.loadESM(absolute)
    return this.load(absolute)
  }

  async loadESM(absolute) {
    const ambient = this.options.ambient?.(absolute) ?? []
    const { code, wanted, names } = compileESM(absolute, ambient)
    const module = { exports: {}, filename: absolute }
    this.cache.set(absolute, module)
    const mod = new vm.SourceTextModule(code, { identifier: absolute })
    await mod.link(async (spec) => {
      const exports = this.require(absolute, spec)
      const keys = typeof exports === 'object' && !util.types.isProxy(exports) ? Object.keys(exports) : []
      const exportNames = [...new Set(['default', ...keys, ...(wanted.get(spec) || [])])]
      return new vm.SyntheticModule(exportNames, function () {
        for (const name of exportNames) {
          this.setExport(name, name === 'default' && !exports?.__esModule ? exports : exports?.[name])
        }
      }, { identifier: `${absolute} -> ${spec}` })
    })
    const globals = this.globals()
    globalThis.__gtModuleGlobals = Object.fromEntries(names.map((name) => [name,
      name in globals ? globals[name] : this.options.globals?.[name] ?? fakes.anything(name)]))
    await mod.evaluate()
    module.exports = mod.namespace
    return module.exports
  }

  /** What a fixture is handed instead of Node's globals of the same name. */
  globals() {
    return {
      console: fakes.quietConsole,
      process: fakes.fakeProcess((code) => { this.exited = code }, this.options.argv),
      fetch: async () => new Response('{}', { status: 200 }),
      __gtJsx: this.jsx,
      __gtFragment: this.fragment,
      Error: FixtureError,
    }
  }

  load(file) {
    const absolute = path.resolve(file)
    if (this.cache.has(absolute)) return this.cache.get(absolute).exports
    const ambient = this.options.ambient?.(absolute) ?? []
    const unit = compile(absolute, ambient)
    if (unit.error) throw new Error(unit.error)
    const module = { exports: {}, filename: absolute, loaded: false }
    this.cache.set(absolute, module)
    const require = (spec) => this.require(absolute, spec)
    const globals = this.globals()
    const args = unit.params.map((name, i) => {
      if (i < 5) return [module.exports, require, module, absolute, path.dirname(absolute)][i]
      if (name in globals) return globals[name]
      return this.options.globals?.[name] ?? fakes.anything(name)
    })
    unit.fn.apply(module.exports, args)
    module.loaded = true
    return module.exports
  }

  resolveFile(fromFile, spec) {
    const fromRel = path.relative(this.fixtures, fromFile)
    let target
    for (const alias of this.options.aliases ?? []) {
      if ((!alias.under || fromRel.startsWith(alias.under)) && (spec === alias.from || spec.startsWith(alias.from))) {
        target = path.join(this.fixtures, alias.to + spec.slice(alias.from.length))
        break
      }
    }
    if (!target && (spec.startsWith('./') || spec.startsWith('../'))) target = path.resolve(path.dirname(fromFile), spec)
    if (!target) return undefined
    const candidates = [target, ...EXTENSIONS.map((e) => target + e), ...EXTENSIONS.map((e) => path.join(target, 'index' + e))]
    if (/\.m?js$/.test(target)) candidates.push(target.replace(/\.(m?)js$/, '.$1ts'))
    return candidates.find((c) => fs.existsSync(c) && fs.statSync(c).isFile())
  }

  require(fromFile, spec) {
    const override = this.options.modules?.[spec]
    if (override && override.__replace) return override.__replace
    if (spec === 'pg') return facade
    if (spec.startsWith('node:') || builtinModules.includes(spec)) return require(spec)
    if (REAL_PACKAGES.has(spec)) return requireDep(spec)
    const file = this.resolveFile(fromFile, spec)
    if (file) return this.load(file)
    const key = `stub:${spec}`
    if (!this.cache.has(key)) this.cache.set(key, { exports: this.stubModule(spec, override) })
    return this.cache.get(key).exports
  }

  stubModule(spec, overrides = {}) {
    const known = {
      'next/server': fakes.nextServer,
      'next/cache': fakes.nextCache,
      express: this.express,
      '@nestjs/common': fakes.nestCommon,
      'fastify-plugin': Object.assign((fn) => fn, { default: (fn) => fn }),
      'csv-stringify': { stringify: fakes.stringify },
    }
    if (known[spec]) return Object.keys(overrides).length ? Object.assign(Object.create(known[spec]), overrides) : known[spec]
    const local = spec.startsWith('.') || spec.startsWith('@/')
    const realm = this
    const members = new Map()
    // A function, so that a default import of it can be called (createDebug('app')).
    return new Proxy(function stub() {}, {
      apply: () => fakes.anything(`${spec}()`),
      get(_, prop) {
        if (typeof prop !== 'string') return undefined
        if (prop === '__esModule') return false
        if (prop in overrides) return overrides[prop]
        if (members.has(prop)) return members.get(prop)
        let value
        if (local) value = realm.localMember(spec, prop)
        members.set(prop, value ?? fakes.anything(`${spec}:${prop}`))
        return members.get(prop)
      },
      has: () => true,
    })
  }

  /**
   * What a local module that is not in the fixtures exports: the app's pool and
   * the usual helpers around it, written the correct way; the module itself
   * also acts as the pool (`const pool = require('./db')`).
   */
  localMember(spec, prop) {
    if (POOL_NAME.test(prop)) return this.pool(prop)
    const pool = () => this.pool()
    switch (prop) {
      case 'connect': return (...args) => pool().connect(...args)
      case 'query': return (...args) => pool().query(...args)
      case 'end': return () => Promise.resolve()
      case 'on': return () => pool()
      case 'getPool': return () => pool()
      case 'getDatabaseConfig': return () => ({})
      case 'getClient': return () => pool().connect()
      case 'releaseClient': return (client, error) => client.release(error instanceof Error ? error : undefined)
      case 'logger': return fakes.quietLogger()
      case 'withTransaction': return async (...args) => {
        const work = args.find((a) => typeof a === 'function')
        const client = await pool().connect()
        try {
          await client.query('BEGIN')
          const result = await work(client)
          await client.query('COMMIT')
          return result
        } catch (error) {
          await client.query('ROLLBACK')
          throw error
        } finally {
          client.release()
        }
      }
      default: return undefined
    }
  }
}

module.exports = { Realm, compile }
