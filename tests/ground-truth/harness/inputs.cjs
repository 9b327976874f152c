// Arguments for a fixture's function, made from the declared types of its
// parameters (or, in JavaScript, from their names): numbers and ids are 1,
// strings '1', arrays hold one element, a Pool is the app's pool, a PoolClient
// is one the harness checked out, a request is a fake one carrying the case's
// body. Booleans are tried both ways. cases.cjs overrides what this cannot guess.
'use strict'
const fakes = require('./fakes.cjs')

const DATE = '2024-01-15'

function stringFor(name = '') {
  const n = name.toLowerCase()
  if (/[a-z]At$/.test(name) || /time/.test(n)) return `${DATE}T12:00:00Z`
  if (/sql|statement/.test(n)) return 'SELECT 1'
  if (/email/.test(n)) return 'user1@example.com'
  if (/month/.test(n)) return '2024-01'
  if (/day|date|before|after|since/.test(n)) return DATE
  if (/url/.test(n)) return 'https://example.com/1'
  if (/^table$/.test(n)) return 'users'
  return '1'
}

/** A value for an untyped (JavaScript) parameter, by its name. */
function byName(name = '', ctx) {
  const n = name.toLowerCase()
  if (n === 'req') return ctx.expressRequest()
  if (n === 'request') return ctx.request()
  if (n === 'res' || n === 'response') return ctx.response()
  if (n === 'next') return ctx.next
  if (n === 'done' || n === 'cb' || n === 'callback') return ctx.callback(undefined, name)
  if (n === 'app' || n === 'router' || n === 'fastify') return ctx.app()
  if (/client|conn/.test(n)) return ctx.client()
  if (/pool/.test(n)) return ctx.pool()
  if (/ids$/.test(n)) return [1]
  if (/(^id|id)$/.test(n) || /cents|amount|count|limit|size|quantity/.test(n)) return 1
  if (/^(data|body|input|payload|opts|options|params|row|record)$/.test(n)) return {}
  if (/rows|items|list|batch/.test(n)) return [1]
  return stringFor(name)
}

function value(type, name, ctx, depth = 0) {
  if (depth > 6) return undefined
  if (!type) return byName(name, ctx)
  switch (type.k) {
    case 'number': return 1
    case 'string': return stringFor(name)
    case 'boolean': ctx.usedBoolean = true; return ctx.bool
    case 'literal': return type.value
    case 'undefined': return undefined
    case 'unknown': return byName(name, ctx) ?? {}
    case 'array': return [value(type.of, singular(name), ctx, depth + 1)]
    case 'tuple': return type.of.map((t) => value(t, name, ctx, depth + 1))
    case 'union': {
      const members = type.of.filter((t) => t.k !== 'undefined')
      return members.length ? value(members[0], name, ctx, depth + 1) : undefined
    }
    case 'intersection': return Object.assign({}, ...type.of.map((t) => value(t, name, ctx, depth + 1)))
    case 'object': {
      const out = {}
      for (const [field, spec] of Object.entries(type.fields)) out[field] = value(spec.type, field, ctx, depth + 1)
      return out
    }
    case 'function': return ctx.callback(type, name)
    case 'ref': return refValue(type, name, ctx, depth)
  }
  return undefined
}

function singular(name = '') {
  return name.replace(/ies$/, 'y').replace(/s$/, '')
}

function refValue(type, name, ctx, depth) {
  const arg = (i) => value(type.args[i], name, ctx, depth + 1)
  switch (type.name) {
    case 'Promise': return Promise.resolve(arg(0))
    case 'Array':
    case 'ReadonlyArray': return [arg(0)]
    case 'Record': return { a: value(type.args[1], 'a', ctx, depth + 1) }
    case 'Partial':
    case 'Required':
    case 'Readonly':
    case 'Omit':
    case 'Pick': return arg(0)
    case 'AsyncIterable':
    case 'AsyncGenerator':
    case 'AsyncIterableIterator': {
      const item = arg(0)
      return (async function* () { yield item })()
    }
    case 'Iterable': return [arg(0)]
    case 'Date': return new Date(`${DATE}T00:00:00Z`)
    case 'Pool': return ctx.pool()
    case 'PoolClient':
    case 'ClientBase':
    case 'Client': return ctx.client()
    case 'NextRequest': return ctx.request()
    // Express's Request and Response, or the web's (a Next.js route)?
    case 'Request': return ctx.imports?.Request === 'express' ? ctx.expressRequest() : ctx.request()
    case 'Response': return ctx.response()
    case 'NextApiRequest': return ctx.apiRequest()
    case 'NextApiResponse': return ctx.response()
    case 'NextFunction': return ctx.next
    case 'FormData': return ctx.formData()
    case 'Express':
    case 'Router':
    case 'Application': return ctx.app()
    case 'Error': return new Error('a failure')
  }
  if (ctx.types[type.name]) return value(ctx.types[type.name], name, ctx, depth + 1)
  return fakes.anything(type.name)
}

/** The arguments for one call; `helpers` makes pools, clients, requests. */
function makeArgs(params, types, bool, helpers, imports) {
  const ctx = Object.assign(Object.create(helpers), { types, bool, usedBoolean: false, imports })
  const args = []
  for (const param of params) {
    if (param.rest) break
    if (param.optional && isClientType(param.type)) break
    args.push(param.pattern && !param.type ? patternValue(param, ctx) : value(param.type, param.name, ctx))
  }
  return { args, usedBoolean: ctx.usedBoolean }
}

/** Whether booleans are involved (then both settings are tried) and whether a client is asked for. */
function probeArgs(params, types, helpers, imports) {
  let usedClient = false
  const probe = new Proxy({}, {
    get: (_, name) => (name === 'client' ? () => { usedClient = true; return null } : helpers[name]),
  })
  const { usedBoolean } = makeArgs(params, types, true, probe, imports)
  return { booleans: usedBoolean ? [true, false] : [true], usedClient }
}

function isClientType(type) {
  return type && type.k === 'ref' && ['PoolClient', 'ClientBase', 'Client'].includes(type.name)
}

function patternValue(param, ctx) {
  const out = {}
  for (const key of param.pattern) out[key] = byName(key, ctx)
  return out
}

module.exports = { makeArgs, probeArgs, value, byName, stringFor }
