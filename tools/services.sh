#!/usr/bin/env bash
# Shared shell functions for tools/test and tools/run: installing the Debian packages Sluice
# needs, building, and running PostgreSQL, Redis and moto on loopback with a clean teardown.
# Sourced, never executed. The caller sets SLUICE_ROOT (the repository root) first.

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  echo "tools/services.sh is sourced by tools/test and tools/run; run one of those." >&2
  exit 2
fi

SLUICE_APT_PACKAGES=(
  build-essential cmake pkg-config liburing-dev libpq-dev libhiredis-dev libssl-dev
  libsimdjson-dev libgtest-dev libbenchmark-dev postgresql redis-server node-llhttp nginx wrk
  curl libargon2-dev
  # Events: the relay publishes with the NATS C client; tests and tools/run start nats-server -js.
  libnats-dev nats-server
  # Thumbnails (storage/service/thumbnails): libvips decodes and resizes images on a worker pool;
  # libvips-tools gives vipsthumbnail, the reference of bench/thumbnails.sh.
  libvips-dev libvips-tools
  # The second compiler: the clang-16 ASan/UBSan suite and the libFuzzer targets (tools/fuzz);
  # clang-tidy-16 and clang-format-16 read the repository's .clang-tidy and .clang-format.
  clang-16 libfuzzer-16-dev libclang-rt-16-dev clang-tidy-16 clang-format-16
  # tus: tus_clients_test uploads with the real clients, tuspy (this package) and tus-js-client
  # under Node (nodejs ships npm; sluice_install_tus_js_client fetches the client).
  python3-tuspy nodejs
  # The web console's browser test (console_browser_test) drives Debian's Chromium headless with
  # playwright-core (npm, which cannot download browsers here).
  chromium
)

SLUICE_TMP=""          # temp dir made by sluice_make_tmp; removed by sluice_teardown
SLUICE_FG_PID=""       # the step sluice_run_step is waiting for
SLUICE_SVC_NAMES=()    # started services, in start order
SLUICE_SVC_PIDS=()     # the pid we started (for PostgreSQL as root: the runuser wrapper)
SLUICE_SVC_PGDATA=()   # PostgreSQL's data dir (to find the postmaster), "" for others
SLUICE_USED_PORTS=()   # ports handed out by sluice_free_port in this run

sluice_log() { echo "==> $*"; }

sluice_die() {
  echo "==> error: $*" >&2
  exit 1
}

# Prints the last lines of a service's log, indented, to stderr.
sluice_log_tail() {
  local log=$1
  if [[ -s $log ]]; then
    echo "==> last lines of $log:" >&2
    tail -n 40 "$log" | sed 's/^/    /' >&2
  else
    echo "==> $log is empty" >&2
  fi
}

# ---------------------------------------------------------------- packages and build

sluice_as_root() {
  if ((EUID == 0)); then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    sluice_die "need root or sudo to run: $*"
  fi
}

sluice_pkg_installed() {
  [[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" == installed ]]
}

# Installs the packages of SLUICE_APT_PACKAGES that dpkg says are missing; no-op otherwise.
sluice_install_deps() {
  local missing=() p
  for p in "${SLUICE_APT_PACKAGES[@]}"; do
    sluice_pkg_installed "$p" || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then
    sluice_log "all Debian packages present"
    return 0
  fi
  sluice_log "installing missing packages: ${missing[*]}"
  sluice_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
    || sluice_die "apt-get update failed"
  sluice_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
    || sluice_die "apt-get install failed for: ${missing[*]}"
}

# Installs tus-js-client (npm) into build/node unless it is there, and exports SLUICE_TUS_JS_DIR
# for tus_clients_test and bench/tus_side_by_side.sh. build/ is ignored by git.
SLUICE_TUS_JS_CLIENT_VERSION=4.3.1
sluice_install_tus_js_client() {
  local dir=$SLUICE_ROOT/build/node
  if [[ ! -f $dir/node_modules/tus-js-client/package.json ]]; then
    sluice_log "installing tus-js-client $SLUICE_TUS_JS_CLIENT_VERSION into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent "tus-js-client@$SLUICE_TUS_JS_CLIENT_VERSION") \
      || sluice_die "npm install tus-js-client failed"
  fi
  export SLUICE_TUS_JS_DIR=$dir
}

# Installs the web console's npm packages into build/node unless they are there: Uppy (its
# dist/uppy.min.js and uppy.min.css are served at /console/vendor/; the page's AWS S3 callbacks
# are this major's API, so the version is pinned) and playwright-core for console_browser_test.
SLUICE_UPPY_VERSION=5.2.4
SLUICE_PLAYWRIGHT_CORE_VERSION=1.65.2
sluice_install_console_js() {
  local dir=$SLUICE_ROOT/build/node
  if [[ ! -f $dir/node_modules/uppy/dist/uppy.min.js || ! -f $dir/node_modules/playwright-core/package.json ]] \
    || ! grep -q "\"version\": \"$SLUICE_UPPY_VERSION\"" "$dir/node_modules/uppy/package.json"; then
    sluice_log "installing uppy $SLUICE_UPPY_VERSION and playwright-core $SLUICE_PLAYWRIGHT_CORE_VERSION into $dir"
    mkdir -p "$dir"
    (cd "$dir" && npm install --no-audit --no-fund --silent "uppy@$SLUICE_UPPY_VERSION" \
      "playwright-core@$SLUICE_PLAYWRIGHT_CORE_VERSION") || sluice_die "npm install uppy/playwright-core failed"
  fi
  export SLUICE_CONSOLE_JS_DIR=$dir
}

sluice_require_moto() {
  command -v moto_server >/dev/null 2>&1 && return 0
  sluice_die "moto_server not found on PATH; the S3 tests need it. Install it with:" \
    "pip install 'moto[server]'  (then make sure moto_server is on PATH)"
}

# sluice_build <build dir> <build type> [--target <name>]... [extra cmake args...]
# Without --target everything is built (tests and benchmarks included); `--target sluice`
# builds only the server and what it links.
sluice_build() {
  local dir=$1 type=$2
  shift 2
  local -a configure_args=() targets=()
  while (($#)); do
    if [[ $1 == --target ]]; then
      (($# >= 2)) || sluice_die "sluice_build: --target needs a target name"
      targets+=("$2")
      shift 2
    else
      configure_args+=("$1")
      shift
    fi
  done
  sluice_log "configuring $dir ($type${configure_args[*]:+ ${configure_args[*]}})"
  sluice_run_step cmake -S "$SLUICE_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE="$type" "${configure_args[@]}" \
    || sluice_die "cmake configure failed in $dir"
  local -a target_args=()
  local t
  for t in "${targets[@]}"; do target_args+=(--target "$t"); done
  sluice_log "building $dir${targets[*]:+ (${targets[*]})} with $(nproc) jobs"
  sluice_run_step cmake --build "$dir" -j"$(nproc)" "${target_args[@]}" || sluice_die "build failed in $dir"
}

# Runs a long step (build, tests, server) in its own session and waits for it. Ctrl-C or
# TERM then reaches this script's trap, which stops the whole step (see sluice_teardown),
# instead of racing the step's children. Returns the step's exit status.
sluice_run_step() {
  setsid "$@" &
  SLUICE_FG_PID=$!
  local rc=0
  wait "$SLUICE_FG_PID" || rc=$?
  SLUICE_FG_PID=""
  return "$rc"
}

# ---------------------------------------------------------------- processes and ports

# True while pid runs (a zombie counts as gone).
sluice_alive() {
  local pid=$1 stat
  [[ -n $pid ]] || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# Sends a signal to pid's process group if pid leads one (setsid), else to pid alone.
sluice_signal() {
  local sig=$1 pid=$2 stat pgid
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  read -r _ _ pgid _ <<<"$stat"
  if [[ $pgid == "$pid" ]]; then
    kill "-$sig" -- "-$pid" 2>/dev/null || true
  else
    kill "-$sig" "$pid" 2>/dev/null || true
  fi
}

# sluice_wait_gone <pid> <seconds>: true if pid exited within the time.
sluice_wait_gone() {
  local pid=$1 deadline=$((SECONDS + $2))
  while sluice_alive "$pid"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# sluice_stop <name> <pid> <signal>: signal, wait up to 15 s, then SIGKILL the group.
sluice_stop() {
  local name=$1 pid=$2 sig=$3
  sluice_alive "$pid" || return 0
  sluice_signal "$sig" "$pid"
  if ! sluice_wait_gone "$pid" 15; then
    echo "==> $name did not stop within 15 s; killing it" >&2
    sluice_signal KILL "$pid"
    sluice_wait_gone "$pid" 5 || true
  fi
}

# sluice_port_in_use <port>: true if something listens on 127.0.0.1:<port>.
sluice_port_in_use() {
  local port=$1
  if command -v python3 >/dev/null 2>&1; then
    ! python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null
  else
    (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null
  fi
}

# sluice_free_port <var>: sets var to a port the kernel reports free on 127.0.0.1, distinct
# from the ports already handed out in this run.
sluice_free_port() {
  local -n sluice_out=$1
  local _sfp_port _sfp_try
  for _sfp_try in 1 2 3 4 5 6 7 8 9 10; do
    if command -v python3 >/dev/null 2>&1; then
      _sfp_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
        || sluice_die "python3 could not bind a loopback port"
    else
      _sfp_port=$((20000 + RANDOM % 40000))
      if sluice_port_in_use "$_sfp_port"; then continue; fi
    fi
    if [[ " ${SLUICE_USED_PORTS[*]} " != *" $_sfp_port "* ]]; then
      SLUICE_USED_PORTS+=("$_sfp_port")
      # shellcheck disable=SC2034  # a nameref: sets the caller's variable
      sluice_out=$_sfp_port
      return 0
    fi
  done
  sluice_die "could not find a free loopback port"
}

# sluice_wait_for <name> <timeout s> <log> <pid> <command...>: polls the command until it
# succeeds; fails with the service's log tail if the process dies or time runs out.
sluice_wait_for() {
  local name=$1 timeout=$2 log=$3 pid=$4
  shift 4
  local deadline=$((SECONDS + timeout))
  sluice_log "waiting for $name"
  until "$@" >/dev/null 2>&1; do
    if ! sluice_alive "$pid"; then
      echo "==> error: $name exited during startup" >&2
      sluice_log_tail "$log"
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      echo "==> error: $name not ready after ${timeout} s" >&2
      sluice_log_tail "$log"
      exit 1
    fi
    sleep 0.2
  done
  sluice_log "$name is ready"
}

sluice_register() {
  SLUICE_SVC_NAMES+=("$1")
  SLUICE_SVC_PIDS+=("$2")
  SLUICE_SVC_PGDATA+=("${3:-}")
}

# ---------------------------------------------------------------- PostgreSQL

# Where initdb and postgres live: pg_config's answer if it holds a server, else the newest
# /usr/lib/postgresql/<version>/bin.
sluice_pg_bindir() {
  local dir=""
  if command -v pg_config >/dev/null 2>&1; then
    dir=$(pg_config --bindir 2>/dev/null || true)
  fi
  if [[ -z $dir || ! -x $dir/initdb || ! -x $dir/postgres ]]; then
    # shellcheck disable=SC2012  # version-sorted dir names, no odd characters
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  fi
  [[ -n $dir && -x $dir/postgres ]] \
    || sluice_die "no PostgreSQL server binaries found (is the postgresql package installed?)"
  echo "$dir"
}

# PostgreSQL refuses to run as root; as root it runs as the postgres system user.
sluice_pg_runs_as() {
  if ((EUID == 0)); then echo postgres; else id -un; fi
}

# Runs a command as the PostgreSQL user, from / so an unreadable cwd does not matter.
sluice_as_pg() {
  if ((EUID == 0)); then
    (cd / && exec runuser -u postgres -- env LC_ALL=C "$@")
  else
    (cd / && exec env LC_ALL=C "$@")
  fi
}

# Makes every parent of dir traversable by the postgres user (only needed as root).
sluice_pg_make_traversable() {
  ((EUID == 0)) || return 0
  id postgres >/dev/null 2>&1 || sluice_die "system user 'postgres' missing (reinstall postgresql)"
  local d=$1
  while [[ $d != / ]]; do
    d=$(dirname "$d")
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      sluice_log "making $d traversable for the postgres user (chmod o+x)"
      chmod o+x "$d"
    fi
  done
}

# sluice_pg_prepare <data dir>: creates the cluster if absent. Role sluice is its superuser
# (tests call pg_terminate_backend); trust auth, loopback only.
sluice_pg_prepare() {
  local data=$1 bin owner user
  bin=$(sluice_pg_bindir)
  user=$(sluice_pg_runs_as)
  mkdir -p "$data"
  sluice_pg_make_traversable "$data"
  if [[ -f $data/PG_VERSION ]]; then
    owner=$(stat -c %U "$data")
    [[ $owner == "$user" ]] \
      || sluice_die "$data belongs to '$owner' but PostgreSQL would run as '$user'; run as that user or remove $data"
    sluice_log "reusing PostgreSQL data in $data"
    return 0
  fi
  if ((EUID == 0)); then chown postgres: "$data"; fi
  chmod 700 "$data"
  sluice_log "initialising PostgreSQL in $data"
  local log
  log=$(dirname "$data")/initdb.log
  if ! sluice_as_pg "$bin/initdb" -D "$data" -U sluice --auth=trust -E UTF8 --locale=C \
      --no-sync >"$log" 2>&1; then
    echo "==> error: initdb failed" >&2
    sluice_log_tail "$log"
    exit 1
  fi
}

# sluice_start_pg <data dir> <port> <socket dir or ""> <log> [-c name=value ...]:
# starts postgres in the background, waits for it and creates database sluice if missing.
sluice_start_pg() {
  local data=$1 port=$2 sockdir=$3 log=$4 bin pid url
  shift 4
  bin=$(sluice_pg_bindir)
  if [[ -n $sockdir ]]; then
    mkdir -p "$sockdir"
    if ((EUID == 0)); then chown postgres: "$sockdir"; fi
  fi
  sluice_log "starting PostgreSQL on 127.0.0.1:$port"
  if ((EUID == 0)); then
    (cd / && exec setsid runuser -u postgres -- env LC_ALL=C "$bin/postgres" -D "$data" \
      -c listen_addresses=127.0.0.1 -c port="$port" -c unix_socket_directories="$sockdir" \
      -c max_connections=200 "$@" >>"$log" 2>&1) &
  else
    (cd / && exec setsid env LC_ALL=C "$bin/postgres" -D "$data" \
      -c listen_addresses=127.0.0.1 -c port="$port" -c unix_socket_directories="$sockdir" \
      -c max_connections=200 "$@" >>"$log" 2>&1) &
  fi
  pid=$!
  sluice_register postgresql "$pid" "$data"
  sluice_wait_for PostgreSQL 60 "$log" "$pid" \
    "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U sluice -d postgres -t 2
  url="postgresql://sluice@127.0.0.1:$port"
  if [[ -z $("$bin/psql" "$url/postgres" -XqAt -c "select 1 from pg_database where datname = 'sluice'") ]]; then
    sluice_log "creating database sluice"
    "$bin/psql" "$url/postgres" -Xq -v ON_ERROR_STOP=1 -c 'create database sluice owner sluice' \
      || sluice_die "could not create database sluice"
  fi
}

# The postmaster's pid, if the pid file in data names a child of (or is) the process we started.
sluice_postmaster_pid() {
  local data=$1 ours=$2 pm ppid
  [[ -r $data/postmaster.pid ]] || return 1
  pm=$(head -n 1 "$data/postmaster.pid" 2>/dev/null) || return 1
  [[ $pm =~ ^[0-9]+$ ]] || return 1
  [[ $pm == "$ours" ]] && { echo "$pm"; return 0; }
  ppid=$(awk '/^PPid:/ { print $2 }' "/proc/$pm/status" 2>/dev/null) || return 1
  [[ $ppid == "$ours" ]] || return 1
  echo "$pm"
}

# ---------------------------------------------------------------- Redis and moto

# sluice_start_redis <port> <absolute dir> <log> [extra redis-server args...]
sluice_start_redis() {
  local port=$1 dir=$2 log=$3 pid
  shift 3
  mkdir -p "$dir"
  sluice_log "starting Redis on 127.0.0.1:$port"
  (exec setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" \
    --daemonize no "$@" >>"$log" 2>&1) &
  pid=$!
  sluice_register redis "$pid"
  sluice_wait_for Redis 30 "$log" "$pid" sluice_redis_pong "$port"
}

sluice_redis_pong() {
  [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]]
}

# sluice_start_moto <port> <log>
sluice_start_moto() {
  local port=$1 log=$2 pid
  sluice_log "starting moto (S3) on 127.0.0.1:$port"
  (exec setsid moto_server -H 127.0.0.1 -p "$port" >>"$log" 2>&1) &
  pid=$!
  sluice_register moto "$pid"
  sluice_wait_for moto 60 "$log" "$pid" curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/"
}

# sluice_start_nats <port> <absolute store dir> <log>: nats-server with JetStream on loopback.
sluice_start_nats() {
  local port=$1 dir=$2 log=$3 pid bin
  # Debian installs it in /usr/sbin, which is not on every user's PATH.
  bin=$(command -v nats-server || echo /usr/sbin/nats-server)
  [[ -x $bin ]] || sluice_die "nats-server not found (install the Debian package nats-server)"
  mkdir -p "$dir"
  sluice_log "starting NATS (JetStream) on 127.0.0.1:$port"
  (exec setsid "$bin" -js -a 127.0.0.1 -p "$port" -sd "$dir" >>"$log" 2>&1) &
  pid=$!
  sluice_register nats "$pid"
  sluice_wait_for NATS 30 "$log" "$pid" sluice_port_in_use "$port"
}

# ---------------------------------------------------------------- test services

sluice_make_tmp() {
  SLUICE_TMP=$(mktemp -d -t sluice-test.XXXXXX)
  # The postgres user must be able to enter it when we run as root.
  chmod 755 "$SLUICE_TMP"
  sluice_pg_make_traversable "$SLUICE_TMP/pg"
}

# Starts PostgreSQL, Redis and moto on free loopback ports in a fresh temp dir and exports
# the SLUICE_TEST_* variables (and AWS test credentials) the test suites read.
sluice_start_test_services() {
  local pg_port redis_port s3_port nats_port
  [[ -n $SLUICE_TMP ]] || sluice_make_tmp
  sluice_log "services in $SLUICE_TMP"
  sluice_free_port pg_port
  sluice_free_port redis_port
  sluice_free_port s3_port
  sluice_free_port nats_port

  sluice_pg_prepare "$SLUICE_TMP/pg"
  sluice_start_pg "$SLUICE_TMP/pg" "$pg_port" "$SLUICE_TMP/pgsock" "$SLUICE_TMP/postgresql.log" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off
  sluice_start_redis "$redis_port" "$SLUICE_TMP/redis" "$SLUICE_TMP/redis.log" \
    --save '' --appendonly no
  sluice_start_moto "$s3_port" "$SLUICE_TMP/moto.log"
  sluice_start_nats "$nats_port" "$SLUICE_TMP/nats" "$SLUICE_TMP/nats.log"

  export SLUICE_TEST_PG_URL="postgresql://sluice@127.0.0.1:$pg_port/sluice"
  export SLUICE_TEST_REDIS_URL="redis://127.0.0.1:$redis_port/0"
  export SLUICE_TEST_S3_ENDPOINT="http://127.0.0.1:$s3_port"
  # The relay tests start their own nats-server too (they kill and restart it).
  export SLUICE_TEST_NATS_URL="nats://127.0.0.1:$nats_port"
  export SLUICE_TEST_PG_BIN
  SLUICE_TEST_PG_BIN=$(sluice_pg_bindir)
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1
  sluice_log "SLUICE_TEST_PG_URL=$SLUICE_TEST_PG_URL"
  sluice_log "SLUICE_TEST_REDIS_URL=$SLUICE_TEST_REDIS_URL"
  sluice_log "SLUICE_TEST_S3_ENDPOINT=$SLUICE_TEST_S3_ENDPOINT"
  sluice_log "SLUICE_TEST_NATS_URL=$SLUICE_TEST_NATS_URL"
}

# ---------------------------------------------------------------- teardown

# Stops the running step, then the services in reverse start order, then removes the temp
# dir. Idempotent; never fails.
sluice_teardown() {
  local i name pid data pm
  if [[ -n $SLUICE_FG_PID ]] && sluice_alive "$SLUICE_FG_PID"; then
    sluice_log "stopping the running step"
    sluice_stop step "$SLUICE_FG_PID" TERM
  fi
  SLUICE_FG_PID=""
  for ((i = ${#SLUICE_SVC_PIDS[@]} - 1; i >= 0; i--)); do
    name=${SLUICE_SVC_NAMES[i]}
    pid=${SLUICE_SVC_PIDS[i]}
    data=${SLUICE_SVC_PGDATA[i]}
    sluice_alive "$pid" || continue
    sluice_log "stopping $name"
    if [[ $name == postgresql ]]; then
      # SIGINT to the postmaster is PostgreSQL's fast shutdown; runuser would turn a TERM
      # into a SIGKILL after two seconds, so the wrapper is not the one to signal.
      if pm=$(sluice_postmaster_pid "$data" "$pid"); then
        kill -INT "$pm" 2>/dev/null || true
        sluice_wait_gone "$pid" 20 || sluice_stop "$name" "$pid" KILL
      else
        sluice_stop "$name" "$pid" TERM
      fi
    else
      sluice_stop "$name" "$pid" TERM
    fi
  done
  SLUICE_SVC_NAMES=()
  SLUICE_SVC_PIDS=()
  SLUICE_SVC_PGDATA=()
  if [[ -n $SLUICE_TMP && -d $SLUICE_TMP ]]; then
    # SLUICE_KEEP_TMP=1 keeps the logs and data of a run to look at after it.
    if [[ ${SLUICE_KEEP_TMP:-0} == 1 ]]; then echo "==> kept $SLUICE_TMP" >&2; else rm -rf -- "$SLUICE_TMP"; fi
  fi
  SLUICE_TMP=""
}

sluice__on_exit() {
  local rc=$?
  trap '' INT TERM HUP
  trap - EXIT
  set +e
  sluice_teardown
  exit "$rc"
}

# Teardown on any exit: normal, failure, Ctrl-C, TERM, HUP.
sluice_install_traps() {
  trap sluice__on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  trap 'exit 129' HUP
}
