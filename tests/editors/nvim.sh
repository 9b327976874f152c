#!/usr/bin/env bash
# A real editor speaks to `txlint server`: Neovim's built-in LSP client
# (0.7, from Debian's packages, installed when missing) opens a route with
# a missing ROLLBACK, must show TX001 on the BEGIN, and must clear it after
# an unsaved edit that adds the ROLLBACK.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
binary=$(cd "$here" && realpath "${1:-target/release/txlint}")
[ -x "$binary" ] || { echo "build txlint first: $binary not found" >&2; exit 1; }
if ! command -v nvim > /dev/null; then
  apt-get install -y --no-install-recommends neovim > /dev/null 2>&1 ||
    { apt-get update > /dev/null && apt-get install -y --no-install-recommends neovim > /dev/null; }
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/app/api/orders"
cp "$here/tests/editors/broken-route.ts" "$work/app/api/orders/route.ts"
cd "$work"
TXLINT="$binary" TXLINT_OUT="$work/seen.txt" timeout 60 \
  nvim --headless --clean -c "luafile $here/tests/editors/nvim.lua" app/api/orders/route.ts
expected=$'7:11 TX001 error\n--\n--'
seen=$(cat "$work/seen.txt")
if [ "$seen" != "$expected" ]; then
  echo "FAIL: Neovim showed" >&2
  echo "$seen" >&2
  echo "expected" >&2
  echo "$expected" >&2
  exit 1
fi
echo "editor: Neovim $(nvim --version | sed -n '1s/NVIM v//p') showed TX001 on the BEGIN, and nothing after the fix"
