#!/usr/bin/env bash
# 1 MiB uploads over HTTPS and HTTP, side by side in one run: Sluice's HTTPS listener, its HTTP
# listener, and nginx with TLS on the same certificate (and nginx over HTTP, for reference).
# wrk drives every arm the same way (PUT of a 1 MiB body, keep-alive connections, a fresh name
# per upload). Sluice stores into its local store and nginx (WebDAV PUT, which reads the whole
# body into a temp file and renames it) into a directory, both on tmpfs, so the arms compare
# receiving and storing bodies, with the TLS cost the difference between the HTTPS and HTTP rows.
# Sluice also does its real upload work (JWT, PostgreSQL rows, quota); nginx does none.
#   bench/tls_uploads.sh [--connections N=64] [--duration D=10s] [--rounds N=3] [--build DIR]
#                        [--arms sluice-https,sluice-http,nginx-https,nginx-http]
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.."
SLUICE_ROOT=$PWD
# shellcheck source=tools/services.sh
source "$SLUICE_ROOT/tools/services.sh"

CONNS=64
DURATION=10s
ROUNDS=3
BUILD=build/release
ARMS_ARG=sluice-https,sluice-http,nginx-https,nginx-http
while (($#)); do
  case $1 in
    --connections) CONNS=${2:?}; shift 2 ;;
    --duration) DURATION=${2:?}; shift 2 ;;
    --rounds) ROUNDS=${2:?}; shift 2 ;;
    --build) BUILD=${2:?}; shift 2 ;;
    --arms) ARMS_ARG=${2:?}; shift 2 ;;
    -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$SLUICE_ROOT/bench/tls_uploads.sh"; exit 0 ;;
    *) sluice_die "unknown option: $1" ;;
  esac
done
CORES=$(nproc)
command -v wrk >/dev/null || sluice_die "wrk is missing: apt-get install wrk"
command -v nginx >/dev/null || sluice_die "nginx is missing: apt-get install nginx"
SLUICE=$BUILD/tools/sluice
[[ -x $SLUICE ]] || sluice_die "no $SLUICE (build the sluice target)"
ulimit -n 65536 2>/dev/null || true

sluice_install_traps
TMPDIR=/dev/shm sluice_make_tmp  # tmpfs: both servers store bodies there; removed at exit
TMP=$SLUICE_TMP
sluice_free_port PG_PORT
sluice_free_port REDIS_PORT
sluice_free_port S_HTTP
sluice_free_port S_HTTPS
sluice_free_port N_HTTP
sluice_free_port N_HTTPS

# One certificate for both servers.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
chmod 644 "$TMP/key.pem"  # nginx workers run as nobody under root

mkdir -p "$TMP/nginx/body" "$TMP/nginx/objects" "$TMP/objects"
chmod 777 "$TMP/nginx/body" "$TMP/nginx/objects"
cat >"$TMP/nginx/nginx.conf" <<NGINX
worker_processes $CORES;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
daemon off;
events { worker_connections 65536; }
http {
  access_log off;
  client_body_temp_path $TMP/nginx/body;
  client_max_body_size 0;
  client_body_buffer_size 256k;
  keepalive_requests 1000000;
  ssl_certificate $TMP/cert.pem;
  ssl_certificate_key $TMP/key.pem;
  ssl_protocols TLSv1.2 TLSv1.3;
  server {
    listen 127.0.0.1:$N_HTTP reuseport;
    listen 127.0.0.1:$N_HTTPS ssl reuseport;
    location / { root $TMP/nginx/objects; dav_methods PUT; create_full_put_path on; }
  }
}
NGINX
(exec setsid nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" -e "$TMP/nginx/error.log" >>"$TMP/nginx/stdout.log" 2>&1) &
sluice_register nginx $!
sluice_wait_for nginx 20 "$TMP/nginx/error.log" $! curl -s -o /dev/null --cacert "$TMP/cert.pem" "https://127.0.0.1:$N_HTTPS/"

sluice_pg_prepare "$TMP/pg"
sluice_start_pg "$TMP/pg" "$PG_PORT" "$TMP/pgsock" "$TMP/postgresql.log" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400
sluice_start_redis "$REDIS_PORT" "$TMP/redis" "$TMP/redis.log" --save '' --appendonly no
SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
export SLUICE_PG_URL=postgresql://sluice@127.0.0.1:$PG_PORT/sluice SLUICE_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0 \
  SLUICE_JWT_SECRET=$SECRET SLUICE_LOG_LEVEL=warn SLUICE_SLOTS_PER_CORE=20000 SLUICE_RATE_LIMITS=off \
  SLUICE_STORE=local SLUICE_LOCAL_STORE_DIR=$TMP/objects SLUICE_THUMBNAILS=off \
  SLUICE_TLS_LISTEN=127.0.0.1:$S_HTTPS SLUICE_TLS_CERT=$TMP/cert.pem SLUICE_TLS_KEY=$TMP/key.pem
"$SLUICE" migrate >"$TMP/migrate.log" 2>&1 || { sluice_log_tail "$TMP/migrate.log"; sluice_die "sluice migrate failed"; }
"$(sluice_pg_bindir)/psql" "$SLUICE_PG_URL" -XqAt -v ON_ERROR_STOP=1 -c "UPDATE sluice.tiers SET
    quota_bytes = 1152921504606846976, max_file_bytes = 5497558138880, max_files = 1000000000000,
    max_concurrent_uploads = 100000" >/dev/null || sluice_die "could not lift the tier limits"
(exec setsid "$SLUICE" serve --listen "127.0.0.1:$S_HTTP" >>"$TMP/sluice.log" 2>&1) &
SLUICE_PID=$!
sluice_register sluice "$SLUICE_PID"
sluice_wait_for Sluice 30 "$TMP/sluice.log" "$SLUICE_PID" curl -sf -o /dev/null --cacert "$TMP/cert.pem" \
  "https://127.0.0.1:$S_HTTPS/health"
TOKEN=$("$SLUICE" token --sub bench --ttl 3600)

cat >"$TMP/put.lua" <<'LUA'
-- PUT of a 1 MiB body to PREFIX .. a fresh name per request.
local counter = 0  -- `id` is set per thread by setup()
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "PUT"
  wrk.body = string.rep("s", 1048576)
  wrk.headers["Content-Type"] = "application/octet-stream"
  prefix = os.getenv("PUT_PREFIX")
  run = os.getenv("PUT_RUN")
end
function request()
  counter = counter + 1
  return wrk.format(nil, prefix .. run .. "-" .. id .. "-" .. counter .. ".bin")
end
local shown = 0
function response(status, headers, body)
  if status >= 300 and shown < 2 then  -- what went wrong, twice per thread at most
    shown = shown + 1
    print("failed: " .. status .. " " .. string.sub(body, 1, 200))
  end
end
LUA

arm_url() {
  case $1 in
    sluice-https) echo "https://127.0.0.1:$S_HTTPS" ;;
    sluice-http) echo "http://127.0.0.1:$S_HTTP" ;;
    nginx-https) echo "https://127.0.0.1:$N_HTTPS" ;;
    nginx-http) echo "http://127.0.0.1:$N_HTTP" ;;
  esac
}
IFS=, read -r -a ARMS <<<"$ARMS_ARG"
RESULTS=$TMP/results.tsv
: >"$RESULTS"
# run_one <arm> <round>: uploads/s and failed responses.
run_one() {
  local arm=$1 round=$2 prefix out rps errors
  case $arm in
    sluice-*) prefix="/v1/files/content?path=/bench&name=" ;;
    nginx-*) prefix="/u/" ;;
  esac
  out=$TMP/wrk.$arm.$round
  PUT_PREFIX=$prefix PUT_RUN="r$round-$arm" wrk -t "$CORES" -c "$CONNS" -d "$DURATION" --timeout 60s \
    -s "$TMP/put.lua" -H "Authorization: Bearer $TOKEN" "$(arm_url "$arm")" >"$out" 2>&1 || true
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  errors=$(awk '/Non-2xx or 3xx/ {print $NF} /Socket errors/ {gsub(",", ""); print $4 + $6 + $8 + $10}' "$out" |
    awk '{s += $1} END {print s + 0}')
  printf '%s\t%s\t%s\t%s\n' "$arm" "$round" "${rps:-0}" "$errors" >>"$RESULTS"
  printf '    %-13s round %s: %8.1f uploads/s  errors %s\n' "$arm" "$round" "${rps:-0}" "$errors"
  if [[ $errors != 0 ]]; then grep -E 'Non-2xx|Socket errors|^failed' "$out" | head -5 | sed 's/^/      /'; fi
  # Keep tmpfs small: the stored bodies are not needed after the run (files only: the local
  # store keeps its directories).
  rm -rf "$TMP/nginx/objects/u"
  find "$TMP/objects" -type f -delete 2>/dev/null || true
}

sluice_log "1 MiB PUTs, wrk -t $CORES -c $CONNS -d $DURATION, $ROUNDS rounds interleaved; $CORES cores, kernel $(uname -r), $(openssl version)"
sluice_log "sluice TLS: $(echo | openssl s_client -connect "127.0.0.1:$S_HTTPS" 2>/dev/null | awk '/^New, / {print}')"
sluice_log "nginx  TLS: $(echo | openssl s_client -connect "127.0.0.1:$N_HTTPS" 2>/dev/null | awk '/^New, / {print}')"
for ((round = 1; round <= ROUNDS; round++)); do
  for arm in "${ARMS[@]}"; do
    run_one "$arm" "$round"
    sleep 1  # let the previous run's sockets close
  done
done

python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
by = {}
for arm, rnd, rps, err in rows:
    by.setdefault(arm, []).append((float(rps), int(float(err))))
med = {a: statistics.median(r for r, _ in v) for a, v in by.items()}
print()
print("| arm | uploads/s (median) | MB/s | errors | rounds |")
print("|---|---|---|---|---|")
for a in ("sluice-https", "sluice-http", "nginx-https", "nginx-http"):
    if a in by:
        print(f"| {a} | {med[a]:.1f} | {med[a] * 1.048576:.1f} | {sum(e for _, e in by[a])} | {' '.join(f'{r:.1f}' for r, _ in by[a])} |")
def ratio(x, y):
    return f"{med[x] / med[y]:.2f}" if med.get(y) else "n/a"
print()
print(f"sluice-https / nginx-https = {ratio('sluice-https', 'nginx-https')}  (target >= 1.0)")
print(f"sluice-https / sluice-http = {ratio('sluice-https', 'sluice-http')}  (the cost of TLS in Sluice)")
print(f"nginx-https  / nginx-http  = {ratio('nginx-https', 'nginx-http')}  (the cost of TLS in nginx)")
print(f"sluice-http  / nginx-http  = {ratio('sluice-http', 'nginx-http')}")
PY
