#!/usr/bin/env bash
# tus side by side (issue 17): the same tus-js-client load (bench/tus/tus_load.mjs, Node) against
# Sluice (/v1/tus, local store) and the reference @tus/server with @tus/file-store (npm), both
# writing to disk in this run's temp dir, in interleaved rounds. Per arm and scenario it prints
# the median over rounds of throughput, PATCH latency p50/p99, errors, the server's CPU-seconds
# per GB (utime+stime from /proc) and its peak RSS (VmHWM, reset before each run).
#   bench/tus_side_by_side.sh                         # 100 x 64 MiB (8 MiB chunks), 1000 x 1 MiB
#   SCENARIOS="64M:8M:1000:1000" bench/tus_side_by_side.sh   # the issue's 1,000 x 64 MiB
# A scenario is size:chunk:concurrency:uploads (sizes in K/M). ROUNDS (default 2).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
SLUICE_ROOT=$PWD
# shellcheck source=tools/services.sh
source "$SLUICE_ROOT/tools/services.sh"
SCENARIOS=${SCENARIOS:-"64M:8M:100:100 1M:1M:1000:1000"}
ROUNDS=${ROUNDS:-2}
SLUICE=${SLUICE:-$SLUICE_ROOT/build/release/tools/sluice}
[[ -x $SLUICE ]] || sluice_die "no $SLUICE: build it first (cmake --build build/release --target sluice)"

sluice_install_traps
sluice_install_tus_js_client
if [[ ! -f $SLUICE_TUS_JS_DIR/node_modules/@tus/file-store/package.json ]]; then
  sluice_log "installing @tus/server and @tus/file-store into $SLUICE_TUS_JS_DIR"
  (cd "$SLUICE_TUS_JS_DIR" && npm install --no-audit --no-fund --silent @tus/server@1.10.2 @tus/file-store@1.5.1) \
    || sluice_die "npm install @tus/server failed"
fi
sluice_make_tmp
TMP=$SLUICE_TMP

sluice_free_port PG_PORT
sluice_free_port REDIS_PORT
sluice_free_port SLUICE_PORT
sluice_free_port TUS_PORT
sluice_pg_prepare "$TMP/pg"
sluice_start_pg "$TMP/pg" "$PG_PORT" "$TMP/pgsock" "$TMP/postgresql.log" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400
sluice_start_redis "$REDIS_PORT" "$TMP/redis" "$TMP/redis.log" --save '' --appendonly no
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SLUICE_STORE=local SLUICE_LOCAL_STORE_DIR=$TMP/sluice-store \
  SLUICE_PG_URL=postgresql://sluice@127.0.0.1:$PG_PORT/sluice SLUICE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 \
  SLUICE_JWT_SECRET=$SECRET SLUICE_LOG_LEVEL=warn SLUICE_SLOTS_PER_CORE=20000
"$SLUICE" migrate >"$TMP/migrate.log" 2>&1 || { sluice_log_tail "$TMP/migrate.log"; sluice_die "sluice migrate failed"; }
# The benchmark measures the upload path, not the tiers' limits.
"$(sluice_pg_bindir)/psql" "$SLUICE_PG_URL" -XqAt -v ON_ERROR_STOP=1 -c "UPDATE sluice.tiers SET
    quota_bytes = 1152921504606846976, max_file_bytes = 5497558138880, max_files = 1000000000000,
    max_concurrent_uploads = 100000" >/dev/null || sluice_die "could not lift the tier limits"
(SLUICE_RATE_LIMITS=off exec setsid "$SLUICE" serve --listen "127.0.0.1:$SLUICE_PORT" >>"$TMP/sluice.log" 2>&1) &
SLUICE_PID=$!
sluice_register sluice "$SLUICE_PID"
sluice_wait_for Sluice 30 "$TMP/sluice.log" "$SLUICE_PID" curl -sf -o /dev/null "http://127.0.0.1:$SLUICE_PORT/health"
TOKEN=$("$SLUICE" token --sub bench)

mkdir -p "$TMP/tus-store"
(exec setsid node bench/tus/tus_reference_server.mjs "$TUS_PORT" "$TMP/tus-store" >>"$TMP/tus-node.log" 2>&1) &
TUS_PID=$!
sluice_register tus-node "$TUS_PID"
sluice_wait_for @tus/server 30 "$TMP/tus-node.log" "$TUS_PID" \
  curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$TUS_PORT/files"

bytes_of() {
  local v=$1 n=${1%[KkMm]}
  case $v in *[Kk]) echo $((n * 1024)) ;; *[Mm]) echo $((n * 1048576)) ;; *) echo "$v" ;; esac
}
cpu_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat") && stat=${stat##*) } && read -r -a f <<<"$stat" && echo $((f[11] + f[12]))
}
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }

# run <arm> <size> <chunk> <concurrency> <uploads>: one measured run; appends a result line.
run() {
  local arm=$1 size chunk conc=$4 n=$5 pid endpoint tok="" t0 t1 out
  size=$(bytes_of "$2") chunk=$(bytes_of "$3")
  if [[ $arm == sluice ]]; then
    pid=$SLUICE_PID endpoint=http://127.0.0.1:$SLUICE_PORT/v1/tus tok=$TOKEN
  else
    pid=$TUS_PID endpoint=http://127.0.0.1:$TUS_PORT/files
  fi
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
  t0=$(cpu_ticks "$pid")
  out=$(node bench/tus/tus_load.mjs "$endpoint" "$conc" "$n" "$size" "$chunk" $tok)
  t1=$(cpu_ticks "$pid")
  python3 - "$arm" "$2x$1" "$out" "$((t1 - t0))" "$(getconf CLK_TCK)" "$(hwm_kib "$pid")" "$size" <<'PY' >>"$TMP/results"
import json, sys
arm, _, out, ticks, hz, hwm, size = sys.argv[1:]
r = json.loads(out)
gb = r["uploads"] * int(size) / 1e9
cpu = int(ticks) / int(hz)
print(json.dumps({"arm": arm, **r, "cpu_s": round(cpu, 2), "cpu_s_per_gb": round(cpu / gb, 2) if gb else None,
                  "rss_mib": round(int(hwm) / 1024, 1)}))
PY
  tail -n 1 "$TMP/results"
  # Keep the disk from filling between runs: the uploaded files (the stores keep their own dirs).
  rm -rf "${TMP:?}/tus-store/"* "${SLUICE_LOCAL_STORE_DIR:?}/u" 2>/dev/null || true
}

for scenario in $SCENARIOS; do
  IFS=: read -r size chunk conc n <<<"$scenario"
  : >"$TMP/results"
  sluice_log "scenario: $n uploads of $size in $chunk PATCHes, $conc at a time; $ROUNDS interleaved rounds"
  for ((round = 1; round <= ROUNDS; round++)); do
    run tus-node "$size" "$chunk" "$conc" "$n"
    run sluice "$size" "$chunk" "$conc" "$n"
  done
  python3 - "$TMP/results" "$scenario" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(f"\n{sys.argv[2]} (median of rounds)")
print(f"{'arm':10} {'MB/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'CPU s/GB':>9} {'RSS MiB':>8}")
res = {}
for arm in ("tus-node", "sluice"):
    a = [r for r in rows if r["arm"] == arm]
    m = lambda k: statistics.median([r[k] or 0 for r in a])
    res[arm] = (m("MBps"), m("rss_mib"))
    print(f"{arm:10} {m('MBps'):8.1f} {m('p50ms'):8.1f} {m('p99ms'):8.1f} {sum(r['errors'] for r in a):7d} "
          f"{m('cpu_s_per_gb'):9.2f} {m('rss_mib'):8.1f}")
if res["tus-node"][0] and res["tus-node"][1]:
    print(f"sluice / @tus/server: throughput x{res['sluice'][0] / res['tus-node'][0]:.2f}, "
          f"peak RSS x{res['sluice'][1] / res['tus-node'][1]:.2f}")
PY
done
