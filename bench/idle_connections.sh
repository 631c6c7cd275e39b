#!/usr/bin/env bash
# Memory per idle keep-alive connection: starts sluice, opens N (default 10000) connections that
# each made one request and then stay idle, prints the server's RSS before and after.
# Usage: bench/idle_connections.sh [N]   (expects a Release build in build/release)
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
N=${1:-10000}
BUILD=${BUILD:-build/release}
ulimit -n $((N * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$BUILD/tools/sluice" serve --listen "127.0.0.1:$PORT" --keepalive-timeout 300s --log-level warn &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break; sleep 0.1; done
echo "==> $N idle keep-alive connections to sluice (pid $PID, $(nproc) cores)"
"$BUILD/bench/idle_connections" "$PORT" "$PID" "$N"
