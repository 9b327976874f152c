#!/usr/bin/env bash
# Proof by execution: the pg fixtures run against a real PostgreSQL with the
# real node-postgres driver, and what happens to their clients and
# transactions is compared with their `//~` labels (see README.md here).
#
# Everything lives in one temporary folder: the database cluster (on a
# loopback port, as the `postgres` user when run as root) and the npm
# packages of package-lock.json. A trap stops the server and removes the
# folder on every exit.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
started=$(date +%s)

# PostgreSQL 15's binaries, or Debian's package when they are missing.
pg_bin=/usr/lib/postgresql/15/bin
if [ ! -x "$pg_bin/initdb" ]; then
  found=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then
    pg_bin=$found
  else
    echo "ground truth: installing Debian's postgresql package" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y --no-install-recommends postgresql > /dev/null 2>&1 ||
      { apt-get update > /dev/null && apt-get install -y --no-install-recommends postgresql > /dev/null; }
    pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
fi
command -v node > /dev/null || { echo "ground truth: node is required" >&2; exit 1; }
command -v npm > /dev/null || { echo "ground truth: npm is required" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/txlint-ground-truth.XXXXXX")
pg="$work/pg"
data="$pg/data"
as_pg=()
if [ "$(id -u)" = 0 ]; then
  # initdb refuses to run as root: the cluster belongs to `postgres`, which
  # needs to get through the temporary folder to its own data.
  id postgres > /dev/null 2>&1 || useradd --system --no-create-home postgres
  chmod 755 "$work"
  as_pg=(runuser -u postgres --)
fi
mkdir -p "$pg"
[ ${#as_pg[@]} -gt 0 ] && chown postgres "$pg"

cleanup() {
  local status=$?
  if [ -f "$data/postmaster.pid" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -m immediate -w stop > /dev/null 2>&1 || true
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free loopback port, asked of the kernel.
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')

"${as_pg[@]}" "$pg_bin/initdb" -D "$data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C > "$pg/initdb.log" 2>&1 ||
  { cat "$pg/initdb.log" >&2; exit 1; }
# Durability is of no use to a throwaway cluster; speed is.
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$data" -w -t 60 -l "$pg/postgres.log" \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start > /dev/null || { cat "$pg/postgres.log" >&2; exit 1; }

export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=ground_truth
export DATABASE_URL="postgres://postgres@127.0.0.1:$port/ground_truth"
"$pg_bin/createdb" ground_truth
"$pg_bin/psql" -q -v ON_ERROR_STOP=1 -f "$here/schema.sql" > /dev/null

# The driver and the type stripper, exactly as the lock file pins them, with
# npm's cache in the temporary folder too.
mkdir -p "$work/node"
cp "$here/package.json" "$here/package-lock.json" "$work/node/"
(cd "$work/node" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error --cache "$work/npm-cache" > /dev/null)

export GT_NODE_MODULES="$work/node/node_modules"
export GT_FIXTURES="$root/fixtures/ts"
export GT_STARTED=$started
echo "ground truth: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on port $port, node $(node --version), set up in $(($(date +%s) - started))s"
# vm modules: fixtures with top-level await load as ES modules (without the
# warning that they are experimental, where this node can say so). TMPDIR:
# the data files a seed script reads are written in the temporary folder too.
flags=(--experimental-vm-modules)
node --disable-warning=ExperimentalWarning -e '' 2> /dev/null && flags+=(--disable-warning=ExperimentalWarning)
TMPDIR="$work" node "${flags[@]}" "$here/harness/main.cjs" "$@"

# Then the fixes: every fixture as `--fix --unsafe-fixes` leaves it, where
# it has a fixed twin, run the same way against labels that are what
# txlint still reports on the fixed text. A fix that leaves a client out
# of the pool or a transaction open fails here.
txlint=${TXLINT:-$root/target/release/txlint}
[ -x "$txlint" ] || (cd "$root" && cargo build --release --locked --quiet)
twins=$(node "$here/harness/twins.cjs" "$root/fixtures/ts" "$work/fixed/ts" "$txlint")
GT_FIXTURES="$work/fixed/ts" GT_TWINS="$twins" GT_STARTED=$(date +%s) TMPDIR="$work" \
  node "${flags[@]}" "$here/harness/main.cjs" "$@"

# Then the Rust fixtures: a crate of its own (never part of txlint's
# build), compiled here from its lock file, against the same cluster in a
# database of its own (see README.md here, "Rust"). Not compiled beside
# the TypeScript part: that made its load check's timeouts fail on a busy
# 2-core machine.
command -v cargo > /dev/null || { echo "ground truth: cargo is required" >&2; exit 1; }
rust_target=${GT_RUST_TARGET:-$work/rust-target}
rust_started=$(date +%s)
CARGO_TARGET_DIR=$rust_target cargo build --locked --quiet --manifest-path "$here/rust/Cargo.toml"
echo "ground truth (Rust): harness built in $(($(date +%s) - rust_started))s"
"$rust_target/debug/txlint-ground-truth" "$@"
echo "ground truth: $(($(date +%s) - started))s in all"
