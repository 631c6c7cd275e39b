#!/usr/bin/env bash
# Requests/s of GET /health on sluice next to nginx answering `return 200` (worker_processes =
# cores), both measured by wrk in the same run with the same connections and threads.
# Usage: bench/health_vs_nginx.sh [connections=256] [duration=10s] [rounds=3]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
CONNS=${1:-256}
DURATION=${2:-10s}
ROUNDS=${3:-3}
BUILD=${BUILD:-build/release}
CORES=$(nproc)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v nginx >/dev/null || { echo "nginx is missing: apt-get install nginx" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
TMP=$(mktemp -d)
SPORT=$(free_port); NPORT=$(free_port)
cleanup() { kill "$SPID" 2>/dev/null || true; [ -f "$TMP/nginx.pid" ] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null || true; sleep 0.3; rm -rf "$TMP"; }
trap cleanup EXIT
cat > "$TMP/nginx.conf" <<NGINX
worker_processes $CORES;
pid $TMP/nginx.pid;
error_log $TMP/error.log warn;
events { worker_connections 65536; }
http {
  access_log off;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NPORT reuseport;
    location /health { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
NGINX
nginx -c "$TMP/nginx.conf" -p "$TMP"
"$BUILD/tools/sluice" serve --listen "127.0.0.1:$SPORT" --log-level warn &
SPID=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$SPORT/health" >/dev/null && curl -sf "http://127.0.0.1:$NPORT/health" >/dev/null && break; sleep 0.1; done
rps() { wrk -t "$CORES" -c "$CONNS" -d "$DURATION" "http://127.0.0.1:$1/health" | awk '/Requests\/sec/ {print $2}'; }
echo "==> wrk -t $CORES -c $CONNS -d $DURATION, GET /health, $ROUNDS rounds interleaved ($CORES cores, $(uname -r))"
printf "%-7s %14s %14s %8s\n" round sluice_rps nginx_rps ratio
S_ALL=(); N_ALL=()
for i in $(seq "$ROUNDS"); do
  s=$(rps "$SPORT"); n=$(rps "$NPORT")
  S_ALL+=("$s"); N_ALL+=("$n")
  printf "%-7s %14s %14s %8.2f\n" "$i" "$s" "$n" "$(awk -v a="$s" -v b="$n" 'BEGIN{print a/b}')"
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
SM=$(median "${S_ALL[@]}"); NM=$(median "${N_ALL[@]}")
printf "%-7s %14s %14s %8.2f\n" median "$SM" "$NM" "$(awk -v a="$SM" -v b="$NM" 'BEGIN{print a/b}')"
