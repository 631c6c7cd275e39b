#!/usr/bin/env bash
# NATS kill -9'd and restarted in the middle of 10,000 uploads to a real `sluice serve` (issue
# 16): every event delivered, none twice, the uploads unaffected. Three sluice-load runs at the
# same fixed rate: NATS up (the reference), NATS kill -9'd 0.5 s into the second, restarted
# (same port, same store) 0.5 s into the third.
# Then waits for the outbox to drain and reads the whole stream.
#   bench/events_nats_kill.sh [--uploads N] [--rate R] [--size S] [--build DIR]
# Defaults: 10,000 uploads of 4 KiB at 400/s with 64 connections (100 users), local store.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
SLUICE_ROOT=$PWD
# shellcheck source=tools/services.sh
source "$SLUICE_ROOT/tools/services.sh"

UPLOADS=10000
RATE=400
SIZE=4KiB
BUILD=build/release
while (($#)); do
  case $1 in
    --uploads) UPLOADS=${2:?--uploads needs a value}; shift 2 ;;
    --rate) RATE=${2:?--rate needs a value}; shift 2 ;;
    --size) SIZE=${2:?--size needs a value}; shift 2 ;;
    --build) BUILD=${2:?--build needs a value}; shift 2 ;;
    -h | --help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) sluice_die "unknown option: $1" ;;
  esac
done
sluice_install_traps
sluice_build "$BUILD" Release --target sluice --target sluice-load --target events_watch
sluice_make_tmp
TMP=$SLUICE_TMP
sluice_free_port pg_port
sluice_free_port redis_port
sluice_free_port nats_port
sluice_free_port http_port
sluice_pg_prepare "$TMP/pg"
sluice_start_pg "$TMP/pg" "$pg_port" "$TMP/pgsock" "$TMP/postgresql.log" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off
sluice_start_redis "$redis_port" "$TMP/redis" "$TMP/redis.log" --save '' --appendonly no
sluice_start_nats "$nats_port" "$TMP/nats" "$TMP/nats.log"
nats_pid=${SLUICE_SVC_PIDS[-1]}
NATS_URL=nats://127.0.0.1:$nats_port
PSQL=("$(sluice_pg_bindir)/psql" "postgresql://sluice@127.0.0.1:$pg_port/sluice" -XqAt -v ON_ERROR_STOP=1)
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SLUICE_PG_URL=postgresql://sluice@127.0.0.1:$pg_port/sluice SLUICE_REDIS_URL=redis://127.0.0.1:$redis_port/0 \
  SLUICE_STORE=local SLUICE_LOCAL_STORE_DIR=$TMP/objects SLUICE_JWT_SECRET=$SECRET SLUICE_LOG_LEVEL=warn \
  SLUICE_NATS_URL=$NATS_URL
"$BUILD/tools/sluice" migrate >"$TMP/migrate.log" 2>&1 || { sluice_log_tail "$TMP/migrate.log"; sluice_die "migrate failed"; }
# The tiers' limits would refuse most of the load (100 files per user on 'free').
"${PSQL[@]}" -c "UPDATE sluice.tiers SET quota_bytes = 1152921504606846976, max_files = 1000000000000,
    max_concurrent_uploads = 100000" >/dev/null
(SLUICE_RATE_LIMITS=off exec setsid "$BUILD/tools/sluice" serve --listen "127.0.0.1:$http_port" >>"$TMP/sluice.log" 2>&1) &
sluice_register sluice $!
sluice_wait_for Sluice 30 "$TMP/sluice.log" "$!" curl -sf -o /dev/null "http://127.0.0.1:$http_port/health"

# phase <name> <uploads>: one sluice-load run at the fixed rate.
phase() {
  "$BUILD/tools/load/sluice-load" --url "http://127.0.0.1:$http_port" --jwt-secret "$SECRET" --mode put \
    --users 100 --concurrency 64 --sizes "$SIZE" --count "$2" --rate "$RATE" --arrival fixed --timeout 60s \
    --json --quiet >"$TMP/$1.json" 2>"$TMP/$1.err" || true
  [[ -s $TMP/$1.json ]] || { cat "$TMP/$1.err" >&2; sluice_die "sluice-load produced no report ($1)"; }
}
unpublished() { "${PSQL[@]}" -c "SELECT count(*) FROM sluice.events WHERE published_at IS NULL"; }

third=$((UPLOADS / 3))
sluice_log "phase 1: $third uploads, NATS up"
phase up "$third"
# NATS dies half a second into phase 2 (uploads flowing, the relay publishing) and comes back
# half a second into phase 3.
sluice_log "phase 2: $((UPLOADS - 2 * third)) uploads; NATS kill -9'd 0.5 s in"
phase down $((UPLOADS - 2 * third)) &
load=$!
sleep 0.5
sluice_signal KILL "$nats_pid"
sluice_wait_gone "$nats_pid" 10
sluice_log "NATS killed with $(unpublished) events not yet published"
wait "$load"
sluice_log "phase 3: $third uploads; NATS restarted (same port and store) 0.5 s in; $(unpublished) events queued"
phase back "$third" &
load=$!
sleep 0.5
sluice_start_nats "$nats_port" "$TMP/nats" "$TMP/nats.log"
wait "$load"
for ((i = 0; i < 600; i++)); do
  [[ $(unpublished) == 0 ]] && break
  sleep 0.2
done
"$BUILD/bench/events_watch" count --nats-url "$NATS_URL" --stream SLUICE_EVENTS >"$TMP/stream.out"
read -r _ messages _ distinct _ twice <"$TMP/stream.out"
rows=$("${PSQL[@]}" -c "SELECT count(*) FROM sluice.events WHERE kind = 'file.uploaded'")
left=$(unpublished)
metrics=$(curl -s "http://127.0.0.1:$http_port/metrics")
metric() { awk -v m="$1" '$1 == m { print $2 }' <<<"$metrics"; }

python3 - "$TMP" "$messages" "$distinct" "$twice" "$rows" "$left" "$(metric sluice_events_redeliveries_total)" \
  "$(metric sluice_events_nats_outages_total)" "$RATE" "$SIZE" <<'PY'
import json, sys
tmp, messages, distinct, twice, rows, left, redeliveries, outages, rate, size = sys.argv[1:]
ok = errors = 0
print()
print(f"### {rate} uploads/s of {size}, NATS kill -9'd 0.5 s into phase 2, restarted 0.5 s into phase 3")
print()
print("| phase | uploads ok | errors | p50 ms | p95 ms | p99 ms |")
print("|---|---|---|---|---|---|")
for name, label in (("up", "NATS up (reference)"), ("down", "NATS killed"), ("back", "NATS back")):
    d = json.load(open(f"{tmp}/{name}.json"))
    u = d.get("latency_ms", {}).get("upload", {})
    ok += d["ok"]
    errors += d["errors_total"]
    print(f"| {label} | {d['ok']} | {d['errors_total']} | {u.get('p50', 0):.2f} | {u.get('p95', 0):.2f} | {u.get('p99', 0):.2f} |")
print()
print(f"uploads ok {ok}, upload errors {errors}; outbox file.uploaded rows {rows}, still unpublished {left}")
print(f"stream SLUICE_EVENTS: {messages} messages, {distinct} distinct ids, {twice} stored twice; "
      f"relay: {outages} NATS outages seen, {redeliveries} republished copies dropped by JetStream")
verdict = int(messages) == int(distinct) == int(rows) == ok and int(twice) == 0 and errors == 0 and int(left) == 0
print("every event delivered once, no upload failed:", "yes" if verdict else "NO")
PY
