#!/usr/bin/env bash
# Commit -> subscriber lag of Sluice's events while bench/uploads scenario (a) (1,000
# concurrent 1 MiB uploads) runs against the same server, and the upload figures of the same
# scenario without NATS next to it (the reference: what publishing costs the upload path).
#   bench/events_lag.sh [--rounds N] [--duration D] [--build DIR]
# Each round runs scenario (a) twice, interleaved: without SLUICE_NATS_URL (the relay only
# prunes), then with a nats-server -js and events_watch subscribed to sluice.events.> for
# the run. Lag = receipt time - the CloudEvents `time` (the commit's transaction time).
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
SLUICE_ROOT=$PWD
# shellcheck source=tools/services.sh
source "$SLUICE_ROOT/tools/services.sh"

ROUNDS=1
DURATION=20s
BUILD=build/release
while (($#)); do
  case $1 in
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --duration) DURATION=${2:?--duration needs a value}; shift 2 ;;
    --build) BUILD=${2:?--build needs a value}; shift 2 ;;
    -h | --help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) sluice_die "unknown option: $1" ;;
  esac
done
sluice_install_traps
sluice_build "$BUILD" Release --target sluice --target sluice-load --target events_watch
sluice_make_tmp
TMP=$SLUICE_TMP
OUT=$TMP/rows.tsv
: >"$OUT"

# run_uploads <label> <log>: one bench/uploads scenario (a) run of the sluice arm; appends
# "label uploads/s MB/s p50 p99 errors" to $OUT.
run_uploads() {
  local label=$1 log=$2
  bench/uploads --scenario a --arms sluice --rounds 1 --duration "$DURATION" --build "$BUILD" \
    --markdown "$TMP/$label.md" >"$log" 2>&1 || { sluice_log_tail "$log"; sluice_die "bench/uploads failed ($label)"; }
  # The sluice row of the markdown table: | sluice | uploads/s | MB/s | p50 | p95 | p99 | errors | ...
  awk -F'|' -v l="$label" '$2 ~ /^ sluice / { gsub(/ /, "", $3); gsub(/ /, "", $4); gsub(/ /, "", $5);
      gsub(/ /, "", $7); gsub(/ /, "", $8); print l "\t" $3 "\t" $4 "\t" $5 "\t" $7 "\t" $8 }' "$TMP/$label.md" >>"$OUT"
}

for ((round = 1; round <= ROUNDS; round++)); do
  sluice_log "round $round: scenario (a) without NATS"
  (unset SLUICE_NATS_URL; run_uploads "no-nats-$round" "$TMP/no-nats-$round.log")

  sluice_free_port nats_port
  sluice_start_nats "$nats_port" "$TMP/nats-$round" "$TMP/nats-$round.log"
  nats_pid=${SLUICE_SVC_PIDS[-1]}
  url="nats://127.0.0.1:$nats_port"
  (exec setsid "$BUILD/bench/events_watch" lag --nats-url "$url" >"$TMP/watch-$round.out" 2>"$TMP/watch-$round.err") &
  watch_pid=$!
  sluice_register events_watch "$watch_pid"
  sluice_wait_for events_watch 10 "$TMP/watch-$round.err" "$watch_pid" grep -q subscribed "$TMP/watch-$round.err"
  sluice_log "round $round: scenario (a) with NATS at $url"
  SLUICE_NATS_URL=$url run_uploads "nats-$round" "$TMP/nats-$round.log"
  # The server is gone with bench/uploads; whatever it published has arrived by now.
  sleep 1
  kill -INT "$watch_pid"
  wait "$watch_pid" || true
  sed "s/^/round $round: /" "$TMP/watch-$round.out"
  read -r _ received _ distinct _ p50 _ p99 _ max <"$TMP/watch-$round.out"
  printf 'lag-%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$received" "$distinct" "$p50" "$p99" "$max" >>"$OUT"
  sluice_stop nats "$nats_pid" TERM
done

python3 - "$OUT" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
up = {"no-nats": [], "nats": []}
lag = []
for r in rows:
    if r[0].startswith("lag-"):
        lag.append([float(x) for x in r[1:]])
    else:
        up[r[0].rsplit("-", 1)[0]].append([float(x) for x in r[1:]])
med = lambda v: [statistics.median(c) for c in zip(*v)] if v else None
print()
print("### bench/uploads scenario (a), sluice arm: without NATS (reference) and with the relay publishing")
print()
print("| | uploads/s | MB/s | p50 ms | p99 ms | errors |")
print("|---|---|---|---|---|---|")
for k, name in (("no-nats", "no NATS (relay off)"), ("nats", "NATS + relay + subscriber")):
    m = med(up[k])
    if m:
        print(f"| {name} | {m[0]:.1f} | {m[1]:.1f} | {m[2]:.1f} | {m[3]:.1f} | {m[4]:.0f} |")
print()
m = med(lag)
if m:
    print(f"commit -> subscriber lag during the run (median of {len(lag)} rounds): "
          f"p50 {m[2]:.1f} ms, p99 {m[3]:.1f} ms, max {m[4]:.1f} ms; {m[0]:.0f} events received, {m[1]:.0f} distinct")
PY
