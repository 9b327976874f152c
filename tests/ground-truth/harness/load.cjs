// The audit's checklist under load: 200 requests, one in four failing on a
// real constraint violation after BEGIN, ten at a time, against a pool of 5.
// The corrected route must end with every client back and no session left
// in a transaction; the buggy one must exhaust the pool.
'use strict'
const path = require('node:path')
const { state, newScenario, inCall } = require('./pg.cjs')
const { Realm } = require('./modules.cjs')
const fakes = require('./fakes.cjs')

const CALLS = 200
const CONCURRENCY = 10
const POOL_MAX = 5

const ROUTES = [
  { name: 'corrected', file: 'nextjs-fixed/app/api/characters/[id]/interests/route.ts', expect: 'survives' },
  { name: 'buggy', file: 'nextjs/app/api/characters/[id]/interests/route.ts', expect: 'exhausted' },
]

function body(i) {
  // Every fourth request violates character_interests' CHECK constraint
  // on its INSERT, after BEGIN and the DELETE.
  return { interests: [{ category: 'music', interest_text: i % 4 === 3 ? 'fail' : `piano ${i}` }] }
}

async function runRoute(db, fixtures, cases, route) {
  await db.reset('seeded')
  const sc = newScenario({ id: `load-${route.name}`, poolMax: POOL_MAX, connectTimeout: 100 })
  state.scenario = sc
  const realm = new Realm(fixtures, cases.realmOptions({ rel: route.file, kase: {}, info: { ambient: [] } }))
  const statuses = {}
  let timeouts = 0
  try {
    const { POST } = realm.load(path.join(fixtures, route.file))
    // Count connect() calls that gave up waiting for a client.
    const countTimeouts = (pool) => {
      const connect = pool.connect.bind(pool)
      pool.connect = (...args) => connect(...args).catch((error) => {
        if (/timeout/i.test(error.message)) timeouts += 1
        throw error
      })
    }
    let next = 0
    const worker = async () => {
      while (next < CALLS) {
        const i = next++
        for (const pool of sc.pools) if (!pool.__gtCounted) { pool.__gtCounted = true; countTimeouts(pool) }
        const request = new fakes.FakeNextRequest({ method: 'POST', body: body(i) })
        const response = await POST(request, { params: Promise.resolve({ id: '1' }) })
        statuses[response.status] = (statuses[response.status] || 0) + 1
      }
    }
    // The module's pool exists once the module is loaded; wrap it before the first call.
    for (const pool of sc.pools) { pool.__gtCounted = true; countTimeouts(pool) }
    await inCall.run({ scenario: sc.id }, () => Promise.all(Array.from({ length: CONCURRENCY }, worker)))
    await new Promise((resolve) => setTimeout(resolve, 20))
    const pools = sc.pools.filter((p) => p.totalCount > 0)
    const checkedOut = pools.reduce((n, p) => n + p.totalCount - p.idleCount, 0)
    const sessions = await db.sessions([...sc.clients].filter((c) => !c.__gt.ended).map((c) => c.processID))
    const inTransaction = [...sessions.values()].filter((s) => s.startsWith('idle in transaction')).length
    const { rows } = await db.admin.query("SELECT count(*)::int AS n FROM character_interests WHERE interest_text = 'fail'")
    const summary = `${CALLS} calls, ${CONCURRENCY} at a time, pool of ${POOL_MAX}: answers ${JSON.stringify(statuses)}, ` +
      `${timeouts} connect() timeouts, ${checkedOut} clients still checked out, ${inTransaction} sessions idle in transaction`
    const survives = timeouts === 0 && checkedOut === 0 && inTransaction === 0 && rows[0].n === 0 &&
      statuses[201] === CALLS - CALLS / 4
    const exhausted = timeouts > 0 && checkedOut === POOL_MAX
    const ok = route.expect === 'survives' ? survives : exhausted
    return { ok, text: `${route.name} route (${route.file}) ${route.expect === 'survives' ? 'never exhausts the pool' : 'exhausts the pool'}: ${summary}` }
  } catch (error) {
    return { ok: false, text: `${route.name} route (${route.file}): the load test could not run: ${error.message}` }
  } finally {
    state.scenario = null
    for (const pool of sc.pools) pool.on('error', () => {})
    for (const client of sc.clients) {
      try { client.connection.stream.destroy() } catch { /* gone */ }
    }
    await db.endScenario(sc.id)
  }
}

async function runLoad(db, fixtures, cases) {
  const results = []
  for (const route of ROUTES) results.push(await runRoute(db, fixtures, cases, route))
  return results
}

module.exports = { runLoad }
