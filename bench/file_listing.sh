#!/usr/bin/env bash
# GET /v1/files with one user owning 1,000,000 files in 1,000 folders (issue 13): loads the rows
# of bench/file_listing_data.sql into a PostgreSQL of its own (or the one at SLUICE_BENCH_PG_URL,
# loaded once), then prints p50/p99 per query shape twice: the service call alone
# (service::list_files: the SQL the service builds + decoding) and GET /v1/files through
# `sluice serve` on one core (authentication, parsing, JSON), and EXPLAIN (ANALYZE, BUFFERS) of
# every shape. Prints the load of the machine before and after, since these are latencies.
# Usage: bench/file_listing.sh [iterations=200] [max seconds per shape=10]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
ITER=${1:-200}
MAXS=${2:-10}
BUILD=${BUILD:-build/release}
SLUICE_ROOT=$PWD
source tools/services.sh
sluice_install_traps
[[ -x $BUILD/bench/file_listing_bench && -x $BUILD/tools/sluice ]] \
  || sluice_die "build the targets first: cmake --build $BUILD --target sluice file_listing_bench"
if [[ -n ${SLUICE_BENCH_PG_URL:-} ]]; then
  PG_URL=$SLUICE_BENCH_PG_URL
else
  sluice_make_tmp
  sluice_free_port pg_port
  sluice_pg_prepare "$SLUICE_TMP/pg"
  sluice_start_pg "$SLUICE_TMP/pg" "$pg_port" "$SLUICE_TMP/pgsock" "$SLUICE_TMP/postgresql.log" \
    -c fsync=off -c synchronous_commit=off -c shared_buffers=512MB
  PG_URL="postgresql://sluice@127.0.0.1:$pg_port/sluice"
fi
SLUICE_PG_URL=$PG_URL "$BUILD/tools/sluice" migrate >/dev/null
have=$(psql "$PG_URL" -XAtc "select count(*) from sluice.files where owner = 'bench'")
if [[ $have -lt 1000000 ]]; then
  sluice_log "loading 1,000,000 files (about a minute)"
  psql "$PG_URL" -Xq -f bench/file_listing_data.sql
fi
psql "$PG_URL" -XAtc "select 'rows: ' || count(*) || ' (' || count(*) filter (where owner = 'bench' and status = 'available') || ' live of user bench), table ' || pg_size_pretty(pg_table_size('sluice.files')) || ', indexes ' || pg_size_pretty(pg_indexes_size('sluice.files')) from sluice.files"

[[ -n ${SLUICE_TMP:-} ]] || sluice_make_tmp
sluice_free_port http_port
export SLUICE_JWT_SECRET=bench-secret-0123456789abcdef-0123456789
SLUICE_PG_URL=$PG_URL SLUICE_STORE=local SLUICE_LOCAL_STORE_DIR=$SLUICE_TMP/store SLUICE_CORES=1 \
  SLUICE_LISTEN=127.0.0.1:$http_port SLUICE_LOG_LEVEL=warn SLUICE_RATE_LIMITS=off "$BUILD/tools/sluice" serve >"$SLUICE_TMP/serve.log" 2>&1 &
sluice_register sluice $!
sluice_wait_for sluice 30 "$SLUICE_TMP/serve.log" "$!" curl -sf -o /dev/null "http://127.0.0.1:$http_port/health"
TOKEN=$("$BUILD/tools/sluice" token --sub bench --ttl 3600)

echo "==> $(nproc) cores, $(uname -r), PostgreSQL $(psql "$PG_URL" -XAtc 'show server_version')"
echo "==> load before: $(cut -d' ' -f1-3 /proc/loadavg); busiest processes:"
ps -eo pcpu,comm --sort=-pcpu | sed -n 2,6p
"$BUILD/bench/file_listing_bench" --url "$PG_URL" --iterations "$ITER" --max-seconds "$MAXS"
"$BUILD/bench/file_listing_bench" --url "$PG_URL" --iterations "$ITER" --max-seconds "$MAXS" \
  --http "$http_port" --token "$TOKEN"
echo "==> load after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BUILD/bench/file_listing_bench" --url "$PG_URL" --iterations 1 --max-seconds 1 --explain | sed -n '/^-- /,$p'
