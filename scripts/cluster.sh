#!/usr/bin/env bash
# A throwaway production-shaped Cairn on the loopback, from Debian packages: PostgreSQL, Redis,
# nginx in front of two `cairn serve` app servers, and two `cairn worker` processes, with the
# demo loaded, a second organisation and people to put load on it (what compose.yaml runs, as
# native processes).
#   scripts/cluster.sh start DIR         start everything in DIR (a new or empty directory)
#   scripts/cluster.sh stop DIR          stop what start started (by its own PIDs), remove DIR
#   scripts/cluster.sh status DIR        each process: running or not, and /readyz
#   scripts/cluster.sh start-app N DIR   start app server N (1 or 2) again (no migrate), wait
#                                        until it is ready
#   scripts/cluster.sh restart-pg DIR [S]  restart PostgreSQL (pg_ctl restart -m fast), or stop it
#                                        and start it S seconds later; the apps are left running
#   scripts/cluster.sh start-sqlite DIR  one app server and one worker on SQLite, no proxy
#
# DIR/cluster.env (shell-sourceable) says where everything is: DATABASE_URL, REDIS_URL,
# PROXY_URL, APP1_URL, APP2_URL, their PIDs, PGDATA, PGPORT and the app servers' environment.
# Ports: CLUSTER_PGPORT (5450), CLUSTER_REDIS_PORT (6390), CLUSTER_PROXY_PORT (8480),
# CLUSTER_APP1_PORT (8481), CLUSTER_APP2_PORT (8482); each app server runs CLUSTER_WORKERS
# processes (2) of CLUSTER_THREADS threads (4).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BIN:-$ROOT/.venv/bin}
PGPORT=${CLUSTER_PGPORT:-5450}
REDIS_PORT=${CLUSTER_REDIS_PORT:-6390}
PROXY_PORT=${CLUSTER_PROXY_PORT:-8480}
APP1_PORT=${CLUSTER_APP1_PORT:-8481}
APP2_PORT=${CLUSTER_APP2_PORT:-8482}
WORKERS=${CLUSTER_WORKERS:-2}
THREADS=${CLUSTER_THREADS:-4}
LOAD_USERS=${CLUSTER_LOAD_USERS:-60}
LOAD_PASSWORD=summit-demo  # the demo's password: load-01… are demo people too
SECOND_ORG="Northwind Traders"
if [ "$PGPORT" = 5433 ]; then
  echo "Port 5433 is CI's PostgreSQL: choose another CLUSTER_PGPORT." >&2
  exit 2
fi

say() { echo "cluster: $*" >&2; }

as_postgres() {  # PostgreSQL refuses to run as root: as root, run its tools as postgres
  if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi
}

pgbin() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

need_packages() {
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ ! -x /usr/sbin/nginx ] \
    || ! command -v redis-server >/dev/null; then
    "$ROOT/scripts/test-services.sh" packages
  fi
}

# Start a command in its own session (so that it and its children can be signalled as one
# group), its output in DIR/logs/NAME.log, and record its PID in DIR/pids/NAME.
spawn() {
  local name=$1
  shift
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name"
}

pid_of() { cat "$DIR/pids/$1" 2>/dev/null || true; }

alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

wait_ready() {  # URL NAME SECONDS
  local url=$1 name=$2 deadline=$((SECONDS + ${3:-120}))
  until curl -fsS -o /dev/null --max-time 5 "$url/readyz" 2>/dev/null; do
    if ! alive "$name"; then
      say "$name stopped before it was ready; its log:"
      tail -40 "$DIR/logs/$name.log" >&2
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "$name not ready at $url/readyz after ${3:-120} s"
      return 1
    fi
    sleep 0.5
  done
}

app_env() {  # the environment every Cairn process of the cluster gets
  local db=$1 redis=$2 base=$3
  cat <<EOF
export DEBUG=0
export SECRET_KEY=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
export SECURE_SSL_REDIRECT=0
export ALLOWED_HOSTS=127.0.0.1,localhost
export DATABASE_URL=$db
export REDIS_URL=$redis
export CAIRN_BASE_URL=$base
export CAIRN_DATA_DIR=$DIR/data
export STATIC_ROOT=$DIR/static
export EMAIL_URL=file://$DIR/mail
export LOG_FORMAT=json
export LOG_LEVEL=INFO
export WEB_CONCURRENCY=$WORKERS
export CAIRN_THREADS=$THREADS
EOF
}

pg_options() {
  # A throwaway: commits are not forced to disk (fsync off), or on a disk shared with other
  # work the 90 migrations alone take minutes. CLUSTER_FSYNC=on measures with it.
  local durable="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${CLUSTER_FSYNC:-off}" = on ] && durable=""
  echo "-p $PGPORT -k $DIR/pg -c listen_addresses=127.0.0.1 -c max_connections=100 $durable"
}

start_pg() {
  local bin
  bin=$(pgbin)
  mkdir -p "$DIR/pg"
  touch "$DIR/logs/postgresql.log"
  if [ "$(id -u)" = 0 ]; then chown postgres:postgres "$DIR/pg" "$DIR/logs/postgresql.log"; fi
  as_postgres "$bin/initdb -D '$DIR/pg' -U postgres -A trust -E UTF8 --no-instructions" >/dev/null
  as_postgres "$bin/pg_ctl -D '$DIR/pg' -l '$DIR/logs/postgresql.log' -w -t 60 \
     -o '$(pg_options)' start" >/dev/null
  head -1 "$DIR/pg/postmaster.pid" >"$DIR/pids/postgresql"
  psql -q -h 127.0.0.1 -p "$PGPORT" -U postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE cairn LOGIN PASSWORD 'cairn';" -c "CREATE DATABASE cairn OWNER cairn;" >/dev/null
}

start_redis() {
  mkdir -p "$DIR/redis"
  cat >"$DIR/redis/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
daemonize no
dir $DIR/redis
# A cache: nothing written to disk.
save ""
appendonly no
maxmemory 128mb
maxmemory-policy allkeys-lru
EOF
  spawn redis redis-server "$DIR/redis/redis.conf"
  local deadline=$((SECONDS + 20))
  until redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { say "Redis did not start"; tail "$DIR/logs/redis.log" >&2; return 1; }
    sleep 0.2
  done
}

start_nginx() {
  mkdir -p "$DIR/nginx"
  sed -e "s/^\(\s*\)listen 80;/\1listen 127.0.0.1:$PROXY_PORT;/" \
    -e "s/app1:8000/127.0.0.1:$APP1_PORT/" -e "s/app2:8000/127.0.0.1:$APP2_PORT/" \
    "$ROOT/deploy/nginx.conf" >"$DIR/nginx/cairn.conf"
  cat >"$DIR/nginx/nginx.conf" <<EOF
# The cluster's own nginx: everything under $DIR/nginx, deploy/nginx.conf inside http { }.
worker_processes 1;
error_log $DIR/logs/nginx-error.log warn;
pid $DIR/nginx/nginx.pid;
events { worker_connections 1024; }
http {
    client_body_temp_path $DIR/nginx/body;
    proxy_temp_path $DIR/nginx/proxy;
    fastcgi_temp_path $DIR/nginx/fastcgi;
    uwsgi_temp_path $DIR/nginx/uwsgi;
    scgi_temp_path $DIR/nginx/scgi;
    include $DIR/nginx/cairn.conf;
}
EOF
  nginx -t -q -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf"
  # Its access log (deploy/nginx.conf: stdout) in logs/nginx.log, its errors beside it.
  spawn nginx nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -g "daemon off;"
  local deadline=$((SECONDS + 20))
  until curl -s -o /dev/null "http://127.0.0.1:$PROXY_PORT/healthz"; do
    [ $SECONDS -lt $deadline ] || { say "nginx did not start"; tail "$DIR/logs/nginx-error.log" >&2; return 1; }
    sleep 0.2
  done
}

# App server N: migrate (under the lock: both servers do it at once, one waits), then serve.
# Started again after a crash (start-app), it only serves, as a supervisor restarting the
# process would: the database is migrated already.
start_app() {
  local n=$1 migrate=${2:-migrate} port
  port=$([ "$n" = 1 ] && echo "$APP1_PORT" || echo "$APP2_PORT")
  local first="'$BIN/cairn' migrate --noinput &&"
  [ "$migrate" = migrate ] || first=""
  spawn "app$n" bash -c "source '$DIR/app.env' && $first \
    exec '$BIN/cairn' serve --bind 127.0.0.1:$port --workers $WORKERS --threads $THREADS \
       --pid '$DIR/pids/app$n.gunicorn'"
}

start_worker() {
  spawn "worker$1" bash -c "source '$DIR/app.env' && exec '$BIN/cairn' worker"
}

cairn() { (source "$DIR/app.env" && "$BIN/cairn" "$@"); }

# The demo (Summit Outfitters), a second organisation made from its export, and people for
# the load test: load-01, load-02, … (password summit-demo), editors, alternately in each.
load_data() {
  cairn demo >/dev/null
  cairn export-org --org summit "$DIR/summit.json" >/dev/null
  local imported
  imported=$(cairn import-org "$DIR/summit.json" --name "$SECOND_ORG" --owner demo-owner)
  SECOND_SLUG=$(sed -n 's|.*(/o/\([^/]*\)/).*|\1|p' <<<"$imported")
  cairn shell -c "
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from cairn.core.models import Membership, Organization, Role
User = get_user_model()
orgs = [Organization.objects.get(slug='summit'), Organization.objects.get(slug='$SECOND_SLUG')]
password = make_password('$LOAD_PASSWORD')  # one hash for all: the same password
for i in range(1, $LOAD_USERS + 1):
    user, _ = User.objects.get_or_create(username=f'load-{i:02}', defaults={'password': password})
    Membership.objects.get_or_create(
        user=user, organization=orgs[(i - 1) % 2], defaults={'role': Role.EDITOR})
# The demo's editor is in both, for the two-people-at-once check.
Membership.objects.get_or_create(
    user=User.objects.get(username='demo-editor'), organization=orgs[1],
    defaults={'role': Role.EDITOR})
"
}

write_env() {
  {
    echo "# Written by scripts/cluster.sh start: source it to reach this cluster."
    echo "CLUSTER_DIR=$DIR"
    echo "CLUSTER_KIND=$1"
    echo "DATABASE_URL=$DATABASE_URL"
    echo "REDIS_URL=$REDIS_URL"
    echo "PROXY_URL=$PROXY_URL"
    echo "APP1_URL=http://127.0.0.1:$APP1_PORT"
    echo "APP2_URL=$([ "$1" = postgresql ] && echo "http://127.0.0.1:$APP2_PORT")"
    for name in app1 app2 worker1 worker2 postgresql redis nginx; do
      echo "$(tr a-z A-Z <<<"$name" | sed 's/POSTGRESQL/PG/;s/$/_PID/')=$(pid_of "$name")"
    done
    echo "PGDATA=$([ "$1" = postgresql ] && echo "$DIR/pg")"
    echo "PGPORT=$([ "$1" = postgresql ] && echo "$PGPORT")"
    echo "PGBIN=$(pgbin)"
    echo "CAIRN_BIN=$BIN"
    echo "LOAD_USERS=$LOAD_USERS"
    echo "LOAD_PASSWORD=$LOAD_PASSWORD"
    echo "ORG_SLUGS=summit,${SECOND_SLUG:-}"
    echo "LOGS=$DIR/logs"
    echo "# The app servers' environment:"
    sed 's/^export //' "$DIR/app.env"
  } >"$DIR/cluster.env.tmp"
  mv "$DIR/cluster.env.tmp" "$DIR/cluster.env"
}

prepare_dir() {
  if [ -d "$DIR/pids" ] && [ -n "$(ls "$DIR/pids" 2>/dev/null)" ]; then
    say "$DIR already holds a cluster: stop it first."
    exit 1
  fi
  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/data" "$DIR/static" "$DIR/mail"
  chmod 755 "$DIR"  # PostgreSQL's user reaches its data directory through it
}

start() {
  need_packages
  prepare_dir
  local started=$SECONDS
  DATABASE_URL="postgres://cairn:cairn@127.0.0.1:$PGPORT/cairn"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  PROXY_URL="http://127.0.0.1:$PROXY_PORT"
  app_env "$DATABASE_URL" "$REDIS_URL" "$PROXY_URL" >"$DIR/app.env"
  # Anything that fails from here on stops what was started.
  trap 'failed_start $?' EXIT
  say "PostgreSQL on $PGPORT, Redis on $REDIS_PORT"
  start_pg
  start_redis
  cairn collectstatic --noinput -v 0
  say "two app servers on $APP1_PORT and $APP2_PORT (each migrates first, under the lock)"
  start_app 1
  start_app 2
  wait_ready "http://127.0.0.1:$APP1_PORT" app1 240
  wait_ready "http://127.0.0.1:$APP2_PORT" app2 240
  grep -h "Another server is migrating" "$DIR/logs/app1.log" "$DIR/logs/app2.log" >&2 || true
  say "the demo, a second organisation, $LOAD_USERS people for load"
  load_data
  start_worker 1
  start_worker 2
  say "nginx on $PROXY_PORT"
  start_nginx
  write_env postgresql
  trap - EXIT
  say "ready in $((SECONDS - started)) s: $PROXY_URL (environment in $DIR/cluster.env)"
}

start_sqlite() {
  prepare_dir
  local started=$SECONDS
  DATABASE_URL="sqlite:///$DIR/data/cairn.sqlite3"
  REDIS_URL=""
  PROXY_URL="http://127.0.0.1:$APP1_PORT"
  app_env "$DATABASE_URL" "" "$PROXY_URL" >"$DIR/app.env"
  trap 'failed_start $?' EXIT
  cairn collectstatic --noinput -v 0
  start_app 1
  wait_ready "$PROXY_URL" app1 240
  load_data
  start_worker 1
  write_env sqlite
  trap - EXIT
  say "ready in $((SECONDS - started)) s: one app server on SQLite, $PROXY_URL"
}

# Stop exactly what was started, by the PIDs recorded: the app servers and workers as whole
# process groups (gunicorn's processes with it), gently first.
stop_processes() {
  local name pid
  for name in nginx app1 app2 worker1 worker2 redis; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null || true
  done
  local deadline=$((SECONDS + 30))
  for name in nginx app1 app2 worker1 worker2 redis; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] || continue
    while kill -0 -- "-$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$DIR/pids/$name"
  done
  if [ -f "$DIR/pg/postmaster.pid" ]; then
    as_postgres "$(pgbin)/pg_ctl -D '$DIR/pg' -m fast -w -t 60 stop" >/dev/null || true
  fi
  rm -f "$DIR/pids/postgresql" "$DIR/pids/"*.gunicorn
}

# What an operator's restart does: a fast shutdown (sessions ended, nothing lost) and a start.
restart_pg() {
  local down=${1:-0} ctl
  ctl="$(pgbin)/pg_ctl -D '$DIR/pg' -l '$DIR/logs/postgresql.log' -w -t 60"
  if [ "$down" = 0 ]; then
    as_postgres "$ctl -m fast restart" >/dev/null
  else
    as_postgres "$ctl -m fast stop" >/dev/null
    sleep "$down"
    as_postgres "$ctl -o '$(pg_options)' start" >/dev/null
  fi
  head -1 "$DIR/pg/postmaster.pid" >"$DIR/pids/postgresql"
  sed -i "s/^PG_PID=.*/PG_PID=$(pid_of postgresql)/" "$DIR/cluster.env"
}

failed_start() {
  [ "$1" = 0 ] && return
  say "start failed: stopping what was started (logs in $DIR/logs)"
  stop_processes
}

stop() {
  [ -d "$DIR" ] || return 0
  stop_processes
  rm -rf "$DIR"
}

status() {
  local name pid failed=0
  for name in postgresql redis app1 app2 worker1 worker2 nginx; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] || continue
    if kill -0 "$pid" 2>/dev/null; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; failed=1; fi
  done
  # shellcheck disable=SC1091
  [ -f "$DIR/cluster.env" ] && source "$DIR/cluster.env"
  for url in ${APP1_URL:-} ${APP2_URL:-} ${PROXY_URL:-}; do
    echo "$url/readyz: $(curl -s --max-time 5 "$url/readyz" || echo "no answer")"
  done
  return $failed
}

cmd=${1:-}
if [ "$cmd" = start-app ]; then
  DIR=$(realpath -m "${3:?usage: $0 start-app N DIR}")
  [ "${2:-}" = 1 ] || [ "${2:-}" = 2 ] || { echo "N is 1 or 2" >&2; exit 2; }
  alive "app$2" && { say "app$2 is running"; exit 1; }
  rm -f "$DIR/pids/app$2.gunicorn"
  start_app "$2" serve-only
  wait_ready "http://127.0.0.1:$([ "$2" = 1 ] && echo "$APP1_PORT" || echo "$APP2_PORT")" "app$2" 120
  sed -i "s/^APP$2_PID=.*/APP$2_PID=$(pid_of "app$2")/" "$DIR/cluster.env"
  exit 0
fi
DIR=$(realpath -m "${2:?usage: $0 start|stop|status|restart-pg|start-sqlite DIR | start-app N DIR}")
case "$cmd" in
  start) start ;;
  start-sqlite) start_sqlite ;;
  restart-pg) restart_pg "${3:-0}" ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status|restart-pg|start-sqlite DIR | start-app N DIR" >&2; exit 2 ;;
esac
