// One scenario: fresh module instances, one call of one function (a success
// run, or a run whose Nth statement fails in one of three ways), then what
// became of its clients and transactions, seen from outside:
//   - a client it checked out and never gave back (the pool's own counts,
//     and a pool of max 1 whose next connect() times out);
//   - a session left `idle in transaction` (pg_stat_activity), and what the
//     next request on the recycled connection meets: `current transaction
//     is aborted`, or an open transaction whose rows its COMMIT makes visible;
//   - a client released twice (node-postgres throws).
'use strict'
const fs = require('node:fs')
const { state, newScenario, inCall } = require('./pg.cjs')
const { Realm } = require('./modules.cjs')
const fakes = require('./fakes.cjs')
const { makeArgs } = require('./inputs.cjs')

const CALL_TIMEOUT_MS = 4000
let nextScenarioId = 1

const tick = () => new Promise((resolve) => setImmediate(resolve))
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function withTimeout(promise, ms) {
  let timer
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((resolve) => { timer = setTimeout(() => resolve({ timedOut: true }), ms) }),
  ])
}

/** Clients reachable from a value: itself, its fields, their fields. */
function clientsIn(value, depth = 0, seen = new Set()) {
  if (!value || typeof value !== 'object' || depth > 2 || seen.has(value)) return []
  seen.add(value)
  if (value.__gt) return [value]
  let fields = []
  try {
    fields = Object.values(value)
  } catch {
    return []
  }
  return fields.flatMap((field) => clientsIn(field, depth + 1, seen))
}

/** Functions passed as props in a rendered element tree (server actions). */
function actionsIn(node, found = []) {
  if (!node || typeof node !== 'object') return found
  if (Array.isArray(node)) {
    node.forEach((child) => actionsIn(child, found))
    return found
  }
  for (const v of Object.values(node.props || {})) if (typeof v === 'function') found.push(v)
  actionsIn(node.children, found)
  actionsIn(node.props?.children, found)
  return found
}

class ScenarioRunner {
  constructor(db, fixturesRoot, realmOptions) {
    this.db = db
    this.fixturesRoot = fixturesRoot
    this.realmOptions = realmOptions
  }

  /**
   * @param plan  {file, entry, info, kase}
   * @param spec  {bool, mode, failAt, data: 'seeded'|'empty', failWrites, poolMax}
   */
  async run(plan, spec) {
    await this.db.reset(spec.data || 'seeded')
    const id = nextScenarioId++
    const sc = newScenario({
      id,
      mode: spec.mode,
      failAt: spec.failAt,
      poolMax: spec.poolMax ?? plan.kase.poolMax ?? 1,
      // Short, so that an exhausted pool shows within the run; long enough for
      // a new connection to a local server on a busy machine.
      connectTimeout: plan.kase.connectTimeout ?? 250,
      terminate: async (client) => {
        const ended = new Promise((resolve) => client.once('end', resolve))
        await this.db.terminate(client.processID)
        await withTimeout(ended, 1000)
      },
    })
    state.scenario = sc
    const realm = new Realm(this.fixturesRoot, this.realmOptions(plan))
    const outcome = { spec, trace: sc.trace }
    const harnessClients = []
    let self
    try {
      const helpers = this.helpers(plan, realm, spec, harnessClients)
      const { call, target } = await this.prepare(plan, realm, helpers, spec, harnessClients)
      self = target
      for (const c of harnessClients) c.__gtCheckout.owner = 'harness'
      const settled = await withTimeout(inCall.run({ scenario: id }, call).then(
        (value) => ({ value }),
        (error) => ({ error })), plan.kase.timeout ?? CALL_TIMEOUT_MS)
      outcome.injected = sc.injected
      outcome.appErrors = sc.appErrors
      outcome.status = responseStatus(settled.value)
      outcome.unhandled = sc.unhandled
      outcome.statementsInCall = sc.trace.filter((s) => s.inCall)
      if (settled.timedOut) outcome.timedOut = true
      if (settled.error) outcome.threw = describeError(settled.error)
      outcome.value = settled.value
      // The request completes: a response nobody ended is ended, and
      // 'finish' listeners (a middleware's release) run, as in Node's http.
      for (const res of helpers.responses) {
        if (!res.writableEnded) {
          try { res.end() } catch { /* a write that was made to fail */ }
        }
        if (!res.writableFinished) await withTimeout(new Promise((r) => res.once('finish', r)), 200)
      }
      await this.settle(sc)
      // What the rest of the program does afterwards, where the case says so.
      if (plan.kase.after) {
        try {
          await plan.kase.after(helpers)
        } catch (error) {
          outcome.afterError = describeError(error)
        }
      }
      await tick()
      await tick()
      // The process ends: process.exit(), an error nothing handles (Node
      // stops on an unhandled rejection), or a script's top level throwing.
      // Its connections close and PostgreSQL rolls back what they had open.
      const exit = realm.exited !== undefined || settled.error instanceof fakes.ProcessExit ? 'process.exit()'
        : sc.unhandled ? `unhandled: ${sc.unhandled}`
          : plan.entry.kind === 'module' && settled.error ? 'the script threw' : undefined
      if (exit) {
        outcome.exited = exit
        sc.exited = true
        return outcome
      }
      await this.observe(sc, outcome, plan, settled, self, harnessClients)
      return outcome
    } catch (error) {
      outcome.harnessError = describeError(error)
      return outcome
    } finally {
      state.scenario = null
      // The sessions end below; a pool without an 'error' listener would
      // take this process down with them.
      for (const pool of sc.pools) pool.on('error', () => {})
      for (const client of sc.clients) {
        try {
          client.connection.stream.destroy()
        } catch {
          // already gone
        }
      }
      await this.db.endScenario(id)
    }
  }

  helpers(plan, realm, spec, harnessClients) {
    const kase = plan.kase
    const body = spec.body ?? kase.body
    const query = spec.query ?? kase.query
    const method = spec.method ?? kase.method
    const helpers = {
      realm,
      spec,
      pool: (name) => realm.pool(name),
      client: () => harnessClients[0],
      request: () => plan.entry.kind === 'route' ? helpers.expressRequest()
        : new fakes.FakeNextRequest({ method: method || 'POST', body, query: query ?? {}, headers: kase.headers ?? {} }),
      expressRequest: () => fakes.fakeRequest({ method: plan.entry.method || method || 'POST', body: body ?? {}, params: kase.params ?? routeParams(plan.entry.path), query: query ?? {}, headers: kase.headers ?? {} }),
      response: () => {
        const res = fakes.fakeResponse({ failWrites: spec.failWrites })
        helpers.responses.push(res)
        return res
      },
      responses: [],
      next: () => {},
      app: () => realm.express(),
      formData: () => {
        const form = new FormData()
        for (const [k, v] of Object.entries(body ?? { body: '1' })) form.set(k, String(v))
        return form
      },
      apiRequest: () => fakes.fakeRequest({ method: method || 'POST', body, query: query ?? { id: '1' }, headers: kase.headers ?? {} }),
      callback: (type, name = '') => {
        if (/^(done|cb|callback)$/i.test(name)) {
          // A completion callback: the call is over when it is called.
          let resolve
          const called = new Promise((r) => { resolve = r })
          helpers.pendingCallbacks.push(called)
          return (error) => resolve(error)
        }
        return async (first) => {
          if (first && typeof first.query === 'function') await first.query('SELECT 1')
          return 1
        }
      },
      pendingCallbacks: [],
      anything: fakes.anything,
    }
    return helpers
  }

  /** Loads the module and returns the call to make, with its arguments. */
  async prepare(plan, realm, helpers, spec, harnessClients) {
    const { entry, info, kase, file } = plan
    const params = entry.params
    if (plan.needsClient) harnessClients.push(await realm.pool('harness').connect())
    const argsFn = spec.args ?? kase.args
    const argsFor = (ps) => argsFn ? argsFn(helpers, spec) : makeArgs(ps, info.types, spec.bool, helpers, info.imports).args
    if (entry.kind === 'module') {
      // Loading the script is the call; its floating promises run on, so
      // wait until its statements stop.
      return {
        call: async () => {
          await realm.loadAsync(file)
          let last = -1
          for (let i = 0; i < 40 && state.scenario.statements !== last; i++) {
            last = state.scenario.statements
            await sleep(25)
          }
        },
      }
    }
    const exports = await realm.loadAsync(file)
    helpers.exports = exports
    // Set-up the rest of the program would have done (a handler registered).
    if (kase.setup) await kase.setup(helpers)
    const exported = (name) => name === 'module.exports' ? exports : name === 'default' ? (exports.default ?? exports) : exports[name]

    if (entry.kind === 'function') {
      const fn = exported(entry.exportName)
      if (typeof fn !== 'function') throw new Error(`${entry.exportName} is not exported as a function`)
      return {
        call: async () => {
          const result = await fn(...argsFor(params))
          await Promise.all(helpers.pendingCallbacks)
          return result
        },
        target: undefined,
      }
    }
    if (entry.kind === 'member') {
      const object = exported(entry.exportName)
      return { call: async () => object[entry.member](...argsFor(params)), target: object }
    }
    if (entry.kind === 'method') {
      let cls = exported(entry.exportName)
      if (kase.construct) {
        const instance = await kase.construct(helpers, exports, entry.name)
        helpers.target = instance
        return { call: async () => instance[entry.member](...argsFor(params)), target: instance }
      }
      if (entry.isStatic) return { call: async () => cls[entry.member](...argsFor(params)), target: cls }
      const ctorArgs = entry.cls.ctorParams ? makeArgs(entry.cls.ctorParams, info.types, true, helpers, info.imports).args : []
      const instance = new cls(...ctorArgs)
      helpers.target = instance
      return { call: async () => instance[entry.member](...argsFor(params)), target: instance }
    }
    if (entry.kind === 'route') {
      let route = realm.routes.find((r) => r.method === entry.method && r.path === entry.path)
      if (!route) {
        // Routes registered by an exported function: call it with an app.
        for (const value of Object.values(exports)) {
          if (typeof value === 'function' && value.length >= 1 && !/^class\b/.test(String(value))) {
            try {
              value(realm.express())
            } catch {
              // not a registration function
            }
          }
        }
        route = realm.routes.find((r) => r.method === entry.method && r.path === entry.path)
      }
      if (!route) throw new Error(`route ${entry.name} was not registered`)
      return {
        call: async () => {
          const req = helpers.request()
          const res = helpers.response()
          // Express's chain: each handler's next() runs the one after it;
          // every handler's promise is waited for, awaited by the caller or not.
          const running = []
          let index = 0
          let failure
          const next = (error) => {
            if (error) { failure = error; return }
            const handler = route.handlers[index++]
            if (handler) running.push(Promise.resolve().then(() => handler(req, res, next)))
          }
          next()
          for (let settledCount = 0; settledCount < running.length;) {
            const batch = running.slice(settledCount)
            settledCount = running.length
            const results = await Promise.allSettled(batch)
            const rejected = results.find((r) => r.status === 'rejected')
            if (rejected && !failure) failure = rejected.reason
          }
          if (failure) throw failure
          return res
        },
      }
    }
    if (entry.kind === 'action') {
      const parent = exported(plan.parentExport ?? 'default')
      const parentEntry = plan.parentEntry
      const tree = await parent(...makeArgs(parentEntry.params, info.types, true, helpers, info.imports).args)
      const action = actionsIn(tree).find((fn) => fn.name === entry.action)
      if (!action) throw new Error(`action ${entry.action} was not rendered`)
      return { call: async () => action(...argsFor(params)) }
    }
    throw new Error(`cannot call ${entry.kind}`)
  }

  async observe(sc, outcome, plan, settled, self, harnessClients) {
    // Handles the function gave back (returned, or kept on its object) are
    // the caller's: the harness ends them as a careful caller would (for an
    // object that says how, only through its methods, in the case's after).
    const kept = plan.kase.callerUsesMethods ? [] : clientsIn(self)
    const handed = new Set([...clientsIn(settled.value), ...kept])
    for (const client of handed) {
      const record = client.__gtCheckout
      if (!record || record.releases > 0) continue
      record.owner = 'caller'
      await this.finishAsCaller(client)
    }
    for (const client of harnessClients) {
      const record = client.__gtCheckout
      if (record && record.releases === 0 && !client.__gt.ended) {
        client.release()
      } else if (record && record.releases === 0) {
        client.release(new Error('ended'))
      }
    }
    await tick()

    outcome.doubleRelease = sc.checkouts.some((r) => r.doubleReleased)
    outcome.checkouts = sc.checkouts.filter((r) => r.owner === 'function' || r.owner === 'caller').length
    const leaked = sc.checkouts.filter((r) => r.owner === 'function' && r.releases === 0)
    outcome.leaked = leaked.length
    // The pool's own view agrees? (checked out = total - idle)
    outcome.poolCounts = sc.pools.map((p) => ({ total: p.totalCount, idle: p.idleCount, waiting: p.waitingCount }))

    // A client being ended (release(err), client.end()) takes its
    // transaction with it: PostgreSQL rolls back when the session closes.
    await Promise.all([...sc.clients].filter((c) => c._ending && !c.__gt.ended)
      .map((c) => withTimeout(new Promise((r) => c.once('end', r)), 500)))
    const live = [...sc.clients].filter((c) => !c.__gt.ended && !c._ending && c.processID)
    // node-postgres rejects a failed statement on PostgreSQL's error message,
    // before the server is done with it: wait for each connection's
    // ReadyForQuery, so that pg_stat_activity shows where it stands.
    for (let i = 0; i < 200 && live.some((c) => !c.__gt.ended && (!c.readyForQuery || c._activeQuery)); i++) await sleep(2)
    let details = await this.db.sessionDetails(live.map((c) => c.processID))
    for (let i = 0; i < 50 && [...details.values()].some((d) => d.state === 'active'); i++) {
      await sleep(2)
      details = await this.db.sessionDetails(live.map((c) => c.processID))
    }
    const sessions = new Map([...details].map(([pid, d]) => [pid, d.state]))
    // Open transactions that wrote something: does the next request's COMMIT
    // make their rows visible?
    const openWrites = [...details.values()].filter((d) => d.state === 'idle in transaction' && d.xid).map((d) => d.xid)
    outcome.openTransactions = []
    for (const client of live) {
      const session = sessions.get(client.processID)
      if (!session || !session.startsWith('idle in transaction')) continue
      const record = client.__gtCheckout
      const where = client.__gt.kind === 'standalone' ? 'a standalone client'
        : record && record.releases === 0 ? (record.owner === 'harness' ? "the caller's client" : 'a client still checked out')
        : 'a client back in the pool'
      outcome.openTransactions.push({ state: session, where, pid: client.processID })
    }
    outcome.standaloneOpen = live.filter((c) => c.__gt.kind === 'standalone' && !c._ending).length

    // The next request on each pool: does it get a connection, and what does
    // it meet there?
    outcome.nextRequest = []
    for (const pool of sc.pools) {
      if (pool.totalCount === 0) continue
      const checkedOut = pool.totalCount - pool.idleCount
      if (checkedOut > 0 && checkedOut >= pool.options.max) {
        if (!plan.exhaustionShown) {
          const started = Date.now()
          try {
            const c = await pool.connect()
            c.__gtCheckout.owner = 'harness'
            c.release()
            outcome.nextRequest.push('got a connection')
          } catch (error) {
            outcome.nextRequest.push(`next connect() failed after ${Date.now() - started}ms: ${error.message}`)
            plan.exhaustionShown = true
          }
        } else {
          outcome.nextRequest.push('pool exhausted (all clients checked out)')
        }
        continue
      }
      if (pool.idleCount === 0) continue
      const c = await pool.connect()
      c.__gtCheckout.owner = 'harness'
      try {
        await c.query('BEGIN; SELECT 1; COMMIT')
      } catch (error) {
        outcome.nextRequest.push(`next request failed: ${error.message}`)
        await c.query('ROLLBACK').catch(() => {})
      }
      c.release()
    }
    const statuses = await this.db.transactionStatus(openWrites)
    outcome.failedCommitted = [...statuses.values()].some((s) => s === 'committed')
  }

  /** Waits while work the call started is still running: a statement in flight, a checkout waiting. */
  async settle(sc) {
    // A pool still opening a connection (for a request that waits), or a
    // statement still running, is work in progress, not a leak.
    const busy = () => sc.pools.some((p) => p.waitingCount > 0 || p._clients.some((c) => !c._connected && !c._ending)) ||
      [...sc.clients].some((c) => !c.__gt.ended && !c._ending && c._connected && (c._activeQuery || c._queryQueue.length))
    await Promise.all(sc.pending)
    for (let quiet = 0, i = 0; quiet < 3 && i < 2000; i++) {
      quiet = busy() ? 0 : quiet + 1
      if (quiet) await tick()
      else await sleep(1)
    }
  }

  async finishAsCaller(client) {
    try {
      if (client.__gt.tx !== 'I') await client.query('ROLLBACK')
      client.release()
    } catch {
      try { client.release(new Error('broken')) } catch { /* released */ }
    }
  }
}

/** The HTTP status of what a handler answered, if it answered. */
function responseStatus(value) {
  if (!value || typeof value !== 'object') return undefined
  if (typeof value.statusCode === 'number' && value.finished) return value.statusCode
  if (typeof value.status === 'number') return value.status
  return undefined
}

function routeParams(path = '') {
  const params = {}
  for (const m of path.matchAll(/:(\w+)/g)) params[m[1]] = '1'
  return params
}

function describeError(error) {
  if (!error) return undefined
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 160)
  return String(error).slice(0, 160)
}

module.exports = { ScenarioRunner }
