#!/usr/bin/env bash
# Times a pre-commit run: `txlint check` on a few files of a real tree
# (modules they import from outside the run are read for their helpers),
# whole process, with hyperfine.
# Usage: bench/pre-commit.sh [--runs N] DIR [COUNT]
#   Checks the first COUNT (default 20) script or Rust files of DIR, in
#   sorted order, from DIR's repository root (the nearest folder above
#   with .git, package.json or Cargo.toml), as a hook would.
# Needs hyperfine (Debian: apt-get install hyperfine).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=30
if [ "${1:-}" = "--runs" ]; then
  runs="$2"
  shift 2
fi
[ $# -ge 1 ] || { echo "usage: bench/pre-commit.sh [--runs N] DIR [COUNT]" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
dir=$(cd "$1" && pwd)
count="${2:-20}"

cargo build --release --quiet
txlint="$PWD/target/release/txlint"

root="$dir"
while [ "$root" != / ] && [ ! -e "$root/.git" ] && [ ! -e "$root/package.json" ] && [ ! -e "$root/Cargo.toml" ]; do
  root=$(dirname "$root")
done
[ "$root" = / ] && root="$dir"

mapfile -t files < <(cd "$root" && find "${dir#"$root"/}" -maxdepth 1 -type f \
  \( -name '*.ts' -o -name '*.tsx' -o -name '*.js' -o -name '*.mjs' -o -name '*.cjs' -o -name '*.rs' \) \
  | LC_ALL=C sort | head -n "$count")
[ ${#files[@]} -gt 0 ] || { echo "no script or Rust files directly in $dir" >&2; exit 2; }
echo "${#files[@]} files of $dir, checked from $root"
cd "$root"
hyperfine -N --warmup 3 --runs "$runs" --ignore-failure -n "txlint check (${#files[@]} files)" \
  "$txlint check --format concise $(printf '%q ' "${files[@]}")"
