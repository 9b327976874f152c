// Lays out the fixtures as `--fix --unsafe-fixes` leaves them, to run them
// too: every `X.fixed` twin takes the place of `X`, and its labels become
// what txlint reports on the fixed text. A fixed function must then behave
// as its new labels say: silent where the fix removed the finding.
//
//   node twins.cjs <fixtures/ts> <out dir> <txlint binary>
//   (prints the twins' paths, relative to <out dir>, one per line)
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const { execFileSync } = require('node:child_process')

const [from, to, txlint] = process.argv.slice(2)

function walk(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name)
    return d.isDirectory() ? walk(full) : [full]
  })
}

fs.cpSync(from, to, { recursive: true })
const twins = walk(to)
  .filter((file) => file.endsWith('.fixed'))
  .map((file) => {
    const original = file.slice(0, -'.fixed'.length)
    fs.renameSync(file, original)
    return original
  })
  .sort()

// What txlint reports on the fixed tree, checked as a whole so that files
// still see each other's helpers.
const output = execFileSync(txlint, ['check', to, '--format', 'json', '--include-tests', '--exit-zero'], {
  maxBuffer: 256 * 1024 * 1024,
})
const byFile = new Map()
for (const d of JSON.parse(output).diagnostics) {
  const file = path.resolve(d.path)
  if (!byFile.has(file)) byFile.set(file, new Map())
  const lines = byFile.get(file)
  const codes = lines.get(d.span.start.line) ?? new Set()
  codes.add(d.code)
  lines.set(d.span.start.line, codes)
}

// A label comment, as the fixtures write them: `//~ TX001 TX002`, `//~^ TX001`.
const LABEL = /\s*\/\/~\^*\s+(?:TX\d{3}\s*)+(?::.*)?$/
for (const twin of twins) {
  const found = byFile.get(path.resolve(twin)) ?? new Map()
  const text = fs
    .readFileSync(twin, 'utf8')
    .split('\n')
    .map((line, index) => {
      const bare = line.replace(LABEL, '')
      const codes = found.get(index + 1)
      return codes ? `${bare} //~ ${[...codes].sort().join(' ')}` : bare
    })
    .join('\n')
  fs.writeFileSync(twin, text)
  console.log(path.relative(to, twin))
}
