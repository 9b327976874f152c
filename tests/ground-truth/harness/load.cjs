'use strict'
async function runLoad() { return [] }
module.exports = { runLoad }
