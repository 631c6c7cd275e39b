#!/usr/bin/env bash
# Latency of a share link's content against the owner's content of the same file: one core,
# local store, a 64 KiB file, sluice-load closed loop (16 connections, 10 s each). Every share
# request is a counted download (a second statement: the UPDATE of the count with its event).
# Build first: cmake --build build/release --target sluice sluice-load
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
work=$(mktemp -d)
source tools/services.sh; SLUICE_ROOT=$PWD; sluice_install_traps; sluice_start_test_services
S=build/release/tools/sluice; L=build/release/tools/load/sluice-load
export SLUICE_PG_URL=$SLUICE_TEST_PG_URL SLUICE_JWT_SECRET=bench-secret-0123456789abcdef-0123456789 SLUICE_URL_SECRET=bench-url-secret-0123456789abcdef-0123456789
$S migrate >/dev/null 2>&1
sluice_free_port port
SLUICE_RATE_LIMITS=off $S serve --listen 127.0.0.1:$port --cores 1 --local-store-dir $work/objects --janitor-interval 0 2>$work/server.log &
spid=$!
for i in $(seq 50); do curl -s http://127.0.0.1:$port/health >/dev/null && break; sleep 0.1; done
TOKEN=$($S token --sub user-0 --role user)
head -c 65536 /dev/urandom > $work/f.bin
id=$(curl -s -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/octet-stream" -T $work/f.bin "http://127.0.0.1:$port/v1/files/content?name=f.bin" | python3 -c 'import sys,json;print(json.load(sys.stdin)["id"])')
share=$(curl -s -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{}' http://127.0.0.1:$port/v1/files/$id/shares)
tok=$(echo "$share" | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
echo "== owner GET /v1/files/{id}/content (64 KiB)"
$L --url http://127.0.0.1:$port --mode get --path /v1/files/$id/content --jwt-secret $SLUICE_JWT_SECRET --users 1 --concurrency 16 --duration 10s --threads 1 2>&1 | tail -12
echo "== public GET /public/v1/shares/{token}/content (64 KiB, counted download)"
$L --url http://127.0.0.1:$port --mode get --path /public/v1/shares/$tok/content --no-auth --concurrency 16 --duration 10s --threads 1 2>&1 | tail -12
kill $spid; wait $spid || true
echo "token occurrences in the server log: $(grep -c "$tok" $work/server.log || true)"
rm -rf "$work"
