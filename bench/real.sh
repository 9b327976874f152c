#!/usr/bin/env bash
# Times `txlint check` on real source trees side by side with oxlint (one
# rule, `--no-ignore`, the same thread count) with hyperfine, and reports
# the ratio and each tool's peak memory.
# Usage: bench/real.sh [--threads N] [--rust] DIR [DIR...]
#   --rust: the trees are Rust; compare with `txlint --parse-only` instead
#           of oxlint (which reads no Rust).
# Needs hyperfine and /usr/bin/time (Debian: apt-get install hyperfine time)
# and, for TypeScript, npm. oxlint is installed from npm into a scratch
# folder (OXLINT_DIR, default $TMPDIR/txlint-oxlint) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
rust=false
dirs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --rust) rust=true; shift ;;
    *) dirs+=("$1"); shift ;;
  esac
done
[ ${#dirs[@]} -gt 0 ] || { echo "usage: bench/real.sh [--threads N] [--rust] DIR [DIR...]" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time is needed: apt-get install time" >&2; exit 2; }

cargo build --release --quiet
txlint="$PWD/target/release/txlint"
results="${TMPDIR:-/tmp}/txlint-real-$$.json"
quoted=$(printf '%q ' "${dirs[@]}")
main="$txlint check $quoted --format concise --threads $threads > /dev/null"

if $rust; then
  other="$txlint check $quoted --format concise --parse-only --threads $threads > /dev/null"
  other_name="txlint --parse-only (prefilter on)"
else
  oxlint_dir="${OXLINT_DIR:-${TMPDIR:-/tmp}/txlint-oxlint}"
  oxlint="$oxlint_dir/node_modules/.bin/oxlint"
  if [ ! -x "$oxlint" ]; then
    mkdir -p "$oxlint_dir"
    (cd "$oxlint_dir" && { [ -f package.json ] || npm init -y >/dev/null; } \
      && npm install --no-audit --no-fund oxlint@1.94.0 >/dev/null)
  fi
  other="$oxlint --threads=$threads --no-ignore -A all -D no-debugger $quoted > /dev/null"
  other_name="oxlint, one rule"
fi

hyperfine --warmup 1 --runs 5 --ignore-failure --export-json "$results" \
  -n "txlint check" "$main" -n "$other_name" "$other"

peak() { { /usr/bin/time -f "%M" bash -c "$1" 2>&1 >/dev/null || true; } | tail -1; }
python3 - "$results" "$(peak "$main")" "$(peak "$other")" "$other_name" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["results"]
ours, theirs = runs[0]["median"], runs[1]["median"]
print(f"txlint check: median {ours:.3f} s, peak {int(sys.argv[2]) / 1024:.1f} MB")
print(f"{sys.argv[4]}: median {theirs:.3f} s, peak {int(sys.argv[3]) / 1024:.1f} MB")
print(f"ratio txlint / {sys.argv[4]}: {ours / theirs:.2f}x")
PY
rm -f "$results"
