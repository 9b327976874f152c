// Stand-ins for what the fixtures import besides the driver: Next.js's
// request and response, Express's app, router, req and res, NestJS's
// decorators, and a catch-all for modules that are not in the repository
// (loggers, mailers, queues). They succeed unless a case says otherwise.
'use strict'
const { Transform, Writable } = require('node:stream')

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

/**
 * An Express response: a writable stream (streams are piped into it) with
 * Express's helpers. With `failWrites`, sending fails once: send()/json()
 * throw as they do when the headers went out already (and the response
 * closes without finishing), and a stream piped in gets an 'error', as
 * when the client goes away.
 */
class FakeResponse extends Writable {
  constructor({ failWrites = false } = {}) {
    super()
    this.failWrites = failWrites
    this.statusCode = 200
    this.headersSent = false
    this.headers = {}
    this.locals = {}
    this.chunks = []
    // A destroyed response ends its socket; an HTTP server does not crash on it.
    this.on('error', () => {})
  }

  _write(chunk, encoding, callback) {
    this.chunks.push(chunk)
    callback()
  }

  checkWritable() {
    if (this.failWrites && !this.failedOnce) {
      this.failedOnce = true
      const error = new Error('Cannot set headers after they are sent to the client (injected)')
      error.code = 'ERR_HTTP_HEADERS_SENT'
      // The response is over for its socket either way: a real one emits
      // 'close' whether or not it finished.
      process.nextTick(() => this.destroy())
      throw error
    }
    if (this.writableEnded) {
      const error = new Error('Cannot set headers after they are sent to the client')
      error.code = 'ERR_HTTP_HEADERS_SENT'
      throw error
    }
    this.headersSent = true
  }

  get finished() {
    return this.writableEnded
  }

  write(...args) {
    if (this.failWrites && !this.failedOnce) {
      this.failedOnce = true
      const error = new Error('write EPIPE (injected: the client went away)')
      error.code = 'EPIPE'
      this.destroy(error)
      return false
    }
    this.headersSent = true
    return super.write(...args)
  }

  end(body, ...rest) {
    this.checkWritable()
    if (body !== undefined && typeof body !== 'function') this.body = body
    return super.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : undefined, ...rest)
  }

  status(code) { this.statusCode = code; return this }
  json(body) { return this.end(JSON.stringify(body)) }
  send(body) { return this.end(typeof body === 'string' ? body : JSON.stringify(body ?? null)) }
  sendStatus(code) { this.statusCode = code; return this.end(String(code)) }
  setHeader(k, v) { this.headers[String(k).toLowerCase()] = v; return this }
  set(k, v) { return this.setHeader(k, v) }
  header(k, v) { return this.setHeader(k, v) }
  type() { return this }
  redirect(url) { return this.end(String(url)) }
}

function fakeResponse(options) {
  return new FakeResponse(options)
}

/** csv-stringify's stringify(): rows in, lines out. */
function stringify() {
  return new Transform({
    writableObjectMode: true,
    transform(row, encoding, callback) {
      callback(null, `${Object.values(row).join(',')}\n`)
    },
  })
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
  FakeResponse,
  fakeRequest,
  stringify,
  fakeExpress,
  nestCommon,
}
