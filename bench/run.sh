#!/usr/bin/env bash
# Times `txlint check` on a generated corpus with hyperfine and reports peak
# memory. Usage: bench/run.sh [FILES] (default 20000). Needs hyperfine
# (Debian: apt-get install hyperfine) and /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
files="${1:-20000}"
corpus="${TMPDIR:-/tmp}/txlint-corpus-$files"

command -v hyperfine >/dev/null || { echo "hyperfine is needed: apt-get install hyperfine" >&2; exit 2; }
cargo build --release --quiet
cargo build --release --quiet --example gen_corpus
rm -rf "$corpus"
./target/release/examples/gen_corpus --files "$files" --db-share 0.05 "$corpus"

txlint=./target/release/txlint
sample=$(find "$corpus/app" -name '*.ts' | sort | head -20 | tr '\n' ' ')
hyperfine --warmup 2 --runs 10 --ignore-failure --export-markdown "bench/results-$files.md" \
  -n "read every file (cat)" "find $corpus -type f -exec cat {} + > /dev/null" \
  -n "txlint, 2 threads" "$txlint check $corpus --format concise --threads 2 > /dev/null" \
  -n "txlint, 1 thread" "$txlint check $corpus --format concise --threads 1 > /dev/null" \
  -n "txlint, no prefilter, 2 threads" "$txlint check $corpus --format concise --no-prefilter --threads 2 > /dev/null" \
  -n "txlint, no prefilter, 1 thread" "$txlint check $corpus --format concise --no-prefilter --threads 1 > /dev/null" \
  -n "parse only, 2 threads" "$txlint check $corpus --format concise --no-prefilter --parse-only --threads 2 > /dev/null" \
  -n "txlint on 20 files (pre-commit)" "$txlint check $sample --format concise > /dev/null"

for mode in "" "--no-prefilter"; do
  # txlint exits 1 on the corpus's findings; only the figure matters here.
  rss=$({ /usr/bin/time -f "%M" "$txlint" check "$corpus" --format concise $mode 2>&1 >/dev/null || true; } | tail -1)
  echo "peak resident memory ${mode:-(prefilter)}: ${rss} KB"
done
