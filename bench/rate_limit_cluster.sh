#!/usr/bin/env bash
# Rate limits measured (issue 15): (1) two Sluice instances on one PostgreSQL + Redis, a
# sluice-load per instance hammering ONE user (GET /v1/keys, a PostgreSQL read): the rate admitted cluster-wide
# vs the configured limit; (2) an authenticated, rate-limited GET /v1/keys by wrk with the
# limiter on vs off (one instance), and Redis commands per 1,000 requests (INFO commandstats).
# Usage: bench/rate_limit_cluster.sh [duration_s=10] [per_minute=6000] [burst=100]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
DUR=${1:-10}
RPM=${2:-6000}
BURST=${3:-100}
BUILD=${BUILD:-build/release}
SLUICE=$BUILD/tools/sluice
LOAD=$BUILD/tools/load/sluice-load
[ -x "$LOAD" ] || LOAD=$(find "$BUILD" -name sluice-load -type f | head -1)
SLUICE_ROOT=$PWD
source tools/services.sh
sluice_install_traps
sluice_start_test_services >/dev/null
export SLUICE_JWT_SECRET="bench-secret-0123456789abcdef-0123456789"
export SLUICE_PG_URL=$SLUICE_TEST_PG_URL SLUICE_REDIS_URL=$SLUICE_TEST_REDIS_URL
export SLUICE_LOCAL_STORE_DIR=$(mktemp -d) SLUICE_LOG_LEVEL=warn SLUICE_JANITOR_INTERVAL=0
"$SLUICE" migrate >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PIDS=()
start() {  # start <port> <rate limits on|off> -> pid in PIDS
  SLUICE_RATE_LIMITS=$2 "$SLUICE" serve --listen "127.0.0.1:$1" --cores 1 &
  PIDS+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$1/health" >/dev/null && return; sleep 0.1; done
  echo "sluice on $1 did not start" >&2; exit 1
}
stop_all() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; PIDS=(); }
trap 'stop_all' EXIT
ADMIN=$("$SLUICE" token --sub bench-admin --role admin)
set_rate() {  # set_rate <port> <user> <json>
  curl -sf -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d "$3" "http://127.0.0.1:$1/v1/admin/users/$2/rate-limit" >/dev/null
}
# CPU time (µs, user+system) of processes by name, summed: where a request's time goes.
cpu_us() {  # cpu_us <comm>...
  local total=0 tick; tick=$(getconf CLK_TCK)
  for name in "$@"; do
    for pid in $(pgrep -x "$name"); do
      read -r u s < <(awk '{print $14, $15}' "/proc/$pid/stat" 2>/dev/null || echo "0 0")
      total=$((total + (u + s) * 1000000 / tick))
    done
  done
  echo "$total"
}
# Runs a command and prints its CPU seconds as "wrkcpu <user> <system>" on stderr.
child_cpu() {
  python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:])
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("wrkcpu", u.ru_utime, u.ru_stime, file=sys.stderr)' "$@"
}
evalsha() { redis-cli -u "$SLUICE_REDIS_URL" info commandstats | awk -F'[=,:]' '/cmdstat_evalsha/ {print $3}' | tr -d '\r' | sed 's/^$/0/;' | head -1; }

echo "==> (1) two instances (1 core each), one user limited to $RPM/min burst $BURST, ${DUR}s, 2 x sluice-load --users 1"
P1=$(free_port); P2=$(free_port)
start "$P1" on; start "$P2" on
set_rate "$P1" user-0 "{\"requestsPerMinute\":$RPM,\"burst\":$BURST}"
sleep 0.2
LOADS=()
for p in "$P1" "$P2"; do
  "$LOAD" --url "http://127.0.0.1:$p" --mode get --path /v1/keys --users 1 --concurrency 32 --threads 1 \
    --duration "${DUR}s" --expect-status 200 --json --quiet > "$SLUICE_LOCAL_STORE_DIR/load-$p.json" &
  LOADS+=($!)
done
for l in "${LOADS[@]}"; do wait "$l" || true; done  # refusals count as failures: a non-zero exit
ok=0; refused=0
for p in "$P1" "$P2"; do
  f=$SLUICE_LOCAL_STORE_DIR/load-$p.json
  ok=$((ok + $(python3 -c "import json,sys; print(json.load(open('$f'))['statuses'].get('200',0))")))
  refused=$((refused + $(python3 -c "import json,sys; print(json.load(open('$f'))['statuses'].get('429',0))")))
done
allowed_max=$(python3 -c "print($RPM/60*$DUR + $BURST)")
printf "admitted %d (%.1f/s), refused %d; configured %.1f/s -> at most %s in %ss (rate x time + burst); ratio %.3f\n" \
  "$ok" "$(python3 -c "print($ok/$DUR)")" "$refused" "$(python3 -c "print($RPM/60)")" "$allowed_max" "$DUR" \
  "$(python3 -c "print($ok/$allowed_max)")"
stop_all

echo "==> (2) wrk GET /v1/keys, one user far below its limit, limiter off vs on (1 instance, 1 core)"
TOKEN=$("$SLUICE" token --sub bench-wrk)
for mode in ${MODES:-off on off on on off}; do
  P=$(free_port)
  start "$P" "$mode"
  [ "$mode" = on ] && set_rate "$P" bench-wrk '{"requestsPerMinute":600000000,"burst":100000000}'
  curl -sf -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P/v1/keys" >/dev/null
  before=$(evalsha); before=${before:-0}
  s0=$(cpu_us sluice); p0=$(cpu_us postgres); r0=$(cpu_us redis-server)
  out=$( { child_cpu wrk -t 1 -c 32 -d "${DUR}s" -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$P/v1/keys"; } 2>&1)
  s1=$(cpu_us sluice); p1=$(cpu_us postgres); r1=$(cpu_us redis-server)
  after=$(evalsha); after=${after:-0}
  wrk_us=$(echo "$out" | awk '/^wrkcpu/ {printf "%d", ($2 + $3) * 1000000}')
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  total=$(echo "$out" | awk '/requests in/ {print $1}')
  non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
  printf "limiter %-3s %10s req/s  requests %8s  non-2xx %5s  EVALSHA %6d (%.2f per 1,000 requests)\n" \
    "$mode" "$rps" "$total" "${non2xx:-0}" "$((after - before))" "$(python3 -c "print(($after-$before)*1000/max(1,$total))")"
  # CPU per request by process: the server's own cost vs its client's and its peers'.
  printf "            CPU µs/request: sluice %.2f  wrk %.2f  postgres %.2f  redis %.2f\n" \
    "$(python3 -c "print(($s1-$s0)/max(1,$total))")" "$(python3 -c "print($wrk_us/max(1,$total))")" \
    "$(python3 -c "print(($p1-$p0)/max(1,$total))")" "$(python3 -c "print(($r1-$r0)/max(1,$total))")"
  stop_all
done
