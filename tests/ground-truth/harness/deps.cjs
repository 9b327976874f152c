// The npm packages run.sh installed into its scratch folder (package-lock.json
// pins them), reached from here without a node_modules in the repository.
'use strict'
const path = require('node:path')
const { createRequire } = require('node:module')

const root = process.env.GT_NODE_MODULES
if (!root) {
  throw new Error('GT_NODE_MODULES is not set: run tests/ground-truth/run.sh')
}
const requireDep = createRequire(path.join(root, '..', 'package.json'))

module.exports = { requireDep }
