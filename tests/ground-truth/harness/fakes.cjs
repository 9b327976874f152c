// Stand-ins for what the fixtures import besides the driver: Next.js's
// request and response, Express's app, router, req and res, NestJS's
// decorators, and a catch-all for modules that are not in the repository
// (loggers, mailers, queues). They succeed unless a case says otherwise.
'use strict'
const { EventEmitter } = require('node:events')

const ERROR_NAME = /(Error|Exception)$/

/** A value that is anything a caller asks of it: callable, awaitable once, printable. */
function anything(name = 'stub') {
  const target = function () {}
  return new Proxy(target, {
    get(t, prop) {
      if (prop === 'then') return undefined
      if (prop === Symbol.toPrimitive) return (hint) => (hint === 'number' ? 0 : `[${name}]`)
      if (prop === Symbol.iterator) return function* () {}
      if (prop === Symbol.asyncIterator) return async function* () {}
      if (prop === Symbol.hasInstance) return () => false
      if (prop === 'toJSON') return () => `[${name}]`
      if (prop === 'toString') return () => `[${name}]`
      if (prop === 'prototype') return t.prototype
      if (typeof prop === 'symbol') return undefined
      if (prop === 'length') return 0
      return anything(`${name}.${prop}`)
    },
    apply() {
      return anything(`${name}()`)
    },
    construct(t, args) {
      if (ERROR_NAME.test(name.split('.').pop())) {
        const error = new Error(typeof args[0] === 'string' ? args[0] : name)
        error.name = name.split('.').pop()
        return error
      }
      return anything(`new ${name}`)
    },
  })
}

function quietLogger() {
  const log = () => {}
  return { log, info: log, warn: log, error: log, debug: log, trace: log, fatal: log, child: () => quietLogger() }
}

const quietConsole = Object.assign(Object.create(console), quietLogger(), { table: () => {}, dir: () => {} })

class ProcessExit extends Error {
  constructor(code) {
    super(`process.exit(${code})`)
    this.name = 'ProcessExit'
    this.code = code
  }
}

/** `process`, except that exit() ends the scenario instead of the harness. */
function fakeProcess(onExit, argv = []) {
  return new Proxy(process, {
    get(target, prop) {
      if (prop === 'exit') return (code) => { onExit(code); throw new ProcessExit(code) }
      if (prop === 'argv') return [process.argv[0], 'fixture', ...argv]
      const value = Reflect.get(target, prop)
      return typeof value === 'function' ? value.bind(target) : value
    },
    set(target, prop, value) {
      if (prop === 'exitCode') return true
      return Reflect.set(target, prop, value)
    },
  })
}

// --- Next.js -------------------------------------------------------------

class FakeNextResponse {
  constructor(body, init = {}) {
    this.body = body
    this.status = init.status ?? 200
    this.headers = new Headers(init.headers)
  }
  static json(body, init = {}) {
    return new FakeNextResponse(body, init)
  }
  static redirect(url, status = 307) {
    return new FakeNextResponse(null, { status, headers: { location: String(url) } })
  }
  static next() {
    return new FakeNextResponse(null)
  }
  async json() {
    return this.body
  }
}

class FakeNextRequest {
  constructor({ method = 'GET', body, query = {}, headers = {} } = {}) {
    this.method = method
    this._body = body
    this.url = `http://localhost/api?${new URLSearchParams(query)}`
    this.nextUrl = new URL(this.url)
    this.headers = new Headers(headers)
    this.cookies = { get: () => undefined }
  }
  async json() {
    if (this._body === undefined) throw new SyntaxError('Unexpected end of JSON input')
    return structuredClone(this._body)
  }
  async text() {
    return JSON.stringify(this._body ?? null)
  }
  async formData() {
    const form = new FormData()
    for (const [k, v] of Object.entries(this._body ?? {})) form.set(k, String(v))
    return form
  }
}

const nextServer = { NextResponse: FakeNextResponse, NextRequest: FakeNextRequest }
const nextCache = { revalidatePath: () => {}, revalidateTag: () => {}, unstable_cache: (fn) => fn }

// --- Express ----------------------------------------------------------------

/** An Express response; with `failWrites` its first write throws, as a gone socket does. */
function fakeResponse({ failWrites = false } = {}) {
  const res = new EventEmitter()
  res.statusCode = 200
  res.headersSent = false
  res.finished = false
  res.headers = {}
  res.locals = {}
  const write = (body) => {
    if (failWrites && !res.failedOnce) {
      res.failedOnce = true
      const error = new Error('write EPIPE (injected: the client went away)')
      error.code = 'EPIPE'
      throw error
    }
    if (res.headersSent) {
      const error = new Error('Cannot set headers after they are sent to the client')
      error.code = 'ERR_HTTP_HEADERS_SENT'
      throw error
    }
    res.headersSent = true
    res.finished = true
    res.body = body
    return res
  }
  res.status = (code) => { res.statusCode = code; return res }
  res.json = (body) => write(body)
  res.send = (body) => write(body)
  res.end = (body) => write(body)
  res.sendStatus = (code) => { res.statusCode = code; return write(String(code)) }
  res.setHeader = (k, v) => { res.headers[k.toLowerCase()] = v; return res }
  res.set = res.setHeader
  res.header = res.setHeader
  res.type = () => res
  res.redirect = (url) => write(url)
  return res
}

function fakeRequest({ method = 'GET', body, params = {}, query = {}, headers = {} } = {}) {
  return {
    method,
    body,
    params,
    query,
    headers,
    session: {},
    user: { id: 1 },
    log: quietLogger(),
    get: (h) => headers[String(h).toLowerCase()],
    header: (h) => headers[String(h).toLowerCase()],
  }
}

/** express() and express.Router(): record routes, answer nothing. */
function fakeExpress(routes) {
  const makeRouter = () => {
    const router = function router() {}
    for (const method of ['get', 'post', 'put', 'patch', 'delete', 'all']) {
      router[method] = (path, ...handlers) => {
        if (typeof path === 'string') routes.push({ method: method.toUpperCase(), path, handlers, router })
        return router
      }
    }
    router.use = () => router
    router.route = (path) => {
      const chain = {}
      for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
        chain[method] = (...handlers) => { routes.push({ method: method.toUpperCase(), path, handlers, router }); return chain }
      }
      return chain
    }
    router.listen = () => ({ close: () => {}, on: () => {} })
    router.set = () => router
    router.param = () => router
    return router
  }
  const express = () => makeRouter()
  express.Router = makeRouter
  express.json = () => (req, res, next) => next()
  express.urlencoded = () => (req, res, next) => next()
  express.static = () => (req, res, next) => next()
  express.default = express
  return express
}

// --- NestJS ------------------------------------------------------------------

const passThroughDecorator = () => (target) => target
const nestCommon = new Proxy({}, {
  get(_, prop) {
    if (typeof prop !== 'string') return undefined
    if (ERROR_NAME.test(prop)) {
      return class extends Error {
        constructor(message) {
          super(typeof message === 'string' ? message : prop)
          this.name = prop
        }
      }
    }
    if (/^[A-Z]/.test(prop)) return passThroughDecorator
    return anything(`@nestjs/common.${prop}`)
  },
})

module.exports = {
  anything,
  quietLogger,
  quietConsole,
  ProcessExit,
  fakeProcess,
  FakeNextRequest,
  FakeNextResponse,
  nextServer,
  nextCache,
  fakeResponse,
  fakeRequest,
  fakeExpress,
  nestCommon,
}
