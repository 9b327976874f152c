// Per-fixture inputs the harness cannot guess from types, and the fixtures it
// does not run, with the reason. Keys are paths under fixtures/ts; inside a
// file, keys are function names as the harness reports them ('*': all).
//
//   body, query, method,  the request a route handler gets
//   headers, params
//   args(h)               the arguments, made with the harness's helpers
//                         (h.pool(), h.client(), h.request(), h.response())
//   variants              several inputs, each run through every scenario
//   construct(h, exports, name)  the object whose method is called
//   usesClient            construct or args take h.client(), the harness's
//                         own checked-out client
//   callerUsesMethods     the object's caller ends what it holds only through
//                         its methods (in after), never by a ROLLBACK of its own
//   setup(h)              what the program did before (a handler registered)
//   after(h)              what the program does next (stop a listener)
//   modules               what a module outside the fixtures exports instead
//                         of a stand-in that succeeds (e.g. a telemetry call
//                         that fails, which the label depends on)
//   globals               values for names the fixture only declares
//   argv()                the script's command-line arguments
//   poolMax               pool size when the code needs two clients at once
//   connectTimeout, timeout   milliseconds, when the defaults do not fit
//   heldOnPurpose         a client kept for good by design (a LISTEN
//                         connection): not a leak on a run where nothing fails
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

// Fixtures not run, by folder and by file, and why.
const notExecutedDirs = {
  'knex/': 'knex and Objection, not node-postgres',
  'mongodb/': 'MongoDB sessions, not PostgreSQL',
  'mysql2/': 'mysql2, not node-postgres',
  'sequelize/': 'Sequelize, not node-postgres',
  'vercel-postgres/': "@vercel/postgres's pool and tagged templates, which the harness does not install",
  'typeorm/': 'TypeORM query runners, not node-postgres',
  'cross-file/src/erp/': 'TypeORM query runners, not node-postgres',
  'safe-apis/': 'Kysely, pg-promise, Prisma and Slonik: other client libraries',
  'lookalikes/': 'APIs that only look like transactions (mysql2, mssql, Dexie, TypeORM, workflow engines), no node-postgres',
  'monorepo/apps/functions/': 'mysql2, not node-postgres',
  'monorepo-': "workspace packages imported by their name ('@acme/db'), which the harness does not resolve",
  'tests/': 'test code, run by a test runner whose process ends what a test leaves open; txlint counts its lifetime findings without showing them',
}

const notExecuted = {
  'cross-file/src/lib/index.ts': 'a barrel of re-exports: runs through the routes that import it',
  'cross-file/src/nest/base.repository.ts': 'an abstract base class: runs through AccountsRepository (users.service.ts)',
  'express/db.js': 'the pool module of the Express routes: runs through them',
  'express/catalog-db.js': 'the pool module of the catalog routes: runs through them',
  'parse-error/broken.ts': 'does not parse (the TX000 fixture)',
  'helpers/runner-helpers.ts': 'TypeORM query runners, not node-postgres',
  'scripts/admin-cli.ts': 'a command-line program built on commander, which the harness does not install',
  'scripts/report-cli.ts': 'a command-line program built on commander, which the harness does not install',
  'workers/telegram-bot.ts': 'a chat bot built on Telegraf, which the harness does not install',
  'promise-chains/request-transaction.ts': "a CMS's database adapter (payload.db), not node-postgres",
  'variations/kept-transaction-objects.ts': 'Objection and neo4j transaction objects, not node-postgres',
  'express/legacy-callbacks.js': "node-postgres's callback API: a handler returns before its callbacks run, and the harness judges the pool when the handler's promise settles",
  'helpers/spelled-wrappers.js': 'a transaction manager of a module not in the fixtures (./shared/tx-manager): no node-postgres',
}

/** A session of variations/session-runner.ts with its transaction begun. */
async function startedSession(h, exports) {
  const session = new exports.Session(h.client(), { emit: async () => {} })
  await session.startTransaction()
  return session
}

const failingTelemetry = { reportError: async () => { throw new Error('telemetry is down') } }

/** A data file for a seed script to read, written once in the system's temporary folder. */
const dataFiles = new Map()
function dataFile(name, content) {
  if (!dataFiles.has(name)) {
    const file = path.join(os.tmpdir(), `txlint-gt-${process.pid}-${name}`)
    fs.writeFileSync(file, JSON.stringify(content))
    if (!dataFiles.size) process.once('exit', () => dataFiles.forEach((f) => fs.rmSync(f, { force: true })))
    dataFiles.set(name, file)
  }
  return dataFiles.get(name)
}

// One request body that every audit-app route (buggy and corrected) accepts.
const characterBody = {
  category: 'education',
  title: 'School',
  description: 'Went to school',
  entries: [{ category: 'education', title: 'School', description: 'Went to school' }],
  interests: [{ category: 'music', interest_text: 'piano' }],
  patterns: [{ pattern_type: 'humor', pattern_name: 'puns', pattern_value: 'often' }],
  replace: true,
  items: [{ item_type: 'core_principle', item_text: 'be kind' }],
  default_length: 'short',
  formality: 'casual',
  use_markdown: false,
}

const dirs = {
  'nextjs/': { '*': { body: characterBody } },
  'nextjs-fixed/': { '*': { body: characterBody } },
}

const files = {
  'closures/fail-closure.ts': {
    '*': { body: { seat: 1 } },
  },
  'cross-file/src/app/api/audit/route.ts': {
    DELETE: { method: 'DELETE', query: { before: '2030-01-01' } },
  },
  'cross-file/src/app/api/customers/route.ts': {
    GET: { method: 'GET', query: { id: '1' } },
    PATCH: { body: { id: 1, email: 'ada@example.com' } },
  },
  'cross-file/src/app/api/orders/route.ts': {
    GET: { method: 'GET', query: { customer: '1' } },
    POST: { body: { customerId: 1, items: [{ sku: '1', quantity: 1 }] } },
    DELETE: { method: 'DELETE', query: { id: '1' } },
  },
  'cross-file/src/app/api/refunds/route.ts': {
    POST: { body: { orderId: 1, amountCents: 100, reason: 'damaged' } },
    GET: { method: 'GET', query: { order: '1' } },
  },
  'cross-file/src/app/api/transfers/route.ts': {
    POST: { body: { from: 1, to: 1, cents: 10 } },
    PUT: { body: { walletId: 1, cents: 5 } },
    PATCH: { variants: [{ label: 'existing wallet', body: { walletId: 1, label: 'savings' } }, { label: 'unknown wallet', body: { walletId: 999, label: 'savings' } }] },
    DELETE: { method: 'DELETE', query: { id: '1' } },
  },
  'express/bulk-import.js': {
    '*': { body: { courseId: 1, modules: [{ title: 'Intro' }, { title: 'Basics' }] } },
  },
  'express/catch_helpers.ts': {
    // The label says: the awaited recordFailure() may throw, and the ROLLBACK after it is skipped.
    '*': { body: { cents: 100 }, modules: { '../telemetry': { recordFailure: async () => { throw new Error('telemetry is down') } } } },
  },
  'express/catalog.routes.js': {
    'GET /catalog/products': { method: 'GET', query: { limit: '10' } },
    'POST /catalog/prices': { body: { changes: [{ sku: '1', priceCents: 1200 }] } },
    'POST /catalog/retire': { body: { skus: ['1'] } },
    'POST /catalog/retire-checked': { body: { skus: ['1'] } },
    'PUT /catalog/prices': { body: { changes: [{ sku: '1', priceCents: 1200 }] } },
  },
  'express/coupon-redemptions.ts': {
    'POST /coupons/redeem': { body: { code: '1', userId: 1, orderId: 1 } },
    'POST /coupons/batch': { body: { codes: ['batch-1'] } },
  },
  'express/tool-loans.ts': {
    'POST /tools/:id/lend': { body: { memberId: 1, days: 7 } },
  },
  'express/inventory.ts': {
    'PUT /inventory/:sku': { body: { quantity: 5, warehouseId: 1 } },
    'POST /inventory/transfers': { body: { sku: '1', fromWarehouseId: 1, toWarehouseId: 2, quantity: 1 } },
  },
  'express/many_checks.ts': {
    '*': { body: { orderId: 1, carrier: 'ups', street: 'Main St 1', city: 'Springfield', zip: '12345' } },
  },
  'express/orders.js': {
    'POST /orders': { body: { customerId: 1, items: [{ productId: 1, quantity: 1 }], shippingAddress: 'Main St 1' } },
  },
  'express/users.js': {
    'POST /login': { body: { email: 'seed@example.com', password: 'secret' } },
    'PUT /users/:id/preferences': { body: { theme: 'dark', locale: 'en' } },
  },
  'cross-file/src/lib/transaction.ts': {
    // The constructor is private: a Transaction comes from begin().
    'Transaction.query': { construct: (h, exports) => exports.Transaction.begin(), args: () => ['SELECT 1'], after: (h) => h.target.commit() },
    'Transaction.commit': { construct: (h, exports) => exports.Transaction.begin() },
    'Transaction.rollback': { construct: (h, exports) => exports.Transaction.begin() },
  },
  'cross-file/src/nest/users.service.ts': {
    // The provider Nest would inject: the real DatabaseService of the fixtures.
    '*': {
      construct: async (h, exports, name) => {
        const { DatabaseService } = h.realm.load(require('node:path').join(h.realm.fixtures, 'cross-file/src/nest/database.service.ts'))
        return new exports[name.split('.')[0]](new DatabaseService())
      },
    },
  },
  'flags/job-worker.ts': {
    processOne: { setup: (h) => h.exports.register('noop', async (job, client) => { await client.query('SELECT 1') }) },
  },
  'helpers/callers.ts': {
    PUT: { body: { entries: [{ category: 'education', title: 'School', description: 'Went to school' }] } },
    POST: { body: { fromCharacterId: 1, toCharacterId: 1 } },
  },
  'pools/pages/api/stats.ts': {
    default: { method: 'GET' },
  },
  'scripts/seed.js': {
    '<module>': { argv: () => [dataFile('seed.json', { users: [{ email: 'new@example.com', name: 'New' }] })] },
  },
  'suppressions/file-level.ts': {
    stageImport: { variants: [{ label: 'two rows', args: () => [[['a', 'b'], ['c', 'd']]] }, { label: 'no rows', args: () => [[]] }] },
  },
  'scripts/sync-worker.mjs': {
    // Its HTTP server keeps the process alive; here it listens nowhere.
    '*': { modules: { 'node:http': { __replace: { createServer: () => ({ listen() { return this } }) } } } },
  },
  'streams/csv-export.ts': {
    exportOrders: { query: { since: '2024-01-01' } },
  },
  'suppressions/route-suppressions.ts': {
    '*': { body: { id: 1, name: 'Ada' } },
  },
  'variations/arrow-export-post.ts': {
    POST: { body: { name: 'Road trip', trackIds: [1, 2] } },
  },
  'workers/backfill-swallows-errors.mjs': {
    '<module>': { argv: () => [JSON.stringify([[1, 2], [3]])] },
  },
  'workers/notification-listener.ts': {
    // The module holds one client for its LISTEN for good; the functions need another.
    '*': { poolMax: 2 },
    startAuditListener: { args: () => ['audit_events'] },
    '<module>': { heldOnPurpose: 'its LISTEN client is held for the life of the process' },
  },
  'variations/release-typeof-guard.js': {
    withOrderTransaction: { args: () => [async (client) => (await client.query('SELECT 1 AS one')).rows[0]] },
    cancelOrder: { args: () => [1, 'ordered twice'] },
    recordShipment: { args: () => [1, 'ups'] },
  },
  'variations/base-repository.ts': {
    'BaseRepository.findById': { skip: 'an abstract class: its findById runs through AccountRepository.findById' },
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
    n: { globals: { gate: { once: (event, done) => done(new Error('gate closed')) } } },
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
  'variations/session-runner.ts': {
    // The session's transaction is its caller's to end, through its methods:
    // after a failure, rollbackTransaction() (which refuses when the session
    // began nothing).
    '*': {
      usesClient: true,
      callerUsesMethods: true,
      construct: (h, exports, name) => new exports[name.split('.')[0]](h.client(), { emit: async () => {} }),
      args: () => [1, 2, 3],
      after: (h) => h.target.rollbackTransaction?.().catch(() => {}),
    },
    'Session.startTransaction': {
      construct: (h, exports) => new exports.Session(h.client(), { emit: async () => {} }),
      args: () => [],
      after: (h) => h.target.commitTransaction().catch(() => h.target.rollbackTransaction()).catch(() => {}),
    },
    'Session.commitTransaction': { construct: startedSession, after: undefined },
    'Session.rollbackTransaction': { construct: startedSession, after: undefined },
  },
  'variations/client-passed-to-helper.ts': {
    // A permissions reader that queries through the client it is given, as
    // its name says: a failed query makes it throw before the release.
    GET: {
      method: 'GET',
      query: { userId: '1' },
      modules: { '@/lib/permissions': { loadPermissions: async (client, userId) => (await client.query('SELECT $1::int AS user_id', [userId])).rows } },
    },
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
  'variations/finally-conditional-release.ts': {
    timedQuery: {
      variants: [
        { label: 'released', args: () => ['SELECT $1::int AS n', [1], { holdForDebug: false }] },
        { label: 'held for debugging', args: () => ['SELECT $1::int AS n', [1], { holdForDebug: true }] },
      ],
    },
  },
  'variations/finally-throws-before-release.ts': {
    '*': { args: () => ['1', 'SELECT $1::int AS n', [1]] },
  },
  'variations/get-client-leak-detection.js': {
    query: { args: () => ['SELECT $1::int AS n', [1]] },
  },
  'variations/release-with-error.ts': {
    refreshMaterializedView: { args: () => ['gt_view'] },
  },
  'variations/nested-functions.ts': {
    'POST /webhooks/payments': { body: { id: 'evt_1', type: 'payment.succeeded' } },
  },
  'variations/release-in-loop.ts': {
    '*': { variants: [{ label: 'two shards', args: () => [['a', 'b']] }, { label: 'no shards', args: () => [[]] }] },
  },
  'variations/standalone-client.ts': {
    '<module>': { argv: () => [dataFile('users.json', [{ email: 'new@example.com', name: 'New', roles: ['admin', 'editor'] }])] },
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

// Where execution and a label disagree and the label stays, for now, as it
// is: txlint's own tests pin its output to the labels, so a label changes
// with txlint. Each is reported on every run; one that stops happening fails
// the run, so the list cannot go stale. Keys: 'file function code'.
const knownDisagreements = {
  'cross-file/src/services/payouts.ts markPaid TX002':
    'the early `return false` leaves the Transaction open and its pooled client checked out for good: ' +
    'labelled TX005 only, but the client is never released either',
  'helpers/guarded-release.ts saveSettings TX006':
    'commit() releases through a release helper whose early returns guard other cases; when the response then ' +
    "fails, the catch's rollback() releases the client again. txlint takes the guarded release for a hand-off",
  'cross-file/src/services/payouts.ts cancelPayout TX002':
    'a failed statement leaves the Transaction open and its client checked out for good: labelled TX001 only, ' +
    'where the same shape through unitOfWork.start() (transfers/route.ts DELETE) carries TX001 and TX002',
}

function layers(rel) {
  return [...Object.entries(dirs).filter(([dir]) => rel.startsWith(dir)).map(([, c]) => c), files[rel] || {}]
}

function caseFor(rel, name) {
  return Object.assign({}, ...layers(rel).flatMap((c) => [c['*'] || {}, c[name] || {}]))
}

function notExecutedReason(rel) {
  if (notExecuted[rel]) return notExecuted[rel]
  const dir = Object.keys(notExecutedDirs).find((d) => rel.startsWith(d))
  return dir ? notExecutedDirs[dir] : undefined
}

function realmOptions(plan) {
  return {
    aliases,
    modules: plan.kase.modules || {},
    ambient: () => plan.info.ambient,
    globals: plan.kase.globals,
    argv: plan.kase.argv?.(),
  }
}

module.exports = { notExecutedReason, caseFor, realmOptions, knownDisagreements }
