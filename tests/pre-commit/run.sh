#!/usr/bin/env bash
# The pre-commit flow end to end: the real `pre-commit` tool (from PyPI, in a
# throwaway virtualenv) runs txlint on the staged files of a scratch repo. A
# route with a transaction bug must be refused with TX001; once fixed, the
# commit goes through. The hook's entry is the binary this checkout built, as
# a `repo: local` hook, so the test does not build txlint a second time.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(cd "$here" && realpath "${1:-target/release/txlint}")
[ -x "$binary" ] || { echo "build txlint first: $binary not found" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
export PATH="$work/venv/bin:$PATH"
export PRE_COMMIT_HOME="$work/cache"

repo="$work/repo"
mkdir -p "$repo/app/api/orders"
cd "$repo"
git init --quiet
git config user.email ci@example.com
git config user.name ci
# The hook definition of .pre-commit-hooks.yaml, run as a local hook: its
# entry (with this checkout's binary) and its file pattern.
hook_value() { sed -n "s/^  $1: //p" "$here/.pre-commit-hooks.yaml"; }
entry=$(hook_value entry | sed "s|^txlint |$binary |")
files=$(hook_value files)
[ -n "$entry" ] && [ -n "$files" ] || { echo "FAIL: cannot read the hook's entry and files" >&2; exit 1; }
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: local
    hooks:
      - id: txlint
        name: txlint
        entry: $entry
        language: system
        files: $files
        require_serial: false
YAML
pre-commit install --install-hooks >/dev/null

cat > app/api/orders/route.ts <<'TS'
import { NextRequest, NextResponse } from 'next/server'
import { getPool } from '@/lib/db-pool'

export async function POST(request: NextRequest) {
  const { items } = await request.json()
  const client = await getPool().connect()
  try {
    await client.query('BEGIN')
    for (const item of items) {
      await client.query('INSERT INTO order_items (sku, qty) VALUES ($1, $2)', [item.sku, item.qty])
    }
    await client.query('COMMIT')
    return NextResponse.json({ ok: true })
  } catch (error) {
    return NextResponse.json({ error: 'Failed' }, { status: 500 })
  } finally {
    client.release()
  }
}
TS
# Commit what is staged; the hook must refuse it, showing `finding`.
refused() {
  local finding=$1 log="$work/refused-$RANDOM.txt"
  if git commit --quiet -m "a commit the hook refuses" > "$log" 2>&1; then
    echo "FAIL: a commit with a missing ROLLBACK was accepted" >&2
    cat "$log" >&2
    exit 1
  fi
  grep -qF "$finding" "$log" || {
    echo "FAIL: the refusal does not show $finding" >&2
    cat "$log" >&2
    exit 1
  }
}

git add .pre-commit-config.yaml app
refused "app/api/orders/route.ts:8:11: error[TX001]"

sed -i "s|  } catch (error) {|  } catch (error) {\n    await client.query('ROLLBACK')|" app/api/orders/route.ts

# An ES module worker (`.mts`, which pre-commit has no file type for) with
# the same bug is refused too.
mkdir -p workers
cat > workers/refunds.mts <<'TS'
import { getPool } from '../lib/db-pool.mjs'

export async function refund(orderId: string): Promise<void> {
  const client = await getPool().connect()
  try {
    await client.query('BEGIN')
    await client.query('UPDATE orders SET refunded = true WHERE id = $1', [orderId])
    await client.query('COMMIT')
  } catch (error) {
    console.error('refund failed', error)
  } finally {
    client.release()
  }
}
TS
git add app workers
refused "workers/refunds.mts:6:11: error[TX001]"
sed -i "s|    console.error('refund failed', error)|    await client.query('ROLLBACK')|" workers/refunds.mts

# A file the project excludes is not checked when the hook passes it.
mkdir -p legacy
cp app/api/orders/route.ts legacy/route.ts
sed -i "/await client.query('ROLLBACK')/d" legacy/route.ts
printf 'exclude = ["legacy/**"]\n' > txlint.toml
git add app workers legacy txlint.toml
git commit --quiet -m "add orders route" > "$work/accepted.txt" 2>&1 || {
  echo "FAIL: the fixed route was refused" >&2
  cat "$work/accepted.txt" >&2
  exit 1
}
echo "pre-commit flow: the buggy route and .mts worker were refused with TX001; fixed, and with an excluded legacy file, they committed"
