// Runs every executable pg fixture and compares what happened with its labels.
// A function labelled TX001, TX002, TX005 or TX006 must show that failure in
// at least one scenario; a function without lifetime labels must show none.
//
//   node main.cjs [--only <path part>] [--verbose] [--trace] [--inputs]
//   (run.sh sets up the database and the environment; see README.md)
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { discover, LIFETIME } = require('./discover.cjs')
const { probeArgs } = require('./inputs.cjs')
const { Database } = require('./database.cjs')
const { ScenarioRunner } = require('./scenarios.cjs')
const { runLoad } = require('./load.cjs')
const cases = require('../cases.cjs')

const FIXTURES = process.env.GT_FIXTURES
// Set by run.sh for its second pass: the fixed twins, laid out by twins.cjs.
const TWINS = process.env.GT_TWINS ? new Set(process.env.GT_TWINS.split('\n').filter(Boolean)) : undefined
const MODES = ['sql-error', 'conn-lost']
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/
const OTHER_DRIVERS = ['mysql2', 'mysql2/promise', 'typeorm', 'sequelize', 'sequelize-typescript', 'knex', 'objection',
  'mongodb', 'mongoose', '@prisma/client', 'kysely', 'slonik', 'pg-promise', 'neo4j-driver', '@nestjs/typeorm',
  '@nestjs/sequelize', 'ioredis', 'idb', 'dexie', 'bullmq']

const argv = process.argv.slice(2)
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined
const verbose = argv.includes('--verbose')
const traceScenarios = argv.includes('--trace')

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name)
    return d.isDirectory() ? walk(full) : SOURCE.test(d.name) ? [full] : []
  }).sort()
}

function importsOf(text) {
  return [...text.matchAll(/(?:from\s+|require\(\s*|import\s+)['"]([^'"]+)['"]/g)].map((m) => m[1])
}

/** Why a fixture is not run, or undefined when it is. */
function notExecutable(rel, text, info) {
  const listed = cases.notExecutedReason(rel)
  if (listed) return listed
  const imports = importsOf(text)
  const driver = imports.find((i) => OTHER_DRIVERS.includes(i))
  if (driver) return `uses ${driver}, not node-postgres`
  const lifetimeLabels = info.labels.filter((l) => l.codes.some((c) => LIFETIME.includes(c)))
  if (!info.entries.length) {
    return lifetimeLabels.length ? 'its labelled code is not reachable from an export' : 'nothing exported to call (module of pools or helpers only)'
  }
  return undefined
}

function summarize(outcome) {
  const parts = []
  if (outcome.injected) parts.push(`${outcome.injected.mode} at statement #${outcome.injected.index} \`${outcome.injected.text}\``)
  else if (outcome.spec.failWrites) parts.push('response write fails')
  else parts.push(`success run${outcome.spec.data === 'empty' ? ' on empty tables' : ''}${outcome.spec.label ? ` (${outcome.spec.label})` : ''}`)
  if (outcome.threw) parts.push(`threw ${outcome.threw}`)
  else if ((outcome.appErrors || []).length) parts.push(`threw and caught \`${outcome.appErrors[0]}\``)
  if (outcome.status) parts.push(`answered ${outcome.status}`)
  if (outcome.leaked) parts.push(`${outcome.leaked} client(s) never released`)
  for (const t of outcome.openTransactions || []) parts.push(`${t.where} is ${t.state}`)
  if (outcome.doubleRelease) parts.push('client released twice (node-postgres threw)')
  for (const n of outcome.nextRequest || []) parts.push(n)
  if (outcome.failedCommitted) parts.push("the next request's COMMIT committed the transaction left open, with what it had written")
  const aborted = (outcome.statementsInCall || []).filter((s) => s.error === '25P02').length
  if (aborted) parts.push(`${aborted} later statement(s) met \`current transaction is aborted\``)
  if (outcome.exited) parts.push(`the process ended (${outcome.exited}): its connections closed and PostgreSQL rolled back`)
  return parts.join('; ')
}

/** The codes a scenario's observations stand for. */
function evidence(outcome) {
  const codes = new Set()
  if (outcome.exited || outcome.harnessError) return codes
  // A statement that met `current transaction is aborted`: an earlier failure
  // left its transaction open on that connection, and the code went on.
  if ((outcome.statementsInCall || []).some((s) => s.error === '25P02')) codes.add('TX001')
  // A failure: injected, thrown out of the call, or a statement of the call
  // that failed by itself (and was caught inside).
  const failure = !!outcome.injected || !!outcome.threw || !!outcome.spec.failWrites ||
    (outcome.statementsInCall || []).some((s) => s.error) || (outcome.appErrors || []).length > 0 ||
    outcome.status >= 500
  // A client the code keeps for good on purpose (a LISTEN connection), on a
  // run where nothing failed, is not a leak.
  if (outcome.leaked > 0 && !(outcome.heldOnPurpose && !failure)) codes.add('TX002')
  if (outcome.doubleRelease) codes.add('TX006')
  if ((outcome.openTransactions || []).length) codes.add(failure ? 'TX001' : 'TX005')
  return codes
}

async function runEntry(runner, plan) {
  const { entry, kase } = plan
  const outcomes = []
  const variants = kase.variants ?? [{}]
  const dummies = new Proxy({}, { get: () => () => null })
  const probe = probeArgs(entry.params, plan.info.types, dummies, plan.info.imports)
  plan.needsClient = probe.usedClient || !!kase.usesClient
  for (const variant of variants) {
    for (const bool of probe.booleans) {
      const base = { ...variant, bool, label: [variant.label, probe.booleans.length > 1 ? `booleans ${bool}` : ''].filter(Boolean).join(', ') }
      const success = await runner.run(plan, { ...base, data: 'seeded' })
      outcomes.push(success)
      if (success.harnessError) return outcomes
      if (kase.heldOnPurpose) success.heldOnPurpose = true
      const positions = success.statementsInCall.filter((s) => s.kind !== 'rollback')
      for (const { index: failAt, kind } of positions) {
        for (const mode of MODES.filter((m) => kind !== 'stream' || m === 'conn-lost')) {
          outcomes.push(await runner.run(plan, { ...base, data: 'seeded', failAt, mode }))
        }
      }
    }
  }
  const empty = await runner.run(plan, { ...variants[0], bool: probe.booleans[0], data: 'empty' })
  if (kase.heldOnPurpose) empty.heldOnPurpose = true
  outcomes.push(empty)
  const usesResponse = entry.kind === 'route' || entry.params.some((p) => /^res(ponse)?$/.test(p.name || '') ||
    (p.type && p.type.k === 'ref' && /Response$/.test(p.type.name)))
  if (usesResponse) outcomes.push(await runner.run(plan, { ...variants[0], bool: true, data: 'seeded', failWrites: true }))
  return outcomes
}

function judge(rel, entry, outcomes, report, info) {
  const labelled = new Set(entry.labels.flatMap((l) => l.codes))
  const excused = labelled.has('TX004') || labelled.has('TX007') ? ['TX001', 'TX005'] : []
  excused.push(...info.fileSuppressed)
  const judged = LIFETIME.filter((c) => !excused.includes(c))
  // For each code, the scenario that shows it best: the first one, unless a
  // later one also shows what the next request meets.
  const telling = (o) => (o.failedCommitted ? 2 : 0) + ((o.nextRequest || []).some((n) => /failed/.test(n)) ? 1 : 0)
  const seen = new Map()
  for (const outcome of outcomes) {
    for (const code of evidence(outcome)) {
      if (!seen.has(code) || telling(outcome) > telling(seen.get(code))) seen.set(code, outcome)
    }
  }
  const broken = outcomes.find((o) => o.harnessError)
  const name = `${rel} ${entry.name}`
  if (broken) {
    report.problems.push(`${name}: the harness could not run it: ${broken.harnessError}`)
    return
  }
  if (!outcomes.some((o) => (o.statementsInCall || []).length || o.checkouts)) {
    if (labelled.size) {
      report.problems.push(`${name}: never reached the database with the inputs given (${summarize(outcomes[0])})`)
    } else {
      report.lines.push(`none ${name}: does no database work (${summarize(outcomes[0])})`)
      report.idle += 1
    }
    return
  }
  const lines = []
  let agree = true
  let known = false
  for (const code of judged) {
    const expected = labelled.has(code)
    const outcome = seen.get(code)
    if (expected && outcome) {
      report.confirmed += 1
      const suppressed = entry.labels.some((l) => l.suppressed && l.codes.includes(code))
      lines.push(`  ${code} confirmed${suppressed ? ' (silenced by a txlint-ignore comment)' : ''}: ${summarize(outcome)}`)
    } else if (expected || outcome) {
      const text = expected
        ? `${name}: labelled ${code}, not observed in ${outcomes.length} scenarios (success run: ${summarize(outcomes[0])}${outcomes[0].timedOut ? '; timed out' : ''})`
        : `${name}: not labelled ${code}, observed: ${summarize(outcome)}`
      const key = `${rel} ${entry.name} ${code}`
      if (cases.knownDisagreements[key]) {
        known = true
        report.known.push({ key, text, why: cases.knownDisagreements[key] })
      } else {
        agree = false
        report.disagreements.push(text)
      }
    }
  }
  const lifetime = [...labelled].filter((c) => LIFETIME.includes(c))
  if (agree && !known && !lifetime.length && !excused.length) report.silent += 1
  if (agree && !known) report.agreeing += 1
  if (agree && known) report.knownFunctions += 1
  report.functions += 1
  if (traceScenarios) {
    for (const o of outcomes) {
      report.lines.push(`    - ${summarize(o)}${o.harnessError ? ` HARNESS ${o.harnessError}` : ''}${o.unhandled ? ` unhandled: ${o.unhandled}` : ''} => ${[...evidence(o)].join(' ') || '-'}`)
    }
  }
  if (argv.includes('--inputs')) {
    for (const o of outcomes.filter((o) => !o.injected && !o.spec.failWrites && o.spec.data !== 'empty')) {
      const sqlError = (o.statementsInCall || []).find((s) => s.error && s.error !== '25P02')
      if (o.threw || o.status >= 400 || sqlError || o.exited) {
        report.lines.push(`  INPUT? ${name}: ${summarize(o)}${sqlError ? `; statement failed: ${sqlError.error} \`${sqlError.text}\`` : ''}`)
      }
    }
  }
  const timedOut = outcomes.filter((o) => o.timedOut).length
  const status = !agree ? 'FAIL' : known ? 'KNOWN' : 'ok  '
  report.lines.push(`${status} ${name} [${[...labelled].join(' ') || 'silent'}] ${outcomes.length} scenarios` +
    (timedOut ? `, ${timedOut} timed out` : ''))
  if (verbose || !agree) report.lines.push(...lines)
}

// A fixture's stray promise (an unawaited COMMIT that fails, a route whose
// rejection Express would not catch) must not end the run.
const { state } = require('./pg.cjs')
process.on('unhandledRejection', (reason) => {
  if (state.scenario) state.scenario.unhandled = String(reason?.message ?? reason)
})
process.on('uncaughtException', (error) => {
  if (state.scenario) state.scenario.unhandled = String(error?.message ?? error)
  else console.error('uncaught outside a scenario:', error?.message ?? error)
})

async function main() {
  const started = Date.now()
  const db = new Database()
  await db.open()
  const runner = new ScenarioRunner(db, FIXTURES, (plan) => cases.realmOptions(plan))
  const report = { known: [], knownFunctions: 0, idle: 0, functions: 0, agreeing: 0, confirmed: 0, silent: 0, disagreements: [], problems: [], lines: [], executed: [], skipped: [] }

  for (const file of walk(FIXTURES)) {
    const rel = path.relative(FIXTURES, file)
    if (only && !rel.includes(only)) continue
    if (TWINS && !TWINS.has(rel)) continue
    const text = fs.readFileSync(file, 'utf8')
    const info = discover(file, text)
    const reason = notExecutable(rel, text, info)
    if (reason) {
      report.skipped.push({ rel, reason })
      continue
    }
    report.executed.push(rel)
    for (const label of info.unattributed) {
      if (label.codes.some((c) => LIFETIME.includes(c))) {
        report.problems.push(`${rel}:${label.line}: label ${label.codes.join(' ')} belongs to no function the harness can call`)
      }
    }
    for (const entry of info.entries) {
      const kase = cases.caseFor(rel, entry.name)
      if (kase.skip) {
        report.skippedFunctions = (report.skippedFunctions || 0) + 1
        report.lines.push(`skip ${rel} ${entry.name}: ${kase.skip}`)
        continue
      }
      const plan = { file, rel, entry, info, kase }
      if (entry.kind === 'action') {
        plan.parentEntry = info.entries.find((e) => e.name === entry.parent)
        plan.parentExport = plan.parentEntry?.exportName
      }
      const outcomes = await runEntry(runner, plan)
      judge(rel, entry, outcomes, report, info)
    }
  }

  let load = []
  if (!TWINS && (!only || only === 'load')) load = await runLoad(db, FIXTURES, cases)
  await db.close()

  for (const line of report.lines) console.log(line)
  for (const l of load) console.log(l.ok ? `ok   load: ${l.text}` : `FAIL load: ${l.text}`)
  if (report.skipped.length) {
    console.log(`\nnot executed (${report.skipped.length} files):`)
    for (const s of report.skipped) console.log(`  ${s.rel}: ${s.reason}`)
  }
  if (report.problems.length) {
    console.log('\nharness problems:')
    for (const p of report.problems) console.log(`  ${p}`)
  }
  if (report.known.length) {
    console.log('\nknown disagreements (labels found wrong, listed in cases.cjs until txlint reports them):')
    for (const k of report.known) console.log(`  ${k.text}\n    why: ${k.why}`)
  }
  const seenKeys = new Set(report.known.map((k) => k.key))
  for (const key of Object.keys(cases.knownDisagreements)) {
    const [file] = key.split(' ')
    if (!TWINS && !seenKeys.has(key) && (!only || file.includes(only))) {
      report.disagreements.push(`${key}: listed as a known disagreement, but execution now agrees with the label: remove it from cases.cjs`)
    }
  }
  if (report.disagreements.length) {
    console.log('\ndisagreements:')
    for (const d of report.disagreements) console.log(`  ${d}`)
  }
  const loadFailures = load.filter((l) => !l.ok).length
  const total = process.env.GT_STARTED ? `, ${Math.round(Date.now() / 1000 - Number(process.env.GT_STARTED))}s in all` : ''
  const seconds = `${Math.round((Date.now() - started) / 1000)}s${total}`
  console.log(`\nfunctions: ${report.functions} judged (${report.agreeing} agree, ${report.knownFunctions} with known ` +
    `disagreements, ${report.functions - report.agreeing - report.knownFunctions} disagree), ${report.idle} doing no ` +
    `database work, ${report.skippedFunctions || 0} skipped`)
  const what = TWINS ? 'ground truth of the fixed twins' : 'ground truth'
  console.log(`${what}: ${report.executed.length} fixtures executed (${report.functions} functions, ${seconds}), ` +
    `${report.confirmed} findings confirmed, ${report.silent} silent functions confirmed, ` +
    `${report.disagreements.length} disagreements (${report.known.length} known), ${report.problems.length} harness problems, ` +
    `${load.length - loadFailures}/${load.length} load checks, ${report.skipped.length} fixtures not executed`)
  process.exitCode = report.disagreements.length || report.problems.length || loadFailures ? 1 : 0
}

main().then(() => process.exit(), (error) => {
  console.error(error)
  process.exit(2)
})
