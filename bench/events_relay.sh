#!/usr/bin/env bash
# Runs bench/events_relay_bench against a throwaway PostgreSQL and nats-server -js started in a
# temp dir (torn down on exit). Builds the release targets it needs first.
#   bench/events_relay.sh [--rows N] [--window W] [--lag-rate R] [--lag-seconds S]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
SLUICE_ROOT=$PWD
# shellcheck source=tools/services.sh
source "$SLUICE_ROOT/tools/services.sh"
sluice_install_traps
sluice_build build/release Release --target sluice --target events_relay_bench
sluice_make_tmp
sluice_free_port pg_port
sluice_free_port nats_port
sluice_pg_prepare "$SLUICE_TMP/pg"
sluice_start_pg "$SLUICE_TMP/pg" "$pg_port" "$SLUICE_TMP/pgsock" "$SLUICE_TMP/postgresql.log"
sluice_start_nats "$nats_port" "$SLUICE_TMP/nats" "$SLUICE_TMP/nats.log"
pg_url="postgresql://sluice@127.0.0.1:$pg_port/sluice"
SLUICE_PG_URL=$pg_url build/release/tools/sluice migrate >/dev/null
sluice_run_step build/release/bench/events_relay_bench --pg-url "$pg_url" --nats-url "nats://127.0.0.1:$nats_port" "$@"
