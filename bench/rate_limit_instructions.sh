#!/usr/bin/env bash
# What the rate limiter costs Sluice per request, in instructions: `sluice serve --cores 1` runs
# under callgrind (which counts instructions, so the figure does not move with whatever else the
# machine is doing) while sluice-load sends the same authenticated GET /v1/keys N times, with the
# limiter off and then on. Prints instructions per request of the whole server process, both
# modes and their ratio, and with TOP=n the n functions whose cost grew most.
# Usage: bench/rate_limit_instructions.sh [requests=3000]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
N=${1:-3000}
BUILD=${BUILD:-build/release}
SLUICE=$BUILD/tools/sluice
LOAD=$BUILD/tools/load/sluice-load
[ -x "$LOAD" ] || LOAD=$(find "$BUILD" -name sluice-load -type f | head -1)
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
SLUICE_ROOT=$PWD
source tools/services.sh
sluice_install_traps
sluice_start_test_services >/dev/null
export SLUICE_JWT_SECRET="bench-secret-0123456789abcdef-0123456789"
export SLUICE_PG_URL=$SLUICE_TEST_PG_URL SLUICE_REDIS_URL=$SLUICE_TEST_REDIS_URL
OUT=$(mktemp -d)
export SLUICE_LOCAL_STORE_DIR=$OUT/store SLUICE_LOG_LEVEL=warn SLUICE_JANITOR_INTERVAL=0
"$SLUICE" migrate >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ADMIN=$("$SLUICE" token --sub bench-admin --role admin)

run() {  # run <on|off>: prints the total instructions of the server over N requests
  local mode=$1 port pid total
  port=$(free_port)
  SLUICE_RATE_LIMITS=$mode valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.$mode" \
    "$SLUICE" serve --listen "127.0.0.1:$port" --cores 1 2>"$OUT/vg.$mode.log" &
  pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.2; done
  [ "$mode" = on ] && curl -sf -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
    -d '{"requestsPerMinute":600000000,"burst":100000000}' \
    "http://127.0.0.1:$port/v1/admin/users/user-0/rate-limit" >/dev/null
  # Warm up (the user's first read of its limits and first token batch), then zero the counters.
  "$LOAD" --url "http://127.0.0.1:$port" --mode get --path /v1/keys --users 1 --concurrency 4 --threads 1 \
    --count 200 --expect-status 200 --quiet >/dev/null
  callgrind_control -z "$pid" >/dev/null
  "$LOAD" --url "http://127.0.0.1:$port" --mode get --path /v1/keys --users 1 --concurrency 4 --threads 1 \
    --count "$N" --expect-status 200 --quiet >/dev/null
  callgrind_control -d "$pid" >/dev/null
  kill "$pid"; wait "$pid" 2>/dev/null || true
  # The dump after zeroing is the one with the highest number.
  local dump
  dump=$(ls -1 "$OUT"/cg."$mode"* | grep -v '\.log$' | sort -t. -k3 -n | tail -1)
  cp "$dump" "$OUT/measured.$mode"
  callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}'
}

echo "==> instructions of sluice serve (1 core, callgrind) per authenticated GET /v1/keys, $N requests"
off=$(run off)
on=$(run on)
printf "limiter off: %12d instructions, %9.0f per request\n" "$off" "$(python3 -c "print($off/$N)")"
printf "limiter on:  %12d instructions, %9.0f per request\n" "$on" "$(python3 -c "print($on/$N)")"
printf "on/off: %.4f (%+.0f instructions per request)\n" "$(python3 -c "print($on/$off)")" \
  "$(python3 -c "print(($on-$off)/$N)")"
if [ -n "${TOP:-}" ]; then
  echo "==> the $TOP functions whose own instructions grew most with the limiter on (per request)"
  for m in off on; do callgrind_annotate --threshold=100 "$OUT/measured.$m" 2>/dev/null >"$OUT/annotated.$m"; done
  python3 - "$OUT/annotated.off" "$OUT/annotated.on" "$N" "$TOP" <<'PY'
import re, sys
def costs(path):
    out = {}
    for line in open(path):
        m = re.match(r"\s*([\d,]+) \([^)]*\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            out[m.group(2)] = out.get(m.group(2), 0) + int(m.group(1).replace(",", ""))
    return out
off, on, n, top = costs(sys.argv[1]), costs(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
delta = sorted(((on.get(f, 0) - off.get(f, 0), f) for f in set(on) | set(off)), reverse=True)
roots = ("clone", "start_thread", "_State_impl", "ReactorPool::start", "0x0000", "Reactor::run")
delta = [(d, f) for d, f in delta if not any(r in f for r in roots)]  # whole-thread totals
for d, f in delta[:top]:
    print(f"{d / n:+9.0f}  {f[:150]}")
PY
fi
rm -rf "$OUT"
