// The real node-postgres driver, watched: every pool and client a fixture makes
// is recorded in the current scenario, every statement is counted, and the
// Nth one can be made to fail. Connection settings are the test cluster's
// (the PG* variables); pool bounds are the scenario's.
'use strict'
const { requireDep } = require('./deps.cjs')
const pg = requireDep('pg')

const { AsyncLocalStorage } = require('node:async_hooks')

const originalQuery = pg.Client.prototype.query
const state = { scenario: null }

/**
 * A scenario's record, empty, with what the caller sets (`id`, `poolMax`,
 * `connectTimeout`, and for a function's run `mode`, `failAt`,
 * `terminate`): what the driver and the fixture did is written into it.
 */
function newScenario(settings) {
  return {
    statements: 0,
    trace: [],
    pools: [],
    clients: new Set(),
    checkouts: [],
    appErrors: [],
    pending: [],
    injected: null,
    exited: false,
    ...settings,
  }
}
// Set while the function under test runs, and in everything it starts: its
// statements and checkouts are told apart from the module's own (a script's
// main() still running) and the harness's.
const inCall = new AsyncLocalStorage()

/** begin | commit | rollback | other, after leading blanks and SQL comments. */
function statementKind(text) {
  if (typeof text !== 'string') return 'other'
  let sql = text
  for (;;) {
    const trimmed = sql.replace(/^\s+/, '')
    if (trimmed.startsWith('--')) sql = trimmed.replace(/^--[^\n]*(\n|$)/, '')
    else if (trimmed.startsWith('/*')) sql = trimmed.replace(/^\/\*[\s\S]*?\*\//, '')
    else { sql = trimmed; break }
  }
  const head = sql.slice(0, 40).toUpperCase()
  if (/^(BEGIN|START\s+TRANSACTION)\b/.test(head)) return 'begin'
  if (/^(COMMIT|END)\b/.test(head)) return 'commit'
  if (/^(ROLLBACK|ABORT)\b/.test(head) && !/^ROLLBACK\s+(TO|PREPARED)\b/.test(head)) return 'rollback'
  return 'other'
}

function textOf(config) {
  if (typeof config === 'string') return config
  if (config && typeof config.text === 'string') return config.text
  return undefined
}

/** A script's opening BEGIN, when statements follow it in the same text. */
function scriptAfterBegin(text) {
  const end = text.indexOf(';')
  if (end < 0 || text.slice(end + 1).trim() === '') return undefined
  return { begin: text.slice(0, end) }
}

const INJECTED_SQL = "DO $gt$ BEGIN RAISE EXCEPTION 'injected failure' USING ERRCODE = 'unique_violation'; END $gt$"

function injectedCommitFailure() {
  // What a COMMIT that fails does in PostgreSQL: the transaction is over
  // (rolled back) and the caller gets the error.
  const error = new pg.DatabaseError('could not serialize access due to concurrent update (injected at COMMIT)', 0, 'error')
  error.code = '40001'
  error.severity = 'ERROR'
  return error
}

/**
 * Runs one statement for the fixture, failing it if the scenario says so:
 * `sql-error` fails it in PostgreSQL (a unique_violation raised in its
 * place, which aborts the transaction), `conn-lost` terminates the backend
 * just before it.
 */
async function runStatement(client, args) {
  const sc = state.scenario
  const [config, values] = args
  const text = textOf(config)
  const kind = statementKind(text)
  if (sc.exited) return new Promise(() => {})
  const ours = !!inCall.getStore()
  const index = ours ? ++sc.statements : 0
  const step = { index, kind, text: (text || '(query object)').replace(/\s+/g, ' ').trim().slice(0, 80), client: client.__gt.id, inCall: ours }
  sc.trace.push(step)
  if (ours && sc.failAt === index) {
    sc.injected = { ...step, mode: sc.mode }
    if (sc.mode === 'conn-lost') {
      await sc.terminate(client)
      return originalQuery.apply(client, args)
    }
    // sql-error
    if (kind === 'commit') {
      await originalQuery.call(client, 'ROLLBACK')
      throw injectedCommitFailure()
    }
    // A script that begins its own transaction (`BEGIN; UPDATE ..;
    // COMMIT`) fails inside it: its BEGIN runs, the statement after fails.
    const script = kind === 'begin' ? scriptAfterBegin(text) : undefined
    if (script) return originalQuery.call(client, `${script.begin}; ${INJECTED_SQL}`)
    return originalQuery.call(client, INJECTED_SQL)
  }
  try {
    return await originalQuery.call(client, config, values)
  } catch (error) {
    step.error = error.code || error.message
    throw error
  }
}

pg.Client.prototype.query = function query(config, values, callback) {
  const sc = state.scenario
  if (!sc || !this.__gt) return originalQuery.apply(this, arguments)
  if (config && typeof config.submit === 'function') return submitStream(this, config, sc)
  if (typeof values === 'function') {
    callback = values
    values = undefined
  }
  if (!callback && config && typeof config.callback === 'function') callback = config.callback
  const args = values === undefined ? [config] : [config, values]
  const promise = runStatement(this, args)
  if (callback) {
    promise.then((result) => callback(null, result), (error) => callback(error))
    return undefined
  }
  return promise
}

/**
 * A submittable (pg-query-stream, pg-cursor) is handed back at once and
 * reports its errors as events: counted like a statement, and only a lost
 * connection is injected into it.
 */
function submitStream(client, submittable, sc) {
  if (sc.exited) return submittable
  const ours = !!inCall.getStore()
  const index = ours ? ++sc.statements : 0
  const text = submittable.cursor?.text ?? submittable.text ?? '(stream)'
  const step = { index, kind: 'stream', text: String(text).replace(/\s+/g, ' ').trim().slice(0, 80), client: client.__gt.id, inCall: ours }
  sc.trace.push(step)
  if (ours && sc.failAt === index && sc.mode === 'conn-lost') {
    sc.injected = { ...step, mode: sc.mode }
    sc.pending.push(sc.terminate(client).then(() => originalQuery.call(client, submittable)))
    return submittable
  }
  return originalQuery.call(client, submittable)
}

let nextClientId = 1

/** Starts watching a client: its transaction status and its errors. */
function watchClient(client, kind) {
  const sc = state.scenario
  if (client.__gt) return
  client.__gt = { id: nextClientId++, kind, tx: 'I', scenario: sc }
  // A lost connection must fail the statement, not the harness: without a
  // listener an 'error' on a checked-out client would end this process.
  client.on('error', (error) => { client.__gt.lostWith = error.message })
  client.on('end', () => { client.__gt.ended = true })
  const attach = () => {
    client.connection.on('readyForQuery', (msg) => { client.__gt.tx = msg.status })
  }
  if (client.connection) attach()
  if (sc) sc.clients.add(client)
}

function connectionSettings(options) {
  const sc = state.scenario
  const settings = {
    ...options,
    host: process.env.PGHOST,
    port: Number(process.env.PGPORT),
    user: process.env.PGUSER,
    database: process.env.PGDATABASE,
  }
  delete settings.connectionString
  delete settings.password
  delete settings.ssl
  if (sc) settings.application_name = `gt-${sc.id}`
  return settings
}

class Pool extends pg.Pool {
  constructor(options = {}) {
    const sc = state.scenario
    super({
      ...connectionSettings(options),
      max: sc ? sc.poolMax : 1,
      connectionTimeoutMillis: sc ? sc.connectTimeout : 500,
      idleTimeoutMillis: 0,
      allowExitOnIdle: true,
    })
    this.__gtScenario = sc
    if (sc) sc.pools.push(this)
    this.on('connect', (client) => watchClient(client, 'pooled'))
    this.on('acquire', (client) => {
      // Checkouts while the module loads or the harness sets up are not the function's.
      const record = { client, pool: this, releases: 0, owner: inCall.getStore() ? 'function' : 'setup', at: sc ? sc.statements : 0 }
      client.__gtCheckout = record
      if (sc) sc.checkouts.push(record)
    })
  }

  _releaseOnce(client, idleListener) {
    const release = super._releaseOnce(client, idleListener)
    const record = client.__gtCheckout
    return (err) => {
      if (record) {
        record.releases += 1
        if (record.releases > 1) record.doubleReleased = true
      }
      return release(err)
    }
  }
}

class Client extends pg.Client {
  constructor(options = {}) {
    super(connectionSettings(typeof options === 'string' ? {} : options))
    watchClient(this, 'standalone')
  }
}

/** What `require('pg')` gives a fixture. */
const facade = {
  Client,
  Pool,
  Query: pg.Query,
  types: pg.types,
  defaults: pg.defaults,
  DatabaseError: pg.DatabaseError,
  Connection: pg.Connection,
  Result: pg.Result,
  TypeOverrides: pg.TypeOverrides,
  escapeIdentifier: pg.escapeIdentifier,
  escapeLiteral: pg.escapeLiteral,
}

module.exports = { pg, facade, state, newScenario, inCall, statementKind, Pool, Client, originalQuery }
