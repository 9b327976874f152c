// Per-fixture inputs the harness cannot guess from types, and the fixtures it
// does not run, with the reason. Keys are paths under fixtures/ts; inside a
// file, keys are function names as the harness reports them ('*': all).
//
//   body, query, method   the request a route handler gets
//   args(h)               the arguments, made with the harness's helpers
//                         (h.pool(), h.client(), h.request(), h.response())
//   variants              several inputs, each run through every scenario
//   modules               what a module outside the fixtures exports instead
//                         of a stand-in that succeeds (e.g. a telemetry call
//                         that fails, which the label depends on)
//   after(h)              what the program does next (stop a listener)
//   poolMax               pool size when the code needs two clients at once
//   skip                  why a function is not run
'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

// Modules the fixtures import by an alias that resolves inside fixtures/ts.
const aliases = [
  { under: 'cross-file/', from: '@/', to: 'cross-file/src/' },
  { from: '@/lib/db-transaction', to: 'helpers/db-transaction' },
]

const notExecuted = {}

const failingTelemetry = { reportError: async () => { throw new Error('telemetry is down') } }

/** A seed file for the seed script, in the system's temporary folder. */
function seedUsersFile() {
  const file = path.join(os.tmpdir(), `txlint-gt-seed-users-${process.pid}.json`)
  fs.writeFileSync(file, JSON.stringify([{ email: 'new@example.com', name: 'New', roles: ['admin', 'editor'] }]))
  process.once('exit', () => fs.rmSync(file, { force: true }))
  return file
}

const files = {
  'variations/arrow-export-post.ts': {
    POST: { body: { name: 'Road trip', trackIds: [1, 2] } },
  },
  'variations/calls-that-cannot-throw.ts': {
    // The calls between connect() and try that can throw, made to throw.
    f: { variants: [{ label: 'plain input', args: () => [{ id: 1 }] }, { label: 'a BigInt JSON cannot hold', args: () => [{ id: 1n }] }] },
    i: {
      globals: { orderSchema: { parse: (body) => { if (!body?.id) throw new Error('invalid order'); return body } } },
      variants: [{ label: 'valid', args: () => [{ id: 1 }] }, { label: 'invalid', args: () => [{}] }],
    },
    k: {
      globals: { assert: require('node:assert') },
      variants: [{ label: 'with id', args: () => [{ id: '1' }] }, { label: 'without id', args: () => [{}] }],
    },
  },
  'variations/class-property-arrow.ts': {
    '*': { body: { id: 'evt_1', topic: 'orders', payload: { n: 1 } } },
  },
  'variations/client-on-this.ts': {
    'TenantConnection.query': {
      construct: async (h, exports) => {
        const connection = new exports.TenantConnection(h.pool(), 't1')
        await connection.open()
        return connection
      },
      args: () => ['SELECT 1'],
      after: (h) => h.target.close(),
    },
  },
  'variations/client-passed-to-helper.ts': {
    GET: { method: 'GET', query: { userId: '1' } },
    startExport: { skip: 'the client goes to exportQueue.attach(), a module not in the fixtures: whether it is released is up to that module' },
  },
  'variations/client-factory.ts': {
    // The listener's client is the module's until stopListening() gives it back.
    startListening: { after: (h) => h.exports.stopListening() },
  },
  'variations/discarded-connect.js': {
    // The module's connectDB() keeps one client for good; the route needs another.
    '*': { poolMax: 3 },
  },
  'variations/nested-functions.ts': {
    'POST /webhooks/payments': { body: { id: 'evt_1', type: 'payment.succeeded' } },
  },
  'variations/release-in-loop.ts': {
    '*': { variants: [{ label: 'two shards', args: () => [['a', 'b']] }, { label: 'no shards', args: () => [[]] }] },
  },
  'variations/standalone-client.ts': {
    '<module>': { argv: () => [seedUsersFile()] },
  },
  'variations/unit-of-work.ts': {
    'UnitOfWork.commit': {
      construct: async (h, exports) => {
        const unit = new exports.UnitOfWork()
        await unit.begin()
        return unit
      },
    },
  },
  'variations/early-return-without-finally.ts': {
    GET: { method: 'GET', query: { category: '1' } },
  },
  'variations/hoisted-client-never-released.ts': {
    POST: { body: { userId: 1, tags: ['a', 'b'] } },
  },
  'variations/pages-api-handler.ts': {
    default: {
      variants: [
        { label: 'GET', method: 'GET' },
        { label: 'POST', method: 'POST', body: { memories: [{ memory_text: 'met Ada', importance: 3 }] } },
      ],
    },
  },
  'variations/release-in-try-and-catch.ts': {
    '*': { modules: { '../lib/telemetry': failingTelemetry } },
  },
  'variations/standalone-client-end.ts': {
    importRows: { args: () => [[['a', 'b'], ['c', 'd']]] },
  },
  'variations/switch-action.ts': {
    POST: {
      variants: [
        { label: 'archive', body: { action: 'archive', ids: [1] } },
        { label: 'delete', body: { action: 'delete', ids: [1] } },
        { label: 'assign', body: { action: 'assign', ids: [1], assigneeId: 2 } },
      ],
    },
  },
  'variations/validation-throw-after-begin.ts': {
    POST: {
      variants: [
        { label: 'valid', body: { eventId: 1, attendees: [{ name: 'Ada', email: 'ada@example.com' }] } },
        { label: 'second attendee invalid', body: { eventId: 1, attendees: [{ name: 'Ada', email: 'ada@example.com' }, { name: 'Bob' }] } },
      ],
    },
    PATCH: { body: { registrationId: 1, email: 'ada@example.com' } },
  },
}

function caseFor(rel, name) {
  const file = files[rel] || {}
  return { ...(file['*'] || {}), ...(file[name] || {}) }
}

function realmOptions(plan) {
  const file = files[plan.rel] || {}
  return {
    aliases,
    modules: { ...(file['*']?.modules || {}), ...(plan.kase.modules || {}) },
    ambient: () => plan.info.ambient,
    globals: plan.kase.globals,
    argv: plan.kase.argv?.(),
  }
}

module.exports = { notExecuted, caseFor, realmOptions }
